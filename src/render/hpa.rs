//! The `autoscaling/v2` HorizontalPodAutoscaler for `Scaling::Hpa`.
//! It must not render KEDA scalers, and never scales a controller other than the workload's.

use k8s_openapi::Resource as _;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};

use super::object::object;
use super::{count, object_meta};
use crate::workload::{Controller, Scaling, Workload};

object!(HorizontalPodAutoscaler, SCALER);

/// The CPU utilization target when the IR names no metric, as `kubectl autoscale` picks.
const DEFAULT_CPU_PERCENT: u32 = 80;

pub(super) fn render(w: &Workload) -> Option<HorizontalPodAutoscaler> {
    let Scaling::Hpa {
        min,
        max,
        cpu_percent,
        memory_percent,
        scale_up_stabilization,
        scale_down_stabilization,
    } = &w.scaling
    else {
        return None;
    };
    let (api_version, kind) = match w.controller {
        Controller::Deployment { .. } => (Deployment::API_VERSION, Deployment::KIND),
        Controller::StatefulSet { .. } => (StatefulSet::API_VERSION, StatefulSet::KIND),
        // Jobs have no replica count to scale.
        Controller::CronJob { .. } | Controller::Job { .. } | Controller::ScaledJob { .. } => {
            return None;
        }
    };

    let mut metrics = Vec::new();
    let cpu = match (cpu_percent, memory_percent) {
        (None, None) => Some(DEFAULT_CPU_PERCENT),
        _ => *cpu_percent,
    };
    metrics.extend(cpu.map(|percent| utilization("cpu", percent)));
    metrics.extend(memory_percent.map(|percent| utilization("memory", percent)));

    let rules = |window: Option<u32>| {
        window.map(|seconds| HPAScalingRules {
            stabilization_window_seconds: Some(count(seconds)),
            ..HPAScalingRules::default()
        })
    };
    let behavior = HorizontalPodAutoscalerBehavior {
        scale_up: rules(*scale_up_stabilization),
        scale_down: rules(*scale_down_stabilization),
    };

    Some(HorizontalPodAutoscaler {
        metadata: object_meta(w, &w.name),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some(api_version.to_string()),
                kind: kind.to_string(),
                name: w.name.clone(),
            },
            min_replicas: Some(count(*min)),
            max_replicas: count(*max),
            metrics: Some(metrics),
            behavior: (behavior != HorizontalPodAutoscalerBehavior::default()).then_some(behavior),
        }),
        status: None,
    })
}

fn utilization(resource: &str, percent: u32) -> MetricSpec {
    MetricSpec {
        type_: "Resource".to_string(),
        resource: Some(ResourceMetricSource {
            name: resource.to_string(),
            target: MetricTarget {
                type_: "Utilization".to_string(),
                average_utilization: Some(count(percent)),
                ..MetricTarget::default()
            },
        }),
        ..MetricSpec::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{db, hello, web};

    fn spec(w: &Workload) -> HorizontalPodAutoscalerSpec {
        render(w).and_then(|h| h.spec).expect("an HPA")
    }

    fn metrics(spec: &HorizontalPodAutoscalerSpec) -> Vec<(String, i32)> {
        spec.metrics
            .iter()
            .flatten()
            .map(|m| {
                let resource = m.resource.as_ref().expect("resource metric");
                let target = resource.target.average_utilization.expect("utilization");
                (resource.name.clone(), target)
            })
            .collect()
    }

    fn set_metrics(w: &mut Workload, cpu: Option<u32>, memory: Option<u32>) {
        if let Scaling::Hpa {
            cpu_percent,
            memory_percent,
            ..
        } = &mut w.scaling
        {
            *cpu_percent = cpu;
            *memory_percent = memory;
        }
    }

    #[test]
    fn targets_the_deployment_with_bounds_metric_and_behavior() {
        let spec = spec(&web());
        assert_eq!(
            spec.scale_target_ref,
            CrossVersionObjectReference {
                api_version: Some("apps/v1".to_string()),
                kind: "Deployment".to_string(),
                name: "web".to_string(),
            }
        );
        assert_eq!((spec.min_replicas, spec.max_replicas), (Some(2), 6));
        assert_eq!(metrics(&spec), [("cpu".to_string(), 70)]);
        let behavior = spec.behavior.expect("behavior");
        assert_eq!(behavior.scale_up, None);
        assert_eq!(
            behavior
                .scale_down
                .and_then(|r| r.stabilization_window_seconds),
            Some(300)
        );
    }

    #[test]
    fn cpu_80_when_no_metric_is_given() {
        let mut w = web();
        set_metrics(&mut w, None, None);
        assert_eq!(metrics(&spec(&w)), [("cpu".to_string(), 80)]);
        set_metrics(&mut w, None, Some(75));
        assert_eq!(metrics(&spec(&w)), [("memory".to_string(), 75)]);
        set_metrics(&mut w, Some(60), Some(75));
        assert_eq!(
            metrics(&spec(&w)),
            [("cpu".to_string(), 60), ("memory".to_string(), 75)]
        );
    }

    #[test]
    fn no_behavior_without_windows() {
        let mut w = web();
        if let Scaling::Hpa {
            scale_down_stabilization,
            ..
        } = &mut w.scaling
        {
            *scale_down_stabilization = None;
        }
        assert_eq!(spec(&w).behavior, None);
    }

    #[test]
    fn stateful_sets_are_scaled_too() {
        let mut w = db();
        w.scaling = web().scaling;
        assert_eq!(spec(&w).scale_target_ref.kind, "StatefulSet");
    }

    #[test]
    fn only_for_hpa_scaling() {
        assert!(render(&hello()).is_none());
        assert!(render(&db()).is_none());
    }
}
