//! Routes to the environment's ingress objects (Traefik or HAProxy) plus the ExternalName
//! aliases of the KEDA interceptor they use. It needs no `Workload`: the gateway calls it too.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::{Manifest, RenderContext, haproxy, non_empty_map, service, sort_manifests, traefik};
use crate::config::IngressController;
use crate::workload::Route;

/// The ingress objects of `routes` in `namespace`, each labelled with `labels`, in apply
/// order. An environment without an ingress controller gets nothing, not even the aliases,
/// which only an ingress would use.
pub fn render_routes(
    routes: &[Route],
    namespace: &str,
    labels: &BTreeMap<String, String>,
    ctx: &RenderContext,
) -> Vec<Manifest> {
    let mut manifests: Vec<Manifest> = match ctx.ingress {
        IngressController::Traefik => routes
            .iter()
            .flat_map(|route| traefik::render(route, namespace, labels))
            .collect(),
        IngressController::Haproxy => routes
            .iter()
            .map(|route| Manifest::new(haproxy::render(route, namespace, labels)))
            .collect(),
        IngressController::None => return Vec::new(),
    };
    manifests.extend(
        service::render_interceptor_aliases(routes, namespace, labels)
            .into_iter()
            .map(Manifest::new),
    );
    sort_manifests(&mut manifests);
    manifests
}

/// Metadata of an object that belongs to a route rather than to a workload.
pub(super) fn route_meta(
    name: String,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(namespace.to_string()),
        labels: non_empty_map(labels.clone()),
        ..ObjectMeta::default()
    }
}
