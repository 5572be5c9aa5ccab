//! What the queue and schedule triggers make of a function (the HTTP trigger is in `http.rs`):
//! controller, replica owner and scaler, and the trigger's runtime variables; settings are
//! merged before this.

use super::{FunctionInput, literal};
use crate::config::SecretMount;
use crate::config::{
    JobRestartPolicy, JobSettings, QueueConnection, QueueType, Scaling as ScalingSettings,
    ScalingType, ServerlessEntry,
};
use crate::lower::context::LowerContext;
use crate::lower::probes::LoweredProbes;
use crate::lower::scaling::{DEFAULT_QUEUE_LENGTH, queue_connection};
use crate::lower::spec::{ControllerKind, ControllerSpec, PortSetting, RouteSettings, ScalingSpec};
use crate::resolve::Entry;
use crate::sources::python::{QueueMode, QueueTrigger, ScheduleTrigger};
use crate::workload::{EnvSource, EnvVar};
use crate::yaml::Spanned;

/// The shutdown grace Kubernetes gives when told nothing.
pub(super) const DEFAULT_GRACE_SECONDS: u32 = 30;

/// What the trigger decides: controller, scaling, ports and route, probes, and its runtime
/// variables.
pub(super) struct TriggerParts {
    pub(super) controller: ControllerSpec,
    pub(super) scaling: ScalingSpec,
    pub(super) ports: Vec<PortSetting>,
    pub(super) route: Option<RouteSettings>,
    pub(super) probes: LoweredProbes,
    pub(super) env: Vec<EnvVar>,
    /// Secrets mounted for the runtime (the auth keys).
    pub(super) secret_mounts: Vec<SecretMount>,
    pub(super) termination_grace_period_seconds: Option<i64>,
}

/// A worker Deployment (or, with `mode="job"`, a ScaledJob) scaled by keda-queue on the
/// trigger's list or stream; no ports.
pub(super) fn queue_parts(
    input: &FunctionInput<'_>,
    trigger: &QueueTrigger,
    mut settings: ScalingSettings,
    timeout: Option<u32>,
    cx: &LowerContext<'_>,
) -> TriggerParts {
    let entry = input.entry;
    let job_mode = trigger.mode.value == QueueMode::Job;
    let stream = trigger.queue_type.value == QueueType::Stream;
    let batch_size = trigger.batch_size.value;
    settings.kind = Some(Spanned::new(ScalingType::KedaQueue, trigger.span));
    settings.queue_name = Some(trigger.queue_name.clone());
    settings.queue_type = Some(trigger.queue_type.clone());
    settings.consumer_group = stream.then(|| {
        trigger
            .consumer_group
            .clone()
            .unwrap_or_else(|| Spanned::new(input.name.clone(), trigger.span))
    });
    settings.queue_length = Some(
        trigger
            .queue_length
            .clone()
            .or(settings.queue_length.clone())
            .unwrap_or_else(|| {
                Spanned::new(
                    if job_mode {
                        batch_size
                    } else {
                        batch_size.saturating_mul(DEFAULT_QUEUE_LENGTH)
                    },
                    trigger.span,
                )
            }),
    );
    let queue_defaults = queue_defaults(entry, cx);
    // The connection the scaler uses is the one the runtime must use: the same rule.
    let queue = queue_connection(&settings, &queue_defaults, &entry.namespace);

    let mut env = vec![
        literal("K3SFN_QUEUE", trigger.queue_name.value.clone()),
        literal(
            "K3SFN_QUEUE_TYPE",
            queue_type_name(trigger.queue_type.value),
        ),
        literal("K3SFN_QUEUE_MODE", trigger.mode.value.as_str()),
        literal("K3SFN_BATCH_SIZE", batch_size.to_string()),
    ];
    env.push(literal(
        "K3SFN_VISIBILITY_TIMEOUT",
        trigger.visibility_timeout.value.to_string(),
    ));
    env.push(literal(
        "K3SFN_MAX_ATTEMPTS",
        trigger.max_attempts.value.to_string(),
    ));
    if let Some(group) = &settings.consumer_group {
        env.push(literal("K3SFN_CONSUMER_GROUP", group.value.clone()));
    }
    env.push(literal("K3SFN_QUEUE_ADDRESS", queue.address.clone()));
    if let Some(database) = queue.database {
        env.push(literal("K3SFN_QUEUE_DATABASE", database.to_string()));
    }
    if queue.tls {
        env.push(literal("K3SFN_QUEUE_TLS", "true"));
    }
    if let Some((name, key)) = &queue.password {
        env.push(EnvVar {
            name: "K3SFN_QUEUE_PASSWORD".to_string(),
            value: EnvSource::SecretKey {
                name: name.clone(),
                key: key.clone(),
                optional: false,
            },
        });
    }
    let (controller, grace) = if job_mode {
        let job = JobSettings {
            active_deadline_seconds: timeout.map(|t| Spanned::new(i64::from(t), trigger.span)),
            restart_policy: Some(Spanned::new(JobRestartPolicy::Never, trigger.span)),
            ..JobSettings::default()
        };
        (
            ControllerSpec {
                kind: ControllerKind::ScaledJob,
                span: trigger.span,
                job: Some(job),
                strategy: None,
                revision_history_limit: None,
            },
            None,
        )
    } else {
        (
            deployment(input),
            timeout
                .filter(|t| *t > DEFAULT_GRACE_SECONDS)
                .map(i64::from),
        )
    };
    TriggerParts {
        controller,
        scaling: ScalingSpec {
            settings: Some(settings),
            default_type: ScalingType::KedaQueue,
            replicas: None,
            queue_defaults,
            warn_unused: false,
        },
        ports: Vec::new(),
        route: None,
        probes: LoweredProbes::default(),
        env,
        secret_mounts: Vec::new(),
        termination_grace_period_seconds: grace,
    }
}

/// A CronJob running the function on the trigger's schedule; no ports, no scaling.
pub(super) fn schedule_parts(trigger: &ScheduleTrigger, timeout: Option<u32>) -> TriggerParts {
    let job = JobSettings {
        schedule: Some(trigger.cron.clone()),
        timezone: Some(trigger.timezone.clone()),
        concurrency_policy: Some(trigger.concurrency_policy.clone()),
        starting_deadline_seconds: trigger
            .starting_deadline_seconds
            .as_ref()
            .map(|s| s.clone().map(i64::from)),
        active_deadline_seconds: timeout.map(|t| Spanned::new(i64::from(t), trigger.span)),
        suspend: trigger.suspend.clone(),
        ..JobSettings::default()
    };
    TriggerParts {
        controller: ControllerSpec {
            kind: ControllerKind::CronJob,
            span: trigger.span,
            job: Some(job),
            strategy: None,
            revision_history_limit: None,
        },
        scaling: ScalingSpec {
            settings: None,
            default_type: ScalingType::None,
            replicas: None,
            queue_defaults: Vec::new(),
            warn_unused: false,
        },
        ports: Vec::new(),
        route: None,
        probes: LoweredProbes::default(),
        env: Vec::new(),
        secret_mounts: Vec::new(),
        termination_grace_period_seconds: None,
    }
}

/// A Deployment rolling out one pod at a time (maxSurge 1, maxUnavailable 0).
pub(super) fn deployment(input: &FunctionInput<'_>) -> ControllerSpec {
    ControllerSpec {
        kind: ControllerKind::Deployment,
        span: input.function.span,
        job: None,
        strategy: None,
        revision_history_limit: None,
    }
}

/// Where queues live when `scaling.queue` does not say: the entry's `queue`, then
/// `defaults.queue`.
pub(super) fn queue_defaults(
    entry: &Entry<ServerlessEntry>,
    cx: &LowerContext<'_>,
) -> Vec<QueueConnection> {
    entry
        .spec
        .queue
        .iter()
        .chain(cx.resolved.defaults.queue.iter())
        .cloned()
        .collect()
}

fn queue_type_name(queue_type: QueueType) -> &'static str {
    match queue_type {
        QueueType::List => "list",
        QueueType::Stream => "stream",
    }
}
