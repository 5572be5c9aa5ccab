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

use super::{match_labels, non_empty, object_meta, protocol_name, selector};
use crate::config::Protocol;
use crate::workload::{Peer, PolicyPort, PolicyRule, Workload};

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
