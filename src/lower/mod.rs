//! Lowering: each front-end (apps, serverless functions, compose services) becomes the same
//! `Workload` model. This is where the kinds differ, and the only place; renderers never know
//! which front-end a workload came from.

mod app;
mod availability;
mod build;
mod compose;
mod context;
mod dockerfile;
mod env;
mod env_objects;
mod function;
mod gateway;
mod gitops;
mod helm;
mod network;
mod ports;
mod probes;
mod resources;
mod route;
mod scaling;
mod security;
mod service;
mod spec;
mod volumes;
mod workload;
mod workload_kind;

pub use compose::{
    DEFAULT_CLAIM_SIZE, ServiceHints, VolumeHint, init_hints, load_compose_project, lower_compose,
    lower_compose_project, well_known_port,
};
pub use context::LowerContext;
pub use env_objects::looks_secret;
pub use function::function_visibility;
pub use gateway::GatewayRoute;
pub use gitops::{
    ApplicationPlan, Destination, IgnoredReplicas, ProjectPlan, Source, SyncSettings, TreeLocation,
};
pub use helm::HelmRelease;

use std::collections::BTreeMap;

use crate::config::Section;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::names::check_dns_label;
use crate::workload::{LoweredEntry, Workload};

/// One entry's lowering, with the section and name it came from.
#[derive(Debug)]
pub struct Lowered {
    pub section: Section,
    pub name: String,
    pub namespace: String,
    pub entry: LoweredEntry,
}

impl Lowered {
    fn new<T>(entry: &crate::resolve::Entry<T>, lowered: LoweredEntry) -> Lowered {
        Lowered {
            section: entry.section,
            name: entry.name.value.clone(),
            namespace: entry.namespace.clone(),
            entry: lowered,
        }
    }
}

/// Everything one environment lowers to.
#[derive(Debug)]
pub struct LoweredEnvironment {
    pub entries: Vec<Lowered>,
    pub gateway: Vec<GatewayRoute>,
    /// Empty, with no project, when the repository URL is unknown.
    pub applications: Vec<ApplicationPlan>,
    pub project: Option<ProjectPlan>,
    /// Warnings found on the way.
    pub warnings: Diagnostics,
}

/// Lowers every enabled entry of the resolved environment, the gateway, and the Argo CD
/// objects that deploy them.
pub fn lower_environment(
    cx: &LowerContext<'_>,
    location: &TreeLocation,
) -> Result<LoweredEnvironment, Diagnostics> {
    let mut d = Diagnostics::new();
    let mut entries = Vec::new();
    for entry in &cx.resolved.serverless {
        entries.push(Lowered::new(
            entry,
            function::lower_function_project(entry, cx, &mut d),
        ));
    }
    for entry in &cx.resolved.apps {
        entries.push(Lowered::new(entry, app::lower_app(entry, cx, &mut d)));
    }
    for entry in &cx.resolved.compose {
        entries.push(Lowered::new(
            entry,
            compose::lower_compose(entry, cx, &mut d),
        ));
    }
    let helm: Vec<HelmRelease> = cx
        .resolved
        .helm
        .iter()
        .filter_map(|entry| helm::lower_helm(entry, cx, &mut d))
        .collect();
    let gateway = match &cx.resolved.gateway {
        Some(g) => gateway::lower_gateway(g, &mut entries, cx, &mut d),
        None => Vec::new(),
    };
    check_interceptor_routing(&entries, &mut d);
    for lowered in &entries {
        for workload in &lowered.entry.workloads {
            check_object_names(workload, &mut d);
        }
    }
    check_unique_names(&entries, &mut d);
    check_unique_objects(&entries, &mut d);
    let mut gateway_namespaces: Vec<String> = gateway.iter().map(|g| g.namespace.clone()).collect();
    gateway_namespaces.sort();
    gateway_namespaces.dedup();
    let argocd = gitops::plan_argocd(
        cx.resolved,
        &entries,
        &helm,
        !gateway.is_empty(),
        &gateway_namespaces,
        location,
        &mut d,
    );
    if d.has_errors() {
        return Err(d);
    }
    let (applications, project) = match argocd {
        Some((applications, project)) => (applications, Some(project)),
        None => (Vec::new(), None),
    };
    Ok(LoweredEnvironment {
        entries,
        gateway,
        applications,
        project,
        warnings: d,
    })
}

/// One compose entry alone (`k3s compose generate`, `k3s compose convert`): lowered from
/// `project` when the caller has loaded it, else from the entry's own files, with the same
/// name checks `lower_environment` makes. Warnings come back with the result.
pub fn lower_compose_entry(
    entry: &crate::resolve::Entry<crate::config::ComposeEntry>,
    project: Option<&crate::sources::compose::ComposeProject>,
    cx: &LowerContext<'_>,
) -> Result<(Lowered, Diagnostics), Diagnostics> {
    let mut d = Diagnostics::new();
    let lowered = match project {
        Some(project) => compose::lower_compose_project(entry, project, cx, &mut d),
        None => compose::lower_compose(entry, cx, &mut d),
    };
    let lowered = Lowered {
        section: Section::Compose,
        name: entry.name.value.clone(),
        namespace: entry.namespace.clone(),
        entry: lowered,
    };
    for workload in &lowered.entry.workloads {
        check_object_names(workload, &mut d);
    }
    check_unique_names(std::slice::from_ref(&lowered), &mut d);
    check_unique_objects(std::slice::from_ref(&lowered), &mut d);
    if d.has_errors() {
        Err(d)
    } else {
        Ok((lowered, d))
    }
}

/// The KEDA interceptor routes by host and longest path prefix. Two keda-http workloads on the
/// same host and prefix cannot be told apart (an error). One matching everything (`/`, e.g.
/// after stripping its prefix) beside others on its host works by longest prefix, except for
/// its own paths that start with another's prefix (a warning that says which).
fn check_interceptor_routing(entries: &[Lowered], d: &mut Diagnostics) {
    let mut seen: Vec<(String, String, &Workload)> = Vec::new();
    for workload in entries.iter().flat_map(|e| e.entry.workloads.iter()) {
        let crate::workload::Scaling::Http {
            hosts,
            path_prefixes,
            ..
        } = &workload.scaling
        else {
            continue;
        };
        for host in hosts {
            for prefix in path_prefixes {
                for (other_host, other_prefix, other) in &seen {
                    let same_workload =
                        other.name == workload.name && other.namespace == workload.namespace;
                    if other_host != host || same_workload {
                        continue;
                    }
                    if other_prefix == prefix {
                        d.push(
                            Diagnostic::error(
                                Code::AmbiguousInterceptorRoute,
                                format!(
                                    "the KEDA interceptor cannot tell `{}` from `{}`: both are reached on host `{host}` with path `{prefix}`",
                                    workload.field, other.field
                                ),
                            )
                            .at(workload.name_span)
                            .field(workload.field.clone())
                            .label(other.name_span, "the other workload")
                            .help("give one its own host, or keep its path prefix (strip_prefix: false) so the paths differ"),
                        );
                    } else if other_prefix == "/" || prefix == "/" {
                        let (catch_all, specific, specific_prefix) = if prefix == "/" {
                            (workload, *other, other_prefix)
                        } else {
                            (*other, workload, prefix)
                        };
                        d.push(
                            Diagnostic::warning(
                                Code::OverlappingInterceptorRoute,
                                format!(
                                    "on host `{host}` the KEDA interceptor sees every path of `{}` (its prefix is stripped); its requests whose remaining path starts with `{specific_prefix}` go to `{}`",
                                    catch_all.field, specific.field
                                ),
                            )
                            .at(catch_all.name_span)
                            .field(catch_all.field.clone())
                            .help("set strip_prefix: false (the app then serves under its prefix) or give it its own host to avoid the overlap"),
                        );
                    }
                }
                seen.push((host.clone(), prefix.clone(), workload));
            }
        }
    }
}

/// Every name a workload's objects will carry is a DNS label of at most 63 characters; a name
/// that would be longer is reported at the entry that causes it, never shortened.
fn check_object_names(w: &Workload, d: &mut Diagnostics) {
    let mut names: Vec<(&str, String)> = vec![("workload", w.name.clone())];
    names.extend(w.services.iter().map(|s| ("Service", s.name.clone())));
    names.extend(
        w.routes
            .iter()
            .map(|r| ("ExternalName Service", r.backend.service.clone())),
    );
    names.extend(
        w.claims
            .iter()
            .map(|c| ("PersistentVolumeClaim", c.name.clone())),
    );
    names.extend(w.config_maps.iter().map(|c| ("ConfigMap", c.name.clone())));
    names.extend(w.secrets.iter().map(|s| ("Secret", s.name.clone())));
    if let Some(sa) = &w.service_account {
        names.push(("ServiceAccount", sa.name.clone()));
    }
    for (kind, name) in names {
        if let Err(problem) = check_dns_label(&name, 63) {
            d.push(
                Diagnostic::error(problem.code(), format!("{kind} name `{name}` {problem}"))
                    .at(w.name_span)
                    .field(w.field.clone())
                    .help("shorten the entry (or function, or service) name"),
            );
        }
    }
}

/// Objects other than the workloads' own (Services, ConfigMaps, Secrets, claims) must not
/// share a kind, name and namespace either: compose Services keep their services' own names, so
/// two compose entries (or an app and a compose service) in one namespace can clash.
fn check_unique_objects(entries: &[Lowered], d: &mut Diagnostics) {
    let mut seen: BTreeMap<(&str, &str, String), &Workload> = BTreeMap::new();
    for workload in entries.iter().flat_map(|e| e.entry.workloads.iter()) {
        let mut names: Vec<(&str, String)> = Vec::new();
        names.extend(
            workload
                .services
                .iter()
                .map(|s| ("Service", s.name.clone())),
        );
        names.extend(
            workload
                .config_maps
                .iter()
                .map(|c| ("ConfigMap", c.name.clone())),
        );
        names.extend(workload.secrets.iter().map(|s| ("Secret", s.name.clone())));
        names.extend(
            workload
                .claims
                .iter()
                .map(|c| ("PersistentVolumeClaim", c.name.clone())),
        );
        names.sort();
        names.dedup();
        for (kind, name) in names {
            let key = (kind, workload.namespace.as_str(), name.clone());
            match seen.get(&key) {
                Some(other) => d.push(
                    Diagnostic::error(
                        Code::DuplicateObject,
                        format!(
                            "{kind} `{name}` in namespace `{}` comes from both `{}` and `{}`",
                            workload.namespace, other.field, workload.field
                        ),
                    )
                    .at(workload.name_span)
                    .field(workload.field.clone())
                    .label(other.name_span, "the other one")
                    .help("rename one of them, or put the entries in different namespaces"),
                ),
                None => {
                    seen.insert(key, workload);
                }
            }
        }
    }
}

/// Two workloads of one namespace never share a name, whichever entries they come from (an app
/// `api-hello` and the function `hello` of the serverless entry `api` would).
fn check_unique_names(lowered: &[Lowered], d: &mut Diagnostics) {
    let mut first: std::collections::BTreeMap<(&str, &str), &Workload> = Default::default();
    for workload in lowered.iter().flat_map(|l| &l.entry.workloads) {
        let key = (workload.namespace.as_str(), workload.name.as_str());
        match first.get(&key) {
            Some(earlier) => d.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!(
                        "`{}` and `{}` both generate objects named `{}` in namespace `{}`",
                        earlier.field, workload.field, workload.name, workload.namespace
                    ),
                )
                .at(workload.name_span)
                .field(workload.field.clone())
                .label(
                    earlier.name_span,
                    format!("`{}` is named here", earlier.field),
                )
                .help("rename one of them"),
            ),
            None => {
                first.insert(key, workload);
            }
        }
    }
}

/// Checks a Kubernetes CronJob schedule.
pub(crate) fn check_cron(expression: &str) -> Result<(), String> {
    crate::cron::validate_cron(expression)
}
