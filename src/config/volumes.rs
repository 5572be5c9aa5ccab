//! `volumes:` — emptyDir, persistent volume claims, and Secrets or ConfigMaps mounted as files.

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::Quantity;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum VolumeType {
    /// A scratch directory living as long as the pod (`medium: Memory` for tmpfs).
    #[serde(rename = "emptyDir")]
    EmptyDir,
    /// A PersistentVolumeClaim of `size` (volumeClaimTemplates on a StatefulSet), or `claim_name`
    /// for an existing one.
    #[serde(rename = "pvc")]
    Pvc,
    /// The keys of Secret `secret_name` as files.
    #[serde(rename = "secret")]
    Secret,
    /// The keys of ConfigMap `configmap_name` as files.
    #[serde(rename = "configmap")]
    Configmap,
    /// A node directory; refused unless `allow_host_path: true` on the entry.
    #[serde(rename = "hostPath")]
    HostPath,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Volume name (a DNS label). A `pvc`'s claim is `<workload>-<name>` (on a StatefulSet,
    /// the volumeClaimTemplate `<name>`).
    pub name: Spanned<String>,
    /// `emptyDir`, `pvc`, `secret`, `configmap` or `hostPath`.
    #[serde(rename = "type")]
    pub kind: Spanned<VolumeType>,
    /// Where the volume appears in the container, e.g. `/data`.
    pub mount_path: Spanned<String>,
    /// Mount read-only (the mount's `readOnly`). Default: false.
    pub read_only: Option<bool>,
    /// Mount one file or directory of the volume.
    pub sub_path: Option<String>,
    /// emptyDir: `""` (node disk) or `Memory`.
    pub medium: Option<String>,
    /// emptyDir: most space it may use, e.g. `1Gi`.
    pub size_limit: Option<Spanned<Quantity>>,
    /// pvc: requested size, e.g. `10Gi`.
    pub size: Option<Spanned<Quantity>>,
    /// pvc: StorageClass of the claim; default: the cluster's default class.
    pub storage_class: Option<String>,
    /// pvc: e.g. `[ReadWriteOnce]` (default) or `[ReadWriteMany]`; ReadWriteOnce makes a Deployment
    /// use Recreate.
    #[serde(default)]
    pub access_modes: Vec<Spanned<String>>,
    /// pvc: use an existing claim instead of creating one.
    pub claim_name: Option<String>,
    /// secret: the Secret mounted (required with `type: secret`).
    pub secret_name: Option<Spanned<String>>,
    /// configmap: the ConfigMap mounted (required with `type: configmap`).
    pub configmap_name: Option<Spanned<String>>,
    /// hostPath: the node path.
    pub path: Option<Spanned<String>>,
    /// secret/configmap: only these keys, at these paths (`items`); default all keys.
    #[serde(default)]
    pub items: Vec<KeyToPath>,
    /// File mode for secret/configmap files, e.g. `0440` (octal).
    pub default_mode: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyToPath {
    /// Key of the Secret or ConfigMap.
    pub key: String,
    /// File path, relative to the mount path, the key is written to.
    pub path: String,
}
