//! What k3s gives Tilt through `build-plan`: the files to watch, the Namespaces to apply first,
//! the Helm charts, live-update syncs and port forwards only where a pod runs; and the
//! Tiltfile that reads them.

use serde_json::Value;

use crate::support::Project;

const DEV: &str = "version: \"2\"\nenvironments:\n  dev: {env_files: [dev.env]}\n";

fn plan(project: &Project) -> Value {
    let run = project.run(&["build-plan", "--env", "dev"]);
    run.code(0);
    serde_json::from_str(&run.stdout).unwrap()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn functions_project(live_update: &str) -> Project {
    Project::with_apps_yaml(&format!(
        "{DEV}serverless:\n  - name: fns\n    path: fns\n    port_base: 9000\n{live_update}"
    ))
    .file("dev.env", "A=1\n")
    .file(
        "fns/functions/web.py",
        "from k3sfn import http_trigger, serverless\n\n@serverless(min_instances=1)\n@http_trigger(path=\"/up\")\ndef up(request):\n    pass\n\n@http_trigger(path=\"/idle\")\ndef idle(request):\n    pass\n",
    )
}

#[test]
fn the_build_plan_lists_every_file_k3s_read() {
    let project = Project::with_apps_yaml(&format!(
        "{DEV}serverless:\n  - name: fns\n    path: fns\ncompose:\n  - name: stack\n    path: stack\n    compose_file: compose.yaml\n"
    ))
    .file("dev.env", "A=1\n")
    .file("fns/functions/a.py", "from k3sfn import http_trigger\n\n@http_trigger(path=\"/a\")\ndef a(request):\n    pass\n")
    .file("fns/unrelated.txt", "x\n")
    .file(
        "stack/compose.yaml",
        "services:\n  db:\n    image: postgres:16\n    env_file: db.env\n",
    )
    .file("stack/db.env", "POSTGRES_DB=x\n");
    let inputs = strings(&plan(&project)["inputs"]);
    for expected in [
        "apps.yaml",
        "dev.env",
        "fns/functions",
        "fns/functions/a.py",
        "stack/compose.yaml",
        "stack/db.env",
    ] {
        assert!(
            inputs.iter().any(|i| i == expected),
            "{expected} not in {inputs:?}"
        );
    }
    assert!(
        !inputs.iter().any(|i| i.contains("unrelated")),
        "{inputs:?}"
    );
    // Relative to apps.yaml's directory, never absolute.
    assert!(inputs.iter().all(|i| !i.starts_with('/')), "{inputs:?}");
}

#[test]
fn port_forwards_only_where_a_pod_always_runs() {
    let plan = plan(&functions_project(""));
    let workloads = plan["workloads"].as_array().unwrap();
    let up = workloads.iter().find(|w| w["name"] == "fns-up").unwrap();
    let idle = workloads.iter().find(|w| w["name"] == "fns-idle").unwrap();
    assert_eq!(up["scales_to_zero"], false);
    assert_eq!(up["port_forwards"][0]["container"], 8080);
    assert_eq!(idle["scales_to_zero"], true);
    assert_eq!(idle["port_forwards"], serde_json::json!([]));
}

#[test]
fn live_update_of_generated_function_images_syncs_the_copied_sources() {
    let project = functions_project("    live_update: true\n");
    let run = project.run(&["build-plan", "--env", "dev"]);
    run.code(0);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let image = &plan["images"][0];
    assert_eq!(image["live_update"], true);
    assert_eq!(
        image["sync"],
        serde_json::json!([{"src": "fns/functions", "dest": "/app/functions/"}])
    );
    // The generated Dockerfile copies exactly there.
    assert!(
        image["dockerfile_contents"]
            .as_str()
            .unwrap()
            .contains("WORKDIR /app\n")
    );
    assert!(
        image["dockerfile_contents"]
            .as_str()
            .unwrap()
            .contains("COPY functions/ ./functions/")
    );
    assert!(!run.stderr.contains("live_update"), "{}", run.stderr);
}

#[test]
fn live_update_without_sync_on_an_own_dockerfile_is_warned() {
    Project::with_apps_yaml(&format!(
        "{DEV}apps:\n  - name: api\n    path: api\n    live_update: true\n"
    ))
    .file("dev.env", "")
    .file("api/Dockerfile", "FROM scratch\n")
    .run(&["build-plan", "--env", "dev"])
    .code(0)
    .stderr_contains("apps.api.live_update")
    .stderr_contains("`live_update: true` does nothing without `sync` rules");
}

#[test]
fn the_build_plan_names_namespaces_and_helm_charts_with_their_dependants() {
    let project = Project::with_apps_yaml(&format!(
        "{DEV}repositories: {{valkey: https://valkey.io/valkey-helm}}\nhelm:\n  - name: cache\n    chart: valkey/valkey\n    version: 0.9.2\n    namespace: data\n    values: cache.yaml\n  - name: oci\n    chart: bitnamicharts/redis\n    repo: oci://registry-1.docker.io/bitnamicharts\n    version: 1.0.0\napps:\n  - name: api\n    image: nginx:1.27\n    depends_on: [{{name: cache}}]\n"
    ))
    .file("dev.env", "")
    .file("cache.yaml", "auth: {enabled: false}\n");
    let plan = plan(&project);
    // `apps` holds a workload and gets a Namespace; `data` only the chart, which creates it.
    assert_eq!(strings(&plan["namespaces"]), ["apps"]);
    let helm = plan["helm"].as_array().unwrap();
    let cache = helm.iter().find(|h| h["name"] == "cache").unwrap();
    assert_eq!(cache["chart"], "valkey");
    assert_eq!(cache["repo"], "https://valkey.io/valkey-helm");
    assert_eq!(cache["version"], "0.9.2");
    assert_eq!(cache["namespace"], "data");
    assert_eq!(cache["values"], serde_json::json!(["cache.yaml"]));
    assert_eq!(cache["create_namespace"], true);
    let oci = helm.iter().find(|h| h["name"] == "oci").unwrap();
    assert_eq!(
        oci["chart"],
        "oci://registry-1.docker.io/bitnamicharts/bitnamicharts/redis"
    );
    assert!(oci["repo"].is_null());
    let api = plan["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "api")
        .unwrap();
    assert_eq!(api["depends_on"], serde_json::json!(["cache"]));
}

/// The Tiltfile is Starlark; what it does with the plan is checked by reading it (Tilt cannot
/// run here), alongside the build-plan tests above.
#[test]
fn the_tiltfile_uses_every_part_of_the_plan() {
    let tiltfile = include_str!("../../Tiltfile");
    for required in [
        "watch_file(path)",
        "plan[\"inputs\"]",
        "new_name=\"namespaces\"",
        "resource_deps=deps_of(",
        "load(\"ext://helm_resource\", \"helm_resource\")",
        "helm_resource(",
        "plan[\"helm\"]",
        "fail(",
        "--create-namespace",
        "sync(s[\"src\"], s[\"dest\"])",
        "workload[\"port_forwards\"]",
    ] {
        assert!(
            tiltfile.contains(required),
            "the Tiltfile lacks `{required}`"
        );
    }
    // An unknown --only name fails instead of selecting nothing (which Tilt reads as all).
    assert!(!tiltfile.contains("set_enabled_resources"));
}

/// Starlark is close enough to Python for Python's parser to catch syntax errors.
#[test]
fn the_tiltfile_parses() {
    let tiltfile = concat!(env!("CARGO_MANIFEST_DIR"), "/Tiltfile");
    let Ok(output) = std::process::Command::new("python3")
        .args([
            "-c",
            "import ast, sys; ast.parse(open(sys.argv[1]).read())",
            tiltfile,
        ])
        .output()
    else {
        eprintln!("skipped: python3 is not installed");
        return;
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
