//! Reading YAML with positions: a spanned [`Node`] tree (parse), a serde deserializer over it
//! that reports every problem with its place (de), and [`Spanned`] values for later checks.

mod de;
mod node;
mod parse;
mod spanned;

pub use de::{DeError, NodeDe, PathSeg, from_node, from_node_first, path_string};
pub use node::{Node, Scalar, Style, Value};
pub use parse::{
    MAX_ALIAS_NODES, MAX_DEPTH, MAX_INPUT_BYTES, check_size, parse_file, parse_registered,
    parse_str,
};
pub use spanned::Spanned;
