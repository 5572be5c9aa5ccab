//! Secret-looking names and values, and keeping their values out of every message: one
//! classifier for every front-end (which environment values go into a Secret rather than a
//! ConfigMap), and a process-wide list of the secret values k3s has read (from `.env` and env
//! files, `--set`, the environment) that diagnostics mask before they are printed.

use std::sync::RwLock;

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

/// Names a secret word would match that every shell sets to a path: masking their values would
/// blank out the working directory in every message.
const NOT_SECRET: &[&str] = &["PWD", "OLDPWD"];

/// True for names like `DB_PASSWORD`, `API_KEY`, `PGPASS`, `GITHUB_PAT`, `SENTRY_DSN`,
/// `SLACK_WEBHOOK_URL`: values that must never go into a ConfigMap or a literal in git.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if NOT_SECRET.contains(&upper.as_str()) {
        return false;
    }
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

/// Values shorter than this are not masked: `1` or `true` would blank out half a message.
const MIN_MASKED_LEN: usize = 4;

static SECRET_VALUES: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers `value` as secret when `name` looks secret, so no diagnostic prints it.
pub fn remember_if_secret(name: &str, value: &str) {
    if looks_secret(name) {
        remember(value);
    }
}

/// Remembers `value` as secret: from now on [`mask`] hides it.
pub fn remember(value: &str) {
    if value.chars().count() < MIN_MASKED_LEN {
        return;
    }
    let mut values = SECRET_VALUES.write().unwrap_or_else(|e| e.into_inner());
    if !values.iter().any(|v| v == value) {
        values.push(value.to_string());
        // Longest first, so a value that contains another is hidden whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }
}

/// `text` with every remembered secret value replaced by as many `*` as it has characters
/// (so a caret under a source line still points at the right column).
pub fn mask(text: &str) -> String {
    let values = SECRET_VALUES.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for value in values.iter() {
        if out.contains(value.as_str()) {
            out = out.replace(value.as_str(), &"*".repeat(value.chars().count()));
        }
    }
    out
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
            "PWD",
            "OLDPWD",
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

    #[test]
    fn remembered_secret_values_are_masked_and_short_ones_left() {
        remember_if_secret("DOTENV_PASSWORD", "s3cr3t-for-mask-test");
        remember_if_secret("GREETING", "hello-for-mask-test");
        remember("abc");
        assert_eq!(
            mask("`s3cr3t-for-mask-test:80` and hello-for-mask-test, abc"),
            "`********************:80` and hello-for-mask-test, abc"
        );
    }
}
