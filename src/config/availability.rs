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
    None,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AntiAffinityRules {
    #[serde(default)]
    pub preferred: Vec<PreferredSpread>,
    #[serde(default)]
    pub required: Vec<RequiredSpread>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferredSpread {
    pub topology_key: String,
    /// 1 to 100; default 100.
    pub weight: Option<Spanned<i32>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredSpread {
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
    Exists,
    DoesNotExist,
    In,
    NotIn,
    Gt,
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
    pub key: String,
    pub operator: Spanned<NodeOperator>,
    #[serde(default)]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferredNode {
    /// 1 to 100; default 100.
    pub weight: Option<Spanned<i32>>,
    pub key: String,
    pub operator: Spanned<NodeOperator>,
    #[serde(default)]
    pub values: Vec<String>,
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
