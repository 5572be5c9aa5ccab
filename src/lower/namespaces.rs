//! Which namespaces get a Namespace object: every namespace the environment's workloads run in,
//! except the cluster's own. Decides nothing about Pod Security levels (those come from the
//! rendered pods); it only records what else runs there that k3s cannot see (Helm charts).

use std::collections::BTreeMap;

use super::Lowered;
use super::helm::HelmRelease;
use crate::diagnostic::Span;

/// Namespaces every cluster has, which k3s never writes.
pub const SYSTEM_NAMESPACES: &[&str] =
    &["default", "kube-system", "kube-public", "kube-node-lease"];

/// One namespace to write.
#[derive(Debug, Clone)]
pub struct NamespacePlan {
    pub name: String,
    /// The first workload that runs there (its name and field): problems in the Namespace
    /// object are reported at it.
    pub span: Span,
    pub field: String,
    /// A Helm chart is installed there too: its pods are not known to k3s.
    pub helm: bool,
}

/// The namespaces of `entries`' workloads, by name.
pub fn plan_namespaces(entries: &[Lowered], helm: &[HelmRelease]) -> Vec<NamespacePlan> {
    let mut plans: BTreeMap<&str, NamespacePlan> = BTreeMap::new();
    for workload in entries.iter().flat_map(|e| &e.entry.workloads) {
        if SYSTEM_NAMESPACES.contains(&workload.namespace.as_str()) {
            continue;
        }
        plans
            .entry(&workload.namespace)
            .or_insert_with(|| NamespacePlan {
                name: workload.namespace.clone(),
                span: workload.name_span,
                field: workload.field.clone(),
                helm: helm.iter().any(|h| h.namespace == workload.namespace),
            });
    }
    plans.into_values().collect()
}
