//! Where on the API server each kind k3s renders lives: its group, version, plural and whether it
//! is namespaced, taken from the typed objects (k8s-openapi's `URL_PATH_SEGMENT` through kube's
//! blanket `Resource`, the CRD derive's `plural`), never written out by hand. A test checks that
//! the table holds exactly the kinds `render` documents in its apply-order table.

use std::any::TypeId;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::Resource;

use crate::render::crd::argocd::{AppProject, Application};
use crate::render::crd::external_secrets::ExternalSecret;
use crate::render::crd::keda::{ScaledJob, ScaledObject, TriggerAuthentication};
use crate::render::crd::keda_http::{HTTPScaledObject, InterceptorRoute};
use crate::render::crd::traefik::{IngressRoute, Middleware, ServersTransport};

/// One kind's place on the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// `apps/v1`, or `v1` for the core group.
    pub api_version: String,
    pub kind: String,
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    /// The lower-case plural in URLs (`deployments`, `ingresses`, `httpscaledobjects`).
    pub plural: String,
    pub namespaced: bool,
}

impl ResourceType {
    fn of<K>() -> ResourceType
    where
        K: Resource<DynamicType = ()>,
        K::Scope: 'static,
    {
        ResourceType {
            api_version: K::api_version(&()).into_owned(),
            kind: K::kind(&()).into_owned(),
            group: K::group(&()).into_owned(),
            version: K::version(&()).into_owned(),
            plural: K::plural(&()).into_owned(),
            namespaced: TypeId::of::<K::Scope>() == TypeId::of::<NamespaceResourceScope>(),
        }
    }

    /// The collection's path: `/api/v1/namespaces/NS/services` for the core group,
    /// `/apis/GROUP/VERSION/...` otherwise; cluster-scoped kinds have no namespace segment.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let root = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{root}/namespaces/{ns}/{}", self.plural),
            _ => format!("{root}/{}", self.plural),
        }
    }
}

/// Every kind k3s renders.
pub fn every_kind() -> Vec<ResourceType> {
    vec![
        ResourceType::of::<Namespace>(),
        ResourceType::of::<ServiceAccount>(),
        ResourceType::of::<ConfigMap>(),
        ResourceType::of::<Secret>(),
        ResourceType::of::<ExternalSecret>(),
        ResourceType::of::<PersistentVolumeClaim>(),
        ResourceType::of::<Deployment>(),
        ResourceType::of::<StatefulSet>(),
        ResourceType::of::<CronJob>(),
        ResourceType::of::<Job>(),
        ResourceType::of::<ScaledJob>(),
        ResourceType::of::<Service>(),
        ResourceType::of::<Middleware>(),
        ResourceType::of::<ServersTransport>(),
        ResourceType::of::<IngressRoute>(),
        ResourceType::of::<Ingress>(),
        ResourceType::of::<TriggerAuthentication>(),
        ResourceType::of::<HorizontalPodAutoscaler>(),
        ResourceType::of::<ScaledObject>(),
        ResourceType::of::<HTTPScaledObject>(),
        ResourceType::of::<InterceptorRoute>(),
        ResourceType::of::<NetworkPolicy>(),
        ResourceType::of::<PodDisruptionBudget>(),
        ResourceType::of::<AppProject>(),
        ResourceType::of::<Application>(),
    ]
}

/// The kind of `apiVersion`/`kind`, if k3s renders it.
pub fn find(api_version: &str, kind: &str) -> Option<ResourceType> {
    every_kind()
        .into_iter()
        .find(|t| t.api_version == api_version && t.kind == kind)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{every_kind, find};

    /// The kinds of `render/object.rs`'s apply-order table, which a render test keeps equal to
    /// the kinds rendered.
    fn rendered_kinds() -> BTreeSet<String> {
        include_str!("../render/object.rs")
            .lines()
            .filter_map(|line| line.trim().strip_prefix("/// |"))
            .filter_map(|row| {
                let mut cells = row.split('|').map(str::trim);
                cells.next()?.parse::<u8>().ok()?;
                cells.next().map(str::to_string)
            })
            .flat_map(|kinds| {
                kinds
                    .split(',')
                    .map(|k| k.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn the_table_holds_exactly_the_rendered_kinds() {
        let table: BTreeSet<String> = every_kind().into_iter().map(|t| t.kind).collect();
        let rendered = rendered_kinds();
        assert!(rendered.len() > 20, "{rendered:?}");
        assert_eq!(table, rendered);
    }

    #[test]
    fn paths_follow_the_group_plural_and_scope() {
        let cases = [
            ("v1", "Namespace", None, "/api/v1/namespaces"),
            (
                "v1",
                "Service",
                Some("shop"),
                "/api/v1/namespaces/shop/services",
            ),
            (
                "apps/v1",
                "Deployment",
                Some("shop"),
                "/apis/apps/v1/namespaces/shop/deployments",
            ),
            (
                "networking.k8s.io/v1",
                "Ingress",
                Some("shop"),
                "/apis/networking.k8s.io/v1/namespaces/shop/ingresses",
            ),
            (
                "autoscaling/v2",
                "HorizontalPodAutoscaler",
                Some("shop"),
                "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers",
            ),
            (
                "policy/v1",
                "PodDisruptionBudget",
                Some("a"),
                "/apis/policy/v1/namespaces/a/poddisruptionbudgets",
            ),
            (
                "http.keda.sh/v1alpha1",
                "HTTPScaledObject",
                Some("fns"),
                "/apis/http.keda.sh/v1alpha1/namespaces/fns/httpscaledobjects",
            ),
            (
                "traefik.io/v1alpha1",
                "ServersTransport",
                Some("a"),
                "/apis/traefik.io/v1alpha1/namespaces/a/serverstransports",
            ),
            (
                "argoproj.io/v1alpha1",
                "Application",
                Some("argocd"),
                "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications",
            ),
        ];
        for (api_version, kind, namespace, path) in cases {
            let t = find(api_version, kind).unwrap_or_else(|| panic!("{kind} in the table"));
            assert_eq!(t.collection_path(namespace), path, "{kind}");
        }
        // A namespace given for a cluster-scoped kind is not part of its path.
        let namespace = find("v1", "Namespace").expect("Namespace");
        assert!(!namespace.namespaced);
        assert_eq!(namespace.collection_path(Some("x")), "/api/v1/namespaces");
    }

    #[test]
    fn every_kind_but_namespace_is_namespaced() {
        for t in every_kind() {
            assert_eq!(t.namespaced, t.kind != "Namespace", "{}", t.kind);
        }
    }
}
