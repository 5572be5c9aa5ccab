//! The compose-go corpus copy, shared by the library and CLI test binaries.

use std::path::{Path, PathBuf};

/// Every `.yaml`/`.yml` file below `dir`, sorted so failures read the same on every machine.
pub fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(dir, &mut out);
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

/// The variables an example's environments need (its `variables.env`, `NAME=value` lines), as
/// CI passes them; none when it has no such file.
#[allow(dead_code)] // Each test binary uses its own part of this module.
pub fn example_variables(example_dir: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(example_dir.join("variables.env")) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// The repository's apps.yaml and every `examples/*/apps.yaml`, sorted: the projects CI
/// generates and validates.
#[allow(dead_code)] // Each test binary uses its own part of this module.
pub fn example_apps_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("apps.yaml")];
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        let path = entry.unwrap().path().join("apps.yaml");
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    files
}
