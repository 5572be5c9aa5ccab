//! HAProxy Ingress (jcmoraisjr/haproxy-ingress): a `networking.k8s.io/v1` Ingress per `Route`,
//! features as `haproxy-ingress.github.io/*` annotations. Only keys its docs scope per host,
//! backend or path; never Global ones, which belong in the controller's ConfigMap.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
};

use super::object::object;
use super::routes::route_meta;
use super::{non_empty, non_empty_map};
use crate::config::PathType;
use crate::workload::{Auth, PortTarget, Rewrite, Route};

object!(Ingress, INGRESS);

/// The IngressClass when the route names none: the name HAProxy Ingress's chart installs.
const DEFAULT_CLASS: &str = "haproxy";

const PREFIX: &str = "haproxy-ingress.github.io/";

pub(super) fn render(route: &Route, namespace: &str, labels: &BTreeMap<String, String>) -> Ingress {
    let mut metadata = route_meta(route.name.clone(), namespace, labels);
    metadata.annotations = non_empty_map(annotations(route));
    let http = HTTPIngressRuleValue {
        paths: vec![HTTPIngressPath {
            path: Some(route.path.clone()),
            path_type: path_type(route.path_type).to_string(),
            backend: IngressBackend {
                service: Some(IngressServiceBackend {
                    name: route.backend.service.clone(),
                    port: Some(match &route.backend.port {
                        PortTarget::Number(n) => ServiceBackendPort {
                            number: Some(i32::from(*n)),
                            name: None,
                        },
                        PortTarget::Name(name) => ServiceBackendPort {
                            number: None,
                            name: Some(name.clone()),
                        },
                    }),
                }),
                resource: None,
            },
        }],
    };
    let rules = if route.hosts.is_empty() {
        vec![IngressRule {
            host: None,
            http: Some(http),
        }]
    } else {
        route
            .hosts
            .iter()
            .map(|host| IngressRule {
                host: Some(host.clone()),
                http: Some(http.clone()),
            })
            .collect()
    };
    Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: Some(
                route
                    .class
                    .clone()
                    .unwrap_or_else(|| DEFAULT_CLASS.to_string()),
            ),
            rules: Some(rules),
            tls: route.tls.as_ref().map(|tls| {
                vec![IngressTLS {
                    hosts: non_empty(tls.hosts.clone()),
                    secret_name: tls_secret(route),
                }]
            }),
            default_backend: None,
        }),
        status: None,
    }
}

fn path_type(path_type: PathType) -> &'static str {
    match path_type {
        PathType::Prefix => "Prefix",
        PathType::Exact => "Exact",
        PathType::ImplementationSpecific => "ImplementationSpecific",
    }
}

/// The Secret holding the certificate. A cert resolver has no HAProxy equivalent by name, but
/// HAProxy Ingress signs certificates itself with ACME (`cert-signer: acme`, configured
/// globally) and stores them in the Ingress's TLS Secret, which need not exist: without a
/// Secret of its own the route gets `<route>-tls`. TLS with neither uses the controller's
/// default certificate.
fn tls_secret(route: &Route) -> Option<String> {
    let tls = route.tls.as_ref()?;
    match (&tls.secret, &tls.cert_resolver) {
        (Some(secret), _) => Some(secret.clone()),
        (None, Some(_)) => Some(format!("{}-tls", route.name)),
        (None, None) => None,
    }
}

/// The route's features as annotations, then the route's own annotations over them. Values
/// are strings, booleans `"true"`/`"false"`.
fn annotations(route: &Route) -> BTreeMap<String, String> {
    let mut keys: Vec<(&str, String)> = Vec::new();
    // HAProxy Ingress replaces the matched path by the target and keeps the rest:
    // `/api` + `rewrite-target: /` sends `/api/x` as `/x`; with `/v2`, as `/v2/x`.
    match &route.rewrite {
        Rewrite::None => {}
        Rewrite::StripPrefix => keys.push(("rewrite-target", "/".to_string())),
        Rewrite::ReplacePrefix(target) => keys.push(("rewrite-target", target.clone())),
    }
    if route
        .tls
        .as_ref()
        .is_some_and(|t| t.cert_resolver.is_some())
    {
        keys.push(("cert-signer", "acme".to_string()));
    }
    let timeouts = &route.timeouts;
    // `timeouts.client` is Global in HAProxy Ingress; lowering rejects it for this controller.
    for (key, value) in [
        ("timeout-connect", &timeouts.connect),
        ("timeout-server", &timeouts.server),
        ("timeout-queue", &timeouts.queue),
    ] {
        keys.extend(value.clone().map(|v| (key, v)));
    }
    // HAProxy limits connections per second per client IP and has no burst setting; lowering
    // gives it only whole numbers per second.
    if let Some(limit) = &route.rate_limit {
        let per_second = limit.average / limit.period_seconds.max(1);
        keys.push(("limit-rps", per_second.to_string()));
    }
    if let Some(cors) = &route.cors {
        keys.push(("cors-enable", "true".to_string()));
        let lists = [
            ("cors-allow-origin", &cors.allow_origins),
            ("cors-allow-methods", &cors.allow_methods),
            ("cors-allow-headers", &cors.allow_headers),
        ];
        for (key, values) in lists {
            if !values.is_empty() {
                keys.push((key, values.join(",")));
            }
        }
        // Written even when false: HAProxy Ingress defaults it to true.
        keys.push(("cors-allow-credentials", cors.allow_credentials.to_string()));
        keys.extend(cors.max_age.map(|age| ("cors-max-age", age.to_string())));
    }
    match &route.auth {
        None => {}
        Some(Auth::Basic { secret, realm }) => {
            keys.push(("auth-secret", secret.clone()));
            keys.extend(realm.clone().map(|realm| ("auth-realm", realm)));
        }
        Some(Auth::Forward {
            address,
            response_headers,
        }) => {
            keys.push(("auth-url", address.clone()));
            // HAProxy copies every header of the auth response by default; `-` copies none,
            // which is what an empty list means here (and Traefik's default).
            let headers = if response_headers.is_empty() {
                "-".to_string()
            } else {
                response_headers.join(",")
            };
            keys.push(("auth-headers-succeed", headers));
        }
    }
    let mut annotations: BTreeMap<String, String> = keys
        .into_iter()
        .map(|(key, value)| (format!("{PREFIX}{key}"), value))
        .collect();
    annotations.extend(route.annotations.clone());
    annotations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{haproxy_route, interceptor, labels, route};
    use crate::workload::{Cors, RateLimit, Tls};

    /// Keys of HAProxy Ingress v0.16's `keys.md` table this renderer may write, with the
    /// scope the table gives them; copied from the table, none of them `Global`.
    const DOCUMENTED: &[(&str, &str)] = &[
        ("auth-headers-succeed", "Path"),
        ("auth-realm", "Path"),
        ("auth-secret", "Path"),
        ("auth-url", "Path"),
        ("cert-signer", "Host"),
        ("cors-allow-credentials", "Path"),
        ("cors-allow-headers", "Path"),
        ("cors-allow-methods", "Path"),
        ("cors-allow-origin", "Path"),
        ("cors-enable", "Path"),
        ("cors-max-age", "Path"),
        ("limit-rps", "Backend"),
        ("rewrite-target", "Path"),
        ("timeout-connect", "Backend"),
        ("timeout-queue", "Backend"),
        ("timeout-server", "Backend"),
    ];

    fn spec(ingress: &Ingress) -> &IngressSpec {
        ingress.spec.as_ref().expect("spec")
    }

    #[test]
    fn class_rules_paths_and_backend() {
        let r = route("web", "web", None);
        let ingress = render(&r, "shop", &labels(&[("team", "checkout")]));
        assert_eq!(ingress.metadata.name.as_deref(), Some("web"));
        assert_eq!(ingress.metadata.annotations, None);
        let spec = spec(&ingress);
        assert_eq!(spec.ingress_class_name.as_deref(), Some("haproxy"));
        let rules = spec.rules.as_deref().unwrap_or_default();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].host.as_deref(), Some("shop.example.com"));
        let path = &rules[0].http.as_ref().expect("http").paths[0];
        assert_eq!(path.path.as_deref(), Some("/"));
        assert_eq!(path.path_type, "Prefix");
        let service = path.backend.service.as_ref().expect("service backend");
        assert_eq!(service.name, "web");
        assert_eq!(
            service.port,
            Some(ServiceBackendPort {
                name: Some("http".to_string()),
                number: None,
            })
        );
        assert_eq!(spec.tls, None);
    }

    #[test]
    fn one_rule_per_host_or_one_for_any_host() {
        let mut r = route("hello", "hello-interceptor", Some(interceptor()));
        r.hosts = vec!["a.example.com".to_string(), "b.example.com".to_string()];
        r.class = Some("haproxy-public".to_string());
        let ingress = render(&r, "shop", &BTreeMap::new());
        let class = spec(&ingress).ingress_class_name.as_deref();
        assert_eq!(class, Some("haproxy-public"));
        let rules = spec(&ingress).rules.as_deref().unwrap_or_default();
        let hosts: Vec<Option<&str>> = rules.iter().map(|r| r.host.as_deref()).collect();
        assert_eq!(hosts, [Some("a.example.com"), Some("b.example.com")]);
        let port = rules[1].http.as_ref().expect("http").paths[0]
            .backend
            .service
            .as_ref()
            .and_then(|s| s.port.clone());
        assert_eq!(
            port,
            Some(ServiceBackendPort {
                name: None,
                number: Some(8080),
            })
        );

        r.hosts.clear();
        let ingress = render(&r, "shop", &BTreeMap::new());
        let rules = spec(&ingress).rules.as_deref().unwrap_or_default();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].host, None);
        assert_eq!(ingress.metadata.labels, None);
    }

    #[test]
    fn tls_secret_rewrite_and_timeouts_as_annotations() {
        let r = haproxy_route();
        let ingress = render(&r, "shop", &BTreeMap::new());
        assert_eq!(
            ingress.metadata.annotations,
            Some(labels(&[
                ("haproxy-ingress.github.io/rewrite-target", "/v1"),
                ("haproxy-ingress.github.io/timeout-connect", "5s"),
                ("haproxy-ingress.github.io/timeout-queue", "30s"),
                // The route's own annotations win over the generated ones.
                ("haproxy-ingress.github.io/timeout-server", "120s"),
            ]))
        );
        assert_eq!(
            spec(&ingress).tls,
            Some(vec![IngressTLS {
                hosts: Some(vec!["api.example.com".to_string()]),
                secret_name: Some("api-tls-cert".to_string()),
            }])
        );
    }

    #[test]
    fn strip_prefix_rewrites_to_root() {
        let mut r = route("web", "web", None);
        r.path = "/shop".to_string();
        r.rewrite = Rewrite::StripPrefix;
        let annotations = render(&r, "shop", &BTreeMap::new()).metadata.annotations;
        assert_eq!(
            annotations,
            Some(labels(&[("haproxy-ingress.github.io/rewrite-target", "/")]))
        );
    }

    #[test]
    fn a_cert_resolver_becomes_an_acme_signed_secret() {
        let mut r = route("web", "web", None);
        r.tls = Some(Tls {
            secret: None,
            cert_resolver: Some("letsencrypt".to_string()),
            hosts: vec!["shop.example.com".to_string()],
        });
        let ingress = render(&r, "shop", &BTreeMap::new());
        assert_eq!(
            ingress.metadata.annotations,
            Some(labels(&[("haproxy-ingress.github.io/cert-signer", "acme")]))
        );
        assert_eq!(
            spec(&ingress).tls,
            Some(vec![IngressTLS {
                hosts: Some(vec!["shop.example.com".to_string()]),
                secret_name: Some("web-tls".to_string()),
            }])
        );

        // TLS with neither: the controller's default certificate.
        r.tls = Some(Tls {
            secret: None,
            cert_resolver: None,
            hosts: Vec::new(),
        });
        let ingress = render(&r, "shop", &BTreeMap::new());
        assert_eq!(ingress.metadata.annotations, None);
        assert_eq!(spec(&ingress).tls, Some(vec![IngressTLS::default()]));
    }

    #[test]
    fn cors_rate_limit_and_auth_annotations() {
        let mut r = route("web", "web", None);
        r.cors = Some(Cors {
            allow_origins: vec![
                "https://a.example.com".to_string(),
                "https://b.example.com".to_string(),
            ],
            allow_methods: vec!["GET".to_string(), "POST".to_string()],
            allow_headers: Vec::new(),
            allow_credentials: false,
            max_age: Some(600),
        });
        r.rate_limit = Some(RateLimit {
            average: 50,
            period_seconds: 1,
            burst: 100,
        });
        r.auth = Some(Auth::Basic {
            secret: "web-users".to_string(),
            realm: Some("shop".to_string()),
        });
        let annotations = render(&r, "shop", &BTreeMap::new()).metadata.annotations;
        assert_eq!(
            annotations,
            Some(labels(&[
                ("haproxy-ingress.github.io/auth-realm", "shop"),
                ("haproxy-ingress.github.io/auth-secret", "web-users"),
                ("haproxy-ingress.github.io/cors-allow-credentials", "false"),
                ("haproxy-ingress.github.io/cors-allow-methods", "GET,POST"),
                (
                    "haproxy-ingress.github.io/cors-allow-origin",
                    "https://a.example.com,https://b.example.com"
                ),
                ("haproxy-ingress.github.io/cors-enable", "true"),
                ("haproxy-ingress.github.io/cors-max-age", "600"),
                ("haproxy-ingress.github.io/limit-rps", "50"),
            ]))
        );

        r.auth = Some(Auth::Forward {
            address: "http://auth.shop.svc.cluster.local:4181/verify".to_string(),
            response_headers: Vec::new(),
        });
        r.cors = None;
        r.rate_limit = None;
        let annotations = render(&r, "shop", &BTreeMap::new()).metadata.annotations;
        assert_eq!(
            annotations,
            Some(labels(&[
                ("haproxy-ingress.github.io/auth-headers-succeed", "-"),
                (
                    "haproxy-ingress.github.io/auth-url",
                    "http://auth.shop.svc.cluster.local:4181/verify"
                ),
            ]))
        );
    }

    #[test]
    fn only_documented_non_global_keys_are_written() {
        let mut r = haproxy_route();
        r.annotations.clear();
        r.rate_limit = Some(RateLimit {
            average: 5,
            period_seconds: 1,
            burst: 5,
        });
        r.cors = Some(Cors {
            allow_origins: vec!["*".to_string()],
            allow_methods: vec!["GET".to_string()],
            allow_headers: vec!["Content-Type".to_string()],
            allow_credentials: true,
            max_age: Some(60),
        });
        let mut generated = BTreeMap::new();
        for auth in [
            Auth::Basic {
                secret: "users".to_string(),
                realm: Some("realm".to_string()),
            },
            Auth::Forward {
                address: "svc://auth:4181/verify".to_string(),
                response_headers: vec!["X-User".to_string()],
            },
        ] {
            r.auth = Some(auth);
            r.tls.as_mut().expect("tls").cert_resolver = Some("acme".to_string());
            generated.extend(annotations(&r));
        }
        assert_eq!(generated.len(), DOCUMENTED.len(), "{generated:?}");
        for key in generated.keys() {
            let key = key.strip_prefix(PREFIX).expect("HAProxy Ingress prefix");
            let scope = DOCUMENTED
                .iter()
                .find(|(documented, _)| *documented == key)
                .map(|(_, scope)| *scope);
            assert!(
                matches!(scope, Some("Host" | "Backend" | "Path")),
                "{key}: {scope:?}"
            );
        }
    }
}
