//! Compose mounts as apps.yaml volumes, which the shared volume rules then lower: named volumes
//! and data directories → claims, tmpfs → emptyDir, project files → ConfigMaps; anonymous
//! volumes never hide the image's content (not mounted, or filled from the image when the root
//! filesystem is read-only).

use std::collections::BTreeMap;

use crate::config::Volume;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::sources::compose::{ComposeProject, Service, VolumeType};
use crate::yaml::Spanned;

use super::bind_mount::bind_mount;

/// Size of a claim apps.yaml gives none for.
pub const DEFAULT_CLAIM_SIZE: &str = "1Gi";

/// The most a ConfigMap holds (the API server's limit).
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

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
    /// A host path in a home directory that cannot be known here (`~user/…`, or `~` without
    /// HOME): refused unless apps.yaml replaces the mount.
    HomePath {
        source: String,
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
