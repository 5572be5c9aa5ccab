//! `service:` — the Kubernetes Service in front of a workload.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum ServiceType {
    /// A virtual IP reachable inside the cluster (the default).
    ClusterIP,
    /// ClusterIP plus a port on every node (`node_port`).
    NodePort,
    /// NodePort plus an external load balancer from the cloud provider.
    LoadBalancer,
    /// A headless Service (`clusterIP: None`).
    Headless,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `Headless` (clusterIP: None). Default:
    /// `ClusterIP`; a StatefulSet also gets a headless Service for its pods' DNS names.
    #[serde(rename = "type")]
    pub kind: Option<ServiceType>,
    /// Annotations on the Service, e.g. for a cloud load balancer.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// Omit the Service entirely (workers with no inbound traffic).
    pub enabled: Option<bool>,
}
