//! The live cluster: what applying an environment would change there (`k3s diff`) and whether
//! its API server accepts every object (`k3s validate --cluster`), both through a
//! server-side-apply dry run of the objects `generate --stdout` prints, in the same order.
//!
//! Building the requests (`request`), reading the answers (`dry_run`) and the diff (`diff`) are
//! plain code that every build compiles and tests, on recorded API responses. Only sending the
//! requests needs kube's client, HTTP and TLS (`transport`), behind the `cluster` cargo feature
//! so that the default build stays small.

pub mod diff;
pub mod dry_run;
pub mod kinds;
pub mod request;
#[cfg(feature = "cluster")]
pub mod transport;

use crate::diagnostic::{Code, Diagnostic, did_you_mean};
use crate::pipeline::EnvironmentPlan;

/// Whether this build can talk to a cluster.
pub const SUPPORTED: bool = cfg!(feature = "cluster");

/// What a build without the `cluster` feature says when asked to.
pub const UNSUPPORTED: &str = "this k3s was built without cluster support; rebuild with `cargo install --features cluster --path .` (or `cargo build --features cluster`)";

/// Keeps of `plan` only the entries named in `only` and the Namespaces they run in (no
/// gateway routes, which belong to no entry); every entry when `only` is empty. An unknown
/// name is an error naming the entries there are.
pub fn keep_entries(plan: &mut EnvironmentPlan, only: &[String]) -> Result<(), Diagnostic> {
    if only.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = plan.entries.iter().map(|e| e.name.as_str()).collect();
    if let Some(unknown) = only.iter().find(|n| !names.contains(&n.as_str())) {
        let mut d = Diagnostic::error(
            Code::UnknownEntry,
            format!(
                "--only {unknown}: environment `{}` deploys no entry of that name",
                plan.resolved.env
            ),
        );
        if let Some(s) = did_you_mean(unknown, names.iter().copied()) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        return Err(d.help(format!("entries: {}", names.join(", "))));
    }
    plan.entries.retain(|e| only.contains(&e.name));
    let used: Vec<String> = plan.entries.iter().map(|e| e.namespace.clone()).collect();
    let mut keep = plan.namespace_names.iter().map(|n| used.contains(n));
    plan.namespaces.retain(|_| keep.next().unwrap_or(false));
    plan.namespace_names.retain(|n| used.contains(n));
    plan.gateway.clear();
    Ok(())
}
