//! `k3s diff` and `k3s validate --cluster` against a stand-in API server (built with the
//! `cluster` feature: `cargo test --features cluster --test cluster`).
//!
//! No real kube-apiserver can be started where these tests run, so a small HTTP/1.1 server on a
//! loopback port answers as one does: GET gives the live object or a `NotFound` Status, the
//! dry-run apply gives the applied object with the server's fields, or a `NotFound` Status for a
//! missing namespace, or a recorded refusal. The real binary talks to it through a kubeconfig
//! written for the test, so kube's client, the kubeconfig handling and the exit codes are all
//! the real ones.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

const APPS_YAML: &str = r#"version: "2"

environments:
  local:
    domain: localhost

apps:
  - name: web
    image: nginxinc/nginx-unprivileged:1.27-alpine
    container:
      ports:
        - container_port: 8080
    resources:
      memory: 32Mi
      cpu: 10m
      memory_limit: 64Mi
  - name: worker
    image: busybox:1.37
    resources:
      memory: 32Mi
      cpu: 10m
      memory_limit: 64Mi
"#;

const NAMESPACE: &str = "/api/v1/namespaces/apps";
const DEPLOYMENT: &str = "/apis/apps/v1/namespaces/apps/deployments/web";

/// One request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: BTreeMap<String, String>,
    body: String,
}

#[derive(Default)]
struct State {
    /// The cluster's objects by path, as GET answers them.
    live: BTreeMap<String, Value>,
    /// Recorded answers to the dry-run apply of a path: status and body.
    refusals: BTreeMap<String, (u16, String)>,
    /// A `Warning` header on the dry-run apply of a path.
    warnings: BTreeMap<String, String>,
    seen: Vec<Seen>,
}

/// The stand-in API server, serving until the test ends.
struct ApiServer {
    port: u16,
    state: Arc<Mutex<State>>,
}

impl ApiServer {
    fn start() -> ApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("an address").port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        ApiServer { port, state }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("the server's state")
    }

    /// The cluster holds `objects` (YAML documents, as `generate -o yaml` prints them) with
    /// the fields the server adds.
    fn holds(&self, stream: &str) {
        let mut state = self.state();
        for document in documents(stream) {
            let object: Value = serde_saphyr::from_str(&document).expect("a YAML object");
            state
                .live
                .insert(object_path(&object), with_server_fields(object));
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state().seen.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().expect("a stream"));
    let mut stream = stream;
    // HTTP/1.1 keeps the connection open: one request after the other until the client closes.
    while let Some(request) = read_request(&mut reader) {
        let (status, body, warning) = answer(&request, state);
        state.lock().expect("state").seen.push(request);
        let mut response = format!(
            "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            reason(status),
            body.len()
        );
        if let Some(warning) = warning {
            response.push_str(&format!("warning: 299 - \"{warning}\"\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&body);
        if stream.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    Some(Seen {
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// What a kube-apiserver would answer, from the state.
fn answer(request: &Seen, state: &Mutex<State>) -> (u16, String, Option<String>) {
    let state = state.lock().expect("state");
    match request.method.as_str() {
        "GET" => match state.live.get(&request.path) {
            Some(object) => (200, object.to_string(), None),
            None => (404, not_found(&request.path), None),
        },
        "PATCH" if request.query.split('&').any(|p| p == "dryRun=All") => {
            let warning = state.warnings.get(&request.path).cloned();
            if let Some((status, body)) = state.refusals.get(&request.path) {
                return (*status, body.clone(), warning);
            }
            if let Some(ns) = namespace_of(&request.path)
                && !state.live.contains_key(&format!("/api/v1/namespaces/{ns}"))
            {
                return (
                    404,
                    status_json(
                        404,
                        "NotFound",
                        &format!("namespaces \"{ns}\" not found"),
                        json!({"name": ns, "kind": "namespaces"}),
                    ),
                    warning,
                );
            }
            let applied: Value = serde_json::from_str(&request.body).expect("a JSON body");
            let code = if state.live.contains_key(&request.path) {
                200
            } else {
                201
            };
            (code, with_server_fields(applied).to_string(), warning)
        }
        // Anything else would change the cluster: a test must see it fail.
        _ => (
            405,
            status_json(
                405,
                "MethodNotAllowed",
                "only GET and dry-run PATCH here",
                json!({}),
            ),
            None,
        ),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        _ => "Other",
    }
}

fn status_json(code: u16, reason: &str, message: &str, details: Value) -> String {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details, "code": code,
    })
    .to_string()
}

/// `deployments.apps "web" not found`, as the server says it.
fn not_found(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    let name = parts.last().copied().unwrap_or_default();
    let plural = parts
        .get(parts.len().wrapping_sub(2))
        .copied()
        .unwrap_or_default();
    let group = if parts.get(1) == Some(&"apis") {
        parts[2]
    } else {
        ""
    };
    let resource = if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    };
    status_json(
        404,
        "NotFound",
        &format!("{resource} \"{name}\" not found"),
        json!({"name": name, "group": group, "kind": plural}),
    )
}

/// The namespace segment of a namespaced object's path.
fn namespace_of(path: &str) -> Option<&str> {
    let rest = path.split_once("/namespaces/")?.1;
    let (namespace, rest) = rest.split_once('/')?;
    (!rest.is_empty()).then_some(namespace)
}

/// The path of an object as k3s writes it (the kinds of the test's project).
fn object_path(object: &Value) -> String {
    let name = object["metadata"]["name"].as_str().expect("a name");
    let namespace = object["metadata"]["namespace"].as_str();
    let (root, plural) = match object["kind"].as_str().expect("a kind") {
        "Namespace" => ("/api/v1".to_string(), "namespaces"),
        "Service" => ("/api/v1".to_string(), "services"),
        "ServiceAccount" => ("/api/v1".to_string(), "serviceaccounts"),
        "Deployment" => ("/apis/apps/v1".to_string(), "deployments"),
        "NetworkPolicy" => ("/apis/networking.k8s.io/v1".to_string(), "networkpolicies"),
        other => panic!("the test server does not know {other}"),
    };
    match namespace {
        Some(ns) => format!("{root}/namespaces/{ns}/{plural}/{name}"),
        None => format!("{root}/{plural}/{name}"),
    }
}

fn with_server_fields(mut object: Value) -> Value {
    let metadata = object["metadata"].as_object_mut().expect("metadata");
    metadata.insert("uid".into(), json!("0b5c9a4e-2f1d-4d3a-9c55-7f2a1e6b8d10"));
    metadata.insert("resourceVersion".into(), json!("48213"));
    metadata.insert("creationTimestamp".into(), json!("2026-11-02T09:14:27Z"));
    metadata.insert(
        "managedFields".into(),
        json!([{"manager": "k3s", "operation": "Apply", "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": {}}]),
    );
    object
        .as_object_mut()
        .expect("an object")
        .insert("status".into(), json!({}));
    object
}

fn documents(stream: &str) -> Vec<String> {
    let mut documents: Vec<String> = Vec::new();
    for line in stream.lines() {
        if line == "---" {
            documents.push(String::new());
        } else if let Some(document) = documents.last_mut() {
            document.push_str(line);
            document.push('\n');
        }
    }
    documents
}

/// A project directory with the apps.yaml and a kubeconfig for `port`.
struct Project {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Project {
    fn new(port: u16) -> Project {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("apps.yaml"), APPS_YAML).expect("apps.yaml");
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: stand-in\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: stand-in\n  context:\n    cluster: stand-in\n    user: tester\ncurrent-context: stand-in\nusers:\n- name: tester\n  user:\n    token: test-token\n"
        );
        std::fs::write(dir.path().join("kubeconfig"), kubeconfig).expect("kubeconfig");
        Project { dir }
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("kubeconfig")
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with_kubeconfig(args, &self.kubeconfig())
    }

    fn run_with_kubeconfig(&self, args: &[&str], kubeconfig: &Path) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_k3s"))
            .args(args)
            .current_dir(self.dir.path())
            .env("KUBECONFIG", kubeconfig)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .output()
            .expect("k3s runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// What `generate -o yaml` prints: the objects a cluster that is up to date holds.
    fn manifests(&self) -> String {
        let run = self.run(&["generate", "--env", "local", "-o", "yaml"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.stdout
    }
}

/// A cluster holding exactly what k3s writes.
fn up_to_date() -> (ApiServer, Project) {
    let server = ApiServer::start();
    let project = Project::new(server.port);
    server.holds(&project.manifests());
    (server, project)
}

#[test]
fn diff_shows_what_would_change_and_exits_1() {
    let (server, project) = up_to_date();
    // Someone scaled the Deployment by hand.
    server
        .state()
        .live
        .get_mut(DEPLOYMENT)
        .expect("the Deployment")["spec"]["replicas"] = json!(3);
    let run = project.run(&["diff", "--env", "local"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "--- live/apps.v1.Deployment.apps.web\n+++ merged/apps.v1.Deployment.apps.web\n@@ "
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\n-  replicas: 3\n+  replicas: 1\n"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches("--- live/").count(), 1, "{}", run.stdout);
    assert!(!run.stdout.contains("resourceVersion") && !run.stdout.contains("managedFields"));
    assert!(
        run.stderr.contains(&format!(
            "1 of 6 objects would change: 0 created, 1 changed (http://127.0.0.1:{} (context `stand-in` of KUBECONFIG=",
            server.port
        )),
        "{}",
        run.stderr
    );

    // Every object read, then dry-run applied by k3s with the kubeconfig's token, in apply
    // order: the Namespace first.
    let seen = server.seen();
    assert_eq!(seen.len(), 12, "{seen:#?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", NAMESPACE)
    );
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("PATCH", NAMESPACE)
    );
    for pair in seen.chunks(2) {
        let (get, apply) = (&pair[0], &pair[1]);
        assert_eq!(get.method, "GET");
        assert_eq!(apply.method, "PATCH");
        assert_eq!(get.path, apply.path);
        let mut query: Vec<&str> = apply.query.split('&').filter(|p| !p.is_empty()).collect();
        query.sort_unstable();
        assert_eq!(
            query,
            ["dryRun=All", "fieldManager=k3s", "force=true"],
            "{apply:?}"
        );
        assert_eq!(
            apply.headers.get("content-type").map(String::as_str),
            Some("application/apply-patch+yaml")
        );
        assert_eq!(
            apply.headers.get("authorization").map(String::as_str),
            Some("Bearer test-token")
        );
        let body: Value = serde_json::from_str(&apply.body).expect("the object as JSON");
        assert_eq!(object_path(&body), apply.path);
    }
}

#[test]
fn diff_exits_0_when_the_cluster_has_everything() {
    let (_server, project) = up_to_date();
    let run = project.run(&["diff", "--env", "local"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .contains("no changes: the cluster has all 6 objects as k3s writes them"),
        "{}",
        run.stderr
    );
}

#[test]
fn on_a_fresh_cluster_everything_is_new_and_the_namespace_noted() {
    let server = ApiServer::start();
    let project = Project::new(server.port);
    let run = project.run(&["diff", "--env", "local"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout.matches("--- live/").count(), 6, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("+++ merged/v1.Namespace.apps\n@@ -0,0 +1,"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("note: Deployment apps/web: its namespace `apps` is created by this apply"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("6 of 6 objects would change: 6 created, 0 changed"),
        "{}",
        run.stderr
    );
}

#[test]
fn only_names_entries_and_keeps_their_namespace() {
    let (server, project) = up_to_date();
    let run = project.run(&["diff", "--env", "local", "--only", "worker"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let paths: Vec<String> = server.seen().iter().map(|s| s.path.clone()).collect();
    assert!(paths.contains(&NAMESPACE.to_string()), "{paths:?}");
    assert!(paths.iter().all(|p| !p.ends_with("/web")), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.ends_with("/deployments/worker")),
        "{paths:?}"
    );

    let run = project.run(&["diff", "--env", "local", "--only", "wrker"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("--only wrker"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `worker`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn json_output_lists_every_object_and_its_change() {
    let (server, project) = up_to_date();
    server
        .state()
        .live
        .get_mut(DEPLOYMENT)
        .expect("the Deployment")["spec"]["replicas"] = json!(3);
    let run = project.run(&["diff", "--env", "local", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(json["changed"], true);
    let objects = json["objects"].as_array().expect("objects");
    assert_eq!(objects.len(), 6);
    let web = objects
        .iter()
        .find(|o| o["kind"] == "Deployment" && o["name"] == "web")
        .expect("the Deployment");
    assert_eq!(web["change"], "changed");
    assert!(
        web["diff"]
            .as_str()
            .expect("a diff")
            .contains("+  replicas: 1")
    );
    assert_eq!(objects[0]["kind"], "Namespace");
    assert_eq!(objects[0]["change"], "unchanged");
    assert_eq!(objects[0]["diff"], Value::Null);
}

#[test]
fn validate_cluster_accepts_what_the_server_accepts() {
    let (server, project) = up_to_date();
    let run = project.run(&["validate", "--cluster"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("local: valid; the cluster accepts all 6 objects (server-side dry run at http://127.0.0.1:"),
        "{}",
        run.stdout
    );
    // The same dry run, and no diff.
    assert_eq!(server.seen().len(), 12);
    assert!(!run.stdout.contains("--- live/"));
}

#[test]
fn validate_cluster_checks_one_environment() {
    let server = ApiServer::start();
    let project = Project::new(server.port);
    let run = project.run(&["validate", "--cluster", "--env", "local", "--env", "local"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--cluster checks one environment against the cluster: name it with --env"),
        "{}",
        run.stderr
    );
    assert!(server.seen().is_empty());
}

#[test]
fn a_refused_object_is_named_with_the_servers_message_and_exits_1() {
    let (server, project) = up_to_date();
    let invalid = status_json(
        422,
        "Invalid",
        "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: \"32Mi\": must be less than or equal to memory limit of 16Mi",
        json!({"name": "web", "group": "apps", "kind": "Deployment", "causes": [{"reason": "FieldValueInvalid", "message": "Invalid value: \"32Mi\": must be less than or equal to memory limit of 16Mi", "field": "spec.template.spec.containers[0].resources.requests"}]}),
    );
    server
        .state()
        .refusals
        .insert(DEPLOYMENT.to_string(), (422, invalid));
    for args in [&["validate", "--cluster"][..], &["diff", "--env", "local"]] {
        let run = project.run(args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("error: Deployment apps/web: the cluster refuses to apply it (422 Invalid): Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].resources.requests"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("valid;"), "{}", run.stdout);
    }
}

#[test]
fn server_warnings_are_warnings_naming_the_object() {
    let (server, project) = up_to_date();
    server.state().warnings.insert(
        DEPLOYMENT.to_string(),
        "would violate PodSecurity restricted:latest".to_string(),
    );
    let run = project.run(&["validate", "--cluster"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: Deployment apps/web: would violate PodSecurity restricted:latest"),
        "{}",
        run.stderr
    );
    let run = project.run(&["validate", "--cluster", "--warnings-as-errors"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn a_closed_port_is_exit_2_naming_the_server_and_context() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("an address").port()
    };
    let project = Project::new(port);
    for args in [&["diff", "--env", "local"][..], &["validate", "--cluster"]] {
        let run = project.run(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "error: cannot reach the cluster at http://127.0.0.1:{port} (context `stand-in` of KUBECONFIG={})",
                project.kubeconfig().display()
            )),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(run.stdout, "");
    }
    // JSON output stays JSON.
    let run = project.run(&["diff", "--env", "local", "-o", "json"]);
    assert_eq!(run.code, 2);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(json["diagnostics"][0]["code"], "cluster-unreachable");
}

#[test]
fn no_kubeconfig_or_no_such_context_is_exit_2_naming_it() {
    let server = ApiServer::start();
    let project = Project::new(server.port);
    let missing = project.dir.path().join("no-such-kubeconfig");
    let run = project.run_with_kubeconfig(&["diff", "--env", "local"], &missing);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "cannot read the kubeconfig (KUBECONFIG={})",
            missing.display()
        )),
        "{}",
        run.stderr
    );

    let run = project.run(&["diff", "--env", "local", "--context", "prod"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("has no context `prod`; it has: stand-in"),
        "{}",
        run.stderr
    );
    assert!(server.seen().is_empty(), "nothing is sent");
}
