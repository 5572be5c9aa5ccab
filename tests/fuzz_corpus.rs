//! Replays the fuzz corpus through the fuzz targets' own entry points (`fuzz/entry.rs`), so
//! `cargo test` (and CI) runs every seed and every input fuzzing ever found on stable Rust,
//! without cargo-fuzz: the seeds are the repository's own inputs (apps.yaml files, compose
//! files, the compose-go corpus, Python functions); `fuzz/corpus/<target>/` holds the inputs
//! that once crashed or hung k3s.

#[path = "../fuzz/entry.rs"]
mod entry;

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Files below `dir` (recursively) whose name satisfies `keep`, sorted.
fn files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path);
            } else if keep(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn named(names: &'static [&'static str]) -> impl Fn(&Path) -> bool {
    move |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| names.contains(&n))
    }
}

fn extension(extensions: &'static [&'static str]) -> impl Fn(&Path) -> bool {
    move |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
    }
}

fn any(_: &Path) -> bool {
    true
}

fn replay(target: &str, seeds: Vec<PathBuf>, run: fn(&[u8])) {
    let mut inputs = seeds;
    inputs.extend(files(&root().join("fuzz/corpus").join(target), &any));
    assert!(!inputs.is_empty(), "no corpus for {target}");
    for input in &inputs {
        let data = std::fs::read(input).unwrap();
        // A panic names the input; the fuzz target would report the same one.
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(result.is_ok(), "{target}: {} panicked", input.display());
    }
    eprintln!("{target}: {} inputs replayed", inputs.len());
}

#[test]
fn apps_yaml_corpus_replays() {
    let mut seeds = files(&root().join("examples"), &named(&["apps.yaml"]));
    seeds.push(root().join("apps.yaml"));
    replay("apps_yaml", seeds, entry::apps_yaml);
}

#[test]
fn compose_corpus_replays() {
    let mut seeds = files(
        &root().join("tests/fixtures/compose-go"),
        &extension(&["yaml", "yml"]),
    );
    seeds.extend(files(
        &root().join("examples"),
        &named(&["compose.yaml", "compose.yml", "docker-compose.yml"]),
    ));
    replay("compose", seeds, entry::compose);
}

#[test]
fn python_corpus_replays() {
    let mut seeds = files(&root().join("examples"), &extension(&["py"]));
    seeds.extend(files(&root().join("platform"), &extension(&["py"])));
    replay("python", seeds, entry::python);
}
