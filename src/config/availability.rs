//! Replica placement and disruption: PodDisruptionBudget, anti-affinity, topology spread,
//! rollout strategy.

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::IntOrPercent;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisruptionBudget {
    pub min_available: Option<Spanned<IntOrPercent>>,
    pub max_unavailable: Option<Spanned<IntOrPercent>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AntiAffinity {
    /// Prefer spreading replicas over nodes.
    Preferred,
    /// Never put two replicas on one node.
    Required,
    None,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopologySpread {
    /// Default `topology.kubernetes.io/zone`.
    pub topology_key: Option<String>,
    /// Default 1.
    pub max_skew: Option<u32>,
    /// Default `ScheduleAnyway`.
    pub when_unsatisfiable: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum StrategyType {
    RollingUpdate,
    Recreate,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    #[serde(rename = "type")]
    pub kind: Option<Spanned<StrategyType>>,
    /// Default 1.
    pub max_surge: Option<IntOrPercent>,
    /// Default 0: never fewer ready pods than wanted during a rollout.
    pub max_unavailable: Option<IntOrPercent>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
    pub toleration_seconds: Option<i64>,
}
