//! Semantic checks on rendered objects — what a schema cannot express: names and label
//! syntax, unique valid port names, selectors that match their pods, probe and Service ports
//! that exist, HPA bounds, quantities. Reports at the apps.yaml entry that produced the object.

mod labels;
mod pod_security;
mod pods;

use k8s_openapi::api::batch::v1::CronJob;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::render::Manifest;

pub use labels::{check_label_key, check_label_value};
pub use pod_security::{looser, pod_template, standard_met};

/// Where problems found in an object are reported: the apps.yaml entry, gateway route or
/// `argocd` setting it comes from (`span` is `None` when nothing in the file names it, e.g. a
/// default).
pub struct Origin<'a> {
    pub span: Option<Span>,
    pub field: &'a str,
}

impl Origin<'_> {
    fn error(&self, code: Code, message: String) -> Diagnostic {
        Diagnostic::error(code, message)
            .at_opt(self.span)
            .field(self.field.to_string())
    }
}

/// Checks the objects of one workload, one gateway route, or the Argo CD objects.
pub fn check_manifests(manifests: &[Manifest], origin: &Origin<'_>, d: &mut Diagnostics) {
    for manifest in manifests {
        let kind = manifest.kind();
        let meta = manifest.metadata();
        let name = manifest.name();
        let max = if manifest.get::<CronJob>().is_some() {
            crate::names::CRONJOB_NAME_MAX
        } else {
            crate::names::NAME_MAX
        };
        if let Err(problem) = crate::names::check_dns_label(name, max) {
            d.push(origin.error(problem.code(), format!("{kind} name `{name}` {problem}")));
        }
        for (key, value) in meta.labels.iter().flatten() {
            if let Err(problem) = check_label_key(key) {
                d.push(origin.error(
                    Code::BadLabel,
                    format!("label key `{key}` on {kind} `{name}`: {problem}"),
                ));
            }
            if let Err(problem) = check_label_value(value) {
                d.push(origin.error(
                    Code::BadLabel,
                    format!("label `{key}: {value}` on {kind} `{name}`: {problem}"),
                ));
            }
        }
        for key in meta.annotations.iter().flatten().map(|(k, _)| k) {
            if let Err(problem) = check_label_key(key) {
                d.push(origin.error(
                    Code::BadAnnotation,
                    format!("annotation key `{key}` on {kind} `{name}`: {problem}"),
                ));
            }
        }
    }
    pods::check_pods(manifests, origin, d);
}
