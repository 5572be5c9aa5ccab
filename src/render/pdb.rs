//! The `policy/v1` PodDisruptionBudget of a workload with a disruption budget.
//! It must not invent a budget when the IR has none.

use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};

use super::object::object;
use super::{object_meta, selector};
use crate::workload::{DisruptionBudget, Workload};

object!(PodDisruptionBudget, DISRUPTION_BUDGET);

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

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    use super::*;
    use crate::render::fixtures::{db, frontend, web};

    #[test]
    fn min_available_or_max_unavailable_with_selector() {
        let w = web();
        let spec = render(&w).and_then(|p| p.spec).expect("a PDB");
        assert_eq!(spec.min_available, Some(IntOrString::Int(1)));
        assert_eq!(spec.max_unavailable, None);
        assert_eq!(
            spec.selector.and_then(|s| s.match_labels),
            Some(w.selector_labels())
        );

        let spec = render(&frontend()).and_then(|p| p.spec).expect("a PDB");
        assert_eq!(spec.min_available, None);
        assert_eq!(
            spec.max_unavailable,
            Some(IntOrString::String("50%".to_string()))
        );
    }

    #[test]
    fn no_budget_no_pdb() {
        assert!(render(&db()).is_none());
    }
}
