//! Argo CD custom resources (`argoproj.io/v1alpha1`): Application and AppProject, as Argo CD
//! v3.5 defines them. Types only; which applications exist is the renderers' business.

use std::collections::BTreeMap;

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// A set of manifests (a Git path, a Helm chart, ...) that Argo CD keeps in sync with a
/// destination cluster and namespace.
///
/// Argo CD (not the CRD) rejects: both or neither of `destination.server` and
/// `destination.name`; a project that does not allow the source repo or destination.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "argoproj.io",
    version = "v1alpha1",
    kind = "Application",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// AppProject name; `default` exists in every installation.
    pub project: String,
    /// One source. Use either this or `sources`: when `sources` is non-empty Argo CD ignores
    /// `source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ApplicationSource>,
    /// Several sources, e.g. a Helm chart plus a Git repo holding its values (`ref`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<ApplicationSource>,
    pub destination: ApplicationDestination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_policy: Option<SyncPolicy>,
    /// Fields Argo CD must not treat as drift, e.g. `/spec/replicas` of a Deployment whose
    /// replica count an HPA or KEDA owns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore_differences: Vec<ResourceIgnoreDifferences>,
    /// Past syncs kept for rollback; Argo CD defaults it to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSource {
    /// Git or Helm repository URL, or an OCI reference. The CRD spells it `repoURL`.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// Directory in a Git repository; unused for Helm repository charts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Branch, tag or commit (Git), or chart version (Helm); Argo CD defaults to `HEAD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_revision: Option<String>,
    /// Chart name, for Helm repositories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart: Option<String>,
    /// Names this source so other sources can use `$<ref>/path` in `helm.valueFiles`; only
    /// meaningful in `sources`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<ApplicationSourceHelm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<ApplicationSourceKustomize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<ApplicationSourceDirectory>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSourceHelm {
    /// Relative to the source path, or `$<ref>/...` from another source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub value_files: Vec<String>,
    /// Values as one YAML string; prefer `values_object`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<String>,
    /// Values as structured YAML. The CRD leaves it schemaless
    /// (`x-kubernetes-preserve-unknown-fields`), hence a JSON value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_object: Option<serde_json::Value>,
    /// Argo CD defaults it to the Application's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_name: Option<String>,
    /// `--set` style overrides, applied after the values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<HelmParameter>,
    /// Namespace for the chart's templates; defaults to the destination namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_crds: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmParameter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Like `--set-string`: keep `true` or `1` a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_string: Option<bool>,
}

/// Options for a source that is a kustomization.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSourceKustomize {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_suffix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Image overrides as kustomize writes them: `name=newName:tag` or `name:tag`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub common_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub common_annotations: BTreeMap<String, String>,
}

/// Options for a source that is a plain directory of manifests.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSourceDirectory {
    /// Read subdirectories too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurse: Option<bool>,
    /// Glob of files to include, e.g. `*.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<String>,
}

/// Where to deploy: a cluster by API `server` URL or by registered `name` (exactly one), and
/// a namespace. Also the item type of `AppProject::destinations`, where `*` globs are allowed
/// and the one-of rule does not apply.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationDestination {
    /// e.g. `https://kubernetes.default.svc` for the cluster Argo CD runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// For namespaced objects that do not set their own namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicy {
    /// Present means automated sync; `Some(SyncPolicyAutomated::default())` serializes as
    /// `automated: {}`, which enables it with Argo CD's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automated: Option<SyncPolicyAutomated>,
    /// e.g. `CreateNamespace=true`, `ServerSideApply=true`, `RespectIgnoreDifferences=true`
    /// (without the latter, ignored fields are still overwritten on sync).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sync_options: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryStrategy>,
    /// Labels and annotations for the namespace that `CreateNamespace=true` creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_namespace_metadata: Option<ManagedNamespaceMetadata>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPolicyAutomated {
    /// Delete resources that are no longer in Git.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
    /// Undo changes made in the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_heal: Option<bool>,
    /// Allow syncing to zero resources (otherwise a guard against an emptied path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_empty: Option<bool>,
    /// Switches automation off without deleting this block; Argo CD treats unset as true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryStrategy {
    /// Attempts; a negative value retries forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backoff {
    /// Go duration (`"5s"`) or plain seconds as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedNamespaceMetadata {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// Fields of matching resources that Argo CD ignores when comparing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceIgnoreDifferences {
    /// API group; empty or unset for the core group. `apps` for Deployments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Required.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// RFC 6901 pointers, e.g. `/spec/replicas`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub json_pointers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jq_path_expressions: Vec<String>,
    /// Ignore fields owned by these field managers (server-side apply), e.g. an HPA controller.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_fields_managers: Vec<String>,
}

/// Groups Applications and limits where they may come from and deploy to, and what kinds
/// they may create.
///
/// An empty `cluster_resource_whitelist` allows no cluster-scoped kinds; an empty
/// `namespace_resource_whitelist` allows every namespaced kind. Both serialize as absent.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "argoproj.io",
    version = "v1alpha1",
    kind = "AppProject",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct AppProjectSpec {
    /// At most 255 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Repository URLs (globs allowed, `*` for any) that Applications may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_repos: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub destinations: Vec<ApplicationDestination>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_resource_whitelist: Vec<ClusterResourceRestriction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_resource_blacklist: Vec<ClusterResourceRestriction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespace_resource_whitelist: Vec<GroupKind>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespace_resource_blacklist: Vec<GroupKind>,
    /// Namespaces other than Argo CD's own where Applications of this project may live.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_namespaces: Vec<String>,
}

/// A cluster-scoped kind, optionally narrowed to one object name. `group` is required, `""`
/// for the core group; `*` globs are allowed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterResourceRestriction {
    pub group: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A namespaced kind. `group` is required, `""` for the core group; `*` globs are allowed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupKind {
    pub group: String,
    pub kind: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn destination() -> ApplicationDestination {
        ApplicationDestination {
            server: Some("https://kubernetes.default.svc".into()),
            name: None,
            namespace: Some("shop".into()),
        }
    }

    #[test]
    fn application_with_one_source() {
        let mut app = Application::new(
            "shop",
            ApplicationSpec {
                project: "platform".into(),
                source: Some(ApplicationSource {
                    repo_url: "https://git.example.com/platform/gitops.git".into(),
                    path: Some("argocd-state/prod/shop".into()),
                    target_revision: Some("main".into()),
                    directory: Some(ApplicationSourceDirectory {
                        recurse: Some(true),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                destination: destination(),
                sync_policy: Some(SyncPolicy {
                    automated: Some(SyncPolicyAutomated {
                        prune: Some(true),
                        self_heal: Some(true),
                        ..Default::default()
                    }),
                    sync_options: vec![
                        "CreateNamespace=true".into(),
                        "RespectIgnoreDifferences=true".into(),
                    ],
                    retry: Some(RetryStrategy {
                        limit: Some(5),
                        backoff: Some(Backoff {
                            duration: Some("5s".into()),
                            factor: Some(2),
                            max_duration: Some("3m".into()),
                        }),
                    }),
                    ..Default::default()
                }),
                ignore_differences: vec![ResourceIgnoreDifferences {
                    group: Some("apps".into()),
                    kind: "Deployment".into(),
                    name: Some("shop".into()),
                    json_pointers: vec!["/spec/replicas".into()],
                    ..Default::default()
                }],
                revision_history_limit: Some(10),
                ..Default::default()
            },
        );
        app.metadata.namespace = Some("argocd".into());
        let v = serde_json::to_value(&app).unwrap();
        assert_eq!(v["apiVersion"], "argoproj.io/v1alpha1");
        assert_eq!(v["kind"], "Application");
        let spec = &v["spec"];
        assert_eq!(
            spec["source"]["repoURL"],
            "https://git.example.com/platform/gitops.git"
        );
        assert_eq!(spec["source"]["directory"], json!({"recurse": true}));
        assert!(spec.get("sources").is_none());
        assert_eq!(
            spec["destination"],
            json!({"server": "https://kubernetes.default.svc", "namespace": "shop"})
        );
        assert_eq!(
            spec["syncPolicy"]["automated"],
            json!({"prune": true, "selfHeal": true})
        );
        assert_eq!(spec["syncPolicy"]["retry"]["backoff"]["maxDuration"], "3m");
        assert_eq!(
            spec["ignoreDifferences"][0]["jsonPointers"],
            json!(["/spec/replicas"])
        );
    }

    #[test]
    fn application_with_sources_has_no_source() {
        let app = Application::new(
            "valkey",
            ApplicationSpec {
                project: "platform".into(),
                sources: vec![
                    ApplicationSource {
                        repo_url: "registry-1.docker.io/bitnamicharts".into(),
                        chart: Some("valkey".into()),
                        target_revision: Some("2.4.0".into()),
                        helm: Some(ApplicationSourceHelm {
                            release_name: Some("valkey".into()),
                            value_files: vec!["$values/helm/valkey/values-prod.yaml".into()],
                            values_object: Some(json!({"replica": {"replicaCount": 2}})),
                            parameters: vec![HelmParameter {
                                name: Some("auth.enabled".into()),
                                value: Some("true".into()),
                                force_string: None,
                            }],
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                    ApplicationSource {
                        repo_url: "https://git.example.com/platform/gitops.git".into(),
                        target_revision: Some("main".into()),
                        r#ref: Some("values".into()),
                        ..Default::default()
                    },
                ],
                destination: destination(),
                sync_policy: Some(SyncPolicy {
                    automated: Some(SyncPolicyAutomated::default()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&app).unwrap();
        let spec = &v["spec"];
        assert!(spec.get("source").is_none());
        assert_eq!(spec["sources"].as_array().unwrap().len(), 2);
        let helm = &spec["sources"][0]["helm"];
        assert_eq!(helm["releaseName"], "valkey");
        assert_eq!(helm["valuesObject"]["replica"]["replicaCount"], 2);
        assert_eq!(
            helm["parameters"][0],
            json!({"name": "auth.enabled", "value": "true"})
        );
        assert_eq!(spec["sources"][1]["ref"], "values");
        assert_eq!(spec["syncPolicy"], json!({"automated": {}}));
    }

    #[test]
    fn app_project_serializes_like_the_crd() {
        let p = AppProject::new(
            "platform",
            AppProjectSpec {
                description: Some("Everything k3s generates".into()),
                source_repos: vec!["https://git.example.com/platform/gitops.git".into()],
                destinations: vec![ApplicationDestination {
                    server: Some("https://kubernetes.default.svc".into()),
                    name: None,
                    namespace: Some("*".into()),
                }],
                cluster_resource_whitelist: vec![ClusterResourceRestriction {
                    group: "".into(),
                    kind: "Namespace".into(),
                    name: None,
                }],
                namespace_resource_whitelist: vec![GroupKind {
                    group: "apps".into(),
                    kind: "Deployment".into(),
                }],
                source_namespaces: vec!["argocd".into()],
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["apiVersion"], "argoproj.io/v1alpha1");
        assert_eq!(v["kind"], "AppProject");
        let spec = &v["spec"];
        assert_eq!(
            spec["clusterResourceWhitelist"],
            json!([{"group": "", "kind": "Namespace"}])
        );
        assert_eq!(
            spec["namespaceResourceWhitelist"],
            json!([{"group": "apps", "kind": "Deployment"}])
        );
        assert_eq!(spec["destinations"][0]["namespace"], "*");
        assert!(spec.get("clusterResourceBlacklist").is_none());
    }
}
