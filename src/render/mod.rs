//! Typed Kubernetes objects from a `Workload`: one file per kind, each reading only the IR and
//! registering its kind with `object!` (see `object.rs`), collected here as [`Manifest`]s.
//! Nothing here looks at apps.yaml, environments or which front-end produced the workload.

pub mod argocd;
pub mod crd;

mod config_map;
mod cron_job;
mod deployment;
mod external_secret;
mod haproxy;
mod hpa;
mod job;
mod keda;
mod keda_http;
mod namespace;
mod network_policy;
mod object;
mod pdb;
mod pod_template;
mod pvc;
mod routes;
mod secret;
mod service;
mod service_account;
mod stateful_set;
mod traefik;

#[cfg(test)]
mod fixtures;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::config::{IngressController, Protocol};
use crate::workload::{PortTarget, Replicas, Workload};

pub use namespace::{PodSecurityLevels, render_namespace};
pub use object::{Manifest, Object, order};

// For the CRD renderers beside these (a KEDA ScaledJob embeds a JobSpec).
pub(crate) use job::job_spec;
pub(crate) use pod_template::pod_template;
pub use routes::render_routes;
pub use service::render_interceptor_alias;

/// What renderers may know beyond the workload itself.
#[derive(Debug, Clone)]
pub struct RenderContext {
    /// The environment being rendered.
    pub env: String,
    /// Which objects carry the environment's routes (Traefik CRDs, `Ingress`, or none).
    pub ingress: IngressController,
}

/// serde-saphyr's defaults, except that a long single-line string stays on one line instead
/// of being folded (`>`) at 80 columns: a folded value ends lines in significant spaces, which
/// editors and hooks strip, and a small change re-wraps the whole value in a GitOps diff.
/// Multi-line strings (config files in ConfigMaps) still come out as literal blocks (`|`).
pub(crate) fn yaml_options() -> serde_saphyr::SerializerOptions {
    let mut options = serde_saphyr::SerializerOptions::default();
    options.folded_wrap_chars = usize::MAX;
    options
}

/// Any serializable object as one YAML document, written like every manifest.
pub fn yaml_document<T: serde::Serialize>(value: &T) -> String {
    serde_saphyr::to_string_with_options(value, yaml_options())
        .expect("generated objects serialize to YAML")
}

/// Every object of one workload, in apply order (see [`sort_manifests`]).
pub fn render_workload(w: &Workload, ctx: &RenderContext) -> Vec<Manifest> {
    let mut manifests = Vec::new();
    manifests.extend(service_account::render(w).map(Manifest::new));
    manifests.extend(
        w.config_maps
            .iter()
            .map(|c| Manifest::new(config_map::render(w, c))),
    );
    manifests.extend(
        w.secrets
            .iter()
            .map(|s| Manifest::new(secret::render(w, s))),
    );
    manifests.extend(
        w.external_secrets
            .iter()
            .map(|e| Manifest::new(external_secret::render(w, e))),
    );
    manifests.extend(w.claims.iter().map(|c| Manifest::new(pvc::render(w, c))));
    manifests.extend(deployment::render(w).map(Manifest::new));
    manifests.extend(stateful_set::render(w).map(Manifest::new));
    manifests.extend(cron_job::render(w).map(Manifest::new));
    manifests.extend(job::render(w).map(Manifest::new));
    manifests.extend(
        w.services
            .iter()
            .map(|s| Manifest::new(service::render(w, s))),
    );
    manifests.extend(render_routes(
        &w.routes,
        &w.namespace,
        &w.object_labels(),
        ctx,
    ));
    manifests.extend(hpa::render(w).map(Manifest::new));
    manifests.extend(keda::render(w));
    manifests.extend(keda_http::render(w));
    manifests.extend(network_policy::render(w).map(Manifest::new));
    manifests.extend(pdb::render(w).map(Manifest::new));

    sort_manifests(&mut manifests);
    manifests
}

/// Apply order, then kind, namespace and name: the order documents are written in.
pub fn sort_manifests(manifests: &mut [Manifest]) {
    manifests.sort_by(|a, b| {
        (a.apply_order(), a.kind(), a.namespace(), a.name()).cmp(&(
            b.apply_order(),
            b.kind(),
            b.namespace(),
            b.name(),
        ))
    });
}

/// Name, namespace and the workload's object labels: the metadata of every top-level object.
fn object_meta(w: &Workload, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(w.namespace.clone()),
        labels: Some(w.object_labels()),
        ..ObjectMeta::default()
    }
}

/// Selects the workload's pods; controllers, policies, budgets and affinity terms share it.
fn selector(w: &Workload) -> LabelSelector {
    match_labels(w.selector_labels())
}

fn match_labels(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels),
        ..LabelSelector::default()
    }
}

/// Kubernetes leaves an absent map and an empty one equal; absent keeps the output short.
fn non_empty_map(map: BTreeMap<String, String>) -> Option<BTreeMap<String, String>> {
    (!map.is_empty()).then_some(map)
}

fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// `true` is written, `false` left to the API server's default, which is `false` for every
/// field this is used on.
fn only_true(flag: bool) -> Option<bool> {
    flag.then_some(true)
}

/// DESIGN rule 9: a count only when nobody else owns it; `Fixed(0)` stays an explicit 0.
fn replicas(replicas: Replicas) -> Option<i32> {
    match replicas {
        Replicas::Fixed(n) => Some(count(n)),
        Replicas::Autoscaled | Replicas::NotApplicable => None,
    }
}

/// Replica counts, percentages and seconds are far below `i32::MAX`; saturate rather than wrap.
fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn protocol_name(protocol: Protocol) -> String {
    match protocol {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
    }
    .to_string()
}

fn port_target(port: &PortTarget) -> IntOrString {
    match port {
        PortTarget::Number(n) => IntOrString::Int(i32::from(*n)),
        PortTarget::Name(name) => IntOrString::String(name.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{
        backup, db, frontend, haproxy_route, hello, hello_beta, ingest, labels, migrate, nightly,
        runner, traefik_route, web, worker,
    };
    use super::*;
    use crate::render::crd::keda_http::HTTPScaledObject;
    use crate::render::crd::traefik::{IngressRoute, Middleware};
    use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
    use k8s_openapi::api::batch::v1::CronJob;
    use k8s_openapi::api::core::v1::{ConfigMap, Service};
    use std::collections::BTreeSet;

    fn ctx() -> RenderContext {
        context(IngressController::Traefik)
    }

    fn context(ingress: IngressController) -> RenderContext {
        RenderContext {
            env: "dev".to_string(),
            ingress,
        }
    }

    /// Every fixture workload, one per controller and kind of scaling.
    fn workloads() -> Vec<Workload> {
        vec![
            web(),
            db(),
            backup(),
            hello(),
            hello_beta(),
            migrate(),
            frontend(),
            worker(),
            ingest(),
            runner(),
            nightly(),
        ]
    }

    /// The documents as `k3s render` writes them: `---`-separated, in apply order.
    fn documents(manifests: &[Manifest]) -> String {
        manifests
            .iter()
            .map(|m| format!("---\n{}", m.to_yaml()))
            .collect()
    }

    fn find<'a>(manifests: &'a [Manifest], kind: &str, name: &str) -> &'a Manifest {
        manifests
            .iter()
            .find(|m| m.kind() == kind && m.name() == name)
            .unwrap_or_else(|| panic!("no {kind} {name}"))
    }

    /// The `T` named `name`.
    fn get<'a, T: Object>(manifests: &'a [Manifest], name: &str) -> &'a T {
        manifests
            .iter()
            .filter(|m| m.name() == name)
            .find_map(Manifest::get)
            .unwrap_or_else(|| panic!("no {} {name}", T::KIND))
    }

    #[test]
    fn deployment_app_snapshot() {
        let manifests = render_workload(&web(), &ctx());
        insta::assert_snapshot!(find(&manifests, "Deployment", "web").to_yaml());
    }

    #[test]
    fn stateful_set_snapshot() {
        let manifests = render_workload(&db(), &ctx());
        insta::assert_snapshot!(find(&manifests, "StatefulSet", "db").to_yaml());
    }

    #[test]
    fn headless_service_snapshot() {
        let manifests = render_workload(&db(), &ctx());
        insta::assert_snapshot!(find(&manifests, "Service", "db").to_yaml());
    }

    #[test]
    fn cron_job_snapshot() {
        let manifests = render_workload(&backup(), &ctx());
        insta::assert_snapshot!(find(&manifests, "CronJob", "backup").to_yaml());
    }

    #[test]
    fn renders_every_object_of_a_workload_in_apply_order() {
        let manifests = render_workload(&web(), &ctx());
        let listed: Vec<(&str, &str)> = manifests.iter().map(|m| (m.kind(), m.name())).collect();
        assert_eq!(
            listed,
            [
                ("ServiceAccount", "web"),
                ("ConfigMap", "web-config"),
                ("ExternalSecret", "db-credentials"),
                ("Secret", "web-secrets"),
                ("PersistentVolumeClaim", "web-uploads"),
                ("Deployment", "web"),
                ("Service", "web"),
                ("IngressRoute", "web"),
                ("HorizontalPodAutoscaler", "web"),
                ("NetworkPolicy", "web"),
                ("PodDisruptionBudget", "web"),
            ]
        );
        assert!(manifests.iter().all(|m| m.namespace() == Some("shop")));
    }

    #[test]
    fn output_is_byte_identical_across_runs() {
        let render = |w: &Workload| -> Vec<String> {
            render_workload(w, &ctx())
                .iter()
                .map(Manifest::to_yaml)
                .collect()
        };
        for w in workloads() {
            assert_eq!(render(&w), render(&w));
        }
    }

    #[test]
    fn sort_orders_by_apply_order_then_kind_namespace_and_name() {
        let mut manifests = render_workload(&db(), &ctx());
        manifests.extend(render_workload(&web(), &ctx()));
        manifests.reverse();
        sort_manifests(&mut manifests);
        fn key(m: &Manifest) -> (u8, &str, Option<&str>, &str) {
            (m.apply_order(), m.kind(), m.namespace(), m.name())
        }
        assert!(
            manifests
                .windows(2)
                .all(|pair| key(&pair[0]) <= key(&pair[1]))
        );
        assert_eq!(manifests[0].kind(), "ServiceAccount");
        assert_eq!(
            manifests.last().map(Manifest::kind),
            Some("PodDisruptionBudget")
        );
        let services: Vec<&str> = manifests
            .iter()
            .filter(|m| m.kind() == "Service")
            .map(Manifest::name)
            .collect();
        assert_eq!(services, ["db", "web"]);
    }

    #[test]
    fn selector_labels_are_a_subset_of_template_labels() {
        for w in [web(), db(), backup()] {
            let template_labels = w.pod_labels();
            let selector = w.selector_labels();
            assert!(
                selector
                    .iter()
                    .all(|(k, v)| template_labels.get(k) == Some(v)),
                "{}",
                w.name
            );
            for manifest in render_workload(&w, &ctx()) {
                let template = None
                    .or_else(|| {
                        manifest
                            .get::<Deployment>()?
                            .spec
                            .as_ref()
                            .map(|s| &s.template)
                    })
                    .or_else(|| {
                        manifest
                            .get::<StatefulSet>()?
                            .spec
                            .as_ref()
                            .map(|s| &s.template)
                    })
                    .or_else(|| {
                        let spec = manifest.get::<CronJob>()?.spec.as_ref()?;
                        spec.job_template.spec.as_ref().map(|s| &s.template)
                    });
                if let Some(template) = template {
                    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
                    assert_eq!(labels, Some(&template_labels), "{}", w.name);
                }
            }
        }
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        let manifests = render_workload(&web(), &ctx());
        let yaml = find(&manifests, "Deployment", "web").to_yaml();
        assert!(
            yaml.contains("value: 'yes'") || yaml.contains("value: \"yes\""),
            "{yaml}"
        );
    }

    #[test]
    fn multi_line_values_keep_their_bytes() {
        let manifests = render_workload(&web(), &ctx());
        let yaml = find(&manifests, "ConfigMap", "web-config").to_yaml();
        let back: ConfigMap = serde_saphyr::from_str(&yaml).expect("rendered YAML reads back");
        let data = back.data.expect("data");
        assert_eq!(
            data["settings.toml"],
            "[server]\nport = 8080\nworkers = 4\n"
        );
    }

    #[test]
    fn long_single_line_values_stay_on_one_line() {
        let mut w = web();
        let command = format!("echo {} && sleep 1", "word ".repeat(30));
        w.pod.containers[0].args = vec![command.clone()];
        let manifests = render_workload(&w, &ctx());
        let yaml = find(&manifests, "Deployment", "web").to_yaml();
        assert!(yaml.contains(&format!("- {command}\n")), "{yaml}");
    }

    /// Every typed object the renderers make: each fixture workload, routes for both
    /// controllers, the Argo CD objects, a Namespace.
    fn every_kind_rendered() -> Vec<Manifest> {
        let mut manifests: Vec<Manifest> = workloads()
            .iter()
            .flat_map(|w| render_workload(w, &ctx()))
            .collect();
        let haproxy = context(IngressController::Haproxy);
        manifests.extend(render_routes(
            &[haproxy_route()],
            "shop",
            &BTreeMap::new(),
            &haproxy,
        ));
        manifests.extend(render_routes(
            &[traefik_route()],
            "shop",
            &BTreeMap::new(),
            &ctx(),
        ));
        manifests.push(Manifest::new(argocd::render_application(
            &super::fixtures::web_application(),
        )));
        manifests.push(Manifest::new(argocd::render_project(
            &super::fixtures::dev_project(),
        )));
        manifests.push(Manifest::new(render_namespace(
            "shop",
            PodSecurityLevels {
                enforce: crate::config::PodSecurityProfile::Restricted,
                audit_and_warn: crate::config::PodSecurityProfile::Restricted,
            },
        )));
        manifests
    }

    /// The order table of `object.rs`'s documentation, kind by kind.
    fn documented_orders() -> BTreeMap<String, u8> {
        let mut table = BTreeMap::new();
        for line in include_str!("object.rs").lines() {
            let Some(row) = line.trim().strip_prefix("/// |") else {
                continue;
            };
            let mut cells = row.split('|').map(str::trim);
            let Some(Ok(order)) = cells.next().map(str::parse::<u8>) else {
                continue;
            };
            for kind in cells.next().unwrap_or_default().split(',') {
                let previous = table.insert(kind.trim().to_string(), order);
                assert_eq!(previous, None, "{kind} is twice in the order table");
            }
        }
        table
    }

    /// The kind of every top-level document in the reviewed golden trees of the CLI tests, that
    /// is, of every object `k3s generate` writes for the examples and the top-level apps.yaml.
    fn golden_kinds() -> BTreeSet<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/snapshots");
        let mut kinds = BTreeSet::new();
        let mut snapshots = 0;
        for entry in std::fs::read_dir(dir).expect("the golden snapshots") {
            let path = entry.expect("a directory entry").path();
            let is_golden = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("cli__golden__") && n.ends_with(".snap"));
            if !is_golden {
                continue;
            }
            snapshots += 1;
            let text = std::fs::read_to_string(&path).expect("a readable snapshot");
            // kustomization.yaml is read by kustomize, never applied as an object.
            let mut kustomization = false;
            for line in text.lines() {
                if let Some(file) = line.strip_prefix("===== ") {
                    kustomization = file.ends_with("kustomization.yaml");
                } else if let Some(kind) = line.strip_prefix("kind: ")
                    && !kustomization
                {
                    kinds.insert(kind.to_string());
                }
            }
        }
        assert!(snapshots > 0, "no golden snapshots in {dir}");
        kinds
    }

    #[test]
    fn every_rendered_kind_has_its_documented_order_and_serialized_kind() {
        let table = documented_orders();
        let mut checked = BTreeSet::new();
        for m in &every_kind_rendered() {
            let yaml = m.to_yaml();
            assert!(yaml.contains(&format!("\nkind: {}\n", m.kind())), "{yaml}");
            assert!(yaml.starts_with("apiVersion: "), "{yaml}");
            assert_eq!(
                table.get(m.kind()),
                Some(&m.apply_order()),
                "{}: APPLY_ORDER and the table in object.rs disagree",
                m.kind()
            );
            checked.insert(m.kind().to_string());
        }
        let documented: BTreeSet<String> = table.into_keys().collect();
        assert_eq!(
            checked, documented,
            "the order table lists exactly the kinds that are rendered"
        );
        let unchecked: Vec<String> = golden_kinds().difference(&checked).cloned().collect();
        assert!(
            unchecked.is_empty(),
            "kinds in the golden trees that no typed object here renders: {unchecked:?}"
        );
    }

    #[test]
    fn one_owner_of_the_replica_count() {
        for w in workloads() {
            let manifests = render_workload(&w, &ctx());
            let scalers: Vec<&str> = manifests
                .iter()
                .map(Manifest::kind)
                .filter(|kind| {
                    matches!(
                        *kind,
                        "HorizontalPodAutoscaler" | "ScaledObject" | "HTTPScaledObject"
                    )
                })
                .collect();
            assert!(scalers.len() <= 1, "{}: {scalers:?}", w.name);
            let autoscaled = w.replicas == Replicas::Autoscaled;
            assert_eq!(autoscaled, scalers.len() == 1, "{}: {scalers:?}", w.name);
        }
    }

    #[test]
    fn keda_http_routes_go_through_the_interceptor_alias() {
        let w = hello();
        let manifests = render_workload(&w, &ctx());
        let route = get::<IngressRoute>(&manifests, "hello");
        let backend = &route.spec.routes[0].services[0];
        assert_eq!(backend.name, "hello-interceptor");
        let alias = get::<Service>(&manifests, "hello-interceptor");
        let spec = alias.spec.as_ref().expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("ExternalName"));
        assert_eq!(
            spec.external_name.as_deref(),
            Some("keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local")
        );
        // Two routes, one alias.
        let aliases = manifests
            .iter()
            .filter(|m| m.name() == "hello-interceptor")
            .count();
        assert_eq!(aliases, 1);
    }

    #[test]
    fn other_routes_go_straight_to_the_service() {
        for w in [web(), frontend(), nightly()] {
            let manifests = render_workload(&w, &ctx());
            let route = get::<IngressRoute>(&manifests, &w.name);
            assert_eq!(route.spec.routes[0].services[0].name, w.services[0].name);
            assert!(
                !manifests.iter().any(|m| m.name().ends_with("-interceptor")),
                "{}",
                w.name
            );
        }
    }

    #[test]
    fn routes_follow_the_environment_controller() {
        let w = hello();
        let labels = w.object_labels();
        let listed = |ingress| -> Vec<(&'static str, String)> {
            render_routes(&w.routes, &w.namespace, &labels, &context(ingress))
                .iter()
                .map(|m| (m.kind(), m.name().to_string()))
                .collect()
        };
        assert_eq!(
            listed(IngressController::Traefik),
            [
                ("Service", "hello-interceptor".to_string()),
                ("IngressRoute", "hello".to_string()),
                ("IngressRoute", "hello-admin".to_string()),
            ]
        );
        assert_eq!(
            listed(IngressController::Haproxy),
            [
                ("Service", "hello-interceptor".to_string()),
                ("Ingress", "hello".to_string()),
                ("Ingress", "hello-admin".to_string()),
            ]
        );
        assert!(listed(IngressController::None).is_empty());
    }

    #[test]
    fn interceptor_route_is_applied_before_its_scaled_object() {
        let manifests = render_workload(&hello_beta(), &ctx());
        let position = |kind: &str| manifests.iter().position(|m| m.kind() == kind);
        assert!(position("InterceptorRoute") < position("ScaledObject"));
        assert!(position("TriggerAuthentication").is_none());
    }

    /// DESIGN rule 8: the scaler matches the path the interceptor receives, i.e. after the
    /// ingress stripped the route's prefix.
    #[test]
    fn scaler_paths_match_the_path_after_the_ingress_strips_it() {
        let mut w = hello();
        w.routes[0].rewrite = crate::workload::Rewrite::StripPrefix;
        if let crate::workload::Scaling::Http { path_prefixes, .. } = &mut w.scaling {
            // What lowering derives for a stripped prefix.
            *path_prefixes = vec!["/".to_string()];
        }
        let manifests = render_workload(&w, &ctx());
        let strip = get::<Middleware>(&manifests, "hello-strip");
        let prefixes = &strip
            .spec
            .strip_prefix
            .as_ref()
            .expect("stripPrefix")
            .prefixes;
        let request = "/hello/world";
        let forwarded = prefixes
            .iter()
            .find_map(|p| request.strip_prefix(p.as_str()))
            .expect("the route's prefix is stripped");
        assert_eq!(forwarded, "/world");
        let scaler = get::<HTTPScaledObject>(&manifests, "hello");
        assert!(
            scaler
                .spec
                .path_prefixes
                .iter()
                .any(|p| forwarded.starts_with(p.as_str())),
            "{:?} does not match {forwarded}",
            scaler.spec.path_prefixes
        );
        assert!(!scaler.spec.path_prefixes.iter().any(|p| p == "/hello"));
    }

    #[test]
    fn hpa_app_snapshot() {
        insta::assert_snapshot!(documents(&render_workload(&web(), &ctx())));
    }

    #[test]
    fn keda_http_v1alpha1_app_snapshot() {
        insta::assert_snapshot!(documents(&render_workload(&hello(), &ctx())));
    }

    #[test]
    fn keda_http_v1beta1_app_snapshot() {
        insta::assert_snapshot!(documents(&render_workload(&hello_beta(), &ctx())));
    }

    #[test]
    fn keda_queue_list_app_snapshot() {
        insta::assert_snapshot!(documents(&render_workload(&worker(), &ctx())));
    }

    #[test]
    fn keda_queue_stream_with_auth_app_snapshot() {
        insta::assert_snapshot!(documents(&render_workload(&ingest(), &ctx())));
    }

    #[test]
    fn keda_queue_scaled_job_app_snapshot() {
        insta::assert_snapshot!(documents(&render_workload(&runner(), &ctx())));
    }

    #[test]
    fn keda_cron_app_snapshot() {
        insta::assert_snapshot!(documents(&render_workload(&nightly(), &ctx())));
    }

    #[test]
    fn no_scaling_app_snapshot() {
        insta::assert_snapshot!(documents(&render_workload(&frontend(), &ctx())));
    }

    #[test]
    fn traefik_route_snapshot() {
        let manifests = render_routes(
            &[traefik_route()],
            "shop",
            &labels(&[("app.kubernetes.io/part-of", "gateway")]),
            &ctx(),
        );
        insta::assert_snapshot!(documents(&manifests));
    }

    #[test]
    fn haproxy_route_snapshot() {
        let manifests = render_routes(
            &[haproxy_route()],
            "shop",
            &labels(&[("app.kubernetes.io/part-of", "gateway")]),
            &context(IngressController::Haproxy),
        );
        insta::assert_snapshot!(documents(&manifests));
    }

    /// Writes every rendered document of the fixtures to `$K3S_RENDER_DUMP`, for the
    /// independent validator: `K3S_RENDER_DUMP=/tmp/x cargo test --lib render -- --ignored`.
    #[test]
    #[ignore = "writes files for the external validator"]
    fn dump_fixtures_for_validator() {
        let dir = std::env::var("K3S_RENDER_DUMP").expect("K3S_RENDER_DUMP names a directory");
        std::fs::create_dir_all(&dir).expect("create dump directory");
        let write = |prefix: &str, manifests: &[Manifest]| {
            for m in manifests {
                let path = format!("{dir}/{prefix}-{}-{}.yaml", m.kind(), m.name());
                std::fs::write(path, m.to_yaml()).expect("write manifest");
            }
        };
        // Numbered: `hello` and `hello_beta` share their names.
        for (i, w) in workloads().iter().enumerate() {
            let prefix = format!("{i:02}-{}", w.name);
            write(&prefix, &render_workload(w, &ctx()));
            // The same workloads' routes under HAProxy Ingress.
            let haproxy = context(IngressController::Haproxy);
            let routes = render_routes(&w.routes, &w.namespace, &w.object_labels(), &haproxy);
            write(&format!("{prefix}-haproxy"), &routes);
        }
        let gateway = labels(&[("app.kubernetes.io/managed-by", "k3s")]);
        let traefik = context(IngressController::Traefik);
        let routes = [traefik_route()];
        write(
            "gateway-traefik",
            &render_routes(&routes, "shop", &gateway, &traefik),
        );
        // `haproxy_route`'s queue timeout is HAProxy-only: lowering warns about it under Traefik.
        let haproxy = context(IngressController::Haproxy);
        let routes = [traefik_route(), haproxy_route()];
        write(
            "gateway-haproxy",
            &render_routes(&routes, "shop", &gateway, &haproxy),
        );
    }
}
