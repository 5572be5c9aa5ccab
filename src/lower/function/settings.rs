//! Decorator arguments laid over the resolved entry, as the config values the shared lowering
//! takes, and checks of what a decorator and its entry say together; no Kubernetes shapes here.

use std::collections::BTreeMap;

use super::literal;
use crate::config::{
    Peer, Quantity, Resources as ResourceSettings, Scaling as ScalingSettings, Security,
    ServerlessEntry, Visibility,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::lower::env::{lower_env_refs, lower_environment};
use crate::names::check_dns_subdomain;
use crate::secrets::looks_secret;
use crate::sources::python::{DiscoveredFunction, FunctionSettings, Trigger, serverless_defaults};
use crate::workload::{EnvFrom, EnvVar, RefKind};
use crate::yaml::Spanned;

/// The entry's `security:` with the decorator's `visibility`, `service_account` and
/// `allow_from_*` over it: the sources, when given, replace the entry's `allowed_sources`
/// (namespaces, and pods of the function's namespace by label). They mean something only to
/// `restricted`, which is said at the decorator otherwise.
pub(super) fn merged_security(
    entry: Option<&Security>,
    settings: &FunctionSettings,
    field: &str,
    d: &mut Diagnostics,
) -> Security {
    let mut security = entry.cloned().unwrap_or_default();
    if let Some(visibility) = &settings.visibility {
        security.visibility = Some(visibility.clone());
    }
    if let Some(account) = &settings.service_account {
        security.service_account = Some(account.clone());
    }
    let mut sources: Vec<(Peer, Span, &str)> = settings
        .allow_from_namespaces
        .iter()
        .map(|namespace| {
            let peer = Peer {
                namespace: Some(namespace.value.clone()),
                pod_labels: BTreeMap::new(),
                cidr: None,
                except: Vec::new(),
            };
            (peer, namespace.span, "allow_from_namespaces")
        })
        .collect();
    if let Some(span) = settings.allow_from_pods_span
        && !settings.allow_from_pods.is_empty()
    {
        let peer = Peer {
            namespace: None,
            pod_labels: settings
                .allow_from_pods
                .iter()
                .map(|(k, v)| (k.value.clone(), v.value.clone()))
                .collect(),
            cidr: None,
            except: Vec::new(),
        };
        sources.push((peer, span, "allow_from_pods"));
    }
    let restricted = security
        .visibility
        .as_ref()
        .map_or(serverless_defaults().visibility, |v| v.value)
        == Visibility::Restricted;
    if !restricted {
        let mut warned = Vec::new();
        for (_, span, argument) in &sources {
            if warned.contains(argument) {
                continue;
            }
            warned.push(argument);
            d.push(
                Diagnostic::warning(
                    Code::UnusedSetting,
                    format!("`{argument}` only applies with `visibility=\"restricted\"`"),
                )
                .at(*span)
                .field(format!("{field}.@serverless.{argument}"))
                .help("set visibility=\"restricted\" to let only these sources in"),
            );
        }
    } else if !sources.is_empty() {
        security.allowed_sources = sources.into_iter().map(|(peer, _, _)| peer).collect();
    }
    security
}

/// The entry's `labels` with the decorator's over them; labels k3s sets itself (the selector
/// and `app.kubernetes.io/*` ones) cannot be given.
pub(super) fn merged_labels(
    spec: &ServerlessEntry,
    settings: &FunctionSettings,
    field: &str,
    d: &mut Diagnostics,
) -> BTreeMap<String, String> {
    const RESERVED: &[&str] = &[
        "app",
        "app.kubernetes.io/name",
        "app.kubernetes.io/instance",
        "app.kubernetes.io/part-of",
        "app.kubernetes.io/managed-by",
    ];
    let mut labels = spec.labels.clone();
    for (key, value) in &settings.labels {
        if RESERVED.contains(&key.value.as_str()) {
            d.push(
                Diagnostic::error(
                    Code::BadLabel,
                    format!(
                        "label `{}` is set by k3s (it selects the function's pods) and cannot be \
                         given",
                        key.value
                    ),
                )
                .at(key.span)
                .field(format!("{field}.@serverless.labels.{}", key.value)),
            );
            continue;
        }
        labels.insert(key.value.clone(), value.value.clone());
    }
    labels
}

/// The entry's `scaling:` with the decorator's numbers over it.
pub(super) fn merged_scaling(
    entry: Option<&ScalingSettings>,
    settings: &FunctionSettings,
) -> ScalingSettings {
    let mut scaling = entry.cloned().unwrap_or_default();
    if let Some(min) = &settings.min_instances {
        scaling.min_instances = Some(min.clone());
    }
    if let Some(max) = &settings.max_instances {
        scaling.max_instances = Some(max.clone());
    }
    if let Some(cooldown) = &settings.cooldown_period {
        scaling.cooldown_period = Some(cooldown.clone());
    }
    if let Some(pending) = &settings.target_pending_requests {
        scaling.target_pending_requests = Some(pending.clone());
    }
    scaling
}

/// The entry's `resources:` with each quantity the decorator gives replacing the entry's; a bad
/// quantity is reported at the decorator argument. What neither gives is decorators.json's
/// default: the memory and CPU requests, and a memory limit equal to the memory request.
pub(super) fn merged_resources(
    entry: Option<&ResourceSettings>,
    settings: &FunctionSettings,
    field: &str,
    d: &mut Diagnostics,
) -> ResourceSettings {
    let mut resources = entry.cloned().unwrap_or_default();
    let overrides = [
        ("memory", &settings.memory, &mut resources.memory),
        ("cpu", &settings.cpu, &mut resources.cpu),
        (
            "memory_limit",
            &settings.memory_limit,
            &mut resources.memory_limit,
        ),
        ("cpu_limit", &settings.cpu_limit, &mut resources.cpu_limit),
        (
            "ephemeral_storage",
            &settings.ephemeral_storage,
            &mut resources.ephemeral_storage,
        ),
    ];
    for (argument, given, slot) in overrides {
        let Some(given) = given else {
            continue;
        };
        match Quantity::parse(&given.value) {
            Ok(quantity) => *slot = Some(Spanned::new(quantity, given.span)),
            Err(problem) => d.push(
                Diagnostic::error(Code::BadQuantity, problem)
                    .at(given.span)
                    .field(format!("{field}.@serverless.{argument}")),
            ),
        }
    }
    let defaults = serverless_defaults();
    let builtin = |text: &str| {
        Spanned::builtin(Quantity::parse(text).expect("decorators.json defaults are quantities"))
    };
    if resources.memory.is_none() {
        resources.memory = Some(builtin(&defaults.memory));
    }
    if resources.cpu.is_none() {
        resources.cpu = Some(builtin(&defaults.cpu));
    }
    if resources.memory_limit.is_none() {
        resources.memory_limit = resources.memory.clone();
    }
    resources
}

/// The entry's `environment` and `env_refs`, with the decorator's `environment` winning per
/// variable; sorted by name.
pub(super) fn merged_environment(
    spec: &ServerlessEntry,
    settings: &FunctionSettings,
    entry_field: &str,
    field: &str,
    d: &mut Diagnostics,
) -> Vec<EnvVar> {
    let mut vars = lower_environment(&spec.environment, entry_field, d);
    vars.extend(lower_env_refs(&spec.env_refs, entry_field, d));
    for (name, value) in &settings.environment {
        if looks_secret(&name.value) && !value.value.is_empty() {
            d.push(
                Diagnostic::warning(
                    Code::SecretInPlainText,
                    format!(
                        "`{}` looks like a secret but is written in plain text",
                        name.value
                    ),
                )
                .at(value.span)
                .field(format!("{field}.@serverless.environment.{}", name.value))
                .help("import it from a Secret instead: @serverless(secrets=[\"<name>\"])"),
            );
        }
        vars.retain(|v| v.name != name.value);
        vars.push(literal(&name.value, value.value.clone()));
    }
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

/// `@serverless(secrets=[...])`: each Secret imported whole as environment variables (once,
/// beside the entry's own imports).
pub(super) fn decorator_secrets(
    settings: &FunctionSettings,
    field: &str,
    d: &mut Diagnostics,
) -> Vec<EnvFrom> {
    let mut out: Vec<EnvFrom> = Vec::new();
    for name in &settings.secrets {
        if let Err(problem) = check_dns_subdomain(&name.value) {
            d.push(
                Diagnostic::error(
                    problem.code(),
                    format!("Secret name `{}` {problem}", name.value),
                )
                .at(name.span)
                .field(format!("{field}.@serverless.secrets")),
            );
            continue;
        }
        out.push(EnvFrom {
            kind: RefKind::Secret,
            name: name.value.clone(),
            prefix: None,
            optional: false,
        });
    }
    out
}

/// `K3SFN_*` (and `PORT` for HTTP functions) belong to the runtime contract.
pub(super) fn check_reserved_env(
    spec: &ServerlessEntry,
    settings: &FunctionSettings,
    is_http: bool,
    entry_field: &str,
    field: &str,
    d: &mut Diagnostics,
) {
    let reserved = |name: &str| name.starts_with("K3SFN_") || (is_http && name == "PORT");
    let mut found: Vec<(String, Span, String)> = Vec::new();
    for (name, value) in &spec.environment {
        found.push((
            name.clone(),
            value.span,
            format!("{entry_field}.environment.{name}"),
        ));
    }
    for (index, r) in spec.env_refs.iter().enumerate() {
        found.push((
            r.name.value.clone(),
            r.name.span,
            format!("{entry_field}.env_refs[{index}].name"),
        ));
    }
    for name in settings.environment.keys() {
        found.push((
            name.value.clone(),
            name.span,
            format!("{field}.@serverless.environment.{}", name.value),
        ));
    }
    for (name, span, at) in found {
        if reserved(&name) {
            d.push(
                Diagnostic::error(
                    Code::ReservedEnv,
                    format!(
                        "`{name}` is set by k3s for the function runtime and cannot be set here"
                    ),
                )
                .at(span)
                .field(at)
                .help(
                    "HTTP functions listen on PORT=8080; K3SFN_* variables describe the function",
                ),
            );
        }
    }
}

/// Decorator arguments the function's trigger has no use for.
pub(super) fn check_ignored_settings(
    function: &DiscoveredFunction,
    field: &str,
    d: &mut Diagnostics,
) {
    let s = &function.settings;
    let ignored: Vec<(&str, Option<Span>)> = match function.trigger {
        Trigger::Http(_) => Vec::new(),
        Trigger::Queue(_) => vec![(
            "target_pending_requests",
            s.target_pending_requests.as_ref().map(|v| v.span),
        )],
        Trigger::Schedule(_) => vec![
            ("min_instances", s.min_instances.as_ref().map(|v| v.span)),
            ("max_instances", s.max_instances.as_ref().map(|v| v.span)),
            (
                "cooldown_period",
                s.cooldown_period.as_ref().map(|v| v.span),
            ),
            (
                "target_pending_requests",
                s.target_pending_requests.as_ref().map(|v| v.span),
            ),
        ],
    };
    for (argument, span) in ignored {
        if let Some(span) = span {
            d.push(
                Diagnostic::warning(
                    Code::UnusedSetting,
                    format!(
                        "`{argument}` has no effect on a function with @{}",
                        function.trigger.decorator_name()
                    ),
                )
                .at(span)
                .field(format!("{field}.@serverless.{argument}")),
            );
        }
    }
}
