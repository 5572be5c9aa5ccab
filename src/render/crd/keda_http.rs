//! KEDA HTTP add-on custom resources (v0.15): `InterceptorRoute` (http.keda.sh/v1beta1) and the
//! deprecated `HTTPScaledObject` (http.keda.sh/v1alpha1). Types only; no routing decisions.

use std::collections::BTreeMap;

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// Routes requests arriving at the interceptor to a Service and reports their rate or
/// concurrency to the add-on's scaler.
///
/// Since add-on v0.14 this replaces HTTPScaledObject and no longer creates a ScaledObject: the
/// workload needs its own KEDA `ScaledObject` with an `external-push` trigger whose metadata
/// names this route (`interceptorRoute: <name>`) and the scaler
/// (`scalerAddress: keda-add-ons-http-external-scaler.<keda namespace>:9090`). Apply the route
/// before that ScaledObject, or KEDA's HPA falls back to a CPU metric.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "http.keda.sh",
    version = "v1beta1",
    kind = "InterceptorRoute",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct InterceptorRouteSpec {
    pub target: RouteTarget,
    /// OR across rules; AND within one rule (host and path and headers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RoutingRule>,
    pub scaling_metric: RouteScalingMetric,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_start: Option<ColdStart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<RouteTimeouts>,
}

/// The Service (in the route's namespace) that matching requests go to.
///
/// CEL: exactly one of `port` and `port_name` must be set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTarget {
    /// Service name, non-empty.
    pub service: String,
    /// 1–65535.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutingRule {
    /// Host header values; `*.example.com` wildcards and a lone `*` catch-all are allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Path prefixes; the longest match wins. Matched against the path as the interceptor
    /// receives it, so a prefix that Traefik strips in front of the interceptor is not listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathPrefix>,
    /// All must match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderMatch>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathPrefix {
    /// Non-empty.
    pub value: String,
}

/// A request header to match; shared by InterceptorRoute rules and HTTPScaledObject.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderMatch {
    /// Non-empty.
    pub name: String,
    /// Exact value; when unset the header only has to be present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// CEL: at least one of `concurrency` and `request_rate`; with both, KEDA scales on whichever
/// asks for more replicas.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteScalingMetric {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<RouteConcurrency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_rate: Option<RouteRequestRate>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteConcurrency {
    /// Concurrent requests per replica; required here (no default, unlike HTTPScaledObject),
    /// minimum 1.
    pub target_value: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRequestRate {
    /// Requests per second per replica; required, minimum 1.
    pub target_value: i32,
    /// Sliding window, a Go duration; the CRD defaults it to `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Bucket size within the window; the CRD defaults it to `1s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
}

/// What the interceptor does while the target has no ready endpoint.
///
/// CEL: at least one of `fallback` and `placeholder`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdStart {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<ColdStartFallback>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<ColdStartPlaceholder>,
}

/// Route to another Service when the target is not ready within the readiness timeout.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdStartFallback {
    pub service: ServicePortRef,
}

/// CEL: exactly one of `port` and `port_name`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePortRef {
    /// Non-empty.
    pub name: String,
    /// 1–65535.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdStartPlaceholder {
    pub response: PlaceholderResponse,
}

/// A static response served at once while scaling from zero.
///
/// CEL: at most one of `body` and `body_from_config_map`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceholderResponse {
    /// 100–599; the CRD defaults it to 503.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// At most 32768 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_from_config_map: Option<ConfigMapBodyRef>,
}

/// The ConfigMap must carry the label `http.keda.sh/response-body: "true"`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapBodyRef {
    pub name: String,
    /// When unset, the request path without its leading `/` (`index.html` for `/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// Go durations; unset means the interceptor's global setting, `"0s"` disables the deadline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTimeouts {
    /// Wait for the backend to become ready (scale from zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<String>,
    /// The whole request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// From request sent to response headers, cold start excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_header: Option<String>,
}

/// Deprecated since add-on v0.14 in favour of [`InterceptorRoute`] plus a ScaledObject; still
/// served as v1alpha1.
///
/// The operator creates a KEDA ScaledObject with the same name and namespace (unless annotated
/// `httpscaledobject.keda.sh/skip-scaledobject-creation: "true"`), so no other ScaledObject
/// may use that name or scale the same workload, and no HPA may target it.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "http.keda.sh",
    version = "v1alpha1",
    kind = "HTTPScaledObject",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct HTTPScaledObjectSpec {
    /// Host header values routed to the target (together with `path_prefixes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<String>,
    /// Matched as the interceptor receives the path; see [`RoutingRule::paths`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_prefixes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderMatch>,
    pub scale_target_ref: HTTPScaleTargetRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<ReplicaRange>,
    /// Deprecated in the CRD in favour of `scaling_metric`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_pending_requests: Option<i32>,
    /// One of `concurrency` and `request_rate` (the add-on reads one; no CEL enforces it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_metric: Option<HTTPScalingMetric>,
    /// Seconds, passed on as the generated ScaledObject's `cooldownPeriod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaledown_period: Option<i32>,
    /// Seconds, passed on as the generated ScaledObject's `initialCooldownPeriod`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_cooldown_period: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold_start_timeout_failover_ref: Option<ColdStartTimeoutFailoverRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<HTTPTimeouts>,
}

/// The workload to scale and the Service to route to.
///
/// CEL: exactly one of `port` and `port_name`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HTTPScaleTargetRef {
    /// Workload name. Optional in the CRD, but the generated ScaledObject needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Workload kind; KEDA defaults it to `Deployment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Workload API version; KEDA defaults it to `apps/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Service that requests are forwarded to.
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
}

/// Becomes the generated ScaledObject's min/max replica counts (add-on defaults 0 and 100).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HTTPScalingMetric {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<HTTPConcurrency>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_rate: Option<HTTPRequestRate>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HTTPConcurrency {
    /// The CRD defaults it to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_value: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HTTPRequestRate {
    /// The CRD defaults it to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_value: Option<i32>,
    /// The CRD defaults it to `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// The CRD defaults it to `1s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
}

/// Service to use when the target is not ready within `timeout_seconds`.
///
/// CEL: exactly one of `port` and `port_name`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColdStartTimeoutFailoverRef {
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_name: Option<String>,
    /// The CRD defaults it to 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
}

/// Go durations overriding the interceptor's global timeouts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HTTPTimeouts {
    /// Wait for the workload to have a replica before forwarding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_wait: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_header: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn interceptor_route_serializes_like_the_crd() {
        let ir = InterceptorRoute::new(
            "shop",
            InterceptorRouteSpec {
                target: RouteTarget {
                    service: "shop".into(),
                    port: Some(8080),
                    port_name: None,
                },
                rules: vec![RoutingRule {
                    hosts: vec!["shop.example.com".into()],
                    paths: vec![PathPrefix {
                        value: "/api".into(),
                    }],
                    headers: vec![],
                }],
                scaling_metric: RouteScalingMetric {
                    concurrency: Some(RouteConcurrency { target_value: 100 }),
                    request_rate: None,
                },
                cold_start: Some(ColdStart {
                    fallback: None,
                    placeholder: Some(ColdStartPlaceholder {
                        response: PlaceholderResponse {
                            status_code: Some(503),
                            body: Some("warming up".into()),
                            ..Default::default()
                        },
                    }),
                }),
                timeouts: Some(RouteTimeouts {
                    readiness: Some("30s".into()),
                    ..Default::default()
                }),
            },
        );
        let v = serde_json::to_value(&ir).unwrap();
        assert_eq!(v["apiVersion"], "http.keda.sh/v1beta1");
        assert_eq!(v["kind"], "InterceptorRoute");
        let spec = &v["spec"];
        assert_eq!(spec["target"], json!({"service": "shop", "port": 8080}));
        assert_eq!(
            spec["rules"],
            json!([{"hosts": ["shop.example.com"], "paths": [{"value": "/api"}]}])
        );
        assert_eq!(
            spec["scalingMetric"],
            json!({"concurrency": {"targetValue": 100}})
        );
        assert_eq!(
            spec["coldStart"]["placeholder"]["response"],
            json!({"statusCode": 503, "body": "warming up"})
        );
        assert_eq!(spec["timeouts"], json!({"readiness": "30s"}));
    }

    #[test]
    fn http_scaled_object_serializes_like_the_crd() {
        let hso = HTTPScaledObject::new(
            "shop",
            HTTPScaledObjectSpec {
                hosts: vec!["shop.example.com".into()],
                path_prefixes: vec!["/".into()],
                scale_target_ref: HTTPScaleTargetRef {
                    name: Some("shop".into()),
                    kind: Some("Deployment".into()),
                    api_version: Some("apps/v1".into()),
                    service: "shop".into(),
                    port: None,
                    port_name: Some("http".into()),
                },
                replicas: Some(ReplicaRange {
                    min: Some(0),
                    max: Some(5),
                }),
                scaling_metric: Some(HTTPScalingMetric {
                    request_rate: Some(HTTPRequestRate {
                        target_value: Some(50),
                        window: Some("1m".into()),
                        granularity: Some("1s".into()),
                    }),
                    concurrency: None,
                }),
                scaledown_period: Some(300),
                cold_start_timeout_failover_ref: Some(ColdStartTimeoutFailoverRef {
                    service: "shop-fallback".into(),
                    port: Some(80),
                    port_name: None,
                    timeout_seconds: Some(45),
                }),
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&hso).unwrap();
        assert_eq!(v["apiVersion"], "http.keda.sh/v1alpha1");
        assert_eq!(v["kind"], "HTTPScaledObject");
        let spec = &v["spec"];
        assert_eq!(spec["pathPrefixes"], json!(["/"]));
        assert_eq!(spec["scaleTargetRef"]["portName"], "http");
        assert!(spec["scaleTargetRef"].get("port").is_none());
        assert_eq!(spec["replicas"], json!({"min": 0, "max": 5}));
        assert_eq!(spec["scalingMetric"]["requestRate"]["targetValue"], 50);
        assert_eq!(spec["scaledownPeriod"], 300);
        assert_eq!(spec["coldStartTimeoutFailoverRef"]["timeoutSeconds"], 45);
        for absent in ["headers", "targetPendingRequests", "timeouts"] {
            assert!(spec.get(absent).is_none(), "{absent} should be omitted");
        }
    }
}
