//! `apps:` entries to one Workload each: image (built or prebuilt), controller, container,
//! Service, route, scaling, policy and budget — through the same pieces functions and compose
//! services use.

use std::collections::BTreeMap;

use super::availability::{
    lower_anti_affinity, lower_disruption_budget, lower_strategy, lower_tolerations,
    lower_topology_spread,
};
use super::build::{
    build_context, check_dockerfile, chosen_dockerfile, image_reference, sync_rules,
};
use super::context::LowerContext;
use super::env::{lower_env_from, lower_env_refs, lower_environment, lower_secret_mounts};
use super::network::{NetworkInput, lower_network, visibility};
use super::ports::{PortSpec, name_ports};
use super::probes::lower_probes;
use super::resources::lower_resources;
use super::route::{RouteSpec, attach_http_scaling, lower_route};
use super::scaling::{ScalingInput, lower_scaling};
use super::security::lower_security;
use super::volumes::{VolumeOptions, lower_volumes};
use super::workload_kind::{JobInput, lower_controller};
use crate::config::{
    AppEntry, PodSecurityProfile, Protocol, ScalingType, ServiceType, Visibility, WorkloadKind,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::resolve::Entry;
use crate::workload::{
    Container, ImageBuild, LoweredEntry, Pod, PortForward, Scaling, Service, ServicePort, Workload,
};

pub fn lower_app(
    entry: &Entry<AppEntry>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> LoweredEntry {
    let app = &entry.spec;
    let name = entry.name.value.clone();
    let field = entry.field();
    let span = entry.name.span;
    let mut out = LoweredEntry::default();

    let image = match (&app.image, &app.path) {
        (Some(image), None) => image.value.clone(),
        (None, Some(path)) => {
            let build = build_for(app, &name, path, cx, &field, d);
            let reference = build.reference.clone();
            out.builds.push(build);
            reference
        }
        (Some(image), Some(_)) => {
            d.push(
                Diagnostic::error(
                    Code::ConflictingKeys,
                    "give either `image` (prebuilt) or `path` (built here), not both",
                )
                .at(image.span)
                .field(format!("{field}.image")),
            );
            return out;
        }
        (None, None) => {
            d.push(
                Diagnostic::error(
                    Code::MissingKey,
                    "an app needs `path` (to build) or `image` (prebuilt)",
                )
                .at(span)
                .field(field),
            );
            return out;
        }
    };

    let kind = app
        .kind
        .as_ref()
        .map_or(WorkloadKind::Deployment, |k| k.value);
    let container_settings = app.container.clone().unwrap_or_default();
    let port_specs: Vec<PortSpec> = container_settings
        .ports
        .iter()
        .map(|p| PortSpec {
            name: p.name.as_ref().map(|n| (n.value.clone(), n.span)),
            container_port: p.container_port.value,
            protocol: p.protocol.unwrap_or(Protocol::Tcp),
        })
        .collect();
    let ports = name_ports(&port_specs, &format!("{field}.container"), d);

    let security = lower_security(
        app.security.as_ref(),
        PodSecurityProfile::Restricted,
        &field,
        span,
        d,
    );
    let stateful = kind == WorkloadKind::Statefulset;
    let volumes = lower_volumes(
        &app.volumes,
        &VolumeOptions {
            workload: &name,
            stateful,
            allow_host_path: app.allow_host_path.unwrap_or(false),
            profile: security.profile,
            field: &field,
        },
        d,
    );
    let secrets = lower_secret_mounts(&app.secrets, cx.resolved, &field, d);
    let mut env = lower_environment(&app.environment, &field, d);
    env.extend(lower_env_refs(&app.env_refs, &field, d));
    let mut env_from = lower_env_from(&app.env_from, &field, span, d);
    env_from.extend(secrets.env_from.clone());
    let probes = lower_probes(app.probes.as_ref(), &ports, &field, span, d);

    let is_job = matches!(kind, WorkloadKind::Cronjob | WorkloadKind::Job);
    let mut scaling = lower_scaling(
        &ScalingInput {
            settings: app.scaling.as_ref(),
            default_type: ScalingType::None,
            replicas: app.replicas.as_ref(),
            queue_defaults: cx.resolved.defaults.queue.iter().collect(),
            namespace: &entry.namespace,
            http_api: cx.http_scaler_api(),
            is_job,
            field: &field,
            span,
        },
        d,
    );
    let keda_http = matches!(scaling.scaling, Scaling::Http { .. });

    let service = (!ports.is_empty()
        && !is_job
        && app.service.as_ref().and_then(|s| s.enabled) != Some(false))
    .then(|| main_service(app, &name, &ports));
    if keda_http && service.is_none() {
        d.push(
            Diagnostic::error(
                Code::BadScaling,
                "keda-http needs a container port to forward requests to",
            )
            .at(app
                .scaling
                .as_ref()
                .and_then(|s| s.kind.as_ref())
                .map_or(span, |k| k.span))
            .field(format!("{field}.scaling")),
        );
    }

    let route = match (&app.ingress, &service) {
        (Some(ingress), Some(service)) if ingress.enabled != Some(false) => {
            let port = route_port(ingress.port.as_ref(), service, &field, d);
            let ingress_field = format!("{field}.ingress");
            let mut spec = RouteSpec::from_ingress(
                ingress,
                &name,
                &service.name,
                port,
                keda_http,
                &ingress_field,
                span,
            );
            spec.annotations.extend(app.ingress_annotations.clone());
            lower_route(spec, cx, d)
        }
        (Some(ingress), None) if ingress.enabled != Some(false) => {
            d.push(
                Diagnostic::error(
                    Code::MissingKey,
                    "an ingress needs a container port to route to",
                )
                .at(ingress.path.as_ref().map_or(span, |p| p.span))
                .field(format!("{field}.ingress")),
            );
            None
        }
        _ => None,
    };
    if let Some(service) = &service {
        let port = service.ports[0].port;
        attach_http_scaling(
            &mut scaling.scaling,
            route.as_ref(),
            &service.name,
            port,
            &entry.namespace,
        );
    }

    let default_visibility = if route.is_some() {
        Visibility::Public
    } else {
        Visibility::Internal
    };
    let network = lower_network(
        &NetworkInput {
            security: app.security.as_ref(),
            default_visibility,
            default_enabled: true,
            ports: &ports,
            ingress_namespace: route.as_ref().map(|_| cx.ingress_namespace()),
            interceptor_namespace: keda_http.then(|| cx.interceptor_namespace()),
            field: &field,
            span,
        },
        d,
    );
    if visibility(app.security.as_ref(), default_visibility) == Visibility::Public
        && route.is_none()
        && !is_job
    {
        d.push(
            Diagnostic::warning(
                Code::PublicWithoutIngress,
                "visibility is public but the app has no ingress route",
            )
            .at(span)
            .field(format!("{field}.security.visibility"))
            .help("add `ingress:` to publish it, or use `visibility: internal`"),
        );
    }

    let budget = lower_disruption_budget(
        app.pod_disruption_budget.as_ref(),
        scaling.replicas,
        scaling.min_replicas,
        &field,
        span,
        d,
    );
    let strategy = lower_strategy(app.strategy.as_ref(), volumes.has_single_node_claim());
    let controller = lower_controller(
        &JobInput {
            kind,
            job: app.job.as_ref(),
            strategy,
            revision_history_limit: app.revision_history_limit,
            stateful_claims: if stateful {
                volumes.claims.clone()
            } else {
                Vec::new()
            },
            name: &name,
            field: &field,
            span: app.kind.as_ref().map_or(span, |k| k.span),
        },
        d,
    );

    let mut volume_mounts = volumes.mounts.clone();
    volume_mounts.extend(secrets.mounts.clone());
    let mut pod_volumes = volumes.volumes.clone();
    pod_volumes.extend(secrets.volumes.clone());
    let container = Container {
        name: name.clone(),
        image,
        image_pull_policy: app.path.as_ref().and_then(|_| cx.image_pull_policy()),
        command: container_settings.command.clone(),
        args: container_settings.args.clone(),
        working_dir: container_settings.working_dir.clone(),
        ports: ports.clone(),
        env,
        env_from,
        resources: lower_resources(app.resources.as_ref(), &field, d),
        startup_probe: probes.startup,
        readiness_probe: probes.readiness,
        liveness_probe: probes.liveness,
        volume_mounts,
        security: security.container,
        tty: false,
        stdin: false,
    };
    let mut image_pull_secrets = cx.resolved.defaults.image_pull_secrets.clone();
    image_pull_secrets.extend(app.image_pull_secrets.iter().cloned());
    let mut labels = cx.resolved.defaults.labels.clone();
    labels.extend(app.labels.clone());

    let mut services: Vec<Service> = service.into_iter().collect();
    if let crate::workload::Controller::StatefulSet { service_name, .. } = &controller {
        services.push(headless_service(service_name, &ports));
    }
    let workload = Workload {
        name: name.clone(),
        name_span: span,
        field: field.clone(),
        namespace: entry.namespace.clone(),
        entry: name.clone(),
        labels,
        controller,
        replicas: scaling.replicas,
        pod: Pod {
            containers: vec![container],
            init_containers: Vec::new(),
            volumes: pod_volumes,
            security: security.pod,
            service_account_name: security.service_account_name,
            automount_service_account_token: security.automount_token,
            image_pull_secrets,
            node_selector: app.node_selector.clone(),
            tolerations: lower_tolerations(&app.tolerations),
            anti_affinity: lower_anti_affinity(app.anti_affinity.as_ref(), &field, d),
            topology_spread: lower_topology_spread(app.topology_spread.as_ref()),
            termination_grace_period_seconds: app.termination_grace_period,
            priority_class_name: app.priority_class_name.clone(),
            host_aliases: BTreeMap::new(),
            hostname: None,
            annotations: app.pod_annotations.clone(),
        },
        services,
        routes: route.into_iter().collect(),
        scaling: scaling.scaling,
        network,
        disruption_budget: budget,
        service_account: security.service_account,
        config_maps: Vec::new(),
        secrets: Vec::new(),
        external_secrets: secrets.external,
        claims: if stateful { Vec::new() } else { volumes.claims },
    };
    if let (Some(build), Some(local), Some(first)) =
        (out.builds.first_mut(), app.port, ports.first())
    {
        build.port_forwards.push(PortForward {
            workload: name.clone(),
            local_port: local,
            container_port: first.container_port,
        });
    }
    out.workloads.push(workload);
    out
}

/// The image build of an app with a `path`; paths must exist.
fn build_for(
    app: &AppEntry,
    name: &str,
    path: &crate::yaml::Spanned<String>,
    cx: &LowerContext<'_>,
    field: &str,
    d: &mut Diagnostics,
) -> ImageBuild {
    let build = app.build.clone().unwrap_or_default();
    let found = cx.existing_dir(path, field, d);
    let dir = found.clone().unwrap_or_else(|| cx.path(&path.value));
    let context = build_context(&build, &dir);
    let dockerfile_setting = chosen_dockerfile(&build, cx);
    let dockerfile =
        dockerfile_setting.map_or_else(|| context.join("Dockerfile"), |f| context.join(&f.value));
    if found.is_some() {
        let span = dockerfile_setting.map_or(path.span, |f| f.span);
        check_dockerfile(&dockerfile, span, field, None, d);
    }
    let (image_name, reference) = image_reference(&build, name, cx);
    let sync = sync_rules(&app.sync, &dir);
    ImageBuild {
        name: image_name,
        reference,
        context,
        dockerfile,
        target: build.target.clone(),
        args: build.args.clone(),
        live_update: app.live_update.unwrap_or(false),
        sync,
        port_forwards: Vec::new(),
    }
}

fn main_service(app: &AppEntry, name: &str, ports: &[crate::workload::ContainerPort]) -> Service {
    let settings = app
        .container
        .as_ref()
        .map(|c| c.ports.as_slice())
        .unwrap_or_default();
    let has_node_port = settings.iter().any(|p| p.node_port.is_some());
    let kind = app
        .service
        .as_ref()
        .and_then(|s| s.kind)
        .unwrap_or(if has_node_port {
            ServiceType::NodePort
        } else {
            ServiceType::ClusterIP
        });
    Service {
        name: name.to_string(),
        kind,
        ports: ports
            .iter()
            .zip(settings)
            .map(|(port, setting)| ServicePort {
                name: port.name.clone(),
                port: setting
                    .service_port
                    .as_ref()
                    .map_or(port.container_port, |p| p.value),
                target_port: crate::workload::PortTarget::Name(port.name.clone()),
                protocol: port.protocol,
                node_port: setting.node_port.as_ref().map(|p| p.value),
            })
            .collect(),
        annotations: app
            .service
            .as_ref()
            .map(|s| s.annotations.clone())
            .unwrap_or_default(),
    }
}

/// The headless Service a StatefulSet's pods get stable DNS names from.
pub fn headless_service(name: &str, ports: &[crate::workload::ContainerPort]) -> Service {
    Service {
        name: name.to_string(),
        kind: ServiceType::Headless,
        ports: ports
            .iter()
            .map(|p| ServicePort {
                name: p.name.clone(),
                port: p.container_port,
                target_port: crate::workload::PortTarget::Name(p.name.clone()),
                protocol: p.protocol,
                node_port: None,
            })
            .collect(),
        annotations: BTreeMap::new(),
    }
}

/// The Service port a route sends to: `ingress.port` by name or number, else the first.
pub(super) fn route_port(
    port: Option<&crate::yaml::Spanned<crate::config::PortRef>>,
    service: &Service,
    field: &str,
    d: &mut Diagnostics,
) -> u16 {
    let first = service.ports[0].port;
    let Some(port) = port else {
        return first;
    };
    let found = service.ports.iter().find(|p| match &port.value {
        crate::config::PortRef::Number(n) => p.port == *n,
        crate::config::PortRef::Name(name) => &p.name == name,
    });
    match found {
        Some(p) => p.port,
        None => {
            d.push(
                Diagnostic::error(
                    Code::BadPort,
                    "ingress.port is not a port of the app's Service",
                )
                .at(port.span)
                .field(format!("{field}.ingress.port")),
            );
            first
        }
    }
}

#[cfg(test)]
mod tests;
