//! `resources:` — requests, limits, GPUs and ephemeral storage of a workload's containers.

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::Quantity;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Memory request, e.g. `256Mi`.
    pub memory: Option<Spanned<Quantity>>,
    /// CPU request, e.g. `100m`.
    pub cpu: Option<Spanned<Quantity>>,
    /// Memory limit (OOM-kill threshold).
    pub memory_limit: Option<Spanned<Quantity>>,
    /// CPU limit; often omitted for burstable pods.
    pub cpu_limit: Option<Spanned<Quantity>>,
    /// Ephemeral storage request.
    pub ephemeral_storage: Option<Spanned<Quantity>>,
    /// Ephemeral storage limit.
    pub ephemeral_storage_limit: Option<Spanned<Quantity>>,
    /// GPUs for the main container, as an extended resource limit. Example: `gpu: {count: 1}`.
    pub gpu: Option<Gpu>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gpu {
    /// Extended resource name; default `nvidia.com/gpu`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// GPUs per pod; becomes the container's `resources.limits.<type>` (e.g. `nvidia.com/gpu: 1`).
    pub count: Spanned<u32>,
}
