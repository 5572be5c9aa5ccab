//! Issue #15's "Why", one test per bullet not proven elsewhere: the Tiltfile loaded as Tilt
//! loads it (its Tilt calls recorded, the k3s commands it runs real), the legacy `--output DIR`
//! spelling placing the Applications, the README's Argo CD waves, every help page and flag
//! documented, and every schema property described as `k3s schema` prints it.

use std::path::Path;

use serde_json::{Value, json};

use crate::support::{ENVS, Project};

// -- Tilt ---------------------------------------------------------------------------------------

/// Loads the Tiltfile with Python (Starlark's syntax and semantics, for what the Tiltfile
/// uses, are Python's), Tilt's built-ins replaced by recorders. argv: the Tiltfile, the
/// project directory, the JSON of `tilt up -- ARGS`, a JSON file holding the stream of
/// `k3s generate --stdout` and its documents (Python has no YAML parser of its own), the file
/// to write `{"fail": message or null, "calls": {builtin: [...]}}` to.
const TILT_HARNESS: &str = r#"
import json, os, subprocess, sys

tiltfile, project, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
rendered = json.load(open(sys.argv[4]))
calls = {n: [] for n in ("watch_file", "k8s_yaml", "k8s_resource", "k8s_kind", "docker_build", "helm_resource", "load")}

class Fail(Exception):
    pass

def fail(message):
    raise Fail(message)

class Config:
    def __init__(self):
        self.defined = []
    def define_string_list(self, name, args=False, usage=""):
        self.defined.append(name)
    def parse(self):
        unknown = [k for k in args if k not in self.defined]
        if unknown:
            fail("Tilt: unknown config flags %s" % unknown)
        return dict(args)

class Os:
    def getenv(self, name, default=None):
        return os.environ.get(name, default)

def local(command, quiet=False, **kwargs):
    done = subprocess.run(command, cwd=project, capture_output=True, text=True)
    if done.returncode != 0:
        fail("local %s exited %d: %s" % (command, done.returncode, done.stderr))
    return done.stdout

def decode_yaml_stream(text):
    if text != rendered["yaml"]:
        fail("decode_yaml_stream was given another stream than `k3s generate --stdout`")
    return json.loads(json.dumps(rendered["documents"]))

def record(name):
    def call(*a, **kw):
        calls[name].append({"args": list(a), "kwargs": kw})
    return call

scope = {
    "config": Config(), "os": Os(), "local": local, "fail": fail,
    "decode_json": json.loads, "decode_yaml_stream": decode_yaml_stream,
    "encode_yaml_stream": lambda objects: {"objects": list(objects)},
    "k8s_yaml": lambda blob: calls["k8s_yaml"].append(blob["objects"]),
    "sync": lambda src, dest: {"src": src, "dest": dest},
}
for name in ("watch_file", "load", "helm_resource", "k8s_resource", "k8s_kind", "docker_build"):
    scope[name] = record(name)
try:
    exec(compile(open(tiltfile).read(), tiltfile, "exec"), scope)
    failed = None
except Fail as error:
    failed = str(error)
with open(sys.argv[5], "w") as out:
    json.dump({"fail": failed, "calls": calls}, out)
"#;

/// Kinds Tilt makes a resource of by itself: the built-in ones with a pod template (others
/// need `k8s_kind`, or Tilt leaves them "uncategorized" and `k8s_resource(name)` fails with
/// "specified unknown resource").
const TILT_WORKLOAD_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// The documents of a `k3s generate --stdout` stream.
fn documents(stream: &str) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in stream.lines().chain(["---"]) {
        if line == "---" {
            if !current.trim().is_empty() {
                let doc: Value = serde_saphyr::from_str(&current).expect("k3s writes YAML");
                if !doc.is_null() {
                    docs.push(doc); // not a document of comments only
                }
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    docs
}

struct TiltUp {
    fail: Option<String>,
    calls: Value,
    plan: Value,
    documents: Vec<Value>,
    stream: String,
}

/// `tilt up -- ARGS` in `dir` with the repository's Tiltfile (loaded by python3, which the
/// test command requires).
fn tilt_up(dir: &Path, env: &str, args: Value) -> TiltUp {
    assert!(
        std::process::Command::new("python3")
            .arg("--version")
            .output()
            .is_ok(),
        "python3 is needed to load the Tiltfile (scripts/test names what is missing)"
    );
    let k3s = |args: &[&str]| {
        let out = std::process::Command::new(crate::support::binary())
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "k3s {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let stream = k3s(&["generate", "--env", env, "--stdout"]);
    let plan: Value = serde_json::from_str(&k3s(&["build-plan", "--env", env])).unwrap();
    let documents = documents(&stream);
    let scratch = tempfile::tempdir().unwrap();
    let rendered = scratch.path().join("rendered.json");
    let recorded = scratch.path().join("recorded.json");
    std::fs::write(
        &rendered,
        json!({"yaml": stream, "documents": documents}).to_string(),
    )
    .unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", TILT_HARNESS])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Tiltfile"))
        .arg(dir)
        .arg(args.to_string())
        .arg(&rendered)
        .arg(&recorded)
        .env("K3S_BIN", crate::support::binary())
        .env("K3S_ENV", env)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the Tiltfile raised:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&std::fs::read(&recorded).unwrap()).unwrap();
    TiltUp {
        fail: result["fail"].as_str().map(str::to_string),
        calls: result["calls"].clone(),
        plan,
        documents,
        stream,
    }
}

impl TiltUp {
    fn calls(&self, builtin: &str) -> Vec<&Value> {
        self.calls[builtin].as_array().unwrap().iter().collect()
    }

    fn applied(&self) -> Vec<&Value> {
        self.calls("k8s_yaml")
            .into_iter()
            .flat_map(|objects| objects.as_array().unwrap())
            .collect()
    }

    /// The names of the resources Tilt makes of the applied workloads.
    fn tilt_workloads(&self) -> Vec<String> {
        let declared: Vec<&str> = self
            .calls("k8s_kind")
            .iter()
            .filter_map(|c| c["args"][0].as_str())
            .collect();
        self.applied()
            .into_iter()
            .filter(|o| {
                let kind = o["kind"].as_str().unwrap();
                TILT_WORKLOAD_KINDS.contains(&kind) || declared.contains(&kind)
            })
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn resource(&self, name: &str) -> Option<&Value> {
        self.calls("k8s_resource")
            .into_iter()
            .find(|c| c["args"][0] == name)
    }

    /// What Tilt needs of a first `tilt up` on a fresh cluster, for everything enabled.
    fn check_everything_is_deployed_in_order(&self) {
        assert_eq!(self.fail, None);
        // Reload on every file k3s read.
        let watched: Vec<&Value> = self
            .calls("watch_file")
            .iter()
            .map(|c| &c["args"][0])
            .collect();
        let inputs: Vec<&Value> = self.plan["inputs"].as_array().unwrap().iter().collect();
        assert_eq!(watched, inputs);
        assert!(watched.iter().any(|w| *w == "apps.yaml"), "{watched:?}");
        // The Namespaces first, as a resource every other one waits for.
        let namespaces: Vec<String> = self.plan["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| format!("{}:namespace", n.as_str().unwrap()))
            .collect();
        let first = &self.calls("k8s_yaml")[0];
        assert!(
            first
                .as_array()
                .unwrap()
                .iter()
                .all(|o| o["kind"] == "Namespace"),
            "{first}"
        );
        let namespace_resource = self
            .calls("k8s_resource")
            .into_iter()
            .find(|c| c["kwargs"]["new_name"] == "namespaces")
            .expect("a `namespaces` resource");
        assert_eq!(namespace_resource["kwargs"]["objects"], json!(namespaces));
        // Every k8s_resource names a workload Tilt knows, after the Namespaces.
        let known = self.tilt_workloads();
        for call in self.calls("k8s_resource") {
            if call["kwargs"]["new_name"] == "namespaces" {
                continue;
            }
            let name = call["args"][0].as_str().unwrap();
            assert!(
                known.iter().any(|k| k == name),
                "k8s_resource({name:?}): Tilt knows no such workload (known: {known:?})"
            );
            assert_eq!(call["kwargs"]["resource_deps"][0], "namespaces", "{call}");
        }
        // Every workload of the plan, its port forwards only where a pod always runs.
        for workload in self.plan["workloads"].as_array().unwrap() {
            let name = workload["name"].as_str().unwrap();
            let call = self
                .resource(name)
                .unwrap_or_else(|| panic!("no k8s_resource({name:?})"));
            let forwards = call["kwargs"]["port_forwards"].as_array().unwrap();
            if workload["scales_to_zero"] == true {
                assert!(forwards.is_empty(), "{name} scales to zero: {forwards:?}");
            }
            for depended in workload["depends_on"].as_array().unwrap() {
                let deps = call["kwargs"]["resource_deps"].as_array().unwrap();
                assert!(
                    deps.iter().any(|d| d == depended),
                    "{name}: {deps:?} lacks {depended}"
                );
            }
        }
        // Every Helm entry installed, after the Namespaces.
        let charts: Vec<&Value> = self.calls("helm_resource");
        let plan_charts = self.plan["helm"].as_array().unwrap();
        assert_eq!(charts.len(), plan_charts.len(), "{charts:?}");
        for (call, chart) in charts.iter().zip(plan_charts) {
            assert_eq!(call["args"][0], chart["name"]);
            assert_eq!(call["kwargs"]["resource_deps"][0], "namespaces", "{call}");
        }
        // Every image built, used by the manifests, live-updated where asked.
        let builds = self.calls("docker_build");
        let images = self.plan["images"].as_array().unwrap();
        assert_eq!(builds.len(), images.len());
        for (build, image) in builds.iter().zip(images) {
            let reference = image["ref"].as_str().unwrap();
            assert_eq!(build["args"][0], reference);
            assert!(
                self.stream.contains(&format!("image: {reference}\n")),
                "{reference} is in no manifest"
            );
            let syncs = &build["kwargs"]["live_update"];
            if image["live_update"] == true {
                assert_eq!(syncs, &image["sync"], "{reference}");
                assert!(!syncs.as_array().unwrap().is_empty(), "{reference}");
            }
        }
        assert_eq!(self.applied().len(), self.documents.len());
    }
}

/// The repository's own project, as `tilt up` runs it (K3S_ENV=dev): the api and functions
/// depend on valkey, a Helm entry; the functions scale to zero and live-update.
#[test]
fn tilt_up_on_a_fresh_cluster_deploys_everything_in_order() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let up = tilt_up(root, "dev", json!({}));
    up.check_everything_is_deployed_in_order();
    assert!(
        up.calls("helm_resource")
            .iter()
            .any(|c| c["args"][0] == "valkey"),
        "valkey is installed"
    );
    let api = up.resource("api").unwrap();
    assert!(
        api["kwargs"]["resource_deps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "valkey")
    );
}

#[test]
fn tilt_up_only_with_an_unknown_name_fails_naming_the_entries() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let up = tilt_up(root, "dev", json!({"only": ["apu"]}));
    let message = up.fail.expect("an unknown --only name fails");
    assert!(
        message.contains("no entry `apu` in environment `dev`"),
        "{message}"
    );
    assert!(
        message.contains("api") && message.contains("valkey"),
        "{message}"
    );
    // And `--only api` deploys the api with what it depends on (the Valkey chart) and the
    // Namespaces; `--exclude valkey` leaves the chart out again.
    let up = tilt_up(root, "dev", json!({"only": ["api"]}));
    assert_eq!(up.fail, None);
    let resources: Vec<&Value> = up
        .calls("k8s_resource")
        .iter()
        .map(|c| c["args"].get(0).unwrap_or(&c["kwargs"]["new_name"]))
        .collect();
    assert_eq!(resources, [&json!("namespaces"), &json!("api")]);
    let charts: Vec<&Value> = up
        .calls("helm_resource")
        .iter()
        .map(|c| &c["args"][0])
        .collect();
    assert_eq!(charts, [&json!("valkey")]);
    let api = up.resource("api").unwrap();
    assert!(
        api["kwargs"]["resource_deps"]
            .as_array()
            .unwrap()
            .contains(&json!("valkey")),
        "the api waits for its chart: {api}"
    );
    let up = tilt_up(root, "dev", json!({"only": ["api"], "exclude": ["valkey"]}));
    assert!(up.calls("helm_resource").is_empty());
}

/// A queue function in job mode is a KEDA ScaledJob: Tilt must be told it is a workload, or
/// `k8s_resource` on it fails and its image is never injected.
#[test]
fn tilt_up_knows_scaled_jobs_as_workloads() {
    let project = Project::with_apps_yaml(
        "version: \"2\"\nenvironments:\n  dev: {}\ndefaults:\n  queue: {address: \"valkey:6379\"}\nserverless:\n  - name: fns\n    path: fns\n    live_update: true\n",
    )
    .file(
        "fns/functions/jobs.py",
        "from k3sfn import queue_trigger\n\n@queue_trigger(queue_name=\"jobs\", mode=\"job\")\ndef run(messages):\n    pass\n",
    );
    let up = tilt_up(project.path(), "dev", json!({}));
    assert!(
        up.documents.iter().any(|d| d["kind"] == "ScaledJob"),
        "the project renders a ScaledJob"
    );
    up.check_everything_is_deployed_in_order();
    let kinds = up.calls("k8s_kind");
    let scaled_job = kinds
        .iter()
        .find(|c| c["args"][0] == "ScaledJob")
        .expect("k8s_kind(\"ScaledJob\", …)");
    assert_eq!(scaled_job["kwargs"]["api_version"], "keda.sh/v1alpha1");
    // Where the image is, and no waiting for pods that only messages start.
    assert_eq!(
        scaled_job["kwargs"]["image_json_path"],
        "{.spec.jobTargetRef.template.spec.containers[*].image}"
    );
    assert_eq!(scaled_job["kwargs"]["pod_readiness"], "ignore");
}

// -- Argo CD ------------------------------------------------------------------------------------

/// The spelling of the issue, `generate --output DIR` (now `--output-dir`): the Applications
/// point into DIR, not at argocd-state/<env>.
#[test]
fn legacy_output_dir_spelling_places_the_applications() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}argocd: {{repo_url: https://git.example.com/platform.git}}\napps:\n  - name: web\n    image: nginx:1.27\n"
    ));
    project
        .run(&["generate", "--env", "gcp", "--output", "deploy"])
        .code(0)
        .stderr_contains("--output-dir");
    let read = |p: &str| std::fs::read_to_string(project.path().join(p)).unwrap();
    assert!(read("deploy/gcp/applications/apps-web.yaml").contains("path: deploy/gcp/apps/web\n"));
    assert!(read("deploy/gcp/bootstrap/root.yaml").contains("path: deploy/gcp\n"));
    assert!(!project.path().join("argocd-state").exists());
}

/// The README's Argo CD section says that waves between Applications need the Application
/// health check in argocd-cm, and bootstraps with the generated root, not a hand-written one.
#[test]
fn readme_explains_waves_with_the_application_health_check() {
    let readme = include_str!("../../README.md");
    let argo = readme
        .split("**Bootstrap Argo CD**")
        .nth(1)
        .expect("README has the Argo CD bootstrap");
    let argo = argo.split("\n## ").next().unwrap();
    for needed in [
        "kubectl apply -k argocd-state/gcp/bootstrap",
        "argocd.argoproj.io/sync-wave",
        "name: argocd-cm",
        "resource.customizations.health.argoproj.io_Application",
    ] {
        assert!(
            argo.contains(needed),
            "README's Argo CD section lacks {needed}"
        );
    }
    assert!(
        !readme.contains("project: default"),
        "README hand-writes an Application"
    );
}

/// Every example's tree as the example writes it (most have no `repo_url`, so no Argo CD:
/// manifests and kustomizations only), every directory with a kustomization.yaml built with
/// `kubectl kustomize` (scripts/kustomize-tree). argocd.rs builds them with `--repo-url`.
#[test]
fn every_example_tree_as_written_builds_with_kubectl_kustomize() {
    let files = crate::corpus::example_apps_files();
    let out = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    let mut without_argo = 0;
    for (i, file) in files.iter().enumerate() {
        let tree = out.path().join(i.to_string());
        crate::support::generate_example(file, &["-q"], &tree);
        if !std::fs::read_to_string(file).unwrap().contains("repo_url") {
            without_argo += 1;
        }
        trees.push(tree);
    }
    assert!(without_argo > 0);
    crate::support::kustomize_trees(&trees);
}

// -- CLI habits ---------------------------------------------------------------------------------

/// The subcommands listed under `Commands:` of a help page.
fn subcommands(help: &str) -> Vec<String> {
    help.split("Commands:\n")
        .nth(1)
        .map(|rest| {
            rest.lines()
                .take_while(|l| l.starts_with("  "))
                .filter_map(|l| l.split_whitespace().next())
                .filter(|c| *c != "help")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Every help page, walked from `k3s -h` through every subcommand, has an example, and every
/// option and argument on it says what it is.
#[test]
fn every_help_page_has_examples_and_every_flag_a_description() {
    let mut pages = vec![Vec::<String>::new()];
    let mut checked = 0;
    while let Some(words) = pages.pop() {
        let mut args: Vec<&str> = words.iter().map(String::as_str).collect();
        args.push("-h");
        let run = Project::new().run(&args);
        run.code(0);
        let help = &run.stdout;
        let examples = help.split("\nExamples:\n").nth(1).unwrap_or_default();
        assert!(
            examples
                .lines()
                .next()
                .is_some_and(|l| l.starts_with("  ") && l.contains("k3s ")),
            "`k3s {}` has no Examples:\n{help}",
            words.join(" ")
        );
        let mut section = "";
        for line in help.lines() {
            if !line.starts_with(' ') && line.ends_with(':') {
                section = line;
                continue;
            }
            let entry = line.trim_start();
            // Items are indented 2 (`-e, --env`, `<NAME>`) or 6 (`--set`) spaces; wrapped
            // descriptions far more.
            let is_item = line.len() - entry.len() <= 6 && entry.starts_with(['-', '<', '[']);
            if (section == "Options:" || section == "Arguments:") && is_item {
                let described = entry
                    .split_once("  ")
                    .is_some_and(|(_, text)| !text.trim().is_empty());
                assert!(
                    described,
                    "`k3s {} -h`: `{entry}` has no description",
                    words.join(" ")
                );
            }
        }
        for sub in subcommands(help) {
            let mut next = words.clone();
            next.push(sub);
            pages.push(next);
        }
        checked += 1;
    }
    assert!(checked >= 19, "only {checked} help pages");
}

// -- Editor -------------------------------------------------------------------------------------

/// Every property anywhere in `k3s schema` (the file editors load for hover) has a
/// description: the app-entry and scaling fields included.
#[test]
fn every_property_of_the_printed_schema_has_a_description() {
    fn walk(node: &Value, at: &str, seen: &mut usize, missing: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    for (name, property) in properties {
                        *seen += 1;
                        let described = property["description"]
                            .as_str()
                            .is_some_and(|d| !d.trim().is_empty());
                        if !described {
                            missing.push(format!("{at}.{name}"));
                        }
                    }
                }
                for (key, child) in map {
                    walk(child, &format!("{at}.{key}"), seen, missing);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}[{i}]"), seen, missing);
                }
            }
            _ => {}
        }
    }
    let run = Project::new().run(&["schema"]);
    run.code(0);
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    let (mut seen, mut missing) = (0, Vec::new());
    walk(&schema, "", &mut seen, &mut missing);
    assert!(seen > 500, "only {seen} properties");
    assert!(missing.is_empty(), "no description: {missing:#?}");
    // Where hover matters most: an app entry's fields and the scaling fields.
    let defs = schema["$defs"].as_object().unwrap();
    let holding = |field: &str| {
        defs.values()
            .filter(|d| d["properties"].get(field).is_some())
            .count()
    };
    assert!(holding("scaling") > 0 && holding("min_instances") > 0);
}
