//! The `Workload` model every front-end (apps, functions, compose services) is lowered into and
//! every renderer reads. It is concrete: defaults applied, names decided, routing decided; it
//! must not say which front-end a workload came from.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::config::{ConcurrencyPolicy, IntOrPercent, PathType, Protocol, Quantity, ServiceType};
use crate::diagnostic::Span;

/// One deployable unit: a pod template, its controller, and what surrounds it.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Object name (a DNS-1123 label), shared by the controller, Service, scalers, policies.
    pub name: String,
    /// Where the name comes from, for errors about generated names.
    pub name_span: Span,
    /// How messages name it: `apps.web`, `serverless.fns.hello_world`, `compose.stack.db`.
    pub field: String,
    pub namespace: String,
    /// The apps.yaml entry it belongs to (`app.kubernetes.io/part-of`).
    pub entry: String,
    /// Labels on every object of the workload, beyond the standard ones.
    pub labels: BTreeMap<String, String>,
    pub controller: Controller,
    pub replicas: Replicas,
    pub pod: Pod,
    pub services: Vec<Service>,
    pub routes: Vec<Route>,
    pub scaling: Scaling,
    pub network: Option<NetworkPolicy>,
    pub disruption_budget: Option<DisruptionBudget>,
    pub service_account: Option<ServiceAccount>,
    pub config_maps: Vec<ConfigMap>,
    pub secrets: Vec<Secret>,
    pub external_secrets: Vec<ExternalSecret>,
    /// Claims created beside the workload (StatefulSets use `Controller::StatefulSet.claims`).
    pub claims: Vec<Claim>,
}

impl Workload {
    /// Labels that select this workload's pods: stable for the workload's lifetime.
    pub fn selector_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("app.kubernetes.io/name".to_string(), self.name.clone()),
            ("app.kubernetes.io/instance".to_string(), self.entry.clone()),
        ])
    }

    /// Labels on every object: selector labels, `part-of`, `managed-by`, extra labels.
    pub fn object_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.extend(self.selector_labels());
        labels.insert("app.kubernetes.io/part-of".to_string(), self.entry.clone());
        labels.insert(
            "app.kubernetes.io/managed-by".to_string(),
            "k3s".to_string(),
        );
        labels
    }

    /// Labels on pods: object labels plus `app: <name>`, which NetworkPolicy rules written
    /// against the classic convention (`pod_labels: {app: web}`) select on.
    pub fn pod_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.object_labels();
        labels.insert("app".to_string(), self.name.clone());
        labels
    }

    pub fn main_container(&self) -> &Container {
        &self.pod.containers[0]
    }
}

/// What runs the pods.
#[derive(Debug, Clone)]
pub enum Controller {
    Deployment {
        strategy: RolloutStrategy,
        revision_history_limit: i32,
    },
    StatefulSet {
        /// The headless Service giving pods stable DNS names.
        service_name: String,
        /// volumeClaimTemplates; pods mount them by `Claim::name`.
        claims: Vec<Claim>,
    },
    CronJob {
        schedule: String,
        time_zone: Option<String>,
        concurrency_policy: ConcurrencyPolicy,
        starting_deadline_seconds: Option<i64>,
        successful_jobs_history_limit: i32,
        failed_jobs_history_limit: i32,
        suspend: bool,
        job: JobOptions,
    },
    Job {
        job: JobOptions,
    },
    /// A KEDA ScaledJob: one Job per batch of queue messages (`Scaling::Queue`).
    ScaledJob {
        job: JobOptions,
    },
}

#[derive(Debug, Clone)]
pub enum RolloutStrategy {
    RollingUpdate {
        max_surge: IntOrPercent,
        max_unavailable: IntOrPercent,
    },
    Recreate,
}

#[derive(Debug, Clone)]
pub struct JobOptions {
    pub active_deadline_seconds: Option<i64>,
    pub backoff_limit: i32,
    pub ttl_seconds_after_finished: Option<i32>,
    /// `OnFailure` or `Never`.
    pub restart_policy: String,
}

/// Who decides the replica count (DESIGN rule 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replicas {
    /// `spec.replicas` is written.
    Fixed(u32),
    /// An HPA or KEDA owns it: `spec.replicas` is omitted and Argo CD ignores it.
    Autoscaled,
    /// Jobs and CronJobs have no replica count.
    NotApplicable,
}

#[derive(Debug, Clone, Default)]
pub struct Pod {
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub volumes: Vec<Volume>,
    pub security: PodSecurity,
    /// `None`: the namespace's default account, with no API token mounted.
    pub service_account_name: Option<String>,
    pub automount_service_account_token: bool,
    pub image_pull_secrets: Vec<String>,
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    pub node_affinity: NodeAffinity,
    pub anti_affinity: AntiAffinity,
    pub topology_spread: Option<TopologySpread>,
    pub termination_grace_period_seconds: Option<i64>,
    pub priority_class_name: Option<String>,
    /// `/etc/hosts` entries: IP → host names.
    pub host_aliases: BTreeMap<String, Vec<String>>,
    pub hostname: Option<String>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct PodSecurity {
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub fs_group: Option<i64>,
    pub supplemental_groups: Vec<i64>,
    /// `RuntimeDefault`, `Localhost/<profile>` or `Unconfined`; `None` leaves it unset.
    pub seccomp_profile: Option<String>,
}

/// Keeping a workload's own replicas apart, per topology key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AntiAffinity {
    /// Soft rules: (topology key, weight 1–100).
    pub preferred: Vec<(String, i32)>,
    /// Hard rules: topology keys no two replicas may share.
    pub required: Vec<String>,
}

impl AntiAffinity {
    pub const HOSTNAME: &'static str = "kubernetes.io/hostname";

    /// Prefer one replica per node.
    pub fn preferred_per_node() -> AntiAffinity {
        AntiAffinity {
            preferred: vec![(AntiAffinity::HOSTNAME.to_string(), 100)],
            required: Vec::new(),
        }
    }

    /// At most one replica per node.
    pub fn required_per_node() -> AntiAffinity {
        AntiAffinity {
            preferred: Vec::new(),
            required: vec![AntiAffinity::HOSTNAME.to_string()],
        }
    }

    pub fn is_none(&self) -> bool {
        self.preferred.is_empty() && self.required.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct TopologySpread {
    pub topology_key: String,
    pub max_skew: i32,
    pub when_unsatisfiable: String,
}

/// Node label requirements: all of `required`, and `(weight, requirement)` preferences.
#[derive(Debug, Clone, Default)]
pub struct NodeAffinity {
    pub required: Vec<NodeRequirement>,
    pub preferred: Vec<(i32, NodeRequirement)>,
}

impl NodeAffinity {
    pub fn is_none(&self) -> bool {
        self.required.is_empty() && self.preferred.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct NodeRequirement {
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt` or `Lt`.
    pub operator: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Toleration {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub image_pull_policy: Option<String>,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub working_dir: Option<String>,
    pub ports: Vec<ContainerPort>,
    pub env: Vec<EnvVar>,
    pub env_from: Vec<EnvFrom>,
    pub resources: Resources,
    pub startup_probe: Option<Probe>,
    pub readiness_probe: Option<Probe>,
    pub liveness_probe: Option<Probe>,
    pub volume_mounts: Vec<VolumeMount>,
    pub security: ContainerSecurity,
    pub tty: bool,
    pub stdin: bool,
}

#[derive(Debug, Clone)]
pub struct ContainerPort {
    /// Unique in the pod, valid IANA service name (≤ 15 characters).
    pub name: String,
    pub container_port: u16,
    pub protocol: Protocol,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvSource,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EnvSource {
    Literal(String),
    SecretKey {
        name: String,
        key: String,
        optional: bool,
    },
    ConfigMapKey {
        name: String,
        key: String,
        optional: bool,
    },
    /// A pod field such as `metadata.name` or `status.podIP`.
    Field(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Secret,
    ConfigMap,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvFrom {
    pub kind: RefKind,
    pub name: String,
    pub prefix: Option<String>,
    pub optional: bool,
}

/// Resource names (`cpu`, `memory`, `ephemeral-storage`, `nvidia.com/gpu`) to quantities.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub requests: BTreeMap<String, Quantity>,
    pub limits: BTreeMap<String, Quantity>,
}

#[derive(Debug, Clone)]
pub struct Probe {
    pub action: ProbeAction,
    pub initial_delay_seconds: Option<i32>,
    pub period_seconds: Option<i32>,
    pub timeout_seconds: Option<i32>,
    pub success_threshold: Option<i32>,
    pub failure_threshold: Option<i32>,
}

#[derive(Debug, Clone)]
pub enum ProbeAction {
    Http {
        path: String,
        port: PortTarget,
        scheme: Option<String>,
    },
    Tcp {
        port: PortTarget,
    },
    Exec {
        command: Vec<String>,
    },
    Grpc {
        port: u16,
        service: Option<String>,
    },
}

/// A port by number or by container port name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortTarget {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone, Default)]
pub struct ContainerSecurity {
    pub allow_privilege_escalation: Option<bool>,
    pub read_only_root_filesystem: Option<bool>,
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub privileged: Option<bool>,
    pub capabilities_add: Vec<String>,
    pub capabilities_drop: Vec<String>,
    pub seccomp_profile: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    pub read_only: bool,
    pub sub_path: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub name: String,
    pub source: VolumeSource,
}

#[derive(Debug, Clone)]
pub enum VolumeSource {
    EmptyDir {
        medium: Option<String>,
        size_limit: Option<Quantity>,
    },
    Claim {
        claim_name: String,
        read_only: bool,
    },
    Secret {
        secret_name: String,
        items: Vec<(String, String)>,
        default_mode: Option<i32>,
    },
    ConfigMap {
        name: String,
        items: Vec<(String, String)>,
        default_mode: Option<i32>,
    },
    HostPath {
        path: String,
    },
}

/// A PersistentVolumeClaim (standalone, or a StatefulSet volumeClaimTemplate).
#[derive(Debug, Clone)]
pub struct Claim {
    pub name: String,
    pub size: Quantity,
    pub storage_class: Option<String>,
    pub access_modes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub kind: ServiceType,
    pub ports: Vec<ServicePort>,
    pub annotations: BTreeMap<String, String>,
    /// `Some`: an `ExternalName` Service resolving to this host (the KEDA interceptor proxy
    /// for a keda-http workload's own name, DESIGN rule 12): no selector, and `ports` are the
    /// target's, since an ExternalName Service maps no ports.
    pub external_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ServicePort {
    pub name: String,
    pub port: u16,
    pub target_port: PortTarget,
    pub protocol: Protocol,
    pub node_port: Option<u16>,
}

/// A path on a host routed from the ingress controller to a Service.
#[derive(Debug, Clone)]
pub struct Route {
    /// Base name of the ingress objects (IngressRoute/Ingress, Middlewares).
    pub name: String,
    /// Empty: any host.
    pub hosts: Vec<String>,
    pub path: String,
    pub path_type: PathType,
    pub rewrite: Rewrite,
    pub backend: Backend,
    pub tls: Option<Tls>,
    pub methods: Vec<String>,
    pub timeouts: Timeouts,
    pub rate_limit: Option<RateLimit>,
    pub cors: Option<Cors>,
    pub auth: Option<Auth>,
    /// Controller annotations (HAProxy), already merged and checked.
    pub annotations: BTreeMap<String, String>,
    /// Traefik entry points.
    pub entry_points: Vec<String>,
    /// IngressClass; `None`: the controller's default.
    pub class: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rewrite {
    None,
    /// Remove `path` before forwarding.
    StripPrefix,
    /// Replace the matched `path` with this.
    ReplacePrefix(String),
}

/// Where a route sends traffic: the workload's own Service, or — only for workloads scaled by
/// keda-http (DESIGN rule 8) — the KEDA HTTP interceptor, reached through an ExternalName
/// Service in the route's namespace.
#[derive(Debug, Clone)]
pub struct Backend {
    pub service: String,
    pub port: PortTarget,
    /// Set when `service` is an ExternalName alias of the interceptor that must be rendered.
    pub interceptor: Option<InterceptorAlias>,
}

#[derive(Debug, Clone)]
pub struct InterceptorAlias {
    /// FQDN of the interceptor proxy Service.
    pub external_name: String,
    pub port: u16,
}

#[derive(Debug, Clone)]
pub struct Tls {
    pub secret: Option<String>,
    pub cert_resolver: Option<String>,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Timeouts {
    pub connect: Option<String>,
    pub server: Option<String>,
    pub client: Option<String>,
    pub queue: Option<String>,
}

/// `average` requests per `period_seconds` (1 or 60) per client, `burst` above it.
#[derive(Debug, Clone)]
pub struct RateLimit {
    pub average: u32,
    pub period_seconds: u32,
    pub burst: u32,
}

#[derive(Debug, Clone)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age: Option<u32>,
}

#[derive(Debug, Clone)]
pub enum Auth {
    /// `secret` holds an htpasswd `users` key.
    Basic {
        secret: String,
        realm: Option<String>,
    },
    Forward {
        address: String,
        response_headers: Vec<String>,
    },
}

/// Who owns the replica count, and how.
#[derive(Debug, Clone)]
pub enum Scaling {
    None,
    Hpa {
        min: u32,
        max: u32,
        cpu_percent: Option<u32>,
        memory_percent: Option<u32>,
        scale_up_stabilization: Option<u32>,
        scale_down_stabilization: Option<u32>,
    },
    /// KEDA HTTP add-on. `hosts`/`path_prefixes` are what the interceptor sees, i.e. after the
    /// ingress has rewritten the path.
    Http {
        min: u32,
        max: u32,
        target_pending_requests: u32,
        scaledown_period: Option<u32>,
        hosts: Vec<String>,
        path_prefixes: Vec<String>,
        /// Service and port the interceptor forwards to.
        service: String,
        port: u16,
        api: HttpScalerApi,
    },
    Queue {
        min: u32,
        max: u32,
        queue: QueueTrigger,
        cooldown_period: Option<u32>,
        polling_interval: Option<u32>,
    },
    Cron {
        min: u32,
        max: u32,
        windows: Vec<CronWindow>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpScalerApi {
    /// HTTPScaledObject.
    V1alpha1,
    /// InterceptorRoute + ScaledObject.
    V1beta1,
}

#[derive(Debug, Clone)]
pub struct QueueTrigger {
    pub stream: bool,
    pub name: String,
    /// Messages per replica (or per Job) before scaling out.
    pub target: u32,
    pub consumer_group: Option<String>,
    /// `host:port`.
    pub address: String,
    pub database: Option<u32>,
    pub tls: bool,
    /// Secret key holding the password; rendered as a TriggerAuthentication.
    pub password: Option<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct CronWindow {
    pub timezone: String,
    pub start: String,
    pub end: String,
    pub desired_replicas: u32,
}

/// Ingress and egress the pods are allowed; everything else is denied.
#[derive(Debug, Clone, Default)]
pub struct NetworkPolicy {
    pub ingress: Vec<PolicyRule>,
    /// `None`: egress unrestricted. `Some`: only these (DNS is always added by the renderer).
    pub egress: Option<Vec<PolicyRule>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyRule {
    /// Empty: from/to anywhere.
    pub peers: Vec<Peer>,
    /// Empty: all ports.
    pub ports: Vec<PolicyPort>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Peer {
    /// Pods in the workload's own namespace matching the labels (empty: all of them).
    Pods(BTreeMap<String, String>),
    /// Pods matching the labels (empty: all) in the named namespace.
    Namespace {
        name: String,
        pod_labels: BTreeMap<String, String>,
    },
    /// Every pod in every namespace.
    AnyNamespace,
    Cidr {
        cidr: String,
        except: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyPort {
    pub protocol: Protocol,
    pub port: u16,
    pub end_port: Option<u16>,
}

#[derive(Debug, Clone)]
pub enum DisruptionBudget {
    MinAvailable(IntOrPercent),
    MaxUnavailable(IntOrPercent),
}

#[derive(Debug, Clone)]
pub struct ServiceAccount {
    pub name: String,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct ConfigMap {
    pub name: String,
    pub data: BTreeMap<String, String>,
}

/// A Secret whose values are in apps.yaml or a compose file (stringData).
#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    pub string_data: BTreeMap<String, String>,
}

/// An External Secrets Operator ExternalSecret filling the Secret `name`.
#[derive(Debug, Clone)]
pub struct ExternalSecret {
    pub name: String,
    pub store: String,
    pub store_kind: crate::config::StoreKind,
    pub refresh_interval: String,
    /// Secret key → (remote key, property).
    pub data: BTreeMap<String, (String, Option<String>)>,
    /// Import every property of this remote key.
    pub extract: Option<String>,
}

/// How an image is built, for `k3s build-plan` and the Tiltfile.
#[derive(Debug, Clone)]
pub struct ImageBuild {
    /// Image name without registry and tag (the `--image NAME=TAG` key).
    pub name: String,
    /// The full reference manifests use.
    pub reference: String,
    pub context: PathBuf,
    /// An absolute path; a relative one names a generated file of `LoweredEntry::files` (a
    /// function project's `Dockerfile`), written next to the entry's manifests.
    pub dockerfile: PathBuf,
    pub target: Option<String>,
    pub args: BTreeMap<String, String>,
    pub live_update: bool,
    pub sync: Vec<(PathBuf, String)>,
    /// Local port → (workload, container port) for Tilt port-forwards.
    pub port_forwards: Vec<PortForward>,
}

#[derive(Debug, Clone)]
pub struct PortForward {
    pub workload: String,
    pub local_port: u16,
    pub container_port: u16,
}

/// Everything one apps.yaml entry lowers to.
#[derive(Debug, Clone, Default)]
pub struct LoweredEntry {
    pub workloads: Vec<Workload>,
    pub builds: Vec<ImageBuild>,
    /// Extra files written next to the manifests (e.g. a function project's Dockerfile).
    pub files: Vec<(String, String)>,
    /// What the front-end decided that a person converting should hear about (where a compose
    /// service's port was found, where a secret is to be stored), printed by `compose convert`.
    pub notes: Vec<String>,
}
