//! Facts about the whole compose project that services are lowered against: who reaches whom
//! (depends_on, environment values, commands, mounted configuration files), which service
//! carries each secret or config, the compose networks of each service, and names that would
//! clash once made DNS labels.

use std::collections::{BTreeMap, BTreeSet};

use super::files::FileKind;
use super::references::{Outgoing, Text, Via, literal};
use super::volumes::{Mount, MountKind};
use crate::config::{ComposeEntry, ComposeService, PodSecurityProfile};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::to_dns_label;
use crate::resolve::Entry;
use crate::sources::compose::ComposeProject;

/// Each service's texts that may name other services: its environment (apps.yaml literals
/// over the compose values), its command and entrypoint, and the configuration files it mounts
/// (their text, as carried in ConfigMaps).
pub(super) fn service_texts(
    project: &ComposeProject,
    settings: &BTreeMap<String, (ComposeService, PodSecurityProfile)>,
    mounts: &BTreeMap<String, Vec<Mount>>,
) -> BTreeMap<String, Vec<Text>> {
    settings
        .iter()
        .map(|(name, (merged, _))| {
            let service = &project.services[name].value;
            let mut environment: BTreeMap<String, (String, Span)> = service
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), (v.value.clone(), v.span)))
                .collect();
            for (key, value) in &merged.environment {
                if let Some(text) = literal(&value.value) {
                    environment.insert(key.clone(), (text.to_string(), value.span));
                }
            }
            let mut texts: Vec<Text> = environment
                .into_iter()
                .map(|(key, (value, span))| Text {
                    via: Via::Environment { key },
                    value,
                    span,
                })
                .collect();
            for argv in [&service.entrypoint, &service.command]
                .into_iter()
                .flatten()
            {
                texts.push(Text {
                    via: Via::Command,
                    value: argv.value.join(" "),
                    span: argv.span,
                });
            }
            for mount in mounts.get(name).into_iter().flatten() {
                if let MountKind::Files { data, .. } = &mount.kind {
                    for (file, text) in data {
                        texts.push(Text {
                            via: Via::File { name: file.clone() },
                            value: text.clone(),
                            span: mount.span,
                        });
                    }
                }
            }
            (name.clone(), texts)
        })
        .collect()
}

/// Each service's outgoing edges: its `depends_on` and its texts.
pub(super) fn service_edges<'a>(
    project: &ComposeProject,
    texts: &'a BTreeMap<String, Vec<Text>>,
) -> Vec<Outgoing<'a>> {
    texts
        .iter()
        .map(|(name, texts)| Outgoing {
            name,
            depends_on: project.services[name]
                .value
                .depends_on
                .iter()
                .map(|(target, dep)| (target.clone(), dep.value.condition, dep.span))
                .collect(),
            texts: texts.clone(),
        })
        .collect()
}

/// (secret or config, name) → the first enabled service (by name) using it, which carries
/// its object.
pub(super) fn file_owners(
    project: &ComposeProject,
    enabled: &BTreeSet<String>,
) -> BTreeMap<(FileKind, String), String> {
    let mut owners = BTreeMap::new();
    for name in enabled {
        let svc = &project.services[name].value;
        for (kind, refs) in [
            (FileKind::Secret, &svc.secrets),
            (FileKind::Config, &svc.configs),
        ] {
            for r in refs {
                owners
                    .entry((kind, r.value.source.clone()))
                    .or_insert_with(|| name.clone());
            }
        }
    }
    owners
}

/// Each enabled service's compose networks (`default` when it lists none).
pub(super) fn networks(
    project: &ComposeProject,
    enabled: &BTreeSet<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    enabled
        .iter()
        .map(|name| {
            let svc = &project.services[name].value;
            let mut networks: BTreeSet<String> = svc.networks.keys().cloned().collect();
            if networks.is_empty() {
                networks.insert("default".to_string());
            }
            (name.clone(), networks)
        })
        .collect()
}

/// Services whose names become the same DNS label (`my_db`, `my-db`) would share a Service;
/// a name that changes is said, since other services must then use the new one.
pub(super) fn check_service_names(
    entry: &Entry<ComposeEntry>,
    project: &ComposeProject,
    enabled: &BTreeSet<String>,
    d: &mut Diagnostics,
) {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for name in enabled {
        let label = to_dns_label(name);
        let span = project.services[name].span;
        let field = format!("{}.services.{name}", entry.field());
        if let Some(other) = seen.insert(label.clone(), name) {
            d.push(
                Diagnostic::error(
                    Code::DuplicateName,
                    format!("services `{other}` and `{name}` would both be reached as `{label}`"),
                )
                .at(span)
                .field(field),
            );
        } else if label != *name {
            d.push(
                Diagnostic::warning(
                    Code::RenamedService,
                    format!("`{name}` is not a valid Kubernetes name; other services reach it as `{label}`"),
                )
                .at(span)
                .field(field),
            );
        }
    }
}
