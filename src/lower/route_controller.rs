//! What each ingress controller can express: another controller's annotations are warned about
//! and left off; a security setting it cannot express is an error, a tuning one a warning
//! naming the controller and the field (the README's rule).

use std::collections::BTreeMap;

use super::route::RouteSpec;
use crate::config::IngressController;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::yaml::Spanned;

/// Annotation prefixes each ingress controller reads.
const CONTROLLER_PREFIXES: [(&str, &str); 5] = [
    ("nginx.ingress.kubernetes.io/", "ingress-nginx"),
    ("haproxy-ingress.github.io/", "HAProxy Ingress"),
    ("haproxy.org/", "the HAProxy Kubernetes Ingress Controller"),
    (
        "traefik.ingress.kubernetes.io/",
        "Traefik's Ingress provider",
    ),
    ("ingress.kubernetes.io/", "an ingress controller"),
];

/// The route's annotations without those of another controller, which this environment's
/// controller would ignore: each dropped key is warned about.
pub(super) fn controller_annotations(
    spec: &RouteSpec<'_>,
    controller: IngressController,
    d: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let own = match controller {
        IngressController::Haproxy => Some("haproxy-ingress.github.io/"),
        IngressController::Traefik | IngressController::None => None,
    };
    let mut kept = BTreeMap::new();
    for (key, value) in &spec.annotations {
        let foreign = CONTROLLER_PREFIXES
            .iter()
            .find(|(prefix, _)| key.starts_with(prefix) && Some(*prefix) != own);
        match foreign {
            Some((_, reader)) => d.push(
                Diagnostic::warning(
                    Code::UnusedSetting,
                    format!(
                        "annotation `{key}` is for {reader}; this environment's controller ignores it, so it is left out"
                    ),
                )
                .at(spec.span)
                .field(format!("{}.annotations.{key}", spec.field)),
            ),
            None => {
                kept.insert(key.clone(), value.clone());
            }
        }
    }
    kept
}

/// What an ingress controller cannot express per route is never silently lost (DESIGN rule
/// 10): a security setting (methods allowed, auth, limits) is an error, a tuning setting (a
/// timeout, a burst) a warning naming the controller and the field, and is left out.
pub(super) fn check_controller_support(
    spec: &RouteSpec<'_>,
    controller: IngressController,
    d: &mut Diagnostics,
) {
    let timeouts = spec.timeouts;
    let span_of = |t: Option<&Spanned<crate::config::Duration>>| t.map(|t| t.span);
    // (field, why, span, security?)
    let unsupported: Vec<(&str, &str, Option<Span>, bool)> = match controller {
        IngressController::Haproxy => vec![
            (
                "timeouts.client",
                "HAProxy Ingress sets the client timeout globally, in its ConfigMap",
                span_of(timeouts.and_then(|t| t.client.as_ref())),
                false,
            ),
            (
                "rate_limit.burst",
                "HAProxy Ingress limits requests per second without a burst",
                spec.rate_limit
                    .and_then(|r| r.burst.as_ref())
                    .map(|b| b.span),
                false,
            ),
            (
                "methods",
                "HAProxy Ingress cannot restrict methods per path",
                (!spec.methods.is_empty()).then_some(spec.span),
                true,
            ),
        ],
        IngressController::Traefik => vec![
            (
                "timeouts.client",
                "Traefik sets client timeouts per entry point, not per route",
                span_of(timeouts.and_then(|t| t.client.as_ref())),
                false,
            ),
            (
                "timeouts.queue",
                "Traefik has no queue timeout",
                span_of(timeouts.and_then(|t| t.queue.as_ref())),
                false,
            ),
        ],
        IngressController::None => Vec::new(),
    };
    let name = match controller {
        IngressController::Haproxy => "HAProxy Ingress",
        IngressController::Traefik => "Traefik",
        IngressController::None => "no ingress controller",
    };
    if controller == IngressController::Haproxy
        && let Some(limit) = spec.rate_per_minute
        && !limit.rate.value.is_multiple_of(60)
    {
        d.push(
            Diagnostic::error(
                Code::UnsupportedByController,
                format!(
                    "`rate_limit={}` (requests per minute) cannot be expressed for HAProxy \
                     Ingress: it limits whole requests per second",
                    limit.rate.value
                ),
            )
            .at(limit.rate.span)
            .field(limit.field.to_string())
            .help(format!(
                "use a multiple of 60 (e.g. {}), or drop the limit for this environment",
                (limit.rate.value / 60).max(1) * 60
            )),
        );
    }
    for (key, why, span, security) in unsupported {
        let Some(span) = span else {
            continue;
        };
        let message = format!("`{key}` cannot be expressed for {name}: {why}");
        let diagnostic = if security {
            Diagnostic::error(Code::UnsupportedByController, message)
                .help("drop it for this environment (an environment block can set it to null)")
        } else {
            Diagnostic::warning(Code::UnsupportedByController, message)
                .help("it is left out; set it on the controller, or drop it for this environment")
        };
        d.push(diagnostic.at(span).field(format!("{}.{key}", spec.field)));
    }
}
