//! Opaque Secrets whose values are written in the project (`w.secrets`), as `stringData`.
//! It must never write `data`: base64 would hide the values from review, not protect them.

use k8s_openapi::api::core::v1::Secret;

use super::{non_empty_map, object_meta};
use crate::workload::{self, Workload};

pub(super) fn render(w: &Workload, secret: &workload::Secret) -> Secret {
    Secret {
        metadata: object_meta(w, &secret.name),
        type_: Some("Opaque".to_string()),
        string_data: non_empty_map(secret.string_data.clone()),
        ..Secret::default()
    }
}
