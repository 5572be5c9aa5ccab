//! The Deployment of a workload whose controller is `Controller::Deployment`.
//! It must not write `spec.replicas` when an autoscaler owns the count (DESIGN rule 9).

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};

use super::object::object;
use super::{object_meta, pod_template, selector};
use crate::workload::{Controller, RolloutStrategy, Workload};

object!(Deployment, WORKLOAD);

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

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    use super::*;
    use crate::render::fixtures::{backup, db, hello, web};
    use crate::workload::Replicas;

    fn spec(w: &Workload) -> DeploymentSpec {
        render(w).and_then(|d| d.spec).expect("a Deployment")
    }

    #[test]
    fn autoscaled_replicas_are_omitted() {
        let w = web();
        assert_eq!(w.replicas, Replicas::Autoscaled);
        let deployment = render(&w).expect("a Deployment");
        assert_eq!(deployment.spec.as_ref().and_then(|s| s.replicas), None);
        let yaml = serde_saphyr::to_string(&deployment).expect("yaml");
        assert!(!yaml.contains("replicas:"), "{yaml}");
    }

    #[test]
    fn fixed_replicas_are_written_and_zero_stays_zero() {
        let mut w = web();
        w.replicas = Replicas::Fixed(0);
        assert_eq!(spec(&w).replicas, Some(0));
        w.replicas = Replicas::Fixed(3);
        assert_eq!(spec(&w).replicas, Some(3));
    }

    #[test]
    fn rolling_update_keeps_max_unavailable_zero_and_max_surge_one() {
        let strategy = spec(&web()).strategy.expect("strategy");
        assert_eq!(strategy.type_.as_deref(), Some("RollingUpdate"));
        let rolling = strategy.rolling_update.expect("rollingUpdate");
        assert_eq!(rolling.max_unavailable, Some(IntOrString::Int(0)));
        assert_eq!(rolling.max_surge, Some(IntOrString::Int(1)));
    }

    #[test]
    fn recreate_has_no_rolling_update() {
        let strategy = spec(&hello()).strategy.expect("strategy");
        assert_eq!(strategy.type_.as_deref(), Some("Recreate"));
        assert_eq!(strategy.rolling_update, None);
    }

    #[test]
    fn selector_and_history_come_from_the_workload() {
        let w = web();
        let spec = spec(&w);
        assert_eq!(spec.selector.match_labels, Some(w.selector_labels()));
        assert_eq!(spec.revision_history_limit, Some(10));
    }

    #[test]
    fn other_controllers_get_no_deployment() {
        assert!(render(&db()).is_none());
        assert!(render(&backup()).is_none());
    }
}
