//! The CronJob of a workload whose controller is `Controller::CronJob`.
//! The job inside it comes from `job::job_spec`; this file must not build a JobSpec itself.

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, JobTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::object::object;
use super::{job_spec, object_meta, only_true};
use crate::config::ConcurrencyPolicy;
use crate::workload::{Controller, Workload};

object!(CronJob, WORKLOAD);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{backup, web};

    fn spec(w: &Workload) -> CronJobSpec {
        render(w).and_then(|c| c.spec).expect("a CronJob")
    }

    #[test]
    fn job_template_has_the_restart_policy() {
        let spec = spec(&backup());
        let job = spec.job_template.spec.expect("job spec");
        let pod = job.template.spec.expect("pod spec");
        assert_eq!(pod.restart_policy.as_deref(), Some("OnFailure"));
        assert_eq!(job.backoff_limit, Some(2));
        assert_eq!(job.active_deadline_seconds, Some(3600));
        assert_eq!(job.ttl_seconds_after_finished, Some(86400));
    }

    #[test]
    fn job_template_is_the_shared_job_spec() {
        let w = backup();
        let Controller::CronJob { job, .. } = &w.controller else {
            unreachable!("backup is a CronJob")
        };
        assert_eq!(spec(&w).job_template.spec, Some(job_spec(&w, job)));
    }

    #[test]
    fn schedule_settings_pass_through() {
        let spec = spec(&backup());
        assert_eq!(spec.schedule, "0 3 * * *");
        assert_eq!(spec.time_zone.as_deref(), Some("Europe/Paris"));
        assert_eq!(spec.concurrency_policy.as_deref(), Some("Forbid"));
        assert_eq!(spec.starting_deadline_seconds, Some(600));
        assert_eq!(spec.successful_jobs_history_limit, Some(3));
        assert_eq!(spec.failed_jobs_history_limit, Some(1));
        assert_eq!(spec.suspend, None);
    }

    #[test]
    fn suspend_is_written_when_set() {
        let mut w = backup();
        if let Controller::CronJob { suspend, .. } = &mut w.controller {
            *suspend = true;
        }
        assert_eq!(spec(&w).suspend, Some(true));
    }

    #[test]
    fn other_controllers_get_no_cron_job() {
        assert!(render(&web()).is_none());
    }
}
