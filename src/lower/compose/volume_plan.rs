//! The volumes of each service planned against the whole project: apps.yaml volumes over the
//! mounts they match, claims several services share (one PVC, which must allow several nodes),
//! and unique names for pod volumes and objects.

use std::collections::{BTreeMap, BTreeSet};

use super::volumes::{DEFAULT_CLAIM_SIZE, Mount, MountKind};
use crate::config::{
    ComposeEntry, ComposeService, PodSecurityProfile, Quantity, Volume,
    VolumeType as ConfigVolumeType,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::names::{check_dns_label, to_dns_label};
use crate::resolve::Entry;
use crate::workload::{Claim, ConfigMap};
use crate::yaml::Spanned;

/// Unique names within one pod or one entry: `base`, `base-2`, `base-3`…
#[derive(Debug, Default)]
pub struct Names {
    taken: BTreeSet<String>,
}

impl Names {
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_string());
    }

    /// A free valid name built from `base` (`fallback` when `base` is no DNS label).
    pub fn take(&mut self, base: &str, fallback: &str) -> String {
        let base = if check_dns_label(base, 50).is_ok() {
            base
        } else {
            fallback
        };
        let name = (1..)
            .map(|n| {
                if n == 1 {
                    base.to_string()
                } else {
                    format!("{base}-{n}")
                }
            })
            .find(|candidate| !self.taken.contains(candidate))
            .expect("an unused suffix exists");
        self.taken.insert(name.clone());
        name
    }
}

/// What a project-wide claim (a volume several services mount) is made of.
#[derive(Debug, Clone)]
pub struct SharedClaim {
    /// The PersistentVolumeClaim's name: `<entry>-<volume>`.
    pub claim: String,
    /// Services mounting it, sorted; the first one carries the object.
    pub users: Vec<String>,
    /// apps.yaml's settings for it (the first `pvc` volume of that name among the users).
    pub settings: Option<Volume>,
}

/// The apps.yaml volumes for one service's mounts, and the ConfigMaps and claims they need.
#[derive(Default)]
pub struct PlannedVolumes {
    pub volumes: Vec<Volume>,
    pub config_maps: Vec<ConfigMap>,
    /// Project-wide claims this service carries.
    pub claims: Vec<Claim>,
    /// emptyDirs to fill from the image before the container starts.
    pub image_copies: Vec<ImageCopy>,
}

/// An emptyDir (pod volume `volume`) that starts with what the image holds at `path`.
#[derive(Debug, Clone)]
pub struct ImageCopy {
    pub volume: String,
    pub path: String,
}

pub struct PlanInput<'a> {
    pub service: &'a str,
    pub workload: &'a str,
    pub settings: &'a ComposeService,
    pub shared: &'a BTreeMap<String, SharedClaim>,
    /// The Pod Security Standard apps.yaml chose; hostPath needs `privileged`.
    pub profile: PodSecurityProfile,
    /// Where the service's settings are written, for help lines.
    pub place: &'a str,
}

/// apps.yaml volumes win over the mounts they match (by name or mount path): a `pvc` one sets
/// a claim's size, class and access modes, any other type replaces the mount. Volumes that
/// match no mount are added.
pub fn plan_volumes(
    mounts: &[Mount],
    input: &PlanInput<'_>,
    names: &mut Names,
    config_names: &mut Names,
    d: &mut Diagnostics,
) -> PlannedVolumes {
    let overrides = &input.settings.volumes;
    // apps.yaml's names are kept as written wherever they end up in the pod (an added volume,
    // or one replacing a mount), so generated names keep clear of them.
    for o in overrides {
        if o.kind.value != ConfigVolumeType::Pvc || !mounts.iter().any(|m| m.matches(o)) {
            names.reserve(&o.name.value);
        }
    }
    let mut used = vec![false; overrides.len()];
    let mut out = PlannedVolumes::default();
    for mount in mounts {
        let matching = overrides.iter().position(|o| mount.matches(o));
        if let Some(i) = matching {
            used[i] = true;
        }
        let over = matching.map(|i| &overrides[i]);
        let pvc_settings = over.filter(|o| o.kind.value == ConfigVolumeType::Pvc);
        if let Some(replacement) = over.filter(|o| o.kind.value != ConfigVolumeType::Pvc) {
            out.volumes.push(replacement.clone());
            continue;
        }
        let spanned = |text: &str| Spanned::new(text.to_string(), mount.span);
        let base = |kind: ConfigVolumeType, name: String| Volume {
            name: Spanned::new(name, mount.span),
            kind: Spanned::new(kind, mount.span),
            mount_path: spanned(&mount.target),
            read_only: Some(mount.read_only),
            sub_path: mount.sub_path.clone(),
            medium: None,
            size_limit: None,
            size: None,
            storage_class: None,
            access_modes: Vec::new(),
            claim_name: None,
            secret_name: None,
            configmap_name: None,
            path: None,
            items: Vec::new(),
            default_mode: None,
        };
        match &mount.kind {
            MountKind::Claim { key, volume } => {
                let name = names.take(&to_dns_label(volume), "data");
                if let Some(shared) = input.shared.get(key) {
                    out.volumes.push(Volume {
                        claim_name: Some(shared.claim.clone()),
                        ..base(ConfigVolumeType::Pvc, name)
                    });
                    if shared.users.first().map(String::as_str) == Some(input.service) {
                        out.claims.push(shared_claim(shared));
                    }
                    continue;
                }
                let settings = pvc_settings;
                out.volumes.push(Volume {
                    size: Some(
                        settings
                            .and_then(|s| s.size.clone())
                            .unwrap_or_else(|| Spanned::new(default_size(), mount.span)),
                    ),
                    storage_class: settings.and_then(|s| s.storage_class.clone()),
                    access_modes: settings.map(|s| s.access_modes.clone()).unwrap_or_default(),
                    claim_name: settings.and_then(|s| s.claim_name.clone()),
                    ..base(ConfigVolumeType::Pvc, name)
                });
            }
            MountKind::Existing { claim, volume } => {
                let name = names.take(&to_dns_label(volume), "data");
                out.volumes.push(Volume {
                    claim_name: Some(claim.clone()),
                    ..base(ConfigVolumeType::Pvc, name)
                });
            }
            MountKind::EmptyDir { memory, size } => {
                if let Some(settings) = pvc_settings {
                    out.volumes.push(settings.clone());
                    continue;
                }
                let name = names.take(if *memory { "tmpfs" } else { "scratch" }, "scratch");
                out.volumes.push(Volume {
                    medium: memory.then(|| "Memory".to_string()),
                    size_limit: size
                        .map(|s| Spanned::new(super::settings::memory_quantity(s), mount.span)),
                    ..base(ConfigVolumeType::EmptyDir, name)
                });
            }
            MountKind::ImageCopy => {
                if let Some(settings) = pvc_settings {
                    out.volumes.push(settings.clone());
                    continue;
                }
                let base_name = std::path::Path::new(&mount.target)
                    .file_name()
                    .map(|n| to_dns_label(&n.to_string_lossy()))
                    .unwrap_or_default();
                let name = names.take(&base_name, "image-files");
                out.volumes
                    .push(base(ConfigVolumeType::EmptyDir, name.clone()));
                out.image_copies.push(ImageCopy {
                    volume: name,
                    path: mount.target.clone(),
                });
            }
            MountKind::Files {
                base: file_base,
                data,
                file,
            } => {
                if let Some(settings) = pvc_settings {
                    out.volumes.push(settings.clone());
                    continue;
                }
                let name = names.take(file_base, "files");
                let config_map = format!(
                    "{}-{}",
                    input.workload,
                    config_names.take(file_base, "files")
                );
                out.config_maps.push(ConfigMap {
                    name: config_map.clone(),
                    data: data.clone(),
                });
                // A ConfigMap is read-only, whatever the compose file says.
                out.volumes.push(Volume {
                    read_only: Some(true),
                    configmap_name: Some(Spanned::new(config_map, mount.span)),
                    sub_path: file.clone().or_else(|| mount.sub_path.clone()),
                    ..base(ConfigVolumeType::Configmap, name)
                });
            }
            MountKind::HostPath { path } => {
                if let Some(settings) = pvc_settings {
                    out.volumes.push(settings.clone());
                    continue;
                }
                if !host_path_allowed(path, mount, input, d) {
                    continue;
                }
                let name = names.take("host", "host");
                out.volumes.push(Volume {
                    path: Some(Spanned::new(path.clone(), mount.span)),
                    ..base(ConfigVolumeType::HostPath, name)
                });
            }
            MountKind::HomePath { source } => {
                if let Some(settings) = pvc_settings {
                    out.volumes.push(settings.clone());
                    continue;
                }
                refuse_home_path(source, mount, input, d);
            }
            MountKind::Dropped => {
                if let Some(settings) = pvc_settings {
                    out.volumes.push(settings.clone());
                }
            }
        }
    }
    for (o, used) in overrides.iter().zip(used) {
        if !used {
            out.volumes.push(o.clone());
        }
    }
    out
}

/// hostPath needs both `allow_host_path: true` and the privileged standard (the shared
/// volume rules check it again); refused here, the message names the compose line and what to
/// set in apps.yaml.
fn host_path_allowed(
    path: &str,
    mount: &Mount,
    input: &PlanInput<'_>,
    d: &mut Diagnostics,
) -> bool {
    let allowed = input.settings.allow_host_path == Some(true);
    let privileged = input.profile == PodSecurityProfile::Privileged;
    if allowed && privileged {
        return true;
    }
    let missing = match (allowed, privileged) {
        (false, false) => "`allow_host_path: true` and `security: {profile: privileged}`",
        (false, true) => "`allow_host_path: true`",
        _ => {
            "`security: {profile: privileged}` (baseline and restricted pods may not use a host path)"
        }
    };
    d.push(
        Diagnostic::error(
            Code::HostPath,
            format!("`{path}` is a path on the host: refused unless the service allows hostPath"),
        )
        .at(mount.span)
        .field(mount.field.clone())
        .help(format!(
            "set {missing} under `services.{}` {}, or mount a named volume instead",
            input.service, input.place
        )),
    );
    false
}

/// A `~user/…` host path (or `~` without HOME): which directory it names is not known here.
/// The help's replacement volume matches the mount by its path, so following it works.
fn refuse_home_path(source: &str, mount: &Mount, input: &PlanInput<'_>, d: &mut Diagnostics) {
    let target = &mount.target;
    d.push(
        Diagnostic::error(
            Code::HostPath,
            format!("`{source}` is a path in a user's home directory, which cannot be known here (HOME is not set, or `~user` names another user)"),
        )
        .at(mount.span)
        .field(mount.field.clone())
        .help(format!(
            "write the absolute path on the node in the compose file, or replace the mount of `{target}` with `{{name: host, type: hostPath, path: /ABSOLUTE/PATH, mount_path: {target}}}` under `services.{}.volumes` {}, with `allow_host_path: true` and `security: {{profile: privileged}}`",
            input.service, input.place
        )),
    );
}

fn default_size() -> Quantity {
    Quantity::parse(DEFAULT_CLAIM_SIZE).expect("the default size is a quantity")
}

fn shared_claim(shared: &SharedClaim) -> Claim {
    let settings = shared.settings.as_ref();
    let access_modes: Vec<String> = settings
        .map(|s| s.access_modes.iter().map(|m| m.value.clone()).collect())
        .unwrap_or_default();
    Claim {
        name: shared.claim.clone(),
        size: settings
            .and_then(|s| s.size.as_ref().map(|q| q.value.clone()))
            .unwrap_or_else(default_size),
        storage_class: settings.and_then(|s| s.storage_class.clone()),
        access_modes,
    }
}

/// Claims mounted by more than one service: one PVC for all, which must allow several nodes.
pub fn shared_claims(
    entry: &Entry<ComposeEntry>,
    mounts: &BTreeMap<String, Vec<Mount>>,
    settings: &BTreeMap<String, (ComposeService, PodSecurityProfile)>,
    d: &mut Diagnostics,
) -> BTreeMap<String, SharedClaim> {
    let mut users: BTreeMap<String, Vec<(String, &Mount)>> = BTreeMap::new();
    for (service, list) in mounts {
        for mount in list {
            if let MountKind::Claim { key, .. } = &mount.kind {
                let replaced = settings[service]
                    .0
                    .volumes
                    .iter()
                    .any(|v| mount.matches(v) && v.kind.value != ConfigVolumeType::Pvc);
                if !replaced {
                    users
                        .entry(key.clone())
                        .or_default()
                        .push((service.clone(), mount));
                }
            }
        }
    }
    let mut shared = BTreeMap::new();
    for (key, mut list) in users {
        list.dedup_by(|a, b| a.0 == b.0);
        if list.len() < 2 {
            continue;
        }
        let volume = list[0].1.volume_name().unwrap_or("data").to_string();
        let pvc_settings = list.iter().find_map(|(service, mount)| {
            settings[service]
                .0
                .volumes
                .iter()
                .find(|v| mount.matches(v) && v.kind.value == ConfigVolumeType::Pvc)
                .cloned()
        });
        let many = pvc_settings.as_ref().is_some_and(|s| {
            s.access_modes
                .iter()
                .any(|m| m.value == "ReadWriteMany" || m.value == "ReadOnlyMany")
        });
        let names: Vec<String> = list.iter().map(|(s, _)| s.clone()).collect();
        if !many {
            for (service, mount) in &list[1..] {
                d.push(
                    Diagnostic::error(
                        Code::SharedVolume,
                        format!(
                            "volume `{volume}` is mounted by {}: a ReadWriteOnce claim attaches to one node at a time",
                            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" and ")
                        ),
                    )
                    .at(mount.span)
                    .field(format!("{}.services.{service}.volumes", entry.field()))
                    .help(format!(
                        "give it `access_modes: [ReadWriteMany]` (a storage class that supports it) in `services.{service}.volumes` {}, or use one volume per service",
                        super::place(entry)
                    )),
                );
            }
        }
        shared.insert(
            key,
            SharedClaim {
                claim: format!("{}-{}", entry.name.value, to_dns_label(&volume)),
                users: names,
                settings: pvc_settings,
            },
        );
    }
    shared
}
