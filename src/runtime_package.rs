//! The k3sfn runtime (`runtime/python/k3sfn/**` and the pins of `runtime/python/requirements.txt`)
//! carried in the binary, byte for byte: the generated Dockerfile writes it into every function
//! image and `k3s fn run` into a local directory. Nothing here reads or changes the files.

/// One file of the package, by its path below the directory that goes on `PYTHONPATH`.
#[derive(Debug, Clone, Copy)]
pub struct RuntimeFile {
    /// `k3sfn/runtime/http.py`.
    pub path: &'static str,
    pub content: &'static str,
}

macro_rules! runtime_files {
    ($($path:literal),+ $(,)?) => {
        /// Every file of the package; a test fails when runtime/python/k3sfn has one more or
        /// one fewer.
        pub const FILES: &[RuntimeFile] = &[$(RuntimeFile {
            path: $path,
            content: include_str!(concat!("../runtime/python/", $path)),
        },)+];
    };
}

runtime_files!(
    "k3sfn/__init__.py",
    "k3sfn/context.py",
    "k3sfn/decorators.json",
    "k3sfn/decorators.py",
    "k3sfn/logs.py",
    "k3sfn/runtime/__init__.py",
    "k3sfn/runtime/__main__.py",
    "k3sfn/runtime/auth.py",
    "k3sfn/runtime/http.py",
    "k3sfn/runtime/invoke.py",
    "k3sfn/runtime/queue.py",
    "k3sfn/runtime/schedule.py",
);

/// `runtime/python/requirements.txt`: the exact versions the runtime is tested with.
pub const REQUIREMENTS: &str = include_str!("../runtime/python/requirements.txt");

/// The requirement lines of [`REQUIREMENTS`] (comments and blank lines left out), markers kept:
/// `starlette==1.10.0`, `async-timeout==5.0.1; python_full_version < "3.11.3"`.
pub fn pins() -> Vec<&'static str> {
    REQUIREMENTS
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .collect()
}

/// The Python modules the runtime imports besides the standard library, as
/// `import` names: what a local Python must have (`k3s fn run` checks them).
pub const IMPORTS: &[&str] = &["starlette", "uvicorn", "redis", "jwt", "cryptography"];

/// A heredoc delimiter that no line of `content` equals: `K3SFN_EOF`, else with a number.
pub fn heredoc_delimiter(content: &str) -> String {
    let taken = |delimiter: &str| content.lines().any(|line| line == delimiter);
    let mut delimiter = "K3SFN_EOF".to_string();
    let mut n = 1;
    while taken(&delimiter) {
        delimiter = format!("K3SFN_EOF_{n}");
        n += 1;
    }
    delimiter
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn package_files(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path: PathBuf = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "__pycache__") {
                    package_files(&path, root, out);
                }
            } else if path.extension().is_some_and(|e| e == "py" || e == "json") {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn every_file_of_the_package_is_carried() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/python");
        let mut on_disk = Vec::new();
        package_files(&root.join("k3sfn"), &root, &mut on_disk);
        on_disk.sort();
        let mut carried: Vec<String> = FILES.iter().map(|f| f.path.to_string()).collect();
        carried.sort();
        assert_eq!(
            carried, on_disk,
            "list every file of runtime/python/k3sfn in src/runtime_package.rs (and nothing else)"
        );
        for file in FILES {
            let disk = std::fs::read_to_string(root.join(file.path)).unwrap();
            assert_eq!(file.content, disk, "{}", file.path);
            // A heredoc gives back its lines each with a newline: the files must end in one.
            assert!(
                file.content.ends_with('\n') && !file.content.contains('\r'),
                "{} must end with a newline and have no CR",
                file.path
            );
        }
    }

    #[test]
    fn pins_are_exact_versions() {
        let pins = pins();
        assert!(pins.contains(&"starlette==1.10.0"), "{pins:?}");
        assert!(pins.iter().all(|p| p.contains("==")), "{pins:?}");
        assert!(pins.iter().all(|p| !p.contains('\'')), "{pins:?}");
    }

    #[test]
    fn delimiters_avoid_lines_of_the_content() {
        assert_eq!(heredoc_delimiter("a\nb\n"), "K3SFN_EOF");
        assert_eq!(heredoc_delimiter("K3SFN_EOF\n"), "K3SFN_EOF_1");
        assert_eq!(heredoc_delimiter("K3SFN_EOF\nK3SFN_EOF_1\n"), "K3SFN_EOF_2");
        assert_eq!(heredoc_delimiter("x K3SFN_EOF\n"), "K3SFN_EOF");
    }
}
