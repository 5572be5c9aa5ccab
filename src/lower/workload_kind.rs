//! `kind:` and `job:` to the controller: Deployment, StatefulSet, CronJob or Job. A CronJob's
//! name may be at most 52 characters (Kubernetes appends a timestamp to its Jobs' names).

use super::check_cron;
use super::spec::ControllerKind;
use crate::config::{ConcurrencyPolicy, JobRestartPolicy, JobSettings};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::check_dns_label;
use crate::workload::{Claim, Controller, JobOptions, RolloutStrategy};
use crate::yaml::Spanned;

pub use crate::names::CRONJOB_NAME_MAX;

pub struct JobInput<'a> {
    pub kind: ControllerKind,
    pub job: Option<&'a JobSettings>,
    pub strategy: RolloutStrategy,
    pub revision_history_limit: Option<i32>,
    pub stateful_claims: Vec<Claim>,
    pub name: &'a str,
    pub field: &'a str,
    pub span: Span,
}

pub fn lower_controller(input: &JobInput<'_>, d: &mut Diagnostics) -> Controller {
    let empty = JobSettings::default();
    let job = input.job.unwrap_or(&empty);
    check_job_fields(input, job, d);
    match input.kind {
        ControllerKind::Deployment => Controller::Deployment {
            strategy: input.strategy.clone(),
            revision_history_limit: input.revision_history_limit.unwrap_or(10),
        },
        ControllerKind::StatefulSet => Controller::StatefulSet {
            service_name: format!("{}-headless", input.name),
            claims: input.stateful_claims.clone(),
        },
        ControllerKind::Job => Controller::Job {
            job: job_options(job),
        },
        ControllerKind::ScaledJob => Controller::ScaledJob {
            job: job_options(job),
        },
        ControllerKind::CronJob => {
            if let Err(problem) = check_dns_label(input.name, CRONJOB_NAME_MAX) {
                d.push(
                    Diagnostic::error(
                        problem.code(),
                        format!("CronJob name `{}` {problem}", input.name),
                    )
                    .at(input.span)
                    .field(input.field.to_string())
                    .help("Kubernetes adds an 11-character suffix to the Jobs a CronJob creates"),
                );
            }
            let schedule = match &job.schedule {
                Some(schedule) => {
                    if let Err(problem) = check_cron(&schedule.value) {
                        d.push(
                            Diagnostic::error(Code::BadCron, problem)
                                .at(schedule.span)
                                .field(format!("{}.job.schedule", input.field)),
                        );
                    }
                    schedule.value.clone()
                }
                None => {
                    d.push(
                        Diagnostic::error(Code::MissingKey, "`kind: cronjob` needs `job.schedule`")
                            .at(input.span)
                            .field(format!("{}.job", input.field)),
                    );
                    String::new()
                }
            };
            Controller::CronJob {
                schedule,
                time_zone: value(&job.timezone),
                concurrency_policy: value(&job.concurrency_policy)
                    .unwrap_or(ConcurrencyPolicy::Forbid),
                starting_deadline_seconds: value(&job.starting_deadline_seconds),
                successful_jobs_history_limit: value(&job.successful_jobs_history_limit)
                    .unwrap_or(3),
                failed_jobs_history_limit: value(&job.failed_jobs_history_limit).unwrap_or(1),
                suspend: value(&job.suspend).unwrap_or(false),
                job: job_options(job),
            }
        }
    }
}

pub fn job_options(job: &JobSettings) -> JobOptions {
    JobOptions {
        active_deadline_seconds: value(&job.active_deadline_seconds),
        backoff_limit: value(&job.backoff_limit).unwrap_or(2),
        ttl_seconds_after_finished: value(&job.ttl_seconds_after_finished),
        restart_policy: value(&job.restart_policy)
            .unwrap_or(JobRestartPolicy::OnFailure)
            .as_str()
            .to_string(),
    }
}

fn value<T: Clone>(setting: &Option<Spanned<T>>) -> Option<T> {
    setting.as_ref().map(|s| s.value.clone())
}

/// `job:` fields the controller has no use for are never silently dropped. `schedule` on
/// anything but a CronJob is an error: the entry was meant to be `kind: cronjob`, and running
/// it as a long-lived pod (or once) is not what was asked. The other fields tune Jobs: on a
/// Deployment or StatefulSet each is a warning at its value; on a Job, those only a CronJob
/// has (history limits, suspend, time zone…) are.
fn check_job_fields(input: &JobInput<'_>, job: &JobSettings, d: &mut Diagnostics) {
    let controller = match input.kind {
        ControllerKind::CronJob => return,
        ControllerKind::Deployment => "a Deployment",
        ControllerKind::StatefulSet => "a StatefulSet",
        ControllerKind::Job => "a Job",
        ControllerKind::ScaledJob => "a ScaledJob",
    };
    if let Some(schedule) = &job.schedule {
        d.push(
            Diagnostic::error(
                Code::ConflictingKeys,
                format!(
                    "`job.schedule` needs `kind: cronjob`: {controller} does not run on a schedule"
                ),
            )
            .at(schedule.span)
            .field(format!("{}.job.schedule", input.field))
            .help(format!(
                "set `kind: cronjob` to run `{}` on this schedule, or remove `job.schedule`",
                input.name
            )),
        );
    }
    let runs_jobs = input.kind.is_job();
    let unused: Vec<(&str, Option<Span>)> = job_fields(job)
        .into_iter()
        .filter(|(key, _, cron_only)| *key != "schedule" && (*cron_only || !runs_jobs))
        .map(|(key, span, _)| (key, span))
        .collect();
    let (why, help) = if runs_jobs {
        ("only a CronJob has it", "it applies to `kind: cronjob`")
    } else {
        (
            "it runs no Jobs",
            "`job:` settings apply to `kind: job` and `kind: cronjob`",
        )
    };
    warn_unused_job_fields(
        &unused,
        input.field,
        &|key| format!("`job.{key}` has no effect on {controller}: {why}"),
        help,
        d,
    );
}

/// Each field of `job:`, where it is written when set, and whether only a CronJob has it.
fn job_fields(job: &JobSettings) -> [(&'static str, Option<Span>, bool); 11] {
    fn at<T>(setting: &Option<Spanned<T>>) -> Option<Span> {
        setting.as_ref().map(|s| s.span)
    }
    [
        ("schedule", at(&job.schedule), true),
        ("timezone", at(&job.timezone), true),
        ("concurrency_policy", at(&job.concurrency_policy), true),
        (
            "starting_deadline_seconds",
            at(&job.starting_deadline_seconds),
            true,
        ),
        (
            "successful_jobs_history_limit",
            at(&job.successful_jobs_history_limit),
            true,
        ),
        (
            "failed_jobs_history_limit",
            at(&job.failed_jobs_history_limit),
            true,
        ),
        ("suspend", at(&job.suspend), true),
        (
            "active_deadline_seconds",
            at(&job.active_deadline_seconds),
            false,
        ),
        ("backoff_limit", at(&job.backoff_limit), false),
        (
            "ttl_seconds_after_finished",
            at(&job.ttl_seconds_after_finished),
            false,
        ),
        ("restart_policy", at(&job.restart_policy), false),
    ]
}

/// One warning per `job.<key>` that is set (`Some` span) but has no effect, at its value:
/// `message(key)` says why. Apps, compose services and function projects share it.
pub fn warn_unused_job_fields(
    set: &[(&str, Option<Span>)],
    field: &str,
    message: &dyn Fn(&str) -> String,
    help: &str,
    d: &mut Diagnostics,
) {
    for (key, span) in set {
        if let Some(span) = span {
            d.push(
                Diagnostic::warning(Code::UnusedSetting, message(key))
                    .at(*span)
                    .field(format!("{field}.job.{key}"))
                    .help(help.to_string()),
            );
        }
    }
}
