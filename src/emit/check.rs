//! `generate --check`: which generated files would change, appear or disappear, with a unified
//! diff on request. Writes nothing. Values of Secrets are never shown: a diff says which keys
//! of a Secret's `data`/`stringData` changed, not what they were or became.

use std::path::{Path, PathBuf};

use super::tree::{Owner, Tree};
use super::write::{EmitError, compare_with_disk, undeclared_environments};

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
    /// A unified diff of the file, labelled with its path, with Secret values masked.
    pub fn unified_diff(&self) -> String {
        let label = self.path.display().to_string();
        let (old, new) = mask_secrets(&self.old, &self.new);
        let mut diff = similar::TextDiff::from_lines(&old, &new)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{label}"), &format!("b/{label}"))
            .to_string();
        if diff.is_empty() && self.kind == DriftKind::Changed {
            diff = format!("{label}: only its mode changes (a file holding a Secret is 0600)\n");
        }
        diff
    }
}

pub fn check_environment(root: &Path, env: &str, tree: &Tree) -> Result<Vec<Drift>, EmitError> {
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
        drift.push(removed(&dir, env, path));
    }
    drift.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drift)
}

/// The generated files of environments `declared` no longer names, which `generate` prunes.
pub fn check_undeclared(root: &Path, declared: &[String]) -> Result<Vec<Drift>, EmitError> {
    let mut drift = Vec::new();
    for env in undeclared_environments(root, declared)? {
        let dir = root.join(&env);
        let difference = compare_with_disk(&dir, &Tree::new(Owner::environment(&env)))?;
        for path in difference.removed {
            drift.push(removed(&dir, &env, path));
        }
    }
    Ok(drift)
}

fn removed(dir: &Path, env: &str, path: PathBuf) -> Drift {
    Drift {
        kind: DriftKind::Removed,
        old: std::fs::read_to_string(dir.join(&path)).unwrap_or_default(),
        path: Path::new(env).join(&path),
        new: String::new(),
    }
}

/// Both texts with every value under `data:`/`stringData:` of a `kind: Secret` document
/// replaced: `(hidden)` where old and new agree, `(hidden, old value)` / `(hidden, new value)`
/// where they differ, so the diff shows which keys changed and nothing of their values.
fn mask_secrets(old: &str, new: &str) -> (String, String) {
    let old_values = secret_values(old);
    let new_values = secret_values(new);
    let masked = |text: &str, mine: &SecretValues, theirs: &SecretValues, side: &str| {
        mask(text, |key| match (mine.get(key), theirs.get(key)) {
            (Some(a), Some(b)) if a == b => "(hidden)".to_string(),
            (_, Some(_)) => format!("(hidden, {side} value)"),
            _ => "(hidden)".to_string(),
        })
    };
    (
        masked(old, &old_values, &new_values, "old"),
        masked(new, &new_values, &old_values, "new"),
    )
}

/// `(secret name, section, key)` to the value's text, of every Secret in a file.
type SecretValues = std::collections::BTreeMap<(String, String, String), String>;

fn secret_values(text: &str) -> SecretValues {
    let mut values = SecretValues::new();
    for_each_secret_value(text, |key, value| {
        values.insert(key, value.to_string());
    });
    values
}

fn mask(text: &str, hidden: impl Fn(&(String, String, String)) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    for document in documents(text) {
        if !is_secret(document) {
            out.push_str(document);
            continue;
        }
        let name = secret_name(document);
        let mut section: Option<String> = None;
        let mut skipping = false;
        for line in document.split_inclusive('\n') {
            let indent = line.len() - line.trim_start_matches(' ').len();
            let body = line.trim_end_matches(['\n', '\r']);
            if indent == 0 {
                skipping = false;
                section = None;
                match body.split_once(':') {
                    Some((key @ ("data" | "stringData"), rest)) => {
                        if rest.trim().is_empty() {
                            section = Some(key.to_string());
                            out.push_str(line);
                        } else {
                            out.push_str(&format!("{key}: (hidden)\n"));
                        }
                    }
                    _ => out.push_str(line),
                }
                continue;
            }
            let Some(section) = &section else {
                out.push_str(line);
                continue;
            };
            if body.trim().is_empty() {
                continue;
            }
            if indent == 2 && !body.trim_start().starts_with('#') {
                let key = entry_key(body);
                let shown = hidden(&(name.clone(), section.clone(), key.clone()));
                out.push_str(&format!("  {key}: {shown}\n"));
                skipping = true;
            } else if !skipping {
                out.push_str("  (hidden)\n");
                skipping = true;
            }
        }
    }
    out
}

fn for_each_secret_value(text: &str, mut f: impl FnMut((String, String, String), &str)) {
    for document in documents(text) {
        if !is_secret(document) {
            continue;
        }
        let name = secret_name(document);
        let mut section: Option<String> = None;
        let mut current: Option<(String, String)> = None;
        let mut flush = |current: &mut Option<(String, String)>, section: &Option<String>| {
            if let (Some((key, value)), Some(section)) = (current.take(), section) {
                f((name.clone(), section.clone(), key), &value);
            }
        };
        for line in document.split_inclusive('\n') {
            let indent = line.len() - line.trim_start_matches(' ').len();
            let body = line.trim_end_matches(['\n', '\r']);
            if indent == 0 {
                flush(&mut current, &section);
                section = match body.split_once(':') {
                    Some((key @ ("data" | "stringData"), rest)) if rest.trim().is_empty() => {
                        Some(key.to_string())
                    }
                    _ => None,
                };
                continue;
            }
            if section.is_none() {
                continue;
            }
            if indent == 2 {
                flush(&mut current, &section);
                current = Some((entry_key(body), body.to_string()));
            } else if let Some((_, value)) = &mut current {
                value.push('\n');
                value.push_str(body);
            }
        }
        flush(&mut current, &section);
    }
}

/// A file's documents, each with its `---` line.
fn documents(text: &str) -> Vec<&str> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 && line.trim_end() == "---" {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts.push(text.len());
    starts.windows(2).map(|w| &text[w[0]..w[1]]).collect()
}

fn is_secret(document: &str) -> bool {
    document
        .lines()
        .any(|line| line.trim_end() == "kind: Secret")
}

fn secret_name(document: &str) -> String {
    let mut in_metadata = false;
    for line in document.lines() {
        if !line.starts_with(' ') {
            in_metadata = line.trim_end() == "metadata:";
        } else if in_metadata && let Some(name) = line.strip_prefix("  name: ") {
            return name.trim().to_string();
        }
    }
    String::new()
}

/// The key of a `  KEY: value` line (quoted keys as written).
fn entry_key(body: &str) -> String {
    let trimmed = body.trim_start();
    let mut quote = None;
    for (i, c) in trimmed.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') if i == 0 => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ':') => return trimmed[..i].to_string(),
            _ => {}
        }
    }
    trimmed.trim_end_matches(':').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "# header\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  LOG: info\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: web-secrets\n  namespace: apps\nstringData:\n  API_KEY: old-key-123\n  DB_PASSWORD: same-pass\n  CERT: |\n    -----BEGIN-----\n    abc\ntype: Opaque\n";

    #[test]
    fn secret_values_are_masked_and_changed_keys_shown() {
        let new = OLD
            .replace("old-key-123", "new-key-456")
            .replace("    abc\n", "    xyz\n")
            .replace("LOG: info", "LOG: debug");
        let drift = Drift {
            kind: DriftKind::Changed,
            path: PathBuf::from("dev/apps/web/manifests.yaml"),
            old: OLD.to_string(),
            new,
        };
        let diff = drift.unified_diff();
        for secret in [
            "old-key-123",
            "new-key-456",
            "same-pass",
            "abc",
            "xyz",
            "BEGIN",
        ] {
            assert!(!diff.contains(secret), "`{secret}` shown in:\n{diff}");
        }
        assert!(diff.contains("-  API_KEY: (hidden, old value)"), "{diff}");
        assert!(diff.contains("+  API_KEY: (hidden, new value)"), "{diff}");
        assert!(diff.contains("-  CERT: (hidden, old value)"), "{diff}");
        assert!(
            diff.contains("\n   DB_PASSWORD: (hidden)\n"),
            "unchanged: context only\n{diff}"
        );
        // ConfigMaps are not Secrets: their values show.
        assert!(diff.contains("+  LOG: debug"), "{diff}");
    }

    #[test]
    fn added_and_removed_files_hide_secret_values_too() {
        let drift = Drift {
            kind: DriftKind::Added,
            path: PathBuf::from("dev/x.yaml"),
            old: String::new(),
            new: OLD.to_string(),
        };
        let diff = drift.unified_diff();
        assert!(!diff.contains("old-key-123") && !diff.contains("same-pass"));
        assert!(diff.contains("+  API_KEY: (hidden)"), "{diff}");
        let flow = "---\nkind: Secret\nmetadata:\n  name: x\nstringData: {A: secret}\n";
        let (_, masked) = mask_secrets("", flow);
        assert!(!masked.contains("secret}"), "{masked}");
    }
}
