//! A throwaway project directory and a way to run `k3s` in it.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Project {
    dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    /// A project with `apps.yaml` holding `text`.
    pub fn with_apps_yaml(text: &str) -> Project {
        Project::new().file("apps.yaml", text)
    }

    pub fn file(self, path: &str, text: &str) -> Project {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
        self
    }

    /// Asserts that `validate` accepts the project.
    pub fn validate_ok(project: Project) {
        project.run(&["validate"]).code(0);
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = Command::new(binary())
            .args(args)
            .current_dir(self.dir.path())
            .envs(env.iter().copied())
            .output()
            .expect("k3s runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Every file below the project directory, relative, sorted.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        collect(self.dir.path(), Path::new(""), &mut out);
        out.sort();
        out
    }
}

/// The binary under test: this build's, or `K3S_TEST_BINARY` (to show a test fails on an
/// older build).
pub fn binary() -> PathBuf {
    std::env::var_os("K3S_TEST_BINARY")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_k3s")), PathBuf::from)
}

fn collect(root: &Path, relative: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(root.join(relative)).unwrap() {
        let entry = entry.unwrap();
        let path = relative.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            collect(root, &path, out);
        } else {
            out.push(path);
        }
    }
}

impl Run {
    /// Asserts the exit code, showing the output when it is wrong.
    pub fn code(&self, expected: i32) -> &Run {
        assert_eq!(
            self.code, expected,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that stderr has a diagnostic at `location` (e.g. `apps.yaml:8:5`) naming
    /// `field` and containing `message`.
    pub fn error_at(&self, location: &str, field: &str, message: &str) -> &Run {
        let line = self
            .stderr
            .lines()
            .find(|l| l.starts_with(&format!("{location}: error: ")))
            .unwrap_or_else(|| panic!("no error at {location} in:\n{}", self.stderr));
        assert!(
            line.contains(&format!("{field}:")),
            "field `{field}` not named in: {line}"
        );
        assert!(line.contains(message), "`{message}` not in: {line}");
        self
    }

    pub fn stderr_contains(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "`{text}` not in stderr:\n{}",
            self.stderr
        );
        self
    }

    pub fn stdout_contains(&self, text: &str) -> &Run {
        assert!(
            self.stdout.contains(text),
            "`{text}` not in stdout:\n{}",
            self.stdout
        );
        self
    }
}

/// Environments most tests use.
pub const ENVS: &str = "version: \"2\"\nenvironments:\n  local: {}\n  gcp: {domain: example.com}\n";

/// `k3s -f FILE generate ARGS… --output-dir TREE` for an example, with only PATH and the
/// example's own variables (as CI runs it); panics naming the file when it fails.
pub fn generate_example(file: &Path, args: &[&str], tree: &Path) {
    let run = Command::new(binary())
        .arg("-f")
        .arg(file)
        .arg("generate")
        .args(args)
        .arg("--output-dir")
        .arg(tree)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(crate::corpus::example_variables(file.parent().unwrap()))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// `kubectl kustomize` on every directory with a kustomization.yaml in `trees`
/// (scripts/kustomize-tree); skipped, said on stderr, when kubectl is not installed.
pub fn kustomize_trees(trees: &[PathBuf]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kustomize-tree");
    let status = Command::new(script).args(trees).status().unwrap();
    if status.code() == Some(77) {
        eprintln!("skipped kubectl kustomize: kubectl is not installed");
        return;
    }
    assert!(status.success(), "kubectl kustomize failed (see stderr)");
}
