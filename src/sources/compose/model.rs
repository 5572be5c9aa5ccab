//! The typed compose project in long form (variables expanded, files merged), deserialized from
//! the Node tree. Fields marked *Docker-only* are kept so lowering can warn; no file access here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::short_syntax;
use crate::diagnostic::Diagnostics;
use crate::yaml::Spanned;

/// A loaded compose project: only the services of the active profiles.
#[derive(Debug, Clone, Serialize)]
pub struct ComposeProject {
    /// Lowercase `[a-z0-9_-]`, from the caller, the top-level `name:`, or the directory.
    pub name: String,
    /// The directory of the first compose file; relative paths in the model are relative to it.
    #[serde(skip)]
    pub project_dir: PathBuf,
    /// Where the files the project names must resolve (`None`: anywhere); see `LoadOptions`.
    #[serde(skip)]
    pub root: Option<PathBuf>,
    /// Loaded without apps.yaml (`k3s compose convert` alone), for help lines.
    #[serde(skip)]
    pub standalone: bool,
    pub services: BTreeMap<String, Spanned<Service>>,
    /// Services left out because none of their profiles is active.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub inactive_services: BTreeSet<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Network>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, NamedVolume>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, SecretDef>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, ConfigDef>,
    /// Everything that was ignored or guessed, located.
    #[serde(skip)]
    pub warnings: Diagnostics,
}

/// Service keys of the Compose Specification that only the Docker engine understands (cgroup and
/// CPU tuning, Windows isolation, watch mode, ...). They are kept verbatim in
/// [`Service::engine_only`] and never lowered.
pub const ENGINE_ONLY_KEYS: &[&str] = &[
    "attach",
    "blkio_config",
    "cgroup",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpuset",
    "credential_spec",
    "develop",
    "device_cgroup_rules",
    "gpus",
    "isolation",
    "mac_address",
    "mem_swappiness",
    "memswap_limit",
    "models",
    "oom_kill_disable",
    "oom_score_adj",
    "provider",
    "pull_refresh_after",
    "storage_opt",
    "use_api_socket",
    "userns_mode",
    "uts",
];

/// One service, in long form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Service {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Build>,
    /// A string is split into argv like a shell would (no shell runs it); a list is kept.
    #[serde(
        deserialize_with = "command_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub command: Option<Spanned<Vec<String>>>,
    #[serde(
        deserialize_with = "command_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub entrypoint: Option<Spanned<Vec<String>>>,
    /// Final values: `env_file` entries first, `environment` over them, bare `KEY`s resolved.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, Spanned<String>>,
    /// The env files that were read (already applied to `environment`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<EnvFile>,
    /// Label files that were read (already applied to `labels`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub label_file: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Spanned<Port>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<Spanned<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Spanned<ServiceVolume>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Spanned<FileRef>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<Spanned<FileRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, Spanned<Dependency>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<Spanned<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// `no`, `always`, `on-failure[:N]`, `unless-stopped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<Spanned<String>>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<Spanned<String>>,
    /// Host name → addresses.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_hosts: BTreeMap<String, Vec<String>>,
    /// Network name → attachment options (`None` for a plain list entry).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Spanned<Option<ServiceNetwork>>>,
    /// `bridge`, `host`, `none`, `service:NAME`, `container:NAME`. Docker-only except `bridge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    /// Docker-only: Kubernetes names pods itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<Spanned<String>>,
    /// Bytes.
    #[serde(with = "bytes_opt", skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged: Option<Spanned<bool>>,
    /// Docker-only: no init process is injected on Kubernetes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<Spanned<bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tty: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin_open: Option<bool>,
    /// Docker-only: Kubernetes has no per-container ulimits.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Spanned<Ulimit>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// Docker-only: cluster logging is configured outside the pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Spanned<Logging>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<Spanned<String>>,
    /// Docker-only: host devices.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<Spanned<Device>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    /// Docker-only when `host` or `service:NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<Spanned<String>>,
    /// Docker-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipc: Option<Spanned<String>>,
    /// Docker-only (legacy links; services find each other by DNS on Kubernetes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Spanned<String>>,
    /// Docker-only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<Spanned<String>>,
    /// Docker-only: `SERVICE[:ro|rw]` or `container:NAME[:ro|rw]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<Spanned<String>>,
    /// Docker-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup_parent: Option<Spanned<String>>,
    /// An OCI runtime name; at best a RuntimeClass on Kubernetes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Spanned<String>>,
    /// Number of containers (legacy for `deploy.replicas`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Spanned<u32>>,
    /// Legacy resource keys (the `deploy.resources` equivalents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(with = "bytes_opt", skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<u64>,
    #[serde(with = "bytes_opt", skip_serializing_if = "Option::is_none")]
    pub mem_reservation: Option<u64>,
    /// Docker-only (no per-container PID limit on Kubernetes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<Spanned<i64>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_start: Vec<Hook>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_stop: Vec<Hook>,
    /// Keys from [`ENGINE_ONLY_KEYS`], verbatim.
    #[serde(skip_deserializing, skip_serializing_if = "BTreeMap::is_empty")]
    pub engine_only: BTreeMap<String, Spanned<serde_json::Value>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Build {
    /// A directory relative to the project directory, an absolute path, or a URL. Defaults to `.`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Spanned<String>>,
    /// Relative to the context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile_inline: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_from: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_to: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_cache: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_contexts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sbom: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull: Option<bool>,
    #[serde(with = "bytes_opt", skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_hosts: BTreeMap<String, Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<FileRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Ulimit>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnvFile {
    /// Relative to the project directory.
    pub path: String,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

/// A port in long form.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub target: u16,
    /// A port (`8080`) or a range (`8000-8010`); `None` lets the engine pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    #[serde(default = "tcp")]
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
    /// `ingress` (default) or `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VolumeType {
    Volume,
    Bind,
    Tmpfs,
    Npipe,
    Image,
    Cluster,
}

/// A mount in long form.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceVolume {
    #[serde(rename = "type")]
    pub kind: VolumeType,
    /// Volume name, host path (relative to the project directory unless absolute or `~`),
    /// or image; `None` for an anonymous volume or a tmpfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub target: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<BindOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<TmpfsOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageOptions>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BindOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagation: Option<String>,
    /// True for the short syntax, as in docker compose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_host_path: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recursive: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selinux: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct VolumeOptions {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nocopy: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TmpfsOptions {
    /// Bytes.
    #[serde(with = "bytes_opt", skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(with = "mode_opt", skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImageOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

/// A service's use of a secret or config.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    pub source: String,
    /// Filled in after loading: `/run/secrets/<source>` for secrets (a relative target goes
    /// under `/run/secrets/`), `/<source>` for configs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    #[serde(default, with = "mode_opt", skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Healthcheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<Spanned<HealthTest>>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable: Option<bool>,
}

/// What a healthcheck runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthTest {
    /// `["CMD", args...]`: exec'd directly.
    Cmd(Vec<String>),
    /// `["CMD-SHELL", "cmd"]` or a plain string: run with `/bin/sh -c`.
    CmdShell(String),
    /// `["NONE"]`: the image's healthcheck is turned off.
    None,
    /// `disable: true`.
    Disable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    pub condition: Condition,
    #[serde(default = "yes")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub restart: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Deploy {
    /// `replicated` (default), `global`, `replicated-job`, `global-job`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<Spanned<u32>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Resources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<ResourceLimits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<ResourceReservations>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceLimits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<Spanned<f64>>,
    /// Bytes.
    #[serde(with = "bytes_opt", skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceReservations {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<Spanned<f64>>,
    /// Bytes.
    #[serde(with = "bytes_opt", skip_serializing_if = "Option::is_none")]
    pub memory: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceRequest>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generic_resources: Vec<GenericResource>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceRequest {
    pub capabilities: Vec<String>,
    /// A number or `all`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenericResource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discrete_resource_spec: Option<DiscreteResource>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscreteResource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestartPolicy {
    /// `none`, `on-failure`, `any`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Placement {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Spanned<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<PlacementPreference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replicas_per_node: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlacementPreference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpdateConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_action: Option<String>,
    #[serde(with = "duration_opt", skip_serializing_if = "Option::is_none")]
    pub monitor: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_failure_ratio: Option<f64>,
    /// `stop-first` (default) or `start-first`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceNetwork {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gw_priority: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Logging {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
}

/// A `post_start` / `pre_stop` command.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Hook {
    #[serde(deserialize_with = "command_required")]
    pub command: Spanned<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
}

/// A top-level network.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Network {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv4: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv6: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachable: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ipam {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct IpamPool {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, String>,
}

/// A top-level volume.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamedVolume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A top-level secret.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretDef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Relative to the project directory unless absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Spanned<String>>,
    /// The name of a variable holding the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_driver: Option<String>,
}

/// A top-level config.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConfigDef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Relative to the project directory unless absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_driver: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn yes() -> bool {
    true
}

fn tcp() -> String {
    "tcp".to_string()
}

/// The text of a scalar exactly as written (`0440` keeps its zero), string or number.
struct ScalarText(String);

impl<'de> Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ScalarText, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ScalarText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// A duration written as `1m30s` (serialized the same way).
mod duration_opt {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<ScalarText>::deserialize(d)?
            .map(|t| short_syntax::parse_duration(&t.0).map_err(de::Error::custom))
            .transpose()
    }

    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_str(&short_syntax::format_duration(*d)),
            None => s.serialize_none(),
        }
    }
}

/// A byte size written as `512m` or a number (serialized as a number of bytes).
mod bytes_opt {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        Option::<ScalarText>::deserialize(d)?
            .map(|t| short_syntax::parse_bytes(&t.0).map_err(de::Error::custom))
            .transpose()
    }

    pub fn serialize<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_u64(*bytes),
            None => s.serialize_none(),
        }
    }
}

/// A file mode written in octal (`0440`), serialized as octal text.
mod mode_opt {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        Option::<ScalarText>::deserialize(d)?
            .map(|t| short_syntax::parse_file_mode(&t.0).map_err(de::Error::custom))
            .transpose()
    }

    pub fn serialize<S: Serializer>(value: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(mode) => s.serialize_str(&format!("0{mode:o}")),
            None => s.serialize_none(),
        }
    }
}

/// `command` / `entrypoint`: a string (shell-split) or a list of strings.
struct CommandValue(Vec<String>);

impl<'de> Deserialize<'de> for CommandValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<CommandValue, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CommandValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CommandValue, E> {
                short_syntax::shell_split(v)
                    .map(CommandValue)
                    .map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CommandValue, E> {
                Ok(CommandValue(vec![v.to_string()]))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CommandValue, E> {
                Ok(CommandValue(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CommandValue, A::Error> {
                let mut argv = Vec::new();
                while let Some(arg) = seq.next_element::<String>()? {
                    argv.push(arg);
                }
                Ok(CommandValue(argv))
            }
        }
        deserializer.deserialize_any(V)
    }
}

fn command_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Spanned<Vec<String>>>, D::Error> {
    Ok(Option::<Spanned<CommandValue>>::deserialize(d)?.map(|c| c.map(|c| c.0)))
}

fn command_required<'de, D: Deserializer<'de>>(d: D) -> Result<Spanned<Vec<String>>, D::Error> {
    Ok(Spanned::<CommandValue>::deserialize(d)?.map(|c| c.0))
}

impl<'de> Deserialize<'de> for HealthTest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<HealthTest, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HealthTest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a command string or a list starting with CMD, CMD-SHELL or NONE")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<HealthTest, E> {
                Ok(HealthTest::CmdShell(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HealthTest, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                let Some((first, rest)) = items.split_first() else {
                    return Err(de::Error::custom(
                        "an empty healthcheck test; use [\"NONE\"] or `disable: true` to turn it off",
                    ));
                };
                match first.as_str() {
                    "CMD" if !rest.is_empty() => Ok(HealthTest::Cmd(rest.to_vec())),
                    "CMD-SHELL" if !rest.is_empty() => Ok(HealthTest::CmdShell(rest.join(" "))),
                    "NONE" => Ok(HealthTest::None),
                    "CMD" | "CMD-SHELL" => Err(de::Error::custom(format!(
                        "`{first}` must be followed by the command"
                    ))),
                    other => Err(de::Error::custom(format!(
                        "a healthcheck test list starts with CMD, CMD-SHELL or NONE, not `{other}`"
                    ))),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}
