//! `generate --check`: which generated files would change, appear or disappear, with a unified
//! diff on request. Writes nothing.

use std::io;
use std::path::{Path, PathBuf};

use super::tree::Tree;
use super::write::compare_with_disk;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftKind {
    Added,
    Changed,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub kind: DriftKind,
    /// Relative to the output root, e.g. `gcp/apps/web/manifests.yaml`.
    pub path: PathBuf,
    pub old: String,
    pub new: String,
}

impl Drift {
    /// A unified diff of the file, labelled with its path.
    pub fn unified_diff(&self) -> String {
        let label = self.path.display().to_string();
        similar::TextDiff::from_lines(&self.old, &self.new)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{label}"), &format!("b/{label}"))
            .to_string()
    }
}

pub fn check_environment(root: &Path, env: &str, tree: &Tree) -> io::Result<Vec<Drift>> {
    let dir = root.join(env);
    let difference = compare_with_disk(&dir, tree)?;
    let mut drift = Vec::new();
    for path in difference.changed {
        let old = std::fs::read_to_string(dir.join(&path)).ok();
        drift.push(Drift {
            kind: if old.is_some() {
                DriftKind::Changed
            } else {
                DriftKind::Added
            },
            path: Path::new(env).join(&path),
            old: old.unwrap_or_default(),
            new: tree.files[&path].clone(),
        });
    }
    for path in difference.removed {
        drift.push(Drift {
            kind: DriftKind::Removed,
            path: Path::new(env).join(&path),
            old: std::fs::read_to_string(dir.join(&path)).unwrap_or_default(),
            new: String::new(),
        });
    }
    drift.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drift)
}
