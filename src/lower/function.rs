//! `serverless:` entries: every Python function discovered in the project becomes one Workload
//! running the project's one image, through the same pieces apps use; nothing here renders.
//!
//! # Shapes
//! - `@http_trigger`: a Deployment and a ClusterIP Service (port 80 → container port 8080,
//!   `http`), scaled by keda-http (0 to 10, scale to zero); an ingress route only when the
//!   function is `public`, through the KEDA interceptor when it scales with keda-http (DESIGN
//!   rule 8). With keda-http the function's own name (`<entry>-<function>`) is an ExternalName
//!   Service of the interceptor, so in-cluster callers go through it too (rule 12), and the
//!   pods' Service is `<name>-pods` (`lower_workload` does this for every keda-http workload).
//! - `@queue_trigger`: a worker Deployment scaled by keda-queue on the Redis/Valkey list or stream
//!   (`mode="job"`: a ScaledJob, one Job per batch); no ports, no Service, no route.
//! - `@schedule_trigger`: a CronJob (history 3/1, backoffLimit 2, restartPolicy OnFailure); no
//!   ports, no Service, no route.
//!
//! Every function gets a NetworkPolicy from its visibility (default `private`; pods without
//! ports accept no traffic; `restricted` admits `allow_from_namespaces`/`allow_from_pods`, else
//! the entry's `allowed_sources`) and a "restricted" pod security context unless loosened.
//!
//! # Precedence
//! Decorator argument > the entry's per-environment block > the entry's `serverless:` fields >
//! decorators.json's built-in default (memory 256Mi, cpu 100m, memory limit = the memory
//! request, timeout 30 s, 0–10 instances, private). `resolve` has already merged the
//! environment block into the entry; here `@serverless(...)` replaces, per field, resources
//! (`memory`, `cpu`, `memory_limit`, `cpu_limit`, `ephemeral_storage`), scaling
//! (`min_instances`, `max_instances`, `cooldown_period`, `target_pending_requests`),
//! `visibility`, `service_account`, `timeout` and the restricted sources; its `environment`
//! and `labels` win per key; its `secrets` are imported whole as environment variables
//! (`envFrom`), in addition to the entry's `secrets:`. The entry's `scaling.type` applies to
//! HTTP functions only: a queue function always scales with keda-queue on its own queue, a
//! scheduled one never scales. The entry's `ingress:` gives HTTP routes their TLS, hosts,
//! timeouts, CORS, rate limit, auth and annotations; the path, `strip_prefix`, hosts, methods,
//! `cors` (off) and `rate_limit` (per minute) of `@http_trigger` win. `@http_trigger(auth=…)`
//! wins over the entry's `auth.type`. The entry's `job:` replaces, per field, the Job settings
//! of job functions (ScaledJob, CronJob; `active_deadline_seconds` over the `timeout`), and its
//! `node_selector`, `tolerations`, `affinity` and `priority_class_name` go on every function's
//! pods.
//!
//! # Runtime contract
//! The image's command (the runtime, `build.runtime.command`) serves one function, chosen by
//! environment variables (runtime/python/README.md has the runtime's side):
//! - `K3SFN_FUNCTION`: the Python name; `K3SFN_MODULE`: its module (`functions.api`);
//!   `K3SFN_TRIGGER`: `http`, `queue` or `schedule`; `K3SFN_TIMEOUT`: seconds one invocation may
//!   take.
//! - HTTP: `PORT=8080` (the port to listen on, with httpGet readiness and liveness probes on
//!   `/_k3sfn/health`); `K3SFN_HTTP_METHODS`: comma-separated allowed methods, when restricted;
//!   `K3SFN_HTTP_PATHS`: the trigger path as the pod sees it (after the route strips its
//!   prefix); `K3SFN_AUTH` (`api_key`/`jwt`) with `K3SFN_AUTH_DIR`, where the entry's
//!   `auth.secret` is mounted read-only, and `K3SFN_API_KEY_HEADER` / `K3SFN_JWT_*` when the
//!   entry sets them; `K3SFN_CORS_*` from the entry's `ingress.cors` only when no route answers
//!   CORS (the function is not routed) and `cors` is not off. The pods may drain for the
//!   timeout plus 2 s (`terminationGracePeriodSeconds` when that is over 30).
//! - Queue: `K3SFN_QUEUE`, `K3SFN_QUEUE_TYPE` (`list`/`stream`), `K3SFN_QUEUE_MODE`
//!   (`worker`: consume until stopped; `job`: one batch, then exit), `K3SFN_BATCH_SIZE`,
//!   `K3SFN_VISIBILITY_TIMEOUT`, `K3SFN_MAX_ATTEMPTS`, `K3SFN_CONSUMER_GROUP` (streams),
//!   `K3SFN_QUEUE_ADDRESS` (`host:port`), `K3SFN_QUEUE_DATABASE` and `K3SFN_QUEUE_TLS` (when
//!   set), `K3SFN_QUEUE_PASSWORD` (from the password Secret, when configured).
//! - Schedule: run the function once and exit (non-zero on failure).
//!
//! These names are reserved: apps.yaml and decorators may not set `K3SFN_*` (nor `PORT` for
//! HTTP functions).
//!
//! # Defaults
//! Queue connection: `scaling.queue`, else the entry's `queue`, else `defaults.queue`, else
//! `valkey.<namespace>.svc.cluster.local:6379`. A stream's consumer group defaults to the
//! workload name. A worker's target queue length defaults to `batch_size × 5` (five batches
//! waiting per replica), a ScaledJob's to `batch_size` (one Job per batch). A worker with a
//! `timeout` above 30 s gets that long to finish on shutdown. Names are `<entry>-<function>`
//! (or `<entry>-<@serverless name>`) made a DNS label.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use self::http::http_parts;
use self::project::{
    check_unused_auth_settings, check_unused_ingress_settings, check_unused_job_settings,
    project_build, workload_name,
};
use self::settings::{
    check_ignored_settings, check_reserved_env, decorator_secrets, merged_environment,
    merged_labels, merged_resources, merged_scaling, merged_security,
};
use self::triggers::{queue_parts, schedule_parts};
pub use super::build::GENERATED_DOCKERFILE;
use super::context::LowerContext;
use super::network::visibility;
use super::spec::{
    ContainerSpec, DefaultVisibility, EnvSpec, ImageSpec, NetworkSpec, OwnParts, Placement,
    ProbeSpec, ServiceSpec, WorkloadSpec,
};
use super::workload::lower_workload;
use crate::config::{PodSecurityProfile, ServerlessEntry, ServiceType, Visibility};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span, display_path};
use crate::resolve::Entry;
use crate::sources::python::{DiscoveredFunction, Trigger, discover, serverless_defaults};
use crate::workload::{EnvSource, EnvVar, LoweredEntry, PortForward, Workload};

/// The port HTTP functions listen on (`PORT`).
pub const HTTP_PORT: u16 = 8080;
/// The port of an HTTP function's Service.
pub const SERVICE_PORT: u16 = 80;
const PORT_NAME: &str = "http";

/// Who may reach a function: its decorator's `visibility`, else the entry's, else `private`.
pub fn function_visibility(entry: &ServerlessEntry, function: &DiscoveredFunction) -> Visibility {
    merged_security(
        entry.security.as_ref(),
        &function.settings,
        "",
        &mut Diagnostics::new(),
    )
    .visibility
    .map_or(serverless_defaults().visibility, |v| v.value)
}

/// Discovers the entry's functions under its `path` and lowers each to a Workload, plus the
/// project's one image build (and generated Dockerfile). Problems go to `d`, each once.
pub fn lower_function_project(
    entry: &Entry<ServerlessEntry>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> LoweredEntry {
    let spec = &entry.spec;
    let field = entry.field();
    let mut out = LoweredEntry::default();
    let Some(dir) = cx.existing_dir(
        &spec.path,
        &field,
        spec.allow_outside_project.unwrap_or(false),
        d,
    ) else {
        return out;
    };
    let discovery = match discover(&dir, &display_path(&dir)) {
        Ok(discovery) => discovery,
        Err(problems) => {
            d.extend(problems);
            return out;
        }
    };
    d.extend(discovery.warnings);
    check_unused_ingress_settings(entry, d);
    check_unused_job_settings(entry, &discovery.functions, d);
    let mut build = project_build(entry, &dir, &discovery.functions, cx, &mut out.files, d);

    // Lowering repeats the entry's settings for every function; report each problem once.
    let mut found = Diagnostics::new();
    let mut names: BTreeMap<String, (&DiscoveredFunction, Span)> = BTreeMap::new();
    let mut accounts = BTreeSet::new();
    let mut external_secrets = BTreeSet::new();
    let mut http_workloads = Vec::new();
    for function in &discovery.functions {
        let Some((name, name_span)) = workload_name(entry, function, &mut names, d) else {
            continue;
        };
        let mut workload = lower_function(
            &FunctionInput {
                entry,
                function,
                name,
                name_span,
                image: &build.reference,
            },
            cx,
            &mut found,
        );
        // Objects of the entry are rendered once, with the first function that uses them.
        if let Some(account) = &workload.service_account
            && !accounts.insert(account.name.clone())
        {
            workload.service_account = None;
        }
        workload
            .external_secrets
            .retain(|secret| external_secrets.insert(secret.name.clone()));
        if matches!(function.trigger, Trigger::Http(_)) {
            http_workloads.push(workload.name.clone());
        }
        out.workloads.push(workload);
    }
    check_unused_auth_settings(entry, &out.workloads, &mut found);
    let mut seen = BTreeSet::new();
    for diagnostic in found {
        if seen.insert(diagnostic.render()) {
            d.push(diagnostic);
        }
    }
    if let Some(base) = spec.port_base {
        for (index, workload) in http_workloads.into_iter().enumerate() {
            let local = u16::try_from(index)
                .ok()
                .and_then(|index| base.checked_add(index));
            let Some(local_port) = local else {
                d.push(
                    Diagnostic::error(
                        Code::BadPort,
                        format!(
                            "port_base {base} leaves no local port for function workload \
                             `{workload}`"
                        ),
                    )
                    .at(entry.name.span)
                    .field(format!("{field}.port_base")),
                );
                break;
            };
            build.port_forwards.push(PortForward {
                workload,
                local_port,
                container_port: HTTP_PORT,
            });
        }
    }
    out.builds.push(build);
    out
}

struct FunctionInput<'a> {
    entry: &'a Entry<ServerlessEntry>,
    function: &'a DiscoveredFunction,
    name: String,
    name_span: Span,
    image: &'a str,
}

fn lower_function(
    input: &FunctionInput<'_>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> Workload {
    let spec = function_spec(input, cx, d);
    lower_workload(spec, cx, d).workload
}

/// One function's decorators laid over its entry, as a `WorkloadSpec`. Settings that come from
/// the entry are reported at the entry (once, by the caller); the decorator's at the decorator.
fn function_spec(
    input: &FunctionInput<'_>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> WorkloadSpec {
    let entry = input.entry;
    let spec = &entry.spec;
    let function = input.function;
    let settings = &function.settings;
    let entry_field = entry.field();
    let field = format!("{entry_field}.{}", function.name);
    let defaults = serverless_defaults();
    let timeout = settings
        .timeout
        .as_ref()
        .or(spec.timeout.as_ref())
        .map_or(defaults.timeout, |t| t.value);
    let security = merged_security(spec.security.as_ref(), settings, &field, d);
    let visibility = visibility(Some(&security), defaults.visibility);
    let resources = merged_resources(spec.resources.as_ref(), settings, &field, d);
    let extra_env_from = decorator_secrets(settings, &field, d);
    let scaling = merged_scaling(spec.scaling.as_ref(), settings);
    let mut parts = match &function.trigger {
        Trigger::Http(trigger) => http_parts(input, trigger, scaling, visibility, timeout, cx, d),
        Trigger::Queue(trigger) => queue_parts(input, trigger, scaling, Some(timeout), cx),
        Trigger::Schedule(trigger) => schedule_parts(trigger, Some(timeout)),
    };
    // The entry's `job:` for the Job of every run (a ScaledJob's, a CronJob's).
    if let (Some(job), Some(given)) = (parts.controller.job.as_mut(), spec.job.as_ref()) {
        if let Some(limit) = &given.backoff_limit {
            job.backoff_limit = Some(limit.clone());
        }
        if let Some(ttl) = &given.ttl_seconds_after_finished {
            job.ttl_seconds_after_finished = Some(ttl.clone());
        }
        if let Some(deadline) = &given.active_deadline_seconds {
            job.active_deadline_seconds = Some(deadline.clone());
        }
    }
    check_ignored_settings(function, &field, d);
    let labels = merged_labels(spec, settings, &field, d);
    let mut secrets = spec.secrets.clone();
    secrets.extend(parts.secret_mounts.iter().cloned());
    if visibility == Visibility::Public
        && parts.controller.kind.is_job()
        && let Some(set) = &settings.visibility
    {
        d.push(
            Diagnostic::warning(
                Code::PublicWithoutIngress,
                format!(
                    "`{}` is not an HTTP function, so `visibility=\"public\"` publishes nothing",
                    function.name
                ),
            )
            .at(set.span)
            .field(format!("{field}.@serverless.visibility")),
        );
    }
    let is_http = matches!(function.trigger, Trigger::Http(_));
    check_reserved_env(spec, settings, is_http, &entry_field, &field, d);
    let mut given = runtime_env(function, Some(timeout));
    given.extend(parts.env);
    given.extend(merged_environment(spec, settings, &entry_field, &field, d));

    WorkloadSpec {
        name: input.name.clone(),
        name_span: input.name_span,
        field,
        settings_field: entry_field.clone(),
        settings_span: entry.name.span,
        entry: entry.name.value.clone(),
        namespace: entry.namespace.clone(),
        container_name: input.name.clone(),
        image: ImageSpec {
            reference: input.image.to_string(),
            build: None,
            pull_policy: Some(cx.image_pull_policy()),
        },
        controller: parts.controller,
        container: ContainerSpec {
            ports: parts.ports,
            ports_field: entry_field,
            ..ContainerSpec::default()
        },
        resources: Some(resources),
        default_profile: PodSecurityProfile::Restricted,
        security: Some(security),
        volumes: Vec::new(),
        allow_host_path: false,
        env: EnvSpec {
            given,
            env_from: spec.env_from.clone(),
            extra_env_from,
            secrets,
            ..EnvSpec::default()
        },
        probes: ProbeSpec::Given(parts.probes),
        scaling: parts.scaling,
        service: ServiceSpec {
            name: input.name.clone(),
            kind: ServiceType::ClusterIP,
            annotations: BTreeMap::new(),
            enabled: true,
        },
        route: parts.route,
        network: NetworkSpec {
            default_visibility: DefaultVisibility::Fixed(Visibility::Private),
            extra_ingress: Vec::new(),
        },
        disruption_budget: None,
        placement: Placement {
            node_selector: spec.node_selector.clone(),
            tolerations: spec.tolerations.clone(),
            node_affinity: spec.affinity.clone(),
            priority_class_name: spec.priority_class_name.clone(),
            termination_grace_period_seconds: parts.termination_grace_period_seconds,
            ..Placement::default()
        },
        labels,
        pod_annotations: BTreeMap::new(),
        image_pull_secrets: spec.image_pull_secrets.clone(),
        own: OwnParts::default(),
    }
}

/// The variables every function's runtime reads (see the module docs).
fn runtime_env(function: &DiscoveredFunction, timeout: Option<u32>) -> Vec<EnvVar> {
    let trigger = match function.trigger {
        Trigger::Http(_) => "http",
        Trigger::Queue(_) => "queue",
        Trigger::Schedule(_) => "schedule",
    };
    let mut env = vec![
        literal("K3SFN_FUNCTION", function.name.clone()),
        literal("K3SFN_MODULE", python_module(&function.file)),
        literal("K3SFN_TRIGGER", trigger),
    ];
    if let Some(seconds) = timeout {
        env.push(literal("K3SFN_TIMEOUT", seconds.to_string()));
    }
    env
}

/// `functions/billing/worker.py` → `functions.billing.worker`; `functions/__init__.py` →
/// `functions`.
fn python_module(file: &Path) -> String {
    let mut parts: Vec<String> = file
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.len() > 1 && parts.last().is_some_and(|p| p == "__init__") {
        parts.pop();
    }
    parts.join(".")
}

fn literal(name: &str, value: impl Into<String>) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: EnvSource::Literal(value.into()),
    }
}

mod http;
mod project;
mod settings;
mod triggers;

#[cfg(test)]
mod contract_tests;
#[cfg(test)]
mod tests;
