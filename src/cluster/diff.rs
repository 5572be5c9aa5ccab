//! The live object against the object as the dry run says it would be, as `kubectl diff` shows
//! them: the fields the server keeps for itself (`managedFields`, `resourceVersion`, `uid`,
//! `generation`, `creationTimestamp`, `status`) left out of both, Secret values hidden, then a
//! unified diff of the two as YAML under `live/<file>` and `merged/<file>` headers.

use serde_json::Value;

use super::request::ObjectRef;

/// Metadata fields that change on every write or belong to the server, not to what was applied.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
];

/// The annotation client-side `kubectl apply` keeps the whole applied object in: on a Secret,
/// its values in plain text.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The object without what the server owns, so that only what an apply changes differs.
pub fn normalise(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(metadata) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for field in SERVER_METADATA {
                metadata.remove(*field);
            }
        }
    }
    object
}

/// Replaces the values of a Secret (`data`, `stringData`, and the last-applied annotation that
/// copies them) on both sides: `(hidden)` where they are equal or only one side has the key,
/// `(hidden, live value)` / `(hidden, new value)` where they differ, so a diff says which keys
/// change without printing any value.
pub fn mask_secret_values(live: &mut Value, merged: &mut Value) {
    if !is_secret(live) && !is_secret(merged) {
        return;
    }
    for section in ["data", "stringData"] {
        let live_values = live.get(section).cloned();
        let merged_values = merged.get(section).cloned();
        mask_section(live, section, merged_values.as_ref(), "live");
        mask_section(merged, section, live_values.as_ref(), "new");
    }
    for side in [live, merged] {
        if let Some(annotation) = side.pointer_mut(&format!(
            "/metadata/annotations/{}",
            LAST_APPLIED.replace('/', "~1")
        )) {
            *annotation = Value::String("(hidden)".to_string());
        }
    }
}

fn is_secret(object: &Value) -> bool {
    object.get("kind").and_then(Value::as_str) == Some("Secret")
        && object.get("apiVersion").and_then(Value::as_str) == Some("v1")
}

fn mask_section(object: &mut Value, section: &str, other: Option<&Value>, side: &str) {
    let Some(values) = object.get_mut(section).and_then(Value::as_object_mut) else {
        return;
    };
    for (key, value) in values.iter_mut() {
        let theirs = other.and_then(|o| o.get(key));
        let hidden = match theirs {
            Some(theirs) if theirs != value => format!("(hidden, {side} value)"),
            _ => "(hidden)".to_string(),
        };
        *value = Value::String(hidden);
    }
}

/// The object as the YAML the diff compares (keys sorted, as `kubectl diff` writes them).
pub fn to_yaml(object: &Value) -> String {
    serde_saphyr::to_string_with_options(object, crate::render::yaml_options())
        .expect("a JSON value serializes to YAML")
}

/// The unified diff of the live object (`None`: absent, an empty file) and the merged one,
/// both already normalised; empty when they are equal.
pub fn unified_diff(object: &ObjectRef, live: Option<&Value>, merged: &Value) -> String {
    let mut live = live.cloned();
    let mut merged = merged.clone();
    match &mut live {
        Some(live) => mask_secret_values(live, &mut merged),
        None => mask_secret_values(&mut Value::Null, &mut merged),
    }
    let old = live.as_ref().map(to_yaml).unwrap_or_default();
    let new = to_yaml(&merged);
    if old == new {
        return String::new();
    }
    let file = object.file_name();
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("live/{file}"), &format!("merged/{file}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{normalise, unified_diff};
    use crate::cluster::request::ObjectRef;

    fn deployment() -> ObjectRef {
        ObjectRef {
            api_version: "apps/v1".to_string(),
            kind: "Deployment".to_string(),
            namespace: Some("shop".to_string()),
            name: "api".to_string(),
        }
    }

    fn fixture(name: &str) -> serde_json::Value {
        let path = format!(
            "{}/tests/fixtures/cluster/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn server_fields_are_left_out() {
        let live = normalise(&fixture("deployment-live.json"));
        let metadata = live["metadata"].as_object().expect("metadata");
        for field in [
            "managedFields",
            "resourceVersion",
            "uid",
            "generation",
            "creationTimestamp",
        ] {
            assert!(!metadata.contains_key(field), "{field} kept");
        }
        assert!(live.get("status").is_none());
        // What was applied stays, also what the server defaulted.
        assert_eq!(live["metadata"]["labels"]["app.kubernetes.io/name"], "api");
        assert_eq!(live["spec"]["progressDeadlineSeconds"], 600);
    }

    #[test]
    fn a_changed_field_is_one_hunk_under_kubectl_headers() {
        let live = normalise(&fixture("deployment-live.json"));
        let merged = normalise(&fixture("deployment-dry-run-changed.json"));
        let diff = unified_diff(&deployment(), Some(&live), &merged);
        assert!(
            diff.starts_with(
                "--- live/apps.v1.Deployment.shop.api\n+++ merged/apps.v1.Deployment.shop.api\n"
            ),
            "{diff}"
        );
        assert!(diff.contains("\n-  replicas: 1\n"), "{diff}");
        assert!(diff.contains("\n+  replicas: 2\n"), "{diff}");
        assert!(diff.contains("image: registry.example/api:1.4.0"), "{diff}");
        // The server's bookkeeping differs between the two answers but is not shown.
        assert!(!diff.contains("resourceVersion"), "{diff}");
        assert!(!diff.contains("managedFields"), "{diff}");
    }

    #[test]
    fn equal_after_normalising_is_no_diff() {
        let live = normalise(&fixture("deployment-live.json"));
        let merged = normalise(&fixture("deployment-dry-run-unchanged.json"));
        assert_eq!(unified_diff(&deployment(), Some(&live), &merged), "");
    }

    #[test]
    fn an_absent_object_diffs_from_nothing() {
        let merged = normalise(&fixture("deployment-dry-run-changed.json"));
        let diff = unified_diff(&deployment(), None, &merged);
        assert!(diff.contains("@@ -0,0 +1,"), "{diff}");
        assert!(diff.lines().skip(3).all(|l| l.starts_with('+')), "{diff}");
    }

    #[test]
    fn secret_values_are_hidden_and_changed_keys_named() {
        let secret = ObjectRef {
            api_version: "v1".to_string(),
            kind: "Secret".to_string(),
            namespace: Some("shop".to_string()),
            name: "api-env".to_string(),
        };
        let live = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "api-env", "namespace": "shop", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"stringData\":{\"TOKEN\":\"old-token-123\"}}"
            }},
            "data": {"TOKEN": "b2xkLXRva2VuLTEyMw==", "SAME": "c2FtZQ=="}
        });
        let merged = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "api-env", "namespace": "shop", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"stringData\":{\"TOKEN\":\"old-token-123\"}}"
            }},
            "data": {"TOKEN": "bmV3LXRva2VuLTQ1Ng==", "SAME": "c2FtZQ==", "ADDED": "eA=="}
        });
        let diff = unified_diff(&secret, Some(&live), &merged);
        for value in ["b2xk", "bmV3", "c2FtZQ", "eA==", "old-token-123"] {
            assert!(!diff.contains(value), "`{value}` shown in:\n{diff}");
        }
        assert!(diff.contains("-  TOKEN: (hidden, live value)"), "{diff}");
        assert!(diff.contains("+  TOKEN: (hidden, new value)"), "{diff}");
        assert!(diff.contains("+  ADDED: (hidden)"), "{diff}");
        assert!(diff.contains("   SAME: (hidden)"), "{diff}");
        // A new Secret shows its keys, never its values.
        let new = unified_diff(&secret, None, &merged);
        assert!(
            new.contains("+  TOKEN: (hidden)") && !new.contains("bmV3"),
            "{new}"
        );
    }
}
