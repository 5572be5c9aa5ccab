//! The ServiceAccount a workload asks for, with its annotations (e.g. cloud IAM bindings).
//! It must not grant API access: roles and bindings are not rendered here.

use k8s_openapi::api::core::v1::ServiceAccount;

use super::object::object;
use super::{non_empty_map, object_meta};
use crate::workload::Workload;

object!(ServiceAccount, SERVICE_ACCOUNT);

pub(super) fn render(w: &Workload) -> Option<ServiceAccount> {
    let account = w.service_account.as_ref()?;
    let mut metadata = object_meta(w, &account.name);
    metadata.annotations = non_empty_map(account.annotations.clone());
    Some(ServiceAccount {
        metadata,
        // The same answer as the pod's, so a pod that doesn't set it can't get a token.
        automount_service_account_token: Some(w.pod.automount_service_account_token),
        ..ServiceAccount::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{db, web};

    #[test]
    fn account_with_annotations_and_the_pods_token_setting() {
        let w = web();
        let account = render(&w).expect("a ServiceAccount");
        assert_eq!(account.metadata.name.as_deref(), Some("web"));
        assert_eq!(
            account.metadata.annotations,
            w.service_account.map(|a| a.annotations)
        );
        assert_eq!(account.automount_service_account_token, Some(true));
    }

    #[test]
    fn no_account_asked_for_none_rendered() {
        assert!(render(&db()).is_none());
    }
}
