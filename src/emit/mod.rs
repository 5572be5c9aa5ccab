//! Emitting: an environment's files are built in memory as a [`Tree`], then written atomically
//! (`write`), compared with what is on disk (`check`), or printed. Files the tool wrote carry a
//! header; only those are ever replaced or pruned.

mod check;
mod layout;
mod tree;
mod write;

pub use check::{Drift, DriftKind, check_environment};
pub use layout::{environment_tree, manifest_stream};
pub use tree::{GENERATED_MARKER, Tree, header};
pub use write::{WriteOutcome, write_environment};
