//! The key names a config struct accepts, read from its serde derive, so the loader can tell
//! an environment block from a misspelt field without a second hand-kept list.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeOwned, Visitor};

/// Field names of `T` (a struct deriving `Deserialize`).
pub fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let probe = Probe(Cell::new(&[]));
    let _ = T::deserialize(&probe);
    probe.0.get()
}

struct Probe(Cell<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Stop {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for &Probe {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0.set(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_of_an_entry_type() {
        let fields = struct_fields::<crate::config::AppEntry>();
        assert!(fields.contains(&"name"));
        assert!(fields.contains(&"pod_disruption_budget"));
        assert!(!fields.contains(&"gcp"));
    }
}
