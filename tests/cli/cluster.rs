//! `k3s diff` and `validate --cluster` in the default build, which has no cluster client: a
//! clear error and exit 2 before anything is read or sent. With the `cluster` feature they are
//! tested against a stand-in API server in `tests/cluster.rs`.

#![cfg(not(feature = "cluster"))]

use crate::support::Project;

const APPS_YAML: &str =
    "version: \"2\"\nenvironments:\n  local: {}\napps:\n  - name: web\n    image: nginx:1.27\n";

const REBUILD: &str = "error: this k3s was built without cluster support; rebuild with `cargo install --features cluster --path .`";

#[test]
fn diff_without_the_cluster_feature_says_how_to_rebuild_and_exits_2() {
    let project = Project::with_apps_yaml(APPS_YAML);
    let run = project.run(&["diff", "--env", "local"]);
    run.code(2);
    assert!(run.stderr.starts_with(REBUILD), "{}", run.stderr);
    assert_eq!(run.stdout, "");

    let run = project.run(&["diff", "--env", "local", "-o", "json"]);
    run.code(2);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert!(
        json["diagnostics"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--features cluster")),
        "{json}"
    );
}

#[test]
fn validate_cluster_without_the_feature_exits_2_and_plain_validate_still_works() {
    let project = Project::with_apps_yaml(APPS_YAML);
    let run = project.run(&["validate", "--cluster"]);
    run.code(2);
    assert!(run.stderr.starts_with(REBUILD), "{}", run.stderr);
    project.run(&["validate"]).code(0);
}

#[test]
fn diff_needs_an_environment() {
    let project = Project::with_apps_yaml(APPS_YAML);
    let run = project.run(&["diff"]);
    run.code(2);
    assert!(run.stderr.contains("--env <ENV>"), "{}", run.stderr);
}
