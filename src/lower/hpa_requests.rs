//! Whether an HPA can compute the utilization it scales on: a CPU or memory target needs the
//! matching request on the container.

use super::spec::WorkloadSpec;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::workload::{Resources, Scaling};

/// An HPA scales on utilization, a percentage of the container's request: without the request
/// it cannot compute it and never scales.
pub(super) fn check_utilization_requests(
    spec: &WorkloadSpec,
    scaling: &Scaling,
    resources: &Resources,
    d: &mut Diagnostics,
) {
    let Scaling::Hpa {
        cpu_percent,
        memory_percent,
        ..
    } = scaling
    else {
        return;
    };
    let settings = spec.scaling.settings.as_ref();
    let targets = [
        (
            "cpu",
            cpu_percent.is_some(),
            settings.and_then(|s| s.target_cpu_percent.as_ref()),
            "resources.cpu",
        ),
        (
            "memory",
            memory_percent.is_some(),
            settings.and_then(|s| s.target_memory_percent.as_ref()),
            "resources.memory",
        ),
    ];
    for (resource, used, given, fix) in targets {
        if !used || resources.requests.contains_key(resource) {
            continue;
        }
        let at = given
            .map(|g| g.span)
            .or_else(|| settings.and_then(|s| s.kind.as_ref()).map(|k| k.span))
            .unwrap_or(spec.settings_span);
        let implied = if given.is_none() {
            " (80 % CPU is the target when none is given)"
        } else {
            ""
        };
        d.push(
            Diagnostic::error(
                Code::BadScaling,
                format!(
                    "an HPA scaling on {resource} utilization needs a {resource} request{implied}: without it the HPA cannot compute the utilization"
                ),
            )
            .at(at)
            .field(format!("{}.scaling", spec.settings_field))
            .help(format!("set `{fix}`")),
        );
    }
}
