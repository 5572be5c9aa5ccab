//! Standalone PersistentVolumeClaims (`w.claims`) and the claim spec StatefulSet templates
//! reuse. It must not decide sizes or storage classes; the IR has them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};

use super::object_meta;
use super::pod_template::quantities;
use crate::workload::{Claim, Workload};

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
