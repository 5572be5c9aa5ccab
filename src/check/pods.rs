//! Pod templates: unique valid port and container names, probes on declared ports, mounts of
//! declared volumes, selectors matching template labels, Services whose named target ports a
//! selected pod declares, HPA bounds, quantities that parse.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{PodTemplateSpec, Probe, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Origin;
use crate::config::Quantity;
use crate::diagnostic::{Code, Diagnostics};
use crate::names::check_port_name;
use crate::render::Manifest;

pub fn check_pods(manifests: &[Manifest], origin: &Origin<'_>, d: &mut Diagnostics) {
    let mut pods: Vec<(&str, &PodTemplateSpec, Vec<String>)> = Vec::new();
    for manifest in manifests {
        let name = manifest.name();
        if let Some(o) = manifest.get::<Deployment>() {
            if let Some(spec) = &o.spec {
                check_selector(name, &spec.selector, &spec.template, origin, d);
                pods.push((name, &spec.template, Vec::new()));
            }
        } else if let Some(o) = manifest.get::<StatefulSet>() {
            if let Some(spec) = &o.spec {
                check_selector(name, &spec.selector, &spec.template, origin, d);
                let claims = spec
                    .volume_claim_templates
                    .iter()
                    .flatten()
                    .filter_map(|c| c.metadata.name.clone())
                    .collect();
                pods.push((name, &spec.template, claims));
            }
        } else if let Some(o) = manifest.get::<CronJob>() {
            if let Some(job) = o.spec.as_ref().and_then(|s| s.job_template.spec.as_ref()) {
                pods.push((name, &job.template, Vec::new()));
            }
        } else if let Some(o) = manifest.get::<Job>() {
            if let Some(spec) = &o.spec {
                pods.push((name, &spec.template, Vec::new()));
            }
        } else if let Some(o) = manifest.get::<HorizontalPodAutoscaler>()
            && let Some(spec) = &o.spec
            && spec.min_replicas.unwrap_or(1) > spec.max_replicas
        {
            d.push(origin.error(
                Code::BadScaling,
                format!(
                    "HorizontalPodAutoscaler `{name}`: minReplicas {} is above maxReplicas {}",
                    spec.min_replicas.unwrap_or(1),
                    spec.max_replicas
                ),
            ));
        }
    }
    for (name, template, claims) in &pods {
        check_template(name, template, claims, origin, d);
    }
    for manifest in manifests {
        if let Some(service) = manifest.get::<Service>() {
            check_service_ports(service, &pods, origin, d);
        }
    }
}

fn check_selector(
    name: &str,
    selector: &LabelSelector,
    template: &PodTemplateSpec,
    origin: &Origin<'_>,
    d: &mut Diagnostics,
) {
    let labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    for (key, value) in selector.match_labels.iter().flatten() {
        if labels.get(key) != Some(value) {
            d.push(origin.error(
                Code::SelectorMismatch,
                format!(
                    "`{name}`: selector `{key}: {value}` does not match the pod template's labels"
                ),
            ));
        }
    }
}

fn check_template(
    name: &str,
    template: &PodTemplateSpec,
    claims: &[String],
    origin: &Origin<'_>,
    d: &mut Diagnostics,
) {
    let Some(spec) = &template.spec else {
        return;
    };
    let volumes: BTreeSet<&str> = spec
        .volumes
        .iter()
        .flatten()
        .map(|v| v.name.as_str())
        .chain(claims.iter().map(String::as_str))
        .collect();
    let mut container_names = BTreeSet::new();
    for container in spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
    {
        if !container_names.insert(container.name.as_str()) {
            d.push(origin.error(
                Code::DuplicateName,
                format!("`{name}`: two containers are named `{}`", container.name),
            ));
        }
        let mut port_names = BTreeSet::new();
        let mut port_numbers = BTreeSet::new();
        for port in container.ports.iter().flatten() {
            port_numbers.insert(port.container_port);
            if let Some(port_name) = &port.name {
                if let Err(problem) = check_port_name(port_name) {
                    d.push(origin.error(Code::BadPortName, format!("`{name}`: {problem}")));
                }
                if !port_names.insert(port_name.as_str()) {
                    d.push(origin.error(
                        Code::DuplicatePortName,
                        format!("`{name}`: port name `{port_name}` is used twice"),
                    ));
                }
            }
        }
        let probes = [
            &container.startup_probe,
            &container.readiness_probe,
            &container.liveness_probe,
        ];
        for probe in probes.into_iter().flatten() {
            check_probe_port(name, probe, &port_names, &port_numbers, origin, d);
        }
        for mount in container.volume_mounts.iter().flatten() {
            if !volumes.contains(mount.name.as_str()) {
                d.push(origin.error(
                    Code::MissingVolume,
                    format!("`{name}`: container `{}` mounts volume `{}`, which the pod does not declare", container.name, mount.name),
                ));
            }
        }
        for env in container.env.iter().flatten() {
            if !is_env_name(&env.name) {
                d.push(origin.error(
                    Code::BadEnvName,
                    format!(
                        "`{name}`: `{}` is not a valid environment variable name",
                        env.name
                    ),
                ));
            }
        }
        let resources = container
            .resources
            .iter()
            .flat_map(|r| r.requests.iter().flatten().chain(r.limits.iter().flatten()));
        for (resource, quantity) in resources {
            if let Err(problem) = Quantity::parse(&quantity.0) {
                d.push(origin.error(
                    Code::BadQuantity,
                    format!("`{name}`: {resource}: {problem}"),
                ));
            }
        }
    }
}

fn check_probe_port(
    name: &str,
    probe: &Probe,
    names: &BTreeSet<&str>,
    numbers: &BTreeSet<i32>,
    origin: &Origin<'_>,
    d: &mut Diagnostics,
) {
    let port = probe
        .http_get
        .as_ref()
        .map(|h| &h.port)
        .or(probe.tcp_socket.as_ref().map(|t| &t.port));
    let missing = match port {
        Some(IntOrString::String(port)) => !names.contains(port.as_str()),
        Some(IntOrString::Int(port)) => !numbers.contains(port),
        None => false,
    };
    if missing {
        d.push(origin.error(
            Code::BadProbe,
            format!("`{name}`: a probe targets a port the container does not declare"),
        ));
    }
}

/// A Service's named target ports must be declared by the pods it selects.
fn check_service_ports(
    service: &Service,
    pods: &[(&str, &PodTemplateSpec, Vec<String>)],
    origin: &Origin<'_>,
    d: &mut Diagnostics,
) {
    let Some(spec) = &service.spec else {
        return;
    };
    let Some(selector) = &spec.selector else {
        return;
    };
    let selected: Vec<&PodTemplateSpec> = pods
        .iter()
        .map(|(_, t, _)| *t)
        .filter(|t| selects(selector, t))
        .collect();
    if selected.is_empty() {
        return;
    }
    let name = service.metadata.name.as_deref().unwrap_or_default();
    let mut port_names = BTreeSet::new();
    for port in spec.ports.iter().flatten() {
        if let Some(port_name) = &port.name
            && !port_names.insert(port_name.clone())
        {
            d.push(origin.error(
                Code::DuplicatePortName,
                format!("Service `{name}`: port name `{port_name}` is used twice"),
            ));
        }
        if let Some(IntOrString::String(target)) = &port.target_port {
            let declared = selected.iter().any(|t| {
                t.spec.iter().flat_map(|s| s.containers.iter()).any(|c| {
                    c.ports
                        .iter()
                        .flatten()
                        .any(|p| p.name.as_deref() == Some(target))
                })
            });
            if !declared {
                d.push(origin.error(
                    Code::BadPort,
                    format!(
                        "Service `{name}` targets port `{target}`, which its pods do not declare"
                    ),
                ));
            }
        }
    }
}

fn selects(selector: &BTreeMap<String, String>, template: &PodTemplateSpec) -> bool {
    let labels = template.metadata.as_ref().and_then(|m| m.labels.as_ref());
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// What the API server accepts as an environment variable name.
fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}
