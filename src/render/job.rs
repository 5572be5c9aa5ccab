//! The Job of a workload whose controller is `Controller::Job`, and the JobSpec that Jobs,
//! CronJobs and KEDA ScaledJobs share. It must not pick a restart policy the IR didn't give.

use k8s_openapi::api::batch::v1::{Job, JobSpec};

use super::object::object;
use super::{object_meta, pod_template};
use crate::workload::{Controller, JobOptions, Workload};

object!(Job, WORKLOAD);

pub(super) fn render(w: &Workload) -> Option<Job> {
    let Controller::Job { job } = &w.controller else {
        return None;
    };
    Some(Job {
        metadata: object_meta(w, &w.name),
        spec: Some(job_spec(w, job)),
        status: None,
    })
}

/// Deadlines, retries, clean-up and the pod template with the job's restart policy. The
/// selector is left to the API server, which generates a unique one per Job.
pub fn job_spec(w: &Workload, job: &JobOptions) -> JobSpec {
    let mut template = pod_template(w);
    if let Some(spec) = template.spec.as_mut() {
        spec.restart_policy = Some(job.restart_policy.clone());
    }
    JobSpec {
        active_deadline_seconds: job.active_deadline_seconds,
        backoff_limit: Some(job.backoff_limit),
        ttl_seconds_after_finished: job.ttl_seconds_after_finished,
        template,
        ..JobSpec::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{backup, migrate, web};

    #[test]
    fn job_carries_options_and_restart_policy() {
        let w = migrate();
        let job = render(&w).expect("a Job");
        assert_eq!(job.metadata.name.as_deref(), Some("migrate"));
        let spec = job.spec.expect("spec");
        assert_eq!(spec.backoff_limit, Some(4));
        assert_eq!(spec.active_deadline_seconds, None);
        assert_eq!(spec.ttl_seconds_after_finished, None);
        // The API server generates a unique selector per Job.
        assert_eq!(spec.selector, None);
        let pod = spec.template.spec.expect("pod spec");
        assert_eq!(pod.restart_policy.as_deref(), Some("Never"));
    }

    #[test]
    fn other_controllers_get_no_job() {
        assert!(render(&web()).is_none());
        assert!(render(&backup()).is_none());
    }
}
