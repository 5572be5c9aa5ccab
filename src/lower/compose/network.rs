//! A compose service's NetworkPolicy: the entry's `network.policy` with the service's own
//! `visibility` and `network_policy` settings (the one rule is on [`network`]).

use std::collections::BTreeMap;

use super::Plan;
use super::ports::ServicePorts;
use crate::config::{BoolOr, ComposeNetworkPolicy, Security, ServiceType, Visibility};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::lower::network::lower_peers;
use crate::lower::spec::{DefaultVisibility, NetworkSpec};
use crate::workload::{Peer, PolicyPort, PolicyRule};
use crate::yaml::Spanned;

/// The one rule for the entry's `network.policy` with a service's `visibility` (module docs):
/// the policy admits the service's project peers — `permissive`: every pod of its namespace;
/// `strict`: the services sharing a compose network with it, plus `allow_external` — and, on
/// top, what its `visibility` admits: `internal`/`public` every namespace (and the ingress
/// controller when routed), `private` nothing more, `restricted` its `allowed_sources`.
/// `network_policy` settings add their rules; `network_policy: false` removes the policy.
/// `none` renders none, unless the service sets `network_policy` itself (then its project
/// peers are its namespace); a `visibility` it would ignore is warned about, never dropped.
/// Published ports are open to any source.
pub(super) fn network(
    plan: &Plan<'_>,
    name: &str,
    settings: &crate::config::ComposeService,
    ports: &ServicePorts,
    service_type: ServiceType,
    span: Span,
    d: &mut Diagnostics,
) -> (Option<Security>, NetworkSpec) {
    let mut security = settings.security.clone().unwrap_or_default();
    let network = plan.entry.spec.network.clone().unwrap_or_default();
    let entry_field = plan.entry.field();
    let all_ports: Vec<PolicyPort> = ports
        .container
        .iter()
        .map(|p| PolicyPort {
            protocol: p.protocol,
            port: p.container_port,
            end_port: None,
        })
        .collect();
    let own_policy = security.network_policy.as_ref().map(|p| match &p.value {
        BoolOr::Bool(enabled) => *enabled,
        BoolOr::Settings(np) => np.enabled.unwrap_or(true),
    });
    let visibility = security.visibility.clone();
    let policy = match network.policy.unwrap_or(ComposeNetworkPolicy::Permissive) {
        ComposeNetworkPolicy::None if own_policy == Some(true) => ComposeNetworkPolicy::Permissive,
        policy => policy,
    };
    let mut extra_ingress = Vec::new();
    // A rule without ports admits every port: a service that listens on none gets no rule.
    // Every namespace (internal, public) already holds the project's peers.
    let open_to_all = visibility
        .as_ref()
        .is_some_and(|v| matches!(v.value, Visibility::Internal | Visibility::Public));
    let listens = !all_ports.is_empty() && !open_to_all;
    match policy {
        ComposeNetworkPolicy::None => {
            if own_policy.is_none() {
                security.network_policy = Some(Spanned::new(BoolOr::Bool(false), span));
                if let Some(visibility) = &visibility {
                    d.push(
                        Diagnostic::warning(
                            Code::NetworkRule,
                            format!(
                                "visibility `{}` has no effect: `network.policy: none` renders no NetworkPolicy",
                                visibility_name(visibility.value)
                            ),
                        )
                        .at(visibility.span)
                        .field(format!("{}.security.visibility", plan.field(name)))
                        .help(format!(
                            "set `network.policy: permissive` or `strict` {}, or `network_policy: true` {}",
                            plan.place(),
                            plan.at(name)
                        )),
                    );
                }
            }
        }
        ComposeNetworkPolicy::Permissive => {
            if listens {
                extra_ingress.push(PolicyRule {
                    peers: vec![Peer::Pods(BTreeMap::new())],
                    ports: all_ports.clone(),
                });
            }
            if !all_ports.is_empty() && !network.allow_external.is_empty() {
                extra_ingress.push(PolicyRule {
                    peers: lower_peers(
                        &network.allow_external,
                        &format!("{entry_field}.network.allow_external"),
                        span,
                        d,
                    ),
                    ports: all_ports.clone(),
                });
            }
            if let Some(v) = visibility
                .as_ref()
                .filter(|v| v.value == Visibility::Restricted)
            {
                d.push(
                    Diagnostic::warning(
                        Code::NetworkRule,
                        "visibility `restricted` cannot narrow `network.policy: permissive`, which admits every pod of the namespace",
                    )
                    .at(v.span)
                    .field(format!("{}.security.visibility", plan.field(name)))
                    .help(format!(
                        "set `network.policy: strict` {} to admit only the services sharing a compose network (and `allowed_sources`)",
                        plan.place()
                    )),
                );
            }
        }
        ComposeNetworkPolicy::Strict => {
            let neighbours: Vec<Peer> = plan.neighbours(name).into_iter().map(Peer::Pods).collect();
            if listens && !neighbours.is_empty() {
                extra_ingress.push(PolicyRule {
                    peers: neighbours,
                    ports: all_ports.clone(),
                });
            }
            if !all_ports.is_empty() && !network.allow_external.is_empty() {
                extra_ingress.push(PolicyRule {
                    peers: lower_peers(
                        &network.allow_external,
                        &format!("{entry_field}.network.allow_external"),
                        span,
                        d,
                    ),
                    ports: all_ports.clone(),
                });
            }
        }
    }
    // What the visibility admits beyond the project's peers: `private` adds nothing.
    match visibility.as_ref().map(|v| v.value) {
        None | Some(Visibility::Private) => {
            if !security.allowed_sources.is_empty() {
                d.push(
                    Diagnostic::warning(
                        Code::UnusedSetting,
                        "`allowed_sources` has no effect without `visibility: restricted`: the service admits only the project's services",
                    )
                    .at(visibility.as_ref().map_or(span, |v| v.span))
                    .field(format!("{}.security.allowed_sources", plan.field(name)))
                    .help(format!(
                        "set `visibility: restricted` {} to admit these sources as well",
                        plan.at(name)
                    )),
                );
            }
            security.visibility = Some(Spanned::new(
                Visibility::Restricted,
                visibility.as_ref().map_or(span, |v| v.span),
            ));
            security.allowed_sources = Vec::new();
        }
        Some(Visibility::Restricted | Visibility::Internal | Visibility::Public) => {}
    }
    if matches!(
        service_type,
        ServiceType::NodePort | ServiceType::LoadBalancer
    ) {
        let published: Vec<PolicyPort> = ports
            .published
            .iter()
            .filter(|p| !p.local)
            .map(|p| PolicyPort {
                protocol: p.protocol,
                port: p.target,
                end_port: None,
            })
            .collect();
        if !published.is_empty() {
            extra_ingress.push(PolicyRule {
                peers: Vec::new(),
                ports: published,
            });
        }
    }
    (
        Some(security),
        NetworkSpec {
            default_visibility: DefaultVisibility::Fixed(Visibility::Private),
            extra_ingress,
        },
    )
}

fn visibility_name(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public => "public",
        Visibility::Internal => "internal",
        Visibility::Private => "private",
        Visibility::Restricted => "restricted",
    }
}
