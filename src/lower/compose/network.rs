//! The entry's `network.policy` as each service's NetworkPolicy, through the shared rules:
//! permissive → the own namespace, strict → services sharing a compose network, none → none.

use std::collections::BTreeMap;

use crate::config::{ComposeNetworkPolicy, Peer as PeerSettings, Security, Visibility};
use crate::diagnostic::{Diagnostics, Span};
use crate::lower::network::{NetworkInput, lower_network, lower_peers, policy_ports};
use crate::workload::{ContainerPort, NetworkPolicy, PolicyPort, PolicyRule};
use crate::yaml::Spanned;

pub struct PolicyInput<'a> {
    pub mode: ComposeNetworkPolicy,
    /// The service's merged apps.yaml security; its own `visibility` or `network_policy`
    /// replaces what `mode` would decide.
    pub security: Option<&'a Security>,
    /// Pod labels of the services sharing a compose network with this one (strict).
    pub neighbours: Vec<BTreeMap<String, String>>,
    pub allow_external: &'a [PeerSettings],
    pub ports: &'a [ContainerPort],
    /// Ports published outside the cluster (NodePort), open to any source.
    pub published: Vec<PolicyPort>,
    pub ingress_namespace: Option<String>,
    pub interceptor_namespace: Option<String>,
    pub field: &'a str,
    /// `compose.<entry>`, for `network.allow_external`.
    pub entry_field: &'a str,
    pub span: Span,
}

pub fn compose_network_policy(
    input: PolicyInput<'_>,
    d: &mut Diagnostics,
) -> Option<NetworkPolicy> {
    let explicit = input
        .security
        .is_some_and(|s| s.visibility.is_some() || s.network_policy.is_some());
    let mut security = input.security.cloned().unwrap_or_default();
    if !explicit {
        let visibility = match input.mode {
            ComposeNetworkPolicy::None => return None,
            ComposeNetworkPolicy::Permissive => Visibility::Private,
            ComposeNetworkPolicy::Strict => {
                security.allowed_sources = input
                    .neighbours
                    .iter()
                    .map(|labels| PeerSettings {
                        pod_labels: labels.clone(),
                        ..PeerSettings::default()
                    })
                    .collect();
                Visibility::Restricted
            }
        };
        security.visibility = Some(Spanned::new(visibility, input.span));
    }
    let mut policy = lower_network(
        &NetworkInput {
            security: Some(&security),
            default_visibility: Visibility::Private,
            default_enabled: true,
            ports: input.ports,
            ingress_namespace: input.ingress_namespace.clone(),
            interceptor_namespace: input.interceptor_namespace.clone(),
            field: input.field,
            span: input.span,
        },
        d,
    )?;
    let all_ports = policy_ports(input.ports);
    if !explicit && !input.allow_external.is_empty() {
        policy.ingress.push(PolicyRule {
            peers: lower_peers(
                input.allow_external,
                &format!("{}.network.allow_external", input.entry_field),
                input.span,
                d,
            ),
            ports: all_ports,
        });
    }
    if !input.published.is_empty() {
        policy.ingress.push(PolicyRule {
            peers: Vec::new(),
            ports: input.published,
        });
    }
    policy.ingress.dedup();
    Some(policy)
}
