//! `scaling:` to who owns the replica count (DESIGN rule 9) and the scaler settings. With an
//! autoscaler, `replicas` raises the minimum; without one, it is the count.

use crate::config::{QueueConnection, QueueType, Scaling as ScalingSettings, ScalingType};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::workload::{CronWindow, HttpScalerApi, QueueTrigger, Replicas, Scaling};
use crate::yaml::Spanned;

pub const DEFAULT_MAX: u32 = 10;
pub const DEFAULT_PENDING_REQUESTS: u32 = 100;
pub const DEFAULT_QUEUE_LENGTH: u32 = 5;

pub struct ScalingInput<'a> {
    pub settings: Option<&'a ScalingSettings>,
    /// The type when `scaling.type` is not given.
    pub default_type: ScalingType,
    pub replicas: Option<&'a Spanned<u32>>,
    /// Where queues live when `scaling.queue` does not say (entry, then `defaults.queue`).
    pub queue_defaults: Vec<&'a QueueConnection>,
    pub namespace: &'a str,
    pub http_api: HttpScalerApi,
    /// The workload is a Job or CronJob: it has no replica count and cannot be autoscaled.
    pub is_job: bool,
    /// Say which given fields the chosen type does not use (off where the settings are shared
    /// with workloads of other types, e.g. a function project's entry).
    pub warn_unused: bool,
    pub field: &'a str,
    pub span: Span,
}

pub struct LoweredScaling {
    pub scaling: Scaling,
    pub replicas: Replicas,
    /// The fewest replicas that will run (for the disruption budget check).
    pub min_replicas: u32,
}

fn value<T: Copy>(setting: &Option<Spanned<T>>) -> Option<T> {
    setting.as_ref().map(|s| s.value)
}

pub fn lower_scaling(input: &ScalingInput<'_>, d: &mut Diagnostics) -> LoweredScaling {
    if input.is_job {
        return job_scaling(input, d);
    }
    let empty = ScalingSettings::default();
    let s = input.settings.unwrap_or(&empty);
    let kind = s.kind.as_ref().map_or(input.default_type, |k| k.value);
    let kind_span = s.kind.as_ref().map_or(input.span, |k| k.span);
    // An explicit `type: none` turns scaling off, as `enabled: false` does a block: the other
    // fields are there for environments that scale (a `local: {scaling: {type: none}}`
    // override). Without a type they are said to be unused.
    let explicitly_off = s
        .kind
        .as_ref()
        .is_some_and(|k| k.value == ScalingType::None);
    if input.warn_unused && !explicitly_off {
        warn_unused_fields(s, kind, input.field, kind_span, d);
    }
    let replicas = input.replicas.map(|r| r.value);
    if kind == ScalingType::None {
        let count = replicas
            .or(s.min_instances.as_ref().map(|m| m.value))
            .unwrap_or(1);
        return LoweredScaling {
            scaling: Scaling::None,
            replicas: Replicas::Fixed(count),
            min_replicas: count,
        };
    }
    let default_min = match kind {
        ScalingType::Hpa => 1,
        _ => 0,
    };
    let mut min = s.min_instances.as_ref().map_or(default_min, |m| m.value);
    if let Some(r) = replicas {
        min = min.max(r);
    }
    let max = s
        .max_instances
        .as_ref()
        .map_or(DEFAULT_MAX.max(min), |m| m.value);
    if min > max {
        d.push(
            Diagnostic::error(
                Code::BadScaling,
                format!("min_instances ({min}) is larger than max_instances ({max})"),
            )
            .at(s.max_instances.as_ref().map_or(kind_span, |m| m.span))
            .field(format!("{}.scaling", input.field)),
        );
    }
    if max == 0 {
        d.push(
            Diagnostic::error(Code::BadScaling, "max_instances must be at least 1")
                .at(s.max_instances.as_ref().map_or(kind_span, |m| m.span))
                .field(format!("{}.scaling.max_instances", input.field)),
        );
    }
    let scaling = match kind {
        ScalingType::Hpa => lower_hpa(s, min, max, kind_span, input.field, d),
        ScalingType::KedaHttp => Scaling::Http {
            min,
            max,
            target_pending_requests: value(&s.target_pending_requests)
                .unwrap_or(DEFAULT_PENDING_REQUESTS),
            scaledown_period: value(&s.cooldown_period),
            hosts: Vec::new(),
            path_prefixes: Vec::new(),
            service: String::new(),
            port: 0,
            api: input.http_api,
        },
        ScalingType::KedaQueue => match lower_queue(s, input, kind_span, d) {
            Some(queue) => Scaling::Queue {
                min,
                max,
                queue,
                cooldown_period: value(&s.cooldown_period),
                polling_interval: value(&s.polling_interval),
            },
            None => Scaling::None,
        },
        ScalingType::KedaCron => lower_cron(s, min, max, kind_span, input.field, d),
        ScalingType::None => unreachable!("handled above"),
    };
    LoweredScaling {
        scaling,
        replicas: Replicas::Autoscaled,
        min_replicas: min,
    }
}

/// Jobs and CronJobs run to completion: no replica count, and an autoscaler is an error.
/// Scaling fields set but not read by `kind` (DESIGN rule 10: no silent fields).
fn warn_unused_fields(
    s: &ScalingSettings,
    kind: ScalingType,
    field: &str,
    fallback: Span,
    d: &mut Diagnostics,
) {
    use ScalingType::{Hpa, KedaCron, KedaHttp, KedaQueue, None as NoScaling};
    let fields: [(&str, Option<Span>, &[ScalingType]); 14] = [
        (
            "max_instances",
            s.max_instances.as_ref().map(|v| v.span),
            &[Hpa, KedaHttp, KedaQueue, KedaCron],
        ),
        (
            "target_pending_requests",
            s.target_pending_requests.as_ref().map(|v| v.span),
            &[KedaHttp],
        ),
        (
            "queue_name",
            s.queue_name.as_ref().map(|v| v.span),
            &[KedaQueue],
        ),
        (
            "queue_length",
            s.queue_length.as_ref().map(|v| v.span),
            &[KedaQueue],
        ),
        (
            "queue_type",
            s.queue_type.as_ref().map(|v| v.span),
            &[KedaQueue],
        ),
        (
            "consumer_group",
            s.consumer_group.as_ref().map(|v| v.span),
            &[KedaQueue],
        ),
        (
            "queue",
            s.queue
                .as_ref()
                .map(|q| q.address.as_ref().map_or(fallback, |a| a.span)),
            &[KedaQueue],
        ),
        (
            "schedules",
            s.schedules.first().map(|w| w.start.span),
            &[KedaCron],
        ),
        (
            "target_cpu_percent",
            s.target_cpu_percent.as_ref().map(|v| v.span),
            &[Hpa],
        ),
        (
            "target_memory_percent",
            s.target_memory_percent.as_ref().map(|v| v.span),
            &[Hpa],
        ),
        (
            "scale_up_stabilization",
            s.scale_up_stabilization.as_ref().map(|v| v.span),
            &[Hpa],
        ),
        (
            "scale_down_stabilization",
            s.scale_down_stabilization.as_ref().map(|v| v.span),
            &[Hpa],
        ),
        (
            "cooldown_period",
            s.cooldown_period.as_ref().map(|v| v.span),
            &[Hpa, KedaHttp, KedaQueue],
        ),
        (
            "polling_interval",
            s.polling_interval.as_ref().map(|v| v.span),
            &[KedaQueue],
        ),
    ];
    let name = match kind {
        Hpa => "hpa",
        KedaHttp => "keda-http",
        KedaQueue => "keda-queue",
        KedaCron => "keda-cron",
        NoScaling => "none",
    };
    for (key, at, used_by) in fields {
        let Some(at) = at else {
            continue;
        };
        if !used_by.contains(&kind) {
            d.push(
                Diagnostic::warning(
                    Code::UnusedSetting,
                    if s.kind.is_some() {
                        format!("`scaling.{key}` has no effect with `type: {name}`")
                    } else {
                        format!("`scaling.{key}` has no effect without `scaling.type` (it scales with `{name}`)")
                    },
                )
                .at(at)
                .field(format!("{field}.scaling.{key}")),
            );
        }
    }
}

fn job_scaling(input: &ScalingInput<'_>, d: &mut Diagnostics) -> LoweredScaling {
    let kind = input.settings.and_then(|s| s.kind.as_ref());
    if let Some(kind) = kind.filter(|k| k.value != ScalingType::None) {
        d.push(
            Diagnostic::error(
                Code::BadScaling,
                "a CronJob or Job cannot have an autoscaler",
            )
            .at(kind.span)
            .field(format!("{}.scaling.type", input.field)),
        );
    }
    LoweredScaling {
        scaling: Scaling::None,
        replicas: Replicas::NotApplicable,
        min_replicas: 0,
    }
}

fn lower_hpa(
    s: &ScalingSettings,
    min: u32,
    max: u32,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> Scaling {
    if min == 0 {
        d.push(
            Diagnostic::error(
                Code::BadScaling,
                "an HPA cannot scale to zero (min_instances: 0)",
            )
            .at(s.min_instances.as_ref().map_or(span, |m| m.span))
            .field(format!("{field}.scaling.min_instances"))
            .help("use `type: keda-http` or `keda-queue` to scale to zero, or min_instances: 1"),
        );
    }
    for percent in [&s.target_cpu_percent, &s.target_memory_percent]
        .into_iter()
        .flatten()
    {
        if percent.value == 0 {
            d.push(
                Diagnostic::error(Code::BadScaling, "a utilization target must be above 0%")
                    .at(percent.span)
                    .field(format!("{field}.scaling")),
            );
        }
    }
    let cpu = s.target_cpu_percent.as_ref().map(|p| p.value);
    let memory = s.target_memory_percent.as_ref().map(|p| p.value);
    Scaling::Hpa {
        min,
        max,
        // With no target given, scale on CPU at 80% like `kubectl autoscale`.
        cpu_percent: if cpu.is_none() && memory.is_none() {
            Some(80)
        } else {
            cpu
        },
        memory_percent: memory,
        scale_up_stabilization: value(&s.scale_up_stabilization),
        scale_down_stabilization: value(&s.scale_down_stabilization).or(value(&s.cooldown_period)),
    }
}

fn lower_queue(
    s: &ScalingSettings,
    input: &ScalingInput<'_>,
    span: Span,
    d: &mut Diagnostics,
) -> Option<QueueTrigger> {
    let Some(name) = &s.queue_name else {
        d.push(
            Diagnostic::error(Code::MissingKey, "`type: keda-queue` needs `queue_name`")
                .at(span)
                .field(format!("{}.scaling", input.field)),
        );
        return None;
    };
    let stream = s.queue_type.as_ref().map(|t| t.value) == Some(QueueType::Stream);
    if stream && s.consumer_group.is_none() {
        d.push(
            Diagnostic::error(
                Code::MissingKey,
                "a stream queue (`queue_type: stream`) needs `consumer_group`",
            )
            .at(name.span)
            .field(format!("{}.scaling.consumer_group", input.field)),
        );
    }
    let connection = queue_connection(s, &input.queue_defaults, input.namespace);
    Some(QueueTrigger {
        stream,
        name: name.value.clone(),
        target: value(&s.queue_length).unwrap_or(DEFAULT_QUEUE_LENGTH),
        consumer_group: s.consumer_group.as_ref().map(|g| g.value.clone()),
        address: connection.address,
        database: connection.database,
        tls: connection.tls,
        password: connection.password,
    })
}

/// Where a queue lives: the first of `scaling.queue` and `defaults` that says, field by field;
/// `valkey.<namespace>.svc.cluster.local:6379` when none gives an address.
#[derive(Debug, Clone)]
pub struct QueueEndpoint {
    /// `host:port`.
    pub address: String,
    pub database: Option<u32>,
    pub tls: bool,
    /// Secret name and key of the password.
    pub password: Option<(String, String)>,
}

/// The connection the scaler (and a function's runtime) use for `settings`' queue.
pub fn queue_connection<C: std::borrow::Borrow<QueueConnection>>(
    settings: &ScalingSettings,
    defaults: &[C],
    namespace: &str,
) -> QueueEndpoint {
    let connections: Vec<&QueueConnection> = settings
        .queue
        .iter()
        .chain(defaults.iter().map(|c| c.borrow()))
        .collect();
    QueueEndpoint {
        address: connections
            .iter()
            .find_map(|c| c.address.as_ref().map(|a| a.value.clone()))
            .unwrap_or_else(|| format!("valkey.{namespace}.svc.cluster.local:6379")),
        database: connections.iter().find_map(|c| c.database),
        tls: connections.iter().find_map(|c| c.tls).unwrap_or(false),
        password: connections
            .iter()
            .find_map(|c| c.password_secret.as_ref())
            .map(|p| (p.name.value.clone(), p.key.value.clone())),
    }
}

fn lower_cron(
    s: &ScalingSettings,
    min: u32,
    max: u32,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> Scaling {
    if s.schedules.is_empty() {
        d.push(
            Diagnostic::error(Code::MissingKey, "`type: keda-cron` needs `schedules`")
                .at(span)
                .field(format!("{field}.scaling")),
        );
    }
    let mut windows = Vec::new();
    for (index, window) in s.schedules.iter().enumerate() {
        for (which, expr) in [("start", &window.start), ("end", &window.end)] {
            if let Err(problem) = crate::lower::check_cron(&expr.value) {
                d.push(
                    Diagnostic::error(Code::BadCron, problem)
                        .at(expr.span)
                        .field(format!("{field}.scaling.schedules[{index}].{which}")),
                );
            }
        }
        windows.push(CronWindow {
            timezone: window.timezone.clone().unwrap_or_else(|| "UTC".to_string()),
            start: window.start.value.clone(),
            end: window.end.value.clone(),
            desired_replicas: window.desired_replicas,
        });
    }
    Scaling::Cron { min, max, windows }
}
