//! One compose service to one Workload: container, controller, Services, route, scaling,
//! policy and budget, from its merged settings and what the project plan decided.

use std::collections::BTreeMap;

use super::dependencies::wait_containers;
use super::environment::split_environment;
use super::files::{FileKind, FilesInput, lower_files};
use super::healthcheck::{healthcheck_probes, no_probes, seconds};
use super::network::{PolicyInput, compose_network_policy};
use super::ports::{main_service, unkept_host_ports};
use super::{Plan, Prepared};
use crate::config::{
    ComposeNetworkPolicy, PodSecurityProfile, ScalingType, ServiceType, WorkloadKind,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::lower::app::{headless_service, route_port};
use crate::lower::availability::{lower_anti_affinity, lower_disruption_budget, lower_strategy};
use crate::lower::probes::lower_probes;
use crate::lower::resources::lower_resources;
use crate::lower::route::{RouteSpec, attach_http_scaling, lower_route};
use crate::lower::scaling::{ScalingInput, lower_scaling};
use crate::lower::security::lower_security;
use crate::lower::volumes::{VolumeOptions, lower_volumes};
use crate::lower::workload_kind::{JobInput, lower_controller};
use crate::names::to_dns_label;
use crate::sources::compose::Service as ComposeService;
use crate::workload::{
    Container, Controller, ImageBuild, Pod, PolicyPort, Scaling, Service, Workload,
};
use crate::yaml::Spanned;

pub fn lower_service(
    plan: &Plan<'_>,
    name: &str,
    service: &Spanned<ComposeService>,
    prepared: Prepared,
    d: &mut Diagnostics,
) -> (Workload, Option<ImageBuild>) {
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
        has_service,
        ..
    } = prepared;
    let workload_name = plan.workload_name(name);

    let (image, build) = image(plan, name, svc, &settings, &workload_name, span, &field, d);

    let security = lower_security(
        settings.security.as_ref(),
        PodSecurityProfile::Baseline,
        &field,
        span,
        d,
    );
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
    let stateful = kind == WorkloadKind::Statefulset;
    let mut volume_settings = planned.volumes.clone();
    volume_settings.extend(files.volumes);
    let volumes = lower_volumes(
        &volume_settings,
        &VolumeOptions {
            workload: &workload_name,
            stateful,
            allow_host_path: settings.allow_host_path.unwrap_or(false),
            profile: security.profile,
            field: &field,
        },
        d,
    );

    let environment = split_environment(
        &svc.environment,
        &settings.environment,
        &format!("{workload_name}-env"),
        &field,
        d,
    );
    let container_ports = ports.container.clone();
    let probes = match &settings.probes {
        Some(probes) => lower_probes(Some(probes), &container_ports, &field, span, d),
        None => match &svc.healthcheck {
            Some(healthcheck) => healthcheck_probes(healthcheck, span, &field, d),
            None => no_probes(),
        },
    };

    let is_job = matches!(kind, WorkloadKind::Job | WorkloadKind::Cronjob);
    let mut scaling = lower_scaling(
        &ScalingInput {
            settings: settings.scaling.as_ref(),
            default_type: ScalingType::None,
            replicas: settings.replicas.as_ref(),
            queue_defaults: plan.cx.resolved.defaults.queue.iter().collect(),
            namespace: &plan.entry.namespace,
            http_api: plan.cx.http_scaler_api(),
            is_job,
            field: &field,
            span,
        },
        d,
    );
    let keda_http = matches!(scaling.scaling, Scaling::Http { .. });

    let requested_type = settings.service.as_ref().and_then(|s| s.kind);
    let main = has_service.then(|| {
        main_service(
            &service_name,
            &ports,
            requested_type,
            stateful,
            settings
                .service
                .as_ref()
                .map(|s| s.annotations.clone())
                .unwrap_or_default(),
        )
    });
    if let Some(main) = &main {
        unkept_host_ports(&ports, main, &field, d);
    }
    if keda_http && main.is_none() {
        d.push(
            Diagnostic::error(
                Code::BadScaling,
                "keda-http needs a port to forward requests to",
            )
            .at(settings
                .scaling
                .as_ref()
                .and_then(|s| s.kind.as_ref())
                .map_or(span, |k| k.span))
            .field(format!("{field}.scaling")),
        );
    }
    let route = route(
        plan,
        &settings,
        main.as_ref(),
        &workload_name,
        keda_http,
        span,
        &field,
        d,
    );
    if let Some(main) = &main {
        attach_http_scaling(
            &mut scaling.scaling,
            route.as_ref(),
            &main.name,
            main.ports[0].port,
            &plan.entry.namespace,
        );
    }

    let published: Vec<PolicyPort> = match &main {
        Some(main) if matches!(main.kind, ServiceType::NodePort | ServiceType::LoadBalancer) => {
            ports
                .published
                .iter()
                .filter(|p| !p.local)
                .map(|p| PolicyPort {
                    protocol: p.protocol,
                    port: p.target,
                    end_port: None,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let network_settings = plan.entry.spec.network.clone().unwrap_or_default();
    let network = compose_network_policy(
        PolicyInput {
            mode: network_settings
                .policy
                .unwrap_or(ComposeNetworkPolicy::Permissive),
            security: settings.security.as_ref(),
            neighbours: plan.neighbours(name),
            allow_external: &network_settings.allow_external,
            ports: &container_ports,
            published,
            ingress_namespace: route.as_ref().map(|_| plan.cx.ingress_namespace()),
            interceptor_namespace: keda_http.then(|| plan.cx.interceptor_namespace()),
            field: &field,
            entry_field: &plan.entry.field(),
            span,
        },
        d,
    );

    let budget = lower_disruption_budget(
        settings.pod_disruption_budget.as_ref(),
        scaling.replicas,
        scaling.min_replicas,
        &field,
        span,
        d,
    );
    let strategy = lower_strategy(settings.strategy.as_ref(), volumes.has_single_node_claim());
    let mut controller = lower_controller(
        &JobInput {
            kind,
            job: settings.job.as_ref(),
            strategy,
            revision_history_limit: None,
            stateful_claims: if stateful {
                volumes.claims.clone()
            } else {
                Vec::new()
            },
            name: &workload_name,
            field: &field,
            span: settings.kind.as_ref().map_or(span, |k| k.span),
        },
        d,
    );
    restart_policy(svc, &mut controller, settings.job.as_ref(), span, &field, d);

    let mut services: Vec<Service> = main.into_iter().collect();
    // The StatefulSet's governing Service: its own headless Service when it has one, else a
    // headless one named after the compose service (pods are `<workload>-0.<service>`), else
    // (its Service is not headless, or turned off) `<workload>-headless`.
    let service_enabled = settings.service.as_ref().and_then(|s| s.enabled) != Some(false);
    if let Controller::StatefulSet {
        service_name: governing,
        ..
    } = &mut controller
    {
        match services.first() {
            Some(main) if main.kind == ServiceType::Headless => *governing = main.name.clone(),
            None if service_enabled => {
                *governing = service_name.clone();
                services.push(headless_service(&service_name, &container_ports));
            }
            _ => services.push(headless_service(governing, &container_ports)),
        }
    }

    let enabled = |other: &str| plan.prepared_names.contains(other);
    let init_containers =
        wait_containers(name, &svc.depends_on, &plan.endpoints, &enabled, &field, d);

    let mut volume_mounts = volumes.mounts.clone();
    volume_mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    let container = Container {
        name: to_dns_label(name),
        image,
        image_pull_policy: pull_policy(svc, build.is_some(), plan, &field, d),
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
        ports: container_ports,
        env: environment.env,
        env_from: environment.env_from,
        resources: lower_resources(settings.resources.as_ref(), &field, d),
        startup_probe: probes.startup,
        readiness_probe: probes.readiness,
        liveness_probe: probes.liveness,
        volume_mounts,
        security: security.container,
        tty: svc.tty.unwrap_or(false),
        stdin: svc.stdin_open.unwrap_or(false),
    };

    let mut config_maps: Vec<_> = environment.config_map.into_iter().collect();
    config_maps.extend(planned.config_maps);
    config_maps.extend(files.config_maps);
    let mut secrets: Vec<_> = environment.secret.into_iter().collect();
    secrets.extend(files.secrets);
    let mut claims = if stateful { Vec::new() } else { volumes.claims };
    claims.extend(planned.claims);

    let image_pull_secrets = plan.cx.resolved.defaults.image_pull_secrets.clone();
    let workload = Workload {
        name: workload_name.clone(),
        name_span: span,
        field: format!("compose.{entry}.{name}"),
        namespace: plan.entry.namespace.clone(),
        entry: entry.clone(),
        labels: plan.cx.resolved.defaults.labels.clone(),
        controller,
        replicas: scaling.replicas,
        pod: Pod {
            containers: vec![container],
            init_containers,
            volumes: volumes.volumes,
            security: security.pod,
            service_account_name: security.service_account_name,
            automount_service_account_token: security.automount_token,
            image_pull_secrets,
            node_selector: node_selector(svc, &field, d),
            tolerations: Vec::new(),
            anti_affinity: lower_anti_affinity(settings.anti_affinity.as_ref(), &field, d),
            topology_spread: None,
            termination_grace_period_seconds: svc.stop_grace_period.map(|p| i64::from(seconds(p))),
            priority_class_name: None,
            host_aliases: host_aliases(svc, span, &field, d),
            hostname: hostname(svc, span, &field, d),
            annotations: annotations(svc, span, &field, d),
        },
        services,
        routes: route.into_iter().collect(),
        scaling: scaling.scaling,
        network,
        disruption_budget: budget,
        service_account: security.service_account,
        config_maps,
        secrets,
        external_secrets: Vec::new(),
        claims,
    };
    (workload, build)
}

/// The image: apps.yaml's, else the compose file's, else (build-only services) the rule of
/// `images.rs` for `<entry>-<service>`, with the build it needs.
#[allow(clippy::too_many_arguments)]
fn image(
    plan: &Plan<'_>,
    name: &str,
    svc: &ComposeService,
    settings: &crate::config::ComposeService,
    workload_name: &str,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> (String, Option<ImageBuild>) {
    if let Some(image) = &settings.image {
        return (image.value.clone(), None);
    }
    let Some(build) = &svc.build else {
        d.push(
            Diagnostic::error(
                Code::MissingImage,
                format!("service `{name}` has neither `image` nor `build`"),
            )
            .at(span)
            .field(format!("{field}.image")),
        );
        return (String::new(), None);
    };
    let reference =
        plan.cx
            .images
            .reference(plan.cx.resolved.registry.as_deref(), workload_name, None);
    let context_text = build.context.as_ref().map_or(".", |c| c.value.as_str());
    if context_text.contains("://") || build.dockerfile_inline.is_some() {
        d.push(
            Diagnostic::warning(
                Code::UnsupportedBuild,
                "a remote build context or an inline Dockerfile is not built by k3s; push the image yourself",
            )
            .at(build
                .context
                .as_ref()
                .map(|c| c.span)
                .filter(|s| s.file != crate::diagnostic::FileId::builtin())
                .unwrap_or(span))
            .field(format!("{field}.build"))
            .help(format!("the manifests use `{reference}`")),
        );
        return (reference, None);
    }
    let context = plan.project.project_dir.join(context_text);
    let dockerfile = context.join(build.dockerfile.as_deref().unwrap_or("Dockerfile"));
    let image_build = ImageBuild {
        name: workload_name.to_string(),
        reference: reference.clone(),
        context,
        dockerfile,
        target: build.target.clone(),
        args: build.args.clone(),
        live_update: false,
        sync: Vec::new(),
        port_forwards: Vec::new(),
    };
    (reference, Some(image_build))
}

#[allow(clippy::too_many_arguments)]
fn route(
    plan: &Plan<'_>,
    settings: &crate::config::ComposeService,
    main: Option<&Service>,
    workload_name: &str,
    keda_http: bool,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> Option<crate::workload::Route> {
    let ingress = settings
        .ingress
        .as_ref()
        .filter(|i| i.enabled != Some(false))?;
    let Some(service) = main else {
        d.push(
            Diagnostic::error(Code::MissingKey, "an ingress needs a port to route to")
                .at(ingress.path.as_ref().map_or(span, |p| p.span))
                .field(format!("{field}.ingress"))
                .help("add `expose:` to the service, or `expose: [PORT]` under it in apps.yaml"),
        );
        return None;
    };
    let port = route_port(ingress.port.as_ref(), service, field, d);
    let ingress_field = format!("{field}.ingress");
    let spec = RouteSpec::from_ingress(
        ingress,
        workload_name,
        &service.name,
        port,
        keda_http,
        &ingress_field,
        span,
    );
    lower_route(spec, plan.cx, d)
}

/// `restart` and `deploy.restart_policy`: a Job's restart policy and retries; a long-running
/// controller always restarts its pods, which is said when the compose file asks otherwise.
fn restart_policy(
    svc: &ComposeService,
    controller: &mut Controller,
    job_settings: Option<&crate::config::JobSettings>,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) {
    let swarm = svc.deploy.as_ref().and_then(|d| d.restart_policy.as_ref());
    let (policy, retries, where_span) = match (&svc.restart, swarm) {
        (Some(restart), _) => {
            let (policy, retries) = restart
                .value
                .split_once(':')
                .unwrap_or((&restart.value, ""));
            (
                policy.to_string(),
                retries.parse::<i32>().ok(),
                restart.span,
            )
        }
        (None, Some(swarm)) => (
            match swarm.condition.as_deref() {
                Some("none") => "no".to_string(),
                Some("on-failure") => "on-failure".to_string(),
                _ => "always".to_string(),
            },
            swarm.max_attempts.and_then(|n| i32::try_from(n).ok()),
            span,
        ),
        (None, None) => return,
    };
    let job = match controller {
        Controller::Job { job } | Controller::CronJob { job, .. } => job,
        _ => {
            if policy == "no" || policy == "on-failure" {
                d.push(
                    Diagnostic::warning(
                        Code::RestartPolicy,
                        format!("restart `{policy}` is not kept: Kubernetes restarts the pods of a long-running service whenever they stop"),
                    )
                    .at(where_span)
                    .field(format!("{field}.restart"))
                    .help("for a one-shot task, set `kind: job` for the service in apps.yaml"),
                );
            }
            return;
        }
    };
    if policy == "no" {
        job.restart_policy = "Never".to_string();
    }
    if job_settings.and_then(|j| j.backoff_limit).is_none() {
        match (policy.as_str(), retries) {
            ("no", _) => job.backoff_limit = 0,
            (_, Some(n)) => job.backoff_limit = n,
            _ => {}
        }
    }
}

fn pull_policy(
    svc: &ComposeService,
    built: bool,
    plan: &Plan<'_>,
    field: &str,
    d: &mut Diagnostics,
) -> Option<String> {
    match svc.pull_policy.as_ref().map(|p| (p.value.as_str(), p.span)) {
        Some(("always", _)) => Some("Always".to_string()),
        Some(("never", _)) => Some("Never".to_string()),
        Some(("missing" | "if_not_present", _)) => Some("IfNotPresent".to_string()),
        Some(("build", _)) | None => built.then(|| plan.cx.image_pull_policy()).flatten(),
        Some((other, span)) => {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!("pull_policy `{other}` has no Kubernetes equivalent; the cluster's default applies"),
                )
                .at(span)
                .field(format!("{field}.pull_policy")),
            );
            None
        }
    }
}

/// `deploy.placement.constraints` that select node labels (`node.labels.x == y`, hostname,
/// OS, architecture); other constraints cannot be a nodeSelector and are reported.
fn node_selector(
    svc: &ComposeService,
    field: &str,
    d: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut selector = BTreeMap::new();
    let constraints = svc
        .deploy
        .as_ref()
        .and_then(|d| d.placement.as_ref())
        .map(|p| p.constraints.as_slice())
        .unwrap_or_default();
    for constraint in constraints {
        let parsed = constraint.value.split_once("==").and_then(|(key, value)| {
            let (key, value) = (key.trim(), value.trim());
            let label = match key {
                "node.hostname" => "kubernetes.io/hostname".to_string(),
                "node.platform.os" => "kubernetes.io/os".to_string(),
                "node.platform.arch" => "kubernetes.io/arch".to_string(),
                other => other.strip_prefix("node.labels.")?.to_string(),
            };
            let value = match (label.as_str(), value) {
                ("kubernetes.io/arch", "x86_64") => "amd64",
                ("kubernetes.io/arch", "aarch64") => "arm64",
                (_, value) => value,
            };
            Some((label, value.to_string()))
        });
        match parsed {
            Some((label, value)) => {
                selector.insert(label, value);
            }
            None => d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!(
                        "placement constraint `{}` cannot be a node selector; it is not kept",
                        constraint.value
                    ),
                )
                .at(constraint.span)
                .field(format!("{field}.deploy.placement.constraints")),
            ),
        }
    }
    selector
}

/// `extra_hosts` (host → addresses) as host aliases (address → hosts).
fn host_aliases(
    svc: &ComposeService,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> BTreeMap<String, Vec<String>> {
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (host, addresses) in &svc.extra_hosts {
        for address in addresses {
            if address.parse::<std::net::IpAddr>().is_err() {
                d.push(
                    Diagnostic::warning(
                        Code::UnsupportedValue,
                        format!(
                            "extra host `{host}:{address}` is not an IP address; it is not kept"
                        ),
                    )
                    .at(span)
                    .field(format!("{field}.extra_hosts")),
                );
                continue;
            }
            let hosts = aliases.entry(address.clone()).or_default();
            if !hosts.contains(host) {
                hosts.push(host.clone());
            }
        }
    }
    aliases
}

fn hostname(svc: &ComposeService, span: Span, field: &str, d: &mut Diagnostics) -> Option<String> {
    let name = svc.hostname.as_ref()?;
    match crate::names::check_dns_label(name, 63) {
        Ok(()) => Some(name.clone()),
        Err(problem) => {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!("hostname `{name}` {problem}; it is not kept"),
                )
                .at(span)
                .field(format!("{field}.hostname")),
            );
            None
        }
    }
}

/// Compose `labels` and `annotations` as pod annotations (keys Kubernetes accepts).
fn annotations(
    svc: &ComposeService,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in svc.labels.iter().chain(&svc.annotations) {
        if valid_annotation_key(key) {
            out.insert(key.clone(), value.clone());
        } else {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!("label `{key}` cannot be a Kubernetes annotation key; it is not kept"),
                )
                .at(span)
                .field(format!("{field}.labels")),
            );
        }
    }
    out
}

/// `[prefix/]name`: a DNS subdomain prefix, a name of at most 63 characters of letters,
/// digits, `-`, `_`, `.`, starting and ending with a letter or digit.
fn valid_annotation_key(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    name_ok && prefix.is_none_or(|p| crate::names::check_dns_subdomain(p).is_ok())
}
