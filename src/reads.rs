//! Every file and directory k3s looked at to build its model in this process: apps.yaml, env
//! files, compose files and the files they include, function sources, Dockerfile templates,
//! config files. `k3s build-plan` lists them (`inputs`) so that Tilt reloads when one changes.
//! A path is recorded before it is read, so a file that does not exist yet is watched too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static READ: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Notes that `path` is read (or listed, for a directory).
pub fn record(path: &Path) {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    READ.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(absolute);
}

/// Everything recorded so far, absolute, sorted.
pub fn recorded() -> Vec<PathBuf> {
    READ.lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .cloned()
        .collect()
}
