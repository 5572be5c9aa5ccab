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
    /// The strictest standard: non-root uid/gid 1000, seccomp RuntimeDefault, no privilege
    /// escalation, all capabilities dropped, read-only root filesystem.
    Restricted,
    /// Prevents known privilege escalations but allows root and a writable root filesystem (the
    /// default of compose services).
    Baseline,
    /// No restrictions; the namespace is labelled to admit it.
    Privileged,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// Who may connect: `public` (internet via ingress), `internal` (any namespace), `private` (own
    /// namespace), `restricted` (only `allowed_sources`); decides the NetworkPolicy's ingress
    /// rules.
    pub visibility: Option<Spanned<Visibility>>,
    /// For `restricted` visibility: who may connect.
    #[serde(default)]
    pub allowed_sources: Vec<Peer>,
    /// `true`/`false`, or settings, for the entry's NetworkPolicy (extra sources, egress
    /// restrictions).
    pub network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    /// Default: `restricted` for apps and functions, `baseline` for compose services.
    pub profile: Option<PodSecurityProfile>,
    /// ServiceAccount the pods run as; `default` uses the namespace's own account without creating
    /// it. Default: none (no API token).
    pub service_account: Option<Spanned<String>>,
    /// Create the ServiceAccount (default: true when `service_account` is set).
    pub create_service_account: Option<bool>,
    /// Annotations on the created ServiceAccount, e.g. for cloud workload identity.
    #[serde(default)]
    pub service_account_annotations: BTreeMap<String, String>,
    /// Mount the API token (default: only when a service account is asked for).
    pub automount_service_account_token: Option<bool>,
    /// Pod-level security context (`spec.securityContext`); a setting its profile forbids is an
    /// error.
    pub pod_security_context: Option<PodSecurityContext>,
    /// Container-level security context of the main container; a setting its profile forbids is an
    /// error.
    pub container_security_context: Option<ContainerSecurityContext>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicy {
    /// `false`: no NetworkPolicy for the entry. Default: true.
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
    /// Namespace of the allowed pods (a `namespaceSelector` on its name).
    pub namespace: Option<String>,
    /// Labels of the allowed pods (a `podSelector`).
    #[serde(default)]
    pub pod_labels: BTreeMap<String, String>,
    /// IP range, e.g. `10.0.0.0/8` (an `ipBlock`).
    pub cidr: Option<Spanned<String>>,
    /// Ranges inside `cidr` left out.
    #[serde(default)]
    pub except: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressRule {
    /// Sources allowed; none means all.
    #[serde(default)]
    pub from: Vec<Peer>,
    /// Ports these sources may reach; none means all.
    #[serde(default)]
    pub ports: Vec<PolicyPort>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EgressRule {
    /// Destinations allowed; none means all.
    #[serde(default)]
    pub to: Vec<Peer>,
    /// Destination ports allowed; none means all.
    #[serde(default)]
    pub ports: Vec<PolicyPort>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyPort {
    /// `TCP` (default), `UDP` or `SCTP`.
    pub protocol: Option<super::container::Protocol>,
    /// Port number (start of the range with `end_port`).
    pub port: u16,
    /// Last port of a range starting at `port`.
    pub end_port: Option<u16>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PodSecurityContext {
    /// Refuse to start containers running as root (`runAsNonRoot`). Default: true under
    /// `restricted`.
    pub run_as_non_root: Option<bool>,
    /// UID of the containers' processes (`runAsUser`). Default: 1000 under `restricted`.
    pub run_as_user: Option<i64>,
    /// GID of the containers' processes (`runAsGroup`). Default: 1000 under `restricted`.
    pub run_as_group: Option<i64>,
    /// Group owning mounted volumes (`fsGroup`). Default: 1000 under `restricted`.
    pub fs_group: Option<i64>,
    /// Seccomp profile of the pod. Default: `RuntimeDefault` under `restricted` and
    /// `baseline`.
    pub seccomp_profile: Option<SeccompProfile>,
    /// Extra groups of the containers' processes (`supplementalGroups`).
    #[serde(default)]
    pub supplemental_groups: Vec<i64>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeccompProfile {
    /// `RuntimeDefault`, `Localhost` or `Unconfined`.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// With `type: Localhost`: the profile's path on the node.
    pub localhost_profile: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerSecurityContext {
    /// Allow setuid and the like (`allowPrivilegeEscalation`). Default: false under `restricted`
    /// and `baseline`.
    pub allow_privilege_escalation: Option<bool>,
    /// Mount the root filesystem read-only (a writable `/tmp` emptyDir is added). Default: true for
    /// apps and functions, false for compose services.
    pub read_only_root_filesystem: Option<bool>,
    /// Container-level `runAsNonRoot`, over the pod's.
    pub run_as_non_root: Option<bool>,
    /// Container-level `runAsUser`, over the pod's.
    pub run_as_user: Option<i64>,
    /// Container-level `runAsGroup`, over the pod's.
    pub run_as_group: Option<i64>,
    /// Run privileged; only under `profile: privileged`. Default: false.
    pub privileged: Option<bool>,
    /// Linux capabilities dropped and added. Default: drop `ALL` under `restricted`.
    pub capabilities: Option<Capabilities>,
    /// Container-level seccomp profile, over the pod's.
    pub seccomp_profile: Option<SeccompProfile>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    /// Capabilities removed, e.g. `[ALL]`.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Capabilities added, e.g. `[NET_BIND_SERVICE]` (the only one `restricted` allows).
    #[serde(default)]
    pub add: Vec<Spanned<String>>,
}
