//! Folds the entry-level shorthands `visibility:` and `network_policy:` into `security:`, so
//! later stages read one place. Giving both forms is an error naming both lines.

use crate::config::{BoolOr, NetworkPolicy, Security, Visibility};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::yaml::Spanned;

pub fn fold_security(
    security: &mut Option<Security>,
    visibility: Option<Spanned<Visibility>>,
    network_policy: Option<Spanned<BoolOr<NetworkPolicy>>>,
    field: &str,
    d: &mut Diagnostics,
) {
    if visibility.is_none() && network_policy.is_none() {
        return;
    }
    let security = security.get_or_insert_with(Security::default);
    if let Some(shorthand) = visibility {
        match &security.visibility {
            Some(long) => d.push(conflict("visibility", shorthand.span, long.span, field)),
            None => security.visibility = Some(shorthand),
        }
    }
    if let Some(shorthand) = network_policy {
        match &security.network_policy {
            Some(long) => d.push(conflict("network_policy", shorthand.span, long.span, field)),
            None => security.network_policy = Some(shorthand),
        }
    }
}

fn conflict(
    key: &str,
    shorthand: crate::diagnostic::Span,
    long: crate::diagnostic::Span,
    field: &str,
) -> Diagnostic {
    Diagnostic::error(
        "conflicting-keys",
        format!("`{key}` is given both on the entry and under `security:`"),
    )
    .at(shorthand)
    .field(format!("{field}.{key}"))
    .label(long, "also given here")
    .help(format!(
        "keep one: `{key}:` is shorthand for `security.{key}:`"
    ))
}
