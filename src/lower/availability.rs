//! Rollout strategy, spreading, and the PodDisruptionBudget — refused when it would block every
//! node drain (minAvailable ≥ the replicas that run, maxUnavailable 0).

use crate::config::{
    AntiAffinity as AntiAffinitySettings, DisruptionBudget as BudgetSettings, IntOrPercent,
    SimpleAntiAffinity, Strategy, StrategyType, Toleration as TolerationSettings,
    TopologySpread as SpreadSettings,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::workload::{
    AntiAffinity, DisruptionBudget, Replicas, RolloutStrategy, Toleration, TopologySpread,
};

/// RollingUpdate maxUnavailable 0 / maxSurge 1 unless the entry says otherwise. A workload
/// whose claim attaches to one node only defaults to Recreate: a surge pod could never mount it.
pub fn lower_strategy(strategy: Option<&Strategy>, single_node_claim: bool) -> RolloutStrategy {
    let kind = strategy
        .and_then(|s| s.kind.as_ref())
        .map(|k| k.value)
        .unwrap_or(if single_node_claim {
            StrategyType::Recreate
        } else {
            StrategyType::RollingUpdate
        });
    match kind {
        StrategyType::Recreate => RolloutStrategy::Recreate,
        StrategyType::RollingUpdate => RolloutStrategy::RollingUpdate {
            max_surge: strategy
                .and_then(|s| s.max_surge.clone())
                .unwrap_or(IntOrPercent::Int(1)),
            max_unavailable: strategy
                .and_then(|s| s.max_unavailable.clone())
                .unwrap_or(IntOrPercent::Int(0)),
        },
    }
}

pub fn lower_anti_affinity(
    setting: Option<&AntiAffinitySettings>,
    field: &str,
    d: &mut Diagnostics,
) -> AntiAffinity {
    match setting {
        Some(AntiAffinitySettings::Simple(SimpleAntiAffinity::Preferred)) => {
            AntiAffinity::preferred_per_node()
        }
        Some(AntiAffinitySettings::Simple(SimpleAntiAffinity::Required)) => {
            AntiAffinity::required_per_node()
        }
        Some(AntiAffinitySettings::Simple(SimpleAntiAffinity::None)) | None => {
            AntiAffinity::default()
        }
        Some(AntiAffinitySettings::Rules(rules)) => AntiAffinity {
            preferred: rules
                .preferred
                .iter()
                .map(|p| {
                    let weight = p.weight.as_ref().map_or(100, |w| {
                        if !(1..=100).contains(&w.value) {
                            d.push(
                                Diagnostic::error(
                                    Code::BadValue,
                                    format!("weight {} is outside 1 to 100", w.value),
                                )
                                .at(w.span)
                                .field(format!("{field}.anti_affinity.preferred")),
                            );
                        }
                        w.value.clamp(1, 100)
                    });
                    (p.topology_key.clone(), weight)
                })
                .collect(),
            required: rules
                .required
                .iter()
                .map(|r| r.topology_key.clone())
                .collect(),
        },
    }
}

pub fn lower_topology_spread(setting: Option<&SpreadSettings>) -> Option<TopologySpread> {
    setting.map(|s| TopologySpread {
        topology_key: s
            .topology_key
            .clone()
            .unwrap_or_else(|| "topology.kubernetes.io/zone".to_string()),
        max_skew: s
            .max_skew
            .map_or(1, |n| i32::try_from(n).unwrap_or(i32::MAX)),
        when_unsatisfiable: s
            .when_unsatisfiable
            .clone()
            .unwrap_or_else(|| "ScheduleAnyway".to_string()),
    })
}

pub fn lower_tolerations(settings: &[TolerationSettings]) -> Vec<Toleration> {
    settings
        .iter()
        .map(|t| Toleration {
            key: t.key.clone(),
            operator: t.operator.clone(),
            value: t.value.clone(),
            effect: t.effect.clone(),
            toleration_seconds: t.toleration_seconds,
        })
        .collect()
}

/// The budget, after checking it leaves drains possible. `min_replicas` is the fixed count or
/// the autoscaler's minimum.
pub fn lower_disruption_budget(
    budget: Option<&BudgetSettings>,
    replicas: Replicas,
    min_replicas: u32,
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> Option<DisruptionBudget> {
    let budget = budget?;
    let field = format!("{field}.pod_disruption_budget");
    let (result, value_span, key) = match (&budget.min_available, &budget.max_unavailable) {
        (Some(_), Some(max)) => {
            d.push(
                Diagnostic::error(
                    Code::BadBudget,
                    "give either min_available or max_unavailable, not both",
                )
                .at(max.span)
                .field(field),
            );
            return None;
        }
        (None, None) => {
            d.push(
                Diagnostic::error(
                    Code::BadBudget,
                    "a pod_disruption_budget needs min_available or max_unavailable",
                )
                .at(span)
                .field(field),
            );
            return None;
        }
        (Some(min), None) => (
            DisruptionBudget::MinAvailable(min.value.clone()),
            min.span,
            "min_available",
        ),
        (None, Some(max)) => (
            DisruptionBudget::MaxUnavailable(max.value.clone()),
            max.span,
            "max_unavailable",
        ),
    };
    let value_field = format!("{field}.{key}");
    let evictable = |running: u32| -> bool {
        match &result {
            DisruptionBudget::MinAvailable(IntOrPercent::Int(k)) => running > *k,
            DisruptionBudget::MinAvailable(IntOrPercent::Percent(p)) => {
                running > (running * p).div_ceil(100)
            }
            DisruptionBudget::MaxUnavailable(IntOrPercent::Int(k)) => *k > 0,
            DisruptionBudget::MaxUnavailable(IntOrPercent::Percent(p)) => *p > 0,
        }
    };
    match replicas {
        Replicas::Fixed(count) if count > 0 && !evictable(count) => {
            d.push(
                Diagnostic::error(
                    Code::BlockingBudget,
                    format!(
                        "this budget lets no pod be evicted from the {count} replica{}: every node drain would hang",
                        if count == 1 { "" } else { "s" }
                    ),
                )
                .at(value_span)
                .field(value_field)
                .help("use `max_unavailable: 1`, or run more replicas than min_available"),
            );
            None
        }
        Replicas::Autoscaled if !evictable(min_replicas.max(1)) => {
            d.push(
                Diagnostic::warning(
                    Code::BlockingBudget,
                    format!(
                        "while the autoscaler runs {} replica{}, this budget lets none be evicted and node drains wait",
                        min_replicas.max(1),
                        if min_replicas <= 1 { "" } else { "s" }
                    ),
                )
                .at(value_span)
                .field(value_field)
                .help("drains proceed once it scales out; `max_unavailable: 1` never blocks"),
            );
            Some(result)
        }
        _ => Some(result),
    }
}
