//! Secret-looking values and the objects literal environment values go into: one classifier
//! for every front-end, and the split of an environment into a ConfigMap (plain values) and a
//! Secret (the rest). No secret-looking value reaches a ConfigMap.

use std::collections::BTreeMap;

use crate::config::{EnvValue, Environment};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::workload::{ConfigMap, EnvFrom, EnvVar, RefKind, Secret};
use crate::yaml::Spanned;

use super::env::lower_environment;

/// Name suffixes of seed 002 that mark a value as secret.
const SECRET_SUFFIXES: &[&str] = &[
    "_KEY",
    "_PASSWORD",
    "_PASS",
    "_TOKEN",
    "_SECRET",
    "_CREDENTIALS",
];

/// True for names like `DB_PASSWORD`, `API_KEY`, `PASSWORD`: values that must never go into a
/// ConfigMap or a literal in git.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_SUFFIXES
        .iter()
        .any(|suffix| upper.ends_with(suffix) || upper == suffix.trim_start_matches('_'))
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
        if is_secret(&key, &value.value) {
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

/// Words that make a variable secret wherever they appear in its name (`PGPASSWORD`,
/// `JWT_SECRET_BASE`), beyond seed 002's suffixes. Erring towards the Secret costs nothing.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "APIKEY",
    "API_KEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
];

/// Secret-looking: the name says so (seed 002's `*_PASSWORD`, `*_KEY`…, or a secret word
/// anywhere in it), or the value is a URL with a password in it (`postgres://user:pw@db/app`).
pub fn is_secret(key: &str, value: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    looks_secret(key) || SECRET_WORDS.iter().any(|w| upper.contains(w)) || has_credentials(value)
}

/// `scheme://user:password@host…`.
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
    fn secret_looking_names() {
        for name in [
            "DB_PASSWORD",
            "API_KEY",
            "github_token",
            "AWS_CREDENTIALS",
            "PASSWORD",
            "SMTP_PASS",
        ] {
            assert!(looks_secret(name), "{name}");
        }
        for name in ["LOG_LEVEL", "KEYBOARD", "PASSAGE", "DB_HOST"] {
            assert!(!looks_secret(name), "{name}");
        }
    }

    #[test]
    fn credentials_in_urls_are_secret() {
        assert!(is_secret("DATABASE_URL", "postgres://app:pw@db:5432/app"));
        assert!(is_secret("DB_PASSWORD", ""));
        assert!(is_secret("PGPASSWORD", "x"));
        assert!(is_secret("SECRET_KEY_BASE", "x"));
        assert!(!is_secret("DATABASE_URL", "postgres://db:5432/app"));
        assert!(!is_secret("CALLBACK", "https://user@example.com/x"));
        assert!(!is_secret("LOG_LEVEL", "debug"));
    }
}
