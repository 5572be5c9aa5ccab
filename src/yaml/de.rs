//! A serde `Deserializer` over [`Node`]s: the Rust type decides how a scalar is read (a plain
//! `yes` is the string "yes" for a `String` field, never a boolean), and every error carries the
//! span and field path of the node it concerns.
//!
//! [`from_node`] reports every problem in a tree, not only the first: after an error it removes
//! the offending node and tries again, so one run lists all unknown keys and wrong values.

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::node::{Node, Style, Value};
use crate::diagnostic::{Code, Diagnostic, Span, did_you_mean};

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// Renders `root` plus segments as `apps.web.ports[0].name`.
pub fn path_string(root: &str, segs: &[PathSeg]) -> String {
    let mut out = root.to_string();
    for seg in segs {
        match seg {
            PathSeg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            PathSeg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[derive(Debug)]
pub struct DeError {
    pub code: Code,
    pub message: String,
    pub span: Option<Span>,
    pub path: Vec<PathSeg>,
    pub help: Option<String>,
    /// Set for "missing field" errors: the field that is missing.
    pub missing: Option<&'static str>,
}

impl DeError {
    fn new(code: Code, message: impl Into<String>) -> DeError {
        DeError {
            code,
            message: message.into(),
            span: None,
            path: Vec::new(),
            help: None,
            missing: None,
        }
    }

    fn with_help(mut self, help: Option<String>) -> DeError {
        self.help = help;
        self
    }

    /// The diagnostic for this error, with `root` naming the tree (e.g. `apps.web`).
    pub fn to_diagnostic(&self, root: &str) -> Diagnostic {
        let mut d = Diagnostic::error(self.code, self.message.clone()).at_opt(self.span);
        let field = path_string(root, &self.path);
        if !field.is_empty() {
            d = d.field(field);
        }
        if let Some(help) = &self.help {
            d = d.help(help.clone());
        }
        d
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> DeError {
        DeError::new(Code::BadValue, msg.to_string())
    }

    fn missing_field(field: &'static str) -> DeError {
        let mut e = DeError::new(Code::MissingKey, format!("missing required key `{field}`"));
        e.missing = Some(field);
        e
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> DeError {
        unknown_value(variant, expected)
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> DeError {
        unknown_key(field, expected)
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> DeError {
        let found = match unexp {
            de::Unexpected::Unit | de::Unexpected::Option => "null".to_string(),
            de::Unexpected::Seq => "a list".to_string(),
            de::Unexpected::Map => "a mapping".to_string(),
            de::Unexpected::Str(s) => format!("`{s}`"),
            other => other.to_string(),
        };
        DeError::new(Code::WrongType, format!("expected {exp}, found {found}"))
    }
}

fn unknown_key(key: &str, expected: &[&str]) -> DeError {
    let help = did_you_mean(key, expected.iter().copied())
        .map(|s| format!("did you mean `{s}`?"))
        .or_else(|| {
            (!expected.is_empty() && expected.len() <= 12)
                .then(|| format!("expected one of: {}", expected.join(", ")))
        });
    DeError::new(Code::UnknownKey, format!("unknown key `{key}`")).with_help(help)
}

fn unknown_value(value: &str, expected: &[&str]) -> DeError {
    let help =
        did_you_mean(value, expected.iter().copied()).map(|s| format!("did you mean `{s}`?"));
    DeError::new(
        Code::BadValue,
        format!(
            "unknown value `{value}`, expected one of: {}",
            expected.join(", ")
        ),
    )
    .with_help(help)
}

fn wrong_type(expected: &str, node: &Node) -> DeError {
    DeError::new(
        Code::WrongType,
        format!("expected {expected}, found {}", node.describe()),
    )
}

/// The path from the root of a deserialization to the current node, kept on the stack.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn to_vec(self) -> Vec<PathSeg> {
        let mut segs = Vec::new();
        let mut current = self;
        loop {
            match current {
                Path::Root => break,
                Path::Key(parent, key) => {
                    segs.push(PathSeg::Key(key.to_string()));
                    current = *parent;
                }
                Path::Index(parent, index) => {
                    segs.push(PathSeg::Index(index));
                    current = *parent;
                }
            }
        }
        segs.reverse();
        segs
    }
}

/// Deserializes one node (and everything below it).
pub struct NodeDe<'n, 'p> {
    node: &'n Node,
    path: Path<'p>,
}

impl<'n> NodeDe<'n, 'static> {
    pub fn new(node: &'n Node) -> NodeDe<'n, 'static> {
        NodeDe {
            node,
            path: Path::Root,
        }
    }
}

impl NodeDe<'_, '_> {
    /// Gives an error that has no place yet the place of this node.
    fn locate(&self, mut e: DeError) -> DeError {
        if e.span.is_none() {
            e.span = Some(self.node.span);
            e.path = self.path.to_vec();
        }
        e
    }

    fn fail(&self, e: DeError) -> DeError {
        self.locate(e)
    }

    fn scalar(&self, expected: &str) -> Result<&str, DeError> {
        match &self.node.value {
            Value::Scalar(s) if !self.node.is_null() => Ok(&s.text),
            _ => Err(self.fail(wrong_type(expected, self.node))),
        }
    }

    /// A string-typed scalar: quoted, block, or tagged `!!str`.
    fn is_string_scalar(&self) -> bool {
        match &self.node.value {
            Value::Scalar(s) => {
                s.style != Style::Plain || self.node.tag.as_deref() == Some("!!str")
            }
            _ => false,
        }
    }

    fn integer(&self) -> Result<i128, DeError> {
        let text = self.scalar("an integer")?;
        parse_int(text).ok_or_else(|| self.fail(wrong_type("an integer", self.node)))
    }

    fn float(&self) -> Result<f64, DeError> {
        let text = self.scalar("a number")?;
        parse_float(text).ok_or_else(|| self.fail(wrong_type("a number", self.node)))
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn parse_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = digits.strip_prefix("0o") {
        i128::from_str_radix(oct, 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -value } else { value })
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && text.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric {
        text.parse().ok()
    } else {
        None
    }
}

macro_rules! deserialize_integer {
    ($method:ident, $ty:ty, $visit:ident, $wide:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let value = self.integer()?;
            let narrowed = <$ty>::try_from(value).map_err(|_| {
                self.fail(DeError::new(
                    Code::WrongType,
                    format!(
                        "{value} is out of range (expected {} to {})",
                        <$ty>::MIN,
                        <$ty>::MAX
                    ),
                ))
            })?;
            visitor
                .$visit(narrowed as $wide)
                .map_err(|e| self.locate(e))
        }
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'_, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.value {
            Value::Seq(_) => return self.deserialize_seq(visitor),
            Value::Map(_) => return self.deserialize_map(visitor),
            Value::Scalar(_) if self.node.is_null() => visitor.visit_unit(),
            Value::Scalar(s) if self.is_string_scalar() => visitor.visit_str(&s.text),
            Value::Scalar(s) => {
                if let Some(b) = parse_bool(&s.text) {
                    visitor.visit_bool(b)
                } else if let Some(i) = parse_int(&s.text) {
                    match (i64::try_from(i), u64::try_from(i)) {
                        (Ok(i), _) => visitor.visit_i64(i),
                        (_, Ok(u)) => visitor.visit_u64(u),
                        _ => visitor.visit_str(&s.text),
                    }
                } else if let Some(f) = parse_float(&s.text) {
                    visitor.visit_f64(f)
                } else {
                    visitor.visit_str(&s.text)
                }
            }
        };
        result.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let text = self.scalar("true or false")?;
        match parse_bool(text) {
            Some(b) => visitor.visit_bool(b).map_err(|e| self.locate(e)),
            None => Err(self.fail(wrong_type("true or false", self.node))),
        }
    }

    deserialize_integer!(deserialize_i8, i8, visit_i64, i64);
    deserialize_integer!(deserialize_i16, i16, visit_i64, i64);
    deserialize_integer!(deserialize_i32, i32, visit_i64, i64);
    deserialize_integer!(deserialize_i64, i64, visit_i64, i64);
    deserialize_integer!(deserialize_u8, u8, visit_u64, u64);
    deserialize_integer!(deserialize_u16, u16, visit_u64, u64);
    deserialize_integer!(deserialize_u32, u32, visit_u64, u64);
    deserialize_integer!(deserialize_u64, u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let value = self.float()?;
        visitor.visit_f64(value).map_err(|e| self.locate(e))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    /// Scalars arrive as their exact text. Lists and mappings go to `visit_seq`/`visit_map`, so
    /// a type that is "a string or a mapping" reads its scalars without any number or boolean
    /// guessing; a plain `String` still rejects them ("expected a string, found a mapping").
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Seq(_) => self.deserialize_seq(visitor),
            Value::Map(_) => self.deserialize_map(visitor),
            _ if self.node.is_null() => visitor.visit_unit().map_err(|e| self.locate(e)),
            Value::Scalar(s) => visitor.visit_str(&s.text).map_err(|e| self.locate(e)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_none().map_err(|e| self.locate(e))
        } else {
            let (node, path) = (self.node, self.path);
            visitor
                .visit_some(NodeDe { node, path })
                .map_err(|e| NodeDe { node, path }.locate(e))
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            visitor.visit_unit().map_err(|e| self.locate(e))
        } else {
            Err(self.fail(wrong_type("null", self.node)))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        visitor
            .visit_newtype_struct(NodeDe { node, path })
            .map_err(|e| NodeDe { node, path }.locate(e))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let Value::Seq(items) = &self.node.value else {
            return Err(self.fail(wrong_type("a list", self.node)));
        };
        let access = SeqDe {
            items: items.iter().enumerate(),
            path: self.path,
        };
        visitor.visit_seq(access).map_err(|e| self.locate(e))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let Value::Map(entries) = &self.node.value else {
            return Err(self.fail(wrong_type("a mapping", self.node)));
        };
        let access = MapDe {
            entries: entries.iter(),
            value: None,
            path: self.path,
            fields: None,
        };
        visitor.visit_map(access).map_err(|e| self.locate(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == super::spanned::SPANNED_NAME {
            let access = super::spanned::SpannedAccess::new(self.node.span, self);
            return visitor.visit_map(access);
        }
        let Value::Map(entries) = &self.node.value else {
            return Err(self.fail(wrong_type("a mapping", self.node)));
        };
        let access = MapDe {
            entries: entries.iter(),
            value: None,
            path: self.path,
            fields: Some(fields),
        };
        visitor.visit_map(access).map_err(|e| self.locate(e))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (variant_node, content) = match &self.node.value {
            Value::Scalar(_) if !self.node.is_null() => (self.node, None),
            Value::Map(entries) if entries.len() == 1 => (&entries[0].0, Some(&entries[0].1)),
            _ => {
                return Err(self.fail(wrong_type(
                    &format!("one of: {}", variants.join(", ")),
                    self.node,
                )));
            }
        };
        let variant = variant_node.as_str().unwrap_or_default();
        if !variants.contains(&variant) {
            let e = unknown_value(variant, variants);
            return Err(NodeDe {
                node: variant_node,
                path: self.path,
            }
            .locate(e));
        }
        let access = EnumDe {
            variant,
            content,
            path: self.path,
            node: self.node,
        };
        visitor.visit_enum(access).map_err(|e| self.locate(e))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'n, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'n, Node>>,
    path: Path<'p>,
}

impl<'de> SeqAccess<'de> for SeqDe<'_, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        let de = NodeDe {
            node,
            path: Path::Index(&self.path, index),
        };
        let path = Path::Index(&self.path, index);
        seed.deserialize(de)
            .map(Some)
            .map_err(|e| NodeDe { node, path }.locate(e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapDe<'n, 'p> {
    entries: std::slice::Iter<'n, (Node, Node)>,
    value: Option<(&'n Node, &'n Node)>,
    path: Path<'p>,
    /// For structs: the keys the type knows; any other key is an error.
    fields: Option<&'static [&'static str]>,
}

impl<'de> MapAccess<'de> for MapDe<'_, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        if let Some(fields) = self.fields {
            let text = key.as_str().unwrap_or_default();
            if !fields.contains(&text) {
                let mut e = unknown_key(text, fields);
                e.span = Some(key.span);
                e.path = Path::Key(&self.path, text).to_vec();
                return Err(e);
            }
        }
        self.value = Some((key, value));
        let de = NodeDe {
            node: key,
            path: self.path,
        };
        seed.deserialize(de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (key, value) = self.value.take().expect("value follows key");
        let key_text = key.as_str().unwrap_or_default();
        let path = Path::Key(&self.path, key_text);
        let de = NodeDe { node: value, path };
        seed.deserialize(de)
            .map_err(|e| NodeDe { node: value, path }.locate(e))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

struct EnumDe<'n, 'p> {
    variant: &'n str,
    content: Option<&'n Node>,
    path: Path<'p>,
    node: &'n Node,
}

impl<'de, 'n, 'p> EnumAccess<'de> for EnumDe<'n, 'p> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, self))
    }
}

impl<'de> VariantAccess<'de> for EnumDe<'_, '_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.content {
            None => Ok(()),
            Some(node) if node.is_null() => Ok(()),
            Some(node) => Err(NodeDe {
                node,
                path: self.path,
            }
            .fail(wrong_type("nothing after this value", node))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        let node = self.content.unwrap_or(self.node);
        let path = Path::Key(&self.path, self.variant);
        seed.deserialize(NodeDe { node, path })
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        let node = self.content.unwrap_or(self.node);
        let path = Path::Key(&self.path, self.variant);
        de::Deserializer::deserialize_seq(NodeDe { node, path }, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let node = self.content.unwrap_or(self.node);
        let path = Path::Key(&self.path, self.variant);
        de::Deserializer::deserialize_struct(NodeDe { node, path }, "", fields, visitor)
    }
}

/// Deserializes a whole tree, reporting every problem in it: after each error the offending
/// node is removed and deserialization runs again (at most 64 times). `root` names the tree in
/// messages (e.g. `apps.web`). Returns the value only when there was no error.
pub fn from_node<T: DeserializeOwned>(node: &Node, root: &str) -> Result<T, Vec<Diagnostic>> {
    let first = match T::deserialize(NodeDe::new(node)) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let mut diagnostics = vec![first.to_diagnostic(root)];
    let mut removed: BTreeSet<Vec<PathSeg>> = BTreeSet::new();
    let mut current = node.clone();
    let mut error = first;
    for _ in 0..64 {
        // A missing key is fixed by removing the mapping that lacks it; anything else by
        // removing the node itself.
        if error.path.is_empty()
            || !removed.insert(error.path.clone())
            || !remove_at(&mut current, &error.path)
        {
            break;
        }
        match T::deserialize(NodeDe::new(&current)) {
            Ok(_) => break,
            Err(next) => {
                let caused_by_removal = next.missing.is_some_and(|field| {
                    let mut path = next.path.clone();
                    path.push(PathSeg::Key(field.to_string()));
                    removed.contains(&path)
                });
                if !caused_by_removal {
                    diagnostics.push(next.to_diagnostic(root));
                }
                error = next;
            }
        }
    }
    Err(diagnostics)
}

/// Deserializes without the retry loop; for callers that only want the first problem.
pub fn from_node_first<T: DeserializeOwned>(node: &Node) -> Result<T, DeError> {
    T::deserialize(NodeDe::new(node))
}

fn remove_at(node: &mut Node, path: &[PathSeg]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut current = node;
    for seg in parents {
        let next = match (seg, &mut current.value) {
            (PathSeg::Key(k), Value::Map(entries)) => entries
                .iter_mut()
                .find(|(key, _)| key.as_str() == Some(k))
                .map(|(_, v)| v),
            (PathSeg::Index(i), Value::Seq(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(n) => current = n,
            None => return false,
        }
    }
    match (last, &mut current.value) {
        (PathSeg::Key(k), Value::Map(entries)) => {
            let before = entries.len();
            entries.retain(|(key, _)| key.as_str() != Some(k));
            entries.len() != before
        }
        (PathSeg::Index(i), Value::Seq(items)) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct App {
        name: String,
        #[serde(default)]
        replicas: Option<u32>,
        #[serde(default)]
        enabled: Option<bool>,
        #[serde(default)]
        environment: BTreeMap<String, String>,
        #[serde(default)]
        scaling: Option<Scaling>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Scaling {
        #[serde(rename = "type")]
        kind: Kind,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "kebab-case")]
    enum Kind {
        Hpa,
        KedaHttp,
    }

    fn load(text: &str) -> Result<App, Vec<Diagnostic>> {
        from_node(&parse_str("t.yaml", text).unwrap(), "apps.web")
    }

    #[test]
    fn plain_scalars_become_strings_exactly_as_written() {
        let app =
            load("name: web\nenvironment: {PORT: 8080, DEBUG: true, V: 1.10, Y: yes, Z: 012}\n")
                .unwrap();
        let env: Vec<_> = app.environment.values().map(String::as_str).collect();
        assert_eq!(env, ["true", "8080", "1.10", "yes", "012"]);
    }

    #[test]
    fn zero_stays_zero_and_booleans_are_strict() {
        let app = load("name: web\nreplicas: 0\nenabled: false\n").unwrap();
        assert_eq!(app.replicas, Some(0));
        assert_eq!(app.enabled, Some(false));
        let errors = load("name: web\nenabled: yes\n").unwrap_err();
        assert_eq!(errors[0].code, Code::WrongType);
        assert_eq!(errors[0].field.as_deref(), Some("apps.web.enabled"));
    }

    #[test]
    fn every_problem_is_reported_with_place_and_field() {
        let errors = load(
            "name: web\nreplics: 2\nscaling:\n  type: keda-htpp\nenviroment: {}\nreplicas: many\n",
        )
        .unwrap_err();
        let summary: Vec<_> = errors
            .iter()
            .map(|d| {
                (
                    d.code.as_str(),
                    d.span.unwrap().location(),
                    d.field.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "unknown-key",
                    "t.yaml:2:1".to_string(),
                    "apps.web.replics".to_string()
                ),
                (
                    "bad-value",
                    "t.yaml:4:9".to_string(),
                    "apps.web.scaling.type".to_string()
                ),
                (
                    "unknown-key",
                    "t.yaml:5:1".to_string(),
                    "apps.web.enviroment".to_string()
                ),
                (
                    "wrong-type",
                    "t.yaml:6:11".to_string(),
                    "apps.web.replicas".to_string()
                ),
            ]
        );
        assert_eq!(errors[0].help, ["did you mean `replicas`?"]);
        assert_eq!(errors[1].help, ["did you mean `keda-http`?"]);
    }

    #[test]
    fn missing_keys_point_at_the_mapping() {
        let errors = load("replicas: 1\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, Code::MissingKey);
        assert!(errors[0].message.contains("`name`"));
    }

    #[test]
    fn removing_a_bad_required_value_does_not_add_a_missing_key_error() {
        let errors = load("name: [a]\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, Code::WrongType);
    }
}
