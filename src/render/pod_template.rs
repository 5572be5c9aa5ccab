//! The PodTemplateSpec every controller (Deployment, StatefulSet, CronJob, Job) embeds.
//! It writes what the IR says and nothing more: security defaults are decided in lowering.

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

use super::{non_empty, non_empty_map, only_true, port_target, protocol_name, selector};
use crate::config::Quantity;
use crate::workload::{
    AntiAffinity, Container, ContainerSecurity, EnvFrom, EnvSource, EnvVar, Pod, PodSecurity,
    Probe, ProbeAction, RefKind, Resources, Toleration, Volume, VolumeSource, Workload,
};

/// The node label anti-affinity spreads replicas over: one replica per node.
const HOSTNAME_TOPOLOGY_KEY: &str = "kubernetes.io/hostname";

/// Labels `w.pod_labels()`, the pod annotations, and the pod spec. Jobs set `restartPolicy`
/// on the result; long-running controllers keep the default `Always`.
pub fn pod_template(w: &Workload) -> PodTemplateSpec {
    let pod = &w.pod;
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(w.pod_labels()),
            annotations: non_empty_map(pod.annotations.clone()),
            ..ObjectMeta::default()
        }),
        spec: Some(pod_spec(w, pod)),
    }
}

fn pod_spec(w: &Workload, pod: &Pod) -> core::PodSpec {
    core::PodSpec {
        containers: pod.containers.iter().map(container).collect(),
        init_containers: non_empty(pod.init_containers.iter().map(container).collect()),
        volumes: non_empty(pod.volumes.iter().map(volume).collect()),
        security_context: pod_security_context(&pod.security),
        service_account_name: pod.service_account_name.clone(),
        // Always explicit: the API server's default is `true`, which restricted pods must not
        // inherit silently.
        automount_service_account_token: Some(pod.automount_service_account_token),
        image_pull_secrets: non_empty(
            pod.image_pull_secrets
                .iter()
                .map(|name| core::LocalObjectReference { name: name.clone() })
                .collect(),
        ),
        node_selector: non_empty_map(pod.node_selector.clone()),
        tolerations: non_empty(pod.tolerations.iter().map(toleration).collect()),
        affinity: affinity(w, pod.anti_affinity),
        topology_spread_constraints: pod.topology_spread.as_ref().map(|spread| {
            vec![core::TopologySpreadConstraint {
                label_selector: Some(selector(w)),
                max_skew: spread.max_skew,
                topology_key: spread.topology_key.clone(),
                when_unsatisfiable: spread.when_unsatisfiable.clone(),
                ..core::TopologySpreadConstraint::default()
            }]
        }),
        termination_grace_period_seconds: pod.termination_grace_period_seconds,
        priority_class_name: pod.priority_class_name.clone(),
        // The map is keyed by IP, so entries come out sorted by IP; host names keep the order
        // given, since the first one is the canonical name in /etc/hosts.
        host_aliases: non_empty(
            pod.host_aliases
                .iter()
                .map(|(ip, names)| core::HostAlias {
                    ip: ip.clone(),
                    hostnames: non_empty(names.clone()),
                })
                .collect(),
        ),
        hostname: pod.hostname.clone(),
        ..core::PodSpec::default()
    }
}

fn container(c: &Container) -> core::Container {
    core::Container {
        name: c.name.clone(),
        image: Some(c.image.clone()),
        image_pull_policy: c.image_pull_policy.clone(),
        command: non_empty(c.command.clone()),
        args: non_empty(c.args.clone()),
        working_dir: c.working_dir.clone(),
        ports: non_empty(
            c.ports
                .iter()
                .map(|p| core::ContainerPort {
                    name: Some(p.name.clone()),
                    container_port: i32::from(p.container_port),
                    protocol: Some(protocol_name(p.protocol)),
                    ..core::ContainerPort::default()
                })
                .collect(),
        ),
        env: non_empty(c.env.iter().map(env_var).collect()),
        env_from: non_empty(c.env_from.iter().map(env_from).collect()),
        resources: resources(&c.resources),
        startup_probe: c.startup_probe.as_ref().map(probe),
        readiness_probe: c.readiness_probe.as_ref().map(probe),
        liveness_probe: c.liveness_probe.as_ref().map(probe),
        volume_mounts: non_empty(
            c.volume_mounts
                .iter()
                .map(|m| core::VolumeMount {
                    name: m.name.clone(),
                    mount_path: m.mount_path.clone(),
                    read_only: only_true(m.read_only),
                    sub_path: m.sub_path.clone(),
                    ..core::VolumeMount::default()
                })
                .collect(),
        ),
        security_context: container_security_context(&c.security),
        tty: only_true(c.tty),
        stdin: only_true(c.stdin),
        ..core::Container::default()
    }
}

fn env_var(var: &EnvVar) -> core::EnvVar {
    let (value, value_from) = match &var.value {
        EnvSource::Literal(text) => (Some(text.clone()), None),
        EnvSource::SecretKey {
            name,
            key,
            optional,
        } => (
            None,
            Some(core::EnvVarSource {
                secret_key_ref: Some(core::SecretKeySelector {
                    name: name.clone(),
                    key: key.clone(),
                    optional: only_true(*optional),
                }),
                ..core::EnvVarSource::default()
            }),
        ),
        EnvSource::ConfigMapKey {
            name,
            key,
            optional,
        } => (
            None,
            Some(core::EnvVarSource {
                config_map_key_ref: Some(core::ConfigMapKeySelector {
                    name: name.clone(),
                    key: key.clone(),
                    optional: only_true(*optional),
                }),
                ..core::EnvVarSource::default()
            }),
        ),
        EnvSource::Field(path) => (
            None,
            Some(core::EnvVarSource {
                field_ref: Some(core::ObjectFieldSelector {
                    field_path: path.clone(),
                    api_version: None,
                }),
                ..core::EnvVarSource::default()
            }),
        ),
    };
    core::EnvVar {
        name: var.name.clone(),
        value,
        value_from,
    }
}

fn env_from(source: &EnvFrom) -> core::EnvFromSource {
    let optional = only_true(source.optional);
    let name = source.name.clone();
    let (config_map_ref, secret_ref) = match source.kind {
        RefKind::ConfigMap => (Some(core::ConfigMapEnvSource { name, optional }), None),
        RefKind::Secret => (None, Some(core::SecretEnvSource { name, optional })),
    };
    core::EnvFromSource {
        config_map_ref,
        secret_ref,
        prefix: source.prefix.clone(),
    }
}

fn resources(resources: &Resources) -> Option<core::ResourceRequirements> {
    let requests = quantities(&resources.requests);
    let limits = quantities(&resources.limits);
    (requests.is_some() || limits.is_some()).then(|| core::ResourceRequirements {
        requests,
        limits,
        ..core::ResourceRequirements::default()
    })
}

/// Resource name → quantity, `None` when empty; PVC requests use it too.
pub(super) fn quantities(
    map: &BTreeMap<String, Quantity>,
) -> Option<BTreeMap<String, K8sQuantity>> {
    (!map.is_empty()).then(|| {
        map.iter()
            .map(|(name, q)| (name.clone(), K8sQuantity(q.as_str().to_string())))
            .collect()
    })
}

fn probe(p: &Probe) -> core::Probe {
    let mut probe = core::Probe {
        initial_delay_seconds: p.initial_delay_seconds,
        period_seconds: p.period_seconds,
        timeout_seconds: p.timeout_seconds,
        success_threshold: p.success_threshold,
        failure_threshold: p.failure_threshold,
        ..core::Probe::default()
    };
    match &p.action {
        ProbeAction::Http { path, port, scheme } => {
            probe.http_get = Some(core::HTTPGetAction {
                path: Some(path.clone()),
                port: port_target(port),
                scheme: scheme.clone(),
                ..core::HTTPGetAction::default()
            });
        }
        ProbeAction::Tcp { port } => {
            probe.tcp_socket = Some(core::TCPSocketAction {
                port: port_target(port),
                host: None,
            });
        }
        ProbeAction::Exec { command } => {
            probe.exec = Some(core::ExecAction {
                command: Some(command.clone()),
            });
        }
        ProbeAction::Grpc { port, service } => {
            probe.grpc = Some(core::GRPCAction {
                port: i32::from(*port),
                service: service.clone(),
            });
        }
    }
    probe
}

fn volume(v: &Volume) -> core::Volume {
    let mut volume = core::Volume {
        name: v.name.clone(),
        ..core::Volume::default()
    };
    match &v.source {
        VolumeSource::EmptyDir { medium, size_limit } => {
            volume.empty_dir = Some(core::EmptyDirVolumeSource {
                // `""` is the node's disk, the same as no medium at all.
                medium: medium.clone().filter(|m| !m.is_empty()),
                size_limit: size_limit
                    .as_ref()
                    .map(|q| K8sQuantity(q.as_str().to_string())),
            });
        }
        VolumeSource::Claim {
            claim_name,
            read_only,
        } => {
            volume.persistent_volume_claim = Some(core::PersistentVolumeClaimVolumeSource {
                claim_name: claim_name.clone(),
                read_only: only_true(*read_only),
            });
        }
        VolumeSource::Secret {
            secret_name,
            items,
            default_mode,
        } => {
            volume.secret = Some(core::SecretVolumeSource {
                secret_name: Some(secret_name.clone()),
                items: key_to_paths(items),
                default_mode: *default_mode,
                optional: None,
            });
        }
        VolumeSource::ConfigMap {
            name,
            items,
            default_mode,
        } => {
            volume.config_map = Some(core::ConfigMapVolumeSource {
                name: name.clone(),
                items: key_to_paths(items),
                default_mode: *default_mode,
                optional: None,
            });
        }
        VolumeSource::HostPath { path } => {
            volume.host_path = Some(core::HostPathVolumeSource {
                path: path.clone(),
                type_: None,
            });
        }
    }
    volume
}

/// The IR's `(key, path)` pairs: which key of the Secret/ConfigMap lands at which file.
fn key_to_paths(items: &[(String, String)]) -> Option<Vec<core::KeyToPath>> {
    non_empty(
        items
            .iter()
            .map(|(key, path)| core::KeyToPath {
                key: key.clone(),
                path: path.clone(),
                mode: None,
            })
            .collect(),
    )
}

fn toleration(t: &Toleration) -> core::Toleration {
    core::Toleration {
        key: t.key.clone(),
        operator: t.operator.clone(),
        value: t.value.clone(),
        effect: t.effect.clone(),
        toleration_seconds: t.toleration_seconds,
    }
}

fn affinity(w: &Workload, anti_affinity: AntiAffinity) -> Option<core::Affinity> {
    let term = || core::PodAffinityTerm {
        label_selector: Some(selector(w)),
        topology_key: HOSTNAME_TOPOLOGY_KEY.to_string(),
        ..core::PodAffinityTerm::default()
    };
    let pod_anti_affinity = match anti_affinity {
        AntiAffinity::None => return None,
        AntiAffinity::Preferred => core::PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![
                core::WeightedPodAffinityTerm {
                    // The highest weight: spreading wins over every other soft preference.
                    weight: 100,
                    pod_affinity_term: term(),
                },
            ]),
            ..core::PodAntiAffinity::default()
        },
        AntiAffinity::Required => core::PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: Some(vec![term()]),
            ..core::PodAntiAffinity::default()
        },
    };
    Some(core::Affinity {
        pod_anti_affinity: Some(pod_anti_affinity),
        ..core::Affinity::default()
    })
}

fn pod_security_context(s: &PodSecurity) -> Option<core::PodSecurityContext> {
    let context = core::PodSecurityContext {
        run_as_non_root: s.run_as_non_root,
        run_as_user: s.run_as_user,
        run_as_group: s.run_as_group,
        fs_group: s.fs_group,
        supplemental_groups: non_empty(s.supplemental_groups.clone()),
        seccomp_profile: s.seccomp_profile.as_deref().map(seccomp_profile),
        ..core::PodSecurityContext::default()
    };
    (context != core::PodSecurityContext::default()).then_some(context)
}

fn container_security_context(s: &ContainerSecurity) -> Option<core::SecurityContext> {
    let capabilities = core::Capabilities {
        add: non_empty(s.capabilities_add.clone()),
        drop: non_empty(s.capabilities_drop.clone()),
    };
    let context = core::SecurityContext {
        allow_privilege_escalation: s.allow_privilege_escalation,
        read_only_root_filesystem: s.read_only_root_filesystem,
        run_as_non_root: s.run_as_non_root,
        run_as_user: s.run_as_user,
        run_as_group: s.run_as_group,
        privileged: s.privileged,
        capabilities: (capabilities != core::Capabilities::default()).then_some(capabilities),
        seccomp_profile: s.seccomp_profile.as_deref().map(seccomp_profile),
        ..core::SecurityContext::default()
    };
    (context != core::SecurityContext::default()).then_some(context)
}

/// `RuntimeDefault`, `Unconfined` or `Localhost/<profile>`. Anything else is passed through
/// as the type, for the API server to reject rather than for us to guess.
fn seccomp_profile(profile: &str) -> core::SeccompProfile {
    match profile.strip_prefix("Localhost/") {
        Some(path) => core::SeccompProfile {
            type_: "Localhost".to_string(),
            localhost_profile: Some(path.to_string()),
        },
        None => core::SeccompProfile {
            type_: profile.to_string(),
            localhost_profile: None,
        },
    }
}
