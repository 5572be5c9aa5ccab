//! The `networking.k8s.io/v1` NetworkPolicy of a workload with network rules: what may reach
//! its pods and, when restricted, where they may connect. It must not open anything unasked,
//! except DNS, without which a restricted egress breaks every name lookup.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::object::object;
use super::{match_labels, non_empty, object_meta, protocol_name, selector};
use crate::config::Protocol;
use crate::workload::{Peer, PolicyPort, PolicyRule, Workload};

object!(NetworkPolicy, NETWORK_POLICY);

/// The label the API server puts on every namespace, holding its name.
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

pub(super) fn render(w: &Workload) -> Option<NetworkPolicy> {
    let network = w.network.as_ref()?;
    // An empty list is "deny all ingress": the Ingress policy type with no rule.
    let ingress = network
        .ingress
        .iter()
        .map(|rule| NetworkPolicyIngressRule {
            from: peers(&rule.peers),
            ports: ports(&rule.ports),
        })
        .collect();
    let egress = network.egress.as_ref().map(|rules| {
        rules
            .iter()
            .chain(std::iter::once(&dns_rule()))
            .map(|rule| NetworkPolicyEgressRule {
                to: peers(&rule.peers),
                ports: ports(&rule.ports),
            })
            .collect::<Vec<_>>()
    });
    let mut policy_types = vec!["Ingress".to_string()];
    if egress.is_some() {
        policy_types.push("Egress".to_string());
    }
    Some(NetworkPolicy {
        metadata: object_meta(w, &w.name),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(w)),
            policy_types: Some(policy_types),
            ingress: non_empty(ingress),
            egress,
        }),
    })
}

/// The cluster DNS (CoreDNS or kube-dns, both labelled `k8s-app: kube-dns`) on port 53.
fn dns_rule() -> PolicyRule {
    PolicyRule {
        peers: vec![Peer::Namespace {
            name: "kube-system".to_string(),
            pod_labels: BTreeMap::from([("k8s-app".to_string(), "kube-dns".to_string())]),
        }],
        ports: [Protocol::Udp, Protocol::Tcp]
            .into_iter()
            .map(|protocol| PolicyPort {
                protocol,
                port: 53,
                end_port: None,
            })
            .collect(),
    }
}

/// No peers: the rule matches any source or destination, so the field is left out.
fn peers(peers: &[Peer]) -> Option<Vec<NetworkPolicyPeer>> {
    non_empty(peers.iter().map(peer).collect())
}

fn peer(peer: &Peer) -> NetworkPolicyPeer {
    match peer {
        Peer::Pods(labels) => NetworkPolicyPeer {
            pod_selector: Some(match_labels_or_all(labels)),
            ..NetworkPolicyPeer::default()
        },
        Peer::Namespace { name, pod_labels } => NetworkPolicyPeer {
            namespace_selector: Some(match_labels(BTreeMap::from([(
                NAMESPACE_NAME_LABEL.to_string(),
                name.clone(),
            )]))),
            pod_selector: (!pod_labels.is_empty()).then(|| match_labels(pod_labels.clone())),
            ..NetworkPolicyPeer::default()
        },
        Peer::AnyNamespace => NetworkPolicyPeer {
            namespace_selector: Some(LabelSelector::default()),
            ..NetworkPolicyPeer::default()
        },
        Peer::Cidr { cidr, except } => NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: cidr.clone(),
                except: non_empty(except.clone()),
            }),
            ..NetworkPolicyPeer::default()
        },
    }
}

/// `{}` selects every pod; written so rather than as `matchLabels: {}`.
fn match_labels_or_all(labels: &BTreeMap<String, String>) -> LabelSelector {
    if labels.is_empty() {
        LabelSelector::default()
    } else {
        match_labels(labels.clone())
    }
}

/// No ports: the rule covers all of them, so the field is left out.
fn ports(ports: &[PolicyPort]) -> Option<Vec<NetworkPolicyPort>> {
    non_empty(
        ports
            .iter()
            .map(|p| NetworkPolicyPort {
                protocol: Some(protocol_name(p.protocol)),
                port: Some(IntOrString::Int(i32::from(p.port))),
                end_port: p.end_port.map(i32::from),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{db, labels, web};
    use crate::workload;

    fn spec(w: &Workload) -> NetworkPolicySpec {
        render(w).and_then(|p| p.spec).expect("a NetworkPolicy")
    }

    fn port_list(ports: &Option<Vec<NetworkPolicyPort>>) -> Vec<(String, i32)> {
        ports
            .iter()
            .flatten()
            .map(|p| {
                let number = match p.port {
                    Some(IntOrString::Int(n)) => n,
                    _ => panic!("numbered port expected"),
                };
                (p.protocol.clone().unwrap_or_default(), number)
            })
            .collect()
    }

    fn tcp(port: i32) -> (String, i32) {
        ("TCP".to_string(), port)
    }

    #[test]
    fn unrestricted_egress_has_no_egress_rules_and_no_dns() {
        let w = db();
        let spec = spec(&w);
        assert_eq!(spec.policy_types, Some(vec!["Ingress".to_string()]));
        assert_eq!(spec.egress, None);
        assert_eq!(
            spec.pod_selector.and_then(|s| s.match_labels),
            Some(w.selector_labels())
        );
    }

    #[test]
    fn restricted_egress_adds_dns_last() {
        let spec = spec(&web());
        assert_eq!(
            spec.policy_types,
            Some(vec!["Ingress".to_string(), "Egress".to_string()])
        );
        let egress = spec.egress.expect("egress");
        assert_eq!(egress.len(), 3);
        let dns = &egress[2];
        assert_eq!(
            port_list(&dns.ports),
            [("UDP".to_string(), 53), ("TCP".to_string(), 53)]
        );
        let to = dns.to.as_deref().unwrap_or_default();
        assert_eq!(to.len(), 1);
        assert_eq!(
            to[0]
                .namespace_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone()),
            Some(labels(&[("kubernetes.io/metadata.name", "kube-system")]))
        );
        assert_eq!(
            to[0]
                .pod_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone()),
            Some(labels(&[("k8s-app", "kube-dns")]))
        );
    }

    #[test]
    fn every_port_is_listed() {
        let spec = spec(&web());
        let ingress: Vec<_> = spec
            .ingress
            .iter()
            .flatten()
            .flat_map(|rule| port_list(&rule.ports))
            .collect();
        assert_eq!(ingress, [tcp(8080), tcp(9090)]);
        let egress: Vec<_> = spec
            .egress
            .iter()
            .flatten()
            .flat_map(|rule| port_list(&rule.ports))
            .collect();
        assert_eq!(
            egress,
            [tcp(5432), tcp(443), ("UDP".to_string(), 53), tcp(53)]
        );
    }

    #[test]
    fn empty_ingress_denies_all_ingress() {
        let mut w = db();
        w.network = Some(workload::NetworkPolicy {
            ingress: Vec::new(),
            egress: Some(Vec::new()),
        });
        let spec = spec(&w);
        assert_eq!(spec.ingress, None);
        assert_eq!(
            spec.policy_types,
            Some(vec!["Ingress".to_string(), "Egress".to_string()])
        );
        // Egress restricted to nothing still resolves names.
        assert_eq!(spec.egress.map(|rules| rules.len()), Some(1));
    }

    #[test]
    fn peers() {
        let rule = |peer: Peer| PolicyRule {
            peers: vec![peer],
            ports: vec![PolicyPort {
                protocol: Protocol::Tcp,
                port: 8000,
                end_port: Some(8100),
            }],
        };
        let mut w = db();
        w.network = Some(workload::NetworkPolicy {
            ingress: vec![
                rule(Peer::Pods(BTreeMap::new())),
                rule(Peer::Namespace {
                    name: "monitoring".to_string(),
                    pod_labels: BTreeMap::new(),
                }),
                rule(Peer::AnyNamespace),
                rule(Peer::Cidr {
                    cidr: "10.0.0.0/8".to_string(),
                    except: vec!["10.1.0.0/16".to_string()],
                }),
                PolicyRule::default(),
            ],
            egress: None,
        });
        let ingress = spec(&w).ingress.expect("ingress");
        let from = |i: usize| ingress[i].from.as_ref().expect("from")[0].clone();

        assert_eq!(
            from(0),
            NetworkPolicyPeer {
                pod_selector: Some(LabelSelector::default()),
                ..NetworkPolicyPeer::default()
            }
        );
        let namespace = from(1);
        assert_eq!(namespace.pod_selector, None);
        assert_eq!(
            namespace.namespace_selector.and_then(|s| s.match_labels),
            Some(labels(&[("kubernetes.io/metadata.name", "monitoring")]))
        );
        assert_eq!(
            from(2),
            NetworkPolicyPeer {
                namespace_selector: Some(LabelSelector::default()),
                ..NetworkPolicyPeer::default()
            }
        );
        assert_eq!(
            from(3).ip_block,
            Some(IPBlock {
                cidr: "10.0.0.0/8".to_string(),
                except: Some(vec!["10.1.0.0/16".to_string()]),
            })
        );
        assert_eq!(
            ingress[0].ports.as_ref().expect("ports")[0].end_port,
            Some(8100)
        );
        // A rule with no peers and no ports allows everything.
        assert_eq!(ingress[4], NetworkPolicyIngressRule::default());
    }

    #[test]
    fn no_network_rules_no_policy() {
        let mut w = web();
        w.network = None;
        assert!(render(&w).is_none());
    }
}
