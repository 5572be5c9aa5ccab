//! `apps:` entries: each one translated into a `WorkloadSpec` (its settings, its image or the
//! build of its `path`); `lower_workload` does the rest, as for functions and compose services.

use super::build::{BuildInput, lower_image_build};
use super::context::LowerContext;
use super::spec::{
    ContainerSpec, ControllerSpec, DefaultVisibility, EnvSpec, ImageSpec, NetworkSpec, OwnParts,
    Placement, PortSetting, ProbeSpec, RouteSettings, ScalingSpec, ServiceSpec, WorkloadSpec,
};
use super::workload::lower_workload;
use crate::config::{
    AppEntry, PodSecurityProfile, Protocol, ScalingType, ServiceType, WorkloadKind,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::resolve::Entry;
use crate::workload::{LoweredEntry, PortForward};

pub fn lower_app(
    entry: &Entry<AppEntry>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> LoweredEntry {
    let Some(spec) = app_spec(entry, cx, d) else {
        return LoweredEntry::default();
    };
    let lowered = lower_workload(spec, cx, d);
    LoweredEntry {
        workloads: vec![lowered.workload],
        builds: lowered.build.into_iter().collect(),
        files: Vec::new(),
        notes: Vec::new(),
    }
}

/// The app's settings as a `WorkloadSpec`; `None` after reporting that it has no image.
fn app_spec(
    entry: &Entry<AppEntry>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> Option<WorkloadSpec> {
    let app = &entry.spec;
    let name = entry.name.value.clone();
    let field = entry.field();
    let span = entry.name.span;
    let container = app.container.clone().unwrap_or_default();
    let image = image(app, &name, &container, cx, &field, span, d)?;
    let kind = app
        .kind
        .as_ref()
        .map_or(WorkloadKind::Deployment, |k| k.value);
    let service = app.service.clone().unwrap_or_default();
    let has_node_port = container.ports.iter().any(|p| p.node_port.is_some());
    Some(WorkloadSpec {
        name: name.clone(),
        name_span: span,
        field: field.clone(),
        settings_field: field.clone(),
        settings_span: span,
        entry: name.clone(),
        namespace: entry.namespace.clone(),
        container_name: name.clone(),
        image,
        controller: ControllerSpec {
            kind: kind.into(),
            span: app.kind.as_ref().map_or(span, |k| k.span),
            job: app.job.clone(),
            strategy: app.strategy.clone(),
            revision_history_limit: app.revision_history_limit,
        },
        container: ContainerSpec {
            command: container.command.clone(),
            args: container.args.clone(),
            working_dir: container.working_dir.clone(),
            tty: false,
            stdin: false,
            ports: container
                .ports
                .iter()
                .map(|p| PortSetting {
                    name: p.name.as_ref().map(|n| (n.value.clone(), n.span)),
                    container_port: p.container_port.value,
                    protocol: p.protocol.unwrap_or(Protocol::Tcp),
                    service_port: p.service_port.as_ref().map(|s| s.value),
                    node_port: p.node_port.as_ref().map(|n| n.value),
                })
                .collect(),
            ports_field: format!("{field}.container"),
        },
        resources: app.resources.clone(),
        default_profile: PodSecurityProfile::Restricted,
        security: app.security.clone(),
        volumes: app.volumes.clone(),
        allow_host_path: app.allow_host_path.unwrap_or(false),
        env: EnvSpec {
            environment: app.environment.clone(),
            env_refs: app.env_refs.clone(),
            env_from: app.env_from.clone(),
            secrets: app.secrets.clone(),
            ..EnvSpec::default()
        },
        probes: ProbeSpec::Settings(app.probes.clone()),
        scaling: ScalingSpec {
            settings: app.scaling.clone(),
            default_type: ScalingType::None,
            replicas: app.replicas.clone(),
            queue_defaults: cx.resolved.defaults.queue.iter().cloned().collect(),
            warn_unused: true,
        },
        service: ServiceSpec {
            name: name.clone(),
            kind: service.kind.unwrap_or(if has_node_port {
                ServiceType::NodePort
            } else {
                ServiceType::ClusterIP
            }),
            annotations: service.annotations.clone(),
            enabled: service.enabled != Some(false),
        },
        route: app
            .ingress
            .as_ref()
            .filter(|i| i.enabled != Some(false))
            .map(|ingress| {
                let mut ingress = ingress.clone();
                ingress.annotations.extend(app.ingress_annotations.clone());
                RouteSettings {
                    ingress,
                    methods: Vec::new(),
                    rate_per_minute: None,
                    field: format!("{field}.ingress"),
                    span,
                    no_port_help: None,
                }
            }),
        network: NetworkSpec {
            default_visibility: DefaultVisibility::PublicWhenRouted,
            extra_ingress: Vec::new(),
        },
        disruption_budget: app.pod_disruption_budget.clone(),
        placement: Placement {
            node_selector: app.node_selector.clone(),
            tolerations: app.tolerations.clone(),
            node_affinity: app.affinity.clone(),
            anti_affinity: app.anti_affinity.clone(),
            topology_spread: app.topology_spread.clone(),
            priority_class_name: app.priority_class_name.clone(),
            termination_grace_period_seconds: app.termination_grace_period,
        },
        labels: app.labels.clone(),
        pod_annotations: app.pod_annotations.clone(),
        image_pull_secrets: app.image_pull_secrets.clone(),
        own: OwnParts::default(),
    })
}

/// A prebuilt `image`, or the build of `path` (with the Tilt port forward of `port` to the
/// first container port); exactly one of them.
fn image(
    app: &AppEntry,
    name: &str,
    container: &crate::config::Container,
    cx: &LowerContext<'_>,
    field: &str,
    span: crate::diagnostic::Span,
    d: &mut Diagnostics,
) -> Option<ImageSpec> {
    match (&app.image, &app.path) {
        (Some(image), None) => Some(ImageSpec {
            reference: image.value.clone(),
            build: None,
            pull_policy: None,
        }),
        (None, Some(path)) => {
            let dir = cx
                .existing_dir(path, field, app.allow_outside_project.unwrap_or(false), d)
                .unwrap_or_else(|| cx.path(&path.value));
            let settings = app.build.clone().unwrap_or_default();
            warn_function_build_settings(&settings, field, path.span, d);
            let mut build = lower_image_build(
                &BuildInput {
                    build: &settings,
                    dir: &dir,
                    default_name: name,
                    generated_dockerfile: false,
                    check_dockerfile: true,
                    dockerfile_help: None,
                    live_update: app.live_update.unwrap_or(false),
                    sync: &app.sync,
                    field,
                    span: path.span,
                    outside: app.allow_outside_project.unwrap_or(false),
                },
                cx,
                d,
            );
            if let (Some(local), Some(first)) = (app.port, container.ports.first()) {
                build.port_forwards.push(PortForward {
                    workload: name.to_string(),
                    local_port: local,
                    container_port: first.container_port.value,
                });
            }
            Some(ImageSpec {
                reference: build.reference.clone(),
                build: Some(build),
                pull_policy: None,
            })
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
            None
        }
        (None, None) => {
            d.push(
                Diagnostic::error(
                    Code::MissingKey,
                    "an app needs `path` (to build) or `image` (prebuilt)",
                )
                .at(span)
                .field(field.to_string()),
            );
            None
        }
    }
}

/// `build.runtime` and `build.dockerfile_template` make a function project's Dockerfile; an app
/// builds its own.
fn warn_function_build_settings(
    build: &crate::config::Build,
    field: &str,
    span: crate::diagnostic::Span,
    d: &mut Diagnostics,
) {
    let given = [
        ("runtime", build.runtime.is_some()),
        ("dockerfile_template", build.dockerfile_template.is_some()),
    ];
    for (key, is_given) in given {
        if is_given {
            d.push(
                Diagnostic::warning(
                    Code::UnusedSetting,
                    format!("`build.{key}` has no effect on an app: it shapes the Dockerfile k3s generates for function projects; an app builds its own Dockerfile"),
                )
                .at(span)
                .field(format!("{field}.build.{key}")),
            );
        }
    }
}

#[cfg(test)]
mod tests;
