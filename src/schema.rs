//! The JSON Schema of apps.yaml, generated from the Rust types the loader reads into, so the
//! published schema cannot drift from what `k3s validate` accepts.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde_json::{Value, json};

use crate::config::{
    AppEntry, ArgoCd, ComposeEntry, Defaults, EnvironmentSettings, Gateway, HelmEntry,
    ServerlessEntry,
};

/// The shape of the whole file, only for schema generation (the loader reads it section by
/// section so it can resolve environments).
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "apps.yaml (schema v2)")]
#[allow(dead_code)]
struct AppsFile {
    /// Always "2".
    version: Version,
    /// Settings that apply wherever an entry is silent: namespace, registry and ingress
    /// controller per environment, KEDA, queue and secret store, pull secrets, labels.
    defaults: Option<Defaults>,
    /// Environment names (lowercase, DNS labels) and their settings.
    environments: BTreeMap<String, Option<EnvironmentSettings>>,
    /// Third-party Helm charts.
    helm: Option<Vec<HelmEntry>>,
    /// Projects of Python functions.
    serverless: Option<Vec<ServerlessEntry>>,
    /// Container apps.
    apps: Option<Vec<AppEntry>>,
    /// Docker Compose projects.
    compose: Option<Vec<ComposeEntry>>,
    /// Helm repository name → URL (`https://…` or `oci://…`).
    repositories: Option<BTreeMap<String, String>>,
    /// Routes from public paths to services anywhere in the cluster, with a rate limit and CORS
    /// for all of them (rendered by the environment's ingress controller).
    gateway: Option<Gateway>,
    /// Where the generated tree lives in git and how Argo CD syncs it; without `repo_url` the
    /// tree has manifests only, no Applications.
    argocd: Option<ArgoCd>,
}

struct Version;

impl JsonSchema for Version {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "enum": ["2", 2] })
    }
}

/// Blocks that may carry per-environment overrides under keys named after environments.
const OVERRIDABLE: &[&str] = &[
    "AppEntry",
    "ServerlessEntry",
    "ComposeEntry",
    "HelmEntry",
    "Gateway",
    "ArgoCd",
];

/// The schema as pretty JSON with a trailing newline, as `k3s schema` prints it.
pub fn apps_schema_json() -> String {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<AppsFile>()
        .to_value();
    allow_extension_keys(&mut schema);
    allow_environment_blocks(&mut schema);
    accept_scalars_as_the_loader_does(&mut schema);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// A `${VAR}` reference, which may stand for any value before interpolation.
const VARIABLE: &str = "\\$\\{";

/// The loader reads scalars as the field's type says, which JSON Schema's types do not: a
/// string field takes `8080` or `true` as their text, an integer field takes `"8080"`, a
/// boolean `"true"`, and any of them a `${VAR}` to be expanded. Widen the leaf types to match,
/// so the schema accepts what `k3s validate` accepts.
fn accept_scalars_as_the_loader_does(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if widen_leaf(object) {
                return;
            }
            for value in object.values_mut() {
                accept_scalars_as_the_loader_does(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(accept_scalars_as_the_loader_does),
        _ => {}
    }
}

/// Returns whether the leaf was widened (and must not be visited again).
fn widen_leaf(object: &mut serde_json::Map<String, Value>) -> bool {
    let types: Vec<String> = match object.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_string))
            .collect(),
        _ => return false,
    };
    let has = |t: &str| types.iter().any(|x| x == t);
    let constrained = ["enum", "const", "pattern", "format"]
        .iter()
        .any(|k| object.contains_key(*k));
    if has("string") && !constrained {
        let mut widened = types.clone();
        for extra in ["number", "boolean"] {
            if !has(extra) {
                widened.push(extra.to_string());
            }
        }
        object.insert("type".to_string(), json!(widened));
        return true;
    }
    let mut alternatives = Vec::new();
    if has("integer") {
        alternatives
            .push(json!({"type": "string", "pattern": "^[+-]?([0-9]+|0x[0-9a-fA-F]+|0o[0-7]+)$"}));
    } else if has("number") {
        alternatives.push(json!({"type": "string", "pattern": "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$"}));
    }
    if has("boolean") {
        alternatives.push(json!({"enum": ["true", "True", "TRUE", "false", "False", "FALSE"]}));
    }
    if alternatives.is_empty() {
        return false;
    }
    alternatives.push(json!({"type": "string", "pattern": VARIABLE}));
    let mut original = std::mem::take(object);
    // Annotations stay on the property itself, where editors show them on hover.
    for key in ANNOTATIONS {
        if let Some(value) = original.remove(*key) {
            object.insert((*key).to_string(), value);
        }
    }
    alternatives.insert(0, Value::Object(original));
    object.insert("anyOf".to_string(), Value::Array(alternatives));
    true
}

/// Keywords that describe a value without constraining it.
const ANNOTATIONS: &[&str] = &["title", "description", "default", "examples", "deprecated"];

/// `x-…` keys at the top level hold YAML anchors and are ignored.
fn allow_extension_keys(schema: &mut Value) {
    schema["patternProperties"] = json!({ "^x-": {} });
}

/// An entry's unknown keys are environment blocks: each is the entry's schema with nothing
/// required (the loader checks that the key is a declared environment).
fn allow_environment_blocks(schema: &mut Value) {
    let Some(defs) = schema.get_mut("$defs").and_then(Value::as_object_mut) else {
        return;
    };
    for name in OVERRIDABLE {
        let Some(def) = defs.get(*name).cloned() else {
            continue;
        };
        let mut patch = def;
        if let Some(object) = patch.as_object_mut() {
            object.remove("required");
            object.insert(
                "description".to_string(),
                json!(format!("Overrides of {name} fields for one environment")),
            );
        }
        let patch_name = format!("{name}Override");
        defs.insert(patch_name.clone(), patch);
        if let Some(def) = defs.get_mut(*name) {
            def["additionalProperties"] = json!({ "$ref": format!("#/$defs/{patch_name}") });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::apps_schema_json;

    fn schema() -> Value {
        serde_json::from_str(&apps_schema_json()).expect("the schema is JSON")
    }

    /// Walks the schema from the root the way an editor does: through `properties`, `items`,
    /// `additionalProperties`, `patternProperties`, `oneOf`/`anyOf`/`allOf` and every
    /// `$defs`/`definitions` entry, following each `$ref` target once.
    struct Walk<'a> {
        root: &'a Value,
        visited_refs: BTreeSet<String>,
        /// Every property seen, as its path (e.g. `apps[].scaling.min_instances`).
        properties: Vec<String>,
        /// The paths of the properties without a non-empty `description`.
        missing: Vec<String>,
    }

    impl<'a> Walk<'a> {
        fn node(&mut self, node: &'a Value, path: &str) {
            let Value::Object(object) = node else {
                return;
            };
            if let Some(Value::String(target)) = object.get("$ref")
                && self.visited_refs.insert(target.clone())
            {
                let pointer = target.trim_start_matches('#');
                let resolved = self
                    .root
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("{path}: `$ref` {target} resolves to nothing"));
                let name = pointer.rsplit('/').next().unwrap_or(pointer);
                self.node(resolved, name);
            }
            if let Some(Value::Object(properties)) = object.get("properties") {
                for (name, property) in properties {
                    let at = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    let described = property
                        .get("description")
                        .and_then(Value::as_str)
                        .is_some_and(|d| !d.trim().is_empty());
                    if !described {
                        self.missing.push(at.clone());
                    }
                    self.properties.push(at.clone());
                    self.node(property, &at);
                }
            }
            for key in ["items", "additionalProperties"] {
                if let Some(child) = object.get(key) {
                    self.node(child, &format!("{path}[]"));
                }
            }
            for key in ["patternProperties", "$defs", "definitions"] {
                if let Some(Value::Object(children)) = object.get(key) {
                    for (name, child) in children {
                        if key == "patternProperties" {
                            self.node(child, &format!("{path}[{name}]"));
                        } else if self.visited_refs.insert(format!("#/{key}/{name}")) {
                            // A definition is walked once, whether reached by `$ref` or here.
                            self.node(child, name);
                        }
                    }
                }
            }
            for key in ["oneOf", "anyOf", "allOf"] {
                if let Some(Value::Array(alternatives)) = object.get(key) {
                    for alternative in alternatives {
                        self.node(alternative, path);
                    }
                }
            }
        }
    }

    /// Hover shows a field's description: every property of apps.yaml has one (from the doc
    /// comment of its Rust field), without exceptions.
    #[test]
    fn every_schema_property_has_a_description() {
        let schema = schema();
        let mut walk = Walk {
            root: &schema,
            visited_refs: BTreeSet::new(),
            properties: Vec::new(),
            missing: Vec::new(),
        };
        walk.node(&schema, "");
        assert!(
            walk.properties.len() > 500,
            "the walk found only {} properties",
            walk.properties.len()
        );
        assert!(
            walk.missing.is_empty(),
            "{} of {} schema properties have no description (add a `///` doc comment to the \
             Rust field in src/config/):\n  {}",
            walk.missing.len(),
            walk.properties.len(),
            walk.missing.join("\n  ")
        );
    }

    /// The walk finds a property without a description, wherever it hides.
    #[test]
    fn the_walk_finds_undescribed_properties() {
        let schema = serde_json::json!({
            "properties": {"a": {"description": "A.", "$ref": "#/$defs/A"}},
            "$defs": {
                "A": {"properties": {
                    "b": {"description": "B.", "items": {"anyOf": [
                        {"properties": {"c": {"type": "string"}}},
                        {"type": "null"}
                    ]}},
                    "d": {"description": " ", "additionalProperties": {"$ref": "#/$defs/A"}}
                }}
            }
        });
        let mut walk = Walk {
            root: &schema,
            visited_refs: BTreeSet::new(),
            properties: Vec::new(),
            missing: Vec::new(),
        };
        walk.node(&schema, "");
        assert_eq!(walk.missing, ["A.b[].c", "A.d"]);
    }

    /// An enum's values are documented one by one (`oneOf` of `const`s with descriptions),
    /// so that completion says what each choice does.
    #[test]
    fn every_enum_value_has_a_description() {
        let schema = schema();
        let mut missing = Vec::new();
        for (name, def) in schema["$defs"].as_object().expect("$defs") {
            if def.get("type") == Some(&Value::from("string")) && def.get("enum").is_some() {
                missing.push(format!("{name}: {}", def["enum"]));
            }
            for variant in def
                .get("oneOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if variant.get("description").is_none() {
                    let values = variant.get("const").or_else(|| variant.get("enum"));
                    missing.push(format!("{name}: {}", values.unwrap_or(variant)));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "enum values without a description (add a `///` doc comment to the variant):\n  {}",
            missing.join("\n  ")
        );
    }
}
