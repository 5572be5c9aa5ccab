//! External Secrets Operator `ExternalSecret`s (`external-secrets.io/v1`) for `w.external_secrets`:
//! ESO writes the Secret. It must never hold a secret value itself, only where to find it.

use super::crd::external_secrets::{
    CreationPolicy, ExternalSecret, ExternalSecretData, ExternalSecretDataFrom, ExternalSecretSpec,
    ExternalSecretTarget, RemoteRef, SecretStoreKind, SecretStoreRef,
};
use super::object::object;
use super::object_meta;
use crate::config::StoreKind;
use crate::workload::{self, Workload};

object!(ExternalSecret, "ExternalSecret", CONFIGURATION);

pub(super) fn render(w: &Workload, secret: &workload::ExternalSecret) -> ExternalSecret {
    ExternalSecret {
        metadata: object_meta(w, &secret.name),
        spec: ExternalSecretSpec {
            secret_store_ref: Some(SecretStoreRef {
                name: Some(secret.store.clone()),
                kind: Some(match secret.store_kind {
                    StoreKind::SecretStore => SecretStoreKind::SecretStore,
                    StoreKind::ClusterSecretStore => SecretStoreKind::ClusterSecretStore,
                }),
            }),
            // Owned by the ExternalSecret: deleting it garbage-collects the Secret.
            target: Some(ExternalSecretTarget {
                name: Some(secret.name.clone()),
                creation_policy: Some(CreationPolicy::Owner),
                ..ExternalSecretTarget::default()
            }),
            refresh_interval: Some(secret.refresh_interval.clone()),
            data: secret
                .data
                .iter()
                .map(|(secret_key, (key, property))| ExternalSecretData {
                    secret_key: secret_key.clone(),
                    remote_ref: RemoteRef {
                        key: key.clone(),
                        property: property.clone(),
                        ..RemoteRef::default()
                    },
                })
                .collect(),
            data_from: secret
                .extract
                .iter()
                .map(|key| ExternalSecretDataFrom {
                    extract: Some(RemoteRef {
                        key: key.clone(),
                        ..RemoteRef::default()
                    }),
                })
                .collect(),
            refresh_policy: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::web;
    use serde_json::json;

    #[test]
    fn v1_external_secret_with_data_and_extract() {
        let w = web();
        let es = render(&w, &w.external_secrets[0]);
        let v = serde_json::to_value(&es).expect("json");
        assert_eq!(v["apiVersion"], "external-secrets.io/v1");
        assert_eq!(v["kind"], "ExternalSecret");
        assert_eq!(v["metadata"]["name"], "db-credentials");
        assert_eq!(v["metadata"]["namespace"], "shop");
        assert_eq!(
            v["spec"],
            json!({
                "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
                "target": {"name": "db-credentials", "creationPolicy": "Owner"},
                "refreshInterval": "1h",
                "data": [
                    {"secretKey": "password", "remoteRef": {"key": "shop/db", "property": "password"}},
                    {"secretKey": "username", "remoteRef": {"key": "shop/db-user"}},
                ],
                "dataFrom": [{"extract": {"key": "shop/db-extra"}}],
            })
        );
    }

    #[test]
    fn namespaced_store_and_extract_only() {
        let mut w = web();
        let secret = &mut w.external_secrets[0];
        secret.store_kind = StoreKind::SecretStore;
        secret.data.clear();
        let es = render(&w, &w.external_secrets[0]);
        assert_eq!(
            es.spec.secret_store_ref.and_then(|s| s.kind),
            Some(SecretStoreKind::SecretStore)
        );
        assert!(es.spec.data.is_empty());
        assert_eq!(es.spec.data_from.len(), 1);
    }
}
