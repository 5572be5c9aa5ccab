//! `volumes:` — emptyDir, persistent volume claims, and Secrets or ConfigMaps mounted as files.

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::Quantity;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum VolumeType {
    #[serde(rename = "emptyDir")]
    EmptyDir,
    #[serde(rename = "pvc")]
    Pvc,
    #[serde(rename = "secret")]
    Secret,
    #[serde(rename = "configmap")]
    Configmap,
    /// A node directory; refused unless `allow_host_path: true` on the entry.
    #[serde(rename = "hostPath")]
    HostPath,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub kind: Spanned<VolumeType>,
    pub mount_path: Spanned<String>,
    pub read_only: Option<bool>,
    /// Mount one file or directory of the volume.
    pub sub_path: Option<String>,
    /// emptyDir: `""` (node disk) or `Memory`.
    pub medium: Option<String>,
    pub size_limit: Option<Spanned<Quantity>>,
    /// pvc: requested size, e.g. `10Gi`.
    pub size: Option<Spanned<Quantity>>,
    pub storage_class: Option<String>,
    #[serde(default)]
    pub access_modes: Vec<Spanned<String>>,
    /// pvc: use an existing claim instead of creating one.
    pub claim_name: Option<String>,
    pub secret_name: Option<Spanned<String>>,
    pub configmap_name: Option<Spanned<String>>,
    /// hostPath: the node path.
    pub path: Option<Spanned<String>>,
    #[serde(default)]
    pub items: Vec<KeyToPath>,
    /// File mode for secret/configmap files, e.g. `0440` (octal).
    pub default_mode: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyToPath {
    pub key: String,
    pub path: String,
}
