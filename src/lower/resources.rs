//! `resources:` to container requests and limits, checking that no request exceeds its limit.

use crate::config::Resources as ResourceSettings;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::workload::Resources;

pub fn lower_resources(
    settings: Option<&ResourceSettings>,
    field: &str,
    d: &mut Diagnostics,
) -> Resources {
    let mut out = Resources::default();
    let Some(r) = settings else {
        return out;
    };
    let pairs = [
        ("cpu", &r.cpu, &r.cpu_limit, "cpu", "cpu_limit"),
        (
            "memory",
            &r.memory,
            &r.memory_limit,
            "memory",
            "memory_limit",
        ),
        (
            "ephemeral-storage",
            &r.ephemeral_storage,
            &r.ephemeral_storage_limit,
            "ephemeral_storage",
            "ephemeral_storage_limit",
        ),
    ];
    for (resource, request, limit, request_key, limit_key) in pairs {
        if let (Some(request), Some(limit)) = (request, limit)
            && request.to_f64() > limit.to_f64()
        {
            d.push(
                Diagnostic::error(
                    Code::RequestOverLimit,
                    format!(
                        "{request_key} request {} is larger than its limit {}",
                        request.value, limit.value
                    ),
                )
                .at(request.span)
                .field(format!("{field}.resources.{request_key}"))
                .label(limit.span, format!("{limit_key} set here")),
            );
        }
        if let Some(request) = request {
            out.requests
                .insert(resource.to_string(), request.value.clone());
        }
        if let Some(limit) = limit {
            out.limits.insert(resource.to_string(), limit.value.clone());
        }
    }
    if let Some(gpu) = &r.gpu {
        let name = gpu
            .kind
            .clone()
            .unwrap_or_else(|| "nvidia.com/gpu".to_string());
        let count = crate::config::Quantity::parse(&gpu.count.value.to_string())
            .expect("a whole number is a quantity");
        // Extended resources are limits; Kubernetes copies them to requests.
        out.limits.insert(name, count);
    }
    out
}
