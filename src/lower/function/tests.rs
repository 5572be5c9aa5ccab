//! Function projects written to temporary directories (apps.yaml plus `functions/*.py`), loaded,
//! resolved and lowered; each test asserts one rule on the resulting Workloads.

use std::path::PathBuf;

use tempfile::TempDir;

use super::*;
use crate::config::{ConcurrencyPolicy, Protocol, load};
use crate::diagnostic::{Code, Diagnostic};
use crate::images::ImageTags;
use crate::resolve::{Inputs, resolve};
use crate::workload::{
    Controller, Peer, PolicyPort, PolicyRule, PortTarget, ProbeAction, Replicas, Rewrite, Scaling,
};

pub(super) const ENVS: &str =
    "version: \"2\"\nenvironments:\n  local: {}\n  gcp: {domain: example.com}\n";

/// A project directory: `apps.yaml` (after [`ENVS`]) and the given files.
pub(super) fn project(apps_yaml: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apps.yaml"), format!("{ENVS}{apps_yaml}")).unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Lowers the first serverless entry in `env`; the diagnostics come back whatever they hold.
pub(super) fn lower(dir: &TempDir, env: &str) -> (LoweredEntry, Diagnostics) {
    let (project, loaded) = load(&dir.path().join("apps.yaml")).unwrap();
    assert!(!loaded.has_errors(), "{}", loaded.render());
    let resolved =
        resolve(&project, env, &Inputs::default()).unwrap_or_else(|d| panic!("{}", d.render()));
    let images = ImageTags::new();
    let cx = LowerContext {
        resolved: &resolved,
        images: &images,
    };
    let mut d = Diagnostics::new();
    let lowered = lower_function_project(&resolved.serverless[0], &cx, &mut d);
    (lowered, d)
}

pub(super) fn lower_ok(dir: &TempDir, env: &str) -> LoweredEntry {
    let (lowered, d) = lower(dir, env);
    assert!(!d.has_errors(), "{}", d.render());
    lowered
}

pub(super) fn errors(dir: &TempDir, env: &str) -> Vec<Diagnostic> {
    let (_, d) = lower(dir, env);
    d.items.into_iter().filter(Diagnostic::is_error).collect()
}

pub(super) fn workload<'a>(lowered: &'a LoweredEntry, name: &str) -> &'a Workload {
    lowered
        .workloads
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workload `{name}`"))
}

pub(super) fn env<'a>(w: &'a Workload, name: &str) -> Option<&'a EnvSource> {
    w.main_container()
        .env
        .iter()
        .find(|v| v.name == name)
        .map(|v| &v.value)
}

pub(super) fn env_text(w: &Workload, name: &str) -> Option<String> {
    match env(w, name)? {
        EnvSource::Literal(text) => Some(text.clone()),
        other => panic!("`{name}` is not a literal: {other:?}"),
    }
}

pub(super) fn request(w: &Workload, resource: &str) -> Option<String> {
    let resources = &w.main_container().resources;
    resources
        .requests
        .get(resource)
        .map(|q| q.as_str().to_string())
}

pub(super) fn limit(w: &Workload, resource: &str) -> Option<String> {
    let resources = &w.main_container().resources;
    resources
        .limits
        .get(resource)
        .map(|q| q.as_str().to_string())
}

/// `(min, max, scaledown_period)` of keda-http scaling.
fn http_scaling(w: &Workload) -> (u32, u32, Option<u32>) {
    match &w.scaling {
        Scaling::Http {
            min,
            max,
            scaledown_period,
            ..
        } => (*min, *max, *scaledown_period),
        other => panic!("expected keda-http scaling, found {other:?}"),
    }
}

const PLAIN_AND_TUNED: &str = r#"from k3sfn import serverless, http_trigger

@http_trigger(path="/plain")
def plain(request):
    return "plain"

@serverless(memory="1Gi", memory_limit="2Gi", max_instances=20, environment={"LOG_LEVEL": "DEBUG"})
@http_trigger(path="/tuned")
def tuned(request):
    return "tuned"
"#;

#[test]
fn entry_settings_apply_and_decorators_override_them_per_field() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    resources: {memory: 256Mi, cpu: 100m, memory_limit: 512Mi}\n    scaling: {min_instances: 1, max_instances: 5, cooldown_period: 300}\n    environment: {LOG_LEVEL: INFO, REGION: eu}\n",
        &[("fns/functions/api.py", PLAIN_AND_TUNED)],
    );
    let lowered = lower_ok(&dir, "local");

    let plain = workload(&lowered, "fns-plain");
    assert_eq!(request(plain, "memory").as_deref(), Some("256Mi"));
    assert_eq!(request(plain, "cpu").as_deref(), Some("100m"));
    assert_eq!(limit(plain, "memory").as_deref(), Some("512Mi"));
    assert_eq!(http_scaling(plain), (1, 5, Some(300)));
    assert_eq!(env_text(plain, "LOG_LEVEL").as_deref(), Some("INFO"));
    assert_eq!(env_text(plain, "REGION").as_deref(), Some("eu"));

    let tuned = workload(&lowered, "fns-tuned");
    assert_eq!(request(tuned, "memory").as_deref(), Some("1Gi"));
    assert_eq!(request(tuned, "cpu").as_deref(), Some("100m"));
    assert_eq!(limit(tuned, "memory").as_deref(), Some("2Gi"));
    assert_eq!(http_scaling(tuned), (1, 20, Some(300)));
    assert_eq!(env_text(tuned, "LOG_LEVEL").as_deref(), Some("DEBUG"));
    assert_eq!(env_text(tuned, "REGION").as_deref(), Some("eu"));
}

#[test]
fn the_environment_block_is_above_the_entry_and_below_the_decorator() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    resources: {memory: 256Mi, cpu: 100m}\n    scaling: {max_instances: 5}\n    gcp:\n      resources: {memory: 512Mi, cpu: 200m}\n      scaling: {max_instances: 7}\n",
        &[(
            "fns/functions/api.py",
            "@serverless(memory=\"1Gi\")\n@http_trigger(path=\"/x\")\ndef x(request):\n    pass\n",
        )],
    );
    let gcp = lower_ok(&dir, "gcp");
    let x = workload(&gcp, "fns-x");
    assert_eq!(request(x, "memory").as_deref(), Some("1Gi"));
    assert_eq!(request(x, "cpu").as_deref(), Some("200m"));
    assert_eq!(http_scaling(x), (0, 7, None));

    let local = lower_ok(&dir, "local");
    let x = workload(&local, "fns-x");
    assert_eq!(request(x, "memory").as_deref(), Some("1Gi"));
    assert_eq!(request(x, "cpu").as_deref(), Some("100m"));
    assert_eq!(http_scaling(x), (0, 5, None));
}

#[test]
fn an_http_function_is_a_private_deployment_with_a_service_scaled_to_zero() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n",
        &[("fns/functions/api.py", PLAIN_AND_TUNED)],
    );
    let lowered = lower_ok(&dir, "gcp");
    let w = workload(&lowered, "fns-plain");
    assert!(matches!(w.controller, Controller::Deployment { .. }));
    assert_eq!(w.replicas, Replicas::Autoscaled);
    assert_eq!(http_scaling(w), (0, 10, None));

    let container = w.main_container();
    assert_eq!(container.ports.len(), 1);
    assert_eq!(
        (
            container.ports[0].name.as_str(),
            container.ports[0].container_port
        ),
        ("http", 8080)
    );
    for probe in [&container.readiness_probe, &container.liveness_probe] {
        let action = &probe.as_ref().expect("a probe").action;
        assert!(
            matches!(action, ProbeAction::Http { path, port: PortTarget::Name(n), scheme: None }
                if n == "http" && path == "/_k3sfn/health"),
            "{action:?}"
        );
    }
    assert_eq!(env_text(w, "K3SFN_HTTP_PATHS").as_deref(), Some("/plain"));
    // decorators.json's defaults: 256Mi (also the memory limit) and 100m, a 30 s timeout.
    assert_eq!(request(w, "memory").as_deref(), Some("256Mi"));
    assert_eq!(limit(w, "memory").as_deref(), Some("256Mi"));
    assert_eq!(request(w, "cpu").as_deref(), Some("100m"));
    assert_eq!(limit(w, "cpu"), None);
    assert_eq!(env_text(w, "K3SFN_TIMEOUT").as_deref(), Some("30"));
    assert_eq!(w.pod.termination_grace_period_seconds, Some(32));
    assert_eq!(env_text(w, "PORT").as_deref(), Some("8080"));
    assert_eq!(env_text(w, "K3SFN_FUNCTION").as_deref(), Some("plain"));
    assert_eq!(
        env_text(w, "K3SFN_MODULE").as_deref(),
        Some("functions.api")
    );
    assert_eq!(env_text(w, "K3SFN_TRIGGER").as_deref(), Some("http"));
    assert_eq!(container.image, "fns:latest");

    // The pods' Service, and the function's own name leading to the interceptor.
    let service = &w.services[0];
    assert_eq!(service.name, "fns-plain-pods");
    assert_eq!(service.external_name, None);
    assert_eq!(service.ports[0].port, 80);
    assert_eq!(
        service.ports[0].target_port,
        PortTarget::Name("http".into())
    );
    let alias = &w.services[1];
    assert_eq!(alias.name, "fns-plain");
    assert_eq!(
        alias.external_name.as_deref(),
        Some("keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local")
    );
    assert_eq!(alias.ports[0].port, 8080);

    // Private by default: no route; own namespace and the interceptor may connect.
    assert!(w.routes.is_empty());
    let port = PolicyPort {
        protocol: Protocol::Tcp,
        port: 8080,
        end_port: None,
    };
    assert_eq!(
        w.network.as_ref().unwrap().ingress,
        [
            PolicyRule {
                peers: vec![Peer::Pods(BTreeMap::new())],
                ports: vec![port.clone()],
            },
            PolicyRule {
                peers: vec![Peer::Namespace {
                    name: "keda".into(),
                    pod_labels: BTreeMap::new(),
                }],
                ports: vec![port],
            },
        ]
    );
    // Restricted pod security by default.
    assert_eq!(w.pod.security.run_as_non_root, Some(true));
    assert_eq!(w.pod.security.run_as_user, Some(1000));
    assert_eq!(container.security.capabilities_drop, ["ALL"]);
}

#[test]
fn a_public_function_is_routed_through_the_interceptor_which_sees_the_stripped_path() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    ingress_annotations: {a: b}\n",
        &[(
            "fns/functions/api.py",
            "@serverless(visibility=\"public\")\n@http_trigger(path=\"/api/hello\", strip_prefix=True, methods=[\"post\"])\ndef hello(request):\n    pass\n\n@http_trigger(path=\"/internal\")\ndef hidden(request):\n    pass\n",
        )],
    );
    let lowered = lower_ok(&dir, "gcp");
    let w = workload(&lowered, "fns-hello");
    assert_eq!(w.routes.len(), 1);
    let route = &w.routes[0];
    assert_eq!(route.path, "/api/hello");
    assert_eq!(route.rewrite, Rewrite::StripPrefix);
    assert_eq!(route.hosts, ["example.com"]);
    assert_eq!(route.methods, ["POST"]);
    assert_eq!(route.annotations.get("a").map(String::as_str), Some("b"));
    // DESIGN rules 8 and 12: keda-http targets are reached through the interceptor, by the
    // function's own name, an ExternalName of it.
    assert!(route.backend.interceptor.is_none());
    assert_eq!(route.backend.service, "fns-hello");
    assert_eq!(w.services[1].name, "fns-hello");
    assert!(w.services[1].external_name.is_some());
    let Scaling::Http {
        hosts,
        path_prefixes,
        service,
        port,
        ..
    } = &w.scaling
    else {
        panic!("expected keda-http scaling, found {:?}", w.scaling);
    };
    assert_eq!(
        hosts,
        &[
            "example.com",
            "fns-hello",
            "fns-hello.apps",
            "fns-hello.apps.svc",
            "fns-hello.apps.svc.cluster.local"
        ]
    );
    assert_eq!(path_prefixes, &["/"]);
    assert_eq!((service.as_str(), *port), ("fns-hello-pods", 80));
    assert_eq!(env_text(w, "K3SFN_HTTP_METHODS").as_deref(), Some("POST"));
    // The route strips `/api/hello`: the runtime serves what remains.
    assert_eq!(env_text(w, "K3SFN_HTTP_PATHS").as_deref(), Some("/"));

    assert!(workload(&lowered, "fns-hidden").routes.is_empty());
}

#[test]
fn haproxy_routes_carry_no_methods_and_the_runtime_enforces_them() {
    let dir = project(
        "defaults: {ingress: haproxy}\nserverless:\n  - name: fns\n    path: fns\n    visibility: public\n",
        &[(
            "fns/functions/api.py",
            "@http_trigger(path=\"/hello\", methods=[\"GET\", \"POST\"])\ndef hello(request):\n    pass\n",
        )],
    );
    let lowered = lower_ok(&dir, "gcp");
    let w = workload(&lowered, "fns-hello");
    assert!(w.routes[0].methods.is_empty());
    assert_eq!(
        env_text(w, "K3SFN_HTTP_METHODS").as_deref(),
        Some("GET,POST")
    );
}

const WORKERS: &str = r#"@queue_trigger(queue_name="tasks", batch_size=10)
def work(task):
    pass

@queue_trigger(queue_name="events", queue_type="stream")
def follow(event):
    pass
"#;

#[test]
fn a_queue_worker_has_no_service_and_scales_on_its_queue_with_the_password_secret() {
    let dir = project(
        "defaults:\n  queue: {address: \"valkey.shared:6379\"}\nserverless:\n  - name: fns\n    path: fns\n    queue:\n      address: \"redis.data:6379\"\n      password_secret: {name: redis, key: password}\n",
        &[("fns/functions/workers.py", WORKERS)],
    );
    let lowered = lower_ok(&dir, "local");
    let w = workload(&lowered, "fns-work");
    assert!(matches!(w.controller, Controller::Deployment { .. }));
    assert_eq!(w.replicas, Replicas::Autoscaled);
    assert!(w.services.is_empty());
    assert!(w.routes.is_empty());
    let container = w.main_container();
    assert!(container.ports.is_empty());
    assert!(container.readiness_probe.is_none() && container.liveness_probe.is_none());
    let Scaling::Queue {
        min, max, queue, ..
    } = &w.scaling
    else {
        panic!("expected keda-queue scaling, found {:?}", w.scaling);
    };
    assert_eq!((*min, *max), (0, 10));
    assert_eq!(queue.name, "tasks");
    assert!(!queue.stream);
    assert_eq!(queue.target, 50, "batch_size × 5");
    assert_eq!(queue.address, "redis.data:6379");
    assert_eq!(
        queue.password,
        Some(("redis".to_string(), "password".to_string()))
    );
    assert_eq!(env_text(w, "K3SFN_QUEUE").as_deref(), Some("tasks"));
    assert_eq!(env_text(w, "K3SFN_BATCH_SIZE").as_deref(), Some("10"));
    assert_eq!(
        env(w, "K3SFN_QUEUE_PASSWORD"),
        Some(&EnvSource::SecretKey {
            name: "redis".into(),
            key: "password".into(),
            optional: false
        })
    );
    // Nothing listens, so nothing may connect.
    assert!(w.network.as_ref().unwrap().ingress.is_empty());

    let stream = workload(&lowered, "fns-follow");
    let Scaling::Queue { queue, .. } = &stream.scaling else {
        panic!("expected keda-queue scaling");
    };
    assert!(queue.stream);
    assert_eq!(queue.consumer_group.as_deref(), Some("fns-follow"));
    assert_eq!(
        env_text(stream, "K3SFN_CONSUMER_GROUP").as_deref(),
        Some("fns-follow")
    );
}

#[test]
fn without_an_entry_queue_the_default_queue_is_used() {
    let dir = project(
        "defaults:\n  queue: {address: \"valkey.shared:6379\"}\nserverless:\n  - name: fns\n    path: fns\n",
        &[("fns/functions/workers.py", WORKERS)],
    );
    let lowered = lower_ok(&dir, "local");
    let Scaling::Queue { queue, .. } = &workload(&lowered, "fns-work").scaling else {
        panic!("expected keda-queue scaling");
    };
    assert_eq!(queue.address, "valkey.shared:6379");
    assert_eq!(queue.password, None);
}

#[test]
fn job_mode_is_a_scaled_job_with_one_job_per_batch() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n",
        &[(
            "fns/functions/jobs.py",
            "@serverless(timeout=600)\n@queue_trigger(queue_name=\"jobs\", mode=\"job\", batch_size=5)\ndef run(task):\n    pass\n",
        )],
    );
    let lowered = lower_ok(&dir, "local");
    let w = workload(&lowered, "fns-run");
    let Controller::ScaledJob { job } = &w.controller else {
        panic!("expected a ScaledJob, found {:?}", w.controller);
    };
    assert_eq!(job.restart_policy, "Never");
    assert_eq!(job.active_deadline_seconds, Some(600));
    assert_eq!(w.replicas, Replicas::NotApplicable);
    let Scaling::Queue { queue, .. } = &w.scaling else {
        panic!("expected keda-queue scaling");
    };
    assert_eq!(queue.target, 5);
    assert_eq!(env_text(w, "K3SFN_QUEUE_MODE").as_deref(), Some("job"));
    assert_eq!(env_text(w, "K3SFN_TIMEOUT").as_deref(), Some("600"));
}

#[test]
fn a_schedule_is_a_cron_job_with_the_timeout_as_deadline() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    timeout: 90\n",
        &[(
            "fns/functions.py",
            "@serverless(timeout=120)\n@schedule_trigger(cron=\"0 3 * * *\", timezone=\"Europe/Berlin\")\ndef nightly():\n    pass\n\n@schedule_trigger(cron=\"*/5 * * * *\", starting_deadline_seconds=60)\ndef often():\n    pass\n",
        )],
    );
    let lowered = lower_ok(&dir, "local");
    let w = workload(&lowered, "fns-nightly");
    let Controller::CronJob {
        schedule,
        time_zone,
        concurrency_policy,
        successful_jobs_history_limit,
        failed_jobs_history_limit,
        job,
        ..
    } = &w.controller
    else {
        panic!("expected a CronJob, found {:?}", w.controller);
    };
    assert_eq!(schedule, "0 3 * * *");
    assert_eq!(time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(*concurrency_policy, ConcurrencyPolicy::Forbid);
    assert_eq!(
        (*successful_jobs_history_limit, *failed_jobs_history_limit),
        (3, 1)
    );
    assert_eq!(job.active_deadline_seconds, Some(120));
    assert_eq!(job.backoff_limit, 2);
    assert_eq!(job.restart_policy, "OnFailure");
    assert_eq!(w.replicas, Replicas::NotApplicable);
    assert!(matches!(w.scaling, Scaling::None));
    assert!(w.services.is_empty() && w.main_container().ports.is_empty());
    assert_eq!(env_text(w, "K3SFN_MODULE").as_deref(), Some("functions"));

    let often = workload(&lowered, "fns-often");
    let Controller::CronJob {
        starting_deadline_seconds,
        job,
        ..
    } = &often.controller
    else {
        panic!("expected a CronJob");
    };
    assert_eq!(*starting_deadline_seconds, Some(60));
    assert_eq!(job.active_deadline_seconds, Some(90), "the entry's timeout");
}

#[test]
fn a_name_too_long_names_the_function_its_line_and_the_length() {
    let entry = "a-rather-long-serverless-entry-name";
    let dir = project(
        &format!("serverless:\n  - name: {entry}\n    path: fns\n"),
        &[(
            "fns/functions/api.py",
            "@http_trigger(path=\"/x\")\ndef an_http_function_with_a_long_name(request):\n    pass\n\n@schedule_trigger(cron=\"0 * * * *\")\ndef nightly_cleanup_task(): \n    pass\n",
        )],
    );
    let errors = errors(&dir, "local");
    let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errors.len(), 2, "{messages:#?}");
    assert!(errors.iter().all(|e| e.code == Code::NameTooLong));
    // 35 + 1 + 33 characters; the CronJob's 35 + 1 + 20 = 56 is over its 52.
    assert!(
        messages[0].starts_with("function `an_http_function_with_a_long_name` (")
            && messages[0].contains("functions/api.py:2)")
            && messages[0].ends_with("is 69 characters long; at most 63 are allowed"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains("`nightly_cleanup_task`")
            && messages[1].contains("functions/api.py:6)")
            && messages[1].contains("CronJob name")
            && messages[1].ends_with("is 56 characters long; at most 52 are allowed"),
        "{}",
        messages[1]
    );
    assert_eq!(errors[0].span.unwrap().line_col(), (2, 5));
}

#[test]
fn two_functions_with_one_kubernetes_name_are_an_error_naming_both() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n",
        &[(
            "fns/functions/api.py",
            "@http_trigger(path=\"/a\")\ndef hello_world(request):\n    pass\n\n@serverless(name=\"hello-world\")\n@http_trigger(path=\"/b\")\ndef greet(request):\n    pass\n",
        )],
    );
    let errors = errors(&dir, "local");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = &errors[0];
    assert_eq!(error.code, Code::DuplicateName);
    assert!(
        error.message.contains("`greet`")
            && error.message.contains("`hello_world`")
            && error.message.contains("`fns-hello-world`"),
        "{}",
        error.message
    );
    // Functions are taken in name order: at `hello_world`, with `name="hello-world"` labelled.
    assert_eq!(error.span.unwrap().line_col(), (2, 5));
    assert_eq!(error.labels[0].0.text(), "\"hello-world\"");
}

#[test]
fn a_bad_decorator_quantity_is_reported_at_the_argument() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n",
        &[(
            "fns/functions/api.py",
            "@serverless(memory=\"1 GB\")\n@http_trigger(path=\"/x\")\ndef x(request):\n    pass\n",
        )],
    );
    let errors = errors(&dir, "local");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, Code::BadQuantity);
    assert_eq!(
        errors[0].field.as_deref(),
        Some("serverless.fns.x.@serverless.memory")
    );
    assert_eq!(errors[0].span.unwrap().line_col(), (1, 20));
}

#[test]
fn a_missing_project_directory_is_an_error_at_the_path() {
    let dir = project("serverless:\n  - name: fns\n    path: nowhere\n", &[]);
    let errors = errors(&dir, "local");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, Code::MissingPath);
    assert_eq!(errors[0].span.unwrap().text(), "nowhere");
}

#[test]
fn runtime_variables_cannot_be_set_by_the_user() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    environment: {K3SFN_FUNCTION: other}\n",
        &[
            ("fns/functions/api.py", PLAIN_AND_TUNED),
            (
                "fns/functions/more.py",
                "@serverless(environment={\"PORT\": 9000})\n@http_trigger(path=\"/m\")\ndef more(request):\n    pass\n",
            ),
        ],
    );
    let errors = errors(&dir, "local");
    let found: Vec<_> = errors
        .iter()
        .map(|e| (e.code.as_str(), e.field.as_deref().unwrap_or("")))
        .collect();
    // The entry's variable is reported once, not once per function.
    assert_eq!(
        found,
        [
            ("reserved-env", "serverless.fns.environment.K3SFN_FUNCTION"),
            (
                "reserved-env",
                "serverless.fns.more.@serverless.environment.PORT"
            ),
        ]
    );
}

#[test]
fn http_functions_get_port_forwards_from_port_base_in_name_order() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    local: {port_base: 8081, live_update: true, sync: [{src: functions, dest: /app/functions}]}\n",
        &[
            ("fns/functions/api.py", PLAIN_AND_TUNED),
            ("fns/functions/workers.py", WORKERS),
        ],
    );
    let lowered = lower_ok(&dir, "local");
    let build = &lowered.builds[0];
    let forwards: Vec<_> = build
        .port_forwards
        .iter()
        .map(|f| (f.workload.as_str(), f.local_port, f.container_port))
        .collect();
    assert_eq!(
        forwards,
        [("fns-plain", 8081, 8080), ("fns-tuned", 8082, 8080)]
    );
    assert!(build.live_update);
    assert_eq!(build.sync.len(), 1);
    assert!(build.sync[0].0.ends_with("fns/functions"));
    assert!(lower_ok(&dir, "gcp").builds[0].port_forwards.is_empty());
}

#[test]
fn every_function_runs_the_one_project_image() {
    let dir = project(
        "defaults:\n  registry: {gcp: gcr.io/acme}\nserverless:\n  - name: fns\n    path: fns\n    build: {image: functions, tag: v3}\n",
        &[
            ("fns/functions/api.py", PLAIN_AND_TUNED),
            ("fns/functions/workers.py", WORKERS),
        ],
    );
    let lowered = lower_ok(&dir, "gcp");
    assert_eq!(lowered.builds.len(), 1);
    assert_eq!(lowered.builds[0].reference, "gcr.io/acme/functions:v3");
    assert_eq!(lowered.workloads.len(), 4);
    for w in &lowered.workloads {
        assert_eq!(w.main_container().image, "gcr.io/acme/functions:v3");
    }
}

/// The generated Dockerfile of a one-function project with the given extra files.
fn dockerfile(apps_yaml_build: &str, files: &[(&str, &str)]) -> String {
    let mut all = vec![(
        "fns/functions/api.py",
        "@http_trigger(path=\"/x\")\ndef x(request):\n    pass\n",
    )];
    all.extend_from_slice(files);
    let dir = project(
        &format!("serverless:\n  - name: fns\n    path: fns\n{apps_yaml_build}"),
        &all,
    );
    let lowered = lower_ok(&dir, "local");
    assert_eq!(lowered.builds[0].dockerfile, PathBuf::from("Dockerfile"));
    assert_eq!(lowered.files.len(), 1);
    let (name, text) = &lowered.files[0];
    assert_eq!(name, "Dockerfile");
    text.clone()
}

#[test]
fn the_dockerfile_installs_requirements_and_runs_the_runtime_as_uid_1000() {
    let text = dockerfile("", &[("fns/requirements.txt", "httpx\n")]);
    for line in [
        "FROM python:3.12-slim",
        "ENV PYTHONUNBUFFERED=1 \\",
        "ENV PYTHONPATH=/opt/k3sfn",
        "COPY <<'K3SFN_EOF' /opt/k3sfn/k3sfn/runtime/http.py",
        "COPY <<'K3SFN_EOF' /opt/k3sfn/requirements.txt",
        "COPY requirements.txt ./requirements.txt",
        "RUN pip install -r /opt/k3sfn/requirements.txt -r requirements.txt",
        "COPY functions/ ./functions/",
        "USER 1000:1000",
        "EXPOSE 8080",
        "CMD [\"python\", \"-m\", \"k3sfn.runtime\"]",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
    assert!(!text.contains("pip install ."), "{text}");
    // No `# syntax=` directive: it would make BuildKit pull a frontend image from Docker Hub,
    // and the heredocs need only the syntax built into BuildKit 0.10+.
    assert!(
        !text.lines().any(crate::emit::tree::is_parser_directive),
        "{text}"
    );
    assert!(!text.contains("k3sfn-runtime"), "{text}");
}

/// The heredocs of a Dockerfile: (destination, content), content as Docker writes the file.
fn heredocs(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("COPY <<'") else {
            continue;
        };
        let (delimiter, destination) = rest.split_once("' ").expect("COPY <<'D' DEST");
        let mut content = String::new();
        for body in lines.by_ref() {
            if body == delimiter {
                break;
            }
            content.push_str(body);
            content.push('\n');
        }
        out.push((destination.to_string(), content));
    }
    out
}

#[test]
fn the_dockerfile_carries_every_runtime_file_byte_for_byte_and_the_pins() {
    let text = dockerfile("", &[]);
    let embedded = heredocs(&text);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/python");
    let mut expected: Vec<(String, String)> = crate::runtime_package::FILES
        .iter()
        .map(|f| {
            let on_disk = std::fs::read_to_string(root.join(f.path)).unwrap();
            (format!("/opt/k3sfn/{}", f.path), on_disk)
        })
        .collect();
    expected.push((
        "/opt/k3sfn/requirements.txt".to_string(),
        std::fs::read_to_string(root.join("requirements.txt")).unwrap(),
    ));
    assert_eq!(embedded.len(), expected.len());
    for (want, got) in expected.iter().zip(&embedded) {
        assert_eq!(want.0, got.0);
        assert!(want.1 == got.1, "{} differs from runtime/python", want.0);
    }
    assert!(
        text.lines()
            .any(|l| l == "RUN pip install -r /opt/k3sfn/requirements.txt")
    );
}

#[test]
fn the_dockerfile_installs_a_pyproject_when_there_is_no_requirements_file() {
    let text = dockerfile("", &[("fns/pyproject.toml", "[project]\nname = \"fns\"\n")]);
    assert!(
        text.lines()
            .any(|l| l == "RUN pip install -r /opt/k3sfn/requirements.txt ."),
        "{text}"
    );
    assert!(!text.contains("COPY requirements.txt"), "{text}");

    let neither = dockerfile("", &[]);
    assert!(!neither.contains("COPY requirements.txt") && !neither.contains("pip install ."));
}

#[test]
fn the_runtime_and_base_image_come_from_apps_yaml() {
    let text = dockerfile(
        "    build:\n      args: {PYTHON_VERSION: \"3.13\"}\n      runtime: {package: \"my-runtime>=2\", command: [my-runtime, serve], base_image: \"python:3.13-slim\"}\n",
        &[],
    );
    for line in [
        "FROM python:3.13-slim",
        "ARG PYTHON_VERSION",
        "RUN pip install 'my-runtime>=2'",
        "CMD [\"my-runtime\", \"serve\"]",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
    // The package replaces the carried runtime and its pins.
    assert!(
        !text.contains("COPY <<") && !text.contains("PYTHONPATH"),
        "{text}"
    );
    assert!(!text.contains("/opt/k3sfn"), "{text}");
}

#[test]
fn a_custom_template_is_used_with_the_same_variables() {
    let text = dockerfile(
        "    build: {dockerfile_template: docker/Dockerfile.j2}\n",
        &[(
            "fns/docker/Dockerfile.j2",
            "FROM {{ base_image }}\n{% if requirements %}\nRUN pip install -r requirements.txt\n{% endif %}\nUSER {{ uid }}\nCMD {{ runtime_command_exec }}\n",
        )],
    );
    assert_eq!(
        text,
        "FROM python:3.12-slim\nUSER 1000\nCMD [\"python\", \"-m\", \"k3sfn.runtime\"]\n"
    );
}

#[test]
fn template_problems_are_located_at_the_setting() {
    let function = (
        "fns/functions/api.py",
        "@http_trigger(path=\"/x\")\ndef x(request):\n    pass\n",
    );
    let missing = project(
        "serverless:\n  - name: fns\n    path: fns\n    build: {dockerfile_template: nope.j2}\n",
        &[function],
    );
    let errors_missing = errors(&missing, "local");
    assert_eq!(errors_missing.len(), 1, "{errors_missing:#?}");
    assert_eq!(errors_missing[0].code, Code::MissingFile);
    assert_eq!(errors_missing[0].span.unwrap().text(), "nope.j2");

    let broken = project(
        "serverless:\n  - name: fns\n    path: fns\n    build: {dockerfile_template: bad.j2}\n",
        &[
            function,
            ("fns/bad.j2", "FROM {{ base_image }}\nRUN {% if %}\n"),
        ],
    );
    let errors_broken = errors(&broken, "local");
    assert_eq!(errors_broken.len(), 1, "{errors_broken:#?}");
    assert_eq!(errors_broken[0].code, Code::BadTemplate);
    assert_eq!(errors_broken[0].span.unwrap().text(), "bad.j2");
    assert!(
        errors_broken[0].message.contains("line 2"),
        "{}",
        errors_broken[0].message
    );

    let undefined = project(
        "serverless:\n  - name: fns\n    path: fns\n    build: {dockerfile_template: typo.j2}\n",
        &[function, ("fns/typo.j2", "FROM {{ base_imag }}\n")],
    );
    assert_eq!(errors(&undefined, "local")[0].code, Code::BadTemplate);
}

#[test]
fn an_own_dockerfile_replaces_the_generated_one() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    build: {dockerfile: Dockerfile}\n",
        &[
            ("fns/functions/api.py", PLAIN_AND_TUNED),
            ("fns/Dockerfile", "FROM scratch\n"),
        ],
    );
    let lowered = lower_ok(&dir, "local");
    assert!(lowered.files.is_empty());
    assert!(lowered.builds[0].dockerfile.ends_with("fns/Dockerfile"));
    assert!(lowered.builds[0].dockerfile.is_absolute());
}

#[test]
fn a_function_and_an_app_with_one_name_are_an_error() {
    let dir = project(
        "serverless:\n  - name: api\n    path: fns\napps:\n  - name: api-x\n    image: nginx\n",
        &[(
            "fns/functions/api.py",
            "@http_trigger(path=\"/x\")\ndef x(request):\n    pass\n",
        )],
    );
    let (project, _) = load(&dir.path().join("apps.yaml")).unwrap();
    let resolved = resolve(&project, "local", &Inputs::default()).unwrap();
    let images = ImageTags::new();
    let cx = LowerContext {
        resolved: &resolved,
        images: &images,
    };
    let errors = crate::lower::lower_environment(&cx, &Default::default()).unwrap_err();
    assert_eq!(errors.error_count(), 1, "{}", errors.render());
    let error = errors.items.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(error.code, Code::DuplicateName);
    assert!(
        error
            .message
            .contains("`serverless.api.x` and `apps.api-x`")
    );
}

#[test]
fn an_entry_queue_scaler_is_refused_for_http_functions_once() {
    let dir = project(
        "serverless:\n  - name: fns\n    path: fns\n    scaling: {type: keda-queue}\n",
        &[
            ("fns/functions/api.py", PLAIN_AND_TUNED),
            ("fns/functions/workers.py", WORKERS),
        ],
    );
    let errors = errors(&dir, "local");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, Code::BadScaling);
    assert_eq!(errors[0].span.unwrap().text(), "keda-queue");
}
