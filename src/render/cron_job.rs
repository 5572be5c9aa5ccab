//! The CronJob of a workload whose controller is `Controller::CronJob`.
//! The job inside it comes from `job::job_spec`; this file must not build a JobSpec itself.

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{job_spec, object_meta, only_true};
use crate::config::ConcurrencyPolicy;
use crate::workload::{Controller, Workload};

pub(super) fn render(w: &Workload) -> Option<CronJob> {
    let Controller::CronJob {
        schedule,
        time_zone,
        concurrency_policy,
        starting_deadline_seconds,
        successful_jobs_history_limit,
        failed_jobs_history_limit,
        suspend,
        job,
    } = &w.controller
    else {
        return None;
    };
    Some(CronJob {
        metadata: object_meta(w, &w.name),
        spec: Some(CronJobSpec {
            schedule: schedule.clone(),
            time_zone: time_zone.clone(),
            concurrency_policy: Some(concurrency_policy_name(*concurrency_policy).to_string()),
            starting_deadline_seconds: *starting_deadline_seconds,
            successful_jobs_history_limit: Some(*successful_jobs_history_limit),
            failed_jobs_history_limit: Some(*failed_jobs_history_limit),
            suspend: only_true(*suspend),
            job_template: JobTemplateSpec {
                // The Jobs it creates carry the workload's labels, so they can be found.
                metadata: Some(ObjectMeta {
                    labels: Some(w.object_labels()),
                    ..ObjectMeta::default()
                }),
                spec: Some(job_spec(w, job)),
            },
        }),
        status: None,
    })
}

fn concurrency_policy_name(policy: ConcurrencyPolicy) -> &'static str {
    match policy {
        ConcurrencyPolicy::Forbid => "Forbid",
        ConcurrencyPolicy::Allow => "Allow",
        ConcurrencyPolicy::Replace => "Replace",
    }
}
