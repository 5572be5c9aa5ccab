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
    /// ConfigMap name (exactly one of `secret`, `configmap`, `field`).
    pub configmap: Option<String>,
    /// Pod field, e.g. `metadata.name`, `status.podIP`.
    pub field: Option<String>,
    /// Key in the Secret or ConfigMap.
    pub key: Option<String>,
    /// Start the container even if the Secret/ConfigMap or key is missing. Default: false.
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
    /// Secret whose keys all become variables.
    pub secret: Option<Spanned<String>>,
    /// ConfigMap whose keys all become variables.
    pub configmap: Option<Spanned<String>>,
    /// With `name`: `secret` or `configmap` (the other spelling of `secret:`/`configmap:`).
    #[serde(rename = "type")]
    pub kind: Option<Spanned<RefKind>>,
    /// With `type`: the Secret's or ConfigMap's name.
    pub name: Option<Spanned<String>>,
    /// Prefix added to every imported variable name, e.g. `DB_`.
    pub prefix: Option<String>,
    /// Start the container even if the Secret/ConfigMap is missing. Default: false.
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RefKind {
    /// A Secret.
    Secret,
    /// A ConfigMap.
    Configmap,
}

/// `env_refs:` — one variable from one key of a Secret or ConfigMap.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvRef {
    /// Variable name in the container.
    pub name: Spanned<String>,
    /// `secret` or `configmap`.
    pub from: Spanned<RefKind>,
    /// With `from: secret`: the Secret's name.
    pub secret_name: Option<Spanned<String>>,
    /// With `from: configmap`: the ConfigMap's name.
    pub configmap_name: Option<Spanned<String>>,
    /// Key whose value the variable gets.
    pub key: Spanned<String>,
    /// Start the container even if the key is missing. Default: false.
    pub optional: Option<bool>,
}
