//! `secrets:` — Secrets mounted as files, optionally filled by External Secrets Operator from
//! an external store (rendered as `external-secrets.io/v1` ExternalSecrets).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretMount {
    /// The Kubernetes Secret's name.
    pub name: Spanned<String>,
    /// Where its keys appear as files; omit to only import them as env (`as_env: true`).
    pub mount_path: Option<Spanned<String>>,
    /// Import every key as an environment variable.
    pub as_env: Option<bool>,
    /// Fill the Secret from an external store.
    pub external: Option<ExternalSource>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum StoreKind {
    /// A store in the entry's namespace.
    SecretStore,
    /// A store for the whole cluster (the default).
    ClusterSecretStore,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalSource {
    /// Store name; default `defaults.secret_store.name`.
    pub store: Option<Spanned<String>>,
    /// `SecretStore` or `ClusterSecretStore`. Default: `defaults.secret_store.kind`, else
    /// `ClusterSecretStore`.
    pub store_kind: Option<StoreKind>,
    /// Secret key → remote key (or `remote-key#property`).
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    /// Import every property of this remote key.
    pub extract: Option<String>,
    /// How often ESO refreshes, e.g. `1h`.
    pub refresh_interval: Option<super::value::Duration>,
}
