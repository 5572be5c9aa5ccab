//! `k3s validate` on good input.

use crate::support::{ENVS, Project};

#[test]
fn a_valid_file_passes_for_every_environment() {
    Project::with_apps_yaml(&format!("{ENVS}apps:\n  - name: web\n    image: nginx\n    container:\n      ports: [{{container_port: 80}}]\n"))
        .run(&["validate"])
        .code(0)
        .stdout_contains("valid for local, gcp");
}

#[test]
fn apps_yaml_is_found_in_a_parent_directory() {
    let project = Project::with_apps_yaml(ENVS).file("deep/er/.keep", "");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_k3s"))
        .arg("validate")
        .current_dir(project.path().join("deep/er"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
