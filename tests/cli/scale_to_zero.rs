//! Scale to zero reachable by name (issue #13, point 5), on the rendered output of every
//! example in every environment: for each keda-http workload (an HTTPScaledObject), the
//! Service named after it leads to the KEDA interceptor and not to its pods, the name's DNS
//! forms are hosts the interceptor routes, the interceptor's target Service selects the pods,
//! and the pods' NetworkPolicy lets the interceptor in.

use std::path::{Path, PathBuf};

use serde_json::Value;

fn examples() -> Vec<PathBuf> {
    crate::corpus::example_apps_files()
}

/// `k3s generate --env ENV --stdout` for `file`, as documents.
fn rendered(file: &Path, env: &str) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_k3s"))
        .envs(crate::corpus::example_variables(file.parent().unwrap()))
        .arg("-f")
        .arg(file)
        .args(["generate", "--env", env, "--stdout"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} --env {env}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stream = String::from_utf8(out.stdout).unwrap();
    let mut documents = Vec::new();
    let mut current = String::new();
    for line in stream.lines().chain(["---"]) {
        if line == "---" {
            if !current.trim().is_empty() {
                documents.push(serde_saphyr::from_str(&current).expect("k3s writes YAML"));
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
}

fn find<'a>(docs: &'a [Value], kind: &str, namespace: &str, name: &str) -> Option<&'a Value> {
    docs.iter().find(|d| {
        d["kind"] == kind
            && d["metadata"]["namespace"] == namespace
            && d["metadata"]["name"] == name
    })
}

/// Whether `selector` (a `matchLabels`-like map) selects pods labelled `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// Whether some ingress rule of `policy` admits pods of namespace `from_namespace`.
fn admits_namespace(policy: &Value, from_namespace: &str) -> bool {
    let rules = policy["spec"]["ingress"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    rules.iter().any(|rule| match rule["from"].as_array() {
        None => true,
        Some(peers) => peers.iter().any(|peer| {
            let Some(ns) = peer.get("namespaceSelector") else {
                return false;
            };
            let labels = &ns["matchLabels"];
            let every_namespace = (labels.is_null()
                || labels.as_object().is_some_and(|l| l.is_empty()))
                && ns.get("matchExpressions").is_none();
            every_namespace || labels["kubernetes.io/metadata.name"] == from_namespace
        }),
    })
}

#[test]
fn every_keda_http_workload_of_the_examples_is_reached_through_the_interceptor_by_its_name() {
    let mut checked = Vec::new();
    for file in examples() {
        let (project, _) = k3s::config::load(&file).unwrap();
        for env in project.environment_names() {
            let docs = rendered(&file, env);
            for scaled in docs.iter().filter(|d| d["kind"] == "HTTPScaledObject") {
                let at = format!("{} --env {env}", file.display());
                let namespace = scaled["metadata"]["namespace"].as_str().unwrap();
                let target = &scaled["spec"]["scaleTargetRef"];
                let name = target["name"].as_str().unwrap();
                let workload = find(&docs, "Deployment", namespace, name)
                    .unwrap_or_else(|| panic!("{at}: no Deployment {namespace}/{name}"));
                let pod_labels = &workload["spec"]["template"]["metadata"]["labels"];

                // The name callers use is not the pods': it leads to the interceptor.
                let by_name = find(&docs, "Service", namespace, name)
                    .unwrap_or_else(|| panic!("{at}: no Service {namespace}/{name}"));
                assert!(
                    !selects(&by_name["spec"]["selector"], pod_labels),
                    "{at}: Service {name} selects its pods directly"
                );
                assert_eq!(by_name["spec"]["type"], "ExternalName", "{at}: {name}");
                let proxy = by_name["spec"]["externalName"].as_str().unwrap();
                let interceptor_namespace = proxy.split('.').nth(1).unwrap();
                assert!(proxy.ends_with(".svc.cluster.local"), "{at}: {proxy}");

                // Its DNS forms are hosts the interceptor routes to this workload.
                let hosts: Vec<&str> = scaled["spec"]["hosts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap())
                    .collect();
                for dns in [
                    name.to_string(),
                    format!("{name}.{namespace}"),
                    format!("{name}.{namespace}.svc"),
                    format!("{name}.{namespace}.svc.cluster.local"),
                ] {
                    assert!(
                        hosts.contains(&dns.as_str()),
                        "{at}: {dns} not in {hosts:?}"
                    );
                }

                // The interceptor forwards to a Service that does select the pods.
                let pods_service = target["service"].as_str().unwrap();
                let pods = find(&docs, "Service", namespace, pods_service)
                    .unwrap_or_else(|| panic!("{at}: no Service {namespace}/{pods_service}"));
                assert!(
                    selects(&pods["spec"]["selector"], pod_labels),
                    "{at}: {pods_service} does not select {name}'s pods"
                );
                assert!(
                    pods["spec"]["ports"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["port"] == target["port"]),
                    "{at}: {pods_service} has no port {}",
                    target["port"]
                );

                // And the pods' NetworkPolicy lets the interceptor in.
                let policies: Vec<&Value> = docs
                    .iter()
                    .filter(|d| {
                        d["kind"] == "NetworkPolicy" && d["metadata"]["namespace"] == namespace
                    })
                    .filter(|d| selects(&d["spec"]["podSelector"]["matchLabels"], pod_labels))
                    .collect();
                assert!(
                    policies.is_empty()
                        || policies
                            .iter()
                            .any(|p| admits_namespace(p, interceptor_namespace)),
                    "{at}: no NetworkPolicy of {name} admits the interceptor's namespace {interceptor_namespace}"
                );
                checked.push(format!("{}:{env}:{name}", file.display()));
            }
        }
    }
    // The examples do have keda-http workloads (functions scaled to zero, seed-001's app).
    assert!(
        checked.iter().any(|c| c.contains("examples/functions/")),
        "{checked:?}"
    );
    assert!(
        checked.iter().any(|c| c.contains("examples/seed-001/")),
        "{checked:?}"
    );
}
