//! The Job of a workload whose controller is `Controller::Job`, and the JobSpec that Jobs,
//! CronJobs and KEDA ScaledJobs share. It must not pick a restart policy the IR didn't give.

use k8s_openapi::api::batch::v1::{Job, JobSpec};

use super::{object_meta, pod_template};
use crate::workload::{Controller, JobOptions, Workload};

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
