//! Keys only the Docker engine understands: one warning per service and key, saying what is
//! lost. Nothing a compose file says is dropped without a word.

use crate::config::PodSecurityProfile;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::sources::compose::Service;
use crate::yaml::Spanned;

/// `at` says where the service's settings are written ("under `services.web` in …").
pub fn warn_docker_only(
    service: &Spanned<Service>,
    profile: PodSecurityProfile,
    field: &str,
    at: &str,
    d: &mut Diagnostics,
) {
    let svc = &service.value;
    let here = service.span;
    let mut warn = |key: &str, span: Span, what: &str| {
        d.push(
            Diagnostic::warning(Code::DockerOnly, format!("`{key}`: {what}"))
                .at(span)
                .field(format!("{field}.{key}")),
        );
    };
    // `engine_only` keys are reported by the parser already.
    if let Some(mode) = &svc.network_mode
        && mode.value != "bridge"
        && mode.value != "default"
    {
        warn(
            "network_mode",
            mode.span,
            &format!(
                "`{}` is not available to a pod; it uses the pod network",
                mode.value
            ),
        );
    }
    if let Some(privileged) = &svc.privileged
        && privileged.value
        && profile != PodSecurityProfile::Privileged
    {
        warn(
            "privileged",
            privileged.span,
            &format!(
                "not kept: the container runs unprivileged (set `security.profile: privileged` {at} to keep it)"
            ),
        );
    }
    for (key, value) in [
        ("pid", &svc.pid),
        ("ipc", &svc.ipc),
        ("cgroup_parent", &svc.cgroup_parent),
        ("runtime", &svc.runtime),
        ("stop_signal", &svc.stop_signal),
        ("platform", &svc.platform),
    ] {
        if let Some(value) = value {
            warn(key, value.span, &format!("`{}` is not kept", value.value));
        }
    }
    if let Some(init) = &svc.init
        && init.value
    {
        warn(
            "init",
            init.span,
            "no init process is injected; the image's entrypoint is PID 1",
        );
    }
    if let Some(limit) = &svc.pids_limit {
        warn(
            "pids_limit",
            limit.span,
            "Kubernetes has no per-container process limit",
        );
    }
    if let Some(logging) = &svc.logging {
        warn(
            "logging",
            logging.span,
            "logs go to the cluster's log collection",
        );
    }
    let security_opt = format!("not kept; set `security` {at}");
    let lists: [(&str, &[Spanned<String>], &str); 4] = [
        (
            "links",
            &svc.links,
            "services reach each other by their service names",
        ),
        ("external_links", &svc.external_links, "not kept"),
        (
            "volumes_from",
            &svc.volumes_from,
            "not kept; share a named volume instead",
        ),
        ("security_opt", &svc.security_opt, &security_opt),
    ];
    for (key, items, what) in lists {
        if let Some(first) = items.first() {
            warn(key, first.span, what);
        }
    }
    if let Some(device) = svc.devices.first() {
        warn(
            "devices",
            device.span,
            "host devices are not available to the pod",
        );
    }
    if let Some((name, ulimit)) = svc.ulimits.iter().next() {
        warn(
            "ulimits",
            ulimit.span,
            &format!("`{name}` and the other limits are not kept"),
        );
    }
    let plain: [(&str, bool, &str); 8] = [
        ("sysctls", !svc.sysctls.is_empty(), "not kept"),
        ("dns", !svc.dns.is_empty(), "pods use the cluster DNS"),
        (
            "dns_search",
            !svc.dns_search.is_empty(),
            "pods use the cluster DNS",
        ),
        (
            "dns_opt",
            !svc.dns_opt.is_empty(),
            "pods use the cluster DNS",
        ),
        ("domainname", svc.domainname.is_some(), "not kept"),
        ("group_add", !svc.group_add.is_empty(), "not kept"),
        (
            "post_start",
            !svc.post_start.is_empty(),
            "lifecycle hooks are not kept",
        ),
        (
            "pre_stop",
            !svc.pre_stop.is_empty(),
            "lifecycle hooks are not kept",
        ),
    ];
    for (key, present, what) in plain {
        if present {
            warn(key, here, what);
        }
    }
    if let Some(deploy) = &svc.deploy {
        if let Some(mode) = &deploy.mode
            && mode.value == "global"
        {
            warn(
                "deploy.mode",
                mode.span,
                "`global` (one task per node) is not kept; replicas are counted",
            );
        }
        if deploy.update_config.is_some() || deploy.rollback_config.is_some() {
            warn(
                "deploy.update_config",
                here,
                "not kept; rollouts follow `strategy` (RollingUpdate, maxSurge 1, maxUnavailable 0)",
            );
        }
        if let Some(placement) = &deploy.placement
            && !placement.preferences.is_empty()
        {
            warn(
                "deploy.placement.preferences",
                here,
                &format!("not kept; set `anti_affinity` {at}"),
            );
        }
        if deploy.endpoint_mode.is_some() {
            warn("deploy.endpoint_mode", here, "not kept");
        }
    }
}
