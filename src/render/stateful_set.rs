//! The StatefulSet of a workload whose controller is `Controller::StatefulSet`, with its
//! volumeClaimTemplates. It does not render the headless Service; `service.rs` does.

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{non_empty, object_meta, pod_template, pvc, selector};
use crate::workload::{Controller, Workload};

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
