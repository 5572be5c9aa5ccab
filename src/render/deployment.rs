//! The Deployment of a workload whose controller is `Controller::Deployment`.
//! It must not write `spec.replicas` when an autoscaler owns the count (DESIGN rule 9).

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};

use super::{object_meta, pod_template, selector};
use crate::workload::{Controller, RolloutStrategy, Workload};

pub(super) fn render(w: &Workload) -> Option<Deployment> {
    let Controller::Deployment {
        strategy,
        revision_history_limit,
    } = &w.controller
    else {
        return None;
    };
    Some(Deployment {
        metadata: object_meta(w, &w.name),
        spec: Some(DeploymentSpec {
            replicas: super::replicas(w.replicas),
            revision_history_limit: Some(*revision_history_limit),
            selector: selector(w),
            strategy: Some(rollout_strategy(strategy)),
            template: pod_template(w),
            ..DeploymentSpec::default()
        }),
        status: None,
    })
}

fn rollout_strategy(strategy: &RolloutStrategy) -> DeploymentStrategy {
    match strategy {
        RolloutStrategy::RollingUpdate {
            max_surge,
            max_unavailable,
        } => DeploymentStrategy {
            type_: Some("RollingUpdate".to_string()),
            rolling_update: Some(RollingUpdateDeployment {
                max_surge: Some(max_surge.to_int_or_string()),
                max_unavailable: Some(max_unavailable.to_int_or_string()),
            }),
        },
        RolloutStrategy::Recreate => DeploymentStrategy {
            type_: Some("Recreate".to_string()),
            rolling_update: None,
        },
    }
}
