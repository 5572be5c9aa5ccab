//! `scaling:` — who owns the replica count: nobody, an HPA, or KEDA (HTTP, queue or cron).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ScalingType {
    Hpa,
    KedaHttp,
    KedaQueue,
    KedaCron,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QueueType {
    /// A Redis/Valkey list (`LPUSH`/`BRPOP`).
    List,
    /// A Redis/Valkey stream read by a consumer group.
    Stream,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scaling {
    #[serde(rename = "type")]
    pub kind: Option<Spanned<ScalingType>>,
    pub min_instances: Option<Spanned<u32>>,
    pub max_instances: Option<Spanned<u32>>,
    /// keda-http: pending requests per replica before scaling out.
    pub target_pending_requests: Option<Spanned<u32>>,
    /// keda-queue: the list or stream to watch.
    pub queue_name: Option<Spanned<String>>,
    /// keda-queue: messages per replica before scaling out.
    pub queue_length: Option<Spanned<u32>>,
    pub queue_type: Option<Spanned<QueueType>>,
    /// keda-queue with streams: the consumer group.
    pub consumer_group: Option<Spanned<String>>,
    /// keda-queue: where the queue lives (default `defaults.queue`).
    pub queue: Option<QueueConnection>,
    /// keda-cron: the windows during which `desired_replicas` run.
    #[serde(default)]
    pub schedules: Vec<CronWindow>,
    pub target_cpu_percent: Option<Spanned<u32>>,
    pub target_memory_percent: Option<Spanned<u32>>,
    /// Seconds after the last activity before scaling back (KEDA cooldownPeriod).
    pub cooldown_period: Option<Spanned<u32>>,
    /// KEDA polling interval in seconds.
    pub polling_interval: Option<Spanned<u32>>,
    pub scale_up_stabilization: Option<Spanned<u32>>,
    pub scale_down_stabilization: Option<Spanned<u32>>,
}

/// Connection to the Redis/Valkey server a queue scaler reads.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueConnection {
    /// `host:port`, e.g. `valkey.apps.svc.cluster.local:6379`.
    pub address: Option<Spanned<String>>,
    /// Secret holding the password; the scaler's TriggerAuthentication references it.
    pub password_secret: Option<SecretKeyRef>,
    pub database: Option<u32>,
    pub tls: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretKeyRef {
    pub name: Spanned<String>,
    pub key: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CronWindow {
    /// Cron expression starting the window.
    pub start: Spanned<String>,
    /// Cron expression ending the window.
    pub end: Spanned<String>,
    /// IANA time zone; default `UTC`.
    pub timezone: Option<String>,
    pub desired_replicas: u32,
}
