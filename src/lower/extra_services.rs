//! The Services of a workload besides its main one: a StatefulSet's governing Service, and one
//! Service per other name the workload is reached by (compose aliases, container names). Under
//! keda-http those names lead through the interceptor like the main one (DESIGN rule 12), so a
//! caller using any of them wakes a workload scaled to zero.

use super::service::{headless_service, interceptor_service};
use super::spec::WorkloadSpec;
use crate::config::ServiceType;
use crate::workload::InterceptorAlias;
use crate::workload::{ContainerPort, Controller, Service};

/// A StatefulSet's governing Service: its own Service when that is headless; else a headless
/// one with the Service's name (pods are `<workload>-0.<service>`) when it has none; else
/// (its Service is not headless, or turned off) `<workload>-headless`.
pub(super) fn governing_service(
    spec: &WorkloadSpec,
    controller: &mut Controller,
    services: &mut Vec<Service>,
    ports: &[ContainerPort],
) {
    let Controller::StatefulSet {
        service_name: governing,
        ..
    } = controller
    else {
        return;
    };
    match services.first() {
        Some(main) if main.kind == ServiceType::Headless => *governing = main.name.clone(),
        None if spec.service.enabled => {
            *governing = spec.service.name.clone();
            services.push(headless_service(&spec.service.name, ports));
        }
        _ => services.push(headless_service(governing, ports)),
    }
}

/// A Service for each other name of the workload: with `interceptor` (keda-http) an ExternalName
/// of the interceptor, else onto the same pods with the main Service's ports, headless when the
/// main one is, else ClusterIP (node ports stay on the main one).
pub(super) fn alias_services(
    spec: &WorkloadSpec,
    services: &[Service],
    interceptor: Option<&InterceptorAlias>,
) -> Vec<Service> {
    let Some(main) = services.first() else {
        return Vec::new();
    };
    let aliases = spec
        .own
        .service_aliases
        .iter()
        .filter(|alias| !services.iter().any(|s| &s.name == *alias));
    if let Some(interceptor) = interceptor {
        return aliases
            .map(|alias| interceptor_service(alias, interceptor))
            .collect();
    }
    aliases
        .map(|alias| Service {
            name: alias.clone(),
            kind: if main.kind == ServiceType::Headless {
                ServiceType::Headless
            } else {
                ServiceType::ClusterIP
            },
            ports: main
                .ports
                .iter()
                .map(|p| crate::workload::ServicePort {
                    node_port: None,
                    ..p.clone()
                })
                .collect(),
            annotations: std::collections::BTreeMap::new(),
            external_name: None,
        })
        .collect()
}
