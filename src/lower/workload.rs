//! `lower_workload`: the one recipe that turns a `WorkloadSpec` into a `Workload` — security,
//! volumes, environment, probes, scaling, Service, route, network policy, budget, controller,
//! container, pod. Front-ends only translate their input into a spec; nothing here knows which
//! front-end a spec came from. A keda-http workload's Service name (what callers use) becomes an
//! ExternalName of the KEDA interceptor and its pods' Service `<name>-pods` (DESIGN rule 12).

use super::availability::{
    lower_anti_affinity, lower_disruption_budget, lower_node_affinity, lower_strategy,
    lower_tolerations, lower_topology_spread,
};
use super::context::LowerContext;
use super::env::{LoweredEnv, lower_env};
use super::extra_services::{alias_services, governing_service};
use super::hpa_requests::check_utilization_requests;
use super::network::{NetworkInput, lower_network, visibility};
use super::out_of_git::keep_out_of_git;
use super::ports::{PortSpec, name_ports};
use super::probes::lower_probes;
use super::resources::lower_resources;
use super::route::{PerMinute, RouteSpec, add_in_cluster_hosts, attach_http_scaling, lower_route};
use super::scaling::{LoweredScaling, ScalingInput, lower_scaling};
use super::security::lower_security;
use super::service::{interceptor_service, main_service, pods_service_name, route_port};
use super::spec::{ControllerKind, DefaultVisibility, ProbeSpec, RouteSettings, WorkloadSpec};
use super::volumes::{LoweredVolumes, VolumeOptions, lower_volumes};
use super::workload_kind::{JobInput, lower_controller};
use crate::config::Visibility;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::workload::{
    Container, Controller, EnvSource, EnvVar, ImageBuild, Pod, Replicas, Route, Scaling, Service,
    Volume, VolumeMount, VolumeSource, Workload,
};

/// What `environments.<env>.debug: true` sets in every main container.
pub const DEBUG_VARIABLE: &str = "K3S_DEBUG";

/// A workload and, when its image is built here, the build.
#[derive(Debug)]
pub struct LoweredWorkload {
    pub workload: Workload,
    pub build: Option<ImageBuild>,
    /// Where values kept out of git are to be stored, for the person converting.
    pub notes: Vec<String>,
}

/// Lowers one spec; every problem goes to `d`.
pub fn lower_workload(
    spec: WorkloadSpec,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> LoweredWorkload {
    let field = spec.settings_field.clone();
    let span = spec.settings_span;
    let kind = spec.controller.kind;
    let is_job = kind.is_job();
    let ports = name_ports(&port_specs(&spec), &spec.container.ports_field, d);
    let security = lower_security(
        spec.security.as_ref(),
        spec.default_profile,
        &field,
        span,
        d,
    );
    let stateful = kind == ControllerKind::StatefulSet;
    let volumes = lower_volumes(
        &spec.volumes,
        &VolumeOptions {
            workload: &spec.name,
            stateful,
            allow_host_path: spec.allow_host_path,
            profile: security.profile,
            field: &field,
        },
        d,
    );
    if spec.allow_host_path
        && !volumes
            .volumes
            .iter()
            .any(|v| matches!(v.source, VolumeSource::HostPath { .. }))
    {
        d.push(
            Diagnostic::warning(
                Code::UnusedSetting,
                "`allow_host_path` has no effect: no volume is a hostPath",
            )
            .at(span)
            .field(format!("{field}.allow_host_path")),
        );
    }
    let env = lower_env(&spec.env, cx.resolved, &field, span, d);
    let probes = match &spec.probes {
        ProbeSpec::Settings(probes) => lower_probes(probes.as_ref(), &ports, &field, span, d),
        ProbeSpec::Given(probes) => probes.clone(),
    };
    let mut scaling = scaling(&spec, cx, d);
    let keda_http = matches!(scaling.scaling, Scaling::Http { .. });

    let mut service = (!ports.is_empty() && !is_job && spec.service.enabled)
        .then(|| main_service(&spec.service, &ports, &spec.container.ports));
    // keda-http: callers' name for the workload leads through the interceptor (DESIGN rule
    // 12); the pods' own Service, which the interceptor forwards to, gets another name.
    let alias = match &mut service {
        Some(pods) if keda_http => {
            let alias = interceptor_service(&pods.name, &cx.interceptor());
            pods.name = pods_service_name(&pods.name);
            Some(alias)
        }
        _ => None,
    };
    if keda_http && service.is_none() {
        let at = spec
            .scaling
            .settings
            .as_ref()
            .and_then(|s| s.kind.as_ref())
            .map_or(span, |k| k.span);
        d.push(
            Diagnostic::error(
                Code::BadScaling,
                "keda-http needs a container port to forward requests to",
            )
            .at(at)
            .field(format!("{field}.scaling")),
        );
    }
    let route = spec.route.as_ref().and_then(|settings| {
        route(
            &spec,
            settings,
            service.as_ref(),
            alias.as_ref(),
            keda_http,
            cx,
            d,
        )
    });
    if let Some(service) = &service {
        attach_http_scaling(
            &mut scaling.scaling,
            route.as_ref(),
            &service.name,
            service.ports[0].port,
            alias.as_ref().map(|a| a.name.as_str()),
            &spec.namespace,
        );
    }

    let default_visibility = match spec.network.default_visibility {
        DefaultVisibility::Fixed(visibility) => visibility,
        DefaultVisibility::PublicWhenRouted if route.is_some() => Visibility::Public,
        DefaultVisibility::PublicWhenRouted => Visibility::Internal,
    };
    let mut network = lower_network(
        &NetworkInput {
            security: spec.security.as_ref(),
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
    if let Some(policy) = &mut network {
        policy
            .ingress
            .extend(spec.network.extra_ingress.iter().cloned());
        policy.ingress.dedup();
    }
    if visibility(spec.security.as_ref(), default_visibility) == Visibility::Public
        && route.is_none()
        && !is_job
    {
        d.push(
            Diagnostic::warning(
                Code::PublicWithoutIngress,
                format!(
                    "visibility is public but `{}` has no ingress route",
                    spec.field
                ),
            )
            .at(spec
                .security
                .as_ref()
                .and_then(|s| s.visibility.as_ref())
                .map_or(span, |v| v.span))
            .field(format!("{field}.security.visibility"))
            .help("add `ingress:` to publish it, or use `visibility: internal`"),
        );
    }

    let disruption_budget = lower_disruption_budget(
        spec.disruption_budget.as_ref(),
        scaling.replicas,
        scaling.min_replicas,
        &field,
        span,
        d,
    );
    let mut controller = controller(&spec, &volumes, d);
    let mut services: Vec<Service> = service.into_iter().chain(alias).collect();
    governing_service(&spec, &mut controller, &mut services, &ports);
    let interceptor = keda_http.then(|| cx.interceptor());
    let aliases = alias_services(&spec, &services, interceptor.as_ref());
    if keda_http {
        let names: Vec<&str> = aliases.iter().map(|a| a.name.as_str()).collect();
        add_in_cluster_hosts(&mut scaling.scaling, &names, &spec.namespace);
    }
    services.extend(aliases);

    let replicas = if kind == ControllerKind::ScaledJob {
        Replicas::NotApplicable
    } else {
        scaling.replicas
    };
    let mut volume_mounts = volumes.mounts;
    volume_mounts.extend(env.mounts);
    // By path: deterministic, and a parent directory is mounted before what is mounted in it.
    volume_mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    let mut pod_volumes = volumes.volumes;
    pod_volumes.extend(env.volumes);
    if security.container.read_only_root_filesystem == Some(true) {
        writable_tmp(&mut pod_volumes, &mut volume_mounts);
    }
    let LoweredEnv {
        mut vars,
        env_from,
        config_map,
        secret,
        external_secrets,
        ..
    } = env;
    if cx.resolved.settings.debug == Some(true) && !vars.iter().any(|v| v.name == DEBUG_VARIABLE) {
        vars.push(EnvVar {
            name: DEBUG_VARIABLE.to_string(),
            value: EnvSource::Literal("true".to_string()),
        });
    }
    let resources = lower_resources(spec.resources.as_ref(), &field, d);
    check_utilization_requests(&spec, &scaling.scaling, &resources, d);
    if resources.requests.is_empty() && resources.limits.is_empty() {
        d.push(
            Diagnostic::warning(
                Code::NoResources,
                format!(
                    "`{}` requests no CPU or memory and has no limits: the scheduler cannot place it well, and it may starve its neighbours",
                    spec.field
                ),
            )
            .at(span)
            .field(format!("{field}.resources"))
            .help("set `resources: {memory: …, cpu: …}` (and limits)"),
        );
    }
    if spec.image.build.is_none() && !has_tag(&spec.image.reference) {
        d.push(
            Diagnostic::warning(
                Code::ImplicitLatest,
                format!(
                    "image `{}` has no tag: the cluster runs whatever `latest` is when the pod starts",
                    spec.image.reference
                ),
            )
            .at(span)
            .field(format!("{field}.image"))
            .help("pin a tag or a digest (`name:1.2.3`, `name@sha256:…`)"),
        );
    }
    let container = Container {
        name: spec.container_name.clone(),
        image: spec.image.reference.clone(),
        image_pull_policy: spec.image.pull_policy.clone().unwrap_or_else(|| {
            spec.image
                .build
                .as_ref()
                .and_then(|_| cx.image_pull_policy())
        }),
        command: spec.container.command.clone(),
        args: spec.container.args.clone(),
        working_dir: spec.container.working_dir.clone(),
        ports: ports.clone(),
        env: vars,
        env_from,
        resources,
        startup_probe: probes.startup,
        readiness_probe: probes.readiness,
        liveness_probe: probes.liveness,
        volume_mounts,
        security: security.container,
        tty: spec.container.tty,
        stdin: spec.container.stdin,
    };
    let defaults = &cx.resolved.defaults;
    let mut image_pull_secrets = defaults.image_pull_secrets.clone();
    image_pull_secrets.extend(spec.image_pull_secrets.iter().cloned());
    let mut labels = defaults.labels.clone();
    labels.extend(spec.labels.clone());
    let placement = &spec.placement;
    let pod = Pod {
        containers: vec![container],
        init_containers: spec.own.init_containers.clone(),
        volumes: pod_volumes,
        security: security.pod,
        service_account_name: security.service_account_name,
        automount_service_account_token: security.automount_token,
        image_pull_secrets,
        node_selector: placement.node_selector.clone(),
        tolerations: lower_tolerations(&placement.tolerations),
        node_affinity: lower_node_affinity(placement.node_affinity.as_ref(), &field, d),
        anti_affinity: lower_anti_affinity(placement.anti_affinity.as_ref(), &field, d),
        topology_spread: lower_topology_spread(placement.topology_spread.as_ref()),
        termination_grace_period_seconds: placement.termination_grace_period_seconds,
        priority_class_name: placement.priority_class_name.clone(),
        host_aliases: spec.own.host_aliases.clone(),
        hostname: spec.own.hostname.clone(),
        annotations: spec.pod_annotations.clone(),
    };
    let mut config_maps: Vec<_> = config_map.into_iter().collect();
    config_maps.extend(spec.own.config_maps.iter().cloned());
    let mut secrets: Vec<_> = secret.into_iter().collect();
    secrets.extend(spec.own.secrets.iter().cloned());
    let mut external_secrets = external_secrets;
    let notes = keep_out_of_git(&spec, &mut secrets, &mut external_secrets, cx, d);
    let mut claims = if stateful { Vec::new() } else { volumes.claims };
    claims.extend(spec.own.claims.iter().cloned());
    let workload = Workload {
        name: spec.name,
        name_span: spec.name_span,
        field: spec.field,
        namespace: spec.namespace,
        entry: spec.entry,
        labels,
        controller,
        replicas,
        pod,
        services,
        routes: route.into_iter().collect(),
        scaling: scaling.scaling,
        network,
        disruption_budget,
        service_account: security.service_account,
        config_maps,
        secrets,
        external_secrets,
        claims,
    };
    LoweredWorkload {
        workload,
        build: spec.image.build,
        notes,
    }
}

/// `name:tag` or `name@digest`; a port in the registry host (`host:5000/name`) is no tag.
fn has_tag(reference: &str) -> bool {
    if reference.contains('@') {
        return true;
    }
    let last = reference.rsplit('/').next().unwrap_or(reference);
    last.contains(':')
}

/// A read-only root filesystem still gets a writable `/tmp` (an emptyDir), which most programs
/// and runtimes expect; unless something is mounted there already.
fn writable_tmp(volumes: &mut Vec<Volume>, mounts: &mut Vec<VolumeMount>) {
    if mounts.iter().any(|m| m.mount_path == "/tmp") {
        return;
    }
    let name = (1..)
        .map(|n| {
            if n == 1 {
                "tmp".to_string()
            } else {
                format!("tmp-{n}")
            }
        })
        .find(|name| !volumes.iter().any(|v| &v.name == name))
        .expect("an unused name exists");
    volumes.push(Volume {
        name: name.clone(),
        source: VolumeSource::EmptyDir {
            medium: None,
            size_limit: None,
        },
    });
    let at = mounts.partition_point(|m| m.mount_path.as_str() < "/tmp");
    mounts.insert(
        at,
        VolumeMount {
            name,
            mount_path: "/tmp".to_string(),
            read_only: false,
            sub_path: None,
        },
    );
}

fn port_specs(spec: &WorkloadSpec) -> Vec<PortSpec> {
    spec.container
        .ports
        .iter()
        .map(|p| PortSpec {
            name: p.name.clone(),
            container_port: p.container_port,
            protocol: p.protocol,
        })
        .collect()
}

fn scaling(spec: &WorkloadSpec, cx: &LowerContext<'_>, d: &mut Diagnostics) -> LoweredScaling {
    let settings = &spec.scaling;
    lower_scaling(
        &ScalingInput {
            settings: settings.settings.as_ref(),
            default_type: settings.default_type,
            replicas: settings.replicas.as_ref(),
            queue_defaults: settings.queue_defaults.iter().collect(),
            namespace: &spec.namespace,
            http_api: cx.http_scaler_api(),
            // A ScaledJob is scaled by its queue; Jobs and CronJobs are not scaled at all.
            warn_unused: settings.warn_unused,
            is_job: spec.controller.kind.is_job()
                && spec.controller.kind != ControllerKind::ScaledJob,
            field: &spec.settings_field,
            span: spec.settings_span,
        },
        d,
    )
}

/// The route of `settings` to the workload's Service, or an error when it has none.
fn route(
    spec: &WorkloadSpec,
    settings: &RouteSettings,
    service: Option<&Service>,
    alias: Option<&Service>,
    keda_http: bool,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> Option<Route> {
    let ingress = &settings.ingress;
    let Some(service) = service else {
        let mut error = Diagnostic::error(
            Code::MissingKey,
            "an ingress needs a container port to route to",
        )
        .at(ingress.path.as_ref().map_or(settings.span, |p| p.span))
        .field(settings.field.clone());
        if let Some(help) = &settings.no_port_help {
            error = error.help(help.clone());
        }
        d.push(error);
        return None;
    };
    let port = route_port(ingress.port.as_ref(), service, &settings.field, d);
    let mut route = RouteSpec::from_ingress(
        ingress,
        &spec.name,
        &service.name,
        port,
        keda_http,
        &settings.field,
        settings.span,
    );
    route.methods = settings.methods.clone();
    route.interceptor_service = alias.map(|a| a.name.clone());
    route.rate_per_minute = settings
        .rate_per_minute
        .as_ref()
        .map(|(rate, field)| PerMinute { rate, field });
    lower_route(route, cx, d)
}

fn controller(spec: &WorkloadSpec, volumes: &LoweredVolumes, d: &mut Diagnostics) -> Controller {
    let settings = &spec.controller;
    let strategy = lower_strategy(settings.strategy.as_ref(), volumes.has_single_node_claim());
    lower_controller(
        &JobInput {
            kind: settings.kind,
            job: settings.job.as_ref(),
            strategy,
            revision_history_limit: settings.revision_history_limit,
            stateful_claims: if settings.kind == ControllerKind::StatefulSet {
                volumes.claims.clone()
            } else {
                Vec::new()
            },
            name: &spec.name,
            field: &spec.settings_field,
            span: settings.span,
        },
        d,
    )
}
