//! The `autoscaling/v2` HorizontalPodAutoscaler for `Scaling::Hpa`.
//! It must not render KEDA scalers, and never scales a controller other than the workload's.

use k8s_openapi::Resource as _;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};

use super::object_meta;
use crate::workload::{Controller, Scaling, Workload};

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

/// Replica counts, percentages and seconds are far below `i32::MAX`; saturate rather than wrap.
fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}
