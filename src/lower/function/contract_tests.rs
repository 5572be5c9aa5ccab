//! The decorator arguments as the runtime and the cluster see them: decorators.json's defaults,
//! labels, restricted sources, auth and its Secret, CORS, rate limits, paths, drain time.

use std::collections::BTreeMap;

use super::tests::{env_text, errors, lower, lower_ok, project, workload};
use crate::config::IngressController;
use crate::diagnostic::{Code, Diagnostic};
use crate::render::{RenderContext, render_workload};
use crate::sources::python::DECORATORS_JSON;
use crate::workload::{Peer, PolicyRule, Rewrite, VolumeSource};

/// `@<decorator>(every argument of decorators.json at its default)`, required ones given.
fn all_defaults(decorator: &str, required: &[(&str, &str)]) -> String {
    let json: serde_json::Value = serde_json::from_str(DECORATORS_JSON).unwrap();
    let arguments: Vec<String> = json[decorator]
        .as_array()
        .unwrap()
        .iter()
        .map(|arg| {
            let name = arg["name"].as_str().unwrap();
            let value = match required.iter().find(|(n, _)| *n == name) {
                Some((_, value)) => value.to_string(),
                None => match &arg["default"] {
                    serde_json::Value::Null => "None".to_string(),
                    serde_json::Value::Bool(true) => "True".to_string(),
                    serde_json::Value::Bool(false) => "False".to_string(),
                    serde_json::Value::String(text) => format!("{text:?}"),
                    other => other.to_string(),
                },
            };
            format!("{name}={value}")
        })
        .collect();
    format!("@{decorator}({})", arguments.join(", "))
}

/// Every manifest of the project's workloads, as the tree would hold them.
fn rendered(dir: &tempfile::TempDir) -> String {
    let lowered = lower_ok(dir, "gcp");
    let ctx = RenderContext {
        env: "gcp".to_string(),
        ingress: IngressController::Traefik,
    };
    lowered
        .workloads
        .iter()
        .flat_map(|w| render_workload(w, &ctx))
        .map(|m| m.to_yaml())
        .collect()
}

#[test]
fn an_argument_left_out_is_decorators_json_default_in_every_object() {
    let entry = "serverless:\n  - name: fns\n    path: fns\n";
    let cases = [
        (
            "@serverless\n@http_trigger\ndef f(request):\n    pass\n".to_string(),
            format!(
                "{}\n{}\ndef f(request):\n    pass\n",
                all_defaults("serverless", &[]),
                all_defaults("http_trigger", &[])
            ),
        ),
        (
            "@queue_trigger(\"q\")\ndef f(messages):\n    pass\n".to_string(),
            format!(
                "{}\n{}\ndef f(messages):\n    pass\n",
                all_defaults("serverless", &[]),
                all_defaults("queue_trigger", &[("queue_name", "\"q\"")])
            ),
        ),
        (
            "@schedule_trigger(\"0 3 * * *\")\ndef f():\n    pass\n".to_string(),
            format!(
                "{}\n{}\ndef f():\n    pass\n",
                all_defaults("serverless", &[]),
                all_defaults("schedule_trigger", &[("cron", "\"0 3 * * *\"")])
            ),
        ),
    ];
    for (bare, explicit) in cases {
        let omitted = project(entry, &[("fns/functions/api.py", &bare)]);
        let written = project(entry, &[("fns/functions/api.py", &explicit)]);
        assert_eq!(rendered(&omitted), rendered(&written), "{explicit}");
    }
}

#[test]
fn decorator_labels_are_pod_labels_and_k3s_labels_cannot_be_replaced() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    labels: {team: a}\n",
        &[(
            "fns/functions/api.py",
            "@serverless(labels={\"team\": \"mail\", \"tier\": \"edge\"})\n@http_trigger\ndef f(request):\n    pass\n",
        )],
    );
    let lowered = lower_ok(&dir, "gcp");
    let labels = workload(&lowered, "fns-f").pod_labels();
    assert_eq!(labels.get("team").map(String::as_str), Some("mail"));
    assert_eq!(labels.get("tier").map(String::as_str), Some("edge"));
    assert_eq!(labels.get("app").map(String::as_str), Some("fns-f"));

    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n",
        &[(
            "fns/functions/api.py",
            "@serverless(labels={\"app\": \"other\"})\n@http_trigger\ndef f(request):\n    pass\n",
        )],
    );
    let found = errors(&dir, "gcp");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].code, Code::BadLabel);
    assert_eq!(
        found[0]
            .span
            .unwrap()
            .location()
            .rsplit_once("functions/")
            .unwrap()
            .1,
        "api.py:1:21"
    );
    assert_eq!(
        found[0].field.as_deref(),
        Some("serverless.fns.f.@serverless.labels.app")
    );
}

#[test]
fn allow_from_arguments_are_the_sources_of_a_restricted_function() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    security: {allowed_sources: [{namespace: old}]}\n",
        &[(
            "fns/functions/api.py",
            "@serverless(visibility=\"restricted\", allow_from_namespaces=[\"web\", \"jobs\"], allow_from_pods={\"app\": \"api\"})\n@http_trigger\ndef f(request):\n    pass\n\n\
             @serverless(visibility=\"private\", allow_from_pods={\"app\": \"api\"})\n@http_trigger(path=\"/g\")\ndef g(request):\n    pass\n",
        )],
    );
    let (lowered, d) = lower(&dir, "gcp");
    let policy = workload(&lowered, "fns-f").network.clone().unwrap();
    let namespace = |name: &str| Peer::Namespace {
        name: name.to_string(),
        pod_labels: BTreeMap::new(),
    };
    assert_eq!(
        policy.ingress[0].peers,
        [
            namespace("web"),
            namespace("jobs"),
            Peer::Pods(BTreeMap::from([("app".to_string(), "api".to_string())])),
        ]
    );
    // The interceptor still reaches the pods.
    assert_eq!(policy.ingress[1].peers, [namespace("keda")]);
    // The decorator's sources for `g` and the entry's (replaced in `f`, unused under `g`'s
    // private visibility) are each said once.
    let warnings: Vec<&Diagnostic> = d.items.iter().filter(|i| !i.is_error()).collect();
    assert_eq!(warnings.len(), 2, "{}", d.render());
    assert!(warnings.iter().all(|w| w.code == Code::UnusedSetting));
    let fields: Vec<_> = warnings.iter().map(|w| w.field.as_deref()).collect();
    assert!(
        fields.contains(&Some("serverless.fns.g.@serverless.allow_from_pods")),
        "{fields:?}"
    );
    assert_eq!(
        workload(&lowered, "fns-g")
            .network
            .as_ref()
            .unwrap()
            .ingress[0],
        PolicyRule {
            peers: vec![Peer::Pods(BTreeMap::new())],
            ports: workload(&lowered, "fns-g")
                .network
                .as_ref()
                .unwrap()
                .ingress[0]
                .ports
                .clone(),
        }
    );
}

const AUTH: &str = "@serverless(visibility=\"public\")\n@http_trigger(path=\"/keyed\", auth=\"api_key\")\ndef keyed(request):\n    pass\n\n\
@http_trigger(path=\"/signed\")\ndef signed(request):\n    pass\n\n\
@http_trigger(path=\"/open\", auth=\"none\")\ndef open(request):\n    pass\n";

#[test]
fn auth_is_told_to_the_runtime_with_its_secret_mounted_read_only() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    auth: {type: jwt, secret: fns-keys, api_key_header: X-Key, jwt_audience: [a, b], jwt_issuer: https://id.example.com}\n",
        &[("fns/functions/api.py", AUTH)],
    );
    let lowered = lower_ok(&dir, "gcp");
    let keyed = workload(&lowered, "fns-keyed");
    assert_eq!(env_text(keyed, "K3SFN_AUTH").as_deref(), Some("api_key"));
    assert_eq!(
        env_text(keyed, "K3SFN_AUTH_DIR").as_deref(),
        Some("/var/run/secrets/k3sfn-auth")
    );
    assert_eq!(
        env_text(keyed, "K3SFN_API_KEY_HEADER").as_deref(),
        Some("X-Key")
    );
    assert_eq!(env_text(keyed, "K3SFN_JWT_AUDIENCE"), None);
    let mount = keyed
        .main_container()
        .volume_mounts
        .iter()
        .find(|m| m.mount_path == "/var/run/secrets/k3sfn-auth")
        .expect("the auth Secret is mounted");
    assert!(mount.read_only);
    let volume = keyed
        .pod
        .volumes
        .iter()
        .find(|v| v.name == mount.name)
        .unwrap();
    assert!(
        matches!(&volume.source, VolumeSource::Secret { secret_name, .. } if secret_name == "fns-keys"),
        "{volume:?}"
    );

    let signed = workload(&lowered, "fns-signed");
    assert_eq!(env_text(signed, "K3SFN_AUTH").as_deref(), Some("jwt"));
    assert_eq!(
        env_text(signed, "K3SFN_JWT_AUDIENCE").as_deref(),
        Some("a,b")
    );
    assert_eq!(
        env_text(signed, "K3SFN_JWT_ISSUER").as_deref(),
        Some("https://id.example.com")
    );
    assert_eq!(env_text(signed, "K3SFN_API_KEY_HEADER"), None);

    let open = workload(&lowered, "fns-open");
    assert_eq!(env_text(open, "K3SFN_AUTH"), None);
    assert!(
        open.main_container()
            .volume_mounts
            .iter()
            .all(|m| m.mount_path != "/var/run/secrets/k3sfn-auth")
    );
    assert_eq!(env_text(open, "K3SFN_AUTH_DIR"), None);
}

#[test]
fn auth_without_a_secret_is_an_error_where_the_auth_is_chosen() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    auth: {type: jwt}\n",
        &[("fns/functions/api.py", AUTH)],
    );
    let found = errors(&dir, "gcp");
    let places: Vec<(String, Option<String>)> = found
        .iter()
        .map(|e| {
            let location = e.span.unwrap().location();
            let short = location
                .rsplit_once('/')
                .map_or(location.clone(), |(_, f)| f.to_string());
            (short, e.field.clone())
        })
        .collect();
    assert_eq!(
        places,
        [
            (
                "api.py:2:35".to_string(),
                Some("serverless.fns.keyed.@http_trigger.auth".to_string())
            ),
            (
                "apps.yaml:8:18".to_string(),
                Some("serverless.fns.auth.type".to_string())
            ),
        ],
        "{found:#?}"
    );
    assert!(found.iter().all(|e| e.code == Code::MissingAuthSecret));
    assert!(
        found[0]
            .message
            .contains("`keyed` authenticates with api_key")
    );
}

const CORS: &str = "@serverless(visibility=\"public\")\n@http_trigger(path=\"/routed\")\ndef routed(request):\n    pass\n\n\
@serverless(visibility=\"public\")\n@http_trigger(path=\"/bare\", cors=False)\ndef bare(request):\n    pass\n\n\
@serverless(visibility=\"internal\")\n@http_trigger(path=\"/inside\")\ndef inside(request):\n    pass\n\n\
@serverless(visibility=\"internal\")\n@http_trigger(path=\"/closed\", cors=False)\ndef closed(request):\n    pass\n";

#[test]
fn cors_is_answered_once_by_the_route_or_else_by_the_runtime() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    ingress:\n      cors: {allow_origins: [\"https://a.example\"], allow_methods: [GET], allow_credentials: true, max_age: 60}\n",
        &[("fns/functions/api.py", CORS)],
    );
    let lowered = lower_ok(&dir, "gcp");
    let routed = workload(&lowered, "fns-routed");
    assert!(routed.routes[0].cors.is_some());
    assert_eq!(env_text(routed, "K3SFN_CORS_ALLOW_ORIGINS"), None);
    let bare = workload(&lowered, "fns-bare");
    assert!(bare.routes[0].cors.is_none());
    assert_eq!(env_text(bare, "K3SFN_CORS_ALLOW_ORIGINS"), None);
    let inside = workload(&lowered, "fns-inside");
    assert!(inside.routes.is_empty());
    assert_eq!(
        env_text(inside, "K3SFN_CORS_ALLOW_ORIGINS").as_deref(),
        Some("https://a.example")
    );
    assert_eq!(
        env_text(inside, "K3SFN_CORS_ALLOW_METHODS").as_deref(),
        Some("GET")
    );
    assert_eq!(
        env_text(inside, "K3SFN_CORS_ALLOW_CREDENTIALS").as_deref(),
        Some("true")
    );
    assert_eq!(
        env_text(inside, "K3SFN_CORS_MAX_AGE").as_deref(),
        Some("60")
    );
    assert_eq!(
        env_text(workload(&lowered, "fns-closed"), "K3SFN_CORS_ALLOW_ORIGINS"),
        None
    );
}

const LIMITED: &str = "@serverless(visibility=\"public\")\n@http_trigger(path=\"/a\", rate_limit=120)\ndef a(request):\n    pass\n\n\
@serverless(visibility=\"public\")\n@http_trigger(path=\"/b\", rate_limit=100)\ndef b(request):\n    pass\n\n\
@http_trigger(path=\"/c\", rate_limit=30)\ndef c(request):\n    pass\n";

#[test]
fn rate_limits_are_per_minute_on_the_route_and_haproxy_needs_whole_seconds() {
    let traefik = project(
        "serverless:\n  - name: fns\n    path: fns\n",
        &[("fns/functions/api.py", LIMITED)],
    );
    let (lowered, d) = lower(&traefik, "gcp");
    assert!(!d.has_errors(), "{}", d.render());
    let limit = workload(&lowered, "fns-b").routes[0]
        .rate_limit
        .clone()
        .unwrap();
    assert_eq!(
        (limit.average, limit.period_seconds, limit.burst),
        (100, 60, 100)
    );
    // Not routed: nothing enforces it, which is said.
    let warning = d
        .items
        .iter()
        .find(|i| i.code == Code::UnusedSetting)
        .unwrap();
    assert_eq!(
        warning.field.as_deref(),
        Some("serverless.fns.c.@http_trigger.rate_limit")
    );

    let haproxy = project(
        "defaults: {ingress: haproxy}\nserverless:\n  - name: fns\n    path: fns\n",
        &[("fns/functions/api.py", LIMITED)],
    );
    let (lowered, d) = lower(&haproxy, "gcp");
    let limit = workload(&lowered, "fns-a").routes[0]
        .rate_limit
        .clone()
        .unwrap();
    assert_eq!((limit.average, limit.period_seconds), (2, 1));
    let found: Vec<&Diagnostic> = d.items.iter().filter(|i| i.is_error()).collect();
    assert_eq!(found.len(), 1, "{}", d.render());
    assert_eq!(found[0].code, Code::UnsupportedByController);
    assert_eq!(found[0].span.unwrap().text(), "100");
    assert_eq!(
        found[0].field.as_deref(),
        Some("serverless.fns.b.@http_trigger.rate_limit")
    );
}

#[test]
fn a_templated_path_is_routed_by_its_prefix_and_served_as_the_pod_sees_it() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    visibility: public\n",
        &[(
            "fns/functions/api.py",
            "@http_trigger(path=\"/items/{id}\")\ndef item(request):\n    pass\n\n\
             @http_trigger(path=\"/orders/{id}\", strip_prefix=True)\ndef order(request):\n    pass\n",
        )],
    );
    let lowered = lower_ok(&dir, "gcp");
    let item = workload(&lowered, "fns-item");
    assert_eq!(item.routes[0].path, "/items");
    assert_eq!(
        env_text(item, "K3SFN_HTTP_PATHS").as_deref(),
        Some("/items/{id}")
    );
    let order = workload(&lowered, "fns-order");
    assert_eq!(order.routes[0].path, "/orders");
    assert_eq!(order.routes[0].rewrite, Rewrite::StripPrefix);
    assert_eq!(
        env_text(order, "K3SFN_HTTP_PATHS").as_deref(),
        Some("/{id}")
    );
}

#[test]
fn http_pods_may_drain_for_their_timeout_and_queue_workers_learn_max_attempts() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n",
        &[(
            "fns/functions/api.py",
            "@serverless(timeout=10)\n@http_trigger(path=\"/quick\")\ndef quick(request):\n    pass\n\n\
             @serverless(timeout=60)\n@http_trigger(path=\"/slow\")\ndef slow(request):\n    pass\n\n\
             @queue_trigger(\"jobs\", max_attempts=5)\ndef work(messages):\n    pass\n",
        )],
    );
    let lowered = lower_ok(&dir, "gcp");
    assert_eq!(
        workload(&lowered, "fns-quick")
            .pod
            .termination_grace_period_seconds,
        None
    );
    assert_eq!(
        workload(&lowered, "fns-slow")
            .pod
            .termination_grace_period_seconds,
        Some(62)
    );
    let work = workload(&lowered, "fns-work");
    assert_eq!(env_text(work, "K3SFN_MAX_ATTEMPTS").as_deref(), Some("5"));
    assert_eq!(
        env_text(work, "K3SFN_VISIBILITY_TIMEOUT").as_deref(),
        Some("30")
    );
}
