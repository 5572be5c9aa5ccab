//! `environment:`, `env_from:` and `env_refs:` — a container's environment variables, literal or
//! taken from Secrets and ConfigMaps.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::{self, value::MapAccessDeserializer};
use serde::{Deserialize, Deserializer};

use crate::yaml::Spanned;

/// Variables by name. Numbers and booleans are kept as written (`8080`, `true`, `1.10`).
pub type Environment = BTreeMap<String, Spanned<EnvValue>>;

/// A literal value, or a reference to a key of a Secret or ConfigMap.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(untagged)]
pub enum EnvValue {
    Literal(String),
    Reference(EnvReference),
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvReference {
    /// Secret name (exactly one of `secret`, `configmap`, `field`).
    pub secret: Option<String>,
    pub configmap: Option<String>,
    /// Pod field, e.g. `metadata.name`, `status.podIP`.
    pub field: Option<String>,
    /// Key in the Secret or ConfigMap.
    pub key: Option<String>,
    pub optional: Option<bool>,
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EnvValue, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = EnvValue;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a value or a {secret|configmap|field, key} reference")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::Literal(v.to_string()))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<EnvValue, A::Error> {
                EnvReference::deserialize(MapAccessDeserializer::new(map)).map(EnvValue::Reference)
            }
        }
        // Scalars arrive exactly as written, so `8080` stays "8080" and `1.10` stays "1.10".
        deserializer.deserialize_str(Visitor)
    }
}

/// `env_from:` — import every key of a Secret or ConfigMap. Both spellings of seed 001 work:
/// `{secret: name}` / `{configmap: name}` and `{type: secret, name: name}`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvFrom {
    pub secret: Option<Spanned<String>>,
    pub configmap: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub kind: Option<Spanned<RefKind>>,
    pub name: Option<Spanned<String>>,
    pub prefix: Option<String>,
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RefKind {
    Secret,
    Configmap,
}

/// `env_refs:` — one variable from one key of a Secret or ConfigMap.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvRef {
    pub name: Spanned<String>,
    pub from: Spanned<RefKind>,
    pub secret_name: Option<Spanned<String>>,
    pub configmap_name: Option<Spanned<String>>,
    pub key: Spanned<String>,
    pub optional: Option<bool>,
}
