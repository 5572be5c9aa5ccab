//! Which Pod Security Standard a rendered pod meets, read from its spec the way the API server's
//! PodSecurity admission reads it (the controls of the "latest" standards). Says nothing about
//! what a pod should meet: the Namespace renderer labels each namespace with what its pods need.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    Capabilities, PodSpec, PodTemplateSpec, SeccompProfile, SecurityContext,
};

use crate::config::PodSecurityProfile;
use crate::lower::security::BASELINE_CAPABILITIES;
use crate::render::Manifest;
use crate::render::crd::keda::ScaledJob;

/// Sysctls the baseline standard allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// SELinux types the baseline standard allows.
const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// The pod template of an object that makes pods (Deployment, StatefulSet, CronJob, Job,
/// KEDA ScaledJob).
pub fn pod_template(manifest: &Manifest) -> Option<&PodTemplateSpec> {
    if let Some(o) = manifest.get::<Deployment>() {
        return o.spec.as_ref().map(|s| &s.template);
    }
    if let Some(o) = manifest.get::<StatefulSet>() {
        return o.spec.as_ref().map(|s| &s.template);
    }
    if let Some(o) = manifest.get::<CronJob>() {
        let job = o.spec.as_ref()?.job_template.spec.as_ref()?;
        return Some(&job.template);
    }
    if let Some(o) = manifest.get::<Job>() {
        return o.spec.as_ref().map(|s| &s.template);
    }
    manifest
        .get::<ScaledJob>()
        .map(|o| &o.spec.job_target_ref.template)
}

/// The looser of two standards: what a namespace holding pods of both must admit.
pub fn looser(a: PodSecurityProfile, b: PodSecurityProfile) -> PodSecurityProfile {
    let rank = |p| match p {
        PodSecurityProfile::Restricted => 0,
        PodSecurityProfile::Baseline => 1,
        PodSecurityProfile::Privileged => 2,
    };
    if rank(a) >= rank(b) { a } else { b }
}

/// The strictest standard the pod meets.
pub fn standard_met(template: &PodTemplateSpec) -> PodSecurityProfile {
    let Some(spec) = &template.spec else {
        return PodSecurityProfile::Restricted;
    };
    if !meets_baseline(spec) {
        PodSecurityProfile::Privileged
    } else if !meets_restricted(spec) {
        PodSecurityProfile::Baseline
    } else {
        PodSecurityProfile::Restricted
    }
}

/// Every container's security context (containers, init and ephemeral containers) and its
/// host ports.
fn containers(spec: &PodSpec) -> Vec<(Option<&SecurityContext>, Vec<i32>)> {
    let ports = |ports: Option<&Vec<k8s_openapi::api::core::v1::ContainerPort>>| {
        ports
            .into_iter()
            .flatten()
            .filter_map(|p| p.host_port)
            .collect::<Vec<_>>()
    };
    let mut out: Vec<_> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .map(|c| (c.security_context.as_ref(), ports(c.ports.as_ref())))
        .collect();
    out.extend(
        spec.ephemeral_containers
            .iter()
            .flatten()
            .map(|c| (c.security_context.as_ref(), ports(c.ports.as_ref()))),
    );
    out
}

fn unconfined(profile: Option<&SeccompProfile>) -> bool {
    profile.is_some_and(|p| p.type_ == "Unconfined")
}

fn added(capabilities: Option<&Capabilities>) -> impl Iterator<Item = &str> {
    capabilities
        .and_then(|c| c.add.as_ref())
        .into_iter()
        .flatten()
        .map(|c| c.trim_start_matches("CAP_"))
}

fn meets_baseline(spec: &PodSpec) -> bool {
    let pod = spec.security_context.as_ref();
    let host_namespaces = [spec.host_network, spec.host_pid, spec.host_ipc].contains(&Some(true));
    let host_path = spec.volumes.iter().flatten().any(|v| v.host_path.is_some());
    let pod_ok = pod.is_none_or(|p| {
        let windows_host = p
            .windows_options
            .as_ref()
            .is_some_and(|w| w.host_process == Some(true));
        let selinux_ok = p.se_linux_options.as_ref().is_none_or(|s| {
            s.user.is_none()
                && s.role.is_none()
                && s.type_
                    .as_deref()
                    .is_none_or(|t| t.is_empty() || SELINUX_TYPES.contains(&t))
        });
        let apparmor_ok = p
            .app_armor_profile
            .as_ref()
            .is_none_or(|a| a.type_ != "Unconfined");
        let sysctls_ok = p
            .sysctls
            .iter()
            .flatten()
            .all(|s| SAFE_SYSCTLS.contains(&s.name.as_str()));
        !windows_host
            && selinux_ok
            && apparmor_ok
            && sysctls_ok
            && !unconfined(p.seccomp_profile.as_ref())
    });
    let containers_ok = containers(spec).iter().all(|(context, host_ports)| {
        let ports_ok = host_ports.iter().all(|p| *p == 0);
        ports_ok
            && context.is_none_or(|c| {
                c.privileged != Some(true)
                    && c.windows_options
                        .as_ref()
                        .is_none_or(|w| w.host_process != Some(true))
                    && added(c.capabilities.as_ref()).all(|a| BASELINE_CAPABILITIES.contains(&a))
                    && c.proc_mount.as_deref().is_none_or(|m| m == "Default")
                    && !unconfined(c.seccomp_profile.as_ref())
                    && c.app_armor_profile
                        .as_ref()
                        .is_none_or(|a| a.type_ != "Unconfined")
                    && c.se_linux_options.as_ref().is_none_or(|s| {
                        s.user.is_none()
                            && s.role.is_none()
                            && s.type_
                                .as_deref()
                                .is_none_or(|t| t.is_empty() || SELINUX_TYPES.contains(&t))
                    })
            })
    });
    !host_namespaces && !host_path && pod_ok && containers_ok
}

fn meets_restricted(spec: &PodSpec) -> bool {
    let pod = spec.security_context.as_ref();
    let volumes_ok = spec.volumes.iter().flatten().all(|v| {
        v.config_map.is_some()
            || v.csi.is_some()
            || v.downward_api.is_some()
            || v.empty_dir.is_some()
            || v.ephemeral.is_some()
            || v.persistent_volume_claim.is_some()
            || v.projected.is_some()
            || v.secret.is_some()
    });
    let pod_non_root = pod.and_then(|p| p.run_as_non_root) == Some(true);
    let pod_seccomp = pod
        .and_then(|p| p.seccomp_profile.as_ref())
        .map(|s| s.type_.as_str());
    let confined = |t: Option<&str>| matches!(t, Some("RuntimeDefault" | "Localhost"));
    let pod_root = pod.and_then(|p| p.run_as_user) == Some(0);
    let containers_ok = containers(spec).iter().all(|(context, _)| {
        let Some(c) = context else {
            return false;
        };
        let non_root = match c.run_as_non_root {
            Some(value) => value,
            None => pod_non_root,
        };
        let seccomp = match &c.seccomp_profile {
            Some(s) => Some(s.type_.as_str()),
            None => pod_seccomp,
        };
        let drops_all = c
            .capabilities
            .as_ref()
            .and_then(|caps| caps.drop.as_ref())
            .is_some_and(|d| d.iter().any(|c| c == "ALL"));
        c.allow_privilege_escalation == Some(false)
            && non_root
            && c.run_as_user != Some(0)
            && confined(seccomp)
            && drops_all
            && added(c.capabilities.as_ref()).all(|a| a == "NET_BIND_SERVICE")
    });
    volumes_ok && !pod_root && containers_ok
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{Container, HostPathVolumeSource, PodSecurityContext, Volume};

    use super::*;

    fn restricted_container() -> Container {
        Container {
            name: "app".to_string(),
            security_context: Some(SecurityContext {
                allow_privilege_escalation: Some(false),
                capabilities: Some(Capabilities {
                    drop: Some(vec!["ALL".to_string()]),
                    add: None,
                }),
                ..SecurityContext::default()
            }),
            ..Container::default()
        }
    }

    fn pod(containers: Vec<Container>) -> PodTemplateSpec {
        PodTemplateSpec {
            metadata: None,
            spec: Some(PodSpec {
                containers,
                security_context: Some(PodSecurityContext {
                    run_as_non_root: Some(true),
                    seccomp_profile: Some(SeccompProfile {
                        type_: "RuntimeDefault".to_string(),
                        localhost_profile: None,
                    }),
                    ..PodSecurityContext::default()
                }),
                ..PodSpec::default()
            }),
        }
    }

    fn spec(template: &mut PodTemplateSpec) -> &mut PodSpec {
        template.spec.as_mut().expect("a spec")
    }

    #[test]
    fn a_hardened_pod_meets_restricted() {
        assert_eq!(
            standard_met(&pod(vec![restricted_container()])),
            PodSecurityProfile::Restricted
        );
    }

    #[test]
    fn each_restricted_control_alone_makes_it_baseline() {
        let loosenings: Vec<fn(&mut PodTemplateSpec)> = vec![
            |t| spec(t).security_context = None,
            |t| {
                let c = spec(t).containers[0].security_context.as_mut().unwrap();
                c.allow_privilege_escalation = None;
            },
            |t| {
                let c = spec(t).containers[0].security_context.as_mut().unwrap();
                c.capabilities = None;
            },
            |t| {
                let c = spec(t).containers[0].security_context.as_mut().unwrap();
                c.run_as_non_root = Some(false);
            },
            |t| {
                let c = spec(t).containers[0].security_context.as_mut().unwrap();
                c.run_as_user = Some(0);
            },
            |t| {
                let c = spec(t).containers[0].security_context.as_mut().unwrap();
                c.capabilities.as_mut().unwrap().add = Some(vec!["CHOWN".to_string()]);
            },
            // An init container without its own hardening.
            |t| {
                spec(t).init_containers = Some(vec![Container {
                    name: "wait".to_string(),
                    ..Container::default()
                }]);
            },
        ];
        for (index, loosen) in loosenings.into_iter().enumerate() {
            let mut template = pod(vec![restricted_container()]);
            loosen(&mut template);
            assert_eq!(
                standard_met(&template),
                PodSecurityProfile::Baseline,
                "loosening {index}"
            );
        }
    }

    #[test]
    fn each_baseline_control_alone_makes_it_privileged() {
        let loosenings: Vec<fn(&mut PodTemplateSpec)> = vec![
            |t| spec(t).host_network = Some(true),
            |t| spec(t).host_pid = Some(true),
            |t| {
                spec(t).volumes = Some(vec![Volume {
                    name: "docker".to_string(),
                    host_path: Some(HostPathVolumeSource {
                        path: "/var/run/docker.sock".to_string(),
                        type_: None,
                    }),
                    ..Volume::default()
                }]);
            },
            |t| {
                let c = spec(t).containers[0].security_context.as_mut().unwrap();
                c.privileged = Some(true);
            },
            |t| {
                let c = spec(t).containers[0].security_context.as_mut().unwrap();
                c.capabilities.as_mut().unwrap().add = Some(vec!["NET_ADMIN".to_string()]);
            },
            |t| {
                let c = spec(t).containers[0].security_context.as_mut().unwrap();
                c.seccomp_profile = Some(SeccompProfile {
                    type_: "Unconfined".to_string(),
                    localhost_profile: None,
                });
            },
            |t| {
                spec(t).containers[0].ports =
                    Some(vec![k8s_openapi::api::core::v1::ContainerPort {
                        container_port: 80,
                        host_port: Some(80),
                        ..Default::default()
                    }]);
            },
        ];
        for (index, loosen) in loosenings.into_iter().enumerate() {
            let mut template = pod(vec![restricted_container()]);
            loosen(&mut template);
            assert_eq!(
                standard_met(&template),
                PodSecurityProfile::Privileged,
                "loosening {index}"
            );
        }
    }

    #[test]
    fn looser_is_the_standard_that_admits_both() {
        use PodSecurityProfile::{Baseline, Privileged, Restricted};
        assert_eq!(looser(Restricted, Baseline), Baseline);
        assert_eq!(looser(Baseline, Restricted), Baseline);
        assert_eq!(looser(Privileged, Restricted), Privileged);
        assert_eq!(looser(Restricted, Restricted), Restricted);
    }
}
