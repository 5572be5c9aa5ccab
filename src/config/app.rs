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
    /// Entry name: a DNS label, unique across all sections. Names the workload, its Service, its
    /// Argo CD Application (`apps-<name>`) and its directory `apps/<name>/`. Example: `name: api`.
    pub name: Spanned<String>,
    /// Directory with the Dockerfile and sources, relative to apps.yaml.
    pub path: Option<Spanned<String>>,
    /// A prebuilt image (`repo/name:tag`) instead of building `path`.
    pub image: Option<Spanned<String>>,
    /// Namespace of every object of the entry. Default: `defaults.namespace` (itself default
    /// `apps`).
    pub namespace: Option<Spanned<String>>,
    /// `false` leaves the entry out of this environment in every command (usually set in an
    /// environment block). Default: true.
    pub enabled: Option<bool>,
    /// The controller that runs the pods: `deployment`, `statefulset`, `cronjob` or `job`. Default:
    /// `deployment`.
    pub kind: Option<Spanned<WorkloadKind>>,
    /// Schedule and run settings for `kind: cronjob` or `kind: job` (schedule, deadlines, retries,
    /// history).
    pub job: Option<JobSettings>,
    /// How the image is built from `path` (Dockerfile, context, target, build args) and named and
    /// tagged. Ignored with `image:`.
    pub build: Option<Build>,
    /// Command, arguments, working directory and ports of the main container; the ports also become
    /// the Service's ports.
    pub container: Option<Container>,
    /// CPU, memory, ephemeral storage and GPU requests and limits of the main container (its
    /// `resources.requests`/`limits`). Example: `{memory: 256Mi, cpu: 100m}`.
    pub resources: Option<Resources>,
    /// Who owns the replica count: nobody (`none`, the default for apps), an HPA, or a KEDA scaler
    /// (`keda-http`, `keda-queue`, `keda-cron`).
    pub scaling: Option<Scaling>,
    /// Startup, readiness and liveness probes of the main container.
    pub probes: Option<Probes>,
    /// Route from outside the cluster to the entry's Service, rendered by the environment's ingress
    /// controller (`defaults.ingress`). Example: `{path: /api, strip_prefix: true}`.
    pub ingress: Option<Ingress>,
    /// Type and annotations of the Service in front of the pods, or `enabled: false` for none.
    pub service: Option<ServiceSettings>,
    /// Visibility and NetworkPolicy, service account, and the pod and container security contexts
    /// (Pod Security Standard `restricted` unless loosened).
    pub security: Option<Security>,
    /// Shorthand for `security.visibility`.
    pub visibility: Option<Spanned<Visibility>>,
    /// Shorthand for `security.network_policy`.
    pub network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    /// Environment variables of the main container: literal values (kept as written, e.g. `PORT:
    /// 8080` is "8080"), or `{secret|configmap: NAME, key: KEY}` / `{field: metadata.name}`
    /// references. Plain values go into the container's `env`; secret-looking literals are warned
    /// about.
    #[serde(default)]
    pub environment: Environment,
    /// Import every key of a Secret or ConfigMap as variables (the container's `envFrom`). Example:
    /// `[{secret: api-env}]`.
    #[serde(default)]
    pub env_from: Vec<EnvFrom>,
    /// Single variables taken from one key of a Secret or ConfigMap
    /// (`valueFrom.secretKeyRef`/`configMapKeyRef`).
    #[serde(default)]
    pub env_refs: Vec<EnvRef>,
    /// Secrets mounted as files (`mount_path`) or imported as variables (`as_env`), optionally
    /// filled from an external store through an ExternalSecret.
    #[serde(default)]
    pub secrets: Vec<SecretMount>,
    /// Volumes mounted into the main container: `emptyDir`, `pvc` (a PersistentVolumeClaim, or
    /// volumeClaimTemplates on a StatefulSet), `secret`, `configmap` or `hostPath`.
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// Permit `hostPath` volumes (off by default: they tie pods to nodes).
    pub allow_host_path: Option<bool>,
    /// Read files this entry names outside the project directory (apps.yaml's), after
    /// symlinks; off by default, so that a pull request cannot make k3s read `/etc/passwd`.
    pub allow_outside_project: Option<bool>,
    /// Entries that must be synced first: this entry's Argo CD Application gets a later sync wave
    /// than theirs.
    #[serde(default)]
    pub depends_on: Vec<Dependency>,
    /// Fixed replica count when nothing autoscales the app.
    pub replicas: Option<Spanned<u32>>,
    /// A PodDisruptionBudget for the pods (`min_available` or `max_unavailable`); one that would
    /// block every node drain is refused.
    pub pod_disruption_budget: Option<DisruptionBudget>,
    /// Spread replicas over nodes: `preferred`, `required`, `none`, or rules per topology key (the
    /// pod's `affinity.podAntiAffinity`).
    pub anti_affinity: Option<AntiAffinity>,
    /// One topologySpreadConstraint on the pods, e.g. across zones.
    pub topology_spread: Option<TopologySpread>,
    /// Deployment rollout strategy. Default: RollingUpdate with maxUnavailable 0 and maxSurge 1
    /// (Recreate when a claim can attach to one node only).
    pub strategy: Option<Strategy>,
    /// Old ReplicaSets (or StatefulSet revisions) kept for rollback (`spec.revisionHistoryLimit`).
    /// Default: the controller's (10).
    pub revision_history_limit: Option<i32>,
    /// Secrets used to pull the image (the pod's `imagePullSecrets`), added to
    /// `defaults.image_pull_secrets`.
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    /// Node labels the pods must run on (the pod's `nodeSelector`). Example: `{kubernetes.io/arch:
    /// amd64}`.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pods tolerate (the pod's `tolerations`).
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Node affinity (`anti_affinity` keeps the app's own replicas apart).
    pub affinity: Option<NodeAffinity>,
    /// PriorityClass of the pods (`priorityClassName`).
    pub priority_class_name: Option<String>,
    /// Seconds a pod gets between SIGTERM and SIGKILL (`terminationGracePeriodSeconds`). Default:
    /// Kubernetes' 30.
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
    /// Tilt live-update syncs (dev): local paths copied into the running container without a
    /// rebuild.
    #[serde(default)]
    pub sync: Vec<SyncRule>,
    /// Extra ingress annotations for this environment (HAProxy).
    #[serde(default)]
    pub ingress_annotations: BTreeMap<String, String>,
}
