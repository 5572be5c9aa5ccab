//! `probes:` to container probes. A probe's port defaults to the first container port and must
//! name a port the container declares; the type follows from what is given.

use crate::config::{PortRef, Probe as ProbeSettings, ProbeType, Probes};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::workload::{ContainerPort, PortTarget, Probe, ProbeAction};

#[derive(Debug, Clone, Default)]
pub struct LoweredProbes {
    pub startup: Option<Probe>,
    pub readiness: Option<Probe>,
    pub liveness: Option<Probe>,
}

pub fn lower_probes(
    probes: Option<&Probes>,
    ports: &[ContainerPort],
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> LoweredProbes {
    let one = |probe: Option<&ProbeSettings>, which: &str, d: &mut Diagnostics| {
        probe.and_then(|p| lower_probe(p, ports, &format!("{field}.probes.{which}"), span, d))
    };
    let Some(probes) = probes else {
        return LoweredProbes {
            startup: None,
            readiness: None,
            liveness: None,
        };
    };
    LoweredProbes {
        startup: one(probes.startup.as_ref(), "startup", d),
        readiness: one(probes.readiness.as_ref(), "readiness", d),
        liveness: one(probes.liveness.as_ref(), "liveness", d),
    }
}

pub fn lower_probe(
    probe: &ProbeSettings,
    ports: &[ContainerPort],
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> Option<Probe> {
    let kind = probe.kind.as_ref().map(|k| k.value).unwrap_or_else(|| {
        if !probe.command.is_empty() {
            ProbeType::Exec
        } else if probe.path.is_some() {
            ProbeType::Http
        } else {
            ProbeType::Tcp
        }
    });
    let error = |message: String, d: &mut Diagnostics| {
        d.push(
            Diagnostic::error(Code::BadProbe, message)
                .at(probe.kind.as_ref().map_or(span, |k| k.span))
                .field(field.to_string()),
        );
    };
    let action = match kind {
        ProbeType::Exec => {
            if probe.command.is_empty() {
                error("an exec probe needs `command`".to_string(), d);
                return None;
            }
            ProbeAction::Exec {
                command: probe.command.clone(),
            }
        }
        ProbeType::Http => {
            let Some(path) = &probe.path else {
                error("an http probe needs `path`".to_string(), d);
                return None;
            };
            if !path.value.starts_with('/') {
                d.push(
                    Diagnostic::error(
                        Code::BadProbe,
                        format!("probe path `{}` must start with /", path.value),
                    )
                    .at(path.span)
                    .field(format!("{field}.path")),
                );
            }
            ProbeAction::Http {
                path: path.value.clone(),
                port: probe_port(probe, ports, field, span, d)?,
                scheme: probe.scheme.clone(),
            }
        }
        ProbeType::Tcp => ProbeAction::Tcp {
            port: probe_port(probe, ports, field, span, d)?,
        },
        ProbeType::Grpc => {
            let port = match probe_port(probe, ports, field, span, d)? {
                PortTarget::Number(n) => n,
                PortTarget::Name(name) => ports
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.container_port)?,
            };
            ProbeAction::Grpc {
                port,
                service: probe.service.clone(),
            }
        }
    };
    let seconds = |v: Option<u32>| v.map(|v| i32::try_from(v).unwrap_or(i32::MAX));
    Some(Probe {
        action,
        initial_delay_seconds: seconds(probe.initial_delay),
        period_seconds: seconds(probe.period),
        timeout_seconds: seconds(probe.timeout),
        success_threshold: seconds(probe.success_threshold),
        failure_threshold: seconds(probe.failure_threshold),
    })
}

/// The probe's port: as given (it must be a declared container port), else the first port.
fn probe_port(
    probe: &ProbeSettings,
    ports: &[ContainerPort],
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> Option<PortTarget> {
    match &probe.port {
        None => match ports.first() {
            Some(first) => Some(PortTarget::Number(first.container_port)),
            None => {
                d.push(
                    Diagnostic::error(
                        Code::BadProbe,
                        "the probe names no `port` and the container declares none",
                    )
                    .at(span)
                    .field(field.to_string())
                    .help("add `port:` to the probe or a port to the container"),
                );
                None
            }
        },
        Some(port) => {
            let found = ports.iter().any(|p| match &port.value {
                PortRef::Number(n) => p.container_port == *n,
                PortRef::Name(name) => &p.name == name,
            });
            if !found {
                let declared: Vec<String> = ports
                    .iter()
                    .map(|p| format!("{} ({})", p.container_port, p.name))
                    .collect();
                d.push(
                    Diagnostic::error(
                        Code::BadProbe,
                        format!(
                            "probe port {} is not a port of the container",
                            port_text(&port.value)
                        ),
                    )
                    .at(port.span)
                    .field(format!("{field}.port"))
                    .help(if declared.is_empty() {
                        "the container declares no ports".to_string()
                    } else {
                        format!("container ports: {}", declared.join(", "))
                    }),
                );
                return None;
            }
            Some(match &port.value {
                PortRef::Number(n) => PortTarget::Number(*n),
                PortRef::Name(name) => PortTarget::Name(name.clone()),
            })
        }
    }
}

fn port_text(port: &PortRef) -> String {
    match port {
        PortRef::Number(n) => n.to_string(),
        PortRef::Name(name) => format!("`{name}`"),
    }
}
