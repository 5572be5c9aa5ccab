//! `compose:` entries — Docker Compose projects, with settings for all services (`defaults`)
//! and per service (`services.<name>`) layered over what the compose file says.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::availability::{AntiAffinity, DisruptionBudget, NodeAffinity, Strategy, Toleration};
use super::defaults::SecretStore;
use super::dependency::Dependency;
use super::environment::Environment;
use super::ingress::Ingress;
use super::probes::Probes;
use super::resources::Resources;
use super::scaling::Scaling;
use super::security::{NetworkPolicy, Peer, Security, Visibility};
use super::service::ServiceSettings;
use super::value::{BoolOr, OneOrMany};
use super::volumes::Volume;
use super::workload_kind::{JobSettings, WorkloadKind};
use crate::yaml::Spanned;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComposeEntry {
    /// Entry name (a DNS label, unique across sections); each service becomes workload
    /// `<name>-<service>`, and the Application `compose-<name>`.
    pub name: Spanned<String>,
    /// Directory of the compose project, relative to apps.yaml.
    pub path: Spanned<String>,
    /// Compose file(s) relative to `path`, merged in order; default `compose.yaml`,
    /// `docker-compose.yml` … and its `.override` file.
    pub compose_file: Option<Spanned<OneOrMany<String>>>,
    /// Namespace of the project's objects. Default: `defaults.namespace`.
    pub namespace: Option<Spanned<String>>,
    /// `false` leaves the project out of this environment. Default: true.
    pub enabled: Option<bool>,
    /// Read files this entry names outside the project directory (apps.yaml's), after
    /// symlinks; off by default, so that a pull request cannot make k3s read `/etc/passwd`.
    pub allow_outside_project: Option<bool>,
    /// Compose profiles to activate.
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Extra variables for `${VAR}` in the compose files.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// An env file read instead of the project's `.env` (like `docker compose --env-file`),
    /// relative to apps.yaml.
    pub env_file: Option<Spanned<String>>,
    /// Settings for every service; `services.<name>` wins over these.
    pub defaults: Option<ComposeService>,
    /// Settings per compose service name, over `defaults` and over what conversion decides.
    #[serde(default)]
    pub services: BTreeMap<String, ComposeService>,
    /// NetworkPolicy between the project's services: `policy` and sources allowed from outside.
    pub network: Option<ComposeNetwork>,
    /// Entry-wide security (visibility, profile…), like `defaults.security`.
    pub security: Option<Security>,
    /// Shorthand for `security.visibility`.
    pub visibility: Option<Spanned<Visibility>>,
    /// Shorthand for `security.network_policy`.
    pub network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    /// Entries synced first (later Argo CD sync wave for this project).
    #[serde(default)]
    pub depends_on: Vec<Dependency>,
    /// Where these settings are written (not a key: set by whoever builds the entry), so that
    /// help lines say where to change them.
    #[serde(skip)]
    #[schemars(skip)]
    pub settings_source: SettingsSource,
}

/// Where a compose entry's settings live, for help lines that must be followable in the mode
/// the user is in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SettingsSource {
    /// A `compose:` entry of apps.yaml (`k3s generate`, `k3s compose generate`, or
    /// `k3s compose convert --entry NAME`).
    #[default]
    AppsYaml,
    /// The file given to `k3s compose convert --settings FILE`, as the user wrote its path.
    File(String),
    /// `k3s compose convert` without settings: they would go in a `--settings` file.
    Convert,
}

impl SettingsSource {
    /// Where a setting of `entry` is written: "in compose entry `shop` of apps.yaml", "in
    /// `overrides.yaml` (`--settings`)", "in a settings file given to `k3s compose convert
    /// --settings FILE`".
    pub fn place(&self, entry: &str) -> String {
        match self {
            SettingsSource::AppsYaml => format!("in compose entry `{entry}` of apps.yaml"),
            SettingsSource::File(path) => format!("in `{path}` (`--settings`)"),
            SettingsSource::Convert => {
                "in a settings file given to `k3s compose convert --settings FILE`".to_string()
            }
        }
    }
}

/// The settings `k3s compose convert --settings FILE` reads: the keys of a `compose:` entry that
/// say how its services land on Kubernetes (`services.<name>`, `defaults`, `network`,
/// `security` and its shorthands), without apps.yaml.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComposeSettings {
    pub defaults: Option<ComposeService>,
    #[serde(default)]
    pub services: BTreeMap<String, ComposeService>,
    pub network: Option<ComposeNetwork>,
    pub security: Option<Security>,
    pub visibility: Option<Spanned<Visibility>>,
    pub network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    /// As apps.yaml's `defaults.secret_store`: compose secrets and secret-looking values are
    /// filled by ExternalSecrets from it instead of being written into the manifests.
    pub secret_store: Option<SecretStore>,
}

/// apps.yaml settings for one compose service; each replaces what conversion would decide.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComposeService {
    /// Leave this service out.
    pub enabled: Option<bool>,
    /// Run the service as `deployment`, `statefulset`, `cronjob` or `job`. Default: StatefulSet
    /// when it owns a named volume, else Deployment.
    pub kind: Option<Spanned<WorkloadKind>>,
    /// Schedule and run settings for `kind: cronjob` or `job`.
    pub job: Option<JobSettings>,
    /// Replace the compose `image`.
    pub image: Option<Spanned<String>>,
    /// Fixed replica count; default the compose `deploy.replicas`, else 1.
    pub replicas: Option<Spanned<u32>>,
    /// Requests and limits, replacing compose `deploy.resources`.
    pub resources: Option<Resources>,
    /// Autoscaling of this service (default `none`).
    pub scaling: Option<Scaling>,
    /// Probes replacing those converted from the compose `healthcheck`.
    pub probes: Option<Probes>,
    /// A route from outside to this service's Service.
    pub ingress: Option<Ingress>,
    /// Type and annotations of the service's Service.
    pub service: Option<ServiceSettings>,
    /// Security of this service, over the entry's.
    pub security: Option<Security>,
    /// Shorthand for `security.visibility`.
    pub visibility: Option<Spanned<Visibility>>,
    /// Shorthand for `security.network_policy`.
    pub network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    /// Added to (and winning over) the compose `environment`.
    #[serde(default)]
    pub environment: Environment,
    /// Volumes by compose volume name or mount path: size, storage class, or a replacement.
    #[serde(default)]
    pub volumes: Vec<Volume>,
    /// Permit absolute host-path bind mounts as `hostPath` volumes.
    pub allow_host_path: Option<bool>,
    /// Ports to expose when the compose file declares none (`expose:` equivalent).
    #[serde(default)]
    pub expose: Vec<u16>,
    /// A PodDisruptionBudget for this service's pods.
    pub pod_disruption_budget: Option<DisruptionBudget>,
    /// Spread this service's replicas over nodes.
    pub anti_affinity: Option<AntiAffinity>,
    /// Node labels this service's pods must run on (the pod's `nodeSelector`), over those
    /// `deploy.placement.constraints` gives. Example: `{kubernetes.io/arch: arm64}`.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Taints this service's pods tolerate (the pod's `tolerations`).
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Node affinity of this service's pods (the pod's `affinity.nodeAffinity`).
    pub affinity: Option<NodeAffinity>,
    /// PriorityClass of this service's pods (`priorityClassName`).
    pub priority_class_name: Option<String>,
    /// Rollout strategy of this service's Deployment.
    pub strategy: Option<Strategy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ComposeNetworkPolicy {
    /// No NetworkPolicy objects.
    None,
    /// Services may talk to anything in the namespace.
    Permissive,
    /// Services may talk only to services sharing a compose network.
    Strict,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComposeNetwork {
    /// `none`, `permissive` (anything in the namespace) or `strict` (only services sharing a
    /// compose network).
    pub policy: Option<ComposeNetworkPolicy>,
    /// Sources outside the project allowed in.
    #[serde(default)]
    pub allow_external: Vec<Peer>,
}
