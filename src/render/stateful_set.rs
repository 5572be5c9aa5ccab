//! The StatefulSet of a workload whose controller is `Controller::StatefulSet`, with its
//! volumeClaimTemplates. It does not render the headless Service; `service.rs` does.

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::object::object;
use super::{non_empty, object_meta, pod_template, pvc, selector};
use crate::workload::{Controller, Workload};

object!(StatefulSet, WORKLOAD);

pub(super) fn render(w: &Workload) -> Option<StatefulSet> {
    let Controller::StatefulSet {
        service_name,
        claims,
    } = &w.controller
    else {
        return None;
    };
    let claim_templates = claims
        .iter()
        .map(|claim| PersistentVolumeClaim {
            // Only the name: the StatefulSet controller adds the selector labels to the
            // claims it creates, and the namespace is the StatefulSet's.
            metadata: ObjectMeta {
                name: Some(claim.name.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(pvc::claim_spec(claim)),
            status: None,
        })
        .collect();
    Some(StatefulSet {
        metadata: object_meta(w, &w.name),
        spec: Some(StatefulSetSpec {
            replicas: super::replicas(w.replicas),
            selector: selector(w),
            service_name: Some(service_name.clone()),
            template: pod_template(w),
            volume_claim_templates: non_empty(claim_templates),
            ..StatefulSetSpec::default()
        }),
        status: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{db, web};
    use crate::workload::Replicas;

    #[test]
    fn claims_become_volume_claim_templates() {
        let spec = render(&db()).and_then(|s| s.spec).expect("a StatefulSet");
        let templates = spec.volume_claim_templates.expect("volumeClaimTemplates");
        assert_eq!(templates.len(), 1);
        assert_eq!(templates[0].metadata.name.as_deref(), Some("data"));
        let claim = templates[0].spec.as_ref().expect("claim spec");
        assert_eq!(claim.access_modes, Some(vec!["ReadWriteOnce".to_string()]));
        let requests = claim.resources.as_ref().and_then(|r| r.requests.as_ref());
        assert_eq!(requests.map(|r| r["storage"].0.as_str()), Some("10Gi"));
    }

    #[test]
    fn service_name_replicas_and_selector() {
        let mut w = db();
        let spec = render(&w).and_then(|s| s.spec).expect("a StatefulSet");
        assert_eq!(spec.service_name.as_deref(), Some("db"));
        assert_eq!(spec.replicas, Some(1));
        assert_eq!(spec.selector.match_labels, Some(w.selector_labels()));
        w.replicas = Replicas::Autoscaled;
        let spec = render(&w).and_then(|s| s.spec).expect("a StatefulSet");
        assert_eq!(spec.replicas, None);
    }

    #[test]
    fn other_controllers_get_no_stateful_set() {
        assert!(render(&web()).is_none());
    }
}
