//! What Argo CD needs for one environment: an Application per entry (and for the gateway), an
//! AppProject, sync waves from `depends_on`, and `/spec/replicas` ignored where an autoscaler
//! owns it (DESIGN rule 9). Paths are where the generated tree lives in git.

use std::collections::{BTreeMap, BTreeSet};

use super::Lowered;
use super::helm::HelmRelease;
use super::namespaces::NamespacePlan;
use crate::config::{BoolOr, Dependency, DependencyType, Section};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::check_dns_label;
use crate::resolve::Resolved;
use crate::workload::{Controller, Replicas};
use crate::yaml::Spanned;

pub const DEFAULT_TREE_PATH: &str = "argocd-state";
pub const DEFAULT_SERVER: &str = "https://kubernetes.default.svc";

#[derive(Debug, Clone)]
pub struct ApplicationPlan {
    pub name: String,
    /// Its file under `applications/`: `<section>-<entry>.yaml`, `gateway.yaml`,
    /// `namespaces.yaml`.
    pub file: String,
    /// Argo CD's namespace.
    pub namespace: String,
    pub project: String,
    /// The entry it deploys (label value).
    pub entry: String,
    pub sync_wave: i32,
    pub destination: Destination,
    pub source: Source,
    pub ignore_replicas: Vec<IgnoredReplicas>,
    pub sync: SyncSettings,
    /// Where apps.yaml names what the Application deploys (its entry's name; none for the
    /// gateway), and that field: problems in the rendered object are reported there.
    pub span: Option<Span>,
    pub field: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Destination {
    /// Exactly one of server and name.
    pub server: Option<String>,
    pub name: Option<String>,
    pub namespace: String,
}

#[derive(Debug, Clone)]
pub enum Source {
    /// A directory of the generated tree.
    Directory {
        repo_url: String,
        revision: String,
        path: String,
    },
    /// A Helm chart, with values files from this repository (`$values`).
    Helm {
        release: HelmRelease,
        repo_url: String,
        revision: String,
        /// apps.yaml's directory in the repository, prefixed to values files.
        source_path: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredReplicas {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// (prune, self heal, allow empty); `None`: manual sync.
    pub automated: Option<(bool, bool, bool)>,
    pub options: Vec<String>,
    pub retry_limit: i64,
}

#[derive(Debug, Clone)]
pub struct ProjectPlan {
    pub name: String,
    pub namespace: String,
    pub environment: String,
    pub source_repos: Vec<String>,
    pub destinations: Vec<Destination>,
    /// Cluster-scoped kinds allowed: Namespace always; everything when charts are deployed.
    pub any_cluster_resource: bool,
    /// `argocd.project` when it is set: problems in the rendered object are reported there.
    pub span: Option<Span>,
}

/// Where the generated tree sits in git.
#[derive(Debug, Clone, Default)]
pub struct TreeLocation {
    /// `--repo-url`, winning over `argocd.repo_url`.
    pub repo_url_override: Option<String>,
    /// The output directory relative to apps.yaml's directory, used when `argocd.path` is not
    /// set (the default output gives `argocd-state`).
    pub tree_path: Option<String>,
    /// Manifests only, no Argo CD objects and nothing said about them (`k3s compose convert`).
    pub manifests_only: bool,
}

/// A path in the git repository: relative, and never above the repository's root.
fn check_repository_path(path: &Spanned<String>, key: &str, d: &mut Diagnostics) {
    let leaves = std::path::Path::new(&path.value).components().any(|c| {
        matches!(
            c,
            std::path::Component::ParentDir
                | std::path::Component::RootDir
                | std::path::Component::Prefix(_)
        )
    });
    if leaves {
        d.push(
            Diagnostic::error(
                Code::BadPath,
                format!(
                    "`{}` is not a path inside the repository: give it relative to the repository's root, without `..`",
                    path.value
                ),
            )
            .at(path.span)
            .field(format!("argocd.{key}")),
        );
    }
}

pub fn plan_argocd(
    resolved: &Resolved,
    entries: &[Lowered],
    helm: &[HelmRelease],
    namespaces: &[NamespacePlan],
    gateway_namespaces: &[String],
    location: &TreeLocation,
    d: &mut Diagnostics,
) -> Option<(Vec<ApplicationPlan>, ProjectPlan)> {
    let argocd = &resolved.argocd;
    let env = &resolved.env;
    // Dependencies are checked whether or not Applications can be written.
    let waves = sync_waves(resolved, d);
    let repo_url = location
        .repo_url_override
        .clone()
        .or_else(|| argocd.repo_url.as_ref().map(|r| r.value.clone()));
    let Some(repo_url) = repo_url else {
        d.push(
            Diagnostic::warning(
                Code::NoArgocdApplications,
                format!(
                    "no Argo CD Applications for `{env}`: `argocd.repo_url` is not set, so the tree has manifests only"
                ),
            )
            .field("argocd.repo_url")
            .help("add `argocd: {repo_url: https://…/your-repo.git}` to apps.yaml, or pass `--repo-url`"),
        );
        return None;
    };
    let revision = argocd
        .target_revision
        .clone()
        .unwrap_or_else(|| "HEAD".to_string());
    for (key, path) in [("path", &argocd.path), ("source_path", &argocd.source_path)] {
        if let Some(path) = path {
            check_repository_path(path, key, d);
        }
    }
    let tree_path = argocd
        .path
        .as_ref()
        .map(|p| p.value.clone())
        .or_else(|| location.tree_path.clone())
        .unwrap_or_else(|| DEFAULT_TREE_PATH.to_string());
    let tree_path = tree_path.trim_matches('/').to_string();
    let source_path = argocd
        .source_path
        .as_ref()
        .map_or_else(|| ".".to_string(), |p| p.value.clone());
    let namespace = argocd
        .namespace
        .clone()
        .unwrap_or_else(|| "argocd".to_string());
    let project = argocd
        .project
        .as_ref()
        .map_or_else(|| format!("k3s-{env}"), |p| p.value.clone());
    let (server, cluster_name) = match &argocd.destination {
        Some(dest) if dest.name.is_some() => (None, dest.name.clone()),
        Some(dest) => (
            Some(
                dest.server
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SERVER.to_string()),
            ),
            None,
        ),
        None => (Some(DEFAULT_SERVER.to_string()), None),
    };
    let destination = |namespace: &str| Destination {
        server: server.clone(),
        name: cluster_name.clone(),
        namespace: namespace.to_string(),
    };
    let sync = sync_settings(resolved);
    let app_name = |entry: &str| format!("{env}-{entry}");

    let mut applications = Vec::new();
    for lowered in entries {
        let name = app_name(&lowered.name);
        check_application_name(&name, resolved, &lowered.name, d);
        let mut sync = sync.clone();
        let ignore_replicas = ignored_replicas(lowered);
        if !ignore_replicas.is_empty() {
            sync.options
                .push("RespectIgnoreDifferences=true".to_string());
        }
        let (span, field) = origin_of(resolved, &lowered.name);
        applications.push(ApplicationPlan {
            name,
            file: format!("{}-{}.yaml", lowered.section.key(), lowered.name),
            namespace: namespace.clone(),
            project: project.clone(),
            entry: lowered.name.clone(),
            sync_wave: waves.get(&lowered.name).copied().unwrap_or(0),
            destination: destination(&lowered.namespace),
            source: Source::Directory {
                repo_url: repo_url.clone(),
                revision: revision.clone(),
                path: format!(
                    "{tree_path}/{env}/{}/{}",
                    lowered.section.key(),
                    lowered.name
                ),
            },
            ignore_replicas,
            sync,
            span,
            field,
        });
    }
    for release in helm {
        let mut sync = sync.clone();
        if !release.create_namespace {
            sync.options.retain(|o| o != "CreateNamespace=true");
        }
        let (span, field) = origin_of(resolved, &release.name);
        applications.push(ApplicationPlan {
            name: app_name(&release.name),
            file: format!("helm-{}.yaml", release.name),
            namespace: namespace.clone(),
            project: project.clone(),
            entry: release.name.clone(),
            sync_wave: waves.get(&release.name).copied().unwrap_or(0),
            destination: destination(&release.namespace),
            source: Source::Helm {
                release: release.clone(),
                repo_url: repo_url.clone(),
                revision: revision.clone(),
                source_path: source_path.trim_matches('/').to_string(),
            },
            ignore_replicas: Vec::new(),
            sync,
            span,
            field,
        });
    }
    if let Some(first) = namespaces.first() {
        check_reserved_application_name(
            "namespaces",
            "Namespaces",
            &app_name("namespaces"),
            resolved,
            d,
        );
        // Before every other Application: their objects go into these namespaces.
        let wave = waves.values().copied().min().unwrap_or(0).min(0) - 1;
        let mut sync = sync.clone();
        // It writes the Namespaces itself.
        sync.options.retain(|o| o != "CreateNamespace=true");
        applications.push(ApplicationPlan {
            name: app_name("namespaces"),
            file: "namespaces.yaml".to_string(),
            namespace: namespace.clone(),
            project: project.clone(),
            entry: "namespaces".to_string(),
            sync_wave: wave,
            // Namespaces are cluster-scoped; the destination only has to be one the project
            // allows.
            destination: destination(&first.name),
            source: Source::Directory {
                repo_url: repo_url.clone(),
                revision: revision.clone(),
                path: format!("{tree_path}/{env}/namespaces"),
            },
            ignore_replicas: Vec::new(),
            sync,
            span: None,
            field: "namespaces".to_string(),
        });
    }
    // The namespaces of the gateway's routes: none when it has no routes.
    if !gateway_namespaces.is_empty() {
        check_reserved_application_name(
            "gateway",
            "gateway's routes",
            &app_name("gateway"),
            resolved,
            d,
        );
        let gateway_namespace = gateway_namespaces
            .first()
            .cloned()
            .unwrap_or_else(|| resolved.namespace.clone());
        // The gateway's routes are applied after the workloads they point at.
        let wave = waves.values().copied().max().unwrap_or(0) + 1;
        applications.push(ApplicationPlan {
            name: app_name("gateway"),
            file: "gateway.yaml".to_string(),
            namespace: namespace.clone(),
            project: project.clone(),
            entry: "gateway".to_string(),
            sync_wave: wave,
            destination: destination(&gateway_namespace),
            source: Source::Directory {
                repo_url: repo_url.clone(),
                revision: revision.clone(),
                path: format!("{tree_path}/{env}/gateway"),
            },
            ignore_replicas: Vec::new(),
            sync: sync.clone(),
            span: None,
            field: "gateway".to_string(),
        });
    }
    applications.sort_by(|a, b| a.name.cmp(&b.name));

    let mut repos: BTreeSet<String> = BTreeSet::new();
    repos.insert(repo_url.clone());
    repos.extend(helm.iter().map(|h| h.repo_url.clone()));
    let mut destinations: BTreeSet<Destination> =
        applications.iter().map(|a| a.destination.clone()).collect();
    destinations.extend(gateway_namespaces.iter().map(|n| destination(n)));
    let project_plan = ProjectPlan {
        name: project,
        namespace,
        environment: env.clone(),
        source_repos: repos.into_iter().filter(|r| !r.is_empty()).collect(),
        destinations: destinations.into_iter().collect(),
        any_cluster_resource: !helm.is_empty(),
        span: argocd.project.as_ref().map(|p| p.span),
    };
    Some((applications, project_plan))
}

fn check_application_name(name: &str, resolved: &Resolved, entry: &str, d: &mut Diagnostics) {
    if let Err(problem) = check_dns_label(name, 63) {
        let (span, field) = origin_of(resolved, entry);
        d.push(
            Diagnostic::error(
                problem.code(),
                format!("Argo CD Application name `{name}` {problem}"),
            )
            .at_opt(span)
            .field(field)
            .help("Applications are named `<environment>-<entry>`; shorten one of them"),
        );
    }
}

/// The gateway's Application is `<env>-gateway`, the Namespaces' `<env>-namespaces`; an entry
/// called `gateway` or `namespaces` would get the same name, and Argo CD would keep only one of
/// the two.
fn check_reserved_application_name(
    entry: &str,
    what: &str,
    name: &str,
    resolved: &Resolved,
    d: &mut Diagnostics,
) {
    let Some((span, field)) = entry_name_location(resolved, entry) else {
        return;
    };
    d.push(
        Diagnostic::error(
            Code::DuplicateName,
            format!("Argo CD Application `{name}` would be written twice: once for this entry and once for the {what}"),
        )
        .at(span)
        .field(field)
        .help(format!("`{name}` is the Application of the {what}; rename this entry")),
    );
}

/// The span and field of an entry's name, for its Application.
fn origin_of(resolved: &Resolved, entry: &str) -> (Option<Span>, String) {
    match entry_name_location(resolved, entry) {
        Some((span, field)) => (Some(span), field),
        None => (None, entry.to_string()),
    }
}

/// Where the entry called `entry` is named in apps.yaml, and its field path there.
fn entry_name_location(resolved: &Resolved, entry: &str) -> Option<(Span, String)> {
    resolved
        .apps
        .iter()
        .map(|e| ("apps", &e.name))
        .chain(resolved.serverless.iter().map(|e| ("serverless", &e.name)))
        .chain(resolved.compose.iter().map(|e| ("compose", &e.name)))
        .chain(resolved.helm.iter().map(|e| ("helm", &e.name)))
        .find(|(_, n)| n.value == entry)
        .map(|(section, n)| (n.span, format!("{section}.{entry}.name")))
}

fn sync_settings(resolved: &Resolved) -> SyncSettings {
    let policy = resolved.argocd.sync_policy.clone().unwrap_or_default();
    let automated = match &policy.automated {
        None => Some((true, true, false)),
        Some(BoolOr::Bool(false)) => None,
        Some(BoolOr::Bool(true)) => Some((true, true, false)),
        Some(BoolOr::Settings(a)) => Some((
            a.prune.unwrap_or(true),
            a.self_heal.unwrap_or(true),
            a.allow_empty.unwrap_or(false),
        )),
    };
    SyncSettings {
        automated,
        options: policy
            .sync_options
            .clone()
            .unwrap_or_else(|| vec!["CreateNamespace=true".to_string()]),
        retry_limit: policy.retry_limit.unwrap_or(5),
    }
}

/// Deployments and StatefulSets whose replica count an autoscaler owns.
fn ignored_replicas(lowered: &Lowered) -> Vec<IgnoredReplicas> {
    lowered
        .entry
        .workloads
        .iter()
        .filter(|w| w.replicas == Replicas::Autoscaled)
        .filter_map(|w| {
            let kind = match w.controller {
                Controller::Deployment { .. } => "Deployment",
                Controller::StatefulSet { .. } => "StatefulSet",
                _ => return None,
            };
            Some(IgnoredReplicas {
                group: "apps".to_string(),
                kind: kind.to_string(),
                name: w.name.clone(),
                namespace: w.namespace.clone(),
            })
        })
        .collect()
}

/// Sync wave per entry: one more than the highest wave of what it depends on. Unknown
/// dependencies and cycles are errors; a dependency disabled in this environment is skipped.
fn sync_waves(resolved: &Resolved, d: &mut Diagnostics) -> BTreeMap<String, i32> {
    let mut graph: BTreeMap<String, (Section, Span, Vec<Dependency>)> = BTreeMap::new();
    for e in &resolved.helm {
        graph.insert(
            e.name.value.clone(),
            (e.section, e.name.span, e.spec.depends_on.clone()),
        );
    }
    for e in &resolved.serverless {
        graph.insert(
            e.name.value.clone(),
            (e.section, e.name.span, e.spec.depends_on.clone()),
        );
    }
    for e in &resolved.apps {
        graph.insert(
            e.name.value.clone(),
            (e.section, e.name.span, e.spec.depends_on.clone()),
        );
    }
    for e in &resolved.compose {
        graph.insert(
            e.name.value.clone(),
            (e.section, e.name.span, e.spec.depends_on.clone()),
        );
    }
    let disabled: BTreeSet<&str> = resolved
        .disabled
        .iter()
        .map(|(_, n)| n.value.as_str())
        .collect();
    // Check every edge once.
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (_, _, deps)) in &graph {
        let mut targets = Vec::new();
        for dep in deps {
            let target = &dep.name.value;
            let field = format!("{name}.depends_on");
            match graph.get(target) {
                Some((section, _, _)) => {
                    if let Some(kind) = &dep.kind
                        && !matches_section(kind.value, *section)
                    {
                        d.push(
                            Diagnostic::error(
                                Code::BadDependency,
                                format!(
                                    "`{target}` is in `{}`, not of the type given here",
                                    section.key()
                                ),
                            )
                            .at(kind.span)
                            .field(field),
                        );
                    }
                    targets.push(target.clone());
                }
                None if disabled.contains(target.as_str()) => {}
                None => d.push(
                    Diagnostic::error(
                        Code::BadDependency,
                        format!("depends on `{target}`, which no entry is called"),
                    )
                    .at(dep.name.span)
                    .field(field),
                ),
            }
        }
        edges.insert(name.clone(), targets);
    }
    let mut waves = BTreeMap::new();
    for name in graph.keys() {
        let mut stack = Vec::new();
        wave_of(name, &edges, &mut waves, &mut stack, &graph, d);
    }
    waves
}

fn matches_section(kind: DependencyType, section: Section) -> bool {
    matches!(
        (kind, section),
        (DependencyType::Helm, Section::Helm)
            | (DependencyType::Serverless, Section::Serverless)
            | (DependencyType::App, Section::Apps)
            | (DependencyType::Compose, Section::Compose)
    )
}

fn wave_of(
    name: &str,
    edges: &BTreeMap<String, Vec<String>>,
    waves: &mut BTreeMap<String, i32>,
    stack: &mut Vec<String>,
    graph: &BTreeMap<String, (Section, Span, Vec<Dependency>)>,
    d: &mut Diagnostics,
) -> i32 {
    if let Some(wave) = waves.get(name) {
        return *wave;
    }
    if let Some(start) = stack.iter().position(|n| n == name) {
        let mut cycle = stack[start..].to_vec();
        cycle.push(name.to_string());
        d.push(
            Diagnostic::error(
                Code::DependencyCycle,
                format!("depends_on forms a cycle: {}", cycle.join(" → ")),
            )
            .at_opt(graph.get(name).map(|(_, span, _)| *span))
            .field(format!("{name}.depends_on")),
        );
        waves.insert(name.to_string(), 0);
        return 0;
    }
    stack.push(name.to_string());
    let wave = edges
        .get(name)
        .into_iter()
        .flatten()
        .map(|dep| wave_of(dep, edges, waves, stack, graph, d) + 1)
        .max()
        .unwrap_or(0);
    stack.pop();
    waves.insert(name.to_string(), wave);
    wave
}
