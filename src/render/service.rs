//! Services: one per `w.services`, and the ExternalName aliases that send a route to the KEDA
//! HTTP interceptor (DESIGN rule 8). It must not decide which routes go through the interceptor.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::object::object;
use super::{non_empty, non_empty_map, object_meta, port_target, protocol_name};
use crate::config::{Protocol, ServiceType};
use crate::workload::{self, PortTarget, Route, Workload};

object!(Service, SERVICE);

/// The `clusterIP` of a headless Service: no virtual IP, DNS returns the pods.
const HEADLESS: &str = "None";

pub(super) fn render(w: &Workload, service: &workload::Service) -> Service {
    if let Some(external_name) = &service.external_name {
        return render_external_name(w, service, external_name);
    }
    let (type_, cluster_ip) = match service.kind {
        ServiceType::ClusterIP => ("ClusterIP", None),
        ServiceType::NodePort => ("NodePort", None),
        ServiceType::LoadBalancer => ("LoadBalancer", None),
        ServiceType::Headless => ("ClusterIP", Some(HEADLESS.to_string())),
    };
    let mut metadata = object_meta(w, &service.name);
    metadata.annotations = non_empty_map(service.annotations.clone());
    Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some(type_.to_string()),
            cluster_ip,
            selector: Some(w.selector_labels()),
            ports: non_empty(
                service
                    .ports
                    .iter()
                    .map(|p| ServicePort {
                        name: Some(p.name.clone()),
                        port: i32::from(p.port),
                        target_port: Some(port_target(&p.target_port)),
                        protocol: Some(protocol_name(p.protocol)),
                        node_port: p.node_port.map(i32::from),
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

/// A workload's own name as an alias of another host (the KEDA interceptor): no selector, the
/// ports as they are on that host.
fn render_external_name(w: &Workload, service: &workload::Service, host: &str) -> Service {
    let mut metadata = object_meta(w, &service.name);
    metadata.annotations = non_empty_map(service.annotations.clone());
    Service {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some("ExternalName".to_string()),
            external_name: Some(host.to_string()),
            ports: non_empty(
                service
                    .ports
                    .iter()
                    .map(|p| ServicePort {
                        name: Some(p.name.clone()),
                        port: i32::from(p.port),
                        protocol: Some(protocol_name(p.protocol)),
                        ..ServicePort::default()
                    })
                    .collect(),
            ),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

/// The interceptor aliases of `routes`, one per Service name: several routes (hosts, paths)
/// to one workload share the same alias.
pub(super) fn render_interceptor_aliases(
    routes: &[Route],
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Vec<Service> {
    let mut seen = BTreeSet::new();
    routes
        .iter()
        .filter_map(|route| render_interceptor_alias(route, namespace, labels))
        .filter(|alias| seen.insert(alias.metadata.name.clone()))
        .collect()
}

/// An `ExternalName` Service named after the route's backend, resolving to the KEDA HTTP
/// interceptor, so that an ingress in `namespace` can reach it; `None` when the route goes
/// straight to the workload's own Service.
pub fn render_interceptor_alias(
    route: &Route,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Option<Service> {
    let interceptor = route.backend.interceptor.as_ref()?;
    // The ingress asks for the backend port by name or number; either must find this port,
    // which is the interceptor's own (an ExternalName Service does no port mapping).
    let port_name = match &route.backend.port {
        PortTarget::Name(name) => name.clone(),
        PortTarget::Number(_) => "http".to_string(),
    };
    Some(Service {
        metadata: ObjectMeta {
            name: Some(route.backend.service.clone()),
            namespace: Some(namespace.to_string()),
            labels: non_empty_map(labels.clone()),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("ExternalName".to_string()),
            external_name: Some(interceptor.external_name.clone()),
            ports: Some(vec![ServicePort {
                name: Some(port_name),
                port: i32::from(interceptor.port),
                protocol: Some(protocol_name(Protocol::Tcp)),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    use super::*;
    use crate::render::fixtures::{db, frontend, hello, interceptor, route, web};

    fn spec(w: &Workload) -> ServiceSpec {
        render(w, &w.services[0]).spec.expect("spec")
    }

    #[test]
    fn headless_service_is_cluster_ip_none() {
        let spec = spec(&db());
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
    }

    #[test]
    fn cluster_ip_service_with_named_and_numbered_target_ports() {
        let w = web();
        let spec = spec(&w);
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        assert_eq!(spec.cluster_ip, None);
        assert_eq!(spec.selector, Some(w.selector_labels()));
        let ports = spec.ports.expect("ports");
        assert_eq!(ports.len(), 2);
        assert_eq!(ports[0].name.as_deref(), Some("http"));
        assert_eq!(ports[0].port, 80);
        assert_eq!(
            ports[0].target_port,
            Some(IntOrString::String("http".to_string()))
        );
        assert_eq!(ports[0].protocol.as_deref(), Some("TCP"));
        assert_eq!(ports[0].node_port, None);
        assert_eq!(ports[1].target_port, Some(IntOrString::Int(9090)));
    }

    #[test]
    fn node_port_service_with_annotations() {
        let w = frontend();
        let service = render(&w, &w.services[0]);
        assert_eq!(
            service.metadata.annotations,
            Some(w.services[0].annotations.clone())
        );
        assert_eq!(service.metadata.labels, Some(w.object_labels()));
        let spec = service.spec.expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("NodePort"));
        assert_eq!(spec.ports.expect("ports")[0].node_port, Some(30080));
    }

    #[test]
    fn routes_through_the_interceptor_share_one_alias() {
        let w = hello();
        assert_eq!(w.routes.len(), 2);
        let aliases = render_interceptor_aliases(&w.routes, &w.namespace, &w.object_labels());
        assert_eq!(aliases.len(), 1);
        let alias = &aliases[0];
        assert_eq!(alias.metadata.name.as_deref(), Some("hello-interceptor"));
        assert_eq!(alias.metadata.namespace.as_deref(), Some("shop"));
        let spec = alias.spec.as_ref().expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("ExternalName"));
        assert_eq!(
            spec.external_name.as_deref(),
            Some("keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local")
        );
        assert_eq!(spec.selector, None);
        let ports = spec.ports.as_deref().unwrap_or_default();
        assert_eq!(ports.len(), 1);
        assert_eq!(
            (ports[0].name.as_deref(), ports[0].port),
            (Some("http"), 8080)
        );
    }

    #[test]
    fn alias_port_keeps_the_name_the_route_asks_for() {
        let mut r = route("api", "api-interceptor", Some(interceptor()));
        r.backend.port = PortTarget::Name("proxy".to_string());
        let alias = render_interceptor_alias(&r, "shop", &BTreeMap::new()).expect("alias");
        assert_eq!(alias.metadata.labels, None);
        let ports = alias.spec.and_then(|s| s.ports).unwrap_or_default();
        assert_eq!(
            (ports[0].name.as_deref(), ports[0].port),
            (Some("proxy"), 8080)
        );
    }

    #[test]
    fn an_external_name_service_has_no_selector_and_the_target_port() {
        let mut w = hello();
        w.services.push(workload::Service {
            name: "hello".to_string(),
            kind: ServiceType::ClusterIP,
            ports: vec![workload::ServicePort {
                name: "http".to_string(),
                port: 8080,
                target_port: PortTarget::Number(8080),
                protocol: Protocol::Tcp,
                node_port: None,
            }],
            annotations: BTreeMap::new(),
            external_name: Some(interceptor().external_name),
        });
        let service = render(&w, w.services.last().unwrap());
        assert_eq!(service.metadata.labels, Some(w.object_labels()));
        let spec = service.spec.expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("ExternalName"));
        assert_eq!(
            spec.external_name.as_deref(),
            Some("keda-add-ons-http-interceptor-proxy.keda.svc.cluster.local")
        );
        assert_eq!(spec.selector, None);
        let ports = spec.ports.unwrap_or_default();
        assert_eq!(
            (ports[0].name.as_deref(), ports[0].port),
            (Some("http"), 8080)
        );
        assert_eq!(ports[0].target_port, None);
    }

    #[test]
    fn direct_routes_get_no_alias() {
        let w = web();
        assert!(render_interceptor_aliases(&w.routes, &w.namespace, &BTreeMap::new()).is_empty());
        assert!(
            render_interceptor_alias(&route("web", "web", None), "shop", &BTreeMap::new())
                .is_none()
        );
    }
}
