//! `generate --check`: which generated files would change, appear or disappear, with a unified
//! diff on request. Writes nothing.

use std::io;
use std::path::{Path, PathBuf};

use super::tree::Tree;
use super::write::read_generated;

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
    let existing = read_generated(&root.join(env))?;
    let mut drift = Vec::new();
    for (path, new) in &tree.files {
        match existing.iter().find(|(p, _)| p == path) {
            None => drift.push(Drift {
                kind: DriftKind::Added,
                path: Path::new(env).join(path),
                old: String::new(),
                new: new.clone(),
            }),
            Some((_, old)) if old != new => drift.push(Drift {
                kind: DriftKind::Changed,
                path: Path::new(env).join(path),
                old: old.clone(),
                new: new.clone(),
            }),
            Some(_) => {}
        }
    }
    for (path, old) in existing.iter().filter(|(p, _)| !tree.files.contains_key(p)) {
        drift.push(Drift {
            kind: DriftKind::Removed,
            path: Path::new(env).join(path),
            old: old.clone(),
            new: String::new(),
        });
    }
    drift.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drift)
}
