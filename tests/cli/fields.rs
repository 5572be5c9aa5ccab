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
