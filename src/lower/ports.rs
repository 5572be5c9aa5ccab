//! Container and Service port names: unique within the pod, valid (≤ 15 characters), taken from
//! the user when given and otherwise from the port's usual protocol (`http`, `postgres`…).

use std::collections::BTreeSet;

use crate::config::Protocol;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::check_port_name;
use crate::workload::ContainerPort;

/// A port as a front-end sees it before naming.
pub struct PortSpec {
    pub name: Option<(String, Span)>,
    pub container_port: u16,
    pub protocol: Protocol,
}

/// Names every port; duplicates of a given name and invalid names are errors.
pub fn name_ports(specs: &[PortSpec], field: &str, d: &mut Diagnostics) -> Vec<ContainerPort> {
    let mut taken: BTreeSet<String> = specs
        .iter()
        .filter_map(|s| s.name.as_ref().map(|(n, _)| n.clone()))
        .collect();
    let mut given: BTreeSet<String> = BTreeSet::new();
    let mut ports = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let name = match &spec.name {
            Some((name, span)) => {
                if let Err(problem) = check_port_name(name) {
                    d.push(
                        Diagnostic::error(Code::BadPortName, problem)
                            .at(*span)
                            .field(format!("{field}.ports[{index}].name")),
                    );
                }
                if !given.insert(name.clone()) {
                    d.push(
                        Diagnostic::error(
                            Code::DuplicatePortName,
                            format!("port name `{name}` is used twice"),
                        )
                        .at(*span)
                        .field(format!("{field}.ports[{index}].name")),
                    );
                }
                name.clone()
            }
            None => {
                let base = conventional_name(spec.container_port, spec.protocol, index);
                let name = unique(&base, &taken);
                taken.insert(name.clone());
                name
            }
        };
        ports.push(ContainerPort {
            name,
            container_port: spec.container_port,
            protocol: spec.protocol,
        });
    }
    ports
}

/// `base`, or `base-2`, `base-3`… if taken (seed 002's scheme).
fn unique(base: &str, taken: &BTreeSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken.contains(candidate))
        .expect("an unused suffix exists")
}

/// The name a port usually goes by; the first unnamed TCP port of an app is `http`.
fn conventional_name(port: u16, protocol: Protocol, index: usize) -> String {
    let known = match (port, protocol) {
        (53, _) => Some("dns"),
        (5432, _) => Some("postgres"),
        (3306, _) => Some("mysql"),
        (6379, _) => Some("redis"),
        (27017, _) => Some("mongodb"),
        (11211, _) => Some("memcached"),
        (5672, _) => Some("amqp"),
        (9092, _) => Some("kafka"),
        (443 | 8443, Protocol::Tcp) => Some("https"),
        (9090 | 9100, Protocol::Tcp) => Some("metrics"),
        (80 | 8000 | 8080 | 3000 | 5000, Protocol::Tcp) => Some("http"),
        _ => None,
    };
    match (known, protocol) {
        (Some(name), _) => name.to_string(),
        (None, Protocol::Tcp) if index == 0 => "http".to_string(),
        (None, Protocol::Tcp) => format!("tcp-{port}"),
        (None, Protocol::Udp) => format!("udp-{port}"),
        (None, Protocol::Sctp) => format!("sctp-{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(port: u16) -> PortSpec {
        PortSpec {
            name: None,
            container_port: port,
            protocol: Protocol::Tcp,
        }
    }

    #[test]
    fn unnamed_ports_get_unique_valid_names() {
        let mut d = Diagnostics::new();
        let ports = name_ports(&[spec(8080), spec(8081), spec(80), spec(9090)], "x", &mut d);
        let names: Vec<_> = ports.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["http", "tcp-8081", "http-2", "metrics"]);
        assert!(d.is_empty());
        for name in names {
            assert!(check_port_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn given_names_are_checked() {
        let file = crate::diagnostic::SourceFile::register("p.yaml", "x".into());
        let span = Span::new(file, 0, 1);
        let mut d = Diagnostics::new();
        let specs = [
            PortSpec {
                name: Some(("web".into(), span)),
                ..spec(80)
            },
            PortSpec {
                name: Some(("web".into(), span)),
                ..spec(81)
            },
            PortSpec {
                name: Some(("Way-Too-Long-Port-Name".into(), span)),
                ..spec(82)
            },
        ];
        name_ports(&specs, "apps.x.container", &mut d);
        let codes: Vec<_> = d.items.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(codes, ["duplicate-port-name", "bad-port-name"]);
    }
}
