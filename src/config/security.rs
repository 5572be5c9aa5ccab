//! `security:` — network visibility and policy, service account, and the pod and container
//! security contexts (Pod Security Standards "restricted" unless loosened here).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::BoolOr;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Reachable from the internet through the ingress controller.
    Public,
    /// Reachable from every namespace in the cluster.
    Internal,
    /// Reachable only from its own namespace.
    Private,
    /// Reachable only from `allowed_sources`.
    Restricted,
}

/// Which Pod Security Standard the pod is rendered to meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PodSecurityProfile {
    Restricted,
    Baseline,
    Privileged,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Security {
    pub visibility: Option<Spanned<Visibility>>,
    /// For `restricted` visibility: who may connect.
    #[serde(default)]
    pub allowed_sources: Vec<Peer>,
    pub network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    /// Default: `restricted` for apps and functions, `baseline` for compose services.
    pub profile: Option<PodSecurityProfile>,
    pub service_account: Option<Spanned<String>>,
    /// Create the ServiceAccount (default: true when `service_account` is set).
    pub create_service_account: Option<bool>,
    #[serde(default)]
    pub service_account_annotations: BTreeMap<String, String>,
    /// Mount the API token (default: only when a service account is asked for).
    pub automount_service_account_token: Option<bool>,
    pub pod_security_context: Option<PodSecurityContext>,
    pub container_security_context: Option<ContainerSecurityContext>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicy {
    pub enabled: Option<bool>,
    /// Extra allowed sources of traffic.
    #[serde(default)]
    pub allow_from: Vec<Peer>,
    /// When set, egress is restricted to these (plus DNS).
    #[serde(default)]
    pub allow_to: Vec<Peer>,
    /// Full ingress rules, added to what visibility allows.
    #[serde(default)]
    pub ingress: Vec<IngressRule>,
    /// Full egress rules; any rule here restricts egress (DNS stays allowed).
    #[serde(default)]
    pub egress: Vec<EgressRule>,
}

/// A namespace, pods in it, or an address range.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    pub namespace: Option<String>,
    #[serde(default)]
    pub pod_labels: BTreeMap<String, String>,
    pub cidr: Option<Spanned<String>>,
    #[serde(default)]
    pub except: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressRule {
    #[serde(default)]
    pub from: Vec<Peer>,
    #[serde(default)]
    pub ports: Vec<PolicyPort>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EgressRule {
    #[serde(default)]
    pub to: Vec<Peer>,
    #[serde(default)]
    pub ports: Vec<PolicyPort>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyPort {
    pub protocol: Option<super::container::Protocol>,
    pub port: u16,
    pub end_port: Option<u16>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PodSecurityContext {
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub fs_group: Option<i64>,
    pub seccomp_profile: Option<SeccompProfile>,
    #[serde(default)]
    pub supplemental_groups: Vec<i64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeccompProfile {
    /// `RuntimeDefault`, `Localhost` or `Unconfined`.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    pub localhost_profile: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerSecurityContext {
    pub allow_privilege_escalation: Option<bool>,
    pub read_only_root_filesystem: Option<bool>,
    pub run_as_non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub privileged: Option<bool>,
    pub capabilities: Option<Capabilities>,
    pub seccomp_profile: Option<SeccompProfile>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    #[serde(default)]
    pub drop: Vec<String>,
    #[serde(default)]
    pub add: Vec<Spanned<String>>,
}
