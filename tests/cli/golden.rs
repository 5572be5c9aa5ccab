//! Golden trees: the whole tree `k3s generate` writes for the top-level apps.yaml and for each
//! example, as one reviewed snapshot each, so any change in behaviour shows up as a diff in
//! review. Targeted tests elsewhere assert the rules; these are the safety net.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Generates every environment of `apps_yaml` into a temporary directory, with no variables
/// from the process environment, and returns the tree as one text: each file's path, then its
/// bytes.
fn generated_tree(apps_yaml: &Path) -> String {
    let out = tempfile::tempdir().expect("a temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_k3s"))
        .arg("-f")
        .arg(apps_yaml)
        .arg("generate")
        .arg("--output-dir")
        .arg(out.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(crate::corpus::example_variables(
            apps_yaml.parent().expect("apps.yaml is in a directory"),
        ))
        .current_dir(repository())
        .output()
        .expect("k3s runs");
    assert!(
        output.status.success(),
        "k3s generate failed for {}:\n{}",
        apps_yaml.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut files = Vec::new();
    collect(out.path(), Path::new(""), &mut files);
    files.sort();
    let mut text = String::new();
    for file in files {
        let bytes = std::fs::read(out.path().join(&file)).expect("readable");
        text.push_str(&format!("===== {}\n", file.display()));
        let contents = String::from_utf8(bytes).expect("generated files are UTF-8");
        text.push_str(&without_runtime_bodies(&contents));
    }
    text
}

/// A generated Dockerfile with the body of each heredoc that is a file of runtime/python, byte
/// for byte, replaced by one line naming it (the same dozen files in every Dockerfile would
/// drown the review; lower::function's tests check the bodies). A body that differs stays.
fn without_runtime_bodies(text: &str) -> String {
    let runtime = repository().join("runtime/python");
    let mut out = String::new();
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        out.push_str(line);
        let Some(rest) = line.strip_prefix("COPY <<'") else {
            continue;
        };
        let Some((delimiter, destination)) = rest.trim_end().split_once("' ") else {
            continue;
        };
        let mut body = String::new();
        let mut end = String::new();
        for line in lines.by_ref() {
            if line.trim_end_matches('\n') == delimiter {
                end = line.to_string();
                break;
            }
            body.push_str(line);
        }
        let relative = destination.trim_start_matches("/opt/k3sfn/");
        let on_disk = std::fs::read_to_string(runtime.join(relative)).unwrap_or_default();
        if !on_disk.is_empty() && on_disk == body {
            out.push_str(&format!("<runtime/python/{relative}, verbatim>\n"));
        } else {
            out.push_str(&body);
        }
        out.push_str(&end);
    }
    out
}

fn collect(root: &Path, relative: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root.join(relative)).expect("readable") {
        let entry = entry.expect("readable");
        let path = relative.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            collect(root, &path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn golden_tree_of_the_top_level_apps_yaml() {
    insta::assert_snapshot!("top-level", generated_tree(&repository().join("apps.yaml")));
}

#[test]
fn golden_trees_of_every_example() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repository().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.join("apps.yaml").is_file())
        .collect();
    examples.sort();
    assert!(examples.len() >= 7, "examples found: {examples:?}");
    for example in examples {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, generated_tree(&example.join("apps.yaml")));
    }
}
