//! kubectl habits: `-o` is a format everywhere, `--output-dir` a directory; warnings that can be
//! silenced or made fatal; typed JSON; help with examples; completions of names; colour.

use crate::support::{ENVS, Project};

const APPS: &str = "apps:\n  - name: web\n    image: nginx\n    container: {ports: [{container_port: 80}]}\n    gcp: {replicas: 3}\n";

fn project() -> Project {
    Project::with_apps_yaml(&format!("{ENVS}{APPS}"))
}

#[test]
fn o_with_a_format_name_on_a_writing_command_says_output_dir_and_writes_nothing() {
    let project = project();
    for args in [
        &["app", "generate", "web", "--env", "gcp", "-o", "json"][..],
        &["generate", "-o", "json"],
        &["compose", "generate", "shop", "-o", "table"],
        &["fn", "generate", "fns", "-o", "name"],
    ] {
        project
            .run(args)
            .code(2)
            .stderr_contains("use --output-dir");
    }
    assert_eq!(project.files(), [std::path::PathBuf::from("apps.yaml")]);
}

#[test]
fn the_old_output_dir_spelling_still_writes_and_says_the_new_one() {
    // Scripts written before --output-dir (`generate --output DIR`) keep working.
    let project = project();
    project
        .run(&["generate", "--env", "local", "--output", "out"])
        .code(0)
        .stderr_contains("warning: --output out is read as --output-dir out");
    assert!(project.path().join("out/local").is_dir());
    project
        .run(&["generate", "--env", "local", "--output", "out", "--check"])
        .code(0);
    project
        .run(&["app", "generate", "web", "--env", "local", "-o", "appout"])
        .code(0)
        .stderr_contains("write --output-dir");
    assert!(project.path().join("appout/manifests.yaml").is_file());
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

/// Two warnings: no Argo CD repository in either environment.
const WARNED: &str = "version: \"2\"\nenvironments:\n  local: {}\n  gcp: {domain: example.com}\napps:\n  - name: web\n    image: \"nginx:${TAG:-1}\"\n";

#[test]
fn warnings_as_errors_exits_1_and_quiet_silences_warnings_only() {
    let project = Project::with_apps_yaml(WARNED);
    let plain = project.run(&["validate"]);
    plain.code(0).stderr_contains("warning:");
    project
        .run(&["validate", "--warnings-as-errors"])
        .code(1)
        .stderr_contains("--warnings-as-errors");
    let quiet = project.run(&["-q", "validate"]);
    quiet.code(0);
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
    project
        .run(&["generate", "--quiet", "--warnings-as-errors"])
        .code(1);
    // Errors are still printed under --quiet.
    Project::with_apps_yaml(&format!("{WARNED}    replics: 2\n"))
        .run(&["validate", "-q"])
        .code(1)
        .error_at("apps.yaml:8:5", "apps.web.replics", "unknown key");
}

#[test]
fn a_set_variable_nothing_uses_is_a_warning_with_did_you_mean() {
    let project = Project::with_apps_yaml(WARNED);
    project
        .run(&["--set", "TGA=2", "validate"])
        .code(0)
        .stderr_contains("warning: --set TGA=…: no `${TGA}`")
        .stderr_contains("did you mean `TAG`?");
    let used = project.run(&["--set", "TAG=2", "validate"]);
    used.code(0);
    assert!(!used.stderr.contains("--set"), "{}", used.stderr);
    project
        .run(&["--set", "TGA=2", "validate", "--warnings-as-errors"])
        .code(1);
}

#[test]
fn verbose_without_check_is_a_usage_error() {
    project()
        .run(&["generate", "-v"])
        .code(2)
        .stderr_contains("--check");
}

#[test]
fn a_missing_file_given_with_f_is_an_error_for_every_command() {
    for args in [&["schema"][..], &["validate"], &["list", "-o", "json"]] {
        let mut full = vec!["-f", "/nonexistent/apps.yaml"];
        full.extend_from_slice(args);
        Project::new()
            .run(&full)
            .code(2)
            .stderr_contains("/nonexistent/apps.yaml does not exist");
    }
}

#[test]
fn json_output_stays_json_when_loading_fails() {
    let project = Project::with_apps_yaml(&format!("{WARNED}    replics: 2\n"));
    for args in [
        &["list", "-o", "json"][..],
        &["app", "list", "-o", "json"],
        &["build-plan", "--env", "gcp"],
    ] {
        let run = project.run(args);
        run.code(1);
        let json: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}):\n{}", run.stdout));
        let d = &json["diagnostics"][0];
        assert_eq!(d["severity"], "error");
        assert_eq!(d["code"], "unknown-key");
        assert_eq!(d["file"], "apps.yaml");
        assert_eq!(d["line"], 8);
        assert_eq!(d["column"], 5);
        assert_eq!(d["field"], "apps.web.replics");
    }
}

#[test]
fn app_list_json_has_typed_replicas() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    gcp: {{replicas: 3}}\n  - name: auto\n    image: nginx\n    scaling: {{type: hpa, target_cpu_percent: 70}}\n    resources: {{cpu: 100m}}\n  - name: nightly\n    image: busybox\n    kind: cronjob\n    job: {{schedule: \"@daily\"}}\n"
    ));
    let run = project.run(&["app", "list", "--env", "gcp", "-o", "json"]);
    run.code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let by_name = |name: &str| {
        json["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {json}"))
            .clone()
    };
    assert_eq!(by_name("web")["replicas"], 3);
    assert_eq!(by_name("web")["autoscaled"], false);
    assert_eq!(by_name("auto")["replicas"], serde_json::Value::Null);
    assert_eq!(by_name("auto")["autoscaled"], true);
    assert_eq!(by_name("nightly")["replicas"], serde_json::Value::Null);
    assert_eq!(by_name("nightly")["autoscaled"], false);
}

#[test]
fn build_plan_table_has_one_header() {
    let run = project().run(&["build-plan", "--env", "gcp", "-o", "table"]);
    run.code(0);
    assert_eq!(run.stdout.matches("IMAGE").count(), 1, "{}", run.stdout);
}

#[test]
fn help_pages_have_examples() {
    for args in [
        &["--help"][..],
        &["generate", "--help"],
        &["app", "generate", "--help"],
        &["compose", "convert", "--help"],
        &["fn", "run", "--help"],
    ] {
        Project::new()
            .run(args)
            .code(0)
            .stdout_contains("Examples:\n  k3s ");
    }
}

#[test]
fn colour_only_when_forced_or_on_a_terminal_and_never_with_no_color() {
    let project = Project::with_apps_yaml(WARNED);
    let piped = project.run_with_env(&["validate"], &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "")]);
    piped.code(0).stderr_contains("warning:");
    assert!(!piped.stderr.contains('\x1b'), "no colour when piped");
    project
        .run_with_env(&["validate"], &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")])
        .code(0)
        .stderr_contains("\x1b[1;33mwarning:\x1b[0m");
    let no_color =
        project.run_with_env(&["validate"], &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
    assert!(!no_color.stderr.contains('\x1b'), "NO_COLOR wins");
    // `--check -v` diffs.
    project.run(&["generate"]).code(0);
    std::fs::write(
        project.path().join("apps.yaml"),
        WARNED.replace("${TAG:-1}", "2"),
    )
    .unwrap();
    let diff = project.run_with_env(
        &["generate", "--check", "-v"],
        &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")],
    );
    diff.code(1).stdout_contains("\x1b[32m+");
    let plain = project.run_with_env(&["generate", "--check", "-v"], &[("NO_COLOR", "1")]);
    plain.code(1);
    assert!(!plain.stdout.contains('\x1b'));
}

#[test]
fn completions_complete_entry_and_environment_names_from_apps_yaml() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}{APPS}  - name: worker\n    image: busybox\ncompose:\n  - name: shop\n    path: shop\n"
    ))
    .file(
        "other/apps.yaml",
        "version: \"2\"\nenvironments:\n  staging: {}\napps:\n  - name: billing\n    image: busybox\n",
    );
    let complete = |words: &[&str]| {
        let mut args = vec!["--", "k3s"];
        args.extend_from_slice(words);
        let run = project.run_with_env(&args, &[("K3S_COMPLETE", "fish")]);
        run.code(0);
        run.stdout
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .filter(|l| !l.starts_with('-'))
            .collect::<Vec<_>>()
    };
    assert_eq!(complete(&["app", "generate", ""]), ["web", "worker"]);
    assert_eq!(complete(&["app", "generate", "w"]), ["web", "worker"]);
    assert_eq!(complete(&["compose", "generate", ""]), ["shop"]);
    assert_eq!(complete(&["generate", "--env", ""]), ["local", "gcp"]);
    assert_eq!(complete(&["list", "--env", "g"]), ["gcp"]);
    // `-f` on the line being completed names the apps.yaml whose names are offered.
    assert_eq!(
        complete(&["-f", "other/apps.yaml", "app", "generate", ""]),
        ["billing"]
    );
    assert_eq!(
        complete(&["generate", "--file=other/apps.yaml", "--env", ""]),
        ["staging"]
    );
    project
        .run(&["completions", "bash"])
        .code(0)
        .stdout_contains("K3S_COMPLETE");
}
