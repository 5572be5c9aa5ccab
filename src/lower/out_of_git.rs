//! Compose and app Secrets whose values must stay out of git: ExternalSecrets where a secret
//! store exists, else a warning for each value.

use super::context::LowerContext;
use super::spec::{SecretValues, WorkloadSpec};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};

/// `SecretValues::OutOfGit`: with a secret store, each Secret carrying input values becomes an
/// ExternalSecret of the same name (remote key: that name; property: each key), and the notes
/// say what to store where; without one, each non-empty value is warned about, at the variable
/// when it is one (else at the workload).
pub(super) fn keep_out_of_git(
    spec: &WorkloadSpec,
    secrets: &mut Vec<crate::workload::Secret>,
    external: &mut Vec<crate::workload::ExternalSecret>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> Vec<String> {
    let SecretValues::OutOfGit {
        variable_help,
        file_help,
    } = &spec.env.secret_values
    else {
        return Vec::new();
    };
    let Some(store) = &cx.resolved.defaults.secret_store else {
        for secret in secrets.iter() {
            for (key, value) in &secret.string_data {
                if value.is_empty() {
                    continue;
                }
                let (what, span, field, help) = match spec.env.environment.get(key) {
                    Some(variable) => (
                        format!("variable `{key}`"),
                        variable.span,
                        format!("{}.environment.{key}", spec.settings_field),
                        variable_help,
                    ),
                    None => (
                        format!("the value of `{key}`"),
                        spec.settings_span,
                        format!("{}.secrets.{key}", spec.settings_field),
                        file_help,
                    ),
                };
                d.push(
                    Diagnostic::warning(
                        Code::SecretInPlainText,
                        format!(
                            "{what} of `{}` is written in plain text into Secret `{}` of the generated tree",
                            spec.field, secret.name
                        ),
                    )
                    .at(span)
                    .field(field)
                    .help(help.clone()),
                );
            }
        }
        return Vec::new();
    };
    let mut notes = Vec::new();
    for secret in secrets.drain(..) {
        let keys: Vec<String> = secret.string_data.keys().cloned().collect();
        notes.push(format!(
            "Secret `{}` is filled from store `{}`: put {} as properties of its remote key `{}`",
            secret.name,
            store.name.value,
            keys.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
            secret.name
        ));
        external.push(crate::workload::ExternalSecret {
            name: secret.name.clone(),
            store: store.name.value.clone(),
            store_kind: store
                .kind
                .unwrap_or(crate::config::StoreKind::ClusterSecretStore),
            refresh_interval: "1h".to_string(),
            data: keys
                .into_iter()
                .map(|key| (key.clone(), (secret.name.clone(), Some(key))))
                .collect(),
            extract: None,
        });
    }
    notes
}
