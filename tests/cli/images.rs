//! The one image reference rule: manifests and the build plan name the same images, tags
//! come from --image > --images > build.tag > latest, and the Tiltfile reads only k3s output.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::Project;

fn manifest_images(stream: &str) -> BTreeSet<String> {
    stream
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix("image: ")
                .or_else(|| l.trim_start().strip_prefix("- image: "))
        })
        .map(|i| i.trim_matches('"').to_string())
        .collect()
}

fn plan_images(plan: &serde_json::Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let built = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ref"].as_str().unwrap().to_string())
        .collect();
    let external = plan["external_images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect();
    (built, external)
}

fn k3s(apps_yaml: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_k3s"))
        .envs(crate::corpus::example_variables(
            apps_yaml.parent().unwrap(),
        ))
        .arg("-f")
        .arg(apps_yaml)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn every_example_names_the_same_images_in_manifests_and_build_plan() {
    let files = crate::corpus::example_apps_files();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let (project, _) = k3s::config::load(&file).unwrap();
        let _ = text;
        for env in project.environment_names() {
            let stream = k3s(&file, &["generate", "--env", env, "--stdout"]);
            assert!(
                stream.status.success(),
                "{}: {}",
                file.display(),
                String::from_utf8_lossy(&stream.stderr)
            );
            let plan = k3s(&file, &["build-plan", "--env", env]);
            assert!(
                plan.status.success(),
                "{}",
                String::from_utf8_lossy(&plan.stderr)
            );
            let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
            let (built, external) = plan_images(&plan);
            let in_manifests = manifest_images(&String::from_utf8_lossy(&stream.stdout));
            let in_plan: BTreeSet<String> = built.union(&external).cloned().collect();
            assert_eq!(in_manifests, in_plan, "{} env {env}", file.display());
            assert!(built.is_disjoint(&external));
            let list = k3s(&file, &["list", "--env", env, "--output", "json"]);
            let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
            let in_list: BTreeSet<String> = list["entries"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|e| e["environments"][env]["images"].as_array().unwrap().clone())
                .map(|i| i.as_str().unwrap().to_string())
                .collect();
            assert_eq!(in_list, in_plan, "k3s list, {} env {env}", file.display());
        }
    }
}

const APPS: &str = "version: \"2\"\nenvironments:\n  dev: {}\n  gcp: {}\ndefaults:\n  registry: {dev: registry.localhost:5111, gcp: gcr.io/acme}\napps:\n  - name: api\n    path: api\n    build: {tag: v1}\n  - name: web\n    path: web\n  - name: proxy\n    image: nginx:1.27\nserverless:\n  - name: fns\n    path: fns\n";

fn project() -> Project {
    Project::with_apps_yaml(APPS)
        .file("api/Dockerfile", "FROM scratch\n")
        .file("web/Dockerfile", "FROM scratch\n")
        .file(
            "fns/functions.py",
            "@http_trigger(path=\"/x\")\ndef x(request):\n    pass\n",
        )
        .file("tags.env", "web=2024-06-01\n")
}

fn images(project: &Project, extra: &[&str]) -> BTreeSet<String> {
    let mut args = vec!["generate", "--env", "gcp", "--stdout"];
    args.extend(extra);
    let run = project.run(&args);
    run.code(0);
    manifest_images(&run.stdout)
}

#[test]
fn tags_follow_the_documented_precedence() {
    let project = project();
    let expected = |api: &str, web: &str, fns: &str| -> BTreeSet<String> {
        [
            format!("gcr.io/acme/api:{api}"),
            format!("gcr.io/acme/web:{web}"),
            format!("gcr.io/acme/fns:{fns}"),
            "nginx:1.27".to_string(),
        ]
        .into_iter()
        .collect()
    };
    assert_eq!(images(&project, &[]), expected("v1", "latest", "latest"));
    assert_eq!(
        images(&project, &["--images", "tags.env"]),
        expected("v1", "2024-06-01", "latest")
    );
    assert_eq!(
        images(
            &project,
            &[
                "--images",
                "tags.env",
                "--image",
                "web=hotfix",
                "--image",
                "fns=f2",
                "--image",
                "api=v2"
            ]
        ),
        expected("v2", "hotfix", "f2")
    );
    let digest = format!("sha256:{}", "0".repeat(64));
    assert!(
        images(&project, &["--image", &format!("api=@{digest}")])
            .contains(&format!("gcr.io/acme/api@{digest}"))
    );
}

#[test]
fn an_image_flag_changes_only_that_image() {
    let project = project();
    let before = project.run(&["generate", "--env", "gcp", "--stdout"]);
    let after = project.run(&["generate", "--env", "gcp", "--stdout", "--image", "api=v9"]);
    let changed: Vec<(&str, &str)> = before
        .stdout
        .lines()
        .zip(after.stdout.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("gcr.io/acme/api:v9"));
}

#[test]
fn an_unknown_image_name_is_refused() {
    project()
        .run(&["build-plan", "--env", "gcp", "--image", "apj=v1"])
        .code(1)
        .stderr_contains("no workload builds an image named `apj`");
    project()
        .file("bad.env", "apj=v1\n")
        .run(&[
            "generate", "--env", "gcp", "--images", "bad.env", "--stdout",
        ])
        .code(1)
        .stderr_contains("bad.env:1:1: error: no workload builds an image named `apj`");
}

#[test]
fn the_build_plan_of_dev_uses_the_dev_dockerfile_and_generated_dockerfiles() {
    let project = Project::with_apps_yaml(
        "version: \"2\"\nenvironments: {dev: {}}\napps:\n  - name: api\n    path: api\n    build: {dockerfile_dev: Dockerfile.dev}\n    port: 8000\n    live_update: true\n    sync: [{src: src/, dest: /app/src/}]\n    container: {ports: [{container_port: 8000}]}\nserverless:\n  - name: fns\n    path: fns\n    port_base: 9000\n",
    )
    .file("api/Dockerfile", "FROM scratch\n")
    .file("api/Dockerfile.dev", "FROM scratch\n")
    .file("fns/functions.py", "@http_trigger(path=\"/x\")\ndef x(request):\n    pass\n");
    let run = project.run(&["build-plan", "--env", "dev"]);
    run.code(0);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let api = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "api")
        .unwrap();
    assert_eq!(api["dockerfile"], "api/Dockerfile.dev");
    assert_eq!(api["sync"][0]["src"], "api/src");
    let fns = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "fns")
        .unwrap();
    assert!(fns["dockerfile"].is_null());
    assert!(
        fns["dockerfile_contents"]
            .as_str()
            .unwrap()
            .contains("FROM python")
    );
    let workloads = plan["workloads"].as_array().unwrap();
    let api_workload = workloads.iter().find(|w| w["name"] == "api").unwrap();
    assert_eq!(api_workload["port_forwards"][0]["local"], 8000);
    // The function scales to zero (min_instances 0): no pod to forward to.
    let fn_workload = workloads.iter().find(|w| w["name"] == "fns-x").unwrap();
    assert_eq!(fn_workload["scales_to_zero"], true);
    assert_eq!(fn_workload["port_forwards"], serde_json::json!([]));
}

#[test]
fn the_tiltfile_reads_only_k3s_output() {
    let tiltfile = include_str!("../../Tiltfile");
    let code: Vec<&str> = tiltfile
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let code = code.join("\n");
    for forbidden in [
        "apps.yaml",
        "read_yaml",
        "read_file",
        "read_yaml_stream",
        "compose",
    ] {
        assert!(
            !code.contains(forbidden),
            "the Tiltfile must not use `{forbidden}`"
        );
    }
    assert!(code.contains("\"build-plan\""));
    assert!(code.contains("\"--stdout\""));
    assert!(code.contains("docker_build(image[\"ref\"]"));
}
