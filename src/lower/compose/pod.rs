//! What a compose service says about its pod beyond the container: placement constraints as a
//! node selector, `extra_hosts`, `hostname`, and labels as annotations — each value Kubernetes
//! cannot take is said, never dropped silently.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::sources::compose::Service as ComposeService;

/// `deploy.placement.constraints` that select node labels (`node.labels.x == y`, hostname,
/// OS, architecture); other constraints cannot be a nodeSelector and are reported.
pub fn node_selector(
    svc: &ComposeService,
    field: &str,
    d: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut selector = BTreeMap::new();
    let constraints = svc
        .deploy
        .as_ref()
        .and_then(|d| d.placement.as_ref())
        .map(|p| p.constraints.as_slice())
        .unwrap_or_default();
    for constraint in constraints {
        let parsed = constraint.value.split_once("==").and_then(|(key, value)| {
            let (key, value) = (key.trim(), value.trim());
            let label = match key {
                "node.hostname" => "kubernetes.io/hostname".to_string(),
                "node.platform.os" => "kubernetes.io/os".to_string(),
                "node.platform.arch" => "kubernetes.io/arch".to_string(),
                other => other.strip_prefix("node.labels.")?.to_string(),
            };
            let value = match (label.as_str(), value) {
                ("kubernetes.io/arch", "x86_64") => "amd64",
                ("kubernetes.io/arch", "aarch64") => "arm64",
                (_, value) => value,
            };
            Some((label, value.to_string()))
        });
        match parsed {
            Some((label, value)) => {
                selector.insert(label, value);
            }
            None => d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!(
                        "placement constraint `{}` cannot be a node selector; it is not kept",
                        constraint.value
                    ),
                )
                .at(constraint.span)
                .field(format!("{field}.deploy.placement.constraints")),
            ),
        }
    }
    selector
}

/// `extra_hosts` (host → addresses) as host aliases (address → hosts).
pub fn host_aliases(
    svc: &ComposeService,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> BTreeMap<String, Vec<String>> {
    let mut aliases: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (host, addresses) in &svc.extra_hosts {
        for address in addresses {
            if address.parse::<std::net::IpAddr>().is_err() {
                d.push(
                    Diagnostic::warning(
                        Code::UnsupportedValue,
                        format!(
                            "extra host `{host}:{address}` is not an IP address; it is not kept"
                        ),
                    )
                    .at(span)
                    .field(format!("{field}.extra_hosts")),
                );
                continue;
            }
            let hosts = aliases.entry(address.clone()).or_default();
            if !hosts.contains(host) {
                hosts.push(host.clone());
            }
        }
    }
    aliases
}

pub fn hostname(
    svc: &ComposeService,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> Option<String> {
    let name = svc.hostname.as_ref()?;
    match crate::names::check_dns_label(name, 63) {
        Ok(()) => Some(name.clone()),
        Err(problem) => {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!("hostname `{name}` {problem}; it is not kept"),
                )
                .at(span)
                .field(format!("{field}.hostname")),
            );
            None
        }
    }
}

/// Compose `labels` and `annotations` as pod annotations (keys Kubernetes accepts).
pub fn annotations(
    svc: &ComposeService,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in svc.labels.iter().chain(&svc.annotations) {
        if valid_annotation_key(key) {
            out.insert(key.clone(), value.clone());
        } else {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!("label `{key}` cannot be a Kubernetes annotation key; it is not kept"),
                )
                .at(span)
                .field(format!("{field}.labels")),
            );
        }
    }
    out
}

/// `[prefix/]name`: a DNS subdomain prefix, a name of at most 63 characters of letters,
/// digits, `-`, `_`, `.`, starting and ending with a letter or digit.
fn valid_annotation_key(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    name_ok && prefix.is_none_or(|p| crate::names::check_dns_subdomain(p).is_ok())
}
