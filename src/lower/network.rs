//! Visibility to NetworkPolicy rules. public and internal: any namespace; private: the own
//! namespace; restricted: `allowed_sources` only. The ingress controller and the KEDA
//! interceptor are always let in when they must reach the pods; a workload that declares no
//! ports gets none of these rules (nothing listens, so ingress is denied). Egress is restricted
//! only when `allow_to` or `egress` rules are given (DNS then stays open).

use crate::config::{BoolOr, Peer as PeerSettings, Security, Visibility};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::workload::{ContainerPort, NetworkPolicy, Peer, PolicyPort, PolicyRule};

pub struct NetworkInput<'a> {
    pub security: Option<&'a Security>,
    pub default_visibility: Visibility,
    /// Whether a policy is rendered when `network_policy` is not given.
    pub default_enabled: bool,
    pub ports: &'a [ContainerPort],
    /// Set when an ingress route reaches the pods: the controller's namespace.
    pub ingress_namespace: Option<String>,
    /// Set when the KEDA interceptor forwards to the pods: its namespace.
    pub interceptor_namespace: Option<String>,
    pub field: &'a str,
    pub span: Span,
}

pub fn visibility(security: Option<&Security>, default: Visibility) -> Visibility {
    security
        .and_then(|s| s.visibility.as_ref())
        .map_or(default, |v| v.value)
}

pub fn lower_network(input: &NetworkInput<'_>, d: &mut Diagnostics) -> Option<NetworkPolicy> {
    let settings = input.security.and_then(|s| s.network_policy.as_ref());
    let enabled = match settings.map(|s| &s.value) {
        Some(BoolOr::Bool(enabled)) => *enabled,
        Some(BoolOr::Settings(np)) => np.enabled.unwrap_or(true),
        None => input.default_enabled,
    };
    if !enabled {
        return None;
    }
    let ports = policy_ports(input.ports);
    let rule = |peers: Vec<Peer>| PolicyRule {
        peers,
        ports: ports.clone(),
    };
    let mut policy = NetworkPolicy::default();
    let visibility = visibility(input.security, input.default_visibility);
    warn_unused_sources(input, visibility, d);
    // A rule without ports allows every port, so a pod with none declared gets no rule at all.
    let listens = !input.ports.is_empty();
    match visibility {
        _ if !listens => {}
        Visibility::Public | Visibility::Internal => {
            policy.ingress.push(rule(vec![Peer::AnyNamespace]))
        }
        Visibility::Private => policy
            .ingress
            .push(rule(vec![Peer::Pods(Default::default())])),
        Visibility::Restricted => {
            let sources = input
                .security
                .map(|s| s.allowed_sources.as_slice())
                .unwrap_or_default();
            let peers = lower_peers(
                sources,
                &format!("{}.security.allowed_sources", input.field),
                input.span,
                d,
            );
            if !peers.is_empty() {
                policy.ingress.push(rule(peers));
            }
        }
    }
    let open_to_all = matches!(visibility, Visibility::Public | Visibility::Internal);
    if listens && !open_to_all {
        for namespace in [&input.ingress_namespace, &input.interceptor_namespace]
            .into_iter()
            .flatten()
        {
            policy.ingress.push(rule(vec![Peer::Namespace {
                name: namespace.clone(),
                pod_labels: Default::default(),
            }]));
        }
    }
    if let Some(BoolOr::Settings(np)) = settings.map(|s| &s.value) {
        let field = format!("{}.security.network_policy", input.field);
        if !np.allow_from.is_empty() {
            policy.ingress.push(rule(lower_peers(
                &np.allow_from,
                &format!("{field}.allow_from"),
                input.span,
                d,
            )));
        }
        for (index, r) in np.ingress.iter().enumerate() {
            policy.ingress.push(PolicyRule {
                peers: lower_peers(
                    &r.from,
                    &format!("{field}.ingress[{index}].from"),
                    input.span,
                    d,
                ),
                ports: r.ports.iter().map(policy_port).collect(),
            });
        }
        if !np.allow_to.is_empty() || !np.egress.is_empty() {
            let mut egress = Vec::new();
            if !np.allow_to.is_empty() {
                egress.push(PolicyRule {
                    peers: lower_peers(&np.allow_to, &format!("{field}.allow_to"), input.span, d),
                    ports: Vec::new(),
                });
            }
            for (index, r) in np.egress.iter().enumerate() {
                egress.push(PolicyRule {
                    peers: lower_peers(
                        &r.to,
                        &format!("{field}.egress[{index}].to"),
                        input.span,
                        d,
                    ),
                    ports: r.ports.iter().map(policy_port).collect(),
                });
            }
            policy.egress = Some(egress);
        }
    }
    policy.ingress.dedup();
    Some(policy)
}

/// Every container port, as NetworkPolicy ports.
/// `allowed_sources` only mean something under `restricted`: elsewhere the visibility admits
/// more (or less) than they say, and they are not used.
fn warn_unused_sources(input: &NetworkInput<'_>, visibility: Visibility, d: &mut Diagnostics) {
    let sources = input
        .security
        .map(|s| s.allowed_sources.as_slice())
        .unwrap_or_default();
    if sources.is_empty() || visibility == Visibility::Restricted {
        return;
    }
    let name = match visibility {
        Visibility::Public => "public",
        Visibility::Internal => "internal",
        Visibility::Private => "private",
        Visibility::Restricted => "restricted",
    };
    d.push(
        Diagnostic::warning(
            Code::UnusedSetting,
            format!("`allowed_sources` has no effect with `visibility: {name}`; only `restricted` admits just them"),
        )
        .at(
            input
                .security
                .and_then(|s| s.visibility.as_ref())
                .map_or(input.span, |v| v.span),
        )
        .field(format!("{}.security.allowed_sources", input.field))
        .help("set `visibility: restricted` to admit only these sources"),
    );
}

pub fn policy_ports(ports: &[ContainerPort]) -> Vec<PolicyPort> {
    ports
        .iter()
        .map(|p| PolicyPort {
            protocol: p.protocol,
            port: p.container_port,
            end_port: None,
        })
        .collect()
}

fn policy_port(port: &crate::config::PolicyPort) -> PolicyPort {
    PolicyPort {
        protocol: port.protocol.unwrap_or(crate::config::Protocol::Tcp),
        port: port.port,
        end_port: port.end_port,
    }
}

/// Peers as written in apps.yaml: a namespace (and pods in it), pods of the own namespace, or
/// an address range.
pub fn lower_peers(
    peers: &[PeerSettings],
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> Vec<Peer> {
    let mut out = Vec::new();
    for (index, peer) in peers.iter().enumerate() {
        if let Some(cidr) = &peer.cidr {
            if !is_cidr(&cidr.value) {
                d.push(
                    Diagnostic::error(
                        Code::BadValue,
                        format!("`{}` is not a CIDR such as 10.0.0.0/8", cidr.value),
                    )
                    .at(cidr.span)
                    .field(format!("{field}[{index}].cidr")),
                );
                continue;
            }
            out.push(Peer::Cidr {
                cidr: cidr.value.clone(),
                except: peer.except.clone(),
            });
        } else if let Some(namespace) = &peer.namespace {
            out.push(Peer::Namespace {
                name: namespace.clone(),
                pod_labels: peer.pod_labels.clone(),
            });
        } else if !peer.pod_labels.is_empty() {
            out.push(Peer::Pods(peer.pod_labels.clone()));
        } else {
            d.push(
                Diagnostic::error(
                    Code::BadValue,
                    "a peer needs `namespace`, `pod_labels` or `cidr`",
                )
                .at(span)
                .field(format!("{field}[{index}]")),
            );
        }
    }
    out
}

fn is_cidr(text: &str) -> bool {
    let Some((address, prefix)) = text.split_once('/') else {
        return false;
    };
    let Ok(prefix) = prefix.parse::<u8>() else {
        return false;
    };
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => prefix <= 32,
        Ok(std::net::IpAddr::V6(_)) => prefix <= 128,
        Err(_) => false,
    }
}
