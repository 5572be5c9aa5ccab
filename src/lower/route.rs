//! `ingress:` (and gateway routes) to `Route`s: path and hosts, rewrite, TLS, limits, and the
//! backend. Traffic goes through the KEDA interceptor only for keda-http targets (DESIGN rule 8),
//! and the scaler then matches exactly the host and path the interceptor receives.

use std::collections::BTreeMap;

use super::context::LowerContext;
use super::route_controller::{check_controller_support, controller_annotations};
use crate::config::{
    Auth as AuthSettings, AuthType, Cors as CorsSettings, IngressController, IngressTls, PathType,
    RateLimit as RateLimitSettings, Timeouts as TimeoutSettings,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::workload::{
    Auth, Backend, Cors, PortTarget, RateLimit, Rewrite, Route, Scaling, Timeouts, Tls,
};
use crate::yaml::Spanned;

/// What a route is made of, whichever front-end (or the gateway) it comes from.
pub struct RouteSpec<'a> {
    pub name: String,
    pub path: Option<&'a Spanned<String>>,
    pub default_path: &'a str,
    pub path_type: Option<PathType>,
    pub strip_prefix: bool,
    pub rewrite_target: Option<&'a Spanned<String>>,
    /// How the rewrite is spelled where it is given (`rewrite_target`, the gateway's
    /// `rewrite_to`), for messages.
    pub rewrite_key: &'a str,
    pub hosts: Vec<String>,
    pub tls: Option<&'a IngressTls>,
    pub timeouts: Option<&'a TimeoutSettings>,
    pub rate_limit: Option<&'a RateLimitSettings>,
    /// A limit per minute (a function's `@http_trigger(rate_limit=…)`); wins over `rate_limit`.
    pub rate_per_minute: Option<PerMinute<'a>>,
    pub cors: Option<&'a CorsSettings>,
    pub auth: Option<&'a AuthSettings>,
    pub methods: Vec<String>,
    pub annotations: BTreeMap<String, String>,
    pub entry_points: Vec<String>,
    pub class: Option<String>,
    /// The Service and port traffic is for.
    pub service: String,
    pub port: u16,
    /// The target scales with keda-http: route through the interceptor.
    pub keda_http: bool,
    /// The workload's own ExternalName Service of the interceptor, when it has one: the
    /// route's backend. Without one (gateway routes) the route gets an alias of its own.
    pub interceptor_service: Option<String>,
    pub field: &'a str,
    pub span: Span,
}

/// Requests per minute per client, and the field it is set at.
#[derive(Debug, Clone, Copy)]
pub struct PerMinute<'a> {
    pub rate: &'a Spanned<u32>,
    pub field: &'a str,
}

impl<'a> RouteSpec<'a> {
    /// `enabled: false` means the same on every optional block: as if it were absent. (TLS is
    /// the exception that proves it: absent means the environment's TLS, so `lower_tls` reads
    /// its `enabled` itself.)
    fn without_disabled_blocks(mut self) -> RouteSpec<'a> {
        self.timeouts = self.timeouts.filter(|t| t.enabled != Some(false));
        self.rate_limit = self.rate_limit.filter(|r| r.enabled != Some(false));
        self.cors = self.cors.filter(|c| c.enabled != Some(false));
        self.auth = self.auth.filter(|a| a.enabled != Some(false));
        self
    }

    /// A route from an entry's `ingress:` block to `service:port`.
    pub fn from_ingress(
        ingress: &'a crate::config::Ingress,
        name: &str,
        service: &str,
        port: u16,
        keda_http: bool,
        field: &'a str,
        span: Span,
    ) -> RouteSpec<'a> {
        RouteSpec {
            name: name.to_string(),
            path: ingress.path.as_ref(),
            default_path: "/",
            path_type: ingress.path_type,
            strip_prefix: ingress.strip_prefix.unwrap_or(false),
            rewrite_target: ingress.rewrite_target.as_ref(),
            rewrite_key: "rewrite_target",
            hosts: ingress.hosts.iter().map(|h| h.value.clone()).collect(),
            tls: ingress.tls.as_ref(),
            timeouts: ingress.timeouts.as_ref(),
            rate_limit: ingress.rate_limit.as_ref(),
            rate_per_minute: None,
            cors: ingress.cors.as_ref(),
            auth: ingress.auth.as_ref(),
            methods: Vec::new(),
            annotations: ingress.annotations.clone(),
            entry_points: ingress.entry_points.clone(),
            class: ingress.class.clone(),
            service: service.to_string(),
            port,
            keda_http,
            interceptor_service: None,
            field,
            span,
        }
    }
}

pub fn lower_route(
    spec: RouteSpec<'_>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> Option<Route> {
    if cx.ingress() == IngressController::None {
        return None;
    }
    let spec = spec.without_disabled_blocks();
    let path = spec
        .path
        .map_or_else(|| spec.default_path.to_string(), |p| p.value.clone());
    let path_span = spec.path.map_or(spec.span, |p| p.span);
    if !path.starts_with('/') {
        d.push(
            Diagnostic::error(
                Code::BadPath,
                format!("route path `{path}` must start with /"),
            )
            .at(path_span)
            .field(format!("{}.path", spec.field)),
        );
        return None;
    }
    let rewrite = lower_rewrite(&spec, &path, d);
    let hosts = if spec.hosts.is_empty() {
        cx.default_hosts()
    } else {
        spec.hosts.clone()
    };
    let tls = lower_tls(spec.tls, cx, &hosts);
    check_controller_support(&spec, cx.ingress(), d);
    let backend = if spec.keda_http {
        match &spec.interceptor_service {
            Some(service) => Backend {
                service: service.clone(),
                port: PortTarget::Number(cx.interceptor().port),
                interceptor: None,
            },
            None => Backend {
                service: format!("{}-interceptor", spec.name),
                port: PortTarget::Number(cx.interceptor().port),
                interceptor: Some(cx.interceptor()),
            },
        }
    } else {
        Backend {
            service: spec.service.clone(),
            port: PortTarget::Number(spec.port),
            interceptor: None,
        }
    };
    let mut entry_points = spec.entry_points.clone();
    if entry_points.is_empty() {
        entry_points.push(if tls.is_some() { "websecure" } else { "web" }.to_string());
    }
    Some(Route {
        name: spec.name.clone(),
        hosts,
        path,
        path_type: spec.path_type.unwrap_or(PathType::Prefix),
        rewrite,
        backend,
        tls,
        methods: spec
            .methods
            .iter()
            .map(|m| m.to_ascii_uppercase())
            .collect(),
        timeouts: lower_timeouts(spec.timeouts),
        rate_limit: match spec.rate_per_minute {
            Some(per_minute) => per_minute_limit(per_minute, cx.ingress()),
            None => spec
                .rate_limit
                .and_then(|r| lower_rate_limit(r, spec.field, spec.span, d)),
        },
        cors: spec.cors.map(|c| Cors {
            allow_origins: c.allow_origins.clone(),
            allow_methods: c.allow_methods.clone(),
            allow_headers: c.allow_headers.clone(),
            allow_credentials: c.allow_credentials.unwrap_or(false),
            max_age: c.max_age,
        }),
        auth: spec
            .auth
            .and_then(|a| lower_auth(a, spec.field, spec.span, d)),
        annotations: controller_annotations(&spec, cx.ingress(), d),
        entry_points,
        // `class: ""` (seed 001: "auto-detected") is the controller's default class.
        class: spec.class.filter(|c| !c.is_empty()),
    })
}

/// `strip_prefix: true` and `rewrite_target: /` mean the same; any other target replaces the
/// prefix. Asking for both a strip and a different target is contradictory.
fn lower_rewrite(spec: &RouteSpec<'_>, path: &str, d: &mut Diagnostics) -> Rewrite {
    match (spec.strip_prefix, spec.rewrite_target) {
        (false, None) => Rewrite::None,
        (true, None) => strip(path),
        (strip_prefix, Some(target)) => {
            if !target.value.starts_with('/') {
                d.push(
                    Diagnostic::error(
                        Code::BadPath,
                        format!("rewrite target `{}` must start with /", target.value),
                    )
                    .at(target.span)
                    .field(format!("{}.{}", spec.field, spec.rewrite_key)),
                );
                return Rewrite::None;
            }
            if target.value == "/" {
                strip(path)
            } else if strip_prefix {
                d.push(
                    Diagnostic::error(
                        Code::ConflictingKeys,
                        format!(
                            "strip_prefix removes `{path}` but {} replaces it with `{}`",
                            spec.rewrite_key, target.value
                        ),
                    )
                    .at(target.span)
                    .field(format!("{}.{}", spec.field, spec.rewrite_key))
                    .help("keep one of them"),
                );
                Rewrite::None
            } else if target.value == path {
                Rewrite::None
            } else {
                Rewrite::ReplacePrefix(target.value.clone())
            }
        }
    }
}

fn strip(path: &str) -> Rewrite {
    if path == "/" {
        Rewrite::None
    } else {
        Rewrite::StripPrefix
    }
}

fn lower_tls(tls: Option<&IngressTls>, cx: &LowerContext<'_>, hosts: &[String]) -> Option<Tls> {
    let default = cx.default_tls();
    let enabled = tls.and_then(|t| t.enabled).unwrap_or(
        default.is_some() || tls.is_some_and(|t| t.secret.is_some() || t.cert_resolver.is_some()),
    );
    if !enabled {
        return None;
    }
    let secret = tls
        .and_then(|t| t.secret.clone())
        .or_else(|| default.as_ref().and_then(|t| t.secret.clone()));
    let cert_resolver = tls
        .and_then(|t| t.cert_resolver.clone())
        .or_else(|| default.as_ref().and_then(|t| t.cert_resolver.clone()));
    let tls_hosts = tls
        .map(|t| t.hosts.clone())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| hosts.to_vec());
    Some(Tls {
        secret,
        cert_resolver,
        hosts: tls_hosts,
    })
}

fn lower_timeouts(timeouts: Option<&TimeoutSettings>) -> Timeouts {
    let text =
        |t: &Option<Spanned<crate::config::Duration>>| t.as_ref().map(|d| d.as_str().to_string());
    timeouts.map_or_else(Timeouts::default, |t| Timeouts {
        connect: text(&t.connect),
        server: text(&t.server),
        client: text(&t.client),
        queue: text(&t.queue),
    })
}

fn lower_rate_limit(
    limit: &RateLimitSettings,
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> Option<RateLimit> {
    let Some(rate) = &limit.requests_per_second else {
        d.push(
            Diagnostic::error(
                Code::MissingKey,
                "a rate limit needs `requests_per_second` (or `enabled: false`)",
            )
            .at(span)
            .field(format!("{field}.rate_limit")),
        );
        return None;
    };
    Some(RateLimit {
        average: rate.value,
        period_seconds: 1,
        burst: limit.burst.as_ref().map_or(rate.value, |b| b.value),
    })
}

/// A limit per minute: Traefik counts per minute itself; HAProxy Ingress only per second, so
/// a whole number per second (`check_controller_support` refuses the rest).
fn per_minute_limit(limit: PerMinute<'_>, controller: IngressController) -> Option<RateLimit> {
    let rate = limit.rate.value;
    match controller {
        IngressController::Haproxy => rate.is_multiple_of(60).then_some(RateLimit {
            average: rate / 60,
            period_seconds: 1,
            burst: rate / 60,
        }),
        _ => Some(RateLimit {
            average: rate,
            period_seconds: 60,
            burst: rate,
        }),
    }
}

fn lower_auth(auth: &AuthSettings, field: &str, span: Span, d: &mut Diagnostics) -> Option<Auth> {
    let Some(kind) = &auth.kind else {
        d.push(
            Diagnostic::error(
                Code::MissingKey,
                "auth needs `type` (`basic` or `forward`, or `enabled: false`)",
            )
            .at(auth
                .secret
                .as_ref()
                .or(auth.address.as_ref())
                .map_or(span, |s| s.span))
            .field(format!("{field}.auth")),
        );
        return None;
    };
    match kind.value {
        AuthType::Basic => match &auth.secret {
            Some(secret) => Some(Auth::Basic {
                secret: secret.value.clone(),
                realm: auth.realm.clone(),
            }),
            None => {
                d.push(
                    Diagnostic::error(
                        Code::MissingKey,
                        "basic auth needs `secret` (a Secret with htpasswd `users`)",
                    )
                    .at(kind.span)
                    .field(format!("{field}.auth")),
                );
                None
            }
        },
        AuthType::Forward => match &auth.address {
            Some(address) => Some(Auth::Forward {
                address: address.value.clone(),
                response_headers: auth.response_headers.clone(),
            }),
            None => {
                d.push(
                    Diagnostic::error(Code::MissingKey, "forward auth needs `address`")
                        .at(kind.span)
                        .field(format!("{field}.auth")),
                );
                None
            }
        },
    }
}

/// Completes keda-http scaling: the interceptor forwards to the pods' `service:port`; it sees
/// the route's hosts and the path *after* rewriting, and the in-cluster forms of the
/// workload's own name (`alias`, an ExternalName of the interceptor), so that is what the
/// scaler must match. In-cluster callers use the paths the pods see.
pub fn attach_http_scaling(
    scaling: &mut Scaling,
    route: Option<&Route>,
    service: &str,
    port: u16,
    alias: Option<&str>,
    namespace: &str,
) {
    let Scaling::Http {
        hosts,
        path_prefixes,
        service: target_service,
        port: target_port,
        ..
    } = scaling
    else {
        return;
    };
    *target_service = service.to_string();
    *target_port = port;
    *hosts = route.map(|r| r.hosts.clone()).unwrap_or_default();
    *path_prefixes = vec![match route.map(|r| (&r.rewrite, r)) {
        None => "/".to_string(),
        Some((Rewrite::None, route)) => route.path.clone(),
        Some((Rewrite::StripPrefix, _)) => "/".to_string(),
        Some((Rewrite::ReplacePrefix(target), _)) => target.clone(),
    }];
    add_in_cluster_hosts(scaling, &[alias.unwrap_or(service)], namespace);
}

/// Adds the Host headers of in-cluster callers using `names` to a keda-http scaling's hosts.
pub fn add_in_cluster_hosts(scaling: &mut Scaling, names: &[&str], namespace: &str) {
    let Scaling::Http { hosts, .. } = scaling else {
        return;
    };
    for host in names
        .iter()
        .flat_map(|name| in_cluster_hosts(name, namespace))
    {
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
}

/// The Host headers in-cluster callers send for `http://<name>…`: the name as resolved from
/// its namespace and each longer form DNS resolves (the interceptor ignores any `:port`).
pub fn in_cluster_hosts(name: &str, namespace: &str) -> Vec<String> {
    vec![
        name.to_string(),
        format!("{name}.{namespace}"),
        format!("{name}.{namespace}.svc"),
        format!("{name}.{namespace}.svc.cluster.local"),
    ]
}
