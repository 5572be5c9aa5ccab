//! The dry run itself, over any [`Transport`]: for each object in apply order the GET of the live
//! object, then the server-side-apply dry run, and what the two answers mean — unchanged,
//! changed (with its diff), created, or refused by the server (a diagnostic naming the object).
//! kube's client is one transport (`transport.rs`, with the `cluster` feature); the tests replay
//! recorded API responses through another.

use std::collections::BTreeSet;

use serde_json::Value;

use super::diff::{normalise, unified_diff};
use super::request::{ObjectRef, PlannedObject};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};

/// What the API server answered to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The `Warning` headers (RFC 7234 form, `299 - "text"`): deprecated APIs, Pod Security.
    pub warnings: Vec<String>,
}

/// Sends one request to the cluster. `Err` means no answer at all (no connection, TLS, a
/// timeout), which stops the run.
pub trait Transport {
    fn send(&mut self, request: &http::Request<Vec<u8>>) -> Result<Reply, String>;
    /// The cluster and where its settings came from, for messages: `https://… (context `x` of
    /// ~/.kube/config)`.
    fn describe(&self) -> String;
}

/// What applying one object would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Unchanged,
    Changed,
    /// The object does not exist yet.
    Created,
    /// The object's Namespace does not exist yet (this run creates it), so the server could not
    /// dry-run the object: it is shown as k3s writes it.
    CreatedInNewNamespace(String),
    /// The server refuses it (see the diagnostics).
    Rejected,
}

impl Change {
    pub fn as_str(&self) -> &'static str {
        match self {
            Change::Unchanged => "unchanged",
            Change::Changed => "changed",
            Change::Created | Change::CreatedInNewNamespace(_) => "created",
            Change::Rejected => "rejected",
        }
    }

    /// Whether applying would change the cluster.
    pub fn changes(&self) -> bool {
        matches!(
            self,
            Change::Changed | Change::Created | Change::CreatedInNewNamespace(_)
        )
    }
}

/// One object's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub object: ObjectRef,
    pub change: Change,
    /// The unified diff; empty when unchanged or rejected.
    pub diff: String,
}

/// The outcome of every object, and what the server said beyond it (refusals, warnings).
#[derive(Debug, Default)]
pub struct Report {
    /// The cluster asked ([`Transport::describe`]).
    pub cluster: String,
    pub outcomes: Vec<Outcome>,
    pub diagnostics: Diagnostics,
}

impl Report {
    /// The objects an apply would change.
    pub fn changed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.change.changes()).count()
    }
}

/// Dry-runs every object. `Err` (one `cluster-unreachable` diagnostic) when the cluster cannot
/// be used at all: no answer, or credentials refused.
pub fn dry_run(
    objects: &[PlannedObject],
    transport: &mut impl Transport,
) -> Result<Report, Diagnostic> {
    let mut report = Report {
        cluster: transport.describe(),
        ..Report::default()
    };
    let mut warnings = BTreeSet::new();
    // Namespaces this run creates: objects in them cannot be dry-run until they exist.
    let mut new_namespaces = BTreeSet::new();
    for planned in objects {
        let object = &planned.object;
        let live = send(transport, &planned.get)?;
        warnings.extend(warning_texts(object, &live));
        let live = match live.status {
            200..=299 => Some(parse_object(transport, object, &live)?),
            404 => None,
            _ => {
                report
                    .diagnostics
                    .push(refusal(transport, object, &live, "read"));
                report.outcomes.push(rejected(object));
                continue;
            }
        };
        if live.is_none() && object.kind == "Namespace" && object.api_version == "v1" {
            new_namespaces.insert(object.name.clone());
        }
        let merged = send(transport, &planned.apply)?;
        warnings.extend(warning_texts(object, &merged));
        let live = live.as_ref().map(normalise);
        let outcome = match merged.status {
            200..=299 => {
                let merged = normalise(&parse_object(transport, object, &merged)?);
                let diff = unified_diff(object, live.as_ref(), &merged);
                let change = match (&live, diff.is_empty()) {
                    (None, _) => Change::Created,
                    (Some(_), true) => Change::Unchanged,
                    (Some(_), false) => Change::Changed,
                };
                Outcome {
                    object: object.clone(),
                    change,
                    diff,
                }
            }
            404 => match missing_namespace(&merged) {
                Some(ns) if new_namespaces.contains(&ns) => Outcome {
                    object: object.clone(),
                    diff: unified_diff(object, None, &normalise(&planned.body)),
                    change: Change::CreatedInNewNamespace(ns),
                },
                _ => {
                    report
                        .diagnostics
                        .push(not_found(transport, planned, &merged));
                    rejected(object)
                }
            },
            _ => {
                report
                    .diagnostics
                    .push(refusal(transport, object, &merged, "apply"));
                rejected(object)
            }
        };
        report.outcomes.push(outcome);
    }
    for text in warnings {
        report
            .diagnostics
            .push(Diagnostic::warning(Code::ClusterWarning, text));
    }
    Ok(report)
}

fn rejected(object: &ObjectRef) -> Outcome {
    Outcome {
        object: object.clone(),
        change: Change::Rejected,
        diff: String::new(),
    }
}

/// Sends, and stops on no answer or refused credentials (which no later request would pass).
fn send(
    transport: &mut impl Transport,
    request: &http::Request<Vec<u8>>,
) -> Result<Reply, Diagnostic> {
    let reply = transport.send(request).map_err(|error| {
        Diagnostic::error(
            Code::ClusterUnreachable,
            format!(
                "cannot reach the cluster at {}: {error}",
                transport.describe()
            ),
        )
        .help("check the kubeconfig's server and that the cluster is up (`kubectl cluster-info`)")
    })?;
    if reply.status == 401 {
        return Err(Diagnostic::error(
            Code::ClusterUnreachable,
            format!(
                "the cluster at {} refuses the kubeconfig's credentials (401 Unauthorized): {}",
                transport.describe(),
                status_message(&reply)
            ),
        )
        .help("log in again, or choose another context with --context"));
    }
    Ok(reply)
}

fn parse_object(
    transport: &impl Transport,
    object: &ObjectRef,
    reply: &Reply,
) -> Result<Value, Diagnostic> {
    serde_json::from_str(&reply.body).map_err(|e| {
        Diagnostic::error(
            Code::ClusterUnreachable,
            format!(
                "{}: the cluster at {} answered {} with something that is not an object: {e}",
                object.display(),
                transport.describe(),
                reply.status
            ),
        )
    })
}

/// The server's `Status`, when the body is one.
fn status(reply: &Reply) -> Option<kube::core::Status> {
    serde_json::from_str(&reply.body).ok()
}

/// The Status's message, else the body's text (a proxy's HTML error page, cut short).
fn status_message(reply: &Reply) -> String {
    match status(reply) {
        Some(s) if !s.message.is_empty() => s.message,
        _ => {
            let text = reply.body.trim();
            match text.char_indices().nth(200) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None if text.is_empty() => format!("HTTP {}", reply.status),
                None => text.to_string(),
            }
        }
    }
}

/// `404` whose details name a missing Namespace (`namespaces "shop" not found`).
fn missing_namespace(reply: &Reply) -> Option<String> {
    let details = status(reply)?.details?;
    (details.kind == "namespaces" && details.group.is_empty() && !details.name.is_empty())
        .then_some(details.name)
}

/// A refusal that is the object's own (invalid, forbidden, conflicting), or a server error.
fn refusal(
    transport: &impl Transport,
    object: &ObjectRef,
    reply: &Reply,
    verb: &str,
) -> Diagnostic {
    let reason = status(reply)
        .map(|s| s.reason)
        .filter(|r| !r.is_empty())
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    let message = format!(
        "{}: the cluster refuses to {verb} it ({}{reason}): {}",
        object.display(),
        reply.status,
        status_message(reply)
    );
    if reply.status >= 500 {
        Diagnostic::error(Code::ClusterUnreachable, message).help(format!(
            "the API server at {} failed; try again",
            transport.describe()
        ))
    } else {
        Diagnostic::error(Code::ClusterRejected, message)
    }
}

/// A dry-run `404` that is not about a Namespace this run creates: the Namespace exists nowhere,
/// or the cluster does not serve the kind (its CRD is not installed).
fn not_found(transport: &impl Transport, planned: &PlannedObject, reply: &Reply) -> Diagnostic {
    let object = &planned.object;
    if let Some(ns) = missing_namespace(reply) {
        return Diagnostic::error(
            Code::ClusterRejected,
            format!(
                "{}: its namespace `{ns}` does not exist on the cluster, and k3s does not create it",
                object.display()
            ),
        );
    }
    let kind = &planned.resource;
    let group = if kind.group.is_empty() {
        "the core group".to_string()
    } else {
        format!("`{}`", kind.group)
    };
    Diagnostic::error(
        Code::ClusterRejected,
        format!(
            "{}: the cluster at {} does not serve {} {} ({}): {}",
            object.display(),
            transport.describe(),
            object.api_version,
            object.kind,
            kind.plural,
            status_message(reply)
        ),
    )
    .help(format!(
        "install the CustomResourceDefinition (the operator) that defines {} of {group} first",
        object.kind
    ))
}

/// The text of each `Warning` header, named after the object.
fn warning_texts(object: &ObjectRef, reply: &Reply) -> Vec<String> {
    reply
        .warnings
        .iter()
        .map(|header| format!("{}: {}", object.display(), warning_text(header)))
        .collect()
}

/// `299 - "text"` (with `\"` escapes, maybe a date after) → `text`; anything else as it is.
fn warning_text(header: &str) -> String {
    let mut parts = header.splitn(3, ' ');
    let (Some(code), Some(_agent), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return header.to_string();
    };
    let Some(quoted) = rest.trim_start().strip_prefix('"') else {
        return header.to_string();
    };
    if !(code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())) {
        return header.to_string();
    }
    let mut text = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.extend(chars.next()),
            '"' => break,
            c => text.push(c),
        }
    }
    text
}

#[cfg(test)]
mod tests;
