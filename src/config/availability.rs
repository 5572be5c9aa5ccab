//! Replica placement and disruption: PodDisruptionBudget, anti-affinity, topology spread,
//! rollout strategy.

use schemars::JsonSchema;
use serde::Deserialize;

use super::value::IntOrPercent;
use crate::yaml::Spanned;

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisruptionBudget {
    /// Pods that must stay up during voluntary disruptions (node drains): a count or a percentage,
    /// e.g. `1` or `50%`.
    pub min_available: Option<Spanned<IntOrPercent>>,
    /// Pods that may be down at once during voluntary disruptions: a count or a percentage. Use
    /// this or `min_available`.
    pub max_unavailable: Option<Spanned<IntOrPercent>>,
}

/// Spreading replicas apart: `preferred` (one per node if possible), `required` (never two
/// on one node), `none`, or rules per topology key as in
/// `{preferred: [{topology_key: kubernetes.io/hostname, weight: 100}], required: [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum AntiAffinity {
    Simple(SimpleAntiAffinity),
    Rules(AntiAffinityRules),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SimpleAntiAffinity {
    /// Prefer spreading replicas over nodes.
    Preferred,
    /// Never put two replicas on one node.
    Required,
    /// No anti-affinity.
    None,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AntiAffinityRules {
    /// Soft rules: the scheduler prefers not to put two replicas in one domain of `topology_key`.
    #[serde(default)]
    pub preferred: Vec<PreferredSpread>,
    /// Hard rules: never two replicas in one domain of `topology_key`.
    #[serde(default)]
    pub required: Vec<RequiredSpread>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferredSpread {
    /// Node label whose values form the domains, e.g. `kubernetes.io/hostname` or
    /// `topology.kubernetes.io/zone`.
    pub topology_key: String,
    /// 1 to 100; default 100.
    pub weight: Option<Spanned<i32>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredSpread {
    /// Node label whose values form the domains, e.g. `kubernetes.io/hostname`.
    pub topology_key: String,
}

impl<'de> Deserialize<'de> for AntiAffinity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<AntiAffinity, D::Error> {
        use serde::de::{self, IntoDeserializer, value::MapAccessDeserializer};
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = AntiAffinity;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("preferred, required, none, or {preferred: [...], required: [...]}")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<AntiAffinity, E> {
                SimpleAntiAffinity::deserialize(v.into_deserializer()).map(AntiAffinity::Simple)
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<AntiAffinity, A::Error> {
                AntiAffinityRules::deserialize(MapAccessDeserializer::new(map))
                    .map(AntiAffinity::Rules)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
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
    /// Replace pods gradually, within `max_surge` and `max_unavailable`.
    RollingUpdate,
    /// Stop every old pod before starting new ones (for claims one node at a time can attach).
    Recreate,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    /// `RollingUpdate` (replace pods gradually) or `Recreate` (stop all, then start). Default:
    /// RollingUpdate, or Recreate when a claim can attach to one node only.
    #[serde(rename = "type")]
    pub kind: Option<Spanned<StrategyType>>,
    /// Default 1.
    pub max_surge: Option<IntOrPercent>,
    /// Default 0: never fewer ready pods than wanted during a rollout.
    pub max_unavailable: Option<IntOrPercent>,
}

/// Node affinity: nodes the pods must (`required`, all of them) or should (`preferred`) run on,
/// by node label, as in `{required: [{key: node-type, operator: In, values: [batch]}]}`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeAffinity {
    /// Every one must match (one node selector term).
    #[serde(default)]
    pub required: Vec<NodeRequirement>,
    /// Each adds its `weight` to the nodes it matches.
    #[serde(default)]
    pub preferred: Vec<PreferredNode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum NodeOperator {
    /// The node has the label (no `values`).
    Exists,
    /// The node lacks the label (no `values`).
    DoesNotExist,
    /// The label's value is one of `values`.
    In,
    /// The label's value is none of `values` (or the label is absent).
    NotIn,
    /// The label's value, an integer, is greater than the one value given.
    Gt,
    /// The label's value, an integer, is less than the one value given.
    Lt,
}

impl NodeOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeOperator::In => "In",
            NodeOperator::NotIn => "NotIn",
            NodeOperator::Exists => "Exists",
            NodeOperator::DoesNotExist => "DoesNotExist",
            NodeOperator::Gt => "Gt",
            NodeOperator::Lt => "Lt",
        }
    }
}

/// A node label requirement: `In`/`NotIn` need `values`, `Exists`/`DoesNotExist` none,
/// `Gt`/`Lt` one integer.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NodeRequirement {
    /// Node label the rule reads. Example: `kubernetes.io/arch`.
    pub key: String,
    /// How the label is compared with `values` (a nodeSelectorRequirement's `operator`).
    pub operator: Spanned<NodeOperator>,
    /// Values compared with: one or more for `In`/`NotIn`, exactly one integer for `Gt`/`Lt`,
    /// none for `Exists`/`DoesNotExist`. Example: `[arm64]`.
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferredNode {
    /// 1 to 100; default 100.
    pub weight: Option<Spanned<i32>>,
    /// Node label the rule reads. Example: `kubernetes.io/arch`.
    pub key: String,
    /// How the label is compared with `values` (a nodeSelectorRequirement's `operator`).
    pub operator: Spanned<NodeOperator>,
    /// Values compared with: one or more for `In`/`NotIn`, exactly one integer for `Gt`/`Lt`,
    /// none for `Exists`/`DoesNotExist`. Example: `[arm64]`.
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    /// Taint key the toleration matches; empty with `operator: Exists` matches every taint.
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    pub operator: Option<String>,
    /// Taint value to match with `operator: Equal`.
    pub value: Option<String>,
    /// Taint effect to match: `NoSchedule`, `PreferNoSchedule` or `NoExecute`; empty matches all.
    pub effect: Option<String>,
    /// NoExecute: seconds the pod stays on a node after the taint appears.
    pub toleration_seconds: Option<i64>,
}
