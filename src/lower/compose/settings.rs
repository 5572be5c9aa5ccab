//! One service's settings as a single `ComposeService`: `services.<svc>` over `defaults` over the
//! entry's `security`, over what the compose file says (converted to the same types).

use std::collections::BTreeMap;

use crate::config::{
    AntiAffinity, Capabilities, ComposeEntry, ComposeService, ContainerSecurityContext, Gpu,
    PodSecurityContext, PodSecurityProfile, Quantity, Resources, Security, SimpleAntiAffinity,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::sources::compose::Service;
use crate::yaml::Spanned;

/// The settings apps.yaml gives one service: `services.<svc>` over `defaults` over the entry's
/// `security` (no compose file involved).
pub fn apps_yaml_settings(entry: &ComposeEntry, service: &str) -> ComposeService {
    let entry_wide = folded(&ComposeService {
        security: entry.security.clone(),
        visibility: entry.visibility.clone(),
        network_policy: entry.network_policy.clone(),
        ..ComposeService::default()
    });
    let defaults = folded(&entry.defaults.clone().unwrap_or_default());
    let mut merged = layer(&defaults, &entry_wide);
    if let Some(own) = entry.services.get(service) {
        merged = layer(&folded(own), &merged);
    }
    merged
}

/// `visibility:` and `network_policy:` are shorthands for `security.visibility` and
/// `security.network_policy`. apps.yaml entries come folded already (resolve reports both
/// forms given); a `compose convert --settings` file is folded here, `security:` winning.
fn folded(settings: &ComposeService) -> ComposeService {
    let mut out = settings.clone();
    let (visibility, policy) = (out.visibility.take(), out.network_policy.take());
    if visibility.is_some() || policy.is_some() {
        let security = out.security.get_or_insert_with(Security::default);
        if security.visibility.is_none() {
            security.visibility = visibility;
        }
        if security.network_policy.is_none() {
            security.network_policy = policy;
        }
    }
    out
}

/// `over` wins field by field. Maps (`environment`, annotations) merge key by key, `volumes`
/// merge by name, `security` and `resources` field by field; everything else is replaced whole.
pub fn layer(over: &ComposeService, under: &ComposeService) -> ComposeService {
    fn pick<T: Clone>(over: &Option<T>, under: &Option<T>) -> Option<T> {
        over.clone().or_else(|| under.clone())
    }
    let mut environment = under.environment.clone();
    environment.extend(over.environment.clone());
    let mut volumes = over.volumes.clone();
    volumes.extend(
        under
            .volumes
            .iter()
            .filter(|u| !over.volumes.iter().any(|o| o.name.value == u.name.value))
            .cloned(),
    );
    ComposeService {
        enabled: over.enabled.or(under.enabled),
        kind: pick(&over.kind, &under.kind),
        job: pick(&over.job, &under.job),
        image: pick(&over.image, &under.image),
        replicas: pick(&over.replicas, &under.replicas),
        resources: merge_with(&over.resources, &under.resources, merge_resources),
        scaling: pick(&over.scaling, &under.scaling),
        probes: pick(&over.probes, &under.probes),
        ingress: pick(&over.ingress, &under.ingress),
        service: pick(&over.service, &under.service),
        security: merge_with(&over.security, &under.security, merge_security),
        visibility: pick(&over.visibility, &under.visibility),
        network_policy: pick(&over.network_policy, &under.network_policy),
        environment,
        volumes,
        allow_host_path: over.allow_host_path.or(under.allow_host_path),
        expose: if over.expose.is_empty() {
            under.expose.clone()
        } else {
            over.expose.clone()
        },
        pod_disruption_budget: pick(&over.pod_disruption_budget, &under.pod_disruption_budget),
        anti_affinity: over
            .anti_affinity
            .clone()
            .or_else(|| under.anti_affinity.clone()),
        strategy: pick(&over.strategy, &under.strategy),
        node_selector: under
            .node_selector
            .iter()
            .chain(&over.node_selector)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        tolerations: if over.tolerations.is_empty() {
            under.tolerations.clone()
        } else {
            over.tolerations.clone()
        },
        affinity: pick(&over.affinity, &under.affinity),
        priority_class_name: pick(&over.priority_class_name, &under.priority_class_name),
    }
}

fn merge_with<T: Clone>(
    over: &Option<T>,
    under: &Option<T>,
    merge: impl Fn(&T, &T) -> T,
) -> Option<T> {
    match (over, under) {
        (Some(o), Some(u)) => Some(merge(o, u)),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    }
}

fn merge_resources(over: &Resources, under: &Resources) -> Resources {
    fn pick<T: Clone>(over: &Option<T>, under: &Option<T>) -> Option<T> {
        over.clone().or_else(|| under.clone())
    }
    Resources {
        memory: pick(&over.memory, &under.memory),
        cpu: pick(&over.cpu, &under.cpu),
        memory_limit: pick(&over.memory_limit, &under.memory_limit),
        cpu_limit: pick(&over.cpu_limit, &under.cpu_limit),
        ephemeral_storage: pick(&over.ephemeral_storage, &under.ephemeral_storage),
        ephemeral_storage_limit: pick(
            &over.ephemeral_storage_limit,
            &under.ephemeral_storage_limit,
        ),
        gpu: pick(&over.gpu, &under.gpu),
    }
}

fn merge_security(over: &Security, under: &Security) -> Security {
    fn pick<T: Clone>(over: &Option<T>, under: &Option<T>) -> Option<T> {
        over.clone().or_else(|| under.clone())
    }
    let mut annotations = under.service_account_annotations.clone();
    annotations.extend(over.service_account_annotations.clone());
    Security {
        visibility: pick(&over.visibility, &under.visibility),
        allowed_sources: if over.allowed_sources.is_empty() {
            under.allowed_sources.clone()
        } else {
            over.allowed_sources.clone()
        },
        network_policy: pick(&over.network_policy, &under.network_policy),
        profile: over.profile.or(under.profile),
        service_account: pick(&over.service_account, &under.service_account),
        create_service_account: over.create_service_account.or(under.create_service_account),
        service_account_annotations: annotations,
        automount_service_account_token: over
            .automount_service_account_token
            .or(under.automount_service_account_token),
        pod_security_context: merge_with(
            &over.pod_security_context,
            &under.pod_security_context,
            |o, u| PodSecurityContext {
                run_as_non_root: o.run_as_non_root.or(u.run_as_non_root),
                run_as_user: o.run_as_user.or(u.run_as_user),
                run_as_group: o.run_as_group.or(u.run_as_group),
                fs_group: o.fs_group.or(u.fs_group),
                seccomp_profile: pick(&o.seccomp_profile, &u.seccomp_profile),
                supplemental_groups: if o.supplemental_groups.is_empty() {
                    u.supplemental_groups.clone()
                } else {
                    o.supplemental_groups.clone()
                },
            },
        ),
        container_security_context: merge_with(
            &over.container_security_context,
            &under.container_security_context,
            |o, u| ContainerSecurityContext {
                allow_privilege_escalation: o
                    .allow_privilege_escalation
                    .or(u.allow_privilege_escalation),
                read_only_root_filesystem: o
                    .read_only_root_filesystem
                    .or(u.read_only_root_filesystem),
                run_as_non_root: o.run_as_non_root.or(u.run_as_non_root),
                run_as_user: o.run_as_user.or(u.run_as_user),
                run_as_group: o.run_as_group.or(u.run_as_group),
                privileged: o.privileged.or(u.privileged),
                capabilities: pick(&o.capabilities, &u.capabilities),
                seccomp_profile: pick(&o.seccomp_profile, &u.seccomp_profile),
            },
        ),
    }
}

/// What the compose file says about one service, as apps.yaml settings, so that the same
/// layering and the same shared checks apply. `profile` is the Pod Security Standard apps.yaml
/// chose (capabilities beyond it are errors; under `restricted` every capability is dropped
/// anyway, so `cap_drop` is not repeated).
pub fn compose_settings(
    service: &Spanned<Service>,
    profile: PodSecurityProfile,
    field: &str,
    at: &str,
    d: &mut Diagnostics,
) -> ComposeService {
    let svc = &service.value;
    let deploy = svc.deploy.clone().unwrap_or_default();
    let replicas = deploy.replicas.clone().or_else(|| svc.scale.clone());
    let anti_affinity = deploy
        .placement
        .as_ref()
        .and_then(|p| p.max_replicas_per_node)
        .filter(|n| *n == 1)
        .map(|_| AntiAffinity::Simple(SimpleAntiAffinity::Required));
    ComposeService {
        image: svc.image.clone(),
        replicas,
        resources: compose_resources(service, field, at, d),
        security: compose_security(service, profile, field, at, d),
        anti_affinity,
        ..ComposeService::default()
    }
}

/// `deploy.resources` (and the legacy `cpus`, `mem_limit`, `mem_reservation`): limits and
/// reservations become limits and requests; `0.5` CPUs is `500m`, bytes keep their exact value.
fn compose_resources(
    service: &Spanned<Service>,
    field: &str,
    at: &str,
    d: &mut Diagnostics,
) -> Option<Resources> {
    let svc = &service.value;
    let span = service.span;
    let deploy = svc.deploy.as_ref().and_then(|d| d.resources.clone());
    let limits = deploy.as_ref().and_then(|r| r.limits.clone());
    let reservations = deploy.as_ref().and_then(|r| r.reservations.clone());
    let cpu = |value: Option<Spanned<f64>>| {
        value.and_then(|c| cpu_quantity(c.value).map(|q| Spanned::new(q, c.span)))
    };
    let memory = |bytes: Option<u64>| {
        bytes
            .filter(|b| *b > 0)
            .map(|b| Spanned::new(memory_quantity(b), span))
    };
    let legacy_cpus = svc.cpus.map(|c| Spanned::new(c, span));
    let mut resources = Resources {
        cpu_limit: cpu(limits.as_ref().and_then(|l| l.cpus.clone()).or(legacy_cpus)),
        memory_limit: memory(limits.as_ref().and_then(|l| l.memory).or(svc.mem_limit)),
        cpu: cpu(reservations.as_ref().and_then(|r| r.cpus.clone())),
        memory: memory(
            reservations
                .as_ref()
                .and_then(|r| r.memory)
                .or(svc.mem_reservation),
        ),
        ..Resources::default()
    };
    for device in reservations.iter().flat_map(|r| r.devices.iter()) {
        if !device.capabilities.iter().any(|c| c == "gpu") {
            continue;
        }
        match device.count.as_deref().map(str::parse::<u32>) {
            Some(Ok(count)) if count > 0 => {
                resources.gpu = Some(Gpu {
                    kind: None,
                    count: Spanned::new(count, span),
                });
            }
            _ => d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    "a GPU reservation without a number of GPUs (`count: all`) cannot be expressed; no GPU is requested",
                )
                .at(span)
                .field(format!("{field}.deploy.resources.reservations.devices"))
                .help(format!("give `count: N`, or set `resources.gpu.count` {at}")),
            ),
        }
    }
    let empty = resources.cpu.is_none()
        && resources.memory.is_none()
        && resources.cpu_limit.is_none()
        && resources.memory_limit.is_none()
        && resources.gpu.is_none();
    (!empty).then_some(resources)
}

/// CPUs (`0.5`) as a quantity in millicores (`500m`), whole cores without a suffix; `0` (no
/// limit in Docker) is no quantity.
pub fn cpu_quantity(cpus: f64) -> Option<Quantity> {
    if !cpus.is_finite() || cpus <= 0.0 {
        return None;
    }
    let millis = ((cpus * 1000.0).round() as u64).max(1);
    let text = if millis.is_multiple_of(1000) {
        (millis / 1000).to_string()
    } else {
        format!("{millis}m")
    };
    Quantity::parse(&text).ok()
}

/// Bytes as the largest binary unit that divides them exactly (`536870912` is `512Mi`).
pub fn memory_quantity(bytes: u64) -> Quantity {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "Ti"),
        (1 << 30, "Gi"),
        (1 << 20, "Mi"),
        (1 << 10, "Ki"),
    ];
    let text = UNITS
        .iter()
        .find(|(size, _)| bytes.is_multiple_of(*size))
        .map_or_else(
            || bytes.to_string(),
            |(size, unit)| format!("{}{unit}", bytes / size),
        );
    Quantity::parse(&text).expect("a whole number with a binary suffix is a quantity")
}

/// `user`, `read_only`, `cap_add`, `cap_drop` and (under the privileged standard only)
/// `privileged` as a container security context.
fn compose_security(
    service: &Spanned<Service>,
    profile: PodSecurityProfile,
    field: &str,
    at: &str,
    d: &mut Diagnostics,
) -> Option<Security> {
    let svc = &service.value;
    let mut context = ContainerSecurityContext {
        read_only_root_filesystem: svc.read_only.filter(|r| *r),
        ..ContainerSecurityContext::default()
    };
    if let Some(user) = &svc.user {
        let (uid, gid) = parse_user(&user.value);
        context.run_as_user = uid;
        context.run_as_group = gid.flatten();
        if uid.is_none() || gid == Some(None) {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!(
                        "user `{}` is a name; Kubernetes takes numeric ids only, so it is not applied",
                        user.value
                    ),
                )
                .at(user.span)
                .field(format!("{field}.user"))
                .help(format!("write the numeric id (`user: \"999:999\"`), or set `security.container_security_context.run_as_user` {at}")),
            );
        }
    }
    if svc.privileged.as_ref().is_some_and(|p| p.value) && profile == PodSecurityProfile::Privileged
    {
        context.privileged = Some(true);
    }
    let drop: Vec<String> = if profile == PodSecurityProfile::Restricted {
        Vec::new()
    } else {
        svc.cap_drop.iter().map(|c| c.value.clone()).collect()
    };
    if !svc.cap_add.is_empty() || !drop.is_empty() {
        context.capabilities = Some(Capabilities {
            drop,
            add: svc.cap_add.clone(),
        });
    }
    let empty = context.read_only_root_filesystem.is_none()
        && context.run_as_user.is_none()
        && context.run_as_group.is_none()
        && context.privileged.is_none()
        && context.capabilities.is_none();
    (!empty).then(|| Security {
        container_security_context: Some(context),
        ..Security::default()
    })
}

/// `uid`, `uid:gid`: numbers or names. `None` for a name; the group is `Some(None)` when given
/// as a name.
fn parse_user(text: &str) -> (Option<i64>, Option<Option<i64>>) {
    let (user, group) = match text.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (text, None),
    };
    (
        user.trim().parse().ok(),
        group.map(|g| g.trim().parse().ok()),
    )
}

/// Names under `services:` that are not services of the project (inactive profiles excepted).
pub fn unknown_services<'a>(
    entry: &'a ComposeEntry,
    known: &BTreeMap<String, Spanned<Service>>,
    inactive: &std::collections::BTreeSet<String>,
) -> Vec<&'a str> {
    entry
        .services
        .keys()
        .filter(|name| !known.contains_key(*name) && !inactive.contains(*name))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_and_bytes_become_exact_quantities() {
        assert_eq!(cpu_quantity(0.5).unwrap().as_str(), "500m");
        assert_eq!(cpu_quantity(2.0).unwrap().as_str(), "2");
        assert_eq!(cpu_quantity(0.0001).unwrap().as_str(), "1m");
        assert!(cpu_quantity(0.0).is_none());
        assert_eq!(memory_quantity(512 * 1024 * 1024).as_str(), "512Mi");
        assert_eq!(memory_quantity(1 << 30).as_str(), "1Gi");
        assert_eq!(memory_quantity(1000).as_str(), "1000");
    }

    #[test]
    fn users_split_into_ids() {
        assert_eq!(parse_user("999"), (Some(999), None));
        assert_eq!(parse_user("999:998"), (Some(999), Some(Some(998))));
        assert_eq!(parse_user("postgres"), (None, None));
        assert_eq!(parse_user("1000:staff"), (Some(1000), Some(None)));
    }
}
