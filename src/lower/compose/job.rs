//! A compose service's `restart` policy as Job settings, or a warning where a long-running
//! controller cannot keep it.

use crate::config::{JobRestartPolicy, JobSettings, WorkloadKind};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::sources::compose::Service as ComposeService;
use crate::yaml::Spanned;

/// What deciding a service's Job settings needs beyond the service.
pub(super) struct JobInput<'a> {
    /// apps.yaml's `job:` settings, which win.
    pub(super) settings: Option<&'a JobSettings>,
    /// Why a service whose `restart` says it runs once is kept running.
    pub(super) kept_running: Option<&'a str>,
    pub(super) span: Span,
    pub(super) field: &'a str,
    pub(super) at: &'a str,
}

/// `restart` and `deploy.restart_policy`: a Job's restart policy and retries (apps.yaml's
/// `job:` settings win): `no` → `Never` and no retry, `on-failure:N` → N retries. A
/// long-running controller always restarts its pods, which is said when the compose file asks
/// otherwise, with why the service is long-running.
pub(super) fn job_settings(
    svc: &ComposeService,
    kind: WorkloadKind,
    input: &JobInput<'_>,
    d: &mut Diagnostics,
) -> Option<JobSettings> {
    let settings = input.settings;
    let is_job = matches!(kind, WorkloadKind::Job | WorkloadKind::Cronjob);
    let swarm = svc.deploy.as_ref().and_then(|d| d.restart_policy.as_ref());
    let (policy, retries, where_span) = match (&svc.restart, swarm) {
        (Some(restart), _) => {
            let (policy, retries) = restart
                .value
                .split_once(':')
                .unwrap_or((&restart.value, ""));
            (
                policy.to_string(),
                retries.parse::<i32>().ok(),
                restart.span,
            )
        }
        (None, Some(swarm)) => (
            match swarm.condition.as_deref() {
                Some("none") => "no".to_string(),
                Some("on-failure") => "on-failure".to_string(),
                _ => "always".to_string(),
            },
            swarm.max_attempts.and_then(|n| i32::try_from(n).ok()),
            input.span,
        ),
        (None, None) => return settings.cloned(),
    };
    if !is_job {
        if policy == "no" || policy == "on-failure" {
            let why = match input.kept_running {
                Some(why) => format!("it runs as a {} because {why}", kind_name(kind)),
                None => format!("it runs as a {}", kind_name(kind)),
            };
            d.push(
                Diagnostic::warning(
                    Code::RestartPolicy,
                    format!("restart `{policy}` is not kept: {why}, whose pods Kubernetes restarts whenever they stop"),
                )
                .at(where_span)
                .field(format!("{}.restart", input.field))
                .help(format!("for a one-shot task, set `kind: job` {}", input.at)),
            );
        }
        return settings.cloned();
    }
    let mut job = settings.cloned().unwrap_or_default();
    if policy == "no" && job.restart_policy.is_none() {
        job.restart_policy = Some(Spanned::new(JobRestartPolicy::Never, where_span));
    }
    if job.backoff_limit.is_none() {
        match (policy.as_str(), retries) {
            ("no", _) => job.backoff_limit = Some(Spanned::new(0, where_span)),
            (_, Some(n)) => job.backoff_limit = Some(Spanned::new(n, where_span)),
            _ => {}
        }
    }
    Some(job)
}

fn kind_name(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::Statefulset => "StatefulSet",
        WorkloadKind::Job => "Job",
        WorkloadKind::Cronjob => "CronJob",
    }
}
