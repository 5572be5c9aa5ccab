//! `scaling:` — who owns the replica count: nobody, an HPA, or KEDA (HTTP, queue or cron).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ScalingType {
    /// A HorizontalPodAutoscaler on CPU and/or memory utilization (at least 1 replica).
    Hpa,
    /// The KEDA HTTP add-on: scales on requests in flight, to zero when idle; routes go through its
    /// interceptor.
    KedaHttp,
    /// A KEDA ScaledObject on a Redis/Valkey list's length or a stream's consumer-group lag.
    KedaQueue,
    /// A KEDA ScaledObject with cron triggers: `desired_replicas` during each window of
    /// `schedules`.
    KedaCron,
    /// No autoscaler: a fixed `replicas` count.
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
    /// Who owns the replica count: `none` (fixed `replicas`), `hpa` (a HorizontalPodAutoscaler on
    /// CPU/memory), `keda-http` (KEDA HTTP add-on, scales to zero on traffic), `keda-queue` (KEDA
    /// ScaledObject on a Redis/Valkey list or stream), `keda-cron` (KEDA cron windows). Default:
    /// `none` for apps and compose services; for functions, by trigger.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<ScalingType>>,
    /// Fewest replicas the scaler keeps (minReplicaCount / minReplicas); with `type: none`, the
    /// replica count when `replicas` is not given. Default: 1 for `hpa`, 0 (scale to zero) for the
    /// KEDA types; `replicas` raises it.
    pub min_instances: Option<Spanned<u32>>,
    /// Most replicas the scaler may run (maxReplicaCount / maxReplicas). Default: 10 (or
    /// `min_instances` if larger).
    pub max_instances: Option<Spanned<u32>>,
    /// keda-http: requests in flight per replica before scaling out (the add-on's
    /// `scalingMetric.concurrency.targetValue`). Default: 100.
    pub target_pending_requests: Option<Spanned<u32>>,
    /// keda-queue: the list or stream to watch (required). Example: `queue_name: jobs`.
    pub queue_name: Option<Spanned<String>>,
    /// keda-queue: messages waiting per replica before scaling out (the trigger's `listLength`,
    /// or `lagCount` for a stream). Default: 5.
    pub queue_length: Option<Spanned<u32>>,
    /// keda-queue: `list` (a `redis` trigger on `listLength`) or `stream` (a `redis-streams`
    /// trigger on the consumer group's lag; needs `consumer_group`). Default: `list`.
    pub queue_type: Option<Spanned<QueueType>>,
    /// keda-queue with streams: the consumer group.
    pub consumer_group: Option<Spanned<String>>,
    /// keda-queue: where the queue lives, field by field over `defaults.queue`. Default address:
    /// `valkey.<namespace>.svc.cluster.local:6379`.
    pub queue: Option<QueueConnection>,
    /// keda-cron: the windows during which `desired_replicas` run (one cron trigger each;
    /// required). Example: `[{start: "0 8 * * 1-5", end: "0 18 * * 1-5", desired_replicas: 3}]`.
    #[serde(default)]
    pub schedules: Vec<CronWindow>,
    /// hpa: average CPU utilization (of the CPU request) to hold. Default: 80 when neither CPU nor
    /// memory target is given.
    pub target_cpu_percent: Option<Spanned<u32>>,
    /// hpa: average memory utilization (of the memory request) to hold.
    pub target_memory_percent: Option<Spanned<u32>>,
    /// Seconds after the last activity before scaling back: the ScaledObject's
    /// `cooldownPeriod` (keda-queue), the HTTPScaledObject's `scaledownPeriod` (keda-http),
    /// and for `hpa` the scale-down stabilization window unless `scale_down_stabilization` is
    /// given. Example: `cooldown_period: 300`.
    pub cooldown_period: Option<Spanned<u32>>,
    /// keda-queue: seconds between checks of the queue (the ScaledObject's `pollingInterval`).
    /// Default: KEDA's 30.
    pub polling_interval: Option<Spanned<u32>>,
    /// hpa: seconds of recommendations considered before scaling up
    /// (`behavior.scaleUp.stabilizationWindowSeconds`).
    pub scale_up_stabilization: Option<Spanned<u32>>,
    /// hpa: seconds of recommendations considered before scaling down
    /// (`behavior.scaleDown.stabilizationWindowSeconds`). Default: `cooldown_period`, else the
    /// HPA's 300.
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
    /// Redis database number (the trigger's `databaseIndex`). Default: the server's 0.
    pub database: Option<u32>,
    /// Connect with TLS (the trigger's `enableTLS`). Default: false.
    pub tls: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretKeyRef {
    /// Name of the Secret in the entry's namespace.
    pub name: Spanned<String>,
    /// Key of the Secret holding the value.
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
    /// Replicas running between `start` and `end` (the cron trigger's `desiredReplicas`).
    pub desired_replicas: u32,
}
