//! One compose service translated into a `WorkloadSpec`: its merged settings and what the
//! project plan decided (controller kind, volumes, ports, who reaches it), plus what only compose
//! has (init containers waiting on dependencies, secret and config files, host aliases).

use std::collections::BTreeMap;

use super::dependencies::{image_copy_container, wait_containers};
use super::files::{FileKind, FilesInput, lower_files};
use super::healthcheck::{healthcheck_probes, seconds};
use super::pod::{annotations, host_aliases, hostname, node_selector};
use super::ports::{ServicePorts, pin_node_ports, service_type};
use super::{Plan, Prepared};
use crate::config::{
    BoolOr, Build, ComposeNetworkPolicy, EnvValue, Environment, JobRestartPolicy, JobSettings,
    PodSecurityProfile, ScalingType, Security, ServiceType, SettingsSource, Visibility,
    WorkloadKind,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::lower::build::{BuildInput, lower_image_build};
use crate::lower::network::lower_peers;
use crate::lower::probes::LoweredProbes;
use crate::lower::spec::{
    ContainerSpec, ControllerSpec, DefaultVisibility, EnvLayout, EnvSpec, ImageSpec, NetworkSpec,
    OwnParts, Placement, ProbeSpec, RouteSettings, ScalingSpec, SecretValues, ServiceSpec,
    WorkloadSpec,
};
use crate::lower::workload::{LoweredWorkload, lower_workload};
use crate::names::to_dns_label;
use crate::sources::compose::Service as ComposeService;
use crate::workload::{Peer, PolicyPort, PolicyRule};
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
    let service_type = service_type(&ports, requested_type, stateful);
    let port_settings = pin_node_ports(&ports, service_type, &field, &at, d);
    let route = settings
        .ingress
        .as_ref()
        .filter(|i| i.enabled != Some(false))
        .map(|ingress| RouteSettings {
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
            node_selector: node_selector(svc, &field, d),
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

/// The one rule for the entry's `network.policy` with a service's `visibility` (module docs):
/// the policy admits the service's project peers — `permissive`: every pod of its namespace;
/// `strict`: the services sharing a compose network with it, plus `allow_external` — and, on
/// top, what its `visibility` admits: `internal`/`public` every namespace (and the ingress
/// controller when routed), `private` nothing more, `restricted` its `allowed_sources`.
/// `network_policy` settings add their rules; `network_policy: false` removes the policy.
/// `none` renders none, unless the service sets `network_policy` itself (then its project
/// peers are its namespace); a `visibility` it would ignore is warned about, never dropped.
/// Published ports are open to any source.
fn network(
    plan: &Plan<'_>,
    name: &str,
    settings: &crate::config::ComposeService,
    ports: &ServicePorts,
    service_type: ServiceType,
    span: Span,
    d: &mut Diagnostics,
) -> (Option<Security>, NetworkSpec) {
    let mut security = settings.security.clone().unwrap_or_default();
    let network = plan.entry.spec.network.clone().unwrap_or_default();
    let entry_field = plan.entry.field();
    let all_ports: Vec<PolicyPort> = ports
        .container
        .iter()
        .map(|p| PolicyPort {
            protocol: p.protocol,
            port: p.container_port,
            end_port: None,
        })
        .collect();
    let own_policy = security.network_policy.as_ref().map(|p| match &p.value {
        BoolOr::Bool(enabled) => *enabled,
        BoolOr::Settings(np) => np.enabled.unwrap_or(true),
    });
    let visibility = security.visibility.clone();
    let policy = match network.policy.unwrap_or(ComposeNetworkPolicy::Permissive) {
        ComposeNetworkPolicy::None if own_policy == Some(true) => ComposeNetworkPolicy::Permissive,
        policy => policy,
    };
    let mut extra_ingress = Vec::new();
    // A rule without ports admits every port: a service that listens on none gets no rule.
    // Every namespace (internal, public) already holds the project's peers.
    let open_to_all = visibility
        .as_ref()
        .is_some_and(|v| matches!(v.value, Visibility::Internal | Visibility::Public));
    let listens = !all_ports.is_empty() && !open_to_all;
    match policy {
        ComposeNetworkPolicy::None => {
            if own_policy.is_none() {
                security.network_policy = Some(Spanned::new(BoolOr::Bool(false), span));
                if let Some(visibility) = &visibility {
                    d.push(
                        Diagnostic::warning(
                            Code::NetworkRule,
                            format!(
                                "visibility `{}` has no effect: `network.policy: none` renders no NetworkPolicy",
                                visibility_name(visibility.value)
                            ),
                        )
                        .at(visibility.span)
                        .field(format!("{}.security.visibility", plan.field(name)))
                        .help(format!(
                            "set `network.policy: permissive` or `strict` {}, or `network_policy: true` {}",
                            plan.place(),
                            plan.at(name)
                        )),
                    );
                }
            }
        }
        ComposeNetworkPolicy::Permissive => {
            if listens {
                extra_ingress.push(PolicyRule {
                    peers: vec![Peer::Pods(BTreeMap::new())],
                    ports: all_ports.clone(),
                });
            }
            if !all_ports.is_empty() && !network.allow_external.is_empty() {
                extra_ingress.push(PolicyRule {
                    peers: lower_peers(
                        &network.allow_external,
                        &format!("{entry_field}.network.allow_external"),
                        span,
                        d,
                    ),
                    ports: all_ports.clone(),
                });
            }
            if let Some(v) = visibility
                .as_ref()
                .filter(|v| v.value == Visibility::Restricted)
            {
                d.push(
                    Diagnostic::warning(
                        Code::NetworkRule,
                        "visibility `restricted` cannot narrow `network.policy: permissive`, which admits every pod of the namespace",
                    )
                    .at(v.span)
                    .field(format!("{}.security.visibility", plan.field(name)))
                    .help(format!(
                        "set `network.policy: strict` {} to admit only the services sharing a compose network (and `allowed_sources`)",
                        plan.place()
                    )),
                );
            }
        }
        ComposeNetworkPolicy::Strict => {
            let neighbours: Vec<Peer> = plan.neighbours(name).into_iter().map(Peer::Pods).collect();
            if listens && !neighbours.is_empty() {
                extra_ingress.push(PolicyRule {
                    peers: neighbours,
                    ports: all_ports.clone(),
                });
            }
            if !all_ports.is_empty() && !network.allow_external.is_empty() {
                extra_ingress.push(PolicyRule {
                    peers: lower_peers(
                        &network.allow_external,
                        &format!("{entry_field}.network.allow_external"),
                        span,
                        d,
                    ),
                    ports: all_ports.clone(),
                });
            }
        }
    }
    // What the visibility admits beyond the project's peers: `private` adds nothing.
    match visibility.as_ref().map(|v| v.value) {
        None | Some(Visibility::Private) => {
            if !security.allowed_sources.is_empty() {
                d.push(
                    Diagnostic::warning(
                        Code::UnusedSetting,
                        "`allowed_sources` has no effect without `visibility: restricted`: the service admits only the project's services",
                    )
                    .at(visibility.as_ref().map_or(span, |v| v.span))
                    .field(format!("{}.security.allowed_sources", plan.field(name)))
                    .help(format!(
                        "set `visibility: restricted` {} to admit these sources as well",
                        plan.at(name)
                    )),
                );
            }
            security.visibility = Some(Spanned::new(
                Visibility::Restricted,
                visibility.as_ref().map_or(span, |v| v.span),
            ));
            security.allowed_sources = Vec::new();
        }
        Some(Visibility::Restricted | Visibility::Internal | Visibility::Public) => {}
    }
    if matches!(
        service_type,
        ServiceType::NodePort | ServiceType::LoadBalancer
    ) {
        let published: Vec<PolicyPort> = ports
            .published
            .iter()
            .filter(|p| !p.local)
            .map(|p| PolicyPort {
                protocol: p.protocol,
                port: p.target,
                end_port: None,
            })
            .collect();
        if !published.is_empty() {
            extra_ingress.push(PolicyRule {
                peers: Vec::new(),
                ports: published,
            });
        }
    }
    (
        Some(security),
        NetworkSpec {
            default_visibility: DefaultVisibility::Fixed(Visibility::Private),
            extra_ingress,
        },
    )
}

fn visibility_name(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public => "public",
        Visibility::Internal => "internal",
        Visibility::Private => "private",
        Visibility::Restricted => "restricted",
    }
}

/// The image: apps.yaml's (a prebuilt image), else the compose file's `build:` — tagged with
/// the compose `image` name (and tag) when it gives one, else with the rule of `images.rs` for
/// `<entry>-<service>` — under the environment's registry, else the compose `image` as is.
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
) -> ImageSpec {
    let pull_policy = pull_policy(svc, field, d);
    let apps_yaml_image = super::settings::apps_yaml_settings(&plan.entry.spec, name).image;
    if let Some(image) =
        apps_yaml_image.or_else(|| settings.image.clone().filter(|_| svc.build.is_none()))
    {
        return ImageSpec {
            reference: image.value.clone(),
            build: None,
            pull_policy,
        };
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
        return ImageSpec {
            reference: String::new(),
            build: None,
            pull_policy,
        };
    };
    // `build:` with `image:` names what the build is tagged as (compose pushes it there).
    let named = settings
        .image
        .as_ref()
        .map(|image| image_name(&image.value, plan.cx.resolved.registry.is_some()));
    let settings = Build {
        context: Some(
            build
                .context
                .clone()
                .unwrap_or_else(|| Spanned::new(".".to_string(), span)),
        ),
        dockerfile: build
            .dockerfile
            .as_ref()
            .map(|f| Spanned::new(f.clone(), span)),
        target: build.target.clone(),
        args: build.args.clone(),
        image: named
            .as_ref()
            .map(|(name, _)| Spanned::new(name.clone(), span)),
        tag: named
            .as_ref()
            .and_then(|(_, tag)| tag.clone())
            .map(|tag| Spanned::new(tag, span)),
        ..Build::default()
    };
    let image_build = lower_image_build(
        &BuildInput {
            build: &settings,
            dir: &plan.project.project_dir,
            default_name: workload_name,
            generated_dockerfile: false,
            check_dockerfile: false,
            dockerfile_help: None,
            live_update: false,
            sync: &[],
            field,
            span,
            outside: plan.entry.spec.allow_outside_project.unwrap_or(false),
        },
        plan.cx,
        d,
    );
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
            .help(format!("the manifests use `{}`", image_build.reference)),
        );
        return ImageSpec {
            reference: image_build.reference,
            build: None,
            pull_policy,
        };
    }
    ImageSpec {
        reference: image_build.reference.clone(),
        build: Some(image_build),
        pull_policy,
    }
}

/// The name and tag a compose `image:` gives a build: `ghcr.io/acme/api:1.2` is `acme/api`
/// and `1.2` under an environment registry (which replaces the registry host), else
/// `ghcr.io/acme/api`; a digest cannot be built, so it gives no tag.
fn image_name(image: &str, has_registry: bool) -> (String, Option<String>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let digest = without_digest.len() != image.len();
    let (repository, tag) = match without_digest.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag.to_string())),
        _ => (without_digest, None),
    };
    let repository = match repository.split_once('/') {
        Some((host, rest))
            if has_registry
                && (host.contains('.') || host.contains(':') || host == "localhost") =>
        {
            rest
        }
        _ => repository,
    };
    (repository.to_string(), tag.filter(|_| !digest))
}

/// What deciding a service's Job settings needs beyond the service.
struct JobInput<'a> {
    /// apps.yaml's `job:` settings, which win.
    settings: Option<&'a JobSettings>,
    /// Why a service whose `restart` says it runs once is kept running.
    kept_running: Option<&'a str>,
    span: Span,
    field: &'a str,
    at: &'a str,
}

/// `restart` and `deploy.restart_policy`: a Job's restart policy and retries (apps.yaml's
/// `job:` settings win): `no` → `Never` and no retry, `on-failure:N` → N retries. A
/// long-running controller always restarts its pods, which is said when the compose file asks
/// otherwise, with why the service is long-running.
fn job_settings(
    svc: &ComposeService,
    kind: WorkloadKind,
    input: &JobInput<'_>,
    d: &mut Diagnostics,
) -> Option<JobSettings> {
    let settings = input.settings;
    let is_job = matches!(kind, WorkloadKind::Job | WorkloadKind::Cronjob);
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
            input.span,
        ),
        (None, None) => return settings.cloned(),
    };
    if !is_job {
        if policy == "no" || policy == "on-failure" {
            let why = match input.kept_running {
                Some(why) => format!("it runs as a {} because {why}", kind_name(kind)),
                None => format!("it runs as a {}", kind_name(kind)),
            };
            d.push(
                Diagnostic::warning(
                    Code::RestartPolicy,
                    format!("restart `{policy}` is not kept: {why}, whose pods Kubernetes restarts whenever they stop"),
                )
                .at(where_span)
                .field(format!("{}.restart", input.field))
                .help(format!("for a one-shot task, set `kind: job` {}", input.at)),
            );
        }
        return settings.cloned();
    }
    let mut job = settings.cloned().unwrap_or_default();
    if policy == "no" && job.restart_policy.is_none() {
        job.restart_policy = Some(JobRestartPolicy::Never);
    }
    if job.backoff_limit.is_none() {
        match (policy.as_str(), retries) {
            ("no", _) => job.backoff_limit = Some(0),
            (_, Some(n)) => job.backoff_limit = Some(n),
            _ => {}
        }
    }
    Some(job)
}

fn kind_name(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::Statefulset => "StatefulSet",
        WorkloadKind::Job => "Job",
        WorkloadKind::Cronjob => "CronJob",
    }
}

/// `pull_policy` as the container's; `None` (and `build`) leaves the environment's policy for
/// built images.
fn pull_policy(svc: &ComposeService, field: &str, d: &mut Diagnostics) -> Option<Option<String>> {
    match svc.pull_policy.as_ref().map(|p| (p.value.as_str(), p.span)) {
        Some(("always", _)) => Some(Some("Always".to_string())),
        Some(("never", _)) => Some(Some("Never".to_string())),
        Some(("missing" | "if_not_present", _)) => Some(Some("IfNotPresent".to_string())),
        Some(("build", _)) | None => None,
        Some((other, span)) => {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!("pull_policy `{other}` has no Kubernetes equivalent; the cluster's default applies"),
                )
                .at(span)
                .field(format!("{field}.pull_policy")),
            );
            Some(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::image_name;

    #[test]
    fn a_compose_image_names_its_build_under_the_registry() {
        let name = |i: &str, r: bool| image_name(i, r);
        assert_eq!(
            name("names-backend:latest", true),
            ("names-backend".to_string(), Some("latest".to_string()))
        );
        assert_eq!(
            name("ghcr.io/acme/api:1.2", true),
            ("acme/api".to_string(), Some("1.2".to_string()))
        );
        assert_eq!(
            name("ghcr.io/acme/api:1.2", false),
            ("ghcr.io/acme/api".to_string(), Some("1.2".to_string()))
        );
        assert_eq!(name("localhost:5000/api", true), ("api".to_string(), None));
        assert_eq!(name("acme/api@sha256:abc", true).1, None);
    }
}
