//! KEDA core custom resources (`keda.sh/v1alpha1`): ScaledObject, ScaledJob and
//! TriggerAuthentication, shaped as KEDA v2.20's CRDs. Types only; no scaling decisions.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscalerBehavior;
use k8s_openapi::api::batch::v1::JobSpec;
use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// Scales a Deployment, StatefulSet or any `/scale` resource through an HPA that KEDA owns.
///
/// KEDA's admission webhook (not the CRD) also rejects: a target that another ScaledObject or
/// an HPA already scales; cpu/memory triggers on a workload without resource requests; only
/// cpu/memory triggers together with `minReplicaCount: 0`; duplicate trigger names. The HTTP
/// add-on's deprecated `HTTPScaledObject` creates a ScaledObject with its own name, so a
/// ScaledObject must not share a name (or a target) with an HTTPScaledObject.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "ScaledObject",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct ScaledObjectSpec {
    pub scale_target_ref: ScaleTargetRef,
    /// Seconds between trigger checks (minimum 1; KEDA defaults to 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling_interval: Option<i32>,
    /// Seconds after the last active trigger before scaling to zero (minimum 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_period: Option<i32>,
    /// Seconds after creation before the first scale to zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_cooldown_period: Option<i32>,
    /// Replicas while no trigger is active; KEDA requires it to be below `minReplicaCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_replica_count: Option<i32>,
    /// CEL: must be ≤ `maxReplicaCount` (≤ 100 when `maxReplicaCount` is unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replica_count: Option<i32>,
    /// Minimum 1; KEDA defaults to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replica_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<Fallback>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<AdvancedConfig>,
    /// At least one (CRD `minItems: 1`), so never skipped when empty.
    pub triggers: Vec<ScaleTrigger>,
}

/// The workload a ScaledObject scales, in the ScaledObject's namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTargetRef {
    /// Defaults to `apps/v1` in KEDA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Defaults to `Deployment` in KEDA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Required, non-empty.
    pub name: String,
    /// Container whose environment triggers may read; defaults to the first container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_source_container_name: Option<String>,
}

/// Replicas to hold when a scaler keeps failing.
///
/// KEDA checks fallback against the triggers' `metricType` (historically `AverageValue`
/// only, the default); cpu/memory triggers never fall back.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fallback {
    pub failure_threshold: i32,
    pub replicas: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<FallbackBehavior>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FallbackBehavior {
    /// The CRD default: hold `fallback.replicas`.
    #[default]
    Static,
    CurrentReplicas,
    CurrentReplicasIfHigher,
    CurrentReplicasIfLower,
    ScalingModifiers,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdvancedConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizontal_pod_autoscaler_config: Option<HorizontalPodAutoscalerConfig>,
    /// Put the workload back to its original replica count when the ScaledObject is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_to_original_replica_count: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_modifiers: Option<ScalingModifiers>,
}

/// Settings passed through to the HPA that KEDA generates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HorizontalPodAutoscalerConfig {
    /// Name of the generated HPA; defaults to `keda-hpa-<scaledobject>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The stock HPA behavior. KEDA's CRD does not range-check it; the API server does when
    /// KEDA creates the HPA (so a bad value fails late, in KEDA's status): policy `type`
    /// `Pods`/`Percent` with `value` > 0 and `periodSeconds` 1–1800, `selectPolicy`
    /// `Max`/`Min`/`Disabled`, `stabilizationWindowSeconds` 0–3600. `tolerance` is alpha in
    /// Kubernetes 1.33 (HPAConfigurableTolerance): accepted, but ignored unless that feature
    /// gate is on, so renderers should leave it unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behavior: Option<HorizontalPodAutoscalerBehavior>,
}

/// Combines several triggers' metrics with a formula (KEDA ≥ 2.12).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingModifiers {
    /// Expression over trigger names; every trigger it uses needs a `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_target: Option<String>,
    /// Only `AverageValue` or `Value` here (CRD enum), not `Utilization`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<MetricType>,
}

/// One scaler; shared by ScaledObject and ScaledJob (identical in both CRDs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaleTrigger {
    /// Scaler type, e.g. `redis-streams`, `cpu`, `external-push`; required, non-empty.
    pub r#type: String,
    /// Scaler parameters. Required by the CRD even when empty, so never skipped.
    pub metadata: BTreeMap<String, String>,
    /// Unique among the object's triggers (webhook); needed to refer to it from a formula.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_ref: Option<AuthenticationRef>,
    /// Serve the last polled value to the HPA instead of querying the scaler (ScaledObject only
    /// in effect; not supported for cpu/memory/cron triggers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_cached_metrics: Option<bool>,
    /// A plain string in the CRD; KEDA accepts `AverageValue` (default), `Value` and
    /// `Utilization` (cpu/memory only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_type: Option<MetricType>,
}

/// The HPA metric target type a trigger reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetricType {
    AverageValue,
    Value,
    Utilization,
}

/// Points a trigger at a (Cluster)TriggerAuthentication holding its credentials.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationRef {
    pub name: String,
    /// Defaults to `TriggerAuthentication` in KEDA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AuthenticationKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthenticationKind {
    TriggerAuthentication,
    ClusterTriggerAuthentication,
}

/// Runs one Kubernetes Job per unit of pending work instead of scaling a long-lived workload.
///
/// Same webhook rule on trigger names as ScaledObject. There is no `cooldownPeriod`: Jobs
/// finish on their own.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "ScaledJob",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct ScaledJobSpec {
    /// The Job each scale-up creates; `template` is required as in any JobSpec.
    pub job_target_ref: JobSpec,
    /// Minimum 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polling_interval: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_jobs_history_limit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_jobs_history_limit: Option<i32>,
    /// Minimum 1; KEDA defaults to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_replica_count: Option<i32>,
    /// Jobs kept ready even with no work (minimum 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_replica_count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_source_container_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_strategy: Option<ScaledJobScalingStrategy>,
    /// What happens to running Jobs when the ScaledJob changes. (The CRD's top-level
    /// `rolloutStrategy` is deprecated in favour of this and is not modelled.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
    /// At least one (CRD `minItems: 1`).
    pub triggers: Vec<ScaleTrigger>,
}

/// How many Jobs a ScaledJob starts for the pending work it sees.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScaledJobScalingStrategy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<JobScalingStrategy>,
    /// Only read with `strategy: custom`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_scaling_queue_length_deduction: Option<i32>,
    /// Only read with `strategy: custom`; a decimal such as `"0.5"`, kept as a string by KEDA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_scaling_running_job_percentage: Option<String>,
    /// Pod conditions that count a Job's pod as still pending (e.g. `Ready`, `PodScheduled`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_pod_conditions: Vec<String>,
    /// How the queue lengths of several triggers combine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiple_scalers_calculation: Option<MultipleScalersCalculation>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobScalingStrategy {
    Default,
    Custom,
    Accurate,
    Eager,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MultipleScalersCalculation {
    Max,
    Min,
    Avg,
    Sum,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rollout {
    /// `immediate` deletes running Jobs when the ScaledJob changes; `gradual` lets them finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<RolloutStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagation_policy: Option<PropagationPolicy>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RolloutStrategy {
    Immediate,
    Gradual,
}

/// How deleted Jobs' pods are cleaned up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PropagationPolicy {
    Background,
    Foreground,
}

/// Credentials for triggers, read from Secrets, ConfigMaps, container env or a workload
/// identity, and referenced by `ScaleTrigger::authentication_ref`.
///
/// KEDA's webhook rejects a TriggerAuthentication that sets more than one identity provider
/// for the same parameter.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "keda.sh",
    version = "v1alpha1",
    kind = "TriggerAuthentication",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct TriggerAuthenticationSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_target_ref: Vec<AuthKeyRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_map_target_ref: Vec<AuthKeyRef>,
    /// Parameters read from the scale target's container environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<AuthEnvironment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_identity: Option<AuthPodIdentity>,
}

/// One trigger parameter taken from a key of a Secret (`secretTargetRef`) or ConfigMap
/// (`configMapTargetRef`) in the same namespace; the two lists have identical items.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthKeyRef {
    /// Trigger parameter name, e.g. `password` for redis scalers.
    pub parameter: String,
    /// Secret or ConfigMap name.
    pub name: String,
    pub key: String,
}

/// One trigger parameter taken from an environment variable of the scale target's container.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthEnvironment {
    pub parameter: String,
    /// Environment variable name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthPodIdentity {
    pub provider: PodIdentityProvider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_tenant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_authority_host: Option<String>,
    /// AWS only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// AWS only; the CRD spells it `externalID`.
    #[serde(
        default,
        rename = "externalID",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_id: Option<String>,
    /// AWS only: whose identity is assumed, KEDA's or the workload's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_owner: Option<IdentityOwner>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PodIdentityProvider {
    /// KEDA's default: no identity, credentials come from the other fields.
    #[default]
    None,
    AzureWorkload,
    Gcp,
    Aws,
    AwsEks,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityOwner {
    Keda,
    Workload,
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::autoscaling::v2::{HPAScalingPolicy, HPAScalingRules};
    use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
    use serde_json::{Value, json};

    fn metadata(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn redis_trigger() -> ScaleTrigger {
        ScaleTrigger {
            r#type: "redis-streams".into(),
            metadata: metadata(&[
                ("address", "valkey.jobs.svc:6379"),
                ("stream", "tasks"),
                ("consumerGroup", "workers"),
                ("pendingEntriesCount", "10"),
            ]),
            name: Some("tasks".into()),
            authentication_ref: Some(AuthenticationRef {
                name: "valkey-auth".into(),
                kind: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn scaled_object_serializes_like_the_crd() {
        let mut so = ScaledObject::new(
            "worker",
            ScaledObjectSpec {
                scale_target_ref: ScaleTargetRef {
                    name: "worker".into(),
                    ..Default::default()
                },
                min_replica_count: Some(1),
                max_replica_count: Some(10),
                cooldown_period: Some(300),
                fallback: Some(Fallback {
                    failure_threshold: 3,
                    replicas: 2,
                    behavior: None,
                }),
                advanced: Some(AdvancedConfig {
                    horizontal_pod_autoscaler_config: Some(HorizontalPodAutoscalerConfig {
                        name: None,
                        behavior: Some(HorizontalPodAutoscalerBehavior {
                            scale_down: Some(HPAScalingRules {
                                stabilization_window_seconds: Some(300),
                                policies: Some(vec![HPAScalingPolicy {
                                    type_: "Percent".into(),
                                    value: 50,
                                    period_seconds: 60,
                                }]),
                                ..Default::default()
                            }),
                            scale_up: None,
                        }),
                    }),
                    ..Default::default()
                }),
                triggers: vec![redis_trigger()],
                ..Default::default()
            },
        );
        so.metadata.namespace = Some("jobs".into());
        let v = serde_json::to_value(&so).unwrap();

        assert_eq!(v["apiVersion"], "keda.sh/v1alpha1");
        assert_eq!(v["kind"], "ScaledObject");
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
        let spec = &v["spec"];
        assert_eq!(spec["scaleTargetRef"], json!({"name": "worker"}));
        assert_eq!(spec["minReplicaCount"], 1);
        assert!(spec.get("pollingInterval").is_none());
        assert!(spec.get("idleReplicaCount").is_none());
        let t = &spec["triggers"][0];
        assert_eq!(t["type"], "redis-streams");
        assert_eq!(t["metadata"]["stream"], "tasks");
        assert_eq!(t["authenticationRef"], json!({"name": "valkey-auth"}));
        assert!(t.get("metricType").is_none());
        let behavior = &spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"];
        assert_eq!(behavior["scaleDown"]["stabilizationWindowSeconds"], 300);
        assert_eq!(behavior["scaleDown"]["policies"][0]["type"], "Percent");
    }

    #[test]
    fn trigger_metadata_is_kept_even_when_empty() {
        // The CRD requires `metadata` on every trigger.
        let t = ScaleTrigger {
            r#type: "cpu".into(),
            metric_type: Some(MetricType::Utilization),
            ..Default::default()
        };
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(
            v,
            json!({"type": "cpu", "metadata": {}, "metricType": "Utilization"})
        );
    }

    #[test]
    fn scaled_job_embeds_a_job_spec() {
        let sj = ScaledJob::new(
            "render",
            ScaledJobSpec {
                job_target_ref: JobSpec {
                    backoff_limit: Some(2),
                    template: PodTemplateSpec {
                        metadata: None,
                        spec: Some(PodSpec {
                            restart_policy: Some("Never".into()),
                            containers: vec![Container {
                                name: "render".into(),
                                image: Some("ghcr.io/acme/render:1.4".into()),
                                ..Default::default()
                            }],
                            ..Default::default()
                        }),
                    },
                    ..Default::default()
                },
                max_replica_count: Some(20),
                scaling_strategy: Some(ScaledJobScalingStrategy {
                    strategy: Some(JobScalingStrategy::Accurate),
                    ..Default::default()
                }),
                rollout: Some(Rollout {
                    strategy: Some(RolloutStrategy::Gradual),
                    propagation_policy: None,
                }),
                triggers: vec![redis_trigger()],
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&sj).unwrap();
        assert_eq!(v["apiVersion"], "keda.sh/v1alpha1");
        assert_eq!(v["kind"], "ScaledJob");
        let spec = &v["spec"];
        assert_eq!(
            spec["jobTargetRef"]["template"]["spec"]["containers"][0]["name"],
            "render"
        );
        assert_eq!(spec["jobTargetRef"]["backoffLimit"], 2);
        assert_eq!(spec["scalingStrategy"], json!({"strategy": "accurate"}));
        assert_eq!(spec["rollout"], json!({"strategy": "gradual"}));
        assert!(spec.get("cooldownPeriod").is_none());
    }

    #[test]
    fn trigger_authentication_lists_only_what_is_set() {
        let ta = TriggerAuthentication::new(
            "valkey-auth",
            TriggerAuthenticationSpec {
                secret_target_ref: vec![AuthKeyRef {
                    parameter: "password".into(),
                    name: "valkey".into(),
                    key: "VALKEY_PASSWORD".into(),
                }],
                pod_identity: Some(AuthPodIdentity {
                    provider: PodIdentityProvider::AwsEks,
                    external_id: Some("abc".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&ta).unwrap();
        assert_eq!(v["apiVersion"], "keda.sh/v1alpha1");
        assert_eq!(v["kind"], "TriggerAuthentication");
        assert_eq!(
            v["spec"],
            json!({
                "secretTargetRef": [{"parameter": "password", "name": "valkey", "key": "VALKEY_PASSWORD"}],
                "podIdentity": {"provider": "aws-eks", "externalID": "abc"},
            })
        );
    }

    #[test]
    fn round_trips_through_json() {
        let so = ScaledObject::new(
            "w",
            ScaledObjectSpec {
                scale_target_ref: ScaleTargetRef {
                    name: "w".into(),
                    ..Default::default()
                },
                triggers: vec![redis_trigger()],
                ..Default::default()
            },
        );
        let v: Value = serde_json::to_value(&so).unwrap();
        let back: ScaledObject = serde_json::from_value(v).unwrap();
        assert_eq!(back, so);
    }
}
