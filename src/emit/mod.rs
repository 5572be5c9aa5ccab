//! Emitting: an environment's files are built in memory as a [`Tree`], then written (`write`:
//! all environments staged, then swapped in together, repaired by the next run if killed),
//! compared with what is on disk (`check`), or printed. Only files whose first line is exactly
//! the header k3s writes are ever replaced or pruned; no link in the output is followed.

mod check;
mod layout;
mod runtime_cache;
pub(crate) mod tree;
mod write;

pub use check::{Drift, DriftKind, check_environment, check_undeclared};
pub use layout::{environment_tree, holds_secret, manifest_documents, manifest_stream};
pub use runtime_cache::unpack_runtime;
pub use tree::{GENERATED_MARKER, Owner, Tree, convert_header, header, header_line};
pub use write::{
    EmitError, STAGING_DIR, WriteOutcome, WriteReport, is_generated, recover, write_environments,
    write_files,
};
