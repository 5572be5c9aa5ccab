//! A duration written the way ingress controllers read them: `500ms`, `10s`, `3m`, `1h30m`.
//! Kept as written (controllers take the text) but checked when read.

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duration(String);

impl Duration {
    pub fn parse(text: &str) -> Result<Duration, String> {
        Duration::seconds_of(text)
            .map(|_| Duration(text.to_string()))
            .ok_or_else(|| {
                format!("invalid duration `{text}`: expected e.g. 500ms, 10s, 3m, 1h30m")
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Total seconds (fractions from `ms` rounded up), or `None` when the text is not a duration.
    pub fn seconds_of(text: &str) -> Option<u64> {
        if text.is_empty() {
            return None;
        }
        let mut millis: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                return None;
            }
            let value: u64 = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
            let (unit, factor) = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
                .into_iter()
                .find(|(unit, _)| rest.starts_with(unit))?;
            millis = millis.checked_add(value.checked_mul(factor)?)?;
            rest = &rest[unit.len()..];
        }
        Some(millis.div_ceil(1000))
    }

    pub fn seconds(&self) -> u64 {
        Duration::seconds_of(&self.0).unwrap_or(0)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text).map_err(de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A duration such as 500ms, 10s, 3m, 1h30m",
            "pattern": "^([0-9]+(ms|s|m|h))+$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compound_durations() {
        assert_eq!(Duration::seconds_of("1h30m"), Some(5400));
        assert_eq!(Duration::seconds_of("180s"), Some(180));
        assert_eq!(Duration::seconds_of("500ms"), Some(1));
        for bad in ["", "10", "s", "1d", "1.5s", "-1s"] {
            assert_eq!(Duration::seconds_of(bad), None, "{bad}");
        }
    }
}
