//! `serverless:` entries — projects of Python functions discovered from their decorators; these
//! fields are the defaults every function of the project starts from.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::availability::{NodeAffinity, Toleration};
use super::build::Build;
use super::dependency::{Dependency, SyncRule};
use super::environment::{EnvFrom, EnvRef, Environment};
use super::ingress::Ingress;
use super::resources::Resources;
use super::scaling::{QueueConnection, Scaling};
use super::secrets::SecretMount;
use super::security::{NetworkPolicy, Security, Visibility};
use super::value::BoolOr;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerlessEntry {
    /// Entry name (a DNS label, unique across sections); function workloads are named
    /// `<name>-<function>`, the Application `serverless-<name>`.
    pub name: Spanned<String>,
    /// Directory holding `functions/` (or `functions.py`), relative to apps.yaml.
    pub path: Spanned<String>,
    /// Namespace of the functions' objects. Default: `defaults.namespace`.
    pub namespace: Option<Spanned<String>>,
    /// `false` leaves the project out of this environment. Default: true.
    pub enabled: Option<bool>,
    /// Read files this entry names outside the project directory (apps.yaml's), after
    /// symlinks; off by default, so that a pull request cannot make k3s read `/etc/passwd`.
    pub allow_outside_project: Option<bool>,
    /// Image build of the project: image name, tag, runtime package and Dockerfile template of the
    /// generated Dockerfile.
    pub build: Option<Build>,
    /// Requests and limits of every function's container; `@serverless(memory=…, cpu=…)` wins.
    pub resources: Option<Resources>,
    /// Scaling defaults of the functions (HTTP: keda-http, queue: keda-queue, schedule: none);
    /// decorator arguments win.
    pub scaling: Option<Scaling>,
    /// Visibility, NetworkPolicy, service account and security contexts of every function.
    pub security: Option<Security>,
    /// Shorthand for `security.visibility`.
    pub visibility: Option<Spanned<Visibility>>,
    /// Shorthand for `security.network_policy`.
    pub network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    /// Ingress defaults for HTTP functions (hosts, TLS, timeouts, CORS…); the path comes from
    /// each function's `@http_trigger`.
    pub ingress: Option<Ingress>,
    /// Variables of every function's container (literal or Secret/ConfigMap references).
    #[serde(default)]
    pub environment: Environment,
    /// Secrets or ConfigMaps whose keys every function gets as variables (`envFrom`).
    #[serde(default)]
    pub env_from: Vec<EnvFrom>,
    /// Single variables from one key of a Secret or ConfigMap, for every function.
    #[serde(default)]
    pub env_refs: Vec<EnvRef>,
    /// Secrets mounted as files or imported as variables in every function.
    #[serde(default)]
    pub secrets: Vec<SecretMount>,
    /// Where queue-triggered functions read their queue; default `defaults.queue`.
    pub queue: Option<QueueConnection>,
    /// Default timeout of a function run, in seconds.
    pub timeout: Option<Spanned<u32>>,
    /// Entries synced first (later Argo CD sync wave for this project).
    #[serde(default)]
    pub depends_on: Vec<Dependency>,
    /// Pull secrets of every function's pods, added to `defaults.image_pull_secrets`.
    #[serde(default)]
    pub image_pull_secrets: Vec<String>,
    /// Settings of the Jobs that job functions run (`@queue_trigger(mode="job")`: a KEDA
    /// ScaledJob's `jobTargetRef`; `@schedule_trigger`: a CronJob's `jobTemplate`).
    pub job: Option<FunctionJobSettings>,
    /// Node labels every function's pods must run on.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Taints every function's pods tolerate.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// Node affinity of every function's pods.
    pub affinity: Option<NodeAffinity>,
    /// PriorityClass of every function's pods.
    pub priority_class_name: Option<String>,
    /// Extra labels on every object of the project.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// First local port Tilt forwards; function N gets `port_base + N` (dev).
    pub port_base: Option<u16>,
    /// Tilt live update of the functions' sources (dev).
    pub live_update: Option<bool>,
    /// Tilt live-update syncs (dev): local paths copied into the running containers.
    #[serde(default)]
    pub sync: Vec<SyncRule>,
    /// Extra ingress annotations (HAProxy) on the HTTP functions' routes.
    #[serde(default)]
    pub ingress_annotations: BTreeMap<String, String>,
    /// Authentication the function runtime enforces on HTTP functions (`@http_trigger(auth=…)`
    /// overrides the type per function), and the Secret holding the keys.
    pub auth: Option<FunctionAuth>,
}

/// `serverless[].job`: what Kubernetes does with the Job of each run of a job function.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionJobSettings {
    /// Retries before a run is marked failed; default 2 (`0`: never retried).
    pub backoff_limit: Option<Spanned<i32>>,
    /// Delete finished Jobs (and their pods) after this many seconds; default: kept.
    pub ttl_seconds_after_finished: Option<Spanned<i32>>,
    /// Kill a run after this many seconds; default the function's `timeout`.
    pub active_deadline_seconds: Option<Spanned<i64>>,
}

/// How the k3sfn runtime authenticates requests to an HTTP function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeAuth {
    /// No authentication.
    None,
    /// A key in a header (default `X-API-Key`), compared with the lines of the Secret's
    /// `api-key`.
    ApiKey,
    /// `Authorization: Bearer <JWT>`, verified with the Secret's `jwks.json` or `jwt-key`.
    Jwt,
}

/// `serverless[].auth`: the runtime's authentication of HTTP functions. The Secret is mounted
/// read-only at `/var/run/secrets/k3sfn-auth` (`K3SFN_AUTH_DIR`) on every function that
/// authenticates.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionAuth {
    /// The type of functions whose `@http_trigger` gives no `auth`; default `none`.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<RuntimeAuth>>,
    /// The Secret with the keys: `api-key` (one key per line) for api_key, `jwks.json` or
    /// `jwt-key` (a PEM public key, or an HMAC secret) for jwt. Required when any function
    /// authenticates.
    pub secret: Option<Spanned<String>>,
    /// The header carrying the API key; default `X-API-Key`.
    pub api_key_header: Option<Spanned<String>>,
    /// Accepted JWT algorithms; default: those of the key.
    pub jwt_algorithms: Option<Spanned<Vec<String>>>,
    /// Accepted JWT `aud` values (then `aud` is required); default: not checked.
    pub jwt_audience: Option<Spanned<Vec<String>>>,
    /// The required JWT `iss`; default: not checked.
    pub jwt_issuer: Option<Spanned<String>>,
}
