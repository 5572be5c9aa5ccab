//! Argo CD Applications and the AppProject from their plans: a directory source for each
//! entry's generated manifests, a multi-source Helm Application (chart + `$values` from git)
//! for charts. Builds objects only; where files go is the emitter's business.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::crd::argocd::{
    AppProject, AppProjectSpec, Application, ApplicationDestination, ApplicationSource,
    ApplicationSourceHelm, ApplicationSpec, Backoff, ClusterResourceRestriction, GroupKind,
    ResourceIgnoreDifferences, RetryStrategy, SyncPolicy, SyncPolicyAutomated,
};
use super::object::object;
use crate::lower::{ApplicationPlan, Destination, ProjectPlan, Source};

object!(AppProject, "AppProject", APP_PROJECT);
object!(Application, "Application", APPLICATION);

/// The Argo CD annotation that orders Applications in an app-of-apps sync.
const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

pub fn render_application(plan: &ApplicationPlan) -> Application {
    let (source, sources) = match &plan.source {
        Source::Directory {
            repo_url,
            revision,
            path,
        } => (
            Some(ApplicationSource {
                repo_url: repo_url.clone(),
                path: Some(path.clone()),
                target_revision: Some(revision.clone()),
                ..ApplicationSource::default()
            }),
            Vec::new(),
        ),
        Source::Helm {
            release,
            repo_url,
            revision,
            source_path,
        } => {
            let chart = ApplicationSource {
                repo_url: release.repo_url.clone(),
                chart: Some(release.chart.clone()),
                target_revision: Some(release.version.clone()),
                helm: Some(ApplicationSourceHelm {
                    release_name: Some(release.release_name.clone()),
                    value_files: release
                        .values
                        .iter()
                        .map(|file| values_ref(source_path, file))
                        .collect(),
                    ..ApplicationSourceHelm::default()
                }),
                ..ApplicationSource::default()
            };
            if release.values.is_empty() {
                (Some(chart), Vec::new())
            } else {
                // Values files stay in git: the second source is this repository, as `$values`.
                let values = ApplicationSource {
                    repo_url: repo_url.clone(),
                    target_revision: Some(revision.clone()),
                    r#ref: Some("values".to_string()),
                    ..ApplicationSource::default()
                };
                (None, vec![chart, values])
            }
        }
    };
    Application {
        metadata: ObjectMeta {
            name: Some(plan.name.clone()),
            namespace: Some(plan.namespace.clone()),
            labels: Some(labels(&plan.entry, &plan.project)),
            annotations: Some(BTreeMap::from([(
                SYNC_WAVE.to_string(),
                plan.sync_wave.to_string(),
            )])),
            finalizers: Some(vec!["resources-finalizer.argocd.argoproj.io".to_string()]),
            ..ObjectMeta::default()
        },
        spec: ApplicationSpec {
            project: plan.project.clone(),
            source,
            sources,
            destination: destination(&plan.destination),
            sync_policy: Some(SyncPolicy {
                automated: plan.sync.automated.map(|(prune, self_heal, allow_empty)| {
                    SyncPolicyAutomated {
                        prune: Some(prune),
                        self_heal: Some(self_heal),
                        allow_empty: allow_empty.then_some(true),
                        ..SyncPolicyAutomated::default()
                    }
                }),
                sync_options: plan.sync.options.clone(),
                retry: Some(RetryStrategy {
                    limit: Some(plan.sync.retry_limit),
                    backoff: Some(Backoff {
                        duration: Some("5s".to_string()),
                        factor: Some(2),
                        max_duration: Some("3m".to_string()),
                    }),
                }),
                ..SyncPolicy::default()
            }),
            ignore_differences: plan
                .ignore_replicas
                .iter()
                .map(|i| ResourceIgnoreDifferences {
                    group: Some(i.group.clone()),
                    kind: i.kind.clone(),
                    name: Some(i.name.clone()),
                    namespace: Some(i.namespace.clone()),
                    json_pointers: vec!["/spec/replicas".to_string()],
                    ..ResourceIgnoreDifferences::default()
                })
                .collect(),
            revision_history_limit: Some(10),
        },
    }
}

pub fn render_project(plan: &ProjectPlan) -> AppProject {
    let cluster = plan
        .cluster_kinds
        .iter()
        .map(|(group, kind)| ClusterResourceRestriction {
            group: group.clone(),
            kind: kind.clone(),
            name: None,
        })
        .collect();
    let namespaced = plan
        .namespace_kinds
        .iter()
        .map(|(group, kind)| GroupKind {
            group: group.clone(),
            kind: kind.clone(),
        })
        .collect();
    AppProject {
        metadata: ObjectMeta {
            name: Some(plan.name.clone()),
            namespace: Some(plan.namespace.clone()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_string(),
                "k3s".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        spec: AppProjectSpec {
            description: Some(plan.description.clone()),
            source_repos: plan.source_repos.clone(),
            destinations: plan.destinations.iter().map(destination).collect(),
            cluster_resource_whitelist: cluster,
            namespace_resource_whitelist: namespaced,
            ..AppProjectSpec::default()
        },
    }
}

fn destination(d: &Destination) -> ApplicationDestination {
    ApplicationDestination {
        server: d.server.clone(),
        name: d.name.clone(),
        namespace: Some(d.namespace.clone()),
    }
}

fn labels(entry: &str, project: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            "k3s".to_string(),
        ),
        ("app.kubernetes.io/part-of".to_string(), project.to_string()),
        ("k3s.io/entry".to_string(), entry.to_string()),
    ])
}

/// `$values/<dir of apps.yaml>/<file>`.
fn values_ref(source_path: &str, file: &str) -> String {
    if source_path.is_empty() || source_path == "." {
        format!("$values/{file}")
    } else {
        format!("$values/{source_path}/{file}")
    }
}
