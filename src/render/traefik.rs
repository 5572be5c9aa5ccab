//! Traefik: one IngressRoute per `Route`, plus one Middleware per feature it uses (rate limit,
//! CORS, auth, path rewrite) and a ServersTransport when the route sets backend timeouts
//! (`connect` → `dialTimeout`, `server` → `responseHeaderTimeout`). It must not choose the
//! backend: lowering already did (rule 8).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::crd::traefik::{
    BasicAuth, ForwardAuth, ForwardingTimeouts, Headers, IngressRoute, IngressRouteSpec,
    IngressRouteTls, Middleware, MiddlewareRef, MiddlewareSpec, RateLimit, ReplacePathRegex,
    Route as TraefikRoute, RouteKind, RouteService, ServersTransport, ServersTransportSpec,
    StripPrefix, TlsDomain,
};
use super::object::object;
use super::routes::route_meta;
use super::{Manifest, non_empty_map, only_true, port_target};
use crate::config::PathType;
use crate::workload::{Auth, Cors, Rewrite, Route, Timeouts, Tls};

object!(Middleware, "Middleware", MIDDLEWARE);
object!(ServersTransport, "ServersTransport", MIDDLEWARE);
object!(IngressRoute, "IngressRoute", INGRESS);

/// The annotation Traefik's CRD provider filters IngressRoutes on when it is given an
/// `ingressClass`.
const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// The route's Middlewares and ServersTransport, then its IngressRoute.
pub(super) fn render(
    route: &Route,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Vec<Manifest> {
    let middlewares: Vec<Middleware> = middleware_specs(route)
        .into_iter()
        .map(|(purpose, spec)| Middleware {
            metadata: route_meta(format!("{}-{purpose}", route.name), namespace, labels),
            spec,
        })
        .collect();
    let transport = forwarding_timeouts(&route.timeouts).map(|timeouts| ServersTransport {
        metadata: route_meta(format!("{}-transport", route.name), namespace, labels),
        spec: ServersTransportSpec {
            forwarding_timeouts: Some(timeouts),
            ..ServersTransportSpec::default()
        },
    });
    let mut metadata = route_meta(route.name.clone(), namespace, labels);
    let mut annotations = route.annotations.clone();
    if let Some(class) = &route.class {
        annotations
            .entry(CLASS_ANNOTATION.to_string())
            .or_insert_with(|| class.clone());
    }
    metadata.annotations = non_empty_map(annotations);
    let ingress_route = IngressRoute {
        metadata,
        spec: IngressRouteSpec {
            entry_points: route.entry_points.clone(),
            routes: vec![TraefikRoute {
                r#match: rule(route),
                kind: RouteKind::Rule,
                priority: None,
                services: vec![RouteService {
                    name: route.backend.service.clone(),
                    port: Some(port_target(&route.backend.port)),
                    servers_transport: transport.as_ref().and_then(|t| t.metadata.name.clone()),
                    ..RouteService::default()
                }],
                middlewares: middlewares
                    .iter()
                    .map(|m| MiddlewareRef {
                        name: m.metadata.name.clone().unwrap_or_default(),
                        namespace: None,
                    })
                    .collect(),
            }],
            tls: route.tls.as_ref().map(tls),
        },
    };
    middlewares
        .into_iter()
        .map(Manifest::new)
        .chain(transport.map(Manifest::new))
        .chain([Manifest::new(ingress_route)])
        .collect()
}

/// The backend timeouts a ServersTransport carries, `None` when the route sets neither.
/// (`client` and `queue` have no per-route form in Traefik; lowering warns about them.)
fn forwarding_timeouts(timeouts: &Timeouts) -> Option<ForwardingTimeouts> {
    let duration = |d: &Option<String>| d.clone().map(IntOrString::String);
    (timeouts.connect.is_some() || timeouts.server.is_some()).then(|| ForwardingTimeouts {
        dial_timeout: duration(&timeouts.connect),
        response_header_timeout: duration(&timeouts.server),
        idle_conn_timeout: None,
    })
}

/// ``(Host(`a`) || Host(`b`)) && PathPrefix(`/p`) && Method(`GET`)``: any of the hosts (none:
/// any host), the path, and any of the methods (none: any method).
fn rule(route: &Route) -> String {
    let path_matcher = match route.path_type {
        PathType::Exact => "Path",
        // Traefik has no "implementation specific" matcher; a prefix is the Ingress default.
        PathType::Prefix | PathType::ImplementationSpecific => "PathPrefix",
    };
    let mut terms = Vec::new();
    terms.extend(any_of("Host", &route.hosts));
    terms.push(matcher(path_matcher, &route.path));
    terms.extend(any_of("Method", &route.methods));
    terms.join(" && ")
}

/// One matcher per value joined with `||`, parenthesised when there are several so that it
/// binds as one term of the `&&` chain; `None` for no values.
fn any_of(name: &str, values: &[String]) -> Option<String> {
    match values {
        [] => None,
        [value] => Some(matcher(name, value)),
        _ => Some(format!(
            "({})",
            values
                .iter()
                .map(|v| matcher(name, v))
                .collect::<Vec<_>>()
                .join(" || ")
        )),
    }
}

fn matcher(name: &str, value: &str) -> String {
    format!("{name}(`{value}`)")
}

/// Middlewares in the order requests go through them: throttle first, then answer CORS
/// preflights (which carry no credentials) before authenticating, and rewrite the path last so
/// that auth sees the path the client asked for.
fn middleware_specs(route: &Route) -> Vec<(&'static str, MiddlewareSpec)> {
    let mut specs = Vec::new();
    if let Some(limit) = &route.rate_limit {
        specs.push((
            "ratelimit",
            MiddlewareSpec {
                rate_limit: Some(RateLimit {
                    average: Some(i64::from(limit.average)),
                    burst: Some(i64::from(limit.burst)),
                    period: Some(IntOrString::String(match limit.period_seconds {
                        60 => "1m".to_string(),
                        seconds => format!("{seconds}s"),
                    })),
                }),
                ..MiddlewareSpec::default()
            },
        ));
    }
    if let Some(cors) = &route.cors {
        specs.push(("cors", cors_spec(cors)));
    }
    if let Some(auth) = &route.auth {
        specs.push(("auth", auth_spec(auth)));
    }
    match &route.rewrite {
        Rewrite::None => {}
        Rewrite::StripPrefix => specs.push((
            "strip",
            MiddlewareSpec {
                strip_prefix: Some(StripPrefix {
                    prefixes: vec![route.path.clone()],
                }),
                ..MiddlewareSpec::default()
            },
        )),
        Rewrite::ReplacePrefix(target) => specs.push((
            "rewrite",
            MiddlewareSpec {
                replace_path_regex: Some(replace_prefix(&route.path, target)),
                ..MiddlewareSpec::default()
            },
        )),
    }
    specs
}

fn cors_spec(cors: &Cors) -> MiddlewareSpec {
    MiddlewareSpec {
        headers: Some(Headers {
            access_control_allow_origin_list: cors.allow_origins.clone(),
            access_control_allow_methods: cors.allow_methods.clone(),
            access_control_allow_headers: cors.allow_headers.clone(),
            access_control_allow_credentials: only_true(cors.allow_credentials),
            access_control_max_age: cors.max_age.map(i64::from),
            // Caches must not serve one origin's answer to another.
            add_vary_header: Some(true),
            ..Headers::default()
        }),
        ..MiddlewareSpec::default()
    }
}

fn auth_spec(auth: &Auth) -> MiddlewareSpec {
    match auth {
        Auth::Basic { secret, realm } => MiddlewareSpec {
            basic_auth: Some(BasicAuth {
                secret: Some(secret.clone()),
                realm: realm.clone(),
                remove_header: None,
            }),
            ..MiddlewareSpec::default()
        },
        Auth::Forward {
            address,
            response_headers,
        } => MiddlewareSpec {
            forward_auth: Some(ForwardAuth {
                address: Some(address.clone()),
                auth_response_headers: response_headers.clone(),
                ..ForwardAuth::default()
            }),
            ..MiddlewareSpec::default()
        },
    }
}

/// Replaces the route's prefix by `target`, keeping the rest of the path, as HAProxy
/// Ingress's `rewrite-target` does: `/api` → `/v2` sends `/api/users` as `/v2/users` and
/// `/api` as `/v2`. Trailing slashes are dropped from both sides so that the remainder keeps
/// its own leading slash (no `/v2//users`, no `/v2users`).
fn replace_prefix(path: &str, target: &str) -> ReplacePathRegex {
    ReplacePathRegex {
        regex: Some(format!("^{}(.*)", quote_regex(path.trim_end_matches('/')))),
        // `${1}`, not `$1`: Go would read `$1x` as a group named `1x`.
        replacement: Some(format!(
            "{}${{1}}",
            target.trim_end_matches('/').replace('$', "$$")
        )),
    }
}

/// Escapes Go regexp metacharacters, as Go's `regexp.QuoteMeta` does.
fn quote_regex(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted
}

/// A certificate from a Secret, or from a resolver for the TLS hosts (first one as `main`).
fn tls(tls: &Tls) -> IngressRouteTls {
    let domains = match (&tls.cert_resolver, tls.hosts.split_first()) {
        (Some(_), Some((main, sans))) => vec![TlsDomain {
            main: Some(main.clone()),
            sans: sans.to_vec(),
        }],
        _ => Vec::new(),
    };
    IngressRouteTls {
        secret_name: tls.secret.clone(),
        cert_resolver: tls.cert_resolver.clone(),
        domains,
        options: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{interceptor, labels, route, traefik_route};
    use crate::workload::{PortTarget, RateLimit as RouteRateLimit};

    fn split(manifests: Vec<Manifest>) -> (Vec<Middleware>, IngressRoute) {
        let mut middlewares = Vec::new();
        let mut routes = Vec::new();
        for m in manifests {
            if let Some(middleware) = m.get::<Middleware>() {
                middlewares.push(middleware.clone());
            } else if let Some(route) = m.get::<IngressRoute>() {
                routes.push(route.clone());
            } else if m.get::<ServersTransport>().is_some() {
                // Checked by `timeouts_go_to_a_servers_transport_the_service_references`.
            } else {
                panic!("unexpected {}", m.kind());
            }
        }
        assert_eq!(routes.len(), 1);
        (middlewares, routes.remove(0))
    }

    fn render_one(r: &Route) -> (Vec<Middleware>, IngressRoute) {
        split(render(r, "shop", &labels(&[("team", "checkout")])))
    }

    #[test]
    fn strip_prefix_middleware_is_referenced_and_the_rule_has_host_and_prefix() {
        let r = traefik_route();
        let (middlewares, ingress_route) = render_one(&r);
        let strip = middlewares
            .iter()
            .find(|m| m.spec.strip_prefix.is_some())
            .expect("a stripPrefix middleware");
        assert_eq!(strip.metadata.name.as_deref(), Some("api-strip"));
        assert_eq!(
            strip.spec.strip_prefix.as_ref().map(|s| s.prefixes.clone()),
            Some(vec!["/api".to_string()])
        );
        let rule = &ingress_route.spec.routes[0];
        assert!(
            rule.middlewares.iter().any(|m| m.name == "api-strip"),
            "{:?}",
            rule.middlewares
        );
        assert_eq!(
            rule.r#match,
            "(Host(`shop.example.com`) || Host(`www.shop.example.com`)) && PathPrefix(`/api`)"
        );
        assert_eq!(rule.kind, RouteKind::Rule);
    }

    #[test]
    fn every_middleware_is_referenced_in_request_order() {
        let (middlewares, ingress_route) = render_one(&traefik_route());
        let names: Vec<&str> = middlewares
            .iter()
            .filter_map(|m| m.metadata.name.as_deref())
            .collect();
        assert_eq!(names, ["api-ratelimit", "api-cors", "api-strip"]);
        let referenced: Vec<&str> = ingress_route.spec.routes[0]
            .middlewares
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(referenced, names);
        for m in &middlewares {
            assert_eq!(m.metadata.namespace.as_deref(), Some("shop"));
            let set = serde_json::to_value(&m.spec).expect("json");
            assert_eq!(set.as_object().map(|o| o.len()), Some(1), "{set}");
        }
    }

    #[test]
    fn a_plain_route_has_no_middlewares_and_matches_the_path_only() {
        let mut r = route("web", "web", None);
        r.hosts.clear();
        let (middlewares, ingress_route) = render_one(&r);
        assert!(middlewares.is_empty());
        let rule = &ingress_route.spec.routes[0];
        assert_eq!(rule.r#match, "PathPrefix(`/`)");
        assert!(rule.middlewares.is_empty());
        assert_eq!(
            rule.services,
            [RouteService {
                name: "web".to_string(),
                port: Some(IntOrString::String("http".to_string())),
                ..RouteService::default()
            }]
        );
        assert_eq!(ingress_route.spec.entry_points, ["websecure"]);
        assert_eq!(ingress_route.spec.tls, None);
        assert_eq!(ingress_route.metadata.annotations, None);
    }

    #[test]
    fn exact_paths_methods_and_single_host() {
        let mut r = route("hook", "hook", None);
        r.path = "/hook".to_string();
        r.path_type = PathType::Exact;
        r.methods = vec!["GET".to_string(), "POST".to_string()];
        let (_, ingress_route) = render_one(&r);
        assert_eq!(
            ingress_route.spec.routes[0].r#match,
            "Host(`shop.example.com`) && Path(`/hook`) && (Method(`GET`) || Method(`POST`))"
        );
        r.path_type = PathType::ImplementationSpecific;
        r.methods = vec!["DELETE".to_string()];
        let (_, ingress_route) = render_one(&r);
        assert_eq!(
            ingress_route.spec.routes[0].r#match,
            "Host(`shop.example.com`) && PathPrefix(`/hook`) && Method(`DELETE`)"
        );
    }

    #[test]
    fn interceptor_backends_use_the_alias_and_its_port_number() {
        let r = route("hello", "hello-interceptor", Some(interceptor()));
        let (_, ingress_route) = render_one(&r);
        let service = &ingress_route.spec.routes[0].services[0];
        assert_eq!(service.name, "hello-interceptor");
        assert_eq!(service.port, Some(IntOrString::Int(8080)));
        assert_eq!(service.namespace, None);
    }

    #[test]
    fn tls_from_a_secret() {
        let mut r = route("web", "web", None);
        r.tls = Some(Tls {
            secret: Some("shop-tls".to_string()),
            cert_resolver: None,
            hosts: vec!["shop.example.com".to_string()],
        });
        let (_, ingress_route) = render_one(&r);
        assert_eq!(
            ingress_route.spec.tls,
            Some(IngressRouteTls {
                secret_name: Some("shop-tls".to_string()),
                ..IngressRouteTls::default()
            })
        );
    }

    #[test]
    fn tls_from_a_resolver_lists_the_tls_hosts_as_domains() {
        let (_, ingress_route) = render_one(&traefik_route());
        assert_eq!(
            ingress_route.spec.tls,
            Some(IngressRouteTls {
                cert_resolver: Some("letsencrypt".to_string()),
                domains: vec![TlsDomain {
                    main: Some("shop.example.com".to_string()),
                    sans: vec!["www.shop.example.com".to_string()],
                }],
                ..IngressRouteTls::default()
            })
        );
    }

    #[test]
    fn rate_limit_cors_and_auth_settings() {
        let mut r = traefik_route();
        r.rate_limit = Some(RouteRateLimit {
            average: 20,
            period_seconds: 1,
            burst: 50,
        });
        r.auth = Some(Auth::Basic {
            secret: "api-users".to_string(),
            realm: Some("shop".to_string()),
        });
        let (middlewares, _) = render_one(&r);
        let spec = |name: &str| -> serde_json::Value {
            let m = middlewares
                .iter()
                .find(|m| m.metadata.name.as_deref() == Some(name))
                .unwrap_or_else(|| panic!("no middleware {name}"));
            serde_json::to_value(&m.spec).expect("json")
        };
        assert_eq!(
            spec("api-ratelimit"),
            serde_json::json!({"rateLimit": {"average": 20, "burst": 50, "period": "1s"}})
        );
        assert_eq!(
            spec("api-cors"),
            serde_json::json!({"headers": {
                "accessControlAllowOriginList": ["https://app.example.com"],
                "accessControlAllowMethods": ["GET", "POST"],
                "accessControlAllowHeaders": ["Content-Type", "Authorization"],
                "accessControlAllowCredentials": true,
                "accessControlMaxAge": 600,
                "addVaryHeader": true,
            }})
        );
        assert_eq!(
            spec("api-auth"),
            serde_json::json!({"basicAuth": {"secret": "api-users", "realm": "shop"}})
        );

        r.auth = Some(Auth::Forward {
            address: "http://auth.shop.svc.cluster.local:4181/verify".to_string(),
            response_headers: vec!["X-User".to_string()],
        });
        let (middlewares, _) = render_one(&r);
        let forward = middlewares
            .iter()
            .find(|m| m.metadata.name.as_deref() == Some("api-auth"))
            .expect("auth middleware");
        assert_eq!(
            serde_json::to_value(&forward.spec).expect("json"),
            serde_json::json!({"forwardAuth": {
                "address": "http://auth.shop.svc.cluster.local:4181/verify",
                "authResponseHeaders": ["X-User"],
            }})
        );
    }

    #[test]
    fn timeouts_go_to_a_servers_transport_the_service_references() {
        let mut r = route("web", "web", None);
        r.timeouts = Timeouts {
            connect: Some("10s".to_string()),
            server: Some("180s".to_string()),
            client: None,
            queue: None,
        };
        let manifests = render(&r, "shop", &labels(&[("team", "checkout")]));
        let transport = manifests
            .iter()
            .find_map(|m| m.get::<ServersTransport>())
            .expect("a ServersTransport");
        assert_eq!(transport.metadata.name.as_deref(), Some("web-transport"));
        assert_eq!(transport.metadata.namespace.as_deref(), Some("shop"));
        assert_eq!(
            serde_json::to_value(&transport.spec).expect("json"),
            serde_json::json!({"forwardingTimeouts": {
                "dialTimeout": "10s", "responseHeaderTimeout": "180s"}})
        );
        let (_, ingress_route) = split(manifests);
        assert_eq!(
            ingress_route.spec.routes[0].services[0]
                .servers_transport
                .as_deref(),
            Some("web-transport")
        );

        // Only a server timeout: no dial timeout; neither: no ServersTransport at all.
        r.timeouts.connect = None;
        let only_server = render(&r, "shop", &BTreeMap::new());
        let transport = only_server
            .iter()
            .find_map(|m| m.get::<ServersTransport>())
            .expect("a ServersTransport");
        let timeouts = transport
            .spec
            .forwarding_timeouts
            .as_ref()
            .expect("timeouts");
        assert_eq!(timeouts.dial_timeout, None);
        r.timeouts = Timeouts {
            client: Some("5s".to_string()),
            ..Timeouts::default()
        };
        let (_, ingress_route) = render_one(&r);
        assert_eq!(
            ingress_route.spec.routes[0].services[0].servers_transport,
            None
        );
        assert!(
            render(&r, "shop", &BTreeMap::new())
                .iter()
                .all(|m| m.kind() != "ServersTransport")
        );
    }

    #[test]
    fn replace_prefix_is_an_anchored_regex_of_the_escaped_prefix() {
        let mut r = route("legacy", "legacy", None);
        r.path = "/old.api/".to_string();
        r.rewrite = Rewrite::ReplacePrefix("/v$2/".to_string());
        let (middlewares, _) = render_one(&r);
        assert_eq!(middlewares.len(), 1);
        assert_eq!(
            middlewares[0].metadata.name.as_deref(),
            Some("legacy-rewrite")
        );
        assert_eq!(
            middlewares[0].spec.replace_path_regex,
            Some(ReplacePathRegex {
                regex: Some(r"^/old\.api(.*)".to_string()),
                replacement: Some("/v$$2${1}".to_string()),
            })
        );
    }

    #[test]
    fn class_and_annotations_go_on_the_ingress_route() {
        let mut r = route("web", "web", None);
        r.class = Some("traefik-internal".to_string());
        r.annotations = labels(&[("external-dns.alpha.kubernetes.io/ttl", "60")]);
        r.backend.port = PortTarget::Number(80);
        let (_, ingress_route) = render_one(&r);
        assert_eq!(
            ingress_route.metadata.annotations,
            Some(labels(&[
                ("external-dns.alpha.kubernetes.io/ttl", "60"),
                ("kubernetes.io/ingress.class", "traefik-internal"),
            ]))
        );
        assert_eq!(
            ingress_route.metadata.labels,
            Some(labels(&[("team", "checkout")]))
        );
    }
}
