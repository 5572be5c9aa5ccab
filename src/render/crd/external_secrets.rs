//! External Secrets Operator's `ExternalSecret` (`external-secrets.io/v1`; v1beta1 is no longer
//! served). Types only; which secrets come from where is decided by the renderers.

use std::collections::BTreeMap;

use kube::CustomResource;
use serde::{Deserialize, Serialize};

/// Asks ESO to build a Kubernetes Secret from values held in an external store.
///
/// ESO's webhook rejects an ExternalSecret with neither `data` nor `data_from`, and these
/// creation/deletion policy pairs, which would delete Secrets ESO does not own:
/// `Delete`+`Merge`, `Delete`+`CreateOrMerge`, `Delete`+`None`, `Merge`+`None`
/// (deletionPolicy+creationPolicy).
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "external-secrets.io",
    version = "v1",
    kind = "ExternalSecret",
    namespaced,
    schema = "disabled",
    derive = "PartialEq"
)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    /// Optional in v1 because each data entry may name its own source; k3s always sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_store_ref: Option<SecretStoreRef>,
    /// The CRD defaults it to `{creationPolicy: Owner, deletionPolicy: Retain}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<ExternalSecretTarget>,
    /// Go duration, the CRD defaults it to `1h0m0s`; `"0s"` fetches once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_policy: Option<RefreshPolicy>,
    /// One Secret key per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<ExternalSecretData>,
    /// Whole remote objects whose properties all become Secret keys, merged in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_from: Vec<ExternalSecretDataFrom>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStoreRef {
    /// DNS-1123 subdomain, 1–253 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// ESO defaults it to `SecretStore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SecretStoreKind>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecretStoreKind {
    SecretStore,
    ClusterSecretStore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefreshPolicy {
    CreatedOnce,
    Periodic,
    OnChange,
}

/// The Secret that ESO writes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretTarget {
    /// Defaults to the ExternalSecret's name; DNS-1123 subdomain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The CRD defaults it to `Owner`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_policy: Option<CreationPolicy>,
    /// The CRD defaults it to `Retain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<ExternalSecretTemplate>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CreationPolicy {
    /// Create the Secret with an owner reference to the ExternalSecret (garbage collected).
    #[default]
    Owner,
    /// Create it without an owner reference.
    Orphan,
    /// Merge into an existing Secret, never create one.
    Merge,
    /// Create the Secret if missing, otherwise merge into it.
    CreateOrMerge,
    /// Write nothing.
    None,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeletionPolicy {
    /// Delete the Secret when every remote value is gone.
    Delete,
    /// Remove only the keys ESO wrote.
    Merge,
    /// Leave the Secret as it is.
    #[default]
    Retain,
}

/// A blueprint for the Secret: its type, metadata and Go-templated data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretTemplate {
    /// Secret type, e.g. `kubernetes.io/dockerconfigjson`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Only `v2` exists (the CRD default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<TemplateEngineVersion>,
    /// The CRD defaults it to `Replace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_policy: Option<TemplateMergePolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<TemplateMetadata>,
    /// Secret key → Go template over the fetched values (`{{ .password }}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TemplateEngineVersion {
    #[default]
    #[serde(rename = "v2")]
    V2,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TemplateMergePolicy {
    #[default]
    Replace,
    Merge,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TemplateMetadata {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretData {
    /// Key in the Secret: `[-._a-zA-Z0-9]+`, at most 253 characters.
    pub secret_key: String,
    pub remote_ref: RemoteRef,
}

/// A value in the external store. Used both by `data[].remoteRef` and `dataFrom[].extract`
/// (identical schemas).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteRef {
    /// Path or name in the store.
    pub key: String,
    /// A field inside a structured (e.g. JSON) remote value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// ESO defaults it to `None` (use the value as stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoding_strategy: Option<DecodingStrategy>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecodingStrategy {
    Auto,
    Base64,
    #[serde(rename = "Base64URL")]
    Base64Url,
    None,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretDataFrom {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extract: Option<RemoteRef>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn external_secret_is_v1_and_omits_what_is_unset() {
        let es = ExternalSecret::new(
            "shop-db",
            ExternalSecretSpec {
                secret_store_ref: Some(SecretStoreRef {
                    name: Some("vault".into()),
                    kind: Some(SecretStoreKind::ClusterSecretStore),
                }),
                target: Some(ExternalSecretTarget {
                    name: Some("shop-db".into()),
                    creation_policy: Some(CreationPolicy::Owner),
                    ..Default::default()
                }),
                refresh_interval: Some("1h".into()),
                data: vec![ExternalSecretData {
                    secret_key: "DATABASE_PASSWORD".into(),
                    remote_ref: RemoteRef {
                        key: "shop/db".into(),
                        property: Some("password".into()),
                        ..Default::default()
                    },
                }],
                data_from: vec![ExternalSecretDataFrom {
                    extract: Some(RemoteRef {
                        key: "shop/env".into(),
                        ..Default::default()
                    }),
                }],
                ..Default::default()
            },
        );
        let v = serde_json::to_value(&es).unwrap();
        assert_eq!(v["apiVersion"], "external-secrets.io/v1");
        assert_eq!(v["kind"], "ExternalSecret");
        assert_eq!(
            v["spec"],
            json!({
                "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
                "target": {"name": "shop-db", "creationPolicy": "Owner"},
                "refreshInterval": "1h",
                "data": [{"secretKey": "DATABASE_PASSWORD",
                          "remoteRef": {"key": "shop/db", "property": "password"}}],
                "dataFrom": [{"extract": {"key": "shop/env"}}],
            })
        );
    }

    #[test]
    fn policy_and_template_spellings_match_the_crd() {
        let target = ExternalSecretTarget {
            creation_policy: Some(CreationPolicy::CreateOrMerge),
            deletion_policy: Some(DeletionPolicy::Retain),
            template: Some(ExternalSecretTemplate {
                r#type: Some("kubernetes.io/dockerconfigjson".into()),
                engine_version: Some(TemplateEngineVersion::V2),
                data: [(".dockerconfigjson".to_string(), "{{ .auth }}".to_string())].into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let v = serde_json::to_value(&target).unwrap();
        assert_eq!(v["creationPolicy"], "CreateOrMerge");
        assert_eq!(v["template"]["engineVersion"], "v2");
        assert_eq!(v["template"]["type"], "kubernetes.io/dockerconfigjson");
        let r = RemoteRef {
            key: "k".into(),
            decoding_strategy: Some(DecodingStrategy::Base64Url),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap()["decodingStrategy"],
            "Base64URL"
        );
    }
}
