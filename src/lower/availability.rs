//! Rollout strategy, spreading, and the PodDisruptionBudget — refused when it would block every
//! node drain (minAvailable ≥ the replicas that run, maxUnavailable 0).

use crate::config::{
    AntiAffinity as AntiAffinitySettings, DisruptionBudget as BudgetSettings, IntOrPercent,
    NodeAffinity as NodeAffinitySettings, NodeOperator, SimpleAntiAffinity, Strategy, StrategyType,
    Toleration as TolerationSettings, TopologySpread as SpreadSettings,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::workload::{
    AntiAffinity, DisruptionBudget, NodeAffinity, NodeRequirement, Replicas, RolloutStrategy,
    Toleration, TopologySpread,
};
use crate::yaml::Spanned;

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

/// Node affinity, each requirement checked as the API server does: `In`/`NotIn` need values,
/// `Exists`/`DoesNotExist` take none, `Gt`/`Lt` exactly one integer; weights are 1 to 100.
pub fn lower_node_affinity(
    settings: Option<&NodeAffinitySettings>,
    field: &str,
    d: &mut Diagnostics,
) -> NodeAffinity {
    let Some(settings) = settings else {
        return NodeAffinity::default();
    };
    fn requirement(
        key: &str,
        operator: &Spanned<NodeOperator>,
        values: &[String],
        at: String,
        d: &mut Diagnostics,
    ) -> NodeRequirement {
        {
            let problem = match operator.value {
                NodeOperator::In | NodeOperator::NotIn if values.is_empty() => {
                    Some("needs `values`")
                }
                NodeOperator::Exists | NodeOperator::DoesNotExist if !values.is_empty() => {
                    Some("takes no `values`")
                }
                NodeOperator::Gt | NodeOperator::Lt
                    if values.len() != 1 || values[0].parse::<i64>().is_err() =>
                {
                    Some("needs exactly one integer in `values`")
                }
                _ => None,
            };
            if let Some(problem) = problem {
                d.push(
                    Diagnostic::error(
                        Code::BadValue,
                        format!("operator `{}` {problem}", operator.value.as_str()),
                    )
                    .at(operator.span)
                    .field(at),
                );
            }
            NodeRequirement {
                key: key.to_string(),
                operator: operator.value.as_str().to_string(),
                values: values.to_vec(),
            }
        }
    }
    let required = settings
        .required
        .iter()
        .enumerate()
        .map(|(i, r)| {
            requirement(
                &r.key,
                &r.operator,
                &r.values,
                format!("{field}.affinity.required[{i}].operator"),
                d,
            )
        })
        .collect();
    let preferred = settings
        .preferred
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let weight = p.weight.as_ref().map_or(100, |w| w.value);
            if let Some(w) = &p.weight
                && !(1..=100).contains(&w.value)
            {
                d.push(
                    Diagnostic::error(Code::BadValue, "a weight is 1 to 100")
                        .at(w.span)
                        .field(format!("{field}.affinity.preferred[{i}].weight")),
                );
            }
            (
                weight,
                requirement(
                    &p.key,
                    &p.operator,
                    &p.values,
                    format!("{field}.affinity.preferred[{i}].operator"),
                    d,
                ),
            )
        })
        .collect();
    NodeAffinity {
        required,
        preferred,
    }
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
