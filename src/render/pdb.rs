//! The `policy/v1` PodDisruptionBudget of a workload with a disruption budget.
//! It must not invent a budget when the IR has none.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};

use super::{object_meta, selector};
use crate::workload::{DisruptionBudget, Workload};

pub(super) fn render(w: &Workload) -> Option<PodDisruptionBudget> {
    let budget = w.disruption_budget.as_ref()?;
    let (min_available, max_unavailable) = match budget {
        DisruptionBudget::MinAvailable(n) => (Some(n.to_int_or_string()), None),
        DisruptionBudget::MaxUnavailable(n) => (None, Some(n.to_int_or_string())),
    };
    Some(PodDisruptionBudget {
        metadata: object_meta(w, &w.name),
        spec: Some(PodDisruptionBudgetSpec {
            min_available,
            max_unavailable,
            selector: Some(selector(w)),
            ..PodDisruptionBudgetSpec::default()
        }),
        status: None,
    })
}
