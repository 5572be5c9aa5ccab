//! A service's ports (`ports`, `expose`, apps.yaml `expose`, else the image's well-known port
//! when another service needs it) and the Service in front of them, named after the service.

use crate::config::{Protocol, ServiceType};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::lower::spec::PortSetting;
use crate::sources::compose::Service as ComposeService;
use crate::yaml::Spanned;

/// The range Kubernetes assigns NodePorts from; a published port outside it is not kept.
const NODE_PORTS: std::ops::RangeInclusive<u16> = 30000..=32767;

/// The most ports one `expose` range may open.
const MAX_RANGE: usize = 100;

/// A port published on the host (`ports: ["8080:80"]`).
#[derive(Debug, Clone)]
pub struct Published {
    pub target: u16,
    pub protocol: Protocol,
    /// The host port, when one fixed port is given.
    pub host_port: Option<u16>,
    /// Bound to a loopback address: reachable from the host only, so not published.
    pub local: bool,
    pub span: Span,
}

/// A service's ports, decided once for the whole project.
#[derive(Debug, Clone, Default)]
pub struct ServicePorts {
    /// The container ports, unnamed unless the compose file names them (`lower_workload` names
    /// them, seed 002: `http`, `http-2`, ≤ 15 characters).
    pub container: Vec<PortSetting>,
    pub published: Vec<Published>,
    /// Taken from the image's well-known port.
    pub inferred: Option<u16>,
}

impl ServicePorts {
    /// Ports found elsewhere in the project (the service declares none).
    pub fn add_found(&mut self, ports: &[(u16, Protocol)]) {
        for (port, protocol) in ports {
            if !self
                .container
                .iter()
                .any(|p| p.container_port == *port && p.protocol == *protocol)
            {
                self.container.push(PortSetting {
                    name: None,
                    container_port: *port,
                    protocol: *protocol,
                    service_port: None,
                    node_port: None,
                });
            }
        }
        self.inferred = self.inferred.or(ports.first().map(|(p, _)| *p));
    }

    /// Published to the outside (not only to the host's loopback).
    pub fn is_published(&self) -> bool {
        self.published.iter().any(|p| !p.local)
    }
}

/// The container ports of a service. `infer` is the image to take a well-known port from when
/// the service declares none.
pub fn service_ports(
    service: &Spanned<ComposeService>,
    extra: &[u16],
    infer: Option<&str>,
    field: &str,
    d: &mut Diagnostics,
) -> ServicePorts {
    let svc = &service.value;
    let mut specs: Vec<PortSetting> = Vec::new();
    let mut seen: Vec<(u16, Protocol)> = Vec::new();
    let mut published = Vec::new();
    let mut add = |specs: &mut Vec<PortSetting>,
                   port: u16,
                   protocol: Protocol,
                   name: Option<(String, Span)>| {
        if !seen.contains(&(port, protocol)) {
            seen.push((port, protocol));
            specs.push(PortSetting {
                name,
                container_port: port,
                protocol,
                service_port: None,
                node_port: None,
            });
        }
    };
    for port in &svc.ports {
        let protocol = protocol(&port.value.protocol, port.span, field, d);
        let local = port
            .value
            .host_ip
            .as_deref()
            .is_some_and(|ip| ip.starts_with("127.") || ip == "::1" || ip == "localhost");
        if port.value.published.is_some() {
            published.push(Published {
                target: port.value.target,
                protocol,
                host_port: port.value.published.as_deref().and_then(|p| p.parse().ok()),
                local,
                span: port.span,
            });
        }
        let name = port.value.name.clone().map(|n| (n, port.span));
        add(&mut specs, port.value.target, protocol, name);
    }
    for expose in &svc.expose {
        match parse_expose(&expose.value) {
            Ok((ports, protocol)) => {
                for port in ports {
                    add(&mut specs, port, protocol, None);
                }
            }
            Err(problem) => d.push(
                Diagnostic::error(Code::BadPort, problem)
                    .at(expose.span)
                    .field(format!("{field}.expose")),
            ),
        }
    }
    for port in extra {
        add(&mut specs, *port, Protocol::Tcp, None);
    }
    let inferred = if specs.is_empty() {
        infer.and_then(well_known_port)
    } else {
        None
    };
    if let Some(port) = inferred {
        add(&mut specs, port, Protocol::Tcp, None);
    }
    ServicePorts {
        container: specs,
        published,
        inferred,
    }
}

fn protocol(text: &str, span: Span, field: &str, d: &mut Diagnostics) -> Protocol {
    match text.to_ascii_lowercase().as_str() {
        "tcp" | "" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "sctp" => Protocol::Sctp,
        other => {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!("protocol `{other}` is not one Kubernetes knows; TCP is used"),
                )
                .at(span)
                .field(format!("{field}.ports")),
            );
            Protocol::Tcp
        }
    }
}

/// `3000`, `3000/udp`, `8000-8010`.
fn parse_expose(text: &str) -> Result<(Vec<u16>, Protocol), String> {
    let (range, protocol) = match text.split_once('/') {
        Some((range, "tcp")) => (range, Protocol::Tcp),
        Some((range, "udp")) => (range, Protocol::Udp),
        Some((range, "sctp")) => (range, Protocol::Sctp),
        Some((_, other)) => return Err(format!("`{text}`: unknown protocol `{other}`")),
        None => (text, Protocol::Tcp),
    };
    let port = |t: &str| {
        t.trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("`{text}` is not a port (1-65535) or a range of ports"))
    };
    let (first, last) = match range.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => (port(range)?, port(range)?),
    };
    if first > last {
        return Err(format!("`{text}`: the range ends before it starts"));
    }
    let ports: Vec<u16> = (first..=last).collect();
    if ports.len() > MAX_RANGE {
        return Err(format!(
            "`{text}` opens {} ports; at most {MAX_RANGE} per range are converted",
            ports.len()
        ));
    }
    Ok((ports, protocol))
}

/// The repository name of an image reference, without registry, namespace, tag or digest:
/// `docker.io/library/postgres:16-alpine` → `postgres`, `bitnami/redis@sha256:…` → `redis`.
pub fn repository_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split(':').next().unwrap_or(last)
}

/// The port an image listens on by default, for images where that is certain (one main port,
/// fixed by the image). Matched on the repository name only.
pub fn well_known_port(image: &str) -> Option<u16> {
    let port = match repository_name(image) {
        "postgres" | "postgresql" | "postgis" | "pgvector" | "timescaledb" => 5432,
        "mysql" | "mariadb" => 3306,
        "redis" | "valkey" | "keydb" => 6379,
        "mongo" | "mongodb" => 27017,
        "memcached" => 11211,
        "rabbitmq" => 5672,
        "nginx" | "httpd" => 80,
        "elasticsearch" | "opensearch" => 9200,
        "zookeeper" => 2181,
        "nats" => 4222,
        "cassandra" => 9042,
        "couchdb" => 5984,
        "influxdb" => 8086,
        "qdrant" => 6333,
        "etcd" => 2379,
        "consul" => 8500,
        "eclipse-mosquitto" => 1883,
        "adminer" => 8080,
        "grafana" => 3000,
        "prometheus" => 9090,
        _ => return None,
    };
    Some(port)
}

/// The Service type: apps.yaml's, else NodePort when a port is published and no `ingress:`
/// publishes the service instead (the fix the host-port warning gives), headless for a
/// StatefulSet (seed 003), else ClusterIP.
pub fn service_type(
    ports: &ServicePorts,
    requested: Option<ServiceType>,
    stateful: bool,
    routed: bool,
) -> ServiceType {
    requested.unwrap_or(if ports.is_published() && !routed {
        ServiceType::NodePort
    } else if stateful {
        ServiceType::Headless
    } else {
        ServiceType::ClusterIP
    })
}

/// The container ports with the node ports a NodePort (or LoadBalancer) Service keeps: a
/// published host port in 30000-32767, once; the others are said.
pub fn pin_node_ports(
    ports: &ServicePorts,
    kind: ServiceType,
    field: &str,
    at: &str,
    d: &mut Diagnostics,
) -> Vec<PortSetting> {
    let pins = matches!(kind, ServiceType::NodePort | ServiceType::LoadBalancer);
    let mut pinned: Vec<u16> = Vec::new();
    let settings: Vec<PortSetting> = ports
        .container
        .iter()
        .map(|port| {
            let node_port = ports
                .published
                .iter()
                .filter(|p| {
                    !p.local && p.target == port.container_port && p.protocol == port.protocol
                })
                .find_map(|p| p.host_port)
                .filter(|p| pins && NODE_PORTS.contains(p) && !pinned.contains(p));
            pinned.extend(node_port);
            PortSetting {
                node_port,
                ..port.clone()
            }
        })
        .collect();
    if pins {
        for published in ports.published.iter().filter(|p| !p.local) {
            let kept = settings.iter().any(|p| {
                p.container_port == published.target
                    && p.node_port.is_some()
                    && p.node_port == published.host_port
            });
            if !kept {
                d.push(
                    Diagnostic::warning(
                        Code::PublishedPort,
                        format!(
                            "host port for {} cannot be kept: node ports are {}-{}, so Kubernetes assigns one",
                            published.target,
                            NODE_PORTS.start(),
                            NODE_PORTS.end()
                        ),
                    )
                    .at(published.span)
                    .field(format!("{field}.ports"))
                    .help(format!("publish it with `ingress:` {at}, or pick a port in that range")),
                );
            }
        }
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_ignore_registry_namespace_tag_and_digest() {
        assert_eq!(repository_name("postgres"), "postgres");
        assert_eq!(repository_name("postgres:16-alpine"), "postgres");
        assert_eq!(repository_name("docker.io/library/redis:7"), "redis");
        assert_eq!(repository_name("localhost:5000/bitnami/mysql:8"), "mysql");
        assert_eq!(repository_name("bitnami/redis@sha256:abc"), "redis");
    }

    #[test]
    fn only_certain_images_have_a_well_known_port() {
        assert_eq!(well_known_port("postgres:15"), Some(5432));
        assert_eq!(well_known_port("valkey/valkey:8"), Some(6379));
        assert_eq!(well_known_port("mariadb"), Some(3306));
        assert_eq!(well_known_port("myorg/backend:1.0"), None);
        assert_eq!(well_known_port("nginxinc/nginx-unprivileged"), None);
    }

    #[test]
    fn expose_takes_ports_ranges_and_protocols() {
        assert_eq!(parse_expose("3000").unwrap(), (vec![3000], Protocol::Tcp));
        assert_eq!(parse_expose("53/udp").unwrap(), (vec![53], Protocol::Udp));
        assert_eq!(parse_expose("8000-8002").unwrap().0, vec![8000, 8001, 8002]);
        assert!(parse_expose("1-1000").is_err());
        assert!(parse_expose("web").is_err());
    }
}
