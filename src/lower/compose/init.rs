//! What converting a project needs a person to decide — claim sizes, ports that were inferred
//! or are missing, host paths, built images — for `k3s compose init` to pre-fill.

use std::collections::{BTreeMap, BTreeSet};

use super::ports::service_ports;
use super::references::{Edges, Via, references};
use super::volumes::{DEFAULT_CLAIM_SIZE, MountKind, classify_mounts};
use crate::diagnostic::Diagnostics;
use crate::names::to_dns_label;
use crate::sources::compose::{ComposeProject, Condition};

/// One claim to size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VolumeHint {
    pub name: String,
    pub mount_path: String,
    pub size: String,
    /// Mounted by several services: needs `ReadWriteMany`.
    pub shared: bool,
}

/// What one service's `services.<svc>` block should start with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceHints {
    pub service: String,
    /// Services that reach this one (for comments).
    pub reached_by: Vec<String>,
    /// A port taken from the image's well-known one.
    pub inferred_port: Option<u16>,
    /// Reached by others, but no port is known.
    pub missing_port: bool,
    pub volumes: Vec<VolumeHint>,
    /// Absolute bind mounts (refused unless `allow_host_path`): source → target.
    pub host_paths: Vec<(String, String)>,
    /// Built here, with no `image`.
    pub build_only: bool,
    /// Runs to completion (another service waits for it to finish).
    pub one_shot: bool,
}

impl ServiceHints {
    pub fn is_empty(&self) -> bool {
        self.inferred_port.is_none()
            && !self.missing_port
            && self.volumes.is_empty()
            && self.host_paths.is_empty()
            && !self.build_only
            && !self.one_shot
    }
}

/// Hints for every service of the project that needs one, by service name.
pub fn init_hints(project: &ComposeProject) -> Vec<ServiceHints> {
    let mut scratch = Diagnostics::new();
    let names: BTreeSet<String> = project.services.keys().cloned().collect();
    let edges: Vec<Edges<'_>> = project
        .services
        .iter()
        .map(|(name, service)| Edges {
            name,
            depends_on: service
                .value
                .depends_on
                .iter()
                .map(|(t, dep)| (t.clone(), dep.value.condition, dep.span))
                .collect(),
            environment: service
                .value
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.value.clone(), v.span))
                .collect(),
        })
        .collect();
    let reached = references(&edges, &names);
    let mut claim_users: BTreeMap<String, usize> = BTreeMap::new();
    let mounts: BTreeMap<&String, _> = project
        .services
        .iter()
        .map(|(name, service)| {
            let mounts = classify_mounts(name, service, project, name, &mut scratch);
            for mount in &mounts {
                if let MountKind::Claim { key, .. } = &mount.kind {
                    *claim_users.entry(key.clone()).or_default() += 1;
                }
            }
            (name, mounts)
        })
        .collect();
    let mut out = Vec::new();
    for (name, service) in &project.services {
        let svc = &service.value;
        let refs = reached.get(name).cloned().unwrap_or_default();
        let one_shot = refs
            .iter()
            .any(|r| r.via == Via::DependsOn(Condition::ServiceCompletedSuccessfully));
        let needed = refs
            .iter()
            .any(|r| r.via != Via::DependsOn(Condition::ServiceCompletedSuccessfully));
        let wanted = needed && !one_shot;
        let ports = service_ports(
            service,
            &[],
            svc.image
                .as_ref()
                .map(|i| i.value.as_str())
                .filter(|_| wanted),
            name,
            &mut scratch,
        );
        let mut reached_by: Vec<String> = refs.iter().map(|r| r.from.clone()).collect();
        reached_by.dedup();
        let mut hints = ServiceHints {
            service: name.clone(),
            reached_by,
            inferred_port: ports.inferred,
            missing_port: wanted && ports.container.is_empty(),
            build_only: svc.image.is_none() && svc.build.is_some(),
            one_shot,
            ..ServiceHints::default()
        };
        for mount in &mounts[name] {
            match &mount.kind {
                MountKind::Claim { key, volume } => hints.volumes.push(VolumeHint {
                    name: to_dns_label(volume),
                    mount_path: mount.target.clone(),
                    size: DEFAULT_CLAIM_SIZE.to_string(),
                    shared: claim_users.get(key).copied().unwrap_or(0) > 1,
                }),
                MountKind::HostPath { path } => {
                    hints.host_paths.push((path.clone(), mount.target.clone()));
                }
                _ => {}
            }
        }
        if !hints.is_empty() {
            out.push(hints);
        }
    }
    out
}
