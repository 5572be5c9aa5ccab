//! Traefik v3 custom resources (`traefik.io/v1alpha1`): IngressRoute, the HTTP Middleware
//! variants k3s uses, and ServersTransport (how Traefik talks to a route's backend). Types only; which routes and middlewares exist is the renderers' business.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// HTTP routing from Traefik entry points to Services.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "traefik.io",
    version = "v1alpha1",
    kind = "IngressRoute",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct IngressRouteSpec {
    /// Entry point names from Traefik's static configuration (e.g. `web`, `websecure`); empty
    /// means all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    /// Required by the CRD (may be empty, but a route-less object is useless).
    pub routes: Vec<Route>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<IngressRouteTls>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    /// Traefik rule, e.g. ``Host(`a.example.com`) && PathPrefix(`/api`)``. Required.
    pub r#match: String,
    /// Always `Rule`, the CRD's only value; written out so the object reads like Traefik's docs.
    pub kind: RouteKind,
    /// Higher wins; Traefik defaults it to the rule's length, so equal-length rules that
    /// overlap need explicit priorities to be deterministic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<RouteService>,
    /// Applied in order before the request reaches the service.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<MiddlewareRef>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteKind {
    #[default]
    Rule,
}

/// A backend of a route: a Kubernetes Service (default) or a TraefikService.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteService {
    pub name: String,
    /// Cross-namespace references only work when Traefik's `allowCrossNamespace` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Service port number or name. Optional in the CRD; set it for `kind: Service`, where
    /// Traefik has to pick one of the Service's ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RouteServiceKind>,
    /// `http` (default), `https` or `h2c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Traefik defaults it to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_host_header: Option<bool>,
    /// A ServersTransport of the IngressRoute's namespace by name (another namespace's as
    /// `<namespace>-<name>@kubernetescrd`, with `allowCrossNamespace`). Only for a Kubernetes
    /// Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers_transport: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteServiceKind {
    Service,
    TraefikService,
}

/// A Middleware by name; the namespace defaults to the IngressRoute's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MiddlewareRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// TLS for the route: a certificate from `secret_name`, or one that `cert_resolver` obtains
/// (e.g. ACME) for `domains` or for the hosts in the rules.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressRouteTls {
    /// Secret in the IngressRoute's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_name: Option<String>,
    /// Resolver name from Traefik's static configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_resolver: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<TlsDomain>,
    /// A TLSOption object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<TlsOptionRef>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsDomain {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sans: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlsOptionRef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// One HTTP middleware.
///
/// A struct of options rather than an enum so it serializes exactly as the CRD's `spec`: set
/// exactly one field per object. Traefik refuses a Middleware that configures several.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "traefik.io",
    version = "v1alpha1",
    kind = "Middleware",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct MiddlewareSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip_prefix: Option<StripPrefix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_path_regex: Option<ReplacePathRegex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace_path: Option<ReplacePath>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_prefix: Option<AddPrefix>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Headers>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_auth: Option<BasicAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_auth: Option<ForwardAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_allow_list: Option<IpAllowList>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffering: Option<Buffering>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,
    /// `Some(Compress::default())` serializes as `compress: {}`, which turns compression on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress: Option<Compress>,
}

/// Removes a matching prefix from the path before forwarding; the backend (and a KEDA
/// interceptor route behind it) sees the path without it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StripPrefix {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplacePathRegex {
    /// Go regexp matched against the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// May use `$1`-style captures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
}

/// Replaces the whole path; the original goes to the `X-Replaced-Path` header.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplacePath {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddPrefix {
    /// CEL: must start with `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// Token bucket: `average` requests per `period` (default 1s), bursts up to `burst`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// 0 (the default) means no limit; minimum 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<i64>,
    /// Traefik defaults it to 1; minimum 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<i64>,
    /// Seconds as an integer, or a Go duration such as `"1m"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<IntOrString>,
}

/// Header manipulation; k3s uses it for CORS and for adding or removing headers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Headers {
    /// Origins allowed by CORS; `*` allows any (and cannot be combined with credentials in
    /// browsers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_allow_origin_list: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_allow_methods: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_allow_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_control_expose_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control_allow_credentials: Option<bool>,
    /// Seconds a preflight result may be cached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_control_max_age: Option<i64>,
    /// Adds `Vary: Origin`, needed when the allowed origin is not `*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_vary_header: Option<bool>,
    /// An empty value removes the header.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_request_headers: BTreeMap<String, String>,
    /// An empty value removes the header.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_response_headers: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuth {
    /// Secret (same namespace) of type `kubernetes.io/basic-auth`, or with an htpasswd
    /// `users` key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Traefik defaults it to `traefik`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm: Option<String>,
    /// Drop the Authorization header before forwarding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_header: Option<bool>,
}

/// Delegates authentication to an HTTP service; a 2xx answer lets the request through.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardAuth {
    /// URL of the authentication service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Forward the client's X-Forwarded-* headers (only safe behind a trusted proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_forward_header: Option<bool>,
    /// Headers copied from the auth response onto the forwarded request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_response_headers: Vec<String>,
    /// Request headers sent to the auth service; empty sends all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_request_headers: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpAllowList {
    /// Allowed IPs or CIDR ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_range: Vec<String>,
    /// How the client IP is found; needed behind another proxy or load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_strategy: Option<IpStrategy>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpStrategy {
    /// Take the n-th address from the right of X-Forwarded-For; minimum 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<i64>,
    /// The CRD spells it `excludedIPs`.
    #[serde(default, rename = "excludedIPs", skip_serializing_if = "Vec::is_empty")]
    pub excluded_ips: Vec<String>,
}

/// Request/response size limits, in bytes; 0 means no limit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Buffering {
    /// Larger requests get 413.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_request_body_bytes: Option<i64>,
    /// Above this the request is buffered on disk (Traefik default 1 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_request_body_bytes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_body_bytes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mem_response_body_bytes: Option<i64>,
}

/// Reissues a request when the backend does not answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Retry {
    /// Minimum 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<i64>,
    /// First backoff wait: seconds as an integer, or a Go duration (`"100ms"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_interval: Option<IntOrString>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Compress {
    /// Use at most one of the excluded and included lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excluded_content_types: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included_content_types: Vec<String>,
    /// Traefik defaults it to 1024; minimum 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_response_body_bytes: Option<i64>,
    /// Subset of `zstd`, `br`, `gzip`, in order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encodings: Vec<String>,
}

/// How Traefik connects to the servers of the services that reference it.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "traefik.io",
    version = "v1alpha1",
    kind = "ServersTransport",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct ServersTransportSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarding_timeouts: Option<ForwardingTimeouts>,
    /// Traefik defaults it to 2; a negative value disables idle connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_idle_conns_per_host: Option<i64>,
}

/// Go durations (`10s`, `1m30s`; the CRD's pattern is `^([0-9]+(ns|us|µs|ms|s|m|h)?)+$`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardingTimeouts {
    /// Until a connection to a server is established; Traefik's default 30s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dial_timeout: Option<IntOrString>,
    /// From the request written until the response headers are read; default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_header_timeout: Option<IntOrString>,
    /// How long an idle keep-alive connection stays open; default 90s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_conn_timeout: Option<IntOrString>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ingress_route_serializes_like_the_crd() {
        let ir = IngressRoute::new(
            "shop",
            IngressRouteSpec {
                entry_points: vec!["websecure".into()],
                routes: vec![Route {
                    r#match: "Host(`shop.example.com`) && PathPrefix(`/api`)".into(),
                    kind: RouteKind::Rule,
                    priority: Some(10),
                    services: vec![
                        RouteService {
                            name: "shop".into(),
                            port: Some(IntOrString::Int(8080)),
                            ..Default::default()
                        },
                        RouteService {
                            name: "keda-add-ons-http-interceptor-proxy".into(),
                            namespace: Some("keda".into()),
                            port: Some(IntOrString::String("http".into())),
                            kind: Some(RouteServiceKind::Service),
                            pass_host_header: Some(true),
                            ..Default::default()
                        },
                    ],
                    middlewares: vec![MiddlewareRef {
                        name: "shop-strip-api".into(),
                        namespace: None,
                    }],
                }],
                tls: Some(IngressRouteTls {
                    cert_resolver: Some("letsencrypt".into()),
                    domains: vec![TlsDomain {
                        main: Some("shop.example.com".into()),
                        sans: vec![],
                    }],
                    ..Default::default()
                }),
            },
        );
        let v = serde_json::to_value(&ir).unwrap();
        assert_eq!(v["apiVersion"], "traefik.io/v1alpha1");
        assert_eq!(v["kind"], "IngressRoute");
        let route = &v["spec"]["routes"][0];
        assert_eq!(route["kind"], "Rule");
        assert_eq!(
            route["match"],
            "Host(`shop.example.com`) && PathPrefix(`/api`)"
        );
        assert_eq!(route["services"][0], json!({"name": "shop", "port": 8080}));
        assert_eq!(route["services"][1]["port"], "http");
        assert_eq!(route["services"][1]["kind"], "Service");
        assert_eq!(route["middlewares"], json!([{"name": "shop-strip-api"}]));
        assert_eq!(
            v["spec"]["tls"],
            json!({"certResolver": "letsencrypt", "domains": [{"main": "shop.example.com"}]})
        );
    }

    #[test]
    fn servers_transport_serializes_like_the_crd() {
        let st = ServersTransport::new(
            "api-transport",
            ServersTransportSpec {
                forwarding_timeouts: Some(ForwardingTimeouts {
                    dial_timeout: Some(IntOrString::String("10s".into())),
                    response_header_timeout: Some(IntOrString::String("3m".into())),
                    idle_conn_timeout: None,
                }),
                max_idle_conns_per_host: None,
            },
        );
        let v = serde_json::to_value(&st).unwrap();
        assert_eq!(v["apiVersion"], "traefik.io/v1alpha1");
        assert_eq!(v["kind"], "ServersTransport");
        assert_eq!(
            v["spec"],
            json!({"forwardingTimeouts": {"dialTimeout": "10s", "responseHeaderTimeout": "3m"}})
        );
        let service = RouteService {
            name: "api".into(),
            servers_transport: Some("api-transport".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&service).unwrap(),
            json!({"name": "api", "serversTransport": "api-transport"})
        );
    }

    #[test]
    fn middleware_spec_has_exactly_the_variant_set() {
        let strip = Middleware::new(
            "shop-strip-api",
            MiddlewareSpec {
                strip_prefix: Some(StripPrefix {
                    prefixes: vec!["/api".into()],
                }),
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&strip).unwrap();
        assert_eq!(v["apiVersion"], "traefik.io/v1alpha1");
        assert_eq!(v["kind"], "Middleware");
        assert_eq!(v["spec"], json!({"stripPrefix": {"prefixes": ["/api"]}}));

        let compress = MiddlewareSpec {
            compress: Some(Compress::default()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&compress).unwrap(),
            json!({"compress": {}})
        );
    }

    #[test]
    fn cors_and_allow_list_use_the_crd_spellings() {
        let cors = MiddlewareSpec {
            headers: Some(Headers {
                access_control_allow_origin_list: vec!["https://app.example.com".into()],
                access_control_allow_methods: vec!["GET".into(), "POST".into()],
                access_control_allow_credentials: Some(true),
                access_control_max_age: Some(600),
                add_vary_header: Some(true),
                custom_request_headers: [("X-Forwarded-Prefix".to_string(), "/api".to_string())]
                    .into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let v = serde_json::to_value(&cors).unwrap();
        let h = &v["headers"];
        assert_eq!(
            h["accessControlAllowOriginList"][0],
            "https://app.example.com"
        );
        assert_eq!(h["accessControlAllowCredentials"], true);
        assert_eq!(h["accessControlMaxAge"], 600);
        assert_eq!(h["customRequestHeaders"]["X-Forwarded-Prefix"], "/api");
        assert!(h.get("customResponseHeaders").is_none());

        let allow = MiddlewareSpec {
            ip_allow_list: Some(IpAllowList {
                source_range: vec!["10.0.0.0/8".into()],
                ip_strategy: Some(IpStrategy {
                    depth: Some(1),
                    excluded_ips: vec!["10.0.0.1".into()],
                }),
            }),
            rate_limit: None,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&allow).unwrap(),
            json!({"ipAllowList": {"sourceRange": ["10.0.0.0/8"],
                   "ipStrategy": {"depth": 1, "excludedIPs": ["10.0.0.1"]}}})
        );
    }
}
