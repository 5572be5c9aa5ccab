//! `argocd:` — where the generated tree lives in git and how Argo CD syncs it.

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::BoolOr;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArgoCd {
    /// Git repository holding apps.yaml and the generated tree (overridable with `--repo-url`).
    pub repo_url: Option<Spanned<String>>,
    /// Branch, tag or commit; default `HEAD`.
    pub target_revision: Option<String>,
    /// Path of the generated tree in the repository; default `argocd-state`.
    pub path: Option<Spanned<String>>,
    /// Path of apps.yaml's directory in the repository (for `$values` refs); default `.`.
    pub source_path: Option<Spanned<String>>,
    /// AppProject name; default `k3s-<env>`.
    pub project: Option<Spanned<String>>,
    /// Namespace Argo CD runs in; default `argocd`.
    pub namespace: Option<String>,
    /// Cluster the Applications deploy to. Default: the in-cluster API server.
    pub destination: Option<Destination>,
    /// Sync policy of every Application (automated, sync options, retries).
    pub sync_policy: Option<SyncPolicy>,
    /// Cluster-scoped kinds the AppProject allows besides `Namespace`, as `group/Kind` (`Kind`
    /// alone for the core group): what Helm charts install, e.g.
    /// `rbac.authorization.k8s.io/ClusterRole`, `apiextensions.k8s.io/CustomResourceDefinition`.
    pub cluster_resources: Option<Spanned<Vec<String>>>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// API server URL; default `https://kubernetes.default.svc`.
    pub server: Option<String>,
    /// Cluster name registered in Argo CD (instead of `server`).
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncPolicy {
    /// Automated sync; default `{prune: true, self_heal: true}`.
    pub automated: Option<BoolOr<Automated>>,
    /// Default `[CreateNamespace=true]`.
    pub sync_options: Option<Vec<String>>,
    /// Retries of a failed sync; default 5.
    pub retry_limit: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Automated {
    /// Delete objects no longer in git. Default: true.
    pub prune: Option<bool>,
    /// Undo changes made in the cluster outside git. Default: true.
    pub self_heal: Option<bool>,
    /// Allow a sync that would leave the Application with no objects. Default: false.
    pub allow_empty: Option<bool>,
}
