//! Kubernetes name rules (DNS-1123 labels, port names) and turning free text into a valid name.
//! Checks only; never shortens a name: a name that is too long is the user's to change.

use std::fmt;

use crate::diagnostic::Code;

/// The longest object name Kubernetes takes (a DNS-1123 label).
pub const NAME_MAX: usize = 63;
/// The longest CronJob name: Kubernetes appends an 11-character suffix to the Jobs it creates.
pub const CRONJOB_NAME_MAX: usize = 52;

/// Why a name is not a valid Kubernetes name; displays as the end of "name `x` …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong { length: usize, max: usize },
    InvalidCharacters,
}

impl NameProblem {
    /// `name-too-long` for a length, `bad-name` for the rest: one rule for every caller.
    pub fn code(&self) -> Code {
        match self {
            NameProblem::TooLong { .. } => Code::NameTooLong,
            NameProblem::Empty | NameProblem::InvalidCharacters => Code::BadName,
        }
    }
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::Empty => f.write_str("is empty"),
            NameProblem::TooLong { length, max } => {
                write!(f, "is {length} characters long; at most {max} are allowed")
            }
            NameProblem::InvalidCharacters => f.write_str(
                "is not a valid name: use lowercase letters, digits and '-', starting and \
                 ending with a letter or digit",
            ),
        }
    }
}

/// Checks a DNS-1123 label of at most `max` characters.
pub fn check_dns_label(name: &str, max: usize) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    let length = name.chars().count();
    if length > max {
        return Err(NameProblem::TooLong { length, max });
    }
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let valid_ends = !name.starts_with('-') && !name.ends_with('-');
    if valid_chars && valid_ends {
        Ok(())
    } else {
        Err(NameProblem::InvalidCharacters)
    }
}

/// Checks a DNS-1123 subdomain (dotted labels, at most 253 characters), as ConfigMap keys
/// and many object names allow.
pub fn check_dns_subdomain(name: &str) -> Result<(), NameProblem> {
    let length = name.chars().count();
    if length > 253 {
        return Err(NameProblem::TooLong { length, max: 253 });
    }
    name.split('.')
        .try_for_each(|label| check_dns_label(label, NAME_MAX))
}

/// Checks a container port name (IANA service name): at most 15 characters, lowercase letters,
/// digits and '-', at least one letter, no leading, trailing or doubled '-'.
pub fn check_port_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 15 {
        return Err(format!(
            "port name `{name}` must be 1 to 15 characters long (it has {})",
            name.len()
        ));
    }
    let valid = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if valid {
        Ok(())
    } else {
        Err(format!(
            "port name `{name}` is not valid: use lowercase letters, digits and single '-', \
             with at least one letter"
        ))
    }
}

/// Lowercases and replaces every character a DNS label cannot hold by '-', collapsing runs and
/// trimming the ends (`hello_world` → `hello-world`). Does not shorten.
pub fn to_dns_label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// `name` as a ConfigMap or Secret data key: characters a key cannot hold become `-`; an empty
/// result becomes `fallback`.
pub fn to_data_key(name: &str, fallback: &str) -> String {
    let key: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if key.is_empty() {
        fallback.to_string()
    } else {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_keys() {
        assert_eq!(to_data_key("app.conf", "file"), "app.conf");
        assert_eq!(to_data_key("my key/é", "file"), "my-key--");
        assert_eq!(to_data_key("", "value"), "value");
    }

    #[test]
    fn dns_labels() {
        assert!(check_dns_label("web-1", 63).is_ok());
        assert!(check_dns_label("Web", 63).is_err());
        assert!(check_dns_label("-web", 63).is_err());
        assert!(check_dns_label("web_1", 63).is_err());
        let long = "a".repeat(64);
        let problem = check_dns_label(&long, 63).unwrap_err();
        assert_eq!(
            problem.to_string(),
            "is 64 characters long; at most 63 are allowed"
        );
        assert_eq!(problem.code(), Code::NameTooLong);
        assert_eq!(
            check_dns_label("Web", 63).unwrap_err().code(),
            Code::BadName
        );
    }

    #[test]
    fn port_names() {
        assert!(check_port_name("http").is_ok());
        assert!(check_port_name("http-2").is_ok());
        assert!(check_port_name("8080").is_err());
        assert!(check_port_name("a-very-long-port-name").is_err());
        assert!(check_port_name("a--b").is_err());
    }

    #[test]
    fn free_text_to_label() {
        assert_eq!(to_dns_label("hello_world"), "hello-world");
        assert_eq!(to_dns_label("__Main__.py"), "main-py");
    }
}
