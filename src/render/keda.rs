//! KEDA for queue and cron scaling: a ScaledObject (or, for `Controller::ScaledJob`, a
//! ScaledJob) and the TriggerAuthentication its trigger uses. Never for HPA or HTTP scaling.

use std::collections::BTreeMap;

use k8s_openapi::Resource as _;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};

use super::crd::keda::{
    AuthKeyRef, AuthenticationRef, ScaleTargetRef, ScaleTrigger, ScaledJob, ScaledJobSpec,
    ScaledObject, ScaledObjectSpec, TriggerAuthentication, TriggerAuthenticationSpec,
};
use super::object::object;
use super::{Manifest, count, job_spec, object_meta};
use crate::workload::{Controller, CronWindow, QueueTrigger, Scaling, Workload};

object!(ScaledJob, "ScaledJob", WORKLOAD);
object!(
    TriggerAuthentication,
    "TriggerAuthentication",
    TRIGGER_AUTHENTICATION
);
object!(ScaledObject, "ScaledObject", SCALER);

pub(super) fn render(w: &Workload) -> Vec<Manifest> {
    match &w.scaling {
        Scaling::Queue {
            min,
            max,
            queue,
            cooldown_period,
            polling_interval,
        } => {
            let auth = queue
                .password
                .as_ref()
                .map(|(secret, key)| trigger_authentication(w, secret, key));
            let trigger = queue_trigger(queue, auth.as_ref());
            let scaler = if let Controller::ScaledJob { job } = &w.controller {
                Some(Manifest::new(ScaledJob {
                    metadata: object_meta(w, &w.name),
                    spec: ScaledJobSpec {
                        job_target_ref: job_spec(w, job),
                        polling_interval: polling_interval.map(count),
                        min_replica_count: Some(count(*min)),
                        max_replica_count: Some(count(*max)),
                        triggers: vec![trigger],
                        ..ScaledJobSpec::default()
                    },
                }))
            } else {
                scaled_object(
                    w,
                    ScaledObjectSpec {
                        polling_interval: polling_interval.map(count),
                        cooldown_period: cooldown_period.map(count),
                        triggers: vec![trigger],
                        ..replica_bounds(*min, *max)
                    },
                )
                .map(Manifest::new)
            };
            // A TriggerAuthentication only goes with the object whose trigger references it.
            match scaler {
                Some(scaler) => auth
                    .map(Manifest::new)
                    .into_iter()
                    .chain([scaler])
                    .collect(),
                None => Vec::new(),
            }
        }
        Scaling::Cron { min, max, windows } => scaled_object(
            w,
            ScaledObjectSpec {
                triggers: windows.iter().map(cron_trigger).collect(),
                ..replica_bounds(*min, *max)
            },
        )
        .map(Manifest::new)
        .into_iter()
        .collect(),
        Scaling::None | Scaling::Hpa { .. } | Scaling::Http { .. } => Vec::new(),
    }
}

/// A ScaledObject for `w`'s Deployment or StatefulSet, `None` for controllers without a replica
/// count. `spec.scale_target_ref` is filled in here.
pub(super) fn scaled_object(w: &Workload, spec: ScaledObjectSpec) -> Option<ScaledObject> {
    Some(ScaledObject {
        metadata: object_meta(w, &w.name),
        spec: ScaledObjectSpec {
            scale_target_ref: scale_target(w)?,
            ..spec
        },
    })
}

/// `minReplicaCount`/`maxReplicaCount`. Lowering rejects min > max; the CRD's CEL rule
/// (min ≤ max) would too.
pub(super) fn replica_bounds(min: u32, max: u32) -> ScaledObjectSpec {
    ScaledObjectSpec {
        min_replica_count: Some(count(min)),
        max_replica_count: Some(count(max)),
        ..ScaledObjectSpec::default()
    }
}

/// The workload's Deployment or StatefulSet; Jobs have no replica count to scale.
pub(super) fn scale_target(w: &Workload) -> Option<ScaleTargetRef> {
    let (api_version, kind) = match w.controller {
        Controller::Deployment { .. } => (Deployment::API_VERSION, Deployment::KIND),
        Controller::StatefulSet { .. } => (StatefulSet::API_VERSION, StatefulSet::KIND),
        Controller::CronJob { .. } | Controller::Job { .. } | Controller::ScaledJob { .. } => {
            return None;
        }
    };
    Some(ScaleTargetRef {
        api_version: Some(api_version.to_string()),
        kind: Some(kind.to_string()),
        name: w.name.clone(),
        env_source_container_name: None,
    })
}

/// The queue's password for the trigger, from a key of a Secret in the workload's namespace.
fn trigger_authentication(w: &Workload, secret: &str, key: &str) -> TriggerAuthentication {
    TriggerAuthentication {
        metadata: object_meta(w, &format!("{}-queue", w.name)),
        spec: TriggerAuthenticationSpec {
            secret_target_ref: vec![AuthKeyRef {
                parameter: "password".to_string(),
                name: secret.to_string(),
                key: key.to_string(),
            }],
            ..TriggerAuthenticationSpec::default()
        },
    }
}

/// A `redis` trigger on a list's length, or a `redis-streams` trigger on a consumer group's
/// lag: the entries not yet delivered to any consumer. (The pending-entries count only sees
/// entries a consumer has already read, so a group scaled to zero would never wake up.)
fn queue_trigger(queue: &QueueTrigger, auth: Option<&TriggerAuthentication>) -> ScaleTrigger {
    let mut metadata = BTreeMap::from([("address".to_string(), queue.address.clone())]);
    let target = queue.target.to_string();
    let r#type = if queue.stream {
        metadata.insert("stream".to_string(), queue.name.clone());
        match &queue.consumer_group {
            Some(group) => {
                metadata.insert("consumerGroup".to_string(), group.clone());
                metadata.insert("lagCount".to_string(), target);
            }
            // Without a group (lowering asks for one) only the stream's length is known.
            None => {
                metadata.insert("streamLength".to_string(), target);
            }
        }
        "redis-streams"
    } else {
        metadata.insert("listName".to_string(), queue.name.clone());
        metadata.insert("listLength".to_string(), target);
        "redis"
    };
    if let Some(database) = queue.database {
        metadata.insert("databaseIndex".to_string(), database.to_string());
    }
    if queue.tls {
        metadata.insert("enableTLS".to_string(), "true".to_string());
    }
    ScaleTrigger {
        r#type: r#type.to_string(),
        metadata,
        authentication_ref: auth.map(|auth| AuthenticationRef {
            name: auth.metadata.name.clone().unwrap_or_default(),
            kind: None,
        }),
        ..ScaleTrigger::default()
    }
}

/// `desiredReplicas` between `start` and `end` (cron expressions in `timezone`).
fn cron_trigger(window: &CronWindow) -> ScaleTrigger {
    ScaleTrigger {
        r#type: "cron".to_string(),
        metadata: BTreeMap::from([
            ("timezone".to_string(), window.timezone.clone()),
            ("start".to_string(), window.start.clone()),
            ("end".to_string(), window.end.clone()),
            (
                "desiredReplicas".to_string(),
                window.desired_replicas.to_string(),
            ),
        ]),
        ..ScaleTrigger::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures::{backup, hello, ingest, nightly, runner, web, worker};

    fn scaled_object_of(manifests: &[Manifest]) -> &ScaledObject {
        manifests
            .iter()
            .find_map(Manifest::get)
            .expect("a ScaledObject")
    }

    fn kinds(manifests: &[Manifest]) -> Vec<&str> {
        manifests.iter().map(Manifest::kind).collect()
    }

    fn metadata(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        crate::render::fixtures::labels(pairs)
    }

    #[test]
    fn list_queue_scales_the_deployment_with_a_redis_trigger() {
        let w = worker();
        let manifests = render(&w);
        assert_eq!(kinds(&manifests), ["ScaledObject"]);
        let so = scaled_object_of(&manifests);
        assert_eq!(so.metadata.name.as_deref(), Some("worker"));
        assert_eq!(so.metadata.labels, Some(w.object_labels()));
        let spec = &so.spec;
        assert_eq!(
            spec.scale_target_ref,
            ScaleTargetRef {
                api_version: Some("apps/v1".to_string()),
                kind: Some("Deployment".to_string()),
                name: "worker".to_string(),
                env_source_container_name: None,
            }
        );
        assert_eq!(
            (spec.min_replica_count, spec.max_replica_count),
            (Some(0), Some(8))
        );
        assert_eq!(
            (spec.cooldown_period, spec.polling_interval),
            (Some(120), Some(15))
        );
        assert_eq!(spec.triggers.len(), 1);
        let trigger = &spec.triggers[0];
        assert_eq!(trigger.r#type, "redis");
        assert_eq!(
            trigger.metadata,
            metadata(&[
                ("address", "valkey.shop.svc.cluster.local:6379"),
                ("listName", "thumbnails"),
                ("listLength", "5"),
            ])
        );
        assert_eq!(trigger.authentication_ref, None);
    }

    #[test]
    fn stream_queue_uses_the_group_lag_and_an_emitted_trigger_authentication() {
        let w = ingest();
        let manifests = render(&w);
        assert_eq!(kinds(&manifests), ["TriggerAuthentication", "ScaledObject"]);
        let auth: &TriggerAuthentication = manifests[0].get().expect("a TriggerAuthentication");
        assert_eq!(auth.metadata.name.as_deref(), Some("ingest-queue"));
        assert_eq!(
            auth.spec.secret_target_ref,
            [AuthKeyRef {
                parameter: "password".to_string(),
                name: "valkey-auth".to_string(),
                key: "password".to_string(),
            }]
        );
        let trigger = &scaled_object_of(&manifests).spec.triggers[0];
        assert_eq!(trigger.r#type, "redis-streams");
        assert_eq!(
            trigger.metadata,
            metadata(&[
                ("address", "valkey.jobs.svc.cluster.local:6380"),
                ("stream", "runs-fleet:jobs"),
                ("consumerGroup", "ingest"),
                ("lagCount", "10"),
                ("databaseIndex", "2"),
                ("enableTLS", "true"),
            ])
        );
        assert_eq!(
            trigger.authentication_ref,
            Some(AuthenticationRef {
                name: "ingest-queue".to_string(),
                kind: None,
            })
        );
    }

    #[test]
    fn trigger_authentication_exactly_when_referenced() {
        for w in [worker(), ingest(), runner(), nightly(), web(), hello()] {
            let manifests = render(&w);
            let emitted: Vec<&str> = manifests
                .iter()
                .filter(|m| m.kind() == "TriggerAuthentication")
                .map(Manifest::name)
                .collect();
            let triggers = manifests.iter().flat_map(|m| {
                let scaled_object = m.get::<ScaledObject>().map(|o| &o.spec.triggers);
                let scaled_job = m.get::<ScaledJob>().map(|j| &j.spec.triggers);
                scaled_object.or(scaled_job).cloned().unwrap_or_default()
            });
            let referenced: Vec<String> = triggers
                .filter_map(|t| t.authentication_ref.map(|r| r.name))
                .collect();
            assert_eq!(emitted, referenced, "{}", w.name);
        }
    }

    #[test]
    fn scaled_job_controller_gets_a_scaled_job_with_the_job_spec() {
        let w = runner();
        let manifests = render(&w);
        assert_eq!(kinds(&manifests), ["TriggerAuthentication", "ScaledJob"]);
        let job: &ScaledJob = manifests[1].get().expect("a ScaledJob");
        let Controller::ScaledJob { job: options } = &w.controller else {
            unreachable!()
        };
        assert_eq!(job.spec.job_target_ref, job_spec(&w, options));
        let template = job.spec.job_target_ref.template.spec.as_ref().expect("pod");
        assert_eq!(template.restart_policy.as_deref(), Some("Never"));
        assert_eq!(
            (job.spec.min_replica_count, job.spec.max_replica_count),
            (Some(0), Some(20))
        );
        assert_eq!(job.spec.polling_interval, Some(10));
        assert_eq!(job.spec.triggers[0].r#type, "redis-streams");
        assert_eq!(
            job.spec.triggers[0]
                .authentication_ref
                .as_ref()
                .map(|r| r.name.as_str()),
            Some("runner-queue")
        );
    }

    #[test]
    fn cron_windows_become_one_trigger_each() {
        let w = nightly();
        let manifests = render(&w);
        let so = scaled_object_of(&manifests);
        assert_eq!(
            (so.spec.min_replica_count, so.spec.max_replica_count),
            (Some(1), Some(6))
        );
        let triggers: Vec<(&str, &BTreeMap<String, String>)> = so
            .spec
            .triggers
            .iter()
            .map(|t| (t.r#type.as_str(), &t.metadata))
            .collect();
        assert_eq!(
            triggers,
            [
                (
                    "cron",
                    &metadata(&[
                        ("timezone", "Europe/Paris"),
                        ("start", "0 8 * * 1-5"),
                        ("end", "0 19 * * 1-5"),
                        ("desiredReplicas", "4"),
                    ])
                ),
                (
                    "cron",
                    &metadata(&[
                        ("timezone", "UTC"),
                        ("start", "0 1 * * *"),
                        ("end", "0 3 * * *"),
                        ("desiredReplicas", "6"),
                    ])
                ),
            ]
        );
        assert_eq!(so.spec.cooldown_period, None);
    }

    #[test]
    fn stateful_sets_are_scale_targets_and_jobs_are_not() {
        let mut w = worker();
        w.controller = Controller::StatefulSet {
            service_name: "worker".to_string(),
            claims: Vec::new(),
        };
        assert_eq!(
            scaled_object_of(&render(&w))
                .spec
                .scale_target_ref
                .kind
                .as_deref(),
            Some("StatefulSet")
        );
        let mut w = ingest();
        w.controller = backup().controller;
        assert!(render(&w).is_empty(), "no orphan TriggerAuthentication");
    }

    #[test]
    fn other_scaling_renders_nothing_here() {
        assert!(render(&web()).is_empty());
        assert!(render(&hello()).is_empty());
    }
}
