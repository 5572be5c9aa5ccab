//! The Argo CD plan of one environment, as the renderer reads it: Applications, their
//! destinations and sources, the AppProject, the root Application, and where the tree lives.

use super::helm::HelmRelease;
use crate::diagnostic::Span;

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
    /// Cluster-scoped kinds allowed, `(group, kind)`: Namespace when the tree writes
    /// Namespaces or an Application creates its namespace; nothing else k3s writes is
    /// cluster-scoped.
    pub cluster_kinds: Vec<(String, String)>,
    /// Namespaced kinds allowed, `(group, kind)`; empty: every kind.
    pub namespace_kinds: Vec<(String, String)>,
    /// Its `spec.description`.
    pub description: String,
    /// `argocd.project` when it is set: problems in the rendered object are reported there.
    pub span: Option<Span>,
}

/// The root Application of an environment (app-of-apps) and the AppProject it belongs to,
/// which may only put Applications and AppProjects into Argo CD's namespace. The user applies
/// both once (`kubectl apply -k <env>/bootstrap`); the root then syncs `<env>/`.
#[derive(Debug, Clone)]
pub struct RootPlan {
    pub application: ApplicationPlan,
    pub project: ProjectPlan,
}

/// What Argo CD gets for one environment.
#[derive(Debug, Clone)]
pub struct ArgocdPlan {
    pub applications: Vec<ApplicationPlan>,
    pub project: ProjectPlan,
    pub root: RootPlan,
}

/// Where the generated tree sits in git.
#[derive(Debug, Clone, Default)]
pub struct TreeLocation {
    /// `--repo-url`, winning over `argocd.repo_url`.
    pub repo_url_override: Option<String>,
    /// The output directory relative to apps.yaml's directory, used (below
    /// `argocd.source_path`) when `argocd.path` is not set (the default output gives
    /// `argocd-state`).
    pub tree_path: Option<String>,
    /// The output directory relative to the root of the git repository holding it, when it is
    /// not below apps.yaml's directory.
    pub repository_tree_path: Option<String>,
    /// The output directory as given, when neither of the above is known: Applications cannot
    /// point at it, and a warning says so.
    pub unplaced_output: Option<String>,
    /// Manifests only, no Argo CD objects and nothing said about them (`k3s compose convert`).
    pub manifests_only: bool,
}
