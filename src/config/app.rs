//! `apps:` entries — traditional container apps built from a Dockerfile (or a prebuilt image).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::availability::{
    AntiAffinity, DisruptionBudget, NodeAffinity, Strategy, Toleration, TopologySpread,
};
use super::build::Build;
use super::container::Container;
use super::dependency::{Dependency, SyncRule};
use super::environment::{EnvFrom, EnvRef, Environment};
use super::ingress::Ingress;
use super::probes::Probes;
use super::resources::Resources;
use super::scaling::Scaling;
use super::secrets::SecretMount;
use super::security::{NetworkPolicy, Security, Visibility};
use super::service::ServiceSettings;
use super::value::BoolOr;
use super::volumes::Volume;
use super::workload_kind::{JobSettings, WorkloadKind};
use crate::yaml::Spanned;

/// One `apps:` entry. Any key named after a declared environment holds overrides of these
/// fields for that environment.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    pub name: Spanned<String>,
    /// Directory with the Dockerfile and sources, relative to apps.yaml.
    pub path: Option<Spanned<String>>,
    /// A prebuilt image (`repo/name:tag`) instead of building `path`.
    pub image: Option<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    pub enabled: Option<bool>,
    pub kind: Option<Spanned<WorkloadKind>>,
    pub job: Option<JobSettings>,
    pub build: Option<Build>,
    pub container: Option<Container>,
    pub resources: Option<Resources>,
    pub scaling: Option<Scaling>,
    pub probes: Option<Probes>,
    pub ingress: Option<Ingress>,
    pub service: Option<ServiceSettings>,
    pub security: Option<Security>,
    /// Shorthand for `security.visibility`.
    pub visibility: Option<Spanned<Visibility>>,
    /// Shorthand for `security.network_policy`.
    pub network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    #[serde(default)]
    pub environment: Environment,
    #[serde(default)]
    pub env_from: Vec<EnvFrom>,
    #[serde(default)]
    pub env_refs: Vec<EnvRef>,
    #[serde(default)]
    pub secrets: Vec<SecretMount>,
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// Permit `hostPath` volumes (off by default: they tie pods to nodes).
    pub allow_host_path: Option<bool>,
    /// Read files this entry names outside the project directory (apps.yaml's), after
    /// symlinks; off by default, so that a pull request cannot make k3s read `/etc/passwd`.
    pub allow_outside_project: Option<bool>,
    #[serde(default)]
    pub depends_on: Vec<Dependency>,
    /// Fixed replica count when nothing autoscales the app.
    pub replicas: Option<Spanned<u32>>,
    pub pod_disruption_budget: Option<DisruptionBudget>,
    pub anti_affinity: Option<AntiAffinity>,
    pub topology_spread: Option<TopologySpread>,
    pub strategy: Option<Strategy>,
    pub revision_history_limit: Option<i32>,
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Node affinity (`anti_affinity` keeps the app's own replicas apart).
    pub affinity: Option<NodeAffinity>,
    pub priority_class_name: Option<String>,
    pub termination_grace_period: Option<i64>,
    /// Extra labels on every object of the entry.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Extra annotations on the pods.
    #[serde(default)]
    pub pod_annotations: BTreeMap<String, String>,
    /// Local port Tilt forwards to the first container port (dev).
    pub port: Option<u16>,
    /// Tilt live update (dev).
    pub live_update: Option<bool>,
    #[serde(default)]
    pub sync: Vec<SyncRule>,
    /// Extra ingress annotations for this environment (HAProxy).
    #[serde(default)]
    pub ingress_annotations: BTreeMap<String, String>,
}
