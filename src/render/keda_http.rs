//! The KEDA HTTP add-on for `Scaling::Http`: an HTTPScaledObject (v1alpha1), or an
//! InterceptorRoute plus the ScaledObject whose `external-push` trigger reads it (v1beta1).
//! It matches hosts and paths as the interceptor receives them; it never rewrites them.

use std::collections::BTreeMap;

use super::crd::keda::{ScaleTrigger, ScaledObjectSpec};
use super::crd::keda_http::{
    HTTPConcurrency, HTTPScaleTargetRef, HTTPScaledObject, HTTPScaledObjectSpec, HTTPScalingMetric,
    InterceptorRoute, InterceptorRouteSpec, PathPrefix, ReplicaRange, RouteConcurrency,
    RouteScalingMetric, RouteTarget, RoutingRule,
};
use super::keda::{replica_bounds, scale_target, scaled_object};
use super::object::object;
use super::{Manifest, count, object_meta};
use crate::workload::{HttpScalerApi, Scaling, Workload};

object!(HTTPScaledObject, "HTTPScaledObject", SCALER);
object!(InterceptorRoute, "InterceptorRoute", SCALER);

/// Where the add-on's external scaler listens, in the namespace the add-on is installed in.
const SCALER_SERVICE: &str = "keda-add-ons-http-external-scaler";
const SCALER_PORT: u16 = 9090;
const DEFAULT_KEDA_NAMESPACE: &str = "keda";

pub(super) fn render(w: &Workload) -> Vec<Manifest> {
    let Scaling::Http {
        min,
        max,
        target_pending_requests,
        scaledown_period,
        hosts,
        path_prefixes,
        service,
        port,
        api,
    } = &w.scaling
    else {
        return Vec::new();
    };
    let Some(target) = scale_target(w) else {
        return Vec::new();
    };
    // Requests in flight per replica: what the add-on calls concurrency.
    let concurrency = count(*target_pending_requests);
    match api {
        HttpScalerApi::V1alpha1 => vec![Manifest::new(HTTPScaledObject {
            metadata: object_meta(w, &w.name),
            spec: HTTPScaledObjectSpec {
                hosts: hosts.clone(),
                path_prefixes: path_prefixes.clone(),
                scale_target_ref: HTTPScaleTargetRef {
                    name: Some(target.name),
                    kind: target.kind,
                    api_version: target.api_version,
                    service: service.clone(),
                    port: Some(i32::from(*port)),
                    port_name: None,
                },
                replicas: Some(ReplicaRange {
                    min: Some(count(*min)),
                    max: Some(count(*max)),
                }),
                // `targetPendingRequests` is deprecated in the CRD in favour of this.
                scaling_metric: Some(HTTPScalingMetric {
                    concurrency: Some(HTTPConcurrency {
                        target_value: Some(concurrency),
                    }),
                    request_rate: None,
                }),
                scaledown_period: scaledown_period.map(count),
                ..HTTPScaledObjectSpec::default()
            },
        })],
        HttpScalerApi::V1beta1 => {
            // No `coldStart`: the interceptor then holds requests until a replica is ready,
            // as it does for an HTTPScaledObject. A placeholder would answer them at once
            // with a canned response instead, a change of behaviour nobody asked for.
            let route = InterceptorRoute {
                metadata: object_meta(w, &w.name),
                spec: InterceptorRouteSpec {
                    target: RouteTarget {
                        service: service.clone(),
                        port: Some(i32::from(*port)),
                        port_name: None,
                    },
                    rules: vec![RoutingRule {
                        hosts: hosts.clone(),
                        paths: path_prefixes
                            .iter()
                            .map(|prefix| PathPrefix {
                                value: prefix.clone(),
                            })
                            .collect(),
                        headers: Vec::new(),
                    }],
                    scaling_metric: RouteScalingMetric {
                        concurrency: Some(RouteConcurrency {
                            target_value: concurrency,
                        }),
                        request_rate: None,
                    },
                    cold_start: None,
                    timeouts: None,
                },
            };
            let trigger = ScaleTrigger {
                r#type: "external-push".to_string(),
                metadata: BTreeMap::from([
                    ("interceptorRoute".to_string(), w.name.clone()),
                    ("scalerAddress".to_string(), scaler_address(w)),
                ]),
                ..ScaleTrigger::default()
            };
            let scaler = scaled_object(
                w,
                ScaledObjectSpec {
                    cooldown_period: scaledown_period.map(count),
                    triggers: vec![trigger],
                    ..replica_bounds(*min, *max)
                },
            );
            [Manifest::new(route)]
                .into_iter()
                .chain(scaler.map(Manifest::new))
                .collect()
        }
    }
}

/// `keda-add-ons-http-external-scaler.<namespace>:9090`, in the namespace of the interceptor
/// the workload's name or routes lead to (`<service>.<namespace>.svc…`), else `keda`.
fn scaler_address(w: &Workload) -> String {
    let namespace = w
        .services
        .iter()
        .filter_map(|service| service.external_name.as_deref())
        .chain(
            w.routes
                .iter()
                .filter_map(|route| route.backend.interceptor.as_ref())
                .map(|alias| alias.external_name.as_str()),
        )
        .find_map(|host| host.split('.').nth(1))
        .unwrap_or(DEFAULT_KEDA_NAMESPACE);
    format!("{SCALER_SERVICE}.{namespace}:{SCALER_PORT}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::crd::keda::ScaledObject;
    use crate::render::fixtures::{hello, hello_beta, web};
    use crate::workload::Controller;

    fn http_scaled_object(w: &Workload) -> HTTPScaledObject {
        match render(w).as_slice() {
            [m] => m
                .get::<HTTPScaledObject>()
                .expect("an HTTPScaledObject")
                .clone(),
            other => panic!("expected one HTTPScaledObject, got {}", other.len()),
        }
    }

    fn beta(w: &Workload) -> (InterceptorRoute, ScaledObject) {
        match render(w).as_slice() {
            [r, o] => (
                r.get::<InterceptorRoute>()
                    .expect("an InterceptorRoute")
                    .clone(),
                o.get::<ScaledObject>().expect("a ScaledObject").clone(),
            ),
            other => panic!(
                "expected InterceptorRoute + ScaledObject, got {}",
                other.len()
            ),
        }
    }

    fn scaler_hosts_and_paths(w: &Workload) -> (Vec<String>, Vec<String>) {
        match &w.scaling {
            Scaling::Http {
                hosts,
                path_prefixes,
                ..
            } => (hosts.clone(), path_prefixes.clone()),
            _ => panic!("not keda-http"),
        }
    }

    #[test]
    fn http_scaled_object_matches_what_the_interceptor_sees() {
        let w = hello();
        let hso = http_scaled_object(&w);
        let (hosts, paths) = scaler_hosts_and_paths(&w);
        assert_eq!(hso.spec.hosts, hosts);
        assert_eq!(hso.spec.path_prefixes, paths);
        assert_eq!(hso.spec.path_prefixes, ["/hello"]);
        assert_eq!(
            hso.spec.scale_target_ref,
            HTTPScaleTargetRef {
                name: Some("hello".to_string()),
                kind: Some("Deployment".to_string()),
                api_version: Some("apps/v1".to_string()),
                service: "hello".to_string(),
                port: Some(80),
                port_name: None,
            }
        );
        assert_eq!(
            hso.spec.replicas,
            Some(ReplicaRange {
                min: Some(0),
                max: Some(5),
            })
        );
        assert_eq!(
            hso.spec
                .scaling_metric
                .and_then(|m| m.concurrency)
                .and_then(|c| c.target_value),
            Some(10)
        );
        assert_eq!(hso.spec.target_pending_requests, None);
        assert_eq!(hso.spec.scaledown_period, Some(300));
    }

    #[test]
    fn v1beta1_emits_an_interceptor_route_and_an_external_push_scaled_object() {
        let w = hello_beta();
        let (route, so) = beta(&w);
        let (hosts, paths) = scaler_hosts_and_paths(&w);
        assert_eq!(route.metadata.name.as_deref(), Some("hello"));
        assert_eq!(
            route.spec.target,
            RouteTarget {
                service: "hello".to_string(),
                port: Some(80),
                port_name: None,
            }
        );
        assert_eq!(route.spec.rules.len(), 1);
        assert_eq!(route.spec.rules[0].hosts, hosts);
        let route_paths: Vec<&str> = route.spec.rules[0]
            .paths
            .iter()
            .map(|p| p.value.as_str())
            .collect();
        assert_eq!(route_paths, paths);
        assert_eq!(
            route.spec.scaling_metric.concurrency,
            Some(RouteConcurrency { target_value: 10 })
        );
        assert_eq!(route.spec.cold_start, None);

        assert_eq!(so.metadata.name.as_deref(), Some("hello"));
        assert_eq!(so.spec.scale_target_ref.name, "hello");
        assert_eq!(
            (so.spec.min_replica_count, so.spec.max_replica_count),
            (Some(0), Some(5))
        );
        assert_eq!(so.spec.cooldown_period, Some(300));
        assert_eq!(so.spec.triggers.len(), 1);
        let trigger = &so.spec.triggers[0];
        assert_eq!(trigger.r#type, "external-push");
        assert_eq!(
            trigger.metadata,
            BTreeMap::from([
                ("interceptorRoute".to_string(), "hello".to_string()),
                (
                    "scalerAddress".to_string(),
                    "keda-add-ons-http-external-scaler.keda:9090".to_string()
                ),
            ])
        );
    }

    #[test]
    fn scaler_address_follows_the_interceptor_namespace() {
        let mut w = hello_beta();
        for route in &mut w.routes {
            if let Some(alias) = route.backend.interceptor.as_mut() {
                alias.external_name =
                    "keda-add-ons-http-interceptor-proxy.autoscaling.svc.cluster.local".to_string();
            }
        }
        assert_eq!(
            scaler_address(&w),
            "keda-add-ons-http-external-scaler.autoscaling:9090"
        );
        w.routes.clear();
        assert_eq!(
            scaler_address(&w),
            "keda-add-ons-http-external-scaler.keda:9090"
        );
        // A workload whose own name is the interceptor's alias.
        let mut alias = w.services[0].clone();
        alias.external_name =
            Some("keda-add-ons-http-interceptor-proxy.scaling.svc.cluster.local".to_string());
        w.services.push(alias);
        assert_eq!(
            scaler_address(&w),
            "keda-add-ons-http-external-scaler.scaling:9090"
        );
    }

    #[test]
    fn stateful_sets_are_targets_too_and_jobs_are_not() {
        let mut w = hello();
        w.controller = Controller::StatefulSet {
            service_name: "hello".to_string(),
            claims: Vec::new(),
        };
        assert_eq!(
            http_scaled_object(&w).spec.scale_target_ref.kind.as_deref(),
            Some("StatefulSet")
        );
        w.controller = crate::render::fixtures::backup().controller;
        assert!(render(&w).is_empty());
    }

    #[test]
    fn other_scaling_renders_nothing_here() {
        assert!(render(&web()).is_empty());
    }
}
