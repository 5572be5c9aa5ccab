//! Bind mounts of a compose service, by what their source is: project files carried in a
//! ConfigMap, a source-code mount that only makes sense in development, a data directory
//! (a claim), or a host path.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::{to_data_key, to_dns_label};
use crate::sources::compose::Service;

use super::volumes::{MAX_CONFIG_BYTES, MountInput, MountKind};

/// Directory entries looked at before a bind-mounted directory counts as data.
const MAX_SCAN_ENTRIES: usize = 10_000;

/// File extensions that mark a bind mount as source code (a dev-only mount over the image's code).
const SOURCE_EXTENSIONS: &[&str] = &[
    "py", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "rs", "java", "kt", "rb", "php", "c", "h",
    "cc", "cpp", "hpp", "cs", "swift", "scala", "ex", "exs", "erl", "vue", "svelte", "dart",
];

/// Files and directories that mark a project directory as source code.
const SOURCE_MARKERS: &[&str] = &[
    ".git",
    "node_modules",
    "__pycache__",
    ".venv",
    "package.json",
    "go.mod",
    "Cargo.toml",
    "pyproject.toml",
    "requirements.txt",
    "setup.py",
    "Gemfile",
    "pom.xml",
    "build.gradle",
    "composer.json",
    "mix.exs",
    "Dockerfile",
];

/// Placeholder files that keep an otherwise empty directory in git.
const PLACEHOLDERS: &[&str] = &[".gitkeep", ".keep", ".gitignore"];

/// A bind mount, by what its source is (see the module docs of `lower::compose`).
pub(super) fn bind_mount(
    svc: &Service,
    source: &str,
    target: &str,
    input: &MountInput<'_>,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> MountKind {
    let (service_name, project, place) = (input.service_name, input.project, input.place);
    if source.starts_with('~') {
        // The loader expands `~` and `~/…` with HOME; what is left is unknown here, and refused
        // unless apps.yaml replaces the mount (volume_plan.rs).
        return MountKind::HomePath {
            source: source.to_string(),
        };
    }
    if Path::new(source).is_absolute() {
        return MountKind::HostPath {
            path: source.to_string(),
        };
    }
    let root = project
        .project_dir
        .canonicalize()
        .unwrap_or_else(|_| project.project_dir.clone());
    let path = normalize(&root.join(source));
    let path = path.canonicalize().unwrap_or(path);
    if !path.starts_with(&root) {
        d.push(
            Diagnostic::warning(
                Code::BindMount,
                format!(
                    "`{source}` lies outside the project directory: it can only be a host path"
                ),
            )
            .at(span)
            .field(field.to_string()),
        );
        return MountKind::HostPath {
            path: path.to_string_lossy().into_owned(),
        };
    }
    let relative = path
        .strip_prefix(&root)
        .unwrap_or(&path)
        .to_string_lossy()
        .replace('\\', "/");
    let volume = Path::new(&relative)
        .file_name()
        .map(|n| to_dns_label(&n.to_string_lossy()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "data".to_string());
    let claim = |d: &mut Diagnostics, why: &str| {
        d.push(
            Diagnostic::warning(Code::BindMountClaim, format!("`{source}` {why}; it becomes a volume claim, like a named volume"))
                .at(span)
                .field(field.to_string())
                .help(format!("its current content (if any) is not copied; set its size under `services.{service_name}.volumes` {place}")),
        );
        MountKind::Claim {
            key: format!("bind:{relative}"),
            volume: volume.clone(),
        }
    };
    let dropped = |d: &mut Diagnostics, why: String| {
        d.push(
            Diagnostic::warning(
                Code::SourceMount,
                format!("`{source}` is {why}: a development mount, dropped — the image must contain it"),
            )
            .at(span)
            .field(field.to_string())
            .help(format!("to keep it, replace the mount of `{target}` under `services.{service_name}.volumes` {place}")),
        );
        MountKind::Dropped
    };
    if !path.exists() {
        return claim(d, "does not exist (Docker would create an empty directory)");
    }
    if let Some(context) = build_context(svc, &root)
        && (context == path || context.starts_with(&path))
    {
        return dropped(d, "the service's build context".to_string());
    }
    if path.is_file() {
        if is_source_file(&path) {
            return dropped(d, "a source file".to_string());
        }
        return match read_config_file(&path) {
            Ok(text) => {
                let key = config_key(&path);
                MountKind::Files {
                    base: to_dns_label(&key),
                    data: BTreeMap::from([(key.clone(), text)]),
                    file: Some(key),
                }
            }
            Err(problem) => {
                d.push(
                    Diagnostic::error(Code::BindMount, format!("`{source}` {problem}"))
                        .at(span)
                        .field(field.to_string())
                        .help(format!("bake it into the image, or replace the mount of `{target}` under `services.{service_name}.volumes` {place}")),
                );
                MountKind::Dropped
            }
        };
    }
    let scan = scan_directory(&path);
    if let Some(why) = scan.source {
        return dropped(d, format!("source code ({why})"));
    }
    let files: Vec<&(String, PathBuf, u64)> = scan
        .files
        .iter()
        .filter(|(name, _, _)| !PLACEHOLDERS.contains(&name.as_str()))
        .collect();
    if files.is_empty() && !scan.subdirectories {
        return claim(d, "is an empty directory (data the service writes)");
    }
    let flat_and_small = !scan.subdirectories && !scan.truncated && scan.total <= MAX_CONFIG_BYTES;
    if flat_and_small {
        let mut data = BTreeMap::new();
        for (name, file, _) in &files {
            match read_config_file(file) {
                Ok(text) if crate::lower::env_objects::is_object_key(name) => {
                    data.insert(name.clone(), text);
                }
                _ => {
                    data.clear();
                    break;
                }
            }
        }
        if !data.is_empty() {
            return MountKind::Files {
                base: volume,
                data,
                file: None,
            };
        }
    }
    claim(
        d,
        "holds data (subdirectories, binary files or more than 1 MiB)",
    )
}

/// `a/./b/../c` → `a/c`, without touching the disk.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn build_context(svc: &Service, root: &Path) -> Option<PathBuf> {
    let context = svc
        .build
        .as_ref()?
        .context
        .as_ref()
        .map_or(".", |c| c.value.as_str());
    if context.contains("://") {
        return None;
    }
    let path = normalize(&root.join(context));
    Some(path.canonicalize().unwrap_or(path))
}

fn is_source_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    SOURCE_MARKERS.contains(&name.as_str())
        || path
            .extension()
            .is_some_and(|e| SOURCE_EXTENSIONS.contains(&e.to_string_lossy().as_ref()))
}

/// A file's name as a ConfigMap key (other characters become `-`).
fn config_key(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    to_data_key(&name, "file")
}

/// A text file small enough for a ConfigMap.
fn read_config_file(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot be read: {e}"))?
        .len();
    if size > MAX_CONFIG_BYTES {
        return Err(format!("is {size} bytes; a ConfigMap holds at most 1 MiB"));
    }
    crate::reads::record(path);
    let bytes = std::fs::read(path).map_err(|e| format!("cannot be read: {e}"))?;
    String::from_utf8(bytes)
        .map_err(|_| "is a binary file; ConfigMaps are made of text here".to_string())
}

#[derive(Default)]
struct Scan {
    /// Regular files directly in the directory: name, path, size.
    files: Vec<(String, PathBuf, u64)>,
    subdirectories: bool,
    total: u64,
    /// Why this is source code, if it is.
    source: Option<String>,
    /// The walk stopped early (too many entries).
    truncated: bool,
}

fn scan_directory(dir: &Path) -> Scan {
    let mut scan = Scan::default();
    let mut pending = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(current) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            seen += 1;
            if seen > MAX_SCAN_ENTRIES {
                scan.truncated = true;
                return scan;
            }
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if SOURCE_MARKERS.contains(&name.as_str()) {
                scan.source = Some(format!("it contains `{name}`"));
                return scan;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                scan.subdirectories = true;
                pending.push(path);
            } else if kind.is_file() {
                if is_source_file(&path) {
                    scan.source = Some(format!("it contains `{name}`"));
                    return scan;
                }
                let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
                scan.total += size;
                if current == dir {
                    scan.files.push((name, path, size));
                }
            }
        }
    }
    scan
}
