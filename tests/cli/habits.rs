//! kubectl habits: `-o` is a format everywhere, `--output-dir` a directory; warnings that can be
//! silenced or made fatal; typed JSON; help with examples; completions of names; colour.

use crate::support::{ENVS, Project};

const APPS: &str = "apps:\n  - name: web\n    image: nginx\n    container: {ports: [{container_port: 80}]}\n    gcp: {replicas: 3}\n";

fn project() -> Project {
    Project::with_apps_yaml(&format!("{ENVS}{APPS}"))
}

#[test]
fn o_with_a_directory_on_a_writing_command_says_output_dir_and_writes_nothing() {
    let project = project();
    for args in [
        &["app", "generate", "web", "--env", "gcp", "-o", "json"][..],
        &["generate", "-o", "json"],
        &["generate", "--output", "out"],
        &["compose", "generate", "shop", "-o", "out"],
        &["fn", "generate", "fns", "-o", "out"],
    ] {
        project
            .run(args)
            .code(2)
            .stderr_contains("use --output-dir");
    }
    assert_eq!(project.files(), [std::path::PathBuf::from("apps.yaml")]);
}

#[test]
fn output_dir_writes_and_o_yaml_prints() {
    let project = project();
    project
        .run(&[
            "app",
            "generate",
            "web",
            "--env",
            "gcp",
            "--output-dir",
            "out",
        ])
        .code(0);
    assert!(project.path().join("out/manifests.yaml").is_file());
    project.run(&["generate", "--output-dir", "tree"]).code(0);
    assert!(project.path().join("tree/gcp").is_dir());
    project
        .run(&["app", "generate", "web", "--env", "gcp", "-o", "yaml"])
        .code(0)
        .stdout_contains("kind: Deployment");
    let printed = project.run(&["generate", "--env", "gcp", "-o", "yaml"]);
    printed.code(0).stdout_contains("kind: Deployment");
    assert!(
        !project.path().join("argocd-state").exists(),
        "-o yaml prints, writes nothing"
    );
}

#[test]
fn o_name_prints_names_one_a_line() {
    let project = project();
    let run = project.run(&["list", "-o", "name"]);
    run.code(0);
    assert_eq!(run.stdout, "web\n");
    let run = project.run(&["app", "list", "-o", "name"]);
    run.code(0);
    assert_eq!(run.stdout, "web\n");
}
