//! The YAML tree every input is read into: each node keeps its source span and, for scalars,
//! the exact spelling and quoting, so types (not YAML 1.1 guesses) decide what a value means.

use crate::diagnostic::Span;

#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    /// An explicit tag, e.g. `!!str`, `!reset` (core-schema tags shortened to `!!name`).
    pub tag: Option<Box<str>>,
}

#[derive(Debug, Clone)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    pub style: Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

impl Node {
    pub fn scalar(text: impl Into<String>, style: Style, span: Span) -> Node {
        Node {
            value: Value::Scalar(Scalar {
                text: text.into(),
                style,
            }),
            span,
            tag: None,
        }
    }

    pub fn map(entries: Vec<(Node, Node)>, span: Span) -> Node {
        Node {
            value: Value::Map(entries),
            span,
            tag: None,
        }
    }

    /// A plain `null`, `~`, or empty value without a tag that says otherwise.
    pub fn is_null(&self) -> bool {
        match &self.value {
            Value::Scalar(s) => {
                s.style == Style::Plain
                    && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
                    && self.tag.as_deref().is_none_or(|t| t == "!!null")
            }
            _ => false,
        }
    }

    /// The text of a scalar node.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Vec<(Node, Node)>> {
        match &mut self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The value under a scalar key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The key node and value node under a scalar key of a mapping.
    pub fn get_entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut()?
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    }

    /// Removes a key from a mapping, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let entries = self.as_map_mut()?;
        let index = entries.iter().position(|(k, _)| k.as_str() == Some(key))?;
        Some(entries.remove(index).1)
    }

    /// Mapping entries where a key given several times keeps its last value, at the place of
    /// its last occurrence: what removing the earlier entry before each push gives, in one pass.
    pub fn keep_last(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        let mut kept: Vec<(Node, Node)> = entries
            .into_iter()
            .rev()
            .filter(|(key, _)| seen.insert(key.as_str().unwrap_or_default().to_string()))
            .collect();
        kept.reverse();
        kept
    }

    /// A short name for the kind of node, for "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Seq(_) => "a list".to_string(),
            Value::Map(_) => "a mapping".to_string(),
            Value::Scalar(_) if self.is_null() => "null".to_string(),
            Value::Scalar(s) => {
                let mut text: String = s.text.chars().take(40).collect();
                if text.len() < s.text.len() {
                    text.push('…');
                }
                format!("`{text}`")
            }
        }
    }

    /// Applies an environment override: mappings merge key by key recursively, scalars and
    /// lists replace, and an explicit `null` removes the key. Linear in the two mappings' sizes
    /// (large ones are matched through a hash index).
    pub fn merge_override(&mut self, patch: &Node) {
        match (&mut self.value, &patch.value) {
            (Value::Map(base), Value::Map(patch_entries)) => {
                if base.len().saturating_mul(patch_entries.len()) <= 256 {
                    merge_small(base, patch_entries);
                } else {
                    merge_indexed(base, patch_entries);
                }
            }
            _ => *self = patch.clone(),
        }
    }

    /// Whether `f` holds for any scalar value below this node (keys excluded).
    pub fn any_scalar(&self, f: &impl Fn(&Scalar) -> bool) -> bool {
        match &self.value {
            Value::Scalar(s) => f(s),
            Value::Seq(items) => items.iter().any(|n| n.any_scalar(f)),
            Value::Map(entries) => entries.iter().any(|(_, v)| v.any_scalar(f)),
        }
    }

    /// `{a:[1,2],b:x}`: the tree in one line, for tests.
    #[cfg(test)]
    pub(crate) fn compact(&self) -> String {
        match &self.value {
            Value::Scalar(s) => s.text.clone(),
            Value::Seq(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Node::compact)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Value::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}:{}", k.compact(), v.compact()))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        }
    }

    /// Calls `f` on every scalar below this node (keys excluded), depth first.
    pub fn for_each_scalar_mut(&mut self, f: &mut impl FnMut(&mut Scalar, Span)) {
        let span = self.span;
        match &mut self.value {
            Value::Scalar(s) => f(s, span),
            Value::Seq(items) => items.iter_mut().for_each(|n| n.for_each_scalar_mut(f)),
            Value::Map(entries) => entries
                .iter_mut()
                .for_each(|(_, v)| v.for_each_scalar_mut(f)),
        }
    }
}

fn merge_small(base: &mut Vec<(Node, Node)>, patch: &[(Node, Node)]) {
    for (key, value) in patch {
        let key_text = key.as_str();
        let existing = base.iter().position(|(k, _)| k.as_str() == key_text);
        match (existing, value.is_null()) {
            (Some(index), true) => {
                base.remove(index);
            }
            (Some(index), false) => base[index].1.merge_override(value),
            (None, true) => {}
            (None, false) => base.push((key.clone(), value.clone())),
        }
    }
}

/// [`merge_small`] through an index of the base's keys: removals are marked, then swept once.
fn merge_indexed(base: &mut Vec<(Node, Node)>, patch: &[(Node, Node)]) {
    let mut index: std::collections::HashMap<String, usize> =
        std::collections::HashMap::with_capacity(base.len());
    for (i, (k, _)) in base.iter().enumerate() {
        index
            .entry(k.as_str().unwrap_or_default().to_string())
            .or_insert(i);
    }
    let mut removed = vec![false; base.len()];
    for (key, value) in patch {
        let text = key.as_str().unwrap_or_default();
        match (index.get(text).copied(), value.is_null()) {
            (Some(i), true) => {
                removed[i] = true;
                index.remove(text);
            }
            (Some(i), false) => base[i].1.merge_override(value),
            (None, true) => {}
            (None, false) => {
                index.insert(text.to_string(), base.len());
                base.push((key.clone(), value.clone()));
                removed.push(false);
            }
        }
    }
    if removed.contains(&true) {
        let mut flags = removed.into_iter();
        base.retain(|_| !flags.next().unwrap_or(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;

    fn parse(text: &str) -> Node {
        parse_str("test.yaml", text).unwrap()
    }

    fn dump(node: &Node) -> String {
        node.compact()
    }

    #[test]
    fn override_merges_maps_and_keeps_untouched_keys() {
        let mut base = parse("resources: {memory: 1Gi, cpu: 250m, memory_limit: 2Gi}\nname: a\n");
        base.merge_override(&parse("resources: {memory: 2Gi}\n"));
        assert_eq!(
            dump(&base),
            "{resources:{memory:2Gi,cpu:250m,memory_limit:2Gi},name:a}"
        );
    }

    #[test]
    fn override_replaces_lists_and_scalars() {
        let mut base = parse("args: [a, b]\nreplicas: 3\n");
        base.merge_override(&parse("args: [c]\nreplicas: 0\n"));
        assert_eq!(dump(&base), "{args:[c],replicas:0}");
    }

    #[test]
    fn explicit_null_removes_a_key() {
        let mut base = parse("ingress: {path: /a, hosts: [x]}\nport: 1\n");
        base.merge_override(&parse("ingress: {hosts: null}\nport: ~\n"));
        assert_eq!(dump(&base), "{ingress:{path:/a}}");
    }

    #[test]
    fn quoted_null_is_a_string_not_a_removal() {
        let mut base = parse("a: 1\n");
        base.merge_override(&parse("a: 'null'\n"));
        assert_eq!(dump(&base), "{a:null}");
        assert!(!base.get("a").unwrap().is_null());
    }

    /// A model of YAML values for the merge property: what the override rule says, written
    /// independently of `merge_override`.
    #[derive(Debug, Clone, PartialEq)]
    enum Tree {
        Null,
        Scalar(String),
        List(Vec<String>),
        Map(std::collections::BTreeMap<String, Tree>),
    }

    fn tree() -> impl proptest::strategy::Strategy<Value = Tree> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Tree::Null),
            "[a-z0-9]{0,3}".prop_map(Tree::Scalar),
            proptest::collection::vec("[a-z]{1,2}", 0..3).prop_map(Tree::List),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            proptest::collection::btree_map("[a-e]", inner, 0..4).prop_map(Tree::Map)
        })
    }

    fn yaml(t: &Tree) -> String {
        match t {
            Tree::Null => "null".to_string(),
            Tree::Scalar(s) => format!("'{s}'"),
            Tree::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(|i| format!("'{i}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Tree::Map(m) => format!(
                "{{{}}}",
                m.iter()
                    .map(|(k, v)| format!("{k}: {}", yaml(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn back(node: &Node) -> Tree {
        match &node.value {
            _ if node.is_null() => Tree::Null,
            Value::Scalar(s) => Tree::Scalar(s.text.clone()),
            Value::Seq(items) => Tree::List(
                items
                    .iter()
                    .map(|i| i.as_str().unwrap().to_string())
                    .collect(),
            ),
            Value::Map(entries) => Tree::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap().to_string(), back(v)))
                    .collect(),
            ),
        }
    }

    /// Mappings merge key by key recursively, scalars and lists replace, `null` removes.
    fn rule(base: &Tree, patch: &Tree) -> Tree {
        match (base, patch) {
            (Tree::Map(b), Tree::Map(p)) => {
                let mut merged = b.clone();
                for (key, value) in p {
                    match (merged.get(key), value) {
                        (_, Tree::Null) => {
                            merged.remove(key);
                        }
                        (Some(existing), _) => {
                            let next = rule(existing, value);
                            merged.insert(key.clone(), next);
                        }
                        (None, _) => {
                            merged.insert(key.clone(), value.clone());
                        }
                    }
                }
                Tree::Map(merged)
            }
            (_, patch) => patch.clone(),
        }
    }

    proptest::proptest! {
        #[test]
        fn merge_follows_the_override_rule(base in tree(), patch in tree()) {
            let mut merged = parse(&format!("v: {}", yaml(&base))).remove("v").unwrap();
            let patch_node = parse(&format!("v: {}", yaml(&patch))).remove("v").unwrap();
            let mut indexed = merged.clone();
            merged.merge_override(&patch_node);
            proptest::prop_assert_eq!(back(&merged), rule(&base, &patch));
            // The hash-indexed path large mappings take gives the same result at the top.
            if let (Value::Map(b), Value::Map(p)) = (&mut indexed.value, &patch_node.value) {
                merge_indexed(b, p);
                proptest::prop_assert_eq!(back(&indexed), rule(&base, &patch));
            }
        }
    }

    #[test]
    fn large_overrides_take_the_indexed_path_and_follow_the_rule() {
        // Timings are scripts/size-test's; this checks what the indexed path does.
        let keys = |n: usize, value: &str| -> String {
            (0..n).map(|i| format!("k{i}: {value}\n")).collect()
        };
        let mut base = parse(&keys(5_000, "a"));
        let mut patch_text = keys(5_000, "b");
        patch_text.push_str("k0x: c\n");
        let patch = parse(&patch_text.replace("k7: b", "k7: null"));
        base.merge_override(&patch);
        let map = base.as_map().unwrap();
        assert_eq!(map.len(), 5_000);
        assert_eq!(base.get("k1").unwrap().as_str(), Some("b"));
        assert!(base.get("k7").is_none());
        assert_eq!(map.last().unwrap().0.as_str(), Some("k0x"));
    }
}
