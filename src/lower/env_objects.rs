//! Secret-looking values and the objects literal environment values go into: one classifier
//! for every front-end, and the split of an environment into a ConfigMap (plain values) and a
//! Secret (the rest). No secret-looking value reaches a ConfigMap.

use std::collections::BTreeMap;

use crate::config::{EnvValue, Environment};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::workload::{ConfigMap, EnvFrom, EnvVar, RefKind, Secret};
use crate::yaml::Spanned;

use super::env::lower_environment;

/// Words that make a variable secret when they are a word of its name (split at `_`, `-`, `.`):
/// seed 002's suffixes (`_KEY`, `_PASSWORD`, `_PASS`, `_TOKEN`, `_SECRET`, `_CREDENTIALS`) and
/// what real projects name their secrets. Erring towards the Secret costs nothing.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "KEY",
    "KEYS",
    "APIKEY",
    "PAT",
    "BEARER",
    "COOKIE",
    "DSN",
    "WEBHOOK",
    "SEED",
    "LICENSE",
    "SIGNING",
    "PRIVATE",
    "PEM",
    "SK",
    "SALT",
    "HMAC",
    "JWT",
    "OTP",
];

/// Parts that make a name secret wherever they appear in it (`PGPASSWORD`, `PGPASS`).
const SECRET_PARTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PGPASS",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "APIKEY",
    "PRIVATEKEY",
];

/// True for names like `DB_PASSWORD`, `API_KEY`, `PGPASS`, `GITHUB_PAT`, `SENTRY_DSN`,
/// `SLACK_WEBHOOK_URL`: values that must never go into a ConfigMap or a literal in git.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper.split(['_', '-', '.']).collect();
    // `AUTH` holds a credential at the end (`NPM_AUTH`) or as a header (`AUTH_HEADER`); elsewhere
    // it names a setting (`GF_AUTH_ANONYMOUS_ENABLED`).
    let auth = words.last() == Some(&"AUTH") || words.windows(2).any(|w| w == ["AUTH", "HEADER"]);
    auth || words.iter().any(|word| SECRET_WORDS.contains(word))
        || SECRET_PARTS.iter().any(|part| upper.contains(part))
}

/// Secret-looking: the name says so, the value is a URL with credentials in it
/// (`postgres://user:pw@db/app`), or the value was written as (or from)
/// a secret-looking variable (`FROM_DOTENV: ${DOTENV_PASSWORD}`): `written` is the text as it
/// stands in its file, before interpolation.
pub fn is_secret(key: &str, value: &str, written: &str) -> bool {
    looks_secret(key) || has_credentials(value) || names_secret_variable(written)
}

/// `scheme://user:password@host…` (a user alone, as in `https://git@host/…`, is no secret).
fn has_credentials(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .is_some_and(|(_, password)| !password.is_empty())
}

/// `$NAME` or `${NAME…}` with a secret-looking `NAME` in `text`.
fn names_secret_variable(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        rest = &rest[at + 1..];
        if rest.starts_with('$') {
            rest = &rest[1..];
            continue;
        }
        let name_text = rest.strip_prefix('{').unwrap_or(rest);
        let end = name_text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(name_text.len());
        if end > 0 && looks_secret(&name_text[..end]) {
            return true;
        }
    }
    false
}

#[derive(Debug, Default)]
pub struct SplitEnvironment {
    pub config_map: Option<ConfigMap>,
    pub secret: Option<Secret>,
    pub env_from: Vec<EnvFrom>,
    /// References (`{secret: x, key: y}`), which win over both.
    pub env: Vec<EnvVar>,
}

/// Splits `environment` (seed 002): plain values into ConfigMap `name`, secret-looking ones
/// into Secret `name`, both imported with `envFrom`; references (`{secret: x, key: y}`) stay
/// variables of their own. No secret-looking value reaches a ConfigMap.
pub fn split_environment(
    environment: &Environment,
    name: &str,
    field: &str,
    d: &mut Diagnostics,
) -> SplitEnvironment {
    let mut values: BTreeMap<String, Spanned<String>> = BTreeMap::new();
    let mut references = Environment::new();
    for (key, value) in environment {
        match &value.value {
            EnvValue::Literal(text) => {
                values.insert(key.clone(), Spanned::new(text.clone(), value.span));
            }
            EnvValue::Reference(_) => {
                references.insert(key.clone(), value.clone());
            }
        }
    }
    let mut plain = BTreeMap::new();
    let mut secret = BTreeMap::new();
    for (key, value) in values {
        if !is_object_key(&key) {
            d.push(
                Diagnostic::error(
                    Code::BadName,
                    format!("environment variable `{key}` cannot be a key of a ConfigMap or Secret (letters, digits, `-`, `_`, `.` only)"),
                )
                .at(value.span)
                .field(format!("{field}.environment.{key}")),
            );
            continue;
        }
        if is_secret(&key, &value.value, &value.span.text()) {
            secret.insert(key, value.value);
        } else {
            plain.insert(key, value.value);
        }
    }
    let mut out = SplitEnvironment {
        env: lower_environment(&references, field, d),
        ..SplitEnvironment::default()
    };
    if !plain.is_empty() {
        out.env_from.push(EnvFrom {
            kind: RefKind::ConfigMap,
            name: name.to_string(),
            prefix: None,
            optional: false,
        });
        out.config_map = Some(ConfigMap {
            name: name.to_string(),
            data: plain,
        });
    }
    if !secret.is_empty() {
        out.env_from.push(EnvFrom {
            kind: RefKind::Secret,
            name: name.to_string(),
            prefix: None,
            optional: false,
        });
        out.secret = Some(Secret {
            name: name.to_string(),
            string_data: secret,
        });
    }
    out
}

/// ConfigMap and Secret keys: `[-._a-zA-Z0-9]+`.
pub fn is_object_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_secret() {
        assert!(is_secret(
            "DATABASE_URL",
            "postgres://app:pw@db:5432/app",
            ""
        ));
        assert!(is_secret("AMQP_URI", "amqp://guest:guest@rabbit:5672/", ""));
        assert!(!is_secret("DATABASE_URL", "postgres://db:5432/app", ""));
        assert!(!is_secret("CALLBACK", "https://user@example.com/x", ""));
        assert!(!is_secret("LOG_LEVEL", "debug", "debug"));
    }

    #[test]
    fn secret_looking_names_real_projects_use() {
        for name in [
            "DB_PASSWORD",
            "API_KEY",
            "github_token",
            "AWS_CREDENTIALS",
            "PASSWORD",
            "SMTP_PASS",
            "PGPASSWORD",
            "SECRET_KEY_BASE",
            "PGPASS",
            "MYSQL_PWD",
            "PASSPHRASE",
            "GITHUB_PAT",
            "NPM_AUTH",
            "STRIPE_SK",
            "JWT_SIGNING",
            "SIGNING_KEY_PEM",
            "SENTRY_DSN",
            "SLACK_WEBHOOK_URL",
            "AUTH_HEADER",
            "BEARER",
            "SESSION_COOKIE",
            "ENCRYPTION_SEED",
            "LICENSE",
            "OAUTH_CLIENT_SECRET",
            "REDIS_PASSWD",
            "PRIVATE_KEY",
            "ACCESS_KEY",
            "registry-credentials",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in [
            "LOG_LEVEL",
            "KEYBOARD",
            "PASSAGE",
            "DB_HOST",
            "PORT",
            "SESSION_TIMEOUT",
            "GF_AUTH_ANONYMOUS_ENABLED",
        ] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn values_written_from_secret_variables_are_secret() {
        assert!(is_secret("FROM_DOTENV", "hunter2", "${DOTENV_PASSWORD}"));
        assert!(is_secret("DSN_COPY", "x", "postgres://u:$DB_PASS@db"));
        assert!(!is_secret("GREETING", "hello", "${GREETING_TEXT:-hello}"));
        assert!(!is_secret("PRICE", "$5", "$$5"));
    }
}
