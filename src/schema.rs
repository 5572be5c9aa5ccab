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
    gateway: Option<Gateway>,
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
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

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
