//! `WorkloadSpec`: the settings every front-end reduces to — an apps.yaml entry, a compose
//! service after its translation, a discovered function with its decorators laid over its
//! entry. It holds settings (config types, spans kept), never Kubernetes shapes; `lower_workload`
//! is the one place that turns it into a `Workload`.

use std::collections::BTreeMap;

use crate::config::{
    AntiAffinity, DisruptionBudget, EnvFrom, EnvRef, Environment, Ingress, JobSettings,
    NodeAffinity, PodSecurityProfile, Probes, Protocol, QueueConnection, Resources, Scaling,
    ScalingType, SecretMount, Security, ServiceType, Strategy, Toleration, TopologySpread,
    Visibility, Volume,
};
use crate::diagnostic::Span;
use crate::lower::probes::LoweredProbes;
use crate::workload::{Claim, ConfigMap, Container, EnvVar, ImageBuild, PolicyRule, Secret};
use crate::yaml::Spanned;

/// One workload's settings, whichever front-end they come from.
#[derive(Debug, Clone)]
pub struct WorkloadSpec {
    /// The object name (a DNS-1123 label), shared by the controller, Service, scalers, policies.
    pub name: String,
    /// Where the name comes from, for errors about generated names.
    pub name_span: Span,
    /// How messages name the workload: `apps.web`, `serverless.fns.hello`,
    /// `compose.stack.services.db`.
    pub field: String,
    /// Where problems in the settings are reported: the field and span the settings came from
    /// (the entry for a function's entry-wide settings).
    pub settings_field: String,
    pub settings_span: Span,
    /// The apps.yaml entry it belongs to (`app.kubernetes.io/part-of`).
    pub entry: String,
    pub namespace: String,
    pub container_name: String,
    pub image: ImageSpec,
    pub controller: ControllerSpec,
    pub container: ContainerSpec,
    pub resources: Option<Resources>,
    /// The Pod Security Standard when `security.profile` is not set.
    pub default_profile: PodSecurityProfile,
    pub security: Option<Security>,
    pub volumes: Vec<Volume>,
    pub allow_host_path: bool,
    pub env: EnvSpec,
    pub probes: ProbeSpec,
    pub scaling: ScalingSpec,
    pub service: ServiceSpec,
    pub route: Option<RouteSettings>,
    pub network: NetworkSpec,
    pub disruption_budget: Option<DisruptionBudget>,
    pub placement: Placement,
    /// Labels on every object of the workload, beyond the standard ones.
    pub labels: BTreeMap<String, String>,
    pub pod_annotations: BTreeMap<String, String>,
    pub image_pull_secrets: Vec<String>,
    /// What only its front-end knows how to make.
    pub own: OwnParts,
}

/// The image the container runs, and how it is built when it is built here.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    pub reference: String,
    pub build: Option<ImageBuild>,
    /// `Some`: this pull policy (or none). `None`: the environment's for built images.
    pub pull_policy: Option<Option<String>>,
}

/// What runs the pods.
#[derive(Debug, Clone)]
pub struct ControllerSpec {
    pub kind: ControllerKind,
    /// Where the kind is given (or the workload's span), for controller errors.
    pub span: Span,
    pub job: Option<JobSettings>,
    pub strategy: Option<Strategy>,
    pub revision_history_limit: Option<i32>,
}

/// The controller kinds a workload can have; `ScaledJob` runs one Job per batch of queue
/// messages under a KEDA ScaledJob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControllerKind {
    Deployment,
    StatefulSet,
    Job,
    CronJob,
    ScaledJob,
}

impl ControllerKind {
    /// Runs to completion: no replica count, no Service, no autoscaler of its own.
    pub fn is_job(self) -> bool {
        matches!(
            self,
            ControllerKind::Job | ControllerKind::CronJob | ControllerKind::ScaledJob
        )
    }
}

impl From<crate::config::WorkloadKind> for ControllerKind {
    fn from(kind: crate::config::WorkloadKind) -> ControllerKind {
        use crate::config::WorkloadKind;
        match kind {
            WorkloadKind::Deployment => ControllerKind::Deployment,
            WorkloadKind::Statefulset => ControllerKind::StatefulSet,
            WorkloadKind::Job => ControllerKind::Job,
            WorkloadKind::Cronjob => ControllerKind::CronJob,
        }
    }
}

/// The main container's process and ports.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub working_dir: Option<String>,
    pub tty: bool,
    pub stdin: bool,
    pub ports: Vec<PortSetting>,
    /// Where port problems are reported (`apps.web.container`).
    pub ports_field: String,
}

/// A container port and the Service port in front of it.
#[derive(Debug, Clone)]
pub struct PortSetting {
    pub name: Option<(String, Span)>,
    pub container_port: u16,
    pub protocol: Protocol,
    /// The Service's port; the container port when not given.
    pub service_port: Option<u16>,
    pub node_port: Option<u16>,
}

/// The environment of the main container, before it is split into objects.
#[derive(Debug, Clone, Default)]
pub struct EnvSpec {
    /// Variables the front-end sets itself (the function runtime contract), first and as given.
    pub given: Vec<EnvVar>,
    /// Name → literal or reference.
    pub environment: Environment,
    pub env_refs: Vec<EnvRef>,
    pub env_from: Vec<EnvFrom>,
    /// Secrets imported whole, beyond `env_from` (a function's `@serverless(secrets=…)`).
    pub extra_env_from: Vec<crate::workload::EnvFrom>,
    /// apps.yaml `secrets:` (mounted, imported, or filled by an ExternalSecret).
    pub secrets: Vec<SecretMount>,
    pub layout: EnvLayout,
    /// What becomes of the values Secrets would carry from the input (the split Secret of
    /// `EnvLayout::Objects`, `own.secrets`).
    pub secret_values: SecretValues,
}

/// Secret values taken from the input files (compose `secrets:`, secret-looking variables).
#[derive(Debug, Clone, Default)]
pub enum SecretValues {
    /// Written into the Secret as given (apps.yaml literals are warned about where written).
    #[default]
    AsGiven,
    /// Kept out of git: with `defaults.secret_store`, each such Secret is an ExternalSecret of
    /// that store instead (remote key: the Secret's name, one property per key); without one,
    /// each value written in plain text is warned about, with the help for a variable (a key
    /// of `environment`) or for a file (any other key).
    OutOfGit {
        variable_help: String,
        file_help: String,
    },
}

/// Where literal values go.
#[derive(Debug, Clone, Default)]
pub enum EnvLayout {
    /// Into the pod spec, as apps.yaml writes them.
    #[default]
    Inline,
    /// Plain values into ConfigMap `name`, secret-looking ones into Secret `name`, both imported
    /// with `envFrom` (seed 002: compose services).
    Objects { name: String },
}

/// Probes as settings (checked against the ports), or already made by the front-end.
// One per workload, moved once: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ProbeSpec {
    Settings(Option<Probes>),
    Given(LoweredProbes),
}

#[derive(Debug, Clone)]
pub struct ScalingSpec {
    pub settings: Option<Scaling>,
    /// The type when `scaling.type` is not given.
    pub default_type: ScalingType,
    pub replicas: Option<Spanned<u32>>,
    /// Where queues live when `scaling.queue` does not say.
    pub queue_defaults: Vec<QueueConnection>,
    /// Warn about fields the chosen type does not use (off where the settings are shared with
    /// workloads that scale differently).
    pub warn_unused: bool,
}

/// The Service in front of the container ports, when there are ports and it is not a Job.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub name: String,
    pub kind: ServiceType,
    pub annotations: BTreeMap<String, String>,
    pub enabled: bool,
}

/// An ingress route to the workload's Service.
#[derive(Debug, Clone)]
pub struct RouteSettings {
    pub ingress: Ingress,
    /// Methods the route admits (empty: all).
    pub methods: Vec<String>,
    /// Requests per minute per client, over `ingress.rate_limit`, and the field that sets it.
    pub rate_per_minute: Option<(Spanned<u32>, String)>,
    /// `apps.web.ingress`.
    pub field: String,
    pub span: Span,
    /// Said when the workload has no port to route to.
    pub no_port_help: Option<String>,
}

/// Who may reach the pods.
#[derive(Debug, Clone)]
pub struct NetworkSpec {
    /// The visibility when `security.visibility` does not say.
    pub default_visibility: DefaultVisibility,
    /// Rules beyond what the visibility admits (compose's `allow_external`, published ports).
    pub extra_ingress: Vec<PolicyRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultVisibility {
    Fixed(Visibility),
    /// `public` when the workload has an ingress route, else `internal` (apps).
    PublicWhenRouted,
}

/// Where the pods may run and how they stop.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub node_affinity: Option<NodeAffinity>,
    pub anti_affinity: Option<AntiAffinity>,
    pub topology_spread: Option<TopologySpread>,
    pub priority_class_name: Option<String>,
    pub termination_grace_period_seconds: Option<i64>,
}

/// Parts of the workload that only its front-end makes.
#[derive(Debug, Clone, Default)]
pub struct OwnParts {
    pub init_containers: Vec<Container>,
    /// Other names the workload is reached by (compose `container_name`, `hostname`, network
    /// aliases): each another Service onto the same pods, with the main Service's ports.
    pub service_aliases: Vec<String>,
    /// `/etc/hosts` entries: IP → host names.
    pub host_aliases: BTreeMap<String, Vec<String>>,
    pub hostname: Option<String>,
    pub config_maps: Vec<ConfigMap>,
    pub secrets: Vec<Secret>,
    /// Claims of other workloads' volumes this one carries (compose shared claims).
    pub claims: Vec<Claim>,
}
