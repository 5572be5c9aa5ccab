//! Compose mounts as apps.yaml volumes, which the shared volume rules then lower: named volumes
//! and data directories → claims, tmpfs → emptyDir, project files → ConfigMaps; anonymous
//! volumes never hide the image's content (not mounted, or filled from the image when the root
//! filesystem is read-only).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::config::Volume;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::{to_data_key, to_dns_label};
use crate::sources::compose::{ComposeProject, Service, VolumeType};
use crate::yaml::Spanned;

/// Size of a claim apps.yaml gives none for.
pub const DEFAULT_CLAIM_SIZE: &str = "1Gi";

/// The most a ConfigMap holds (the API server's limit).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

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

/// What a compose mount becomes, decided once per mount.
#[derive(Debug, Clone)]
pub enum MountKind {
    /// Persistent data: a named volume, or a project directory that Docker would create or that
    /// holds data. `key` identifies it across services; `volume` names it.
    Claim {
        key: String,
        volume: String,
    },
    /// An `external: true` named volume: an existing claim of that name.
    Existing {
        claim: String,
        volume: String,
    },
    EmptyDir {
        memory: bool,
        size: Option<u64>,
    },
    /// An anonymous volume over a read-only root filesystem: an emptyDir that an init container
    /// fills with what the image holds at the path (Docker copies it into a new volume), so
    /// the path stays writable and keeps its content.
    ImageCopy,
    /// Project files carried in a ConfigMap; `file` is the key of a single mounted file.
    Files {
        base: String,
        data: BTreeMap<String, String>,
        file: Option<String>,
    },
    HostPath {
        path: String,
    },
    /// Not converted; already reported.
    Dropped,
}

#[derive(Debug, Clone)]
pub struct Mount {
    /// Where the mount is written: `compose.<entry>.services.<svc>.volumes[2]`, `….tmpfs`.
    pub field: String,
    pub target: String,
    pub read_only: bool,
    pub sub_path: Option<String>,
    pub span: Span,
    pub kind: MountKind,
}

impl Mount {
    /// The compose volume name or derived name an apps.yaml volume matches by.
    pub fn volume_name(&self) -> Option<&str> {
        match &self.kind {
            MountKind::Claim { volume, .. } | MountKind::Existing { volume, .. } => Some(volume),
            _ => None,
        }
    }

    /// Whether apps.yaml's volume `v` is about this mount: same volume name or mount path.
    pub fn matches(&self, v: &Volume) -> bool {
        self.volume_name() == Some(v.name.value.as_str()) || v.mount_path.value == self.target
    }
}

/// What classifying a service's mounts needs beyond the service itself.
pub struct MountInput<'a> {
    pub service_name: &'a str,
    pub project: &'a ComposeProject,
    /// `compose.<entry>.services.<svc>`.
    pub field: &'a str,
    /// Where the service's settings are written ("under compose entry `x` in apps.yaml").
    pub place: &'a str,
    /// The container's root filesystem is read-only (compose `read_only`, or the settings'
    /// security context): anonymous volumes must then stay writable.
    pub read_only_root: bool,
}

/// Every mount of a service (see [`classify_service_mounts`]), for callers whose messages are
/// not shown: help lines name apps.yaml.
pub fn classify_mounts(
    service_name: &str,
    service: &Spanned<Service>,
    project: &ComposeProject,
    field: &str,
    d: &mut Diagnostics,
) -> Vec<Mount> {
    let input = MountInput {
        service_name,
        project,
        field,
        place: "in apps.yaml",
        read_only_root: service.value.read_only == Some(true),
    };
    classify_service_mounts(service, &input, d)
}

/// Every mount of a service: `volumes`, `tmpfs`, and `shm_size` (a memory emptyDir at
/// `/dev/shm`).
pub fn classify_service_mounts(
    service: &Spanned<Service>,
    input: &MountInput<'_>,
    d: &mut Diagnostics,
) -> Vec<Mount> {
    let svc = &service.value;
    let mut mounts = Vec::new();
    for (index, volume) in svc.volumes.iter().enumerate() {
        let v = &volume.value;
        let field = format!("{}.volumes[{index}]", input.field);
        let kind = match (v.kind, &v.source) {
            (VolumeType::Volume, Some(name)) => named_volume(name, input, volume.span, &field, d),
            (VolumeType::Volume, None) => {
                anonymous_volume(&v.target, input, volume.span, &field, d)
            }
            (VolumeType::Tmpfs, _) => MountKind::EmptyDir {
                memory: true,
                size: v.tmpfs.as_ref().and_then(|t| t.size),
            },
            (VolumeType::Bind, Some(source)) => {
                bind_mount(svc, source, &v.target, input, volume.span, &field, d)
            }
            (VolumeType::Bind, None) => MountKind::Dropped,
            (other, _) => {
                d.push(
                    Diagnostic::warning(
                        Code::UnsupportedVolume,
                        format!(
                            "a `{}` mount has no Kubernetes equivalent here; `{}` is not mounted",
                            volume_type_name(other),
                            v.target
                        ),
                    )
                    .at(volume.span)
                    .field(field.clone()),
                );
                MountKind::Dropped
            }
        };
        mounts.push(Mount {
            field,
            target: v.target.clone(),
            read_only: v.read_only,
            sub_path: v.volume.as_ref().and_then(|o| o.subpath.clone()),
            span: volume.span,
            kind,
        });
    }
    for entry in &svc.tmpfs {
        let (target, options) = entry.split_once(':').unwrap_or((entry, ""));
        let size = options
            .split(',')
            .find_map(|o| o.strip_prefix("size="))
            .and_then(|s| crate::sources::compose::parse_bytes(s).ok());
        mounts.push(Mount {
            field: format!("{}.tmpfs", input.field),
            target: target.to_string(),
            read_only: false,
            sub_path: None,
            span: service.span,
            kind: MountKind::EmptyDir { memory: true, size },
        });
    }
    if let Some(size) = svc.shm_size {
        mounts.push(Mount {
            field: format!("{}.shm_size", input.field),
            target: "/dev/shm".to_string(),
            read_only: false,
            sub_path: None,
            span: service.span,
            kind: MountKind::EmptyDir {
                memory: true,
                size: Some(size),
            },
        });
    }
    mounts
}

/// An anonymous volume (`volumes: [/app/node_modules]`). Docker fills a new one with what the
/// image holds at the path, so an empty emptyDir there would hide the image's content. With a
/// writable root filesystem it is not mounted at all (the container sees and writes the
/// image's files, as under Docker; what it writes is lost with the pod, as when Docker
/// recreates the container). With a read-only root filesystem the path must stay writable:
/// an emptyDir filled from the image by an init container.
fn anonymous_volume(
    target: &str,
    input: &MountInput<'_>,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> MountKind {
    if input.read_only_root {
        return MountKind::ImageCopy;
    }
    d.push(
        Diagnostic::warning(
            Code::AnonymousVolume,
            format!(
                "`{target}` is an anonymous volume: it is not mounted, so the container keeps the image's own content there (an empty volume would hide it)"
            ),
        )
        .at(span)
        .field(field.to_string())
        .help(format!(
            "what the service writes there is lost when the pod is replaced; to keep it, mount a named volume, or give a `pvc` volume with `mount_path: {target}` under `services.{}.volumes` {}",
            input.service_name, input.place
        )),
    );
    MountKind::Dropped
}

fn volume_type_name(kind: VolumeType) -> &'static str {
    match kind {
        VolumeType::Volume => "volume",
        VolumeType::Bind => "bind",
        VolumeType::Tmpfs => "tmpfs",
        VolumeType::Npipe => "npipe",
        VolumeType::Image => "image",
        VolumeType::Cluster => "cluster",
    }
}

fn named_volume(
    name: &str,
    input: &MountInput<'_>,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> MountKind {
    let definition = input.project.volumes.get(name).cloned().unwrap_or_default();
    if definition.external == Some(true) {
        return MountKind::Existing {
            claim: definition.name.clone().unwrap_or_else(|| name.to_string()),
            volume: name.to_string(),
        };
    }
    if definition.driver.is_some() || !definition.driver_opts.is_empty() {
        d.push(
            Diagnostic::warning(
                Code::DockerOnly,
                format!("volume `{name}`: driver and driver_opts are Docker's; it becomes a claim of the cluster's storage class"),
            )
            .at(span)
            .field(field.to_string())
            .help(format!(
                "set `storage_class` for it under `services.{}.volumes` {}",
                input.service_name, input.place
            )),
        );
    }
    MountKind::Claim {
        key: format!("volume:{name}"),
        volume: name.to_string(),
    }
}

/// A bind mount, by what its source is (see the module docs of `lower::compose`).
fn bind_mount(
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
        // The loader expands `~` and `~/…` with HOME; what is left is unknown here.
        d.push(
            Diagnostic::error(
                Code::HostPath,
                format!("`{source}` is a path in a user's home directory, which cannot be known here (HOME is not set, or `~user` names another user)"),
            )
            .at(span)
            .field(field.to_string())
            .help(format!(
                "write the absolute path on the node in the compose file, or replace the mount of `{target}` with `{{name: host, type: hostPath, path: /ABSOLUTE/PATH, mount_path: {target}}}` under `services.{service_name}.volumes` {place}, with `allow_host_path: true` and `security: {{profile: privileged}}`"
            )),
        );
        return MountKind::Dropped;
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
