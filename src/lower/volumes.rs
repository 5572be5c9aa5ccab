//! `volumes:` to pod volumes, mounts and claims. A claim is a standalone PVC for a Deployment or
//! a volumeClaimTemplate for a StatefulSet; hostPath needs both `allow_host_path` and the
//! privileged standard, since baseline and restricted pods may not use it.

use std::collections::BTreeSet;

use crate::config::{PodSecurityProfile, Volume as VolumeSettings, VolumeType};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::{NameProblem, check_dns_label};
use crate::workload::{Claim, Volume, VolumeMount, VolumeSource};

const ACCESS_MODES: &[&str] = &[
    "ReadWriteOnce",
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOncePod",
];

#[derive(Default)]
pub struct LoweredVolumes {
    pub volumes: Vec<Volume>,
    pub mounts: Vec<VolumeMount>,
    pub claims: Vec<Claim>,
}

impl LoweredVolumes {
    /// Whether a claim can be attached to one node only (a rollout must stop the old pod).
    pub fn has_single_node_claim(&self) -> bool {
        self.claims.iter().any(|c| {
            c.access_modes
                .iter()
                .any(|m| m == "ReadWriteOnce" || m == "ReadWriteOncePod")
        })
    }
}

pub struct VolumeOptions<'a> {
    pub workload: &'a str,
    /// Claims become volumeClaimTemplates (StatefulSet) instead of PVC objects.
    pub stateful: bool,
    pub allow_host_path: bool,
    pub profile: PodSecurityProfile,
    pub field: &'a str,
}

pub fn lower_volumes(
    settings: &[VolumeSettings],
    options: &VolumeOptions<'_>,
    d: &mut Diagnostics,
) -> LoweredVolumes {
    let mut out = LoweredVolumes::default();
    let mut names = BTreeSet::new();
    for (index, v) in settings.iter().enumerate() {
        let field = format!("{}.volumes[{index}]", options.field);
        let name = v.name.value.clone();
        if let Err(problem) = check_dns_label(&name, 63) {
            d.push(bad_name(&name, &problem, v.name.span, &field));
            continue;
        }
        if !names.insert(name.clone()) {
            d.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("volume `{name}` is declared twice"),
                )
                .at(v.name.span)
                .field(format!("{field}.name")),
            );
            continue;
        }
        if !v.mount_path.value.starts_with('/') {
            d.push(
                Diagnostic::error(
                    Code::BadPath,
                    format!(
                        "mount_path `{}` must be an absolute path",
                        v.mount_path.value
                    ),
                )
                .at(v.mount_path.span)
                .field(format!("{field}.mount_path")),
            );
        }
        let source = match v.kind.value {
            VolumeType::EmptyDir => Some(VolumeSource::EmptyDir {
                medium: v.medium.clone().filter(|m| !m.is_empty()),
                size_limit: v.size_limit.as_ref().map(|s| s.value.clone()),
            }),
            VolumeType::Pvc => lower_claim(v, options, &field, &mut out, d),
            VolumeType::Secret => match &v.secret_name {
                Some(secret) => Some(VolumeSource::Secret {
                    secret_name: secret.value.clone(),
                    items: items(v),
                    default_mode: default_mode(v, &field, d),
                }),
                None => {
                    d.push(needs(&field, "secret_name", "type: secret", v.kind.span));
                    None
                }
            },
            VolumeType::Configmap => match &v.configmap_name {
                Some(configmap) => Some(VolumeSource::ConfigMap {
                    name: configmap.value.clone(),
                    items: items(v),
                    default_mode: default_mode(v, &field, d),
                }),
                None => {
                    d.push(needs(
                        &field,
                        "configmap_name",
                        "type: configmap",
                        v.kind.span,
                    ));
                    None
                }
            },
            VolumeType::HostPath => lower_host_path(v, options, &field, d),
        };
        let mount = VolumeMount {
            name: name.clone(),
            mount_path: v.mount_path.value.clone(),
            read_only: v.read_only.unwrap_or(false),
            sub_path: v.sub_path.clone(),
        };
        match source {
            Some(source) => {
                out.volumes.push(Volume { name, source });
                out.mounts.push(mount);
            }
            // A StatefulSet claim template is mounted by name without a pod volume.
            None if options.stateful && v.kind.value == VolumeType::Pvc => out.mounts.push(mount),
            None => {}
        }
    }
    out
}

fn lower_claim(
    v: &VolumeSettings,
    options: &VolumeOptions<'_>,
    field: &str,
    out: &mut LoweredVolumes,
    d: &mut Diagnostics,
) -> Option<VolumeSource> {
    if let Some(existing) = &v.claim_name {
        return Some(VolumeSource::Claim {
            claim_name: existing.clone(),
            read_only: v.read_only.unwrap_or(false),
        });
    }
    let Some(size) = &v.size else {
        d.push(
            Diagnostic::error(
                Code::MissingKey,
                "a `pvc` volume needs `size` (or `claim_name` of an existing claim)",
            )
            .at(v.kind.span)
            .field(field.to_string()),
        );
        return None;
    };
    let mut access_modes = Vec::new();
    for mode in &v.access_modes {
        if ACCESS_MODES.contains(&mode.value.as_str()) {
            access_modes.push(mode.value.clone());
        } else {
            d.push(
                Diagnostic::error(
                    Code::BadValue,
                    format!(
                        "unknown access mode `{}`, expected one of: {}",
                        mode.value,
                        ACCESS_MODES.join(", ")
                    ),
                )
                .at(mode.span)
                .field(format!("{field}.access_modes")),
            );
        }
    }
    if access_modes.is_empty() {
        access_modes.push("ReadWriteOnce".to_string());
    }
    let claim_name = if options.stateful {
        v.name.value.clone()
    } else {
        format!("{}-{}", options.workload, v.name.value)
    };
    if let Err(problem) = check_dns_label(&claim_name, 63) {
        d.push(
            Diagnostic::error(
                problem.code(),
                format!("claim name `{claim_name}` {problem}"),
            )
            .at(v.name.span)
            .field(format!("{field}.name")),
        );
    }
    out.claims.push(Claim {
        name: claim_name.clone(),
        size: size.value.clone(),
        storage_class: v.storage_class.clone(),
        access_modes,
    });
    (!options.stateful).then(|| VolumeSource::Claim {
        claim_name,
        read_only: v.read_only.unwrap_or(false),
    })
}

fn lower_host_path(
    v: &VolumeSettings,
    options: &VolumeOptions<'_>,
    field: &str,
    d: &mut Diagnostics,
) -> Option<VolumeSource> {
    if !options.allow_host_path {
        d.push(
            Diagnostic::error(
                Code::HostPath,
                "hostPath volumes are refused unless the entry sets `allow_host_path: true`",
            )
            .at(v.kind.span)
            .field(field.to_string())
            .help("a hostPath ties the pod to one node's disk; prefer a `pvc` volume"),
        );
        return None;
    }
    if options.profile != PodSecurityProfile::Privileged {
        d.push(
            Diagnostic::error(Code::SecurityProfile, "hostPath volumes are not allowed under the baseline or restricted Pod Security Standard")
                .at(v.kind.span)
                .field(field.to_string())
                .help("set `security.profile: privileged` on this entry to use one"),
        );
        return None;
    }
    match &v.path {
        Some(path) if path.value.starts_with('/') => Some(VolumeSource::HostPath {
            path: path.value.clone(),
        }),
        _ => {
            d.push(needs(
                field,
                "path (absolute)",
                "type: hostPath",
                v.kind.span,
            ));
            None
        }
    }
}

fn items(v: &VolumeSettings) -> Vec<(String, String)> {
    v.items
        .iter()
        .map(|i| (i.key.clone(), i.path.clone()))
        .collect()
}

/// `0440` (octal, as in chmod) or `288` (decimal).
fn default_mode(v: &VolumeSettings, field: &str, d: &mut Diagnostics) -> Option<i32> {
    let text = v.default_mode.as_ref()?;
    let value = text.value.strip_prefix("0o").map_or_else(
        || {
            if text.value.len() > 1 && text.value.starts_with('0') {
                i32::from_str_radix(&text.value[1..], 8).ok()
            } else {
                text.value.parse().ok()
            }
        },
        |octal| i32::from_str_radix(octal, 8).ok(),
    );
    match value {
        Some(mode) if (0..=0o777).contains(&mode) => Some(mode),
        _ => {
            d.push(
                Diagnostic::error(
                    Code::BadValue,
                    format!("invalid file mode `{}` (expected e.g. 0440)", text.value),
                )
                .at(text.span)
                .field(format!("{field}.default_mode")),
            );
            None
        }
    }
}

fn needs(field: &str, key: &str, because: &str, span: Span) -> Diagnostic {
    Diagnostic::error(Code::MissingKey, format!("`{because}` needs `{key}`"))
        .at(span)
        .field(field.to_string())
}

fn bad_name(name: &str, problem: &NameProblem, span: Span, field: &str) -> Diagnostic {
    Diagnostic::error(problem.code(), format!("volume name `{name}` {problem}"))
        .at(span)
        .field(format!("{field}.name"))
}
