//! The dry run on recorded API responses (`tests/fixtures/cluster/`, in the shapes the API
//! server answers: the objects as JSON, failures as `Status` objects).

use std::collections::BTreeMap;

use http::Method;

use super::{Change, Reply, Transport, dry_run, warning_text};
use crate::cluster::request::{PlannedObject, plan_requests};
use crate::diagnostic::{Code, Diagnostics};

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: k3s\n  name: shop\n";
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: k3s\n    app.kubernetes.io/name: api\n  name: api\n  namespace: shop\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: api\n  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: api\n    spec:\n      containers:\n      - image: registry.example/api:1.4.0\n        name: api\n        ports:\n        - containerPort: 8000\n          name: http\n";
const SCALED_OBJECT: &str = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  scaleTargetRef:\n    name: api\n";

const NAMESPACE_PATH: &str = "/api/v1/namespaces/shop";
const DEPLOYMENT_PATH: &str = "/apis/apps/v1/namespaces/shop/deployments/api";

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/cluster/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn reply(status: u16, name: &str) -> Reply {
    Reply {
        status,
        body: fixture(name),
        warnings: Vec::new(),
    }
}

/// Answers from a table of `(method, path)`; a request not in it gets no answer, as from a
/// cluster that went away.
#[derive(Default)]
struct Recorded {
    replies: BTreeMap<(String, String), Reply>,
    seen: Vec<String>,
}

impl Recorded {
    fn on(mut self, method: Method, path: &str, reply: Reply) -> Recorded {
        self.replies
            .insert((method.to_string(), path.to_string()), reply);
        self
    }
}

impl Transport for Recorded {
    fn send(&mut self, request: &http::Request<Vec<u8>>) -> Result<Reply, String> {
        self.seen
            .push(format!("{} {}", request.method(), request.uri()));
        self.replies
            .get(&(
                request.method().to_string(),
                request.uri().path().to_string(),
            ))
            .cloned()
            .ok_or_else(|| "connection refused".to_string())
    }

    fn describe(&self) -> String {
        "https://cluster.test:6443 (context `test`)".to_string()
    }
}

fn planned(documents: &[&str]) -> Vec<PlannedObject> {
    plan_requests(documents.iter().copied()).expect("plans")
}

/// The namespace exists and is as k3s writes it.
fn existing_namespace() -> Recorded {
    Recorded::default()
        .on(
            Method::GET,
            NAMESPACE_PATH,
            reply(200, "namespace-live.json"),
        )
        .on(
            Method::PATCH,
            NAMESPACE_PATH,
            reply(200, "namespace-live.json"),
        )
}

fn errors(diagnostics: &Diagnostics) -> Vec<String> {
    diagnostics
        .items
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render())
        .collect()
}

#[test]
fn a_changed_object_gets_its_diff_and_the_rest_none() {
    let mut cluster = existing_namespace()
        .on(
            Method::GET,
            DEPLOYMENT_PATH,
            reply(200, "deployment-live.json"),
        )
        .on(
            Method::PATCH,
            DEPLOYMENT_PATH,
            reply(200, "deployment-dry-run-changed.json"),
        );
    let report = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect("reached");
    let changes: Vec<&Change> = report.outcomes.iter().map(|o| &o.change).collect();
    assert_eq!(changes, [&Change::Unchanged, &Change::Changed]);
    assert_eq!(report.changed(), 1);
    assert!(report.diagnostics.is_empty());
    assert_eq!(report.outcomes[0].diff, "");
    let diff = &report.outcomes[1].diff;
    assert!(diff.contains("-  replicas: 1\n+  replicas: 2\n"), "{diff}");
    assert!(
        diff.contains("-      - image: registry.example/api:1.3.0\n"),
        "{diff}"
    );
    // Each object is read, then dry-run applied, in apply order (the query as kube-core's
    // request builder writes it, with an empty first pair the API server ignores).
    let query = "&dryRun=All&force=true&fieldManager=k3s";
    assert_eq!(
        cluster.seen,
        [
            format!("GET {NAMESPACE_PATH}"),
            format!("PATCH {NAMESPACE_PATH}?{query}"),
            format!("GET {DEPLOYMENT_PATH}"),
            format!("PATCH {DEPLOYMENT_PATH}?{query}"),
        ]
    );
}

#[test]
fn nothing_changes_when_the_dry_run_answers_the_live_object() {
    let mut cluster = existing_namespace()
        .on(
            Method::GET,
            DEPLOYMENT_PATH,
            reply(200, "deployment-live.json"),
        )
        .on(
            Method::PATCH,
            DEPLOYMENT_PATH,
            reply(200, "deployment-dry-run-unchanged.json"),
        );
    let report = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect("reached");
    assert_eq!(report.changed(), 0);
    assert!(
        report
            .outcomes
            .iter()
            .all(|o| o.change == Change::Unchanged)
    );
}

#[test]
fn an_absent_object_is_created_from_nothing() {
    let mut cluster = existing_namespace()
        .on(
            Method::GET,
            DEPLOYMENT_PATH,
            reply(404, "status-404-deployment.json"),
        )
        .on(
            Method::PATCH,
            DEPLOYMENT_PATH,
            reply(201, "deployment-dry-run-created.json"),
        );
    let report = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect("reached");
    let outcome = &report.outcomes[1];
    assert_eq!(outcome.change, Change::Created);
    assert!(outcome.diff.contains("@@ -0,0 +1,"), "{}", outcome.diff);
    assert!(
        outcome.diff.contains("+  progressDeadlineSeconds: 600\n"),
        "{}",
        outcome.diff
    );
    assert!(report.diagnostics.is_empty());
}

#[test]
fn objects_in_a_namespace_this_run_creates_are_shown_as_written() {
    let mut cluster = Recorded::default()
        .on(
            Method::GET,
            NAMESPACE_PATH,
            reply(404, "status-404-namespace.json"),
        )
        .on(
            Method::PATCH,
            NAMESPACE_PATH,
            reply(201, "namespace-live.json"),
        )
        .on(
            Method::GET,
            DEPLOYMENT_PATH,
            reply(404, "status-404-deployment.json"),
        )
        .on(
            Method::PATCH,
            DEPLOYMENT_PATH,
            reply(404, "status-404-namespace.json"),
        );
    let report = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect("reached");
    assert!(
        report.diagnostics.is_empty(),
        "{}",
        report.diagnostics.render()
    );
    assert_eq!(report.outcomes[0].change, Change::Created);
    assert_eq!(
        report.outcomes[1].change,
        Change::CreatedInNewNamespace("shop".to_string())
    );
    let diff = &report.outcomes[1].diff;
    assert!(
        diff.starts_with("--- live/apps.v1.Deployment.shop.api\n"),
        "{diff}"
    );
    // The object as k3s writes it: no server defaults.
    assert!(diff.contains("+  replicas: 2\n") && !diff.contains("progressDeadlineSeconds"));
    assert_eq!(report.changed(), 2);
}

#[test]
fn a_namespace_that_exists_nowhere_is_a_refusal() {
    let mut cluster = Recorded::default()
        .on(
            Method::GET,
            DEPLOYMENT_PATH,
            reply(404, "status-404-deployment.json"),
        )
        .on(
            Method::PATCH,
            DEPLOYMENT_PATH,
            reply(404, "status-404-namespace.json"),
        );
    let report = dry_run(&planned(&[DEPLOYMENT]), &mut cluster).expect("reached");
    assert_eq!(report.outcomes[0].change, Change::Rejected);
    let errors = errors(&report.diagnostics);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("Deployment shop/api: its namespace `shop` does not exist"),
        "{}",
        errors[0]
    );
    assert_eq!(report.diagnostics.exit_code(), 1);
}

#[test]
fn an_invalid_object_is_a_refusal_naming_it_and_the_servers_message() {
    let mut cluster = existing_namespace()
        .on(
            Method::GET,
            DEPLOYMENT_PATH,
            reply(200, "deployment-live.json"),
        )
        .on(
            Method::PATCH,
            DEPLOYMENT_PATH,
            reply(422, "status-422-invalid.json"),
        );
    let report = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect("reached");
    assert_eq!(report.outcomes[1].change, Change::Rejected);
    assert_eq!(report.changed(), 0);
    let d = &report.diagnostics.items[0];
    assert_eq!(d.code, Code::ClusterRejected);
    assert!(
        d.message.starts_with("Deployment shop/api: the cluster refuses to apply it (422 Invalid): Deployment.apps \"api\" is invalid: spec.template.spec.containers[0].resources.requests"),
        "{}",
        d.message
    );
    assert_eq!(report.diagnostics.exit_code(), 1);
}

#[test]
fn a_forbidden_read_is_a_refusal_and_skips_the_apply() {
    let mut cluster = existing_namespace().on(
        Method::GET,
        DEPLOYMENT_PATH,
        reply(403, "status-403-forbidden.json"),
    );
    let report = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect("reached");
    assert_eq!(report.outcomes[1].change, Change::Rejected);
    let errors = errors(&report.diagnostics);
    assert!(
        errors[0].contains("Deployment shop/api: the cluster refuses to read it (403 Forbidden): deployments.apps \"api\" is forbidden: User \"ci\""),
        "{}",
        errors[0]
    );
    assert!(
        !cluster
            .seen
            .iter()
            .any(|r| r.starts_with(&format!("PATCH {DEPLOYMENT_PATH}")))
    );
}

#[test]
fn a_kind_the_cluster_does_not_serve_asks_for_its_crd() {
    let path = "/apis/keda.sh/v1alpha1/namespaces/shop/scaledobjects/api";
    let mut cluster = existing_namespace()
        .on(Method::GET, path, reply(404, "status-404-resource.json"))
        .on(Method::PATCH, path, reply(404, "status-404-resource.json"));
    let report = dry_run(&planned(&[NAMESPACE, SCALED_OBJECT]), &mut cluster).expect("reached");
    assert_eq!(report.outcomes[1].change, Change::Rejected);
    let errors = errors(&report.diagnostics);
    assert!(
        errors[0].contains("ScaledObject shop/api: the cluster at https://cluster.test:6443 (context `test`) does not serve keda.sh/v1alpha1 ScaledObject (scaledobjects)"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("CustomResourceDefinition"),
        "{}",
        errors[0]
    );
}

#[test]
fn no_answer_stops_the_run_with_exit_2() {
    let mut cluster = Recorded::default();
    let error = dry_run(&planned(&[NAMESPACE]), &mut cluster).expect_err("unreachable");
    assert_eq!(error.code, Code::ClusterUnreachable);
    assert_eq!(error.code.class().exit_code(), 2);
    assert_eq!(
        error.message,
        "cannot reach the cluster at https://cluster.test:6443 (context `test`): connection refused"
    );
}

#[test]
fn refused_credentials_stop_the_run_with_exit_2() {
    let mut cluster = Recorded::default().on(
        Method::GET,
        NAMESPACE_PATH,
        reply(401, "status-401-unauthorized.json"),
    );
    let error = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect_err("401");
    assert_eq!(error.code, Code::ClusterUnreachable);
    assert!(
        error.message.contains("401 Unauthorized"),
        "{}",
        error.message
    );
    assert_eq!(cluster.seen.len(), 1, "nothing more is sent");
}

#[test]
fn a_server_error_is_exit_2_and_the_body_need_not_be_a_status() {
    let broken = Reply {
        status: 503,
        body: "<html><body>upstream connect error</body></html>".to_string(),
        warnings: Vec::new(),
    };
    let mut cluster = existing_namespace()
        .on(
            Method::GET,
            DEPLOYMENT_PATH,
            reply(200, "deployment-live.json"),
        )
        .on(Method::PATCH, DEPLOYMENT_PATH, broken);
    let report = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect("reached");
    assert_eq!(report.diagnostics.exit_code(), 2);
    assert!(
        report.diagnostics.items[0]
            .message
            .ends_with("(503): <html><body>upstream connect error</body></html>"),
        "{}",
        report.diagnostics.items[0].message
    );
}

#[test]
fn warning_headers_become_warnings_naming_the_object() {
    let mut patched = reply(200, "deployment-dry-run-unchanged.json");
    patched.warnings = vec![
        "299 - \"would violate PodSecurity \\\"restricted:latest\\\": runAsNonRoot != true\""
            .to_string(),
    ];
    let mut cluster = existing_namespace()
        .on(
            Method::GET,
            DEPLOYMENT_PATH,
            reply(200, "deployment-live.json"),
        )
        .on(Method::PATCH, DEPLOYMENT_PATH, patched);
    let report = dry_run(&planned(&[NAMESPACE, DEPLOYMENT]), &mut cluster).expect("reached");
    assert!(!report.diagnostics.has_errors());
    let warning = &report.diagnostics.items[0];
    assert_eq!(warning.code, Code::ClusterWarning);
    assert_eq!(
        warning.message,
        "Deployment shop/api: would violate PodSecurity \"restricted:latest\": runAsNonRoot != true"
    );
}

#[test]
fn warning_texts_are_unquoted() {
    assert_eq!(warning_text("299 - \"a b\""), "a b");
    assert_eq!(
        warning_text("299 - \"old API\" \"Wed, 21 Oct 2026 07:28:00 GMT\""),
        "old API"
    );
    assert_eq!(warning_text("plain text"), "plain text");
}
