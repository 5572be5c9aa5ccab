//! `service:` — the Kubernetes Service in front of a workload.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    NodePort,
    LoadBalancer,
    /// A headless Service (`clusterIP: None`).
    Headless,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    #[serde(rename = "type")]
    pub kind: Option<ServiceType>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Omit the Service entirely (workers with no inbound traffic).
    pub enabled: Option<bool>,
}
