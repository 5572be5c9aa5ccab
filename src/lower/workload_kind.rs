//! `kind:` and `job:` to the controller: Deployment, StatefulSet, CronJob or Job. A CronJob's
//! name may be at most 52 characters (Kubernetes appends a timestamp to its Jobs' names).

use super::check_cron;
use super::spec::ControllerKind;
use crate::config::{ConcurrencyPolicy, JobRestartPolicy, JobSettings};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::names::check_dns_label;
use crate::workload::{Claim, Controller, JobOptions, RolloutStrategy};

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
    if input.job.is_some() && !input.kind.is_job() {
        d.push(
            Diagnostic::error(
                Code::ConflictingKeys,
                "`job:` settings need `kind: cronjob` or `kind: job`",
            )
            .at(input.span)
            .field(format!("{}.job", input.field)),
        );
    }
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
                time_zone: job.timezone.clone(),
                concurrency_policy: job.concurrency_policy.unwrap_or(ConcurrencyPolicy::Forbid),
                starting_deadline_seconds: job.starting_deadline_seconds,
                successful_jobs_history_limit: job.successful_jobs_history_limit.unwrap_or(3),
                failed_jobs_history_limit: job.failed_jobs_history_limit.unwrap_or(1),
                suspend: job.suspend.unwrap_or(false),
                job: job_options(job),
            }
        }
    }
}

pub fn job_options(job: &JobSettings) -> JobOptions {
    JobOptions {
        active_deadline_seconds: job.active_deadline_seconds,
        backoff_limit: job.backoff_limit.unwrap_or(2),
        ttl_seconds_after_finished: job.ttl_seconds_after_finished,
        restart_policy: job
            .restart_policy
            .unwrap_or(JobRestartPolicy::OnFailure)
            .as_str()
            .to_string(),
    }
}
