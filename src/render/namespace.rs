//! One Namespace per namespace an environment's workloads run in, labelled for Pod Security
//! admission. The levels come from the caller (what the namespace's pods meet); this file only
//! writes them as the labels the API server reads.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::object::object;
use crate::config::PodSecurityProfile;

object!(Namespace, NAMESPACE);

/// Argo CD neither prunes nor deletes (with the Application) a Namespace marked so: removing a
/// namespace from apps.yaml must not delete everything in it (other Applications' objects,
/// hand-made Secrets).
const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";

/// The Pod Security Standards a namespace enforces and reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodSecurityLevels {
    /// Pods that do not meet it are refused.
    pub enforce: PodSecurityProfile,
    /// Pods that do not meet it are admitted, with a warning to the client and an audit entry.
    pub audit_and_warn: PodSecurityProfile,
}

pub fn render_namespace(name: &str, levels: PodSecurityLevels) -> Namespace {
    let mut labels = BTreeMap::from([(
        "app.kubernetes.io/managed-by".to_string(),
        "k3s".to_string(),
    )]);
    for (mode, level) in [
        ("enforce", levels.enforce),
        ("audit", levels.audit_and_warn),
        ("warn", levels.audit_and_warn),
    ] {
        let key = format!("pod-security.kubernetes.io/{mode}");
        labels.insert(format!("{key}-version"), "latest".to_string());
        labels.insert(key, level_name(level).to_string());
    }
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels),
            annotations: Some(BTreeMap::from([(
                SYNC_OPTIONS.to_string(),
                "Prune=false,Delete=false".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

fn level_name(level: PodSecurityProfile) -> &'static str {
    match level {
        PodSecurityProfile::Restricted => "restricted",
        PodSecurityProfile::Baseline => "baseline",
        PodSecurityProfile::Privileged => "privileged",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_has_its_level_and_the_latest_version() {
        let namespace = render_namespace(
            "shop",
            PodSecurityLevels {
                enforce: PodSecurityProfile::Privileged,
                audit_and_warn: PodSecurityProfile::Baseline,
            },
        );
        let labels = namespace.metadata.labels.expect("labels");
        let label = |key: &str| labels.get(key).map(String::as_str);
        assert_eq!(
            label("pod-security.kubernetes.io/enforce"),
            Some("privileged")
        );
        assert_eq!(label("pod-security.kubernetes.io/audit"), Some("baseline"));
        assert_eq!(label("pod-security.kubernetes.io/warn"), Some("baseline"));
        for mode in ["enforce", "audit", "warn"] {
            assert_eq!(
                label(&format!("pod-security.kubernetes.io/{mode}-version")),
                Some("latest")
            );
        }
    }
}
