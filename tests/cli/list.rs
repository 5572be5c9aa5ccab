//! `k3s list`: entries with section, path and per-environment state.

use crate::support::{ENVS, Project};

const FILE: &str = "apps:\n  - name: web\n    image: nginx\n    gcp: {namespace: prod}\n  - name: worker\n    image: busybox\n    local: {enabled: false}\nhelm:\n  - {name: valkey, chart: bitnami/valkey, version: 1.0.0}\nrepositories: {bitnami: oci://registry-1.docker.io/bitnamicharts}\n";

#[test]
fn json_lists_every_entry_per_environment() {
    let run = Project::with_apps_yaml(&format!("{ENVS}{FILE}")).run(&["list", "--output", "json"]);
    run.code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["environments"], serde_json::json!(["local", "gcp"]));
    let entries = json["entries"].as_array().unwrap();
    let names: Vec<_> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["valkey", "web", "worker"]);
    assert_eq!(entries[1]["environments"]["gcp"]["namespace"], "prod");
    assert_eq!(entries[1]["environments"]["local"]["namespace"], "apps");
    assert_eq!(entries[2]["environments"]["local"]["enabled"], false);
    assert_eq!(entries[2]["environments"]["gcp"]["enabled"], true);
    assert_eq!(entries[0]["section"], "helm");
    assert_eq!(
        entries[1]["environments"]["gcp"]["images"],
        serde_json::json!(["nginx"])
    );
    assert_eq!(
        entries[2]["environments"]["local"]["images"],
        serde_json::json!([])
    );
}

#[test]
fn table_for_one_environment() {
    Project::with_apps_yaml(&format!("{ENVS}{FILE}"))
        .run(&["list", "--env", "local"])
        .code(0)
        .stdout_contains("worker  apps     -     (disabled)");
}
