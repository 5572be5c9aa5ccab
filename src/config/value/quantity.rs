//! A Kubernetes resource quantity (`512Mi`, `250m`, `1.5`, `1e3`), checked when read so that
//! `512mb` is an error at its line rather than an object the API server rejects.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(String);

const SUFFIXES: &[&str] = &[
    "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
];

impl Quantity {
    pub fn parse(text: &str) -> Result<Quantity, String> {
        let (number, suffix) = split_number(text);
        let valid_number = is_decimal(number);
        let valid_suffix = suffix.is_empty() || SUFFIXES.contains(&suffix) || is_exponent(suffix);
        if valid_number && valid_suffix {
            Ok(Quantity(text.to_string()))
        } else {
            Err(format!(
                "invalid quantity `{text}`: expected a non-negative number with an optional \
                 suffix (Ki, Mi, Gi, Ti, m, k, M, G, …), e.g. 512Mi, 1Gi, 250m, 0.5"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value in base units (bytes, cores), for comparisons such as request ≤ limit.
    pub fn to_f64(&self) -> f64 {
        let (number, suffix) = split_number(&self.0);
        let base: f64 = number.parse().unwrap_or(0.0);
        let factor = match suffix {
            "Ki" => 1024f64,
            "Mi" => 1024f64.powi(2),
            "Gi" => 1024f64.powi(3),
            "Ti" => 1024f64.powi(4),
            "Pi" => 1024f64.powi(5),
            "Ei" => 1024f64.powi(6),
            "n" => 1e-9,
            "u" => 1e-6,
            "m" => 1e-3,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "P" => 1e15,
            "E" => 1e18,
            "" => 1.0,
            exponent => 10f64.powi(exponent[1..].parse().unwrap_or(0)),
        };
        base * factor
    }
}

fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+'))
        .unwrap_or(text.len());
    text.split_at(end)
}

fn is_decimal(text: &str) -> bool {
    let text = text.strip_prefix('+').unwrap_or(text);
    let mut parts = text.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match fraction {
        None => !whole.is_empty() && digits(whole),
        Some(f) => digits(whole) && digits(f) && !(whole.is_empty() && f.is_empty()),
    }
}

fn is_exponent(suffix: &str) -> bool {
    let Some(rest) = suffix.strip_prefix(['e', 'E']) else {
        return false;
    };
    let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Quantity, D::Error> {
        let text = String::deserialize(deserializer)?;
        Quantity::parse(&text).map_err(de::Error::custom)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl schemars::JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes quantity, e.g. 512Mi, 1Gi, 250m, 0.5",
            "anyOf": [
                {
                    "type": "string",
                    "pattern": "^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$"
                },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kubernetes_spellings() {
        for ok in [
            "512Mi", "1Gi", "250m", "0.5", "1", ".5", "1e3", "2E-2", "100k", "+1",
        ] {
            assert!(Quantity::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_other_spellings() {
        for bad in ["512mb", "1GB", "-1", "", "1.2.3", "Mi", "1 Gi", "1gi", "."] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn converts_to_base_units() {
        assert_eq!(Quantity::parse("1Gi").unwrap().to_f64(), 1024f64.powi(3));
        assert_eq!(Quantity::parse("250m").unwrap().to_f64(), 0.25);
        assert_eq!(Quantity::parse("1e3").unwrap().to_f64(), 1000.0);
    }
}
