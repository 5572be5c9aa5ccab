//! A count or a percentage (`1`, `50%`), as PodDisruptionBudgets and rolling updates take.

use serde::{Deserialize, Deserializer, Serialize, de};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum IntOrPercent {
    Int(u32),
    Percent(u32),
}

impl IntOrPercent {
    pub fn parse(text: &str) -> Result<IntOrPercent, String> {
        if let Some(number) = text.strip_suffix('%') {
            match number.parse::<u32>() {
                Ok(p) if p <= 100 => Ok(IntOrPercent::Percent(p)),
                _ => Err(format!("invalid percentage `{text}`: expected 0% to 100%")),
            }
        } else {
            text.parse::<u32>()
                .map(IntOrPercent::Int)
                .map_err(|_| format!("expected a whole number or a percentage, found `{text}`"))
        }
    }

    /// The Kubernetes IntOrString form.
    pub fn to_int_or_string(&self) -> k8s_openapi::apimachinery::pkg::util::intstr::IntOrString {
        use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
        match self {
            IntOrPercent::Int(n) => IntOrString::Int(i32::try_from(*n).unwrap_or(i32::MAX)),
            IntOrPercent::Percent(p) => IntOrString::String(format!("{p}%")),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrPercent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<IntOrPercent, D::Error> {
        let text = String::deserialize(deserializer)?;
        IntOrPercent::parse(&text).map_err(de::Error::custom)
    }
}

impl schemars::JsonSchema for IntOrPercent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IntOrPercent".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": "^[0-9]+%$" }
            ]
        })
    }
}
