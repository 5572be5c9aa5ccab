//! A field that is either `true`/`false` or a mapping of settings, as in
//! `network_policy: true` versus `network_policy: {enabled: true, allow_from: [...]}`.

use serde::de::{self, DeserializeOwned, value::MapAccessDeserializer};
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum BoolOr<T> {
    Bool(bool),
    Settings(T),
}

impl<T: Default + Clone> BoolOr<T> {
    /// The settings, or defaults when only `true`/`false` was given.
    pub fn settings(&self) -> T {
        match self {
            BoolOr::Bool(_) => T::default(),
            BoolOr::Settings(t) => t.clone(),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for BoolOr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: DeserializeOwned> de::Visitor<'de> for Visitor<T> {
            type Value = BoolOr<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("true, false, or a mapping of settings")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "true" | "True" | "TRUE" => Ok(BoolOr::Bool(true)),
                    "false" | "False" | "FALSE" => Ok(BoolOr::Bool(false)),
                    _ => Err(de::Error::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(BoolOr::Bool(v))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(BoolOr::Settings)
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for BoolOr<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("BoolOr_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let settings = generator.subschema_for::<T>();
        schemars::json_schema!({ "anyOf": [{ "type": "boolean" }, settings] })
    }
}
