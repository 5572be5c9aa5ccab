//! What `@http_trigger` makes of a function: a Deployment listening on 8080 behind a Service,
//! its route (public only), and the runtime's HTTP variables — the paths the pod sees, methods,
//! auth (with its Secret mounted), CORS where the route does not answer it; no rendering here.

use super::triggers::{DEFAULT_GRACE_SECONDS, TriggerParts, deployment, queue_defaults};
use super::{FunctionInput, HTTP_PORT, PORT_NAME, SERVICE_PORT, literal};
use crate::config::{
    Cors, IngressController, Protocol, RuntimeAuth, Scaling as ScalingSettings, ScalingType,
    SecretMount, Visibility,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::lower::context::LowerContext;
use crate::lower::probes::LoweredProbes;
use crate::lower::spec::{PortSetting, RouteSettings, ScalingSpec};
use crate::sources::python::HttpTrigger;
use crate::workload::{EnvVar, PortTarget, Probe, ProbeAction};
use crate::yaml::Spanned;

/// The runtime's health endpoint, which probes ask (it answers before auth and methods).
pub const HEALTH_PATH: &str = "/_k3sfn/health";
/// Where the auth Secret is mounted (`K3SFN_AUTH_DIR`).
pub const AUTH_DIR: &str = "/var/run/secrets/k3sfn-auth";
/// The runtime lets in-flight requests finish for the timeout plus this on SIGTERM.
const DRAIN_MARGIN_SECONDS: u32 = 2;

/// A Deployment listening on 8080 behind a Service on 80, scaled by keda-http unless the entry
/// says otherwise, routed only when public.
pub(super) fn http_parts(
    input: &FunctionInput<'_>,
    trigger: &HttpTrigger,
    mut scaling_settings: ScalingSettings,
    visibility: Visibility,
    timeout: u32,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> TriggerParts {
    let entry = input.entry;
    let spec = &entry.spec;
    let entry_field = entry.field();
    let field = format!("{entry_field}.{}", input.function.name);
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
    let ingress = spec.ingress.clone().unwrap_or_default();
    let route_path = route_prefix(&trigger.path.value);
    let strip_prefix = trigger
        .strip_prefix
        .as_ref()
        .map(|s| s.value)
        .or(ingress.strip_prefix)
        .unwrap_or(false);
    let routed = visibility == Visibility::Public
        && ingress.enabled != Some(false)
        && cx.ingress() != IngressController::None;
    let cors = ingress
        .cors
        .clone()
        .filter(|c| c.enabled != Some(false) && trigger.cors.value);
    let route = (visibility == Visibility::Public && ingress.enabled != Some(false)).then(|| {
        let mut routed = ingress.clone();
        routed.annotations.extend(spec.ingress_annotations.clone());
        routed.path = Some(Spanned::new(route_path.clone(), trigger.path.span));
        if !trigger.hosts.is_empty() {
            routed.hosts = trigger.hosts.clone();
        }
        routed.strip_prefix = Some(strip_prefix);
        // `cors=False` turns the route's CORS off for this function.
        routed.cors = cors.clone();
        // Functions are routed by their trigger's path to their own Service's only port.
        routed.rewrite_target = None;
        routed.port = None;
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
        RouteSettings {
            ingress: routed,
            methods,
            rate_per_minute: trigger
                .rate_limit
                .clone()
                .map(|rate| (rate, format!("{field}.@http_trigger.rate_limit"))),
            field: format!("{entry_field}.ingress"),
            span: trigger.span,
            no_port_help: None,
        }
    });
    if !routed && let Some(rate) = &trigger.rate_limit {
        d.push(
            Diagnostic::warning(
                Code::UnusedSetting,
                format!(
                    "`rate_limit` is enforced by the ingress route, and `{}` has none in this \
                     environment (it is not public, its ingress is off, or there is no ingress \
                     controller)",
                    input.function.name
                ),
            )
            .at(rate.span)
            .field(format!("{field}.@http_trigger.rate_limit"))
            .help("in-cluster callers are not rate limited"),
        );
    }

    let mut env = vec![literal("PORT", HTTP_PORT.to_string())];
    if !trigger.methods.is_empty() {
        let methods: Vec<&str> = trigger.methods.iter().map(|m| m.as_str()).collect();
        env.push(literal("K3SFN_HTTP_METHODS", methods.join(",")));
    }
    let served = if routed && strip_prefix {
        stripped_path(&trigger.path.value, &route_path)
    } else {
        trigger.path.value.clone()
    };
    env.push(literal("K3SFN_HTTP_PATHS", served));
    let mut secret_mounts = Vec::new();
    if let Some((mode, secret)) = runtime_auth(input, trigger, &field, d) {
        env.extend(auth_env(input, mode));
        secret_mounts.push(SecretMount {
            name: secret,
            mount_path: Some(Spanned::builtin(AUTH_DIR.to_string())),
            as_env: None,
            external: None,
        });
    }
    // The route answers CORS itself when it has it; otherwise the runtime does.
    if !routed && let Some(cors) = &cors {
        env.extend(cors_env(cors));
    }

    let probe = Probe {
        action: ProbeAction::Http {
            path: HEALTH_PATH.to_string(),
            port: PortTarget::Name(PORT_NAME.to_string()),
            scheme: None,
        },
        initial_delay_seconds: None,
        period_seconds: Some(10),
        timeout_seconds: None,
        success_threshold: None,
        failure_threshold: Some(3),
    };
    // On SIGTERM the runtime drains in-flight requests for up to the timeout plus 2 s.
    let drain = timeout.saturating_add(DRAIN_MARGIN_SECONDS);
    TriggerParts {
        controller: deployment(input),
        scaling: ScalingSpec {
            settings: Some(scaling_settings),
            default_type: ScalingType::KedaHttp,
            replicas: None,
            queue_defaults: queue_defaults(entry, cx),
            warn_unused: true,
        },
        ports: vec![PortSetting {
            name: Some((PORT_NAME.to_string(), trigger.span)),
            container_port: HTTP_PORT,
            protocol: Protocol::Tcp,
            service_port: Some(SERVICE_PORT),
            node_port: None,
        }],
        route,
        probes: LoweredProbes {
            startup: None,
            readiness: Some(probe.clone()),
            liveness: Some(probe),
        },
        env,
        secret_mounts,
        termination_grace_period_seconds: (drain > DEFAULT_GRACE_SECONDS).then(|| i64::from(drain)),
    }
}

/// The ingress prefix of a trigger path: up to its first `{` (a path parameter), without a
/// trailing `/`: `/items/{id}` → `/items`.
fn route_prefix(path: &str) -> String {
    let fixed = path.split('{').next().unwrap_or(path);
    match fixed.trim_end_matches('/') {
        "" => "/".to_string(),
        prefix => prefix.to_string(),
    }
}

/// What the pod sees of `path` once the route has stripped `prefix`: `/hello` → `/`,
/// `/items/{id}` (prefix `/items`) → `/{id}`.
fn stripped_path(path: &str, prefix: &str) -> String {
    let rest = path.strip_prefix(prefix).unwrap_or(path);
    format!("/{}", rest.trim_start_matches('/'))
}

/// The auth the runtime enforces (the decorator's, else the entry's `auth.type`) and the
/// Secret holding its keys; `None` without auth, or after reporting a missing Secret.
fn runtime_auth(
    input: &FunctionInput<'_>,
    trigger: &HttpTrigger,
    field: &str,
    d: &mut Diagnostics,
) -> Option<(RuntimeAuth, Spanned<String>)> {
    let settings = input.entry.spec.auth.as_ref();
    let entry_kind = settings.and_then(|a| a.kind.as_ref());
    let (mode, span, at) = match (&trigger.auth, entry_kind) {
        (Some(auth), _) => (auth.value, auth.span, format!("{field}.@http_trigger.auth")),
        (None, Some(kind)) => (
            kind.value,
            kind.span,
            format!("{}.auth.type", input.entry.field()),
        ),
        (None, None) => return None,
    };
    if mode == RuntimeAuth::None {
        return None;
    }
    match settings.and_then(|a| a.secret.as_ref()) {
        Some(secret) => Some((mode, secret.clone())),
        None => {
            d.push(
                Diagnostic::error(
                    Code::MissingAuthSecret,
                    format!(
                        "`{}` authenticates with {} but no Secret holds the keys",
                        input.function.name,
                        auth_name(mode)
                    ),
                )
                .at(span)
                .field(at)
                .help(format!(
                    "name the Secret in apps.yaml: `auth: {{secret: <name>}}` on the serverless \
                     entry ({}); it is mounted read-only at {AUTH_DIR}",
                    match mode {
                        RuntimeAuth::Jwt => "key `jwks.json` or `jwt-key`",
                        _ => "key `api-key`, one key per line",
                    }
                )),
            );
            None
        }
    }
}

fn auth_name(mode: RuntimeAuth) -> &'static str {
    match mode {
        RuntimeAuth::None => "none",
        RuntimeAuth::ApiKey => "api_key",
        RuntimeAuth::Jwt => "jwt",
    }
}

/// `K3SFN_AUTH`, `K3SFN_AUTH_DIR` and the settings of that kind of auth.
fn auth_env(input: &FunctionInput<'_>, mode: RuntimeAuth) -> Vec<EnvVar> {
    let mut env = vec![
        literal("K3SFN_AUTH", auth_name(mode)),
        literal("K3SFN_AUTH_DIR", AUTH_DIR),
    ];
    let Some(settings) = &input.entry.spec.auth else {
        return env;
    };
    match mode {
        RuntimeAuth::ApiKey => {
            if let Some(header) = &settings.api_key_header {
                env.push(literal("K3SFN_API_KEY_HEADER", header.value.clone()));
            }
        }
        RuntimeAuth::Jwt => {
            let lists = [
                ("K3SFN_JWT_ALGORITHMS", &settings.jwt_algorithms),
                ("K3SFN_JWT_AUDIENCE", &settings.jwt_audience),
            ];
            for (name, values) in lists {
                if let Some(values) = values.as_ref().filter(|v| !v.value.is_empty()) {
                    env.push(literal(name, values.value.join(",")));
                }
            }
            if let Some(issuer) = &settings.jwt_issuer {
                env.push(literal("K3SFN_JWT_ISSUER", issuer.value.clone()));
            }
        }
        RuntimeAuth::None => {}
    }
    env
}

/// The entry's `ingress.cors` for the runtime to answer (no origins: no CORS at all).
fn cors_env(cors: &Cors) -> Vec<EnvVar> {
    if cors.allow_origins.is_empty() {
        return Vec::new();
    }
    let mut env = vec![literal(
        "K3SFN_CORS_ALLOW_ORIGINS",
        cors.allow_origins.join(","),
    )];
    for (name, values) in [
        ("K3SFN_CORS_ALLOW_METHODS", &cors.allow_methods),
        ("K3SFN_CORS_ALLOW_HEADERS", &cors.allow_headers),
    ] {
        if !values.is_empty() {
            env.push(literal(name, values.join(",")));
        }
    }
    if cors.allow_credentials == Some(true) {
        env.push(literal("K3SFN_CORS_ALLOW_CREDENTIALS", "true"));
    }
    if let Some(age) = cors.max_age {
        env.push(literal("K3SFN_CORS_MAX_AGE", age.to_string()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_prefixes_and_what_the_pod_sees_after_a_strip() {
        assert_eq!(route_prefix("/hello"), "/hello");
        assert_eq!(route_prefix("/"), "/");
        assert_eq!(route_prefix("/items/{id}"), "/items");
        assert_eq!(route_prefix("/{name}"), "/");
        assert_eq!(stripped_path("/hello", "/hello"), "/");
        assert_eq!(stripped_path("/items/{id}", "/items"), "/{id}");
        assert_eq!(stripped_path("/", "/"), "/");
    }
}
