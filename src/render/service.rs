//! Services: one per `w.services`, and the ExternalName aliases that send a route to the KEDA
//! HTTP interceptor (DESIGN rule 8). It must not decide which routes go through the interceptor.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{non_empty, non_empty_map, object_meta, port_target, protocol_name};
use crate::config::{Protocol, ServiceType};
use crate::workload::{self, PortTarget, Route, Workload};

/// The `clusterIP` of a headless Service: no virtual IP, DNS returns the pods.
const HEADLESS: &str = "None";

pub(super) fn render(w: &Workload, service: &workload::Service) -> Service {
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

/// The interceptor aliases of every route of `w`, one per Service name: several routes
/// (hosts, paths) of one workload share the same alias.
pub(super) fn render_interceptor_aliases(w: &Workload) -> Vec<Service> {
    let labels = w.object_labels();
    let mut seen = BTreeSet::new();
    w.routes
        .iter()
        .filter_map(|route| render_interceptor_alias(route, &w.namespace, &labels))
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
