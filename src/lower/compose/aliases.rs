//! The other names a service is reached by — `container_name`, `hostname`, network `aliases` —
//! each an extra Service onto the same pods, so that every name resolves in the cluster; and
//! fixed addresses (`ipv4_address`, `ipv6_address`), which pods cannot keep, said with who
//! points at them.

use std::collections::{BTreeMap, BTreeSet};

use super::references::{Text, Via};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::check_dns_label;
use crate::sources::compose::ComposeProject;

/// Each enabled service's other names that can be Service names (lowercased: DNS names are
/// case-insensitive), in the order written. A name that is no DNS label, or that another
/// service already has, is reported and left out.
pub fn service_aliases(
    project: &ComposeProject,
    enabled: &BTreeSet<String>,
    field: &dyn Fn(&str) -> String,
    d: &mut Diagnostics,
) -> BTreeMap<String, Vec<String>> {
    // Every service's own Service name is taken first.
    let mut owners: BTreeMap<String, String> = enabled
        .iter()
        .map(|name| (crate::names::to_dns_label(name), name.clone()))
        .collect();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in enabled {
        let service = &project.services[name];
        let svc = &service.value;
        let mut candidates: Vec<(String, String, Span)> = Vec::new();
        if let Some(container) = &svc.container_name {
            candidates.push((
                container.value.clone(),
                "container_name".to_string(),
                container.span,
            ));
        }
        if let Some(hostname) = &svc.hostname {
            candidates.push((hostname.clone(), "hostname".to_string(), service.span));
        }
        for (network, attachment) in &svc.networks {
            for alias in attachment.value.iter().flat_map(|a| &a.aliases) {
                candidates.push((
                    alias.clone(),
                    format!("networks.{network}.aliases"),
                    attachment.span,
                ));
            }
        }
        for (text, key, span) in candidates {
            let alias = text.to_ascii_lowercase();
            let field = format!("{}.{key}", field(name));
            if let Err(problem) = check_dns_label(&alias, 63) {
                d.push(
                    Diagnostic::warning(
                        Code::RenamedService,
                        format!(
                            "`{text}` ({key} of `{name}`) {problem}: it cannot be a Service name, so it does not resolve in the cluster"
                        ),
                    )
                    .at(span)
                    .field(field)
                    .help(format!(
                        "make other services reach it as `{}`",
                        crate::names::to_dns_label(name)
                    )),
                );
                continue;
            }
            match owners.get(&alias) {
                Some(owner) if owner == name => continue,
                Some(owner) => {
                    d.push(
                        Diagnostic::error(
                            Code::DuplicateName,
                            format!(
                                "`{alias}` ({key} of `{name}`) is already a name of `{owner}`: one name cannot be reached as two services"
                            ),
                        )
                        .at(span)
                        .field(field),
                    );
                    continue;
                }
                None => {
                    owners.insert(alias.clone(), name.clone());
                }
            }
            out.entry(name.clone()).or_default().push(alias);
        }
    }
    out
}

/// Fixed addresses are not kept (the cluster gives pods their addresses): one warning each,
/// naming the services that point at the address (in their texts or `extra_hosts`).
pub fn warn_fixed_addresses(
    project: &ComposeProject,
    enabled: &BTreeSet<String>,
    texts: &BTreeMap<String, Vec<Text>>,
    field: &dyn Fn(&str) -> String,
    d: &mut Diagnostics,
) {
    for name in enabled {
        let svc = &project.services[name].value;
        for (network, attachment) in &svc.networks {
            let Some(options) = &attachment.value else {
                continue;
            };
            let addresses = [
                ("ipv4_address", &options.ipv4_address),
                ("ipv6_address", &options.ipv6_address),
            ];
            for (key, address) in addresses {
                let Some(address) = address else {
                    continue;
                };
                let pointers = pointers(name, address, enabled, project, texts);
                let mut warning = Diagnostic::warning(
                    Code::FixedAddress,
                    if pointers.is_empty() {
                        format!(
                            "`{name}` has the fixed address {address} on network `{network}`, which is not kept: the cluster gives pods their addresses"
                        )
                    } else {
                        format!(
                            "`{name}` has the fixed address {address} on network `{network}`, which is not kept, and {} point{} at it: in the cluster nothing answers there",
                            pointers.join(", "),
                            if pointers.len() == 1 { "s" } else { "" }
                        )
                    },
                )
                .at(attachment.span)
                .field(format!("{}.networks.{network}.{key}", field(name)));
                if !pointers.is_empty() {
                    warning = warning.help(format!(
                        "reach it by name instead: `{}`",
                        crate::names::to_dns_label(name)
                    ));
                }
                d.push(warning);
            }
        }
    }
}

/// "`web` (DB_HOST)", "`web` (extra_hosts)": the other services whose texts hold `address`.
fn pointers(
    name: &str,
    address: &str,
    enabled: &BTreeSet<String>,
    project: &ComposeProject,
    texts: &BTreeMap<String, Vec<Text>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for other in enabled.iter().filter(|o| *o != name) {
        for text in texts.get(other).into_iter().flatten() {
            if holds_address(&text.value, address) {
                let what = match &text.via {
                    Via::Environment { key } => key.clone(),
                    Via::Command => "command".to_string(),
                    Via::File { name } => name.clone(),
                    Via::DependsOn(_) => continue,
                };
                let item = format!("`{other}` ({what})");
                if !out.contains(&item) {
                    out.push(item);
                }
            }
        }
        let svc = &project.services[other].value;
        if svc
            .extra_hosts
            .values()
            .any(|ips| ips.iter().any(|ip| ip == address))
        {
            out.push(format!("`{other}` (extra_hosts)"));
        }
    }
    out
}

/// `address` as a whole token of `text` (`172.20.0.5` in `http://172.20.0.5:80`, not in
/// `172.20.0.50`).
fn holds_address(text: &str, address: &str) -> bool {
    let is_part = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    text.match_indices(address).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + address.len()..].chars().next();
        before.is_none_or(|c| !is_part(c) || (c == ':' && !address.contains(':')))
            && after.is_none_or(|c| {
                !(c.is_ascii_hexdigit() || c == '.') || (c == ':' && !address.contains(':'))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_match_whole_tokens() {
        assert!(holds_address("http://172.20.0.5:80/x", "172.20.0.5"));
        assert!(holds_address("172.20.0.5", "172.20.0.5"));
        assert!(!holds_address("172.20.0.50", "172.20.0.5"));
        assert!(!holds_address("1172.20.0.5", "172.20.0.5"));
    }
}
