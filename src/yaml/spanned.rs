//! `Spanned<T>`: a deserialized value together with where it was written, so checks that run
//! after deserialization (quantities, cron, names) can still point at the line.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::de::{DeError, NodeDe};
use crate::diagnostic::{FileId, Span};

/// The struct name [`NodeDe`] recognises to hand over a span alongside the value.
pub(crate) const SPANNED_NAME: &str = "$k3s::Spanned";
const FIELDS: &[&str] = &["$file", "$start", "$end", "$value"];

#[derive(Clone)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }

    /// A value k3s supplies itself; its span names the built-in defaults.
    pub fn builtin(value: T) -> Spanned<T> {
        Spanned {
            value,
            span: Span::new(FileId::builtin(), 0, 0),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Spanned<U> {
        Spanned {
            value: f(self.value),
            span: self.span,
        }
    }

    pub fn as_ref(&self) -> Spanned<&T> {
        Spanned {
            value: &self.value,
            span: self.span,
        }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Spanned<T>) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T: PartialOrd> PartialOrd for Spanned<T> {
    fn partial_cmp(&self, other: &Spanned<T>) -> Option<std::cmp::Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl<T: Ord> Ord for Spanned<T> {
    fn cmp(&self, other: &Spanned<T>) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

impl<T: schemars::JsonSchema> schemars::JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Spanned<T>, D::Error> {
        deserializer.deserialize_struct(SPANNED_NAME, FIELDS, SpannedVisitor(PhantomData))
    }
}

struct SpannedVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for SpannedVisitor<T> {
    type Value = Spanned<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value read by k3s's YAML reader")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spanned<T>, A::Error> {
        let mut file = None;
        let mut start = None;
        let mut end = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "$file" => file = Some(map.next_value::<u32>()?),
                "$start" => start = Some(map.next_value::<u32>()?),
                "$end" => end = Some(map.next_value::<u32>()?),
                "$value" => {
                    let value = map.next_value::<T>()?;
                    let (Some(file), Some(start), Some(end)) = (file, start, end) else {
                        return Err(de::Error::custom("span must precede the value"));
                    };
                    let span = Span::new(FileId::from_raw(file), start as usize, end as usize);
                    return Ok(Spanned { value, span });
                }
                other => return Err(de::Error::unknown_field(other, FIELDS)),
            }
        }
        Err(de::Error::missing_field("$value"))
    }
}

/// Feeds a [`SpannedVisitor`] the span fields and then the value itself.
pub(crate) struct SpannedAccess<'n, 'p> {
    span: Span,
    step: usize,
    value: Option<NodeDe<'n, 'p>>,
}

impl<'n, 'p> SpannedAccess<'n, 'p> {
    pub(crate) fn new(span: Span, value: NodeDe<'n, 'p>) -> SpannedAccess<'n, 'p> {
        SpannedAccess {
            span,
            step: 0,
            value: Some(value),
        }
    }
}

impl<'de> MapAccess<'de> for SpannedAccess<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(key) = FIELDS.get(self.step) else {
            return Ok(None);
        };
        seed.deserialize((*key).into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let step = self.step;
        self.step += 1;
        match step {
            0 => seed.deserialize(self.span.file.raw().into_deserializer()),
            1 => seed.deserialize(self.span.start.into_deserializer()),
            2 => seed.deserialize(self.span.end.into_deserializer()),
            _ => seed.deserialize(self.value.take().expect("value is read once")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{from_node, parse_str};

    #[derive(Deserialize)]
    struct Probe {
        memory: Spanned<String>,
        ports: Vec<Spanned<u16>>,
    }

    #[test]
    fn spanned_values_know_where_they_were_written() {
        let node = parse_str("s.yaml", "memory: 512mb\nports: [80, 443]\n").unwrap();
        let probe: Probe = from_node(&node, "").unwrap();
        assert_eq!(probe.memory.value, "512mb");
        assert_eq!(probe.memory.span.location(), "s.yaml:1:9");
        assert_eq!(*probe.ports[1], 443);
        assert_eq!(probe.ports[1].span.location(), "s.yaml:2:13");
    }
}
