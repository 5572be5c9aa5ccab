//! What each trigger makes of a function: controller, replica owner and scaler, ports, Service
//! and route, probes, and the trigger's runtime variables; settings are merged before this.

use std::collections::BTreeMap;

use super::{FunctionInput, HTTP_PORT, PORT_NAME, SERVICE_PORT, literal};
use crate::config::{
    IngressController, JobSettings, Protocol, QueueConnection, QueueType,
    Scaling as ScalingSettings, ScalingType, ServerlessEntry, ServiceType, Visibility,
    WorkloadKind,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::lower::availability::lower_strategy;
use crate::lower::context::LowerContext;
use crate::lower::route::{RouteSpec, attach_http_scaling, lower_route};
use crate::lower::scaling::{DEFAULT_QUEUE_LENGTH, ScalingInput, lower_scaling};
use crate::lower::workload_kind::{JobInput, job_options, lower_controller};
use crate::resolve::Entry;
use crate::sources::python::{HttpTrigger, QueueMode, QueueTrigger, ScheduleTrigger};
use crate::workload::{
    ContainerPort, Controller, EnvSource, EnvVar, PortTarget, Probe, ProbeAction, Replicas, Route,
    Scaling, Service, ServicePort,
};
use crate::yaml::Spanned;

/// The shutdown grace Kubernetes gives when told nothing.
const DEFAULT_GRACE_SECONDS: u32 = 30;

/// What the trigger decides: controller, scaling, ports and exposure, and its runtime variables.
pub(super) struct TriggerParts {
    pub(super) controller: Controller,
    pub(super) replicas: Replicas,
    pub(super) scaling: Scaling,
    pub(super) ports: Vec<ContainerPort>,
    pub(super) services: Vec<Service>,
    pub(super) routes: Vec<Route>,
    pub(super) probe: Option<Probe>,
    pub(super) env: Vec<EnvVar>,
    pub(super) termination_grace_period_seconds: Option<i64>,
}

/// A Deployment listening on 8080 behind a Service on 80, scaled by keda-http unless the entry
/// says otherwise, routed only when public.
pub(super) fn http_parts(
    input: &FunctionInput<'_>,
    trigger: &HttpTrigger,
    mut scaling_settings: ScalingSettings,
    visibility: Visibility,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> TriggerParts {
    let entry = input.entry;
    let spec = &entry.spec;
    let entry_field = entry.field();
    let name = &input.name;
    if let Some(kind) = &scaling_settings.kind
        && kind.value == ScalingType::KedaQueue
    {
        d.push(
            Diagnostic::error(
                Code::BadScaling,
                "`scaling.type: keda-queue` cannot scale HTTP functions; queue functions scale \
                 on their own queue without it",
            )
            .at(kind.span)
            .field(format!("{entry_field}.scaling.type"))
            .help("use keda-http (the default for functions), hpa or none"),
        );
        scaling_settings.kind = None;
    }
    let mut scaling = lower_scaling(
        &ScalingInput {
            settings: Some(&scaling_settings),
            default_type: ScalingType::KedaHttp,
            replicas: None,
            queue_defaults: queue_defaults(entry, cx),
            namespace: &entry.namespace,
            http_api: cx.http_scaler_api(),
            is_job: false,
            field: &entry_field,
            span: input.function.span,
        },
        d,
    );
    let keda_http = matches!(scaling.scaling, Scaling::Http { .. });
    let ingress = spec.ingress.clone().unwrap_or_default();
    let route = if visibility == Visibility::Public && ingress.enabled != Some(false) {
        let mut annotations = ingress.annotations.clone();
        annotations.extend(spec.ingress_annotations.clone());
        let hosts = if trigger.hosts.is_empty() {
            &ingress.hosts
        } else {
            &trigger.hosts
        };
        // HAProxy cannot restrict methods per path; the runtime enforces them there.
        let methods = if cx.ingress() == IngressController::Traefik {
            trigger
                .methods
                .iter()
                .map(|m| m.as_str().to_string())
                .collect()
        } else {
            Vec::new()
        };
        lower_route(
            RouteSpec {
                name: name.clone(),
                path: Some(&trigger.path),
                default_path: "/",
                path_type: ingress.path_type,
                strip_prefix: trigger
                    .strip_prefix
                    .as_ref()
                    .map(|s| s.value)
                    .or(ingress.strip_prefix)
                    .unwrap_or(false),
                rewrite_target: None,
                hosts: hosts.iter().map(|h| h.value.clone()).collect(),
                tls: ingress.tls.as_ref(),
                timeouts: ingress.timeouts.as_ref(),
                rate_limit: ingress.rate_limit.as_ref(),
                cors: ingress.cors.as_ref(),
                auth: ingress.auth.as_ref(),
                methods,
                annotations,
                entry_points: ingress.entry_points.clone(),
                class: ingress.class.clone(),
                service: name.clone(),
                port: SERVICE_PORT,
                keda_http,
                field: &format!("{entry_field}.ingress"),
                span: trigger.span,
            },
            cx,
            d,
        )
    } else {
        None
    };
    attach_http_scaling(
        &mut scaling.scaling,
        route.as_ref(),
        name,
        SERVICE_PORT,
        &entry.namespace,
    );
    let service = Service {
        name: name.clone(),
        kind: ServiceType::ClusterIP,
        ports: vec![ServicePort {
            name: PORT_NAME.to_string(),
            port: SERVICE_PORT,
            target_port: PortTarget::Name(PORT_NAME.to_string()),
            protocol: Protocol::Tcp,
            node_port: None,
        }],
        annotations: BTreeMap::new(),
    };
    let mut env = vec![literal("PORT", HTTP_PORT.to_string())];
    if !trigger.methods.is_empty() {
        let methods: Vec<&str> = trigger.methods.iter().map(|m| m.as_str()).collect();
        env.push(literal("K3SFN_HTTP_METHODS", methods.join(",")));
    }
    TriggerParts {
        controller: deployment(input, d),
        replicas: scaling.replicas,
        scaling: scaling.scaling,
        ports: vec![ContainerPort {
            name: PORT_NAME.to_string(),
            container_port: HTTP_PORT,
            protocol: Protocol::Tcp,
        }],
        services: vec![service],
        routes: route.into_iter().collect(),
        probe: Some(Probe {
            action: ProbeAction::Tcp {
                port: PortTarget::Name(PORT_NAME.to_string()),
            },
            initial_delay_seconds: None,
            period_seconds: Some(10),
            timeout_seconds: None,
            success_threshold: None,
            failure_threshold: Some(3),
        }),
        env,
        termination_grace_period_seconds: None,
    }
}

/// A worker Deployment (or, with `mode="job"`, a ScaledJob) scaled by keda-queue on the
/// trigger's list or stream; no ports.
pub(super) fn queue_parts(
    input: &FunctionInput<'_>,
    trigger: &QueueTrigger,
    mut settings: ScalingSettings,
    timeout: Option<u32>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> TriggerParts {
    let entry = input.entry;
    let job_mode = trigger.mode.value == QueueMode::Job;
    let stream = trigger.queue_type.value == QueueType::Stream;
    let batch_size = trigger.batch_size.value;
    settings.kind = Some(Spanned::new(ScalingType::KedaQueue, trigger.span));
    settings.queue_name = Some(trigger.queue_name.clone());
    settings.queue_type = Some(trigger.queue_type.value);
    settings.consumer_group = stream.then(|| {
        trigger
            .consumer_group
            .as_ref()
            .map_or_else(|| input.name.clone(), |g| g.value.clone())
    });
    settings.queue_length = Some(
        trigger
            .queue_length
            .as_ref()
            .map(|l| l.value)
            .or(settings.queue_length)
            .unwrap_or(if job_mode {
                batch_size
            } else {
                batch_size.saturating_mul(DEFAULT_QUEUE_LENGTH)
            }),
    );
    let scaling = lower_scaling(
        &ScalingInput {
            settings: Some(&settings),
            default_type: ScalingType::KedaQueue,
            replicas: None,
            queue_defaults: queue_defaults(entry, cx),
            namespace: &entry.namespace,
            http_api: cx.http_scaler_api(),
            is_job: false,
            field: &entry.field(),
            span: input.function.span,
        },
        d,
    );

    let mut env = vec![
        literal("K3SFN_QUEUE", trigger.queue_name.value.clone()),
        literal(
            "K3SFN_QUEUE_TYPE",
            queue_type_name(trigger.queue_type.value),
        ),
        literal("K3SFN_QUEUE_MODE", trigger.mode.value.as_str()),
        literal("K3SFN_BATCH_SIZE", batch_size.to_string()),
    ];
    if let Some(seconds) = &trigger.visibility_timeout {
        env.push(literal(
            "K3SFN_VISIBILITY_TIMEOUT",
            seconds.value.to_string(),
        ));
    }
    if let Some(group) = &settings.consumer_group {
        env.push(literal("K3SFN_CONSUMER_GROUP", group.clone()));
    }
    if let Scaling::Queue { queue, .. } = &scaling.scaling {
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
    }
    let (controller, replicas, grace) = if job_mode {
        let job = JobSettings {
            active_deadline_seconds: timeout.map(i64::from),
            ..JobSettings::default()
        };
        (
            Controller::ScaledJob {
                job: job_options(&job, "Never"),
            },
            Replicas::NotApplicable,
            None,
        )
    } else {
        (
            deployment(input, d),
            scaling.replicas,
            timeout
                .filter(|t| *t > DEFAULT_GRACE_SECONDS)
                .map(i64::from),
        )
    };
    TriggerParts {
        controller,
        replicas,
        scaling: scaling.scaling,
        ports: Vec::new(),
        services: Vec::new(),
        routes: Vec::new(),
        probe: None,
        env,
        termination_grace_period_seconds: grace,
    }
}

/// A CronJob running the function on the trigger's schedule; no ports, no scaling.
pub(super) fn schedule_parts(
    input: &FunctionInput<'_>,
    trigger: &ScheduleTrigger,
    timeout: Option<u32>,
    d: &mut Diagnostics,
) -> TriggerParts {
    let job = JobSettings {
        schedule: Some(trigger.cron.clone()),
        timezone: Some(trigger.timezone.value.clone()),
        concurrency_policy: Some(trigger.concurrency_policy.value),
        starting_deadline_seconds: trigger
            .starting_deadline_seconds
            .as_ref()
            .map(|s| i64::from(s.value)),
        active_deadline_seconds: timeout.map(i64::from),
        suspend: trigger.suspend.as_ref().map(|s| s.value),
        ..JobSettings::default()
    };
    let field = format!("{}.{}", input.entry.field(), input.function.name);
    let controller = lower_controller(
        &JobInput {
            kind: WorkloadKind::Cronjob,
            job: Some(&job),
            strategy: lower_strategy(None, false),
            revision_history_limit: None,
            stateful_claims: Vec::new(),
            name: &input.name,
            field: &field,
            span: trigger.span,
        },
        d,
    );
    TriggerParts {
        controller,
        replicas: Replicas::NotApplicable,
        scaling: Scaling::None,
        ports: Vec::new(),
        services: Vec::new(),
        routes: Vec::new(),
        probe: None,
        env: Vec::new(),
        termination_grace_period_seconds: None,
    }
}

/// A Deployment rolling out one pod at a time (maxSurge 1, maxUnavailable 0).
fn deployment(input: &FunctionInput<'_>, d: &mut Diagnostics) -> Controller {
    let field = format!("{}.{}", input.entry.field(), input.function.name);
    lower_controller(
        &JobInput {
            kind: WorkloadKind::Deployment,
            job: None,
            strategy: lower_strategy(None, false),
            revision_history_limit: None,
            stateful_claims: Vec::new(),
            name: &input.name,
            field: &field,
            span: input.function.span,
        },
        d,
    )
}

/// Where queues live when `scaling.queue` does not say: the entry's `queue`, then
/// `defaults.queue`.
fn queue_defaults<'a>(
    entry: &'a Entry<ServerlessEntry>,
    cx: &'a LowerContext<'_>,
) -> Vec<&'a QueueConnection> {
    entry
        .spec
        .queue
        .iter()
        .chain(cx.resolved.defaults.queue.iter())
        .collect()
}

fn queue_type_name(queue_type: QueueType) -> &'static str {
    match queue_type {
        QueueType::List => "list",
        QueueType::Stream => "stream",
    }
}
