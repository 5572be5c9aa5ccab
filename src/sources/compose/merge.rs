//! The Compose Specification's merge rules on long-form Node trees (later files, `extends`),
//! including `!reset` and `!override`. Expects short syntax already normalized; reads no files.
//! Linear in the sizes merged: large mappings and lists are matched through a hash index. The
//! recursion follows the trees, which the YAML reader bounds to `MAX_DEPTH` levels.

use std::collections::{HashMap, HashSet};

use crate::yaml::{Node, Value};

pub const RESET: &str = "!reset";
pub const OVERRIDE: &str = "!override";

/// Merges a whole compose document into another (`over` is the later file).
pub fn merge_documents(base: &mut Node, over: &Node) {
    let (Some(_), Some(over_entries)) = (base.as_map(), over.as_map()) else {
        *base = over.clone();
        return;
    };
    let entries = base.as_map_mut().expect("checked above");
    merge_entries(entries, over_entries, true, |name, base, over| {
        if name == "services" {
            merge_services(base, over);
        } else {
            merge_at(base, over, &[name]);
        }
    });
}

fn merge_services(base: &mut Node, over: &Node) {
    let Some(over_entries) = over.as_map() else {
        *base = over.clone();
        return;
    };
    if base.as_map().is_none() {
        *base = over.clone();
        return;
    }
    let entries = base.as_map_mut().expect("checked above");
    merge_entries(entries, over_entries, false, |_, base, over| {
        merge_service(base, over);
    });
}

/// Merges mapping entries key by key: an `!reset` value removes the key, an existing key is
/// merged by `merge`, a new one appended (a new `!reset` one too unless `skip_new_reset`;
/// [`strip_merge_tags`] drops it later). Large mappings go through a hash index, and removals
/// are swept once at the end, so the cost is linear.
fn merge_entries(
    entries: &mut Vec<(Node, Node)>,
    over: &[(Node, Node)],
    skip_new_reset: bool,
    mut merge: impl FnMut(&str, &mut Node, &Node),
) {
    let mut index: Option<HashMap<String, usize>> =
        (entries.len().saturating_mul(over.len()) > 256).then(|| {
            let mut index = HashMap::with_capacity(entries.len());
            for (i, (k, _)) in entries.iter().enumerate() {
                index
                    .entry(k.as_str().unwrap_or_default().to_string())
                    .or_insert(i);
            }
            index
        });
    let mut removed: Vec<bool> = Vec::new();
    for (key, value) in over {
        let name = key.as_str().unwrap_or_default();
        let existing = match &index {
            Some(index) => index.get(name).copied(),
            None => entries.iter().enumerate().position(|(i, (k, _))| {
                k.as_str() == Some(name) && !removed.get(i).copied().unwrap_or(false)
            }),
        };
        match existing {
            Some(i) if has_tag(value, RESET) => {
                removed.resize(entries.len(), false);
                removed[i] = true;
                if let Some(index) = &mut index {
                    index.remove(name);
                }
            }
            Some(i) => merge(name, &mut entries[i].1, value),
            None if skip_new_reset && has_tag(value, RESET) => {}
            None => {
                if let Some(index) = &mut index {
                    index.insert(name.to_string(), entries.len());
                }
                entries.push((key.clone(), value.clone()));
            }
        }
    }
    if removed.contains(&true) {
        removed.resize(entries.len(), false);
        let mut flags = removed.into_iter();
        entries.retain(|_| !flags.next().unwrap_or(false));
    }
}

/// Merges one service over another (a later file, or a service over the one it extends).
pub fn merge_service(base: &mut Node, over: &Node) {
    if base.is_null() {
        *base = Node::map(Vec::new(), base.span);
    }
    merge_at(base, over, &[SERVICE]);
}

/// Marks the path segment that stands for "one service".
const SERVICE: &str = "<service>";

#[derive(Clone, Copy)]
enum Rule {
    /// Mappings merge key by key, sequences append (skipping scalars already present).
    Merge,
    Replace,
    /// Sequence entries with the same key replace each other; others append.
    UniqueBy(fn(&Node) -> Option<String>),
    Logging,
}

/// The rule for a path below a service: mappings merge and sequences append, except `command`,
/// `entrypoint` and `healthcheck.test` (replace) and the unique resources (`ports` by
/// `{host_ip, target, published, protocol}`, `volumes`/`secrets`/`configs` by target).
fn rule(path: &[&str]) -> Rule {
    match path {
        [SERVICE, "command" | "entrypoint"] | [SERVICE, "healthcheck", "test"] => Rule::Replace,
        [SERVICE, "post_start" | "pre_stop", _, "command"] => Rule::Replace,
        [SERVICE, "ports"] => Rule::UniqueBy(port_key),
        [SERVICE, "volumes"] => Rule::UniqueBy(volume_key),
        [SERVICE, "secrets"] => Rule::UniqueBy(|n| file_ref_key(n, "/run/secrets/")),
        [SERVICE, "configs"] => Rule::UniqueBy(|n| file_ref_key(n, "/")),
        [SERVICE, "env_file" | "label_file"] => Rule::UniqueBy(env_file_key),
        [SERVICE, "devices"] => {
            Rule::UniqueBy(|n| scalar_at(n, "target").or(scalar_at(n, "source")))
        }
        [SERVICE, "logging"] => Rule::Logging,
        _ => Rule::Merge,
    }
}

fn merge_at(base: &mut Node, over: &Node, path: &[&str]) {
    if has_tag(over, OVERRIDE) {
        *base = over.clone();
        return;
    }
    let rule = rule(path);
    if matches!(rule, Rule::Replace) {
        *base = over.clone();
        return;
    }
    if matches!(rule, Rule::Logging) && driver_differs(base, over) {
        *base = over.clone();
        return;
    }
    if over.is_null() && !base.is_null() {
        // A plain null in a later file leaves the earlier value alone.
        return;
    }
    match (&mut base.value, &over.value) {
        (Value::Map(entries), Value::Map(over_entries)) => {
            merge_entries(entries, over_entries, false, |name, base, value| {
                // A plain null in a later file leaves the earlier value alone.
                if !value.is_null() {
                    let mut child: Vec<&str> = path.to_vec();
                    child.push(name);
                    merge_at(base, value, &child);
                }
            });
        }
        (Value::Seq(items), Value::Seq(over_items)) => match rule {
            Rule::UniqueBy(key_of) => {
                let mut index: HashMap<String, usize> = HashMap::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(key) = key_of(item) {
                        index.entry(key).or_insert(i);
                    }
                }
                for item in over_items {
                    match key_of(item) {
                        Some(key) => match index.get(&key) {
                            Some(&i) => items[i] = item.clone(),
                            None => {
                                index.insert(key, items.len());
                                items.push(item.clone());
                            }
                        },
                        None => items.push(item.clone()),
                    }
                }
            }
            _ => {
                let mut scalars: HashSet<String> = items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect();
                for item in over_items {
                    match item.as_str() {
                        Some(text) if scalars.contains(text) => {}
                        Some(text) => {
                            scalars.insert(text.to_string());
                            items.push(item.clone());
                        }
                        None => items.push(item.clone()),
                    }
                }
            }
        },
        _ => *base = over.clone(),
    }
}

fn has_tag(node: &Node, tag: &str) -> bool {
    node.tag.as_deref() == Some(tag)
}

fn scalar_at(node: &Node, key: &str) -> Option<String> {
    node.get(key).and_then(Node::as_str).map(str::to_string)
}

fn driver_differs(base: &Node, over: &Node) -> bool {
    match (scalar_at(base, "driver"), scalar_at(over, "driver")) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

/// `{host_ip, target, published, protocol}`.
fn port_key(node: &Node) -> Option<String> {
    let target = scalar_at(node, "target")?;
    Some(format!(
        "{}|{}|{}|{}",
        scalar_at(node, "host_ip").unwrap_or_default(),
        target,
        scalar_at(node, "published").unwrap_or_default(),
        scalar_at(node, "protocol").unwrap_or_else(|| "tcp".to_string())
    ))
}

fn volume_key(node: &Node) -> Option<String> {
    scalar_at(node, "target")
}

/// The target a secret or config ends up at (its unique key).
fn file_ref_key(node: &Node, default_dir: &str) -> Option<String> {
    if let Some(text) = node.as_str() {
        return Some(format!("{default_dir}{text}"));
    }
    match scalar_at(node, "target") {
        Some(target) if target.starts_with('/') => Some(target),
        Some(target) => Some(format!("{default_dir}{target}")),
        None => scalar_at(node, "source").map(|s| format!("{default_dir}{s}")),
    }
}

fn env_file_key(node: &Node) -> Option<String> {
    node.as_str()
        .map(str::to_string)
        .or_else(|| scalar_at(node, "path"))
}

/// After all merging: drops entries still tagged `!reset` and forgets `!override` tags, so the
/// deserializer sees plain values.
pub fn strip_merge_tags(node: &mut Node) {
    if has_tag(node, OVERRIDE) || has_tag(node, RESET) {
        node.tag = None;
    }
    match &mut node.value {
        Value::Map(entries) => {
            entries.retain(|(_, v)| !has_tag(v, RESET));
            entries.iter_mut().for_each(|(_, v)| strip_merge_tags(v));
        }
        Value::Seq(items) => {
            items.retain(|v| !has_tag(v, RESET));
            items.iter_mut().for_each(strip_merge_tags);
        }
        Value::Scalar(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_str;

    fn dump(node: &Node) -> String {
        node.compact()
    }

    fn merged(base: &str, over: &str) -> String {
        let mut base = parse_str("base.yaml", base).unwrap();
        let over = parse_str("over.yaml", over).unwrap();
        merge_service(&mut base, &over);
        strip_merge_tags(&mut base);
        dump(&base)
    }

    #[test]
    fn mappings_merge_and_sequences_append_without_duplicates() {
        assert_eq!(
            merged(
                "image: a\nlabels: {x: '1'}\ndns: [1.1.1.1]\n",
                "labels: {y: '2'}\ndns: [8.8.8.8, 1.1.1.1]\nimage: b\n"
            ),
            "{image:b,labels:{x:1,y:2},dns:[1.1.1.1,8.8.8.8]}"
        );
    }

    #[test]
    fn commands_replace() {
        assert_eq!(
            merged(
                "command: [echo, foo]\nhealthcheck: {test: [CMD, a], retries: 3}\n",
                "command: [echo, bar]\nhealthcheck: {test: [CMD, b]}\n"
            ),
            "{command:[echo,bar],healthcheck:{test:[CMD,b],retries:3}}"
        );
    }

    #[test]
    fn unique_resources_merge_by_key() {
        assert_eq!(
            merged(
                "volumes: [{type: volume, source: foo, target: /work, read_only: true}]\n\
                 ports: [{target: 80, published: '8080'}]\n\
                 secrets: [{source: a}]\n",
                "volumes: [{type: volume, source: bar, target: /work}]\n\
                 ports: [{target: 80, published: '8080'}, {target: 81}]\n\
                 secrets: [{source: a, target: /run/secrets/a, mode: '0400'}, {source: b}]\n"
            ),
            "{volumes:[{type:volume,source:bar,target:/work}],\
             ports:[{target:80,published:8080},{target:81}],\
             secrets:[{source:a,target:/run/secrets/a,mode:0400},{source:b}]}"
        );
    }

    #[test]
    fn reset_removes_and_override_replaces() {
        assert_eq!(
            merged(
                "command: sleep\nports: [{target: 80}]\nenvironment: {A: '1', B: '2'}\n",
                "command: !reset null\nports: !reset []\nenvironment: !override {C: '3'}\n"
            ),
            "{environment:{C:3}}"
        );
    }

    #[test]
    fn large_mappings_and_lists_merge_through_the_index_by_the_same_rules() {
        let keys = |n: usize, value: &str| -> String {
            (0..n).map(|i| format!("  K{i}: {value}\n")).collect()
        };
        let base = format!("environment:\n{}dns: [a, b]\n", keys(100, "'1'"));
        let over = format!(
            "environment:\n{}  K3: !reset null\n  K4: null\n  NEW: x\ndns: [b, c, c]\n",
            (5..100)
                .map(|i| format!("  K{i}: '2'\n"))
                .collect::<String>()
        );
        let text = merged(&base, &over);
        assert!(
            text.starts_with("{environment:{K0:1,K1:1,K2:1,K4:1,K5:2,"),
            "{text}"
        );
        assert!(text.ends_with("K99:2,NEW:x},dns:[a,b,c]}"), "{text}");
    }

    #[test]
    fn logging_with_another_driver_replaces() {
        assert_eq!(
            merged(
                "logging: {driver: syslog, options: {a: '1'}}\n",
                "logging: {driver: json-file, options: {b: '2'}}\n"
            ),
            "{logging:{driver:json-file,options:{b:2}}}"
        );
        assert_eq!(
            merged(
                "logging: {driver: syslog, options: {a: '1'}}\n",
                "logging: {options: {b: '2'}}\n"
            ),
            "{logging:{driver:syslog,options:{a:1,b:2}}}"
        );
    }
}
