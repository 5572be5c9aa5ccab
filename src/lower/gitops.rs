//! What Argo CD needs for one environment: an Application per entry (and for the gateway), an
//! AppProject, sync waves from `depends_on`, and `/spec/replicas` ignored where an autoscaler
//! owns it (DESIGN rule 9). Paths are where the generated tree lives in git.

use std::collections::{BTreeSet, HashMap};

use super::Lowered;
use super::argocd_plan::{
    ApplicationPlan, ArgocdPlan, Destination, IgnoredReplicas, ProjectPlan, RootPlan, Source,
    SyncSettings, TreeLocation,
};
use super::helm::HelmRelease;
use super::namespaces::NamespacePlan;
use super::sync_waves::sync_waves;
use crate::config::BoolOr;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::check_dns_label;
use crate::resolve::Resolved;
use crate::workload::{Controller, Replicas};
use crate::yaml::Spanned;

pub const DEFAULT_TREE_PATH: &str = "argocd-state";
pub const DEFAULT_SERVER: &str = "https://kubernetes.default.svc";

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
) -> Option<ArgocdPlan> {
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
    let source_path = argocd
        .source_path
        .as_ref()
        .map_or_else(|| ".".to_string(), |p| p.value.clone());
    let tree_path = match (&argocd.path, &location.tree_path) {
        (Some(path), _) => path.value.clone(),
        (None, Some(relative)) => repository_join(&source_path, relative),
        (None, None) => match &location.repository_tree_path {
            Some(path) => path.clone(),
            None => {
                if let Some(output) = &location.unplaced_output {
                    d.push(
                        Diagnostic::warning(
                            Code::NoArgocdApplications,
                            format!(
                                "`{output}` is neither below apps.yaml's directory nor in a git \
                                 repository: the Applications of `{env}` point at \
                                 `{DEFAULT_TREE_PATH}/{env}`"
                            ),
                        )
                        .field("argocd.path")
                        .help("set `argocd.path` to where the tree is committed in the repository"),
                    );
                }
                repository_join(&source_path, DEFAULT_TREE_PATH)
            }
        },
    };
    let tree_path = tree_path.trim_matches('/').to_string();
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
    let names = EntryNames::of(resolved);
    let app_name = |entry: &str| format!("{env}-{entry}");

    let mut applications = Vec::new();
    for lowered in entries {
        let name = app_name(&lowered.name);
        check_application_name(&name, &names, &lowered.name, d);
        let mut sync = sync.clone();
        let ignore_replicas = ignored_replicas(lowered);
        if !ignore_replicas.is_empty() {
            sync.options
                .push("RespectIgnoreDifferences=true".to_string());
        }
        let (span, field) = names.origin(&lowered.name);
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
        let (span, field) = names.origin(&release.name);
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
            &names,
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
            &names,
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
    // Argo CD's own namespace is never a destination: an Application there could rewrite
    // Argo CD's objects (other Applications, its secrets).
    // The gateway's routes to Argo CD's own UI live in its namespace: then the gateway's
    // Application belongs to the root project, which may write there (only the route kinds,
    // added when the routes are rendered).
    let gateway_in_argocd = gateway_namespaces.contains(&namespace);
    let root_project = format!("{project}-root");
    for application in &mut applications {
        if application.file == "gateway.yaml" && gateway_in_argocd {
            application.project = root_project.clone();
        }
    }
    for application in &applications {
        // The gateway's may (see above); the Namespaces' only names one of the entries'.
        let exempt = matches!(
            application.file.as_str(),
            "gateway.yaml" | "namespaces.yaml"
        );
        if application.destination.namespace == namespace && !exempt {
            d.push(
                Diagnostic::error(
                    Code::BadValue,
                    format!(
                        "`{}` would deploy into `{namespace}`, the namespace Argo CD runs in",
                        application.entry
                    ),
                )
                .at_opt(application.span)
                .field(application.field.clone())
                .help("give the entry another namespace (or run Argo CD in another with `argocd.namespace`)"),
            );
        }
    }
    destinations.retain(|dest| dest.namespace != namespace);
    let creates_namespaces = !namespaces.is_empty()
        || applications
            .iter()
            .any(|a| a.sync.options.iter().any(|o| o == "CreateNamespace=true"));
    let mut cluster_kinds = if creates_namespaces {
        vec![(String::new(), "Namespace".to_string())]
    } else {
        Vec::new()
    };
    if let Some(extra) = &argocd.cluster_resources {
        for written in &extra.value {
            let (group, kind) = written.rsplit_once('/').unwrap_or(("", written.as_str()));
            if kind.is_empty() || group.contains('/') {
                d.push(
                    Diagnostic::error(
                        Code::BadValue,
                        format!("`{written}` is not a kind: write `group/Kind`, or `Kind` for the core group"),
                    )
                    .at(extra.span)
                    .field("argocd.cluster_resources"),
                );
                continue;
            }
            let pair = (group.to_string(), kind.to_string());
            if !cluster_kinds.contains(&pair) {
                cluster_kinds.push(pair);
            }
        }
    }
    let source_repos: Vec<String> = repos.into_iter().filter(|r| !r.is_empty()).collect();
    let mut root_destinations = vec![Destination {
        server: Some(DEFAULT_SERVER.to_string()),
        name: None,
        namespace: namespace.clone(),
    }];
    if gateway_in_argocd {
        for n in gateway_namespaces {
            let dest = destination(n);
            if !root_destinations.contains(&dest) {
                root_destinations.push(dest);
            }
        }
    }
    check_reserved_application_name("root", "root Application", &app_name("root"), &names, d);
    let mut root_sync = sync.clone();
    root_sync.options.retain(|o| o != "CreateNamespace=true");
    let root = RootPlan {
        application: ApplicationPlan {
            name: app_name("root"),
            file: "root.yaml".to_string(),
            namespace: namespace.clone(),
            project: root_project.clone(),
            entry: "root".to_string(),
            sync_wave: 0,
            // Applications live beside Argo CD, whichever cluster they deploy to.
            destination: Destination {
                server: Some(DEFAULT_SERVER.to_string()),
                name: None,
                namespace: namespace.clone(),
            },
            source: Source::Directory {
                repo_url: repo_url.clone(),
                revision: revision.clone(),
                path: format!("{tree_path}/{env}"),
            },
            ignore_replicas: Vec::new(),
            sync: root_sync,
            span: None,
            field: "argocd".to_string(),
        },
        project: ProjectPlan {
            name: root_project,
            namespace: namespace.clone(),
            environment: env.clone(),
            source_repos: vec![repo_url.clone()],
            destinations: root_destinations,
            cluster_kinds: Vec::new(),
            namespace_kinds: vec![
                ("argoproj.io".to_string(), "Application".to_string()),
                ("argoproj.io".to_string(), "AppProject".to_string()),
            ],
            description: format!(
                "The root Application of the {env} environment: Applications and their AppProject"
            ),
            span: argocd.project.as_ref().map(|p| p.span),
        },
    };
    let project_plan = ProjectPlan {
        name: project,
        namespace,
        environment: env.clone(),
        source_repos,
        destinations: destinations.into_iter().collect(),
        cluster_kinds,
        namespace_kinds: Vec::new(),
        description: format!("Everything k3s generates for the {env} environment"),
        span: argocd.project.as_ref().map(|p| p.span),
    };
    Some(ArgocdPlan {
        applications,
        project: project_plan,
        root,
    })
}

/// `dir/path` in the repository, `path` alone when `dir` is its root.
fn repository_join(dir: &str, path: &str) -> String {
    let dir = dir.trim_matches('/');
    if dir.is_empty() || dir == "." {
        path.to_string()
    } else {
        format!("{dir}/{path}")
    }
}

fn check_application_name(name: &str, names: &EntryNames, entry: &str, d: &mut Diagnostics) {
    if let Err(problem) = check_dns_label(name, 63) {
        let (span, field) = names.origin(entry);
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
    names: &EntryNames,
    d: &mut Diagnostics,
) {
    let Some((span, field)) = names.location(entry) else {
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

/// Where each entry is named in apps.yaml (the first of a name, in section order), looked up
/// once per Application: a search per entry made planning quadratic in the number of entries.
struct EntryNames<'a>(HashMap<&'a str, (Span, &'static str)>);

impl<'a> EntryNames<'a> {
    fn of(resolved: &'a Resolved) -> EntryNames<'a> {
        let mut names = HashMap::new();
        let all = (resolved.apps.iter().map(|e| ("apps", &e.name)))
            .chain(resolved.serverless.iter().map(|e| ("serverless", &e.name)))
            .chain(resolved.compose.iter().map(|e| ("compose", &e.name)))
            .chain(resolved.helm.iter().map(|e| ("helm", &e.name)));
        for (section, name) in all {
            names
                .entry(name.value.as_str())
                .or_insert((name.span, section));
        }
        EntryNames(names)
    }

    /// The span of the entry's name and its field path there.
    fn location(&self, entry: &str) -> Option<(Span, String)> {
        let (span, section) = self.0.get(entry)?;
        Some((*span, format!("{section}.{entry}.name")))
    }

    /// The span and field of an entry's name, for its Application.
    fn origin(&self, entry: &str) -> (Option<Span>, String) {
        match self.location(entry) {
            Some((span, field)) => (Some(span), field),
            None => (None, entry.to_string()),
        }
    }
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
