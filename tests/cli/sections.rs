//! `k3s app …`, `k3s fn …`, `--version`, completions.

use crate::support::{ENVS, Project};

const APPS: &str = "apps:\n  - name: web\n    image: nginx\n    security: {profile: baseline}\n    container: {ports: [{container_port: 80}]}\n    gcp: {replicas: 3}\n";

#[test]
fn app_generate_prints_one_apps_manifests() {
    let run = Project::with_apps_yaml(&format!("{ENVS}{APPS}"))
        .run(&["app", "generate", "web", "--env", "gcp"]);
    run.code(0)
        .stdout_contains("kind: Deployment")
        .stdout_contains("replicas: 3")
        .stdout_contains("kind: Service");
}

#[test]
fn app_generate_of_an_unknown_app_suggests_a_name() {
    Project::with_apps_yaml(&format!("{ENVS}{APPS}"))
        .run(&["app", "generate", "wbe"])
        .code(1)
        .stderr_contains("no `apps` entry is named `wbe`")
        .stderr_contains("did you mean `web`?");
}

#[test]
fn app_list_as_json() {
    let run = Project::with_apps_yaml(&format!("{ENVS}{APPS}"))
        .run(&["app", "list", "--env", "local", "-o", "json"]);
    run.code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["apps"][0]["name"], "web");
    assert_eq!(json["apps"][0]["replicas"], 1);
    assert_eq!(json["apps"][0]["autoscaled"], false);
    assert_eq!(json["apps"][0]["kind"], "Deployment");
}

const FUNCTIONS: &str = "from k3sfn import serverless, http_trigger, schedule_trigger\nimport numpy\n\n@serverless(memory=\"128Mi\", visibility=\"public\")\n@http_trigger(path=\"/hello\")\ndef hello(request):\n    return 'hi'\n\n@schedule_trigger(cron=\"0 * * * *\")\ndef tick():\n    pass\n";

fn functions_project() -> Project {
    Project::with_apps_yaml(&format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n    resources: {{cpu: 50m}}\n"
    ))
    .file("fns/functions/api.py", FUNCTIONS)
    .file("fns/requirements.txt", "requests\n")
}

#[test]
fn fn_list_of_an_entry_shows_what_each_function_becomes() {
    let run = functions_project().run(&["fn", "list", "fns", "--env", "gcp", "-o", "json"]);
    run.code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let hello = &json["functions"][0];
    assert_eq!(hello["name"], "hello");
    assert_eq!(hello["workload"], "fns-hello");
    assert_eq!(hello["trigger"], "http");
    assert_eq!(hello["path"], "/hello");
    assert_eq!(hello["visibility"], "public");
    assert_eq!(hello["resources"]["memory"], "128Mi");
    assert_eq!(hello["resources"]["cpu"], "50m");
    assert_eq!(hello["scaling"]["type"], "keda-http");
    let tick = &json["functions"][1];
    assert_eq!(tick["trigger"], "schedule");
    assert_eq!(tick["cron"], "0 * * * *");
}

#[test]
fn fn_list_of_a_directory_needs_no_apps_yaml() {
    let project = Project::new().file("proj/functions.py", FUNCTIONS);
    project
        .run(&["fn", "list", "proj"])
        .code(0)
        .stdout_contains("hello")
        .stdout_contains("/hello");
}

#[test]
fn fn_generate_writes_manifests_and_the_dockerfile() {
    let project = functions_project();
    project
        .run(&[
            "fn",
            "generate",
            "fns",
            "--env",
            "gcp",
            "--output-dir",
            "out",
        ])
        .code(0);
    let dockerfile = std::fs::read_to_string(project.path().join("out/Dockerfile")).unwrap();
    assert!(dockerfile.contains("requirements.txt"));
    let manifests = std::fs::read_to_string(project.path().join("out/manifests.yaml")).unwrap();
    assert!(manifests.contains("kind: CronJob"));
    assert!(manifests.contains("name: fns-hello"));
}

#[test]
fn a_syntax_error_in_a_function_file_is_located() {
    Project::with_apps_yaml(&format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n"
    ))
    .file(
        "fns/functions/bad.py",
        "@http_trigger(path=\"/x\")\ndef broken(:\n    pass\n",
    )
    .run(&["validate"])
    .code(1)
    .stderr_contains("fns/functions/bad.py:2:");
}

#[test]
fn version_and_completions() {
    Project::new()
        .run(&["--version"])
        .code(0)
        .stdout_contains(env!("CARGO_PKG_VERSION"));
    Project::new()
        .run(&["completions", "bash"])
        .code(0)
        .stdout_contains("_k3s");
}
