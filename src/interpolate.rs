//! `${VAR}` interpolation, shared by apps.yaml (braced forms only) and compose files (which also
//! allow bare `$VAR`). Knows nothing about where values come from: the caller passes a lookup.

use std::fmt;

/// Which syntax is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?msg}`, `${VAR?msg}`, `${VAR:+r}`, `${VAR+r}`, `$$`.
    Braced,
    /// All of the above plus bare `$VAR`, as the Compose Specification allows.
    BracedAndBare,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationError {
    /// `${VAR}` with VAR unset and no default.
    Unset { name: String },
    /// `${VAR:?message}` / `${VAR?message}` with VAR unset (or empty, for `:?`).
    Required { name: String, message: String },
    /// A malformed reference such as `${` without `}` or `${1A}`.
    Syntax { message: String },
}

impl fmt::Display for InterpolationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InterpolationError::Unset { name } => {
                write!(f, "variable `{name}` is not set and has no default")
            }
            InterpolationError::Required { name, message } if message.is_empty() => {
                write!(f, "variable `{name}` is required but not set")
            }
            InterpolationError::Required { name, message } => {
                write!(f, "variable `{name}` is required: {message}")
            }
            InterpolationError::Syntax { message } => f.write_str(message),
        }
    }
}

/// Every variable name a reference asked for in this process, so the command line can warn
/// about a `--set NAME=…` that nothing uses.
static REFERENCED: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn note_reference(name: &str) {
    if let Ok(mut names) = REFERENCED.lock()
        && !names.contains(name)
    {
        names.insert(name.to_string());
    }
}

/// The variable names references have asked for so far in this process.
pub fn referenced_names() -> std::collections::BTreeSet<String> {
    REFERENCED.lock().map(|n| n.clone()).unwrap_or_default()
}

/// True when the text contains anything interpolation would change.
pub fn has_references(text: &str) -> bool {
    text.contains('$')
}

/// Expands every reference in `text`. `lookup` returns a variable's value, or `None` if unset.
pub fn interpolate(
    text: &str,
    syntax: Syntax,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolationError> {
    if !has_references(text) {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body_start) = after.strip_prefix('{') {
            let close = matching_brace(body_start).ok_or_else(|| InterpolationError::Syntax {
                message: format!("unterminated `${{` in `{text}`"),
            })?;
            out.push_str(&expand_braced(&body_start[..close], syntax, lookup)?);
            rest = &body_start[close + 1..];
        } else if syntax == Syntax::BracedAndBare && starts_name(after) {
            let len = name_len(after);
            let name = &after[..len];
            note_reference(name);
            out.push_str(&lookup(name).ok_or_else(|| InterpolationError::Unset {
                name: name.to_string(),
            })?);
            rest = &after[len..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Index of the `}` closing a `${`, allowing nested `${...}` in defaults.
fn matching_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn starts_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

fn name_len(text: &str) -> usize {
    text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len())
}

fn expand_braced(
    body: &str,
    syntax: Syntax,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, InterpolationError> {
    if !starts_name(body) {
        return Err(InterpolationError::Syntax {
            message: format!("invalid variable reference `${{{body}}}`"),
        });
    }
    let len = name_len(body);
    let name = &body[..len];
    let operator = &body[len..];
    note_reference(name);
    let value = lookup(name);
    let nested = |text: &str| interpolate(text, syntax, lookup);
    let (op, arg) = split_operator(operator).ok_or_else(|| InterpolationError::Syntax {
        message: format!("invalid variable reference `${{{body}}}`"),
    })?;
    match op {
        "" => value.ok_or_else(|| InterpolationError::Unset {
            name: name.to_string(),
        }),
        ":-" => match value {
            Some(v) if !v.is_empty() => Ok(v),
            _ => nested(arg),
        },
        "-" => match value {
            Some(v) => Ok(v),
            None => nested(arg),
        },
        ":?" | "?" => match value {
            Some(v) if op == "?" || !v.is_empty() => Ok(v),
            _ => Err(InterpolationError::Required {
                name: name.to_string(),
                message: nested(arg).unwrap_or_else(|_| arg.to_string()),
            }),
        },
        ":+" => match value {
            Some(v) if !v.is_empty() => nested(arg),
            _ => Ok(String::new()),
        },
        "+" => match value {
            Some(_) => nested(arg),
            None => Ok(String::new()),
        },
        _ => unreachable!("split_operator returns only known operators"),
    }
}

fn split_operator(text: &str) -> Option<(&str, &str)> {
    if text.is_empty() {
        return Some(("", ""));
    }
    [":-", ":?", ":+", "-", "?", "+"]
        .into_iter()
        .find(|op| text.starts_with(op))
        .map(|op| (op, &text[op.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, syntax: Syntax) -> Result<String, InterpolationError> {
        let lookup = |name: &str| match name {
            "SET" => Some("value".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        interpolate(text, syntax, &lookup)
    }

    #[test]
    fn braced_forms() {
        let b = Syntax::Braced;
        assert_eq!(run("a-${SET}-b", b).unwrap(), "a-value-b");
        assert_eq!(run("${UNSET:-def}", b).unwrap(), "def");
        assert_eq!(run("${EMPTY:-def}", b).unwrap(), "def");
        assert_eq!(run("${EMPTY-def}", b).unwrap(), "");
        assert_eq!(run("${UNSET-def}", b).unwrap(), "def");
        assert_eq!(run("${UNSET:-${SET}}", b).unwrap(), "value");
        assert_eq!(run("${SET:+r}|${UNSET:+r}", b).unwrap(), "r|");
        assert_eq!(run("cost: $$5 and $HOME", b).unwrap(), "cost: $5 and $HOME");
    }

    #[test]
    fn unset_and_required_are_errors() {
        let b = Syntax::Braced;
        assert_eq!(
            run("${UNSET}", b),
            Err(InterpolationError::Unset {
                name: "UNSET".into()
            })
        );
        assert_eq!(
            run("${EMPTY:?set it}", b),
            Err(InterpolationError::Required {
                name: "EMPTY".into(),
                message: "set it".into()
            })
        );
        assert_eq!(run("${EMPTY?set it}", b).unwrap(), "");
        assert!(matches!(
            run("${SET", b),
            Err(InterpolationError::Syntax { .. })
        ));
        assert!(matches!(
            run("${1X}", b),
            Err(InterpolationError::Syntax { .. })
        ));
    }

    #[test]
    fn bare_names_only_when_asked() {
        assert_eq!(run("$SET/x", Syntax::BracedAndBare).unwrap(), "value/x");
        assert_eq!(run("$SET/x", Syntax::Braced).unwrap(), "$SET/x");
        assert_eq!(run("$ 5", Syntax::BracedAndBare).unwrap(), "$ 5");
    }
}
