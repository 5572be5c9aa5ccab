//! `gateway:` routes to `Route`s, rendered by the same ingress renderers as apps. Each route
//! lives in its target Service's namespace (an Ingress cannot send to another namespace); the
//! gateway's rate limit and CORS apply to every route; a route to a keda-http workload goes
//! through the interceptor, and that workload's scaler learns the route's host and path.

use super::Lowered;
use super::context::LowerContext;
use super::route::{RouteSpec, lower_route};
use crate::config::Gateway;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::to_dns_label;
use crate::workload::{Rewrite, Route, Scaling};

/// A gateway route, the namespace its objects go to, and where apps.yaml names it (for the
/// checks on its rendered objects).
#[derive(Debug, Clone)]
pub struct GatewayRoute {
    pub namespace: String,
    pub route: Route,
    /// The route's `name:`, else its `path:` (object names derive from it).
    pub span: Span,
    /// `gateway.routes[i]`.
    pub field: String,
}

pub fn lower_gateway(
    gateway: &Gateway,
    entries: &mut [Lowered],
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> Vec<GatewayRoute> {
    let default_namespace = gateway
        .namespace
        .as_ref()
        .map_or_else(|| cx.resolved.namespace.clone(), |n| n.value.clone());
    let mut out: Vec<GatewayRoute> = Vec::new();
    for (index, r) in gateway.routes.iter().enumerate() {
        let field = format!("gateway.routes[{index}]");
        let (service, namespace) = match r.service.value.split_once('.') {
            Some((service, namespace)) => (service.to_string(), namespace.to_string()),
            None => (r.service.value.clone(), default_namespace.clone()),
        };
        let label = match &r.name {
            Some(name) => name.value.clone(),
            None => match to_dns_label(&r.path.value) {
                label if label.is_empty() => "root".to_string(),
                label => label,
            },
        };
        let name = format!("gateway-{label}");
        if let Some(other) = out
            .iter()
            .find(|g| g.route.name == name && g.namespace == namespace)
        {
            d.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!(
                        "two gateway routes would both be named `{name}` (paths `{}` and `{}`)",
                        other.route.path, r.path.value
                    ),
                )
                .at(r.path.span)
                .field(field.clone())
                .help("give one of them a `name:`"),
            );
            continue;
        }
        let target = find_http_target(
            entries,
            &service,
            &namespace,
            r.port.value,
            &field,
            r.port.span,
            d,
        );
        let hosts: Vec<String> = if r.hosts.is_empty() {
            gateway.hosts.iter().map(|h| h.value.clone()).collect()
        } else {
            r.hosts.iter().map(|h| h.value.clone()).collect()
        };
        let route = lower_route(
            RouteSpec {
                name,
                path: Some(&r.path),
                default_path: "/",
                path_type: r.path_type,
                strip_prefix: r.strip_prefix.unwrap_or(false),
                rewrite_target: r.rewrite_to.as_ref(),
                rewrite_key: "rewrite_to",
                hosts,
                tls: gateway.tls.as_ref(),
                timeouts: r.timeouts.as_ref(),
                rate_limit: r.rate_limit.as_ref().or(gateway.rate_limit.as_ref()),
                rate_per_minute: None,
                cors: gateway.cors.as_ref(),
                auth: r.auth.as_ref(),
                methods: r.methods.iter().map(|m| m.value.clone()).collect(),
                annotations: gateway.annotations.clone(),
                entry_points: Vec::new(),
                class: None,
                service: service.clone(),
                port: r.port.value,
                keda_http: target.is_some(),
                interceptor_service: None,
                field: &field,
                span: r.path.span,
            },
            cx,
            d,
        );
        let Some(route) = route else {
            continue;
        };
        if let Some((entry_index, workload_index)) = target {
            let workload = &mut entries[entry_index].entry.workloads[workload_index];
            if let Scaling::Http {
                hosts,
                path_prefixes,
                ..
            } = &mut workload.scaling
            {
                // The interceptor only forwards what the scaler matches: add this route's
                // host and the path it sees after rewriting.
                for host in &route.hosts {
                    if !hosts.contains(host) {
                        hosts.push(host.clone());
                    }
                }
                let prefix = match &route.rewrite {
                    Rewrite::None => route.path.clone(),
                    Rewrite::StripPrefix => "/".to_string(),
                    Rewrite::ReplacePrefix(target) => target.clone(),
                };
                if !path_prefixes.contains(&prefix) {
                    path_prefixes.push(prefix);
                }
            }
        }
        let span = r.name.as_ref().map_or(r.path.span, |n| n.span);
        out.push(GatewayRoute {
            namespace,
            route,
            span,
            field,
        });
    }
    out
}

/// The keda-http workload a route targets, if any, as (entry index, workload index). A port
/// that a Service of ours does not have is an error.
fn find_http_target(
    entries: &[Lowered],
    service: &str,
    namespace: &str,
    port: u16,
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> Option<(usize, usize)> {
    for (entry_index, entry) in entries.iter().enumerate() {
        for (workload_index, workload) in entry.entry.workloads.iter().enumerate() {
            if workload.namespace != namespace {
                continue;
            }
            let Some(found) = workload.services.iter().find(|s| s.name == service) else {
                continue;
            };
            // A keda-http workload's own name is an alias of the interceptor; its ports are
            // those of the pods' Service.
            let found = match &found.external_name {
                Some(_) => workload
                    .services
                    .iter()
                    .find(|s| s.external_name.is_none())
                    .unwrap_or(found),
                None => found,
            };
            if !found.ports.iter().any(|p| p.port == port) {
                let ports: Vec<String> = found.ports.iter().map(|p| p.port.to_string()).collect();
                d.push(
                    Diagnostic::error(
                        Code::BadPort,
                        format!("Service `{service}` has no port {port}"),
                    )
                    .at(span)
                    .field(format!("{field}.port"))
                    .help(format!("its ports: {}", ports.join(", "))),
                );
                return None;
            }
            return matches!(workload.scaling, Scaling::Http { .. })
                .then_some((entry_index, workload_index));
        }
    }
    None
}
