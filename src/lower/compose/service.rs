//! One compose service translated into a `WorkloadSpec`: its merged settings and what the
//! project plan decided (controller kind, volumes, ports, who reaches it), plus what only compose
//! has (init containers waiting on dependencies, secret and config files, host aliases).

use std::collections::BTreeMap;

use super::image::image;
use super::job::{JobInput, job_settings};
use super::network::network;

use super::dependencies::{image_copy_container, wait_containers};
use super::files::{FileKind, FilesInput, lower_files};
use super::healthcheck::{healthcheck_probes, seconds};
use super::pod::{annotations, host_aliases, hostname, node_selector};
use super::ports::{pin_node_ports, service_type};
use super::{Plan, Prepared};
use crate::config::{
    EnvValue, Environment, PodSecurityProfile, ScalingType, SettingsSource, WorkloadKind,
};
use crate::diagnostic::Diagnostics;
use crate::lower::probes::LoweredProbes;
use crate::lower::spec::{
    ContainerSpec, ControllerSpec, EnvLayout, EnvSpec, OwnParts, Placement, ProbeSpec,
    RouteSettings, ScalingSpec, SecretValues, ServiceSpec, WorkloadSpec,
};
use crate::lower::workload::{LoweredWorkload, lower_workload};
use crate::names::to_dns_label;
use crate::sources::compose::Service as ComposeService;
use crate::yaml::Spanned;

pub fn lower_service(
    plan: &Plan<'_>,
    name: &str,
    service: &Spanned<ComposeService>,
    prepared: Prepared,
    d: &mut Diagnostics,
) -> LoweredWorkload {
    let spec = service_spec(plan, name, service, prepared, d);
    lower_workload(spec, plan.cx, d)
}

/// One service's settings and what the project plan decided, as a `WorkloadSpec`.
fn service_spec(
    plan: &Plan<'_>,
    name: &str,
    service: &Spanned<ComposeService>,
    prepared: Prepared,
    d: &mut Diagnostics,
) -> WorkloadSpec {
    let svc = &service.value;
    let span = service.span;
    let entry = &plan.entry.name.value;
    let field = plan.field(name);
    let Prepared {
        settings,
        kind,
        planned,
        mut names,
        ports,
        service_name,
        aliases,
        kept_running,
        ..
    } = prepared;
    let at = plan.at(name);
    let workload_name = plan.workload_name(name);
    let image = image(plan, name, svc, &settings, &workload_name, span, &field, d);

    let owns = |kind: FileKind, source: &str| {
        plan.file_owners
            .get(&(kind, source.to_string()))
            .map(String::as_str)
            == Some(name)
    };
    let files = lower_files(
        &svc.secrets,
        &svc.configs,
        &FilesInput {
            project: plan.project,
            entry,
            lookup: &plan.lookup,
            owns: &owns,
            field: &field,
        },
        &mut names,
        d,
    );
    let mut volumes = planned.volumes.clone();
    volumes.extend(files.volumes);

    let probes = match &settings.probes {
        Some(probes) => ProbeSpec::Settings(Some(probes.clone())),
        None => ProbeSpec::Given(match &svc.healthcheck {
            Some(healthcheck) => healthcheck_probes(healthcheck, span, &field, &at, d),
            None => LoweredProbes::default(),
        }),
    };
    let stateful = kind == WorkloadKind::Statefulset;
    let requested_type = settings.service.as_ref().and_then(|s| s.kind);
    let ingress = settings
        .ingress
        .as_ref()
        .filter(|i| i.enabled != Some(false));
    let service_type = service_type(&ports, requested_type, stateful, ingress.is_some());
    let port_settings = pin_node_ports(&ports, service_type, &field, &at, d);
    let route = ingress.map(|ingress| RouteSettings {
        ingress: ingress.clone(),
        methods: Vec::new(),
        rate_per_minute: None,
        field: format!("{field}.ingress"),
        span,
        no_port_help: Some(format!(
            "add `expose:` to `{name}` in the compose file, or set `expose: [PORT]` {at}"
        )),
    });
    let (security, network) = network(plan, name, &settings, &ports, service_type, span, d);
    let job = job_settings(
        svc,
        kind,
        &JobInput {
            settings: settings.job.as_ref(),
            kept_running: kept_running.as_deref(),
            span,
            field: &field,
            at: &at,
        },
        d,
    );
    let enabled = |other: &str| plan.prepared_names.contains(other);
    let mut init_containers: Vec<_> = planned
        .image_copies
        .iter()
        .map(|copy| image_copy_container(&image.reference, copy, &settings))
        .collect();
    init_containers.extend(wait_containers(
        name,
        &svc.depends_on,
        &plan.endpoints,
        &enabled,
        &field,
        d,
    ));
    let mut config_maps = planned.config_maps;
    config_maps.extend(files.config_maps);

    WorkloadSpec {
        name: workload_name.clone(),
        name_span: span,
        field: field.clone(),
        settings_field: field.clone(),
        settings_span: span,
        entry: entry.clone(),
        namespace: plan.entry.namespace.clone(),
        container_name: to_dns_label(name),
        image,
        controller: ControllerSpec {
            kind: kind.into(),
            span: settings.kind.as_ref().map_or(span, |k| k.span),
            job,
            strategy: settings.strategy.clone(),
            revision_history_limit: None,
        },
        container: ContainerSpec {
            command: svc
                .entrypoint
                .as_ref()
                .map(|e| e.value.clone())
                .unwrap_or_default(),
            args: svc
                .command
                .as_ref()
                .map(|c| c.value.clone())
                .unwrap_or_default(),
            working_dir: svc.working_dir.clone(),
            tty: svc.tty.unwrap_or(false),
            stdin: svc.stdin_open.unwrap_or(false),
            ports: port_settings,
            ports_field: field.clone(),
        },
        resources: settings.resources.clone(),
        default_profile: PodSecurityProfile::Baseline,
        security,
        volumes,
        allow_host_path: settings.allow_host_path.unwrap_or(false),
        env: EnvSpec {
            environment: environment(svc, &settings.environment),
            layout: EnvLayout::Objects {
                name: format!("{workload_name}-env"),
            },
            secret_values: out_of_git(plan, name),
            ..EnvSpec::default()
        },
        probes,
        scaling: ScalingSpec {
            settings: settings.scaling.clone(),
            default_type: ScalingType::None,
            replicas: settings.replicas.clone(),
            queue_defaults: plan.cx.resolved.defaults.queue.iter().cloned().collect(),
            warn_unused: true,
        },
        service: ServiceSpec {
            name: service_name,
            kind: service_type,
            annotations: settings
                .service
                .as_ref()
                .map(|s| s.annotations.clone())
                .unwrap_or_default(),
            enabled: settings.service.as_ref().and_then(|s| s.enabled) != Some(false),
        },
        route,
        network,
        disruption_budget: settings.pod_disruption_budget.clone(),
        placement: Placement {
            node_selector: node_selector(svc, &field, d)
                .into_iter()
                .chain(settings.node_selector.clone())
                .collect(),
            tolerations: settings.tolerations.clone(),
            node_affinity: settings.affinity.clone(),
            priority_class_name: settings.priority_class_name.clone(),
            anti_affinity: settings.anti_affinity.clone(),
            termination_grace_period_seconds: svc.stop_grace_period.map(|p| i64::from(seconds(p))),
            ..Placement::default()
        },
        labels: BTreeMap::new(),
        pod_annotations: annotations(svc, span, &field, d),
        image_pull_secrets: Vec::new(),
        own: OwnParts {
            init_containers,
            service_aliases: aliases,
            host_aliases: host_aliases(svc, span, &field, d),
            hostname: hostname(svc, span, &field, d),
            config_maps,
            secrets: files.secrets,
            claims: planned.claims,
        },
    }
}

/// Compose secret values stay out of git, with help on how in the mode the user is in.
fn out_of_git(plan: &Plan<'_>, name: &str) -> SecretValues {
    let store = match plan.entry.spec.settings_source {
        SettingsSource::AppsYaml => "set `defaults.secret_store` in apps.yaml".to_string(),
        _ => format!("set `secret_store: {{name: STORE}}` {}", plan.place()),
    };
    SecretValues::OutOfGit {
        variable_help: format!(
            "{store} to have it filled from your secret store by an ExternalSecret, or point the variable at an existing Secret with `environment: {{NAME: {{secret: SECRET, key: KEY}}}}` {}",
            plan.at(name)
        ),
        file_help: format!(
            "{store} to have it filled from your secret store by an ExternalSecret, or mark the compose secret `external: true` to use an existing Secret"
        ),
    }
}

/// The compose `environment` (env files already merged under it) with apps.yaml's over it.
fn environment(svc: &ComposeService, apps_yaml: &Environment) -> Environment {
    let mut merged: Environment = svc
        .environment
        .iter()
        .map(|(key, value)| {
            (
                key.clone(),
                Spanned::new(EnvValue::Literal(value.value.clone()), value.span),
            )
        })
        .collect();
    merged.extend(apps_yaml.clone());
    merged
}
