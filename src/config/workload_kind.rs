//! `kind:` and `job:` — whether an entry runs as a Deployment, StatefulSet, CronJob or Job,
//! and the settings of the latter two.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::yaml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// A Deployment: interchangeable replicas, rolled out gradually (the default).
    Deployment,
    /// A StatefulSet with a headless Service: stable names and one claim per replica.
    Statefulset,
    /// A CronJob running on `job.schedule`.
    Cronjob,
    /// A Job that runs once to completion.
    Job,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum ConcurrencyPolicy {
    /// Skip a run while the previous one is still running.
    Forbid,
    /// Let runs overlap.
    Allow,
    /// Stop the running Job and start the new run.
    Replace,
}

/// What a Job's pod does when its container fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum JobRestartPolicy {
    /// Restart the container in the same pod (counts towards `backoff_limit`).
    OnFailure,
    /// Never restart in place; a new pod is made for each retry.
    Never,
}

impl JobRestartPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            JobRestartPolicy::OnFailure => "OnFailure",
            JobRestartPolicy::Never => "Never",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// CronJob schedule (cron syntax); required for `kind: cronjob`.
    pub schedule: Option<Spanned<String>>,
    /// IANA time zone of the schedule, e.g. `UTC`, `Europe/Paris`.
    pub timezone: Option<Spanned<String>>,
    /// Default `Forbid`.
    pub concurrency_policy: Option<Spanned<ConcurrencyPolicy>>,
    /// CronJob: a run that could not start within this many seconds of its time is skipped
    /// (`startingDeadlineSeconds`).
    pub starting_deadline_seconds: Option<Spanned<i64>>,
    /// Kill a run after this many seconds.
    pub active_deadline_seconds: Option<Spanned<i64>>,
    /// Retries before a run is marked failed; default 2.
    pub backoff_limit: Option<Spanned<i32>>,
    /// CronJob: finished successful Jobs kept (`successfulJobsHistoryLimit`). Default: Kubernetes'
    /// 3.
    pub successful_jobs_history_limit: Option<Spanned<i32>>,
    /// CronJob: failed Jobs kept (`failedJobsHistoryLimit`). Default: Kubernetes' 1.
    pub failed_jobs_history_limit: Option<Spanned<i32>>,
    /// CronJob: `true` stops new runs from being scheduled (`suspend`). Default: false.
    pub suspend: Option<Spanned<bool>>,
    /// Delete finished Jobs after this many seconds.
    pub ttl_seconds_after_finished: Option<Spanned<i32>>,
    /// `OnFailure` (default) or `Never`.
    pub restart_policy: Option<Spanned<JobRestartPolicy>>,
}
