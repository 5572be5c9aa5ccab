//! Every field acts or says why not: `enabled:` on every optional block, settings a controller
//! cannot express (errors for security, warnings for tuning), fields without effect warned.

use crate::support::{ENVS, Project};

const TRAEFIK_AND_HAPROXY: &str = "version: \"2\"\ndefaults:\n  ingress: {local: traefik, gcp: haproxy}\nenvironments:\n  local: {domain: example.test}\n  gcp: {domain: example.com}\n";

fn gateway(rate_limit: &str) -> Project {
    Project::with_apps_yaml(&format!(
        "{TRAEFIK_AND_HAPROXY}apps:\n  - name: web\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\ngateway:\n  rate_limit: {rate_limit}\n  routes:\n    - {{path: /web, service: web, port: 80}}\n"
    ))
}

#[test]
fn enabled_false_turns_an_optional_block_off() {
    // A file written for the generators k3s replaces: `gateway.rate_limit.enabled`.
    let off = gateway("{enabled: false, requests_per_second: 10}")
        .run(&["generate", "--env", "local", "--stdout"]);
    off.code(0);
    assert!(!off.stdout.contains("rateLimit"), "{}", off.stdout);
    gateway("{enabled: true, requests_per_second: 10}")
        .run(&["generate", "--env", "local", "--stdout"])
        .code(0)
        .stdout_contains("rateLimit");
    // Absent means on; `enabled: false` needs nothing else.
    gateway("{enabled: false}").run(&["validate"]).code(0);
    gateway("{burst: 5}")
        .run(&["validate"])
        .code(1)
        .stderr_contains("a rate limit needs `requests_per_second`");
}

#[test]
fn enabled_false_works_on_timeouts_cors_and_auth() {
    let run = Project::with_apps_yaml(&format!(
        "{TRAEFIK_AND_HAPROXY}apps:\n  - name: web\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\n    ingress:\n      path: /\n      cors: {{enabled: false, allow_origins: [\"*\"]}}\n      auth: {{enabled: false, type: basic}}\n      timeouts: {{enabled: false, client: 5s}}\n"
    ))
    .run(&["generate", "--env", "gcp", "--stdout"]);
    run.code(0);
    assert!(!run.stdout.contains("cors"), "{}", run.stdout);
    assert!(!run.stdout.contains("auth"), "{}", run.stdout);
    assert!(!run.stderr.contains("timeouts.client"), "{}", run.stderr);
}

#[test]
fn a_tuning_setting_the_controller_cannot_express_is_a_warning_naming_it() {
    let run = Project::with_apps_yaml(&format!(
        "{TRAEFIK_AND_HAPROXY}apps:\n  - name: web\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\n    ingress:\n      path: /\n      rate_limit: {{requests_per_second: 10, burst: 20}}\n"
    ))
    .run(&["validate", "--env", "gcp"]);
    run.code(0).stderr_contains(
        "apps.yaml:13:52: warning: apps.web.ingress.rate_limit.burst: `rate_limit.burst` cannot be expressed for HAProxy Ingress",
    );
}

#[test]
fn a_security_setting_the_controller_cannot_express_stays_an_error() {
    Project::with_apps_yaml(&format!(
        "{ENVS}defaults:\n  ingress: haproxy\ngateway:\n  routes:\n    - {{path: /a, service: web, port: 80, methods: [GET]}}\napps:\n  - name: web\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\n"
    ))
    .run(&["validate", "--env", "gcp"])
    .code(1)
    .stderr_contains("`methods` cannot be expressed for HAProxy Ingress");
}

#[test]
fn scaling_fields_the_type_does_not_use_are_warned() {
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\n    scaling:\n      type: keda-http\n      target_cpu_percent: 70\n      polling_interval: 5\n"
    ))
    .run(&["validate", "--env", "local"]);
    run.code(0)
        .stderr_contains("apps.yaml:11:27: warning: apps.web.scaling.target_cpu_percent: `scaling.target_cpu_percent` has no effect with `type: keda-http`")
        .stderr_contains("apps.yaml:12:25: warning: apps.web.scaling.polling_interval: `scaling.polling_interval` has no effect with `type: keda-http`");
    // `type: none` turns scaling off: the rest is for environments that scale.
    let off = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    scaling: {{type: hpa, target_cpu_percent: 70}}\n    local:\n      scaling: {{type: none}}\n"
    ))
    .run(&["validate", "--env", "local"]);
    off.code(0);
    assert!(!off.stderr.contains("no effect"), "{}", off.stderr);
}

fn app(extra: &str) -> Project {
    Project::with_apps_yaml(&format!(
        "{TRAEFIK_AND_HAPROXY}apps:\n  - name: web\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\n{extra}"
    ))
}

#[test]
fn debug_sets_k3s_debug_in_every_main_container() {
    let project = Project::with_apps_yaml(
        "version: \"2\"\nenvironments:\n  dev: {debug: true}\n  prod: {}\napps:\n  - name: web\n    image: nginx\n",
    );
    project
        .run(&["generate", "--env", "dev", "--stdout"])
        .code(0)
        .stdout_contains("- name: K3S_DEBUG\n          value: \"true\"");
    let prod = project.run(&["generate", "--env", "prod", "--stdout"]);
    assert!(!prod.code(0).stdout.contains("K3S_DEBUG"));
}

#[test]
fn an_empty_ingress_class_means_the_controllers_default() {
    let run =
        app("    ingress: {path: /, class: \"\"}\n").run(&["generate", "--env", "gcp", "--stdout"]);
    // The environment's controller's class, never the empty name an API server refuses.
    run.code(0).stdout_contains("ingressClassName: haproxy\n");
    assert!(
        !run.stdout.contains("ingressClassName: \"\""),
        "{}",
        run.stdout
    );
}

#[test]
fn another_controllers_annotations_are_left_out_with_a_warning() {
    let run = app(
        "    ingress:\n      path: /\n      annotations: {nginx.ingress.kubernetes.io/proxy-body-size: 10m, external-dns.alpha.kubernetes.io/ttl: \"60\"}\n",
    )
    .run(&["generate", "--env", "local", "--stdout"]);
    run.code(0)
        .stderr_contains("apps.web.ingress.annotations.nginx.ingress.kubernetes.io/proxy-body-size: annotation `nginx.ingress.kubernetes.io/proxy-body-size` is for ingress-nginx")
        .stdout_contains("external-dns.alpha.kubernetes.io/ttl");
    assert!(!run.stdout.contains("proxy-body-size"), "{}", run.stdout);
}

#[test]
fn allowed_sources_without_restricted_are_warned() {
    app("    security:\n      visibility: private\n      allowed_sources: [{namespace: monitoring}]\n")
        .run(&["validate", "--env", "local"])
        .code(0)
        .stderr_contains("apps.yaml:12:19: warning: apps.web.security.allowed_sources: `allowed_sources` has no effect with `visibility: private`");
}

#[test]
fn an_hpa_on_utilization_needs_the_matching_request() {
    app("    scaling: {type: hpa, target_memory_percent: 70}\n    resources: {cpu: 100m}\n")
        .run(&["validate", "--env", "local"])
        .code(1)
        .error_at(
            "apps.yaml:11:49",
            "apps.web.scaling",
            "an HPA scaling on memory utilization needs a memory request",
        );
    app("    scaling: {type: hpa}\n")
        .run(&["validate", "--env", "local"])
        .code(1)
        .stderr_contains("needs a cpu request (80 % CPU is the target when none is given)");
    app("    scaling: {type: hpa}\n    resources: {cpu: 100m}\n")
        .run(&["validate", "--env", "local"])
        .code(0);
}

#[test]
fn the_default_service_account_is_used_never_created() {
    let run = app("    security: {service_account: default}\n")
        .run(&["generate", "--env", "local", "--stdout"]);
    run.code(0).stdout_contains("serviceAccountName: default");
    assert!(
        !run.stdout.contains("kind: ServiceAccount"),
        "{}",
        run.stdout
    );
}

#[test]
fn secure_defaults_read_only_root_with_a_writable_tmp() {
    let run =
        app("    resources: {memory: 64Mi}\n").run(&["generate", "--env", "local", "--stdout"]);
    run.code(0)
        .stdout_contains("readOnlyRootFilesystem: true")
        .stdout_contains("- mountPath: /tmp\n          name: tmp")
        .stdout_contains("- emptyDir: {}\n        name: tmp");
    // Loosened per entry.
    let loose = app(
        "    resources: {memory: 64Mi}\n    security: {container_security_context: {read_only_root_filesystem: false}}\n",
    )
    .run(&["generate", "--env", "local", "--stdout"]);
    loose
        .code(0)
        .stdout_contains("readOnlyRootFilesystem: false");
    assert!(
        !loose.stdout.contains("mountPath: /tmp"),
        "{}",
        loose.stdout
    );
}

#[test]
fn no_resources_and_untagged_images_are_warned() {
    Project::with_apps_yaml(&format!("{ENVS}apps:\n  - name: web\n    image: nginx\n"))
        .run(&["validate", "--env", "local"])
        .code(0)
        .stderr_contains(
            "apps.yaml:6:11: warning: apps.web.resources: `apps.web` requests no CPU or memory",
        )
        .stderr_contains("apps.yaml:6:11: warning: apps.web.image: image `nginx` has no tag");
    let pinned = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: registry.local:5000/nginx@sha256:abc\n    resources: {{memory: 64Mi}}\n"
    ))
    .run(&["validate", "--env", "local"]);
    assert!(
        !pinned.code(0).stderr.contains("warning: apps.web"),
        "{}",
        pinned.stderr
    );
}

/// The `--stdout` document of `kind` named `name`.
fn document<'a>(stdout: &'a str, kind: &str, name: &str) -> &'a str {
    stdout
        .split("\n---\n")
        .find(|d| {
            d.contains(&format!("\nkind: {kind}\n")) && d.contains(&format!("  name: {name}\n"))
        })
        .unwrap_or_else(|| panic!("no {kind} {name} in:\n{stdout}"))
}

fn timeouts_project(timeouts: &str) -> Project {
    Project::with_apps_yaml(&format!(
        "{TRAEFIK_AND_HAPROXY}apps:\n  - name: web\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\ngateway:\n  routes:\n    - path: /web\n      service: web\n      port: 80\n      timeouts: {timeouts}\n"
    ))
}

#[test]
fn route_timeouts_on_traefik_are_a_servers_transport_the_route_references() {
    let run = timeouts_project("{connect: 10s, server: 180s}")
        .run(&["generate", "--env", "local", "--stdout"]);
    run.code(0);
    assert!(!run.stderr.contains("timeouts"), "{}", run.stderr);
    let transport = document(&run.stdout, "ServersTransport", "gateway-web-transport");
    assert!(
        transport.contains("apiVersion: traefik.io/v1alpha1"),
        "{transport}"
    );
    assert!(transport.contains("  namespace: apps\n"), "{transport}");
    assert!(
        transport.contains(
            "spec:\n  forwardingTimeouts:\n    dialTimeout: 10s\n    responseHeaderTimeout: 180s"
        ),
        "{transport}"
    );
    let route = document(&run.stdout, "IngressRoute", "gateway-web");
    assert!(
        route.contains(
            "    - name: web\n      port: 80\n      serversTransport: gateway-web-transport"
        ),
        "{route}"
    );
    // Applied before the IngressRoute that references it.
    assert!(
        run.stdout.find("kind: ServersTransport") < run.stdout.find("kind: IngressRoute"),
        "{}",
        run.stdout
    );
    // An app's own ingress gets one too.
    let app = Project::with_apps_yaml(&format!(
        "{TRAEFIK_AND_HAPROXY}apps:\n  - name: web\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\n    ingress:\n      path: /\n      timeouts: {{server: 2m}}\n"
    ))
    .run(&["generate", "--env", "local", "--stdout"]);
    app.code(0);
    let transport = document(&app.stdout, "ServersTransport", "web-transport");
    assert!(
        transport.contains("    responseHeaderTimeout: 2m"),
        "{transport}"
    );
    assert!(!transport.contains("dialTimeout"), "{transport}");
    assert!(
        app.stdout.contains("serversTransport: web-transport"),
        "{}",
        app.stdout
    );
}

#[test]
fn route_timeouts_on_haproxy_are_its_timeout_annotations() {
    let run = timeouts_project("{connect: 10s, server: 180s, queue: 30s}")
        .run(&["generate", "--env", "gcp", "--stdout"]);
    run.code(0);
    assert!(!run.stderr.contains("timeouts"), "{}", run.stderr);
    let ingress = document(&run.stdout, "Ingress", "gateway-web");
    for annotation in [
        "haproxy-ingress.github.io/timeout-connect: 10s",
        "haproxy-ingress.github.io/timeout-server: 180s",
        "haproxy-ingress.github.io/timeout-queue: 30s",
    ] {
        assert!(
            ingress.contains(annotation),
            "{annotation} not in {ingress}"
        );
    }
    assert!(!run.stdout.contains("ServersTransport"), "{}", run.stdout);
}

#[test]
fn a_timeout_the_controller_cannot_express_is_a_warning_naming_controller_and_field() {
    let project = timeouts_project("{connect: 10s, client: 60s, queue: 30s}");
    let traefik = project.run(&["generate", "--env", "local", "--stdout"]);
    traefik
        .code(0)
        .stderr_contains("apps.yaml:16:40: warning: gateway.routes[0].timeouts.client: `timeouts.client` cannot be expressed for Traefik")
        .stderr_contains("apps.yaml:16:52: warning: gateway.routes[0].timeouts.queue: `timeouts.queue` cannot be expressed for Traefik");
    // What Traefik can express is still there.
    let transport = document(&traefik.stdout, "ServersTransport", "gateway-web-transport");
    assert!(transport.contains("dialTimeout: 10s"), "{transport}");
    assert!(
        !transport.contains("60s") && !transport.contains("30s"),
        "{transport}"
    );
    let haproxy = project.run(&["generate", "--env", "gcp", "--stdout"]);
    haproxy
        .code(0)
        .stderr_contains("apps.yaml:16:40: warning: gateway.routes[0].timeouts.client: `timeouts.client` cannot be expressed for HAProxy Ingress");
    assert!(
        !haproxy.stderr.contains("timeouts.queue"),
        "{}",
        haproxy.stderr
    );
    assert!(
        !haproxy.stdout.contains("timeout-client"),
        "{}",
        haproxy.stdout
    );
}

const JOB_FUNCTIONS: &str = "from k3sfn import queue_trigger, schedule_trigger, serverless\n\n\
@serverless(service_account=\"runner\", timeout=600)\n\
@queue_trigger(queue_name=\"jobs\", mode=\"job\")\ndef run(messages):\n    pass\n\n\
@schedule_trigger(cron=\"0 3 * * *\")\ndef nightly():\n    pass\n";

const PLACEMENT: &str = "    node_selector: {kubernetes.io/arch: arm64}\n    tolerations: [{key: spot, operator: Exists, effect: NoSchedule}]\n    priority_class_name: batch\n    affinity: {required: [{key: node-type, operator: In, values: [batch]}], preferred: [{weight: 20, key: zone, operator: Exists}]}\n";

#[test]
fn function_job_and_placement_settings_reach_the_scaled_job_and_the_cron_job() {
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n    resources: {{memory: 64Mi, cpu: 50m}}\n    job: {{backoff_limit: 0, ttl_seconds_after_finished: 300, active_deadline_seconds: 900}}\n{PLACEMENT}"
    ))
    .file("fns/functions/jobs.py", JOB_FUNCTIONS)
    .run(&["generate", "--env", "gcp", "--stdout"]);
    run.code(0);
    assert!(!run.stderr.contains("job."), "{}", run.stderr);
    let scaled_job = document(&run.stdout, "ScaledJob", "fns-run");
    for expected in [
        "  jobTargetRef:\n    activeDeadlineSeconds: 900\n    backoffLimit: 0\n",
        "    ttlSecondsAfterFinished: 300\n",
        "        nodeSelector:\n          kubernetes.io/arch: arm64\n",
        "        priorityClassName: batch\n",
        "        serviceAccountName: runner\n",
        "        affinity:\n          nodeAffinity:\n            preferredDuringSchedulingIgnoredDuringExecution:\n            - preference:\n                matchExpressions:\n                - key: zone\n                  operator: Exists\n              weight: 20\n            requiredDuringSchedulingIgnoredDuringExecution:\n              nodeSelectorTerms:\n              - matchExpressions:\n                - key: node-type\n                  operator: In\n                  values:\n                  - batch\n",
        "        tolerations:\n        - effect: NoSchedule\n          key: spot\n          operator: Exists\n",
    ] {
        assert!(
            scaled_job.contains(expected),
            "{expected:?} not in {scaled_job}"
        );
    }
    let cron_job = document(&run.stdout, "CronJob", "fns-nightly");
    for expected in [
        "    spec:\n      activeDeadlineSeconds: 900\n      backoffLimit: 0\n",
        "      ttlSecondsAfterFinished: 300\n",
        "          nodeSelector:\n            kubernetes.io/arch: arm64\n",
        "          priorityClassName: batch\n",
        "          tolerations:\n          - effect: NoSchedule\n",
    ] {
        assert!(
            cron_job.contains(expected),
            "{expected:?} not in {cron_job}"
        );
    }
}

#[test]
fn function_job_settings_without_a_job_function_are_warned_per_field() {
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n    job:\n      backoff_limit: 0\n      ttl_seconds_after_finished: 300\n{PLACEMENT}"
    ))
    .file(
        "fns/functions/api.py",
        "from k3sfn import http_trigger\n\n@http_trigger(path=\"/f\")\ndef f(request):\n    return {}\n",
    )
    .run(&["generate", "--env", "gcp", "--stdout"]);
    run.code(0)
        .stderr_contains("apps.yaml:9:22: warning: serverless.fns.job.backoff_limit: `job.backoff_limit` has no effect: no function of `fns` runs as a Job")
        .stderr_contains("apps.yaml:10:35: warning: serverless.fns.job.ttl_seconds_after_finished: `job.ttl_seconds_after_finished` has no effect");
    // Placement applies to Deployments as well.
    let deployment = document(&run.stdout, "Deployment", "fns-f");
    assert!(
        deployment.contains("      priorityClassName: batch\n"),
        "{deployment}"
    );
    assert!(
        deployment.contains("      nodeSelector:\n        kubernetes.io/arch: arm64\n"),
        "{deployment}"
    );
}

#[test]
fn app_placement_reaches_deployments_and_job_settings_reach_cron_jobs() {
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx:1.27\n    security: {{service_account: web}}\n{PLACEMENT}  - name: backup\n    image: busybox:1.36\n    kind: cronjob\n    job: {{schedule: \"0 2 * * *\", backoff_limit: 0, ttl_seconds_after_finished: 60, active_deadline_seconds: 120}}\n{PLACEMENT}"
    ))
    .run(&["generate", "--env", "gcp", "--stdout"]);
    run.code(0);
    let deployment = document(&run.stdout, "Deployment", "web");
    for expected in [
        "      nodeSelector:\n        kubernetes.io/arch: arm64\n",
        "      priorityClassName: batch\n",
        "      serviceAccountName: web\n",
        "            - matchExpressions:\n              - key: node-type\n                operator: In\n",
        "      tolerations:\n      - effect: NoSchedule\n        key: spot\n",
    ] {
        assert!(
            deployment.contains(expected),
            "{expected:?} not in {deployment}"
        );
    }
    let cron_job = document(&run.stdout, "CronJob", "backup");
    for expected in [
        "      activeDeadlineSeconds: 120\n      backoffLimit: 0\n",
        "      ttlSecondsAfterFinished: 60\n",
        "          nodeSelector:\n            kubernetes.io/arch: arm64\n",
        "          priorityClassName: batch\n",
    ] {
        assert!(
            cron_job.contains(expected),
            "{expected:?} not in {cron_job}"
        );
    }
    // Job settings on a Deployment have no effect: said at the field (tests/cli/real_files.rs
    // has the rest of that rule).
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx:1.27\n    job: {{backoff_limit: 0}}\n"
    ))
    .run(&["validate", "--env", "gcp"])
    .code(0)
    .stderr_contains("apps.yaml:8:26: warning: apps.web.job.backoff_limit: `job.backoff_limit` has no effect on a Deployment");
    // A requirement the API server would refuse is refused here, at its operator.
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx:1.27\n    affinity: {{required: [{{key: a, operator: Exists, values: [x]}}]}}\n"
    ))
    .run(&["validate", "--env", "gcp"])
    .code(1)
    .error_at("apps.yaml:8:46", "apps.web.affinity.required[0].operator", "operator `Exists` takes no `values`");
}

#[test]
fn decorator_arguments_existing_functions_use_load_and_act() {
    // Written for the Python generators k3s replaces: every argument must load and act.
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n"
    ))
    .file(
        "fns/functions/api.py",
        "from k3sfn import serverless, http_trigger\n\n\n@serverless(memory=\"128Mi\", visibility=\"restricted\", allow_from_namespaces=[\"web\"], allow_from_pods={\"app\": \"api\"}, labels={\"team\": \"core\"})\n@http_trigger(path=\"/a\", methods=[\"GET\"], cors=False, rate_limit=60)\ndef a(request):\n    return {}\n",
    );
    let run = project.run(&["generate", "--env", "local", "--stdout"]);
    run.code(0);
    let policy = document(&run.stdout, "NetworkPolicy", "fns-a");
    assert!(
        policy.contains(
            "    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: web\n    - podSelector:\n        matchLabels:\n          app: api\n"
        ),
        "{policy}"
    );
    let deployment = document(&run.stdout, "Deployment", "fns-a");
    assert!(deployment.contains("        team: core\n"), "{deployment}");
    assert!(deployment.contains("memory: 128Mi"), "{deployment}");
    // A rate limit with no route to enforce it is said, at the argument.
    run.stderr_contains("fns/functions/api.py:5:")
        .stderr_contains("serverless.fns.a.@http_trigger.rate_limit");
}
