//! The Services in front of a workload's ports: the main one (its type and node ports as the
//! front-end decided), a StatefulSet's headless one, and which Service port a route uses.

use std::collections::BTreeMap;

use super::spec::{PortSetting, ServiceSpec};
use crate::config::{PortRef, ServiceType};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::workload::{ContainerPort, InterceptorAlias, PortTarget, Service, ServicePort};
use crate::yaml::Spanned;

/// The main Service: one port per container port (`settings` in the same order), each
/// forwarding to the container port by name.
pub fn main_service(
    spec: &ServiceSpec,
    ports: &[ContainerPort],
    settings: &[PortSetting],
) -> Service {
    Service {
        name: spec.name.clone(),
        kind: spec.kind,
        ports: ports
            .iter()
            .zip(settings)
            .map(|(port, setting)| ServicePort {
                name: port.name.clone(),
                port: setting.service_port.unwrap_or(port.container_port),
                target_port: PortTarget::Name(port.name.clone()),
                protocol: port.protocol,
                node_port: setting.node_port,
            })
            .collect(),
        annotations: spec.annotations.clone(),
        external_name: None,
    }
}

/// The Service under a keda-http workload's own name (`service`'s, which callers use): an
/// ExternalName of the KEDA interceptor proxy, with the proxy's port. The interceptor knows the
/// workload by the Host header (`attach_http_scaling` lists the name's forms) and forwards to
/// the pods' Service, which is renamed `<name>-pods`.
pub fn interceptor_service(name: &str, interceptor: &InterceptorAlias) -> Service {
    Service {
        name: name.to_string(),
        kind: ServiceType::ClusterIP,
        ports: vec![ServicePort {
            name: "http".to_string(),
            port: interceptor.port,
            target_port: PortTarget::Number(interceptor.port),
            protocol: crate::config::Protocol::Tcp,
            node_port: None,
        }],
        annotations: BTreeMap::new(),
        external_name: Some(interceptor.external_name.clone()),
    }
}

/// The name of a keda-http workload's pods' own Service.
pub fn pods_service_name(name: &str) -> String {
    format!("{name}-pods")
}

/// The headless Service a StatefulSet's pods get stable DNS names from.
pub fn headless_service(name: &str, ports: &[ContainerPort]) -> Service {
    Service {
        name: name.to_string(),
        kind: ServiceType::Headless,
        ports: ports
            .iter()
            .map(|p| ServicePort {
                name: p.name.clone(),
                port: p.container_port,
                target_port: PortTarget::Name(p.name.clone()),
                protocol: p.protocol,
                node_port: None,
            })
            .collect(),
        annotations: BTreeMap::new(),
        external_name: None,
    }
}

/// The Service port a route sends to: `ingress.port` by name or number, else the first.
pub fn route_port(
    port: Option<&Spanned<PortRef>>,
    service: &Service,
    field: &str,
    d: &mut Diagnostics,
) -> u16 {
    let first = service.ports[0].port;
    let Some(port) = port else {
        return first;
    };
    let found = service.ports.iter().find(|p| match &port.value {
        PortRef::Number(n) => p.port == *n,
        PortRef::Name(name) => &p.name == name,
    });
    match found {
        Some(p) => p.port,
        None => {
            d.push(
                Diagnostic::error(
                    Code::BadPort,
                    "ingress.port is not a port of the workload's Service",
                )
                .at(port.span)
                .field(format!("{field}.port")),
            );
            first
        }
    }
}
