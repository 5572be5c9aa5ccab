//! The PodTemplateSpec every controller (Deployment, StatefulSet, CronJob, Job) embeds.
//! It writes what the IR says and nothing more: security defaults are decided in lowering.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1 as core;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{non_empty, non_empty_map, only_true, port_target, protocol_name, selector};
use crate::config::Quantity;
use crate::workload::{
    AntiAffinity, Container, ContainerSecurity, EnvFrom, EnvSource, EnvVar, NodeAffinity,
    NodeRequirement, Pod, PodSecurity, Probe, ProbeAction, RefKind, Resources, Toleration, Volume,
    VolumeSource, Workload,
};

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
        affinity: affinity(w, &pod.node_affinity, &pod.anti_affinity),
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

/// Node affinity: the required requirements as one node selector term (all must match), each
/// preference a term of its own.
fn node_affinity(node: &NodeAffinity) -> Option<core::NodeAffinity> {
    if node.is_none() {
        return None;
    }
    let expression = |r: &NodeRequirement| core::NodeSelectorRequirement {
        key: r.key.clone(),
        operator: r.operator.clone(),
        values: non_empty(r.values.clone()),
    };
    Some(core::NodeAffinity {
        required_during_scheduling_ignored_during_execution: (!node.required.is_empty()).then(
            || core::NodeSelector {
                node_selector_terms: vec![core::NodeSelectorTerm {
                    match_expressions: Some(node.required.iter().map(expression).collect()),
                    match_fields: None,
                }],
            },
        ),
        preferred_during_scheduling_ignored_during_execution: non_empty(
            node.preferred
                .iter()
                .map(|(weight, r)| core::PreferredSchedulingTerm {
                    weight: *weight,
                    preference: core::NodeSelectorTerm {
                        match_expressions: Some(vec![expression(r)]),
                        match_fields: None,
                    },
                })
                .collect(),
        ),
    })
}

fn affinity(
    w: &Workload,
    node: &NodeAffinity,
    anti_affinity: &AntiAffinity,
) -> Option<core::Affinity> {
    if anti_affinity.is_none() {
        return node_affinity(node).map(|node_affinity| core::Affinity {
            node_affinity: Some(node_affinity),
            ..core::Affinity::default()
        });
    }
    let term = |topology_key: &str| core::PodAffinityTerm {
        label_selector: Some(selector(w)),
        topology_key: topology_key.to_string(),
        ..core::PodAffinityTerm::default()
    };
    let preferred: Vec<core::WeightedPodAffinityTerm> = anti_affinity
        .preferred
        .iter()
        .map(|(key, weight)| core::WeightedPodAffinityTerm {
            weight: *weight,
            pod_affinity_term: term(key),
        })
        .collect();
    let required: Vec<core::PodAffinityTerm> =
        anti_affinity.required.iter().map(|key| term(key)).collect();
    Some(core::Affinity {
        pod_anti_affinity: Some(core::PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: non_empty(preferred),
            required_during_scheduling_ignored_during_execution: non_empty(required),
        }),
        node_affinity: node_affinity(node),
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

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    use super::*;
    use crate::render::fixtures::{backup, frontend, hello, web};

    fn spec(w: &Workload) -> core::PodSpec {
        pod_template(w).spec.expect("pod spec")
    }

    fn main_container(w: &Workload) -> core::Container {
        spec(w).containers.remove(0)
    }

    fn env<'a>(container: &'a core::Container, name: &str) -> &'a core::EnvVar {
        let vars = container.env.as_deref().unwrap_or_default();
        vars.iter()
            .find(|var| var.name == name)
            .unwrap_or_else(|| panic!("no env {name}"))
    }

    #[test]
    fn template_labels_are_pod_labels_and_annotations_pass_through() {
        let w = web();
        let metadata = pod_template(&w).metadata.expect("metadata");
        assert_eq!(metadata.labels, Some(w.pod_labels()));
        assert_eq!(metadata.annotations, Some(w.pod.annotations.clone()));
        assert_eq!(metadata.name, None);
    }

    #[test]
    fn probe_targets_a_named_port() {
        let container = main_container(&web());
        let http = container
            .readiness_probe
            .and_then(|p| p.http_get)
            .expect("httpGet readiness");
        assert_eq!(http.port, IntOrString::String("http".to_string()));
        assert_eq!(http.path.as_deref(), Some("/ready"));
        let tcp = container
            .startup_probe
            .and_then(|p| p.tcp_socket)
            .expect("tcp startup");
        assert_eq!(tcp.port, IntOrString::Int(8080));
    }

    #[test]
    fn exec_and_grpc_probes() {
        let mut w = web();
        w.pod.containers[0].liveness_probe = Some(Probe {
            action: ProbeAction::Grpc {
                port: 9000,
                service: Some("health".to_string()),
            },
            initial_delay_seconds: None,
            period_seconds: None,
            timeout_seconds: None,
            success_threshold: None,
            failure_threshold: None,
        });
        let grpc = main_container(&w)
            .liveness_probe
            .and_then(|p| p.grpc)
            .expect("grpc");
        assert_eq!(grpc.port, 9000);
        assert_eq!(grpc.service.as_deref(), Some("health"));
    }

    #[test]
    fn env_sources() {
        let container = main_container(&web());
        let secret = env(&container, "DATABASE_PASSWORD");
        assert_eq!(secret.value, None);
        let selector = secret
            .value_from
            .as_ref()
            .and_then(|v| v.secret_key_ref.as_ref())
            .expect("secretKeyRef");
        assert_eq!(selector.name, "db-credentials");
        assert_eq!(selector.key, "password");
        assert_eq!(selector.optional, None);

        let config = env(&container, "THEME").value_from.as_ref();
        let config = config.and_then(|v| v.config_map_key_ref.as_ref());
        assert_eq!(config.and_then(|c| c.optional), Some(true));

        let field = env(&container, "POD_NAME").value_from.as_ref();
        let field = field.and_then(|v| v.field_ref.as_ref()).expect("fieldRef");
        assert_eq!(field.field_path, "metadata.name");

        assert_eq!(env(&container, "LOG_LEVEL").value.as_deref(), Some("info"));
        let names: Vec<&str> = container
            .env
            .iter()
            .flatten()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "LOG_LEVEL",
                "FEATURE_FLAG",
                "DATABASE_PASSWORD",
                "THEME",
                "POD_NAME"
            ],
            "env keeps the IR's order: later entries may refer to earlier ones"
        );
    }

    #[test]
    fn env_from_with_prefix_and_optional() {
        let env_from = main_container(&web()).env_from.expect("envFrom");
        assert_eq!(env_from[0].prefix.as_deref(), Some("APP_"));
        let secret = env_from[0].secret_ref.as_ref().expect("secretRef");
        assert_eq!(
            (secret.name.as_str(), secret.optional),
            ("web-secrets", None)
        );
        assert_eq!(env_from[0].config_map_ref, None);
        let config = env_from[1].config_map_ref.as_ref().expect("configMapRef");
        assert_eq!(
            (config.name.as_str(), config.optional),
            ("web-config", Some(true))
        );
    }

    #[test]
    fn restricted_security_context_passes_through_exactly() {
        let w = web();
        assert_eq!(
            main_container(&w).security_context,
            Some(core::SecurityContext {
                allow_privilege_escalation: Some(false),
                read_only_root_filesystem: Some(true),
                run_as_non_root: Some(true),
                capabilities: Some(core::Capabilities {
                    add: None,
                    drop: Some(vec!["ALL".to_string()]),
                }),
                seccomp_profile: Some(core::SeccompProfile {
                    type_: "RuntimeDefault".to_string(),
                    localhost_profile: None,
                }),
                ..core::SecurityContext::default()
            })
        );
        assert_eq!(
            spec(&w).security_context,
            Some(core::PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(10001),
                run_as_group: Some(10001),
                fs_group: Some(10001),
                seccomp_profile: Some(core::SeccompProfile {
                    type_: "RuntimeDefault".to_string(),
                    localhost_profile: None,
                }),
                ..core::PodSecurityContext::default()
            })
        );
    }

    #[test]
    fn no_security_settings_means_no_security_context() {
        let mut w = web();
        w.pod.security = PodSecurity::default();
        w.pod.containers[0].security = ContainerSecurity::default();
        assert_eq!(spec(&w).security_context, None);
        assert_eq!(main_container(&w).security_context, None);
    }

    #[test]
    fn seccomp_profiles() {
        assert_eq!(
            seccomp_profile("Localhost/profiles/audit.json"),
            core::SeccompProfile {
                type_: "Localhost".to_string(),
                localhost_profile: Some("profiles/audit.json".to_string()),
            }
        );
        assert_eq!(seccomp_profile("Unconfined").type_, "Unconfined");
        assert_eq!(seccomp_profile("RuntimeDefault").localhost_profile, None);
    }

    #[test]
    fn service_account_token_is_always_explicit() {
        let web = spec(&web());
        assert_eq!(web.service_account_name.as_deref(), Some("web"));
        assert_eq!(web.automount_service_account_token, Some(true));
        let backup = spec(&backup());
        assert_eq!(backup.service_account_name, None);
        assert_eq!(backup.automount_service_account_token, Some(false));
    }

    #[test]
    fn anti_affinity_preferred_and_required() {
        let w = web();
        let preferred = spec(&w)
            .affinity
            .and_then(|a| a.pod_anti_affinity)
            .expect("podAntiAffinity");
        assert_eq!(
            preferred.required_during_scheduling_ignored_during_execution,
            None
        );
        let terms = preferred
            .preferred_during_scheduling_ignored_during_execution
            .expect("preferred");
        assert_eq!(terms[0].weight, 100);
        assert_eq!(
            terms[0].pod_affinity_term.topology_key,
            "kubernetes.io/hostname"
        );
        assert_eq!(
            terms[0]
                .pod_affinity_term
                .label_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone()),
            Some(w.selector_labels())
        );

        let required = spec(&frontend())
            .affinity
            .and_then(|a| a.pod_anti_affinity)
            .expect("podAntiAffinity");
        assert_eq!(
            required.preferred_during_scheduling_ignored_during_execution,
            None
        );
        let terms = required
            .required_during_scheduling_ignored_during_execution
            .expect("required");
        assert_eq!(terms[0].topology_key, "kubernetes.io/hostname");

        // Without anti-affinity the node affinity stays, alone.
        let mut none = web();
        none.pod.anti_affinity = AntiAffinity::default();
        let affinity = spec(&none).affinity.expect("node affinity");
        assert_eq!(affinity.pod_anti_affinity, None);
        let node = affinity.node_affinity.expect("node affinity");
        let terms = node
            .required_during_scheduling_ignored_during_execution
            .expect("required")
            .node_selector_terms;
        assert_eq!(terms.len(), 1);
        assert_eq!(
            terms[0]
                .match_expressions
                .as_ref()
                .map(|e| e[0].key.as_str()),
            Some("node-pool")
        );
        none.pod.node_affinity = NodeAffinity::default();
        assert_eq!(spec(&none).affinity, None);
    }

    #[test]
    fn topology_spread_selects_the_workload() {
        let w = web();
        let constraints = spec(&w).topology_spread_constraints.expect("constraints");
        assert_eq!(constraints.len(), 1);
        assert_eq!(constraints[0].topology_key, "topology.kubernetes.io/zone");
        assert_eq!(constraints[0].max_skew, 1);
        assert_eq!(constraints[0].when_unsatisfiable, "ScheduleAnyway");
        assert_eq!(
            constraints[0]
                .label_selector
                .as_ref()
                .and_then(|s| s.match_labels.clone()),
            Some(w.selector_labels())
        );
    }

    #[test]
    fn host_aliases_sorted_by_ip_with_names_in_order() {
        let aliases = spec(&web()).host_aliases.expect("hostAliases");
        let listed: Vec<(&str, Vec<String>)> = aliases
            .iter()
            .map(|a| (a.ip.as_str(), a.hostnames.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            listed,
            [
                (
                    "10.0.0.10",
                    vec!["ledger.internal".to_string(), "ledger".to_string()]
                ),
                ("10.0.0.9", vec!["payments.internal".to_string()]),
            ]
        );
    }

    #[test]
    fn volumes() {
        let volumes = spec(&web()).volumes.expect("volumes");
        let empty_dir = volumes[0].empty_dir.as_ref().expect("emptyDir");
        assert_eq!(empty_dir.medium, None);
        assert_eq!(
            empty_dir.size_limit.as_ref().map(|q| q.0.as_str()),
            Some("64Mi")
        );
        let secret = volumes[1].secret.as_ref().expect("secret");
        assert_eq!(secret.secret_name.as_deref(), Some("web-tls"));
        assert_eq!(secret.default_mode, Some(0o440));
        let items = secret.items.as_deref().unwrap_or_default();
        assert_eq!(
            (items[0].key.as_str(), items[0].path.as_str()),
            ("tls.crt", "server.crt")
        );
        let config = volumes[2].config_map.as_ref().expect("configMap");
        assert_eq!((config.name.as_str(), &config.items), ("web-config", &None));

        let claim = spec(&backup()).volumes.expect("volumes").remove(0);
        let claim = claim
            .persistent_volume_claim
            .expect("persistentVolumeClaim");
        assert_eq!(
            (claim.claim_name.as_str(), claim.read_only),
            ("backup", None)
        );
    }

    #[test]
    fn host_path_and_memory_empty_dir() {
        let mut w = hello();
        w.pod.volumes = vec![
            Volume {
                name: "sock".to_string(),
                source: VolumeSource::HostPath {
                    path: "/var/run/app.sock".to_string(),
                },
            },
            Volume {
                name: "shm".to_string(),
                source: VolumeSource::EmptyDir {
                    medium: Some("Memory".to_string()),
                    size_limit: None,
                },
            },
        ];
        let volumes = spec(&w).volumes.expect("volumes");
        let host_path = volumes[0].host_path.as_ref().expect("hostPath");
        assert_eq!(host_path.path, "/var/run/app.sock");
        let empty_dir = volumes[1].empty_dir.as_ref().expect("emptyDir");
        assert_eq!(empty_dir.medium.as_deref(), Some("Memory"));
    }

    #[test]
    fn volume_mounts_write_read_only_and_sub_path_only_when_set() {
        let mounts = main_container(&web()).volume_mounts.expect("mounts");
        assert_eq!((mounts[0].read_only, &mounts[0].sub_path), (None, &None));
        assert_eq!(mounts[1].read_only, Some(true));
        assert_eq!(mounts[2].sub_path.as_deref(), Some("settings.toml"));
    }

    #[test]
    fn resources_requests_and_limits() {
        let resources = main_container(&web()).resources.expect("resources");
        let requests = resources.requests.expect("requests");
        assert_eq!(requests["cpu"].0, "100m");
        assert_eq!(requests["memory"].0, "128Mi");
        assert_eq!(resources.limits.expect("limits")["memory"].0, "256Mi");
        let mut w = web();
        w.pod.containers[0].resources = Resources::default();
        assert_eq!(main_container(&w).resources, None);
    }

    #[test]
    fn pod_level_settings() {
        let spec = spec(&web());
        assert_eq!(
            spec.image_pull_secrets,
            Some(vec![core::LocalObjectReference {
                name: "registry-credentials".to_string()
            }])
        );
        assert_eq!(spec.termination_grace_period_seconds, Some(45));
        assert_eq!(spec.node_selector.map(|s| s.len()), Some(1));
        assert_eq!(spec.tolerations.map(|t| t.len()), Some(1));
        assert_eq!(
            spec.init_containers.map(|c| c[0].name.clone()).as_deref(),
            Some("migrate")
        );
        assert_eq!(spec.restart_policy, None);
    }

    #[test]
    fn ports_carry_name_and_protocol() {
        let ports = main_container(&web()).ports.expect("ports");
        assert_eq!(ports.len(), 2);
        assert_eq!(ports[1].name.as_deref(), Some("metrics"));
        assert_eq!(ports[1].container_port, 9090);
        assert_eq!(ports[1].protocol.as_deref(), Some("TCP"));
    }
}
