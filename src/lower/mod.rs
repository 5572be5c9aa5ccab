//! Lowering: each front-end (apps, serverless functions, compose services) becomes the same
//! `Workload` model. This is where the kinds differ, and the only place; renderers never know
//! which front-end a workload came from.

mod app;
mod argocd_plan;
mod availability;
mod build;
mod compose;
mod context;
mod dockerfile;
mod entries;
mod env;
mod env_objects;
mod extra_services;
mod function;
mod gateway;
mod gitops;
mod helm;
mod hpa_requests;
mod namespaces;
mod network;
mod out_of_git;
mod ports;
mod probes;
mod resources;
mod route;
mod route_controller;
mod scaling;
pub(crate) mod security;
mod service;
mod spec;
mod sync_waves;
mod volumes;
mod workload;
mod workload_kind;

pub use argocd_plan::{
    ApplicationPlan, ArgocdPlan, Destination, IgnoredReplicas, ProjectPlan, RootPlan, Source,
    SyncSettings, TreeLocation,
};
pub use compose::{
    DEFAULT_CLAIM_SIZE, ServiceHints, VolumeHint, init_hints, load_compose_project, lower_compose,
    lower_compose_project, well_known_port,
};
pub use context::LowerContext;
pub use function::function_visibility;
pub use gateway::GatewayRoute;
pub use helm::HelmRelease;
pub use namespaces::{NamespacePlan, SYSTEM_NAMESPACES};

use self::entries::{Entries, check_interceptor_routing};
use crate::config::Section;
use crate::diagnostic::Diagnostics;
use crate::workload::LoweredEntry;

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
    /// The namespaces the workloads run in, each to get a Namespace object.
    pub namespaces: Vec<NamespacePlan>,
    /// The Helm charts deployed (Argo CD deploys them from their Applications, Tilt itself).
    pub helm: Vec<HelmRelease>,
    /// Empty, with no project, when the repository URL is unknown.
    pub applications: Vec<ApplicationPlan>,
    pub project: Option<ProjectPlan>,
    /// The root Application (app-of-apps), with the project.
    pub root: Option<RootPlan>,
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
    let mut entries = Entries::default();
    for entry in &cx.resolved.serverless {
        let lowered = function::lower_function_project(entry, cx, &mut d);
        entries.insert(Lowered::new(entry, lowered), &mut d);
    }
    for entry in &cx.resolved.apps {
        let lowered = app::lower_app(entry, cx, &mut d);
        entries.insert(Lowered::new(entry, lowered), &mut d);
    }
    for entry in &cx.resolved.compose {
        let lowered = compose::lower_compose(entry, cx, &mut d);
        entries.insert(Lowered::new(entry, lowered), &mut d);
    }
    let helm: Vec<HelmRelease> = cx
        .resolved
        .helm
        .iter()
        .filter_map(|entry| helm::lower_helm(entry, cx, &mut d))
        .collect();
    let mut entries = entries.into_entries();
    let gateway = match &cx.resolved.gateway {
        Some(g) => gateway::lower_gateway(g, &mut entries, cx, &mut d),
        None => Vec::new(),
    };
    // The gateway tells keda-http scalers its hosts and paths: routing is checked after it.
    check_interceptor_routing(&entries, &mut d);
    let mut gateway_namespaces: Vec<String> = gateway.iter().map(|g| g.namespace.clone()).collect();
    gateway_namespaces.sort();
    gateway_namespaces.dedup();
    let namespaces = namespaces::plan_namespaces(&entries, &helm);
    let argocd = if location.manifests_only {
        None
    } else {
        gitops::plan_argocd(
            cx.resolved,
            &entries,
            &helm,
            &namespaces,
            &gateway_namespaces,
            location,
            &mut d,
        )
    };
    if d.has_errors() {
        return Err(d);
    }
    let (applications, project, root) = match argocd {
        Some(ArgocdPlan {
            applications,
            project,
            root,
        }) => (applications, Some(project), Some(root)),
        None => (Vec::new(), None, None),
    };
    Ok(LoweredEnvironment {
        entries,
        gateway,
        namespaces,
        helm,
        applications,
        project,
        root,
        warnings: d,
    })
}

/// Checks a Kubernetes CronJob schedule.
pub(crate) fn check_cron(expression: &str) -> Result<(), String> {
    crate::cron::validate_cron(expression)
}
