//! Standalone PersistentVolumeClaims (`w.claims`) and the claim spec StatefulSet templates
//! reuse. It must not decide sizes or storage classes; the IR has them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};

use super::object::object;
use super::object_meta;
use super::pod_template::quantities;
use crate::workload::{Claim, Workload};

object!(PersistentVolumeClaim, VOLUME_CLAIM);

/// What a claim gets when the IR names no access mode: one node reads and writes.
const DEFAULT_ACCESS_MODE: &str = "ReadWriteOnce";

pub(super) fn render(w: &Workload, claim: &Claim) -> PersistentVolumeClaim {
    PersistentVolumeClaim {
        metadata: object_meta(w, &claim.name),
        spec: Some(claim_spec(claim)),
        status: None,
    }
}

pub(super) fn claim_spec(claim: &Claim) -> PersistentVolumeClaimSpec {
    let access_modes = if claim.access_modes.is_empty() {
        vec![DEFAULT_ACCESS_MODE.to_string()]
    } else {
        claim.access_modes.clone()
    };
    PersistentVolumeClaimSpec {
        access_modes: Some(access_modes),
        resources: Some(VolumeResourceRequirements {
            requests: quantities(&BTreeMap::from([(
                "storage".to_string(),
                claim.size.clone(),
            )])),
            limits: None,
        }),
        storage_class_name: claim.storage_class.clone(),
        ..PersistentVolumeClaimSpec::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::web;

    #[test]
    fn standalone_claim_defaults_to_read_write_once() {
        let w = web();
        let claim = render(&w, &w.claims[0]);
        assert_eq!(claim.metadata.name.as_deref(), Some("web-uploads"));
        assert_eq!(claim.metadata.labels, Some(w.object_labels()));
        let spec = claim.spec.expect("spec");
        assert_eq!(spec.access_modes, Some(vec!["ReadWriteOnce".to_string()]));
        assert_eq!(spec.storage_class_name.as_deref(), Some("local-path"));
        let requests = spec.resources.and_then(|r| r.requests).expect("requests");
        assert_eq!(requests["storage"].0, "5Gi");
    }

    #[test]
    fn access_modes_pass_through() {
        let mut w = web();
        w.claims[0].access_modes = vec!["ReadWriteMany".to_string()];
        let spec = render(&w, &w.claims[0]).spec.expect("spec");
        assert_eq!(spec.access_modes, Some(vec!["ReadWriteMany".to_string()]));
    }
}
