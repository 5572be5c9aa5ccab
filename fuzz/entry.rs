//! The fuzzed entry points, shared by the cargo-fuzz targets (`fuzz/fuzz_targets/`) and the
//! corpus replay that `cargo test` runs (`tests/fuzz_corpus.rs`): each writes the input where
//! k3s reads it and runs the real loader on it. Any panic, overflow or hang is a finding; a
//! diagnostic (even an internal-class one) is an answer.

use std::path::{Path, PathBuf};

/// One scratch directory per process, reused by every input.
fn scratch() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("k3s-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("fns")).expect("a scratch directory");
        dir
    })
}

/// apps.yaml: load, then plan every declared environment (resolve, lower, render, check).
pub fn apps_yaml(data: &[u8]) {
    let path = scratch().join("apps.yaml");
    std::fs::write(&path, data).expect("scratch is writable");
    let Ok((project, _)) = k3s::config::load(&path) else {
        return;
    };
    let inputs = k3s::resolve::Inputs::from_process(Default::default());
    let images = k3s::images::ImageTags::new();
    let location = k3s::lower::TreeLocation::default();
    let options = k3s::pipeline::PlanOptions {
        inputs: &inputs,
        images: &images,
        location: &location,
        documents: true,
    };
    for env in project.environment_names() {
        let _ = k3s::pipeline::plan_environment(&project, env, &options);
    }
}

/// A compose file: load it as `docker compose` would (merge, interpolate, normalize).
pub fn compose(data: &[u8]) {
    let path = scratch().join("compose.yaml");
    std::fs::write(&path, data).expect("scratch is writable");
    // No variables at all: the loader never reads the process environment.
    let options = k3s::sources::compose::LoadOptions::default();
    let _ = k3s::sources::compose::load_project(&[path], &options);
}

/// A Python file of a serverless project: discover its decorated functions.
pub fn python(data: &[u8]) {
    let dir = scratch().join("fns");
    std::fs::write(dir.join("functions.py"), data).expect("scratch is writable");
    let _ = k3s::sources::python::discover(&dir, Path::new("fns"));
}
