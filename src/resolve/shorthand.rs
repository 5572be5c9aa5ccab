//! Folds the entry-level shorthands `visibility:` and `network_policy:` into `security:`, so
//! later stages read one place. Giving both forms is an error naming both lines.

use crate::config::{
    AppEntry, BoolOr, ComposeEntry, HelmEntry, NetworkPolicy, Security, ServerlessEntry, Visibility,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
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
        Code::ConflictingKeys,
        format!("`{key}` is given both on the entry and under `security:`"),
    )
    .at(shorthand)
    .field(format!("{field}.{key}"))
    .label(long, "also given here")
    .help(format!(
        "keep one: `{key}:` is shorthand for `security.{key}:`"
    ))
}

/// What resolving needs of each section's entry type.
pub trait EntrySpec {
    fn namespace(&self) -> Option<&Spanned<String>>;

    /// Folds `visibility:`/`network_policy:` written on the entry into `security:`.
    fn fold_shorthands(&mut self, _field: &str, _d: &mut Diagnostics) {}
}

impl EntrySpec for HelmEntry {
    fn namespace(&self) -> Option<&Spanned<String>> {
        self.namespace.as_ref()
    }
}

impl EntrySpec for AppEntry {
    fn namespace(&self) -> Option<&Spanned<String>> {
        self.namespace.as_ref()
    }

    fn fold_shorthands(&mut self, field: &str, d: &mut Diagnostics) {
        let (visibility, policy) = (self.visibility.take(), self.network_policy.take());
        fold_security(&mut self.security, visibility, policy, field, d);
    }
}

impl EntrySpec for ServerlessEntry {
    fn namespace(&self) -> Option<&Spanned<String>> {
        self.namespace.as_ref()
    }

    fn fold_shorthands(&mut self, field: &str, d: &mut Diagnostics) {
        let (visibility, policy) = (self.visibility.take(), self.network_policy.take());
        fold_security(&mut self.security, visibility, policy, field, d);
    }
}

impl EntrySpec for ComposeEntry {
    fn namespace(&self) -> Option<&Spanned<String>> {
        self.namespace.as_ref()
    }

    /// The entry, its `defaults` and every `services.<name>` may each use the shorthands.
    fn fold_shorthands(&mut self, field: &str, d: &mut Diagnostics) {
        let (visibility, policy) = (self.visibility.take(), self.network_policy.take());
        fold_security(&mut self.security, visibility, policy, field, d);
        let services = self
            .defaults
            .iter_mut()
            .map(|s| (format!("{field}.defaults"), s))
            .chain(
                self.services
                    .iter_mut()
                    .map(|(name, s)| (format!("{field}.services.{name}"), s)),
            );
        for (field, service) in services {
            let (visibility, policy) = (service.visibility.take(), service.network_policy.take());
            fold_security(&mut service.security, visibility, policy, &field, d);
        }
    }
}
