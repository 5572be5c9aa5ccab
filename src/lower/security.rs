//! Pod and container security contexts from `security:` and the entry's Pod Security Standard
//! (DESIGN rule 7): "restricted" by default for apps and functions, "baseline" for compose.
//! A setting the chosen standard forbids is an error that says how to loosen it.

use crate::config::{PodSecurityProfile, Security};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::workload::{ContainerSecurity, PodSecurity, ServiceAccount};

/// The non-root user restricted pods run as when the entry names none.
pub const DEFAULT_UID: i64 = 1000;

/// Capabilities the baseline standard lets a container add (also what the Namespace check reads).
pub const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

pub struct LoweredSecurity {
    pub profile: PodSecurityProfile,
    pub pod: PodSecurity,
    pub container: ContainerSecurity,
    pub service_account_name: Option<String>,
    pub automount_token: bool,
    /// A ServiceAccount to create.
    pub service_account: Option<ServiceAccount>,
}

/// The account every namespace has.
const DEFAULT_SERVICE_ACCOUNT: &str = "default";

/// `default_profile` applies when `security.profile` is not set.
pub fn lower_security(
    security: Option<&Security>,
    default_profile: PodSecurityProfile,
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> LoweredSecurity {
    let empty = Security::default();
    let s = security.unwrap_or(&empty);
    let profile = s.profile.unwrap_or(default_profile);
    let mut pod = profile_pod_defaults(profile);
    let mut container = profile_container_defaults(profile);
    if let Some(p) = &s.pod_security_context {
        set(&mut pod.run_as_non_root, p.run_as_non_root);
        set(&mut pod.run_as_user, p.run_as_user);
        set(&mut pod.run_as_group, p.run_as_group);
        set(&mut pod.fs_group, p.fs_group);
        if !p.supplemental_groups.is_empty() {
            pod.supplemental_groups = p.supplemental_groups.clone();
        }
        if let Some(seccomp) = &p.seccomp_profile {
            pod.seccomp_profile = Some(seccomp_text(seccomp));
        }
    }
    if let Some(c) = &s.container_security_context {
        set(
            &mut container.allow_privilege_escalation,
            c.allow_privilege_escalation,
        );
        set(
            &mut container.read_only_root_filesystem,
            c.read_only_root_filesystem,
        );
        set(&mut container.run_as_non_root, c.run_as_non_root);
        set(&mut container.run_as_user, c.run_as_user);
        set(&mut container.run_as_group, c.run_as_group);
        set(&mut container.privileged, c.privileged);
        if let Some(seccomp) = &c.seccomp_profile {
            container.seccomp_profile = Some(seccomp_text(seccomp));
        }
        if let Some(caps) = &c.capabilities {
            if !caps.drop.is_empty() {
                container.capabilities_drop = caps.drop.clone();
            }
            container.capabilities_add = caps.add.iter().map(|c| c.value.clone()).collect();
            check_capabilities(profile, &caps.add, field, d);
        }
    }
    check_profile(profile, &pod, &container, span, field, d);

    let service_account_name = s.service_account.as_ref().map(|n| n.value.clone());
    let automount_token = s
        .automount_service_account_token
        .unwrap_or(service_account_name.is_some());
    if service_account_name.is_none() {
        let unused = [
            ("create_service_account", s.create_service_account.is_some()),
            (
                "service_account_annotations",
                !s.service_account_annotations.is_empty(),
            ),
        ];
        for (key, given) in unused {
            if given {
                d.push(
                    Diagnostic::warning(
                        Code::UnusedSetting,
                        format!(
                            "`security.{key}` has no effect without `security.service_account`"
                        ),
                    )
                    .at(span)
                    .field(format!("{field}.security.{key}")),
                );
            }
        }
    }
    // `default` is the namespace's own account, which every namespace has: use it, never
    // create (and so take over) it.
    let builtin = service_account_name.as_deref() == Some(DEFAULT_SERVICE_ACCOUNT);
    if builtin && !s.service_account_annotations.is_empty() {
        d.push(
            Diagnostic::warning(
                Code::UnusedSetting,
                "`service_account_annotations` are not applied to the namespace's `default` \
                 ServiceAccount, which k3s does not manage",
            )
            .at(s.service_account.as_ref().map_or(span, |n| n.span))
            .field(format!("{field}.security.service_account_annotations"))
            .help("name an account of this workload's own to annotate it"),
        );
    }
    let service_account = service_account_name
        .as_ref()
        .filter(|_| s.create_service_account.unwrap_or(true) && !builtin)
        .map(|name| ServiceAccount {
            name: name.clone(),
            annotations: s.service_account_annotations.clone(),
        });
    LoweredSecurity {
        profile,
        pod,
        container,
        service_account_name,
        automount_token,
        service_account,
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

fn seccomp_text(profile: &crate::config::SeccompProfile) -> String {
    match (&profile.kind.value[..], &profile.localhost_profile) {
        ("Localhost", Some(path)) => format!("Localhost/{path}"),
        (kind, _) => kind.to_string(),
    }
}

/// The pod-level settings each standard starts from.
pub fn profile_pod_defaults(profile: PodSecurityProfile) -> PodSecurity {
    match profile {
        PodSecurityProfile::Restricted => PodSecurity {
            run_as_non_root: Some(true),
            run_as_user: Some(DEFAULT_UID),
            run_as_group: Some(DEFAULT_UID),
            fs_group: Some(DEFAULT_UID),
            supplemental_groups: Vec::new(),
            seccomp_profile: Some("RuntimeDefault".to_string()),
        },
        PodSecurityProfile::Baseline => PodSecurity {
            seccomp_profile: Some("RuntimeDefault".to_string()),
            ..PodSecurity::default()
        },
        PodSecurityProfile::Privileged => PodSecurity::default(),
    }
}

/// The container-level settings each standard starts from.
pub fn profile_container_defaults(profile: PodSecurityProfile) -> ContainerSecurity {
    match profile {
        // A read-only root filesystem (with a writable /tmp, see `lower_workload`): an image
        // that writes elsewhere says so with `read_only_root_filesystem: false`.
        PodSecurityProfile::Restricted => ContainerSecurity {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities_drop: vec!["ALL".to_string()],
            ..ContainerSecurity::default()
        },
        PodSecurityProfile::Baseline => ContainerSecurity {
            allow_privilege_escalation: Some(false),
            ..ContainerSecurity::default()
        },
        PodSecurityProfile::Privileged => ContainerSecurity::default(),
    }
}

fn check_capabilities(
    profile: PodSecurityProfile,
    added: &[crate::yaml::Spanned<String>],
    field: &str,
    d: &mut Diagnostics,
) {
    let allowed: &[&str] = match profile {
        PodSecurityProfile::Restricted => &["NET_BIND_SERVICE"],
        PodSecurityProfile::Baseline => BASELINE_CAPABILITIES,
        PodSecurityProfile::Privileged => return,
    };
    for capability in added {
        let name = capability.value.trim_start_matches("CAP_");
        if !allowed.contains(&name) {
            d.push(
                Diagnostic::error(
                    Code::SecurityProfile,
                    format!(
                        "capability {} is not allowed under the {} Pod Security Standard",
                        capability.value,
                        profile_name(profile)
                    ),
                )
                .at(capability.span)
                .field(format!(
                    "{field}.security.container_security_context.capabilities.add"
                ))
                .help(loosen_help(profile)),
            );
        }
    }
}

/// Settings that contradict the chosen standard.
fn check_profile(
    profile: PodSecurityProfile,
    pod: &PodSecurity,
    container: &ContainerSecurity,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) {
    // (field under `security`, what is wrong)
    let mut problems: Vec<(&str, &str)> = Vec::new();
    if profile != PodSecurityProfile::Privileged && container.privileged == Some(true) {
        problems.push((CONTAINER_PRIVILEGED, "privileged: true"));
    }
    if profile == PodSecurityProfile::Restricted {
        if container.allow_privilege_escalation != Some(false) {
            problems.push((
                CONTAINER_ESCALATION,
                "allow_privilege_escalation must be false",
            ));
        }
        if pod.run_as_non_root == Some(false) {
            problems.push((POD_NON_ROOT, "run_as_non_root must be true"));
        }
        if container.run_as_non_root == Some(false) {
            problems.push((CONTAINER_NON_ROOT, "run_as_non_root must be true"));
        }
        if pod.run_as_user == Some(0) {
            problems.push((POD_USER, "run_as_user 0 (root)"));
        }
        if container.run_as_user == Some(0) {
            problems.push((CONTAINER_USER, "run_as_user 0 (root)"));
        }
        if !container.capabilities_drop.iter().any(|c| c == "ALL") {
            problems.push((CONTAINER_DROP, "capabilities must drop ALL"));
        }
    }
    let unconfined = |s: &Option<String>| s.as_deref() == Some("Unconfined");
    if profile != PodSecurityProfile::Privileged {
        if unconfined(&pod.seccomp_profile) {
            problems.push((POD_SECCOMP, "seccomp profile Unconfined"));
        }
        if unconfined(&container.seccomp_profile) {
            problems.push((CONTAINER_SECCOMP, "seccomp profile Unconfined"));
        }
    }
    for (setting, problem) in problems {
        d.push(
            Diagnostic::error(
                Code::SecurityProfile,
                format!(
                    "{problem}: not allowed under the {} Pod Security Standard",
                    profile_name(profile)
                ),
            )
            .at(span)
            .field(format!("{field}.security.{setting}"))
            .help(loosen_help(profile)),
        );
    }
}

const CONTAINER_PRIVILEGED: &str = "container_security_context.privileged";
const CONTAINER_ESCALATION: &str = "container_security_context.allow_privilege_escalation";
const CONTAINER_NON_ROOT: &str = "container_security_context.run_as_non_root";
const CONTAINER_USER: &str = "container_security_context.run_as_user";
const CONTAINER_DROP: &str = "container_security_context.capabilities.drop";
const CONTAINER_SECCOMP: &str = "container_security_context.seccomp_profile";
const POD_NON_ROOT: &str = "pod_security_context.run_as_non_root";
const POD_USER: &str = "pod_security_context.run_as_user";
const POD_SECCOMP: &str = "pod_security_context.seccomp_profile";

fn profile_name(profile: PodSecurityProfile) -> &'static str {
    match profile {
        PodSecurityProfile::Restricted => "restricted",
        PodSecurityProfile::Baseline => "baseline",
        PodSecurityProfile::Privileged => "privileged",
    }
}

fn loosen_help(profile: PodSecurityProfile) -> String {
    let looser = match profile {
        PodSecurityProfile::Restricted => "baseline",
        _ => "privileged",
    };
    format!("to loosen it, set `security.profile: {looser}` on this entry")
}
