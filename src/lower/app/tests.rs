//! The app front-end's rules, asserted on the Workload it produces.

use crate::config::{Protocol, load};
use crate::diagnostic::Diagnostics;
use crate::images::ImageTags;
use crate::lower::{LowerContext, TreeLocation, lower_environment};
use crate::resolve::{Inputs, resolve};
use crate::workload::{
    DisruptionBudget, PortTarget, ProbeAction, Replicas, Rewrite, RolloutStrategy, Scaling,
    Workload,
};

const ENVS: &str = "version: \"2\"\nenvironments:\n  local: {domain: localhost}\n  gcp: {domain: api.example.com, tls: true, tls_secret: wildcard}\ndefaults:\n  ingress: {local: traefik, gcp: haproxy}\n";

/// Lowers `apps` (an `apps:` section) for `env`: the workloads, or every diagnostic.
fn lower(apps: &str, env: &str) -> Result<Vec<Workload>, Diagnostics> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apps.yaml"), format!("{ENVS}apps:\n{apps}")).unwrap();
    let (project, d) = load(&dir.path().join("apps.yaml")).unwrap();
    assert!(!d.has_errors(), "{}", d.render());
    let resolved = resolve(&project, env, &Inputs::default())?;
    let images = ImageTags::new();
    let cx = LowerContext {
        resolved: &resolved,
        images: &images,
    };
    let lowered = lower_environment(&cx, &TreeLocation::default())?;
    Ok(lowered
        .entries
        .into_iter()
        .flat_map(|e| e.entry.workloads)
        .collect())
}

fn one(apps: &str, env: &str) -> Workload {
    let mut workloads = lower(apps, env).unwrap_or_else(|d| panic!("{}", d.render()));
    assert_eq!(workloads.len(), 1);
    workloads.remove(0)
}

fn errors(apps: &str, env: &str) -> Vec<String> {
    match lower(apps, env) {
        Ok(_) => Vec::new(),
        Err(d) => d
            .items
            .iter()
            .filter(|i| i.is_error())
            .map(|i| format!("{}: {}", i.code, i.message))
            .collect(),
    }
}

const WEB: &str = "  - name: web\n    image: nginx\n    security: {profile: baseline}\n    container:\n      ports:\n        - {container_port: 8080, service_port: 80}\n        - {name: metrics, container_port: 9090}\n";

#[test]
fn a_probe_port_defaults_to_the_first_container_port() {
    let w = one(
        &format!(
            "{WEB}    probes:\n      readiness: {{path: /ready}}\n      liveness: {{type: tcp}}\n"
        ),
        "local",
    );
    let readiness = w.main_container().readiness_probe.as_ref().unwrap();
    let ProbeAction::Http { port, path, .. } = &readiness.action else {
        panic!("{readiness:?}")
    };
    assert_eq!((port, path.as_str()), (&PortTarget::Number(8080), "/ready"));
    let liveness = w.main_container().liveness_probe.as_ref().unwrap();
    assert!(
        matches!(&liveness.action, ProbeAction::Tcp { port } if *port == PortTarget::Number(8080))
    );
}

#[test]
fn a_probe_on_a_port_the_container_does_not_declare_is_refused() {
    let found = errors(
        &format!("{WEB}    probes:\n      readiness: {{path: /ready, port: admin}}\n"),
        "local",
    );
    assert_eq!(
        found,
        ["bad-probe: probe port `admin` is not a port of the container"]
    );
}

#[test]
fn a_route_to_an_app_not_scaled_by_keda_http_goes_straight_to_its_service() {
    let w = one(
        &format!("{WEB}    ingress: {{path: /web, strip_prefix: true}}\n"),
        "local",
    );
    let route = &w.routes[0];
    assert_eq!(route.backend.service, "web");
    assert_eq!(route.backend.port, PortTarget::Number(80));
    assert!(route.backend.interceptor.is_none());
    assert_eq!(route.rewrite, Rewrite::StripPrefix);
}

#[test]
fn a_keda_http_app_is_reached_through_the_interceptor_which_matches_what_it_sees() {
    let app = format!(
        "{WEB}    scaling: {{type: keda-http, min_instances: 0, max_instances: 5}}\n    ingress: {{path: /web, strip_prefix: true}}\n"
    );
    let w = one(&app, "gcp");
    // The app's own name is an ExternalName of the interceptor (callers and the route use
    // it); the pods' Service is `web-pods`, which the interceptor forwards to.
    let route = &w.routes[0];
    assert_eq!(route.backend.service, "web");
    assert_eq!(route.backend.port, PortTarget::Number(8080));
    assert!(route.backend.interceptor.is_none());
    let names: Vec<(&str, Option<&str>)> = w
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.external_name.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("web-pods", None),
            (
                "web",
                Some("keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local")
            ),
        ]
    );
    assert_eq!(w.services[1].ports[0].port, 8080);
    let Scaling::Http {
        hosts,
        path_prefixes,
        service,
        port,
        min,
        ..
    } = &w.scaling
    else {
        panic!("{:?}", w.scaling)
    };
    // The prefix is stripped before the interceptor: the scaler must not expect it.
    assert_eq!(path_prefixes, &["/".to_string()]);
    assert_eq!(
        hosts,
        &[
            "api.example.com",
            "web",
            "web.apps",
            "web.apps.svc",
            "web.apps.svc.cluster.local"
        ]
    );
    assert_eq!((service.as_str(), *port, *min), ("web-pods", 80, 0));
    assert_eq!(w.replicas, Replicas::Autoscaled);
    // The interceptor must be let in by the app's NetworkPolicy.
    let policy = w.network.as_ref().unwrap();
    assert!(!policy.ingress.is_empty());
    let kept = one(
        &app.replace("strip_prefix: true", "strip_prefix: false"),
        "gcp",
    );
    let Scaling::Http { path_prefixes, .. } = &kept.scaling else {
        panic!()
    };
    assert_eq!(path_prefixes, &["/web".to_string()]);
}

#[test]
fn restricted_pods_by_default_and_baseline_when_asked() {
    let w = one("  - name: api\n    image: ghcr.io/x/api:1\n", "local");
    let pod = &w.pod.security;
    assert_eq!(pod.run_as_non_root, Some(true));
    assert_eq!(pod.seccomp_profile.as_deref(), Some("RuntimeDefault"));
    let container = &w.main_container().security;
    assert_eq!(container.allow_privilege_escalation, Some(false));
    assert_eq!(container.capabilities_drop, ["ALL"]);
    assert!(!w.pod.automount_service_account_token);
    let loose = one(
        "  - name: api\n    image: nginx\n    security: {profile: baseline}\n",
        "local",
    );
    assert_eq!(loose.pod.security.run_as_non_root, None);
    assert!(loose.main_container().security.capabilities_drop.is_empty());
    let forbidden = errors(
        "  - name: api\n    image: nginx\n    security:\n      container_security_context: {allow_privilege_escalation: true}\n",
        "local",
    );
    assert_eq!(forbidden.len(), 1);
    assert!(
        forbidden[0].contains("allow_privilege_escalation must be false"),
        "{forbidden:?}"
    );
}

#[test]
fn a_service_account_gets_its_token_and_its_object() {
    let w = one(
        "  - name: api\n    image: x/api:1\n    security:\n      service_account: api\n      service_account_annotations: {iam.gke.io/gcp-service-account: api@p.iam.gserviceaccount.com}\n",
        "gcp",
    );
    assert_eq!(w.pod.service_account_name.as_deref(), Some("api"));
    assert!(w.pod.automount_service_account_token);
    let account = w.service_account.as_ref().unwrap();
    assert_eq!(account.annotations.len(), 1);
}

#[test]
fn replicas_are_explicit_unless_an_autoscaler_owns_them() {
    let fixed = one(&format!("{WEB}    replicas: 0\n"), "local");
    assert_eq!(fixed.replicas, Replicas::Fixed(0));
    let hpa = one(
        &format!(
            "{WEB}    resources: {{cpu: 100m}}\n    scaling: {{type: hpa, min_instances: 2, max_instances: 4}}\n"
        ),
        "local",
    );
    assert_eq!(hpa.replicas, Replicas::Autoscaled);
    let Scaling::Hpa {
        min,
        max,
        cpu_percent,
        ..
    } = hpa.scaling
    else {
        panic!()
    };
    assert_eq!((min, max, cpu_percent), (2, 4, Some(80)));
}

#[test]
fn a_budget_that_would_block_every_drain_is_refused() {
    let found = errors(
        &format!("{WEB}    replicas: 1\n    pod_disruption_budget: {{min_available: 1}}\n"),
        "local",
    );
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("blocking-budget"), "{found:?}");
    let w = one(
        &format!("{WEB}    replicas: 3\n    pod_disruption_budget: {{min_available: 2}}\n"),
        "local",
    );
    assert!(matches!(
        w.disruption_budget,
        Some(DisruptionBudget::MinAvailable(_))
    ));
}

#[test]
fn rolling_updates_by_default_and_recreate_for_single_node_claims() {
    let w = one(WEB, "local");
    let crate::workload::Controller::Deployment { strategy, .. } = &w.controller else {
        panic!()
    };
    let RolloutStrategy::RollingUpdate {
        max_surge,
        max_unavailable,
    } = strategy
    else {
        panic!()
    };
    assert_eq!(
        (max_surge, max_unavailable),
        (
            &crate::config::IntOrPercent::Int(1),
            &crate::config::IntOrPercent::Int(0)
        )
    );
    let with_claim = one(
        &format!(
            "{WEB}    volumes:\n      - {{name: data, type: pvc, size: 1Gi, mount_path: /data}}\n"
        ),
        "local",
    );
    let crate::workload::Controller::Deployment { strategy, .. } = &with_claim.controller else {
        panic!()
    };
    assert!(matches!(strategy, RolloutStrategy::Recreate));
    assert_eq!(with_claim.claims[0].name, "web-data");
}

#[test]
fn every_port_is_named_and_in_the_service_and_the_policy() {
    let w = one(WEB, "local");
    let names: Vec<_> = w
        .main_container()
        .ports
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["http", "metrics"]);
    let service = &w.services[0];
    assert_eq!(
        service.ports.iter().map(|p| p.port).collect::<Vec<_>>(),
        [80, 9090]
    );
    let policy = w.network.as_ref().unwrap();
    let ports: Vec<u16> = policy.ingress[0].ports.iter().map(|p| p.port).collect();
    assert_eq!(ports, [8080, 9090]);
    assert!(
        policy.ingress[0]
            .ports
            .iter()
            .all(|p| p.protocol == Protocol::Tcp)
    );
}

#[test]
fn an_external_secret_is_planned_for_secrets_from_a_store() {
    let w = one(
        "  - name: api\n    image: x/api:1\n    secrets:\n      - name: api-secrets\n        as_env: true\n        external: {store: gcp-sm, keys: {DB_PASSWORD: prod-db#password}}\n",
        "gcp",
    );
    let external = &w.external_secrets[0];
    assert_eq!(external.name, "api-secrets");
    assert_eq!(
        external.data["DB_PASSWORD"],
        ("prod-db".to_string(), Some("password".to_string()))
    );
    assert_eq!(w.main_container().env_from[0].name, "api-secrets");
}

#[test]
fn a_private_app_with_a_route_admits_the_ingress_controller() {
    let w = one(
        &format!("{WEB}    visibility: private\n    ingress: {{path: /web}}\n"),
        "gcp",
    );
    let policy = w.network.as_ref().unwrap();
    let admits = |namespace: &str| {
        policy.ingress.iter().any(|rule| {
            rule.peers.iter().any(
                |p| matches!(p, crate::workload::Peer::Namespace { name, .. } if name == namespace),
            )
        })
    };
    assert!(admits("haproxy-controller"));
    assert!(!admits("keda"));
}
