//! Opaque Secrets whose values are written in the project (`w.secrets`), as `stringData`.
//! It must never write `data`: base64 would hide the values from review, not protect them.

use k8s_openapi::api::core::v1::Secret;

use super::object::object;
use super::{non_empty_map, object_meta};
use crate::workload::{self, Workload};

object!(Secret, CONFIGURATION);

pub(super) fn render(w: &Workload, secret: &workload::Secret) -> Secret {
    Secret {
        metadata: object_meta(w, &secret.name),
        type_: Some("Opaque".to_string()),
        string_data: non_empty_map(secret.string_data.clone()),
        ..Secret::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::web;

    #[test]
    fn opaque_string_data_never_data() {
        let w = web();
        let secret = render(&w, &w.secrets[0]);
        assert_eq!(secret.type_.as_deref(), Some("Opaque"));
        assert_eq!(secret.string_data, Some(w.secrets[0].string_data.clone()));
        assert_eq!(secret.data, None);
        let yaml = serde_saphyr::to_string(&secret).expect("yaml");
        assert!(
            yaml.contains("stringData:") && !yaml.contains("\ndata:"),
            "{yaml}"
        );
    }
}
