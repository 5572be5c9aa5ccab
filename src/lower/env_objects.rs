//! The objects literal environment values go into: the split of an environment into a
//! ConfigMap (plain values) and a Secret (what `crate::secrets` calls secret). No
//! secret-looking value reaches a ConfigMap.

use std::collections::BTreeMap;

use crate::config::{EnvValue, Environment};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::workload::{ConfigMap, EnvFrom, EnvVar, RefKind, Secret};
use crate::yaml::Spanned;

use super::env::lower_environment;
use crate::secrets::is_secret;

#[derive(Debug, Default)]
pub struct SplitEnvironment {
    pub config_map: Option<ConfigMap>,
    pub secret: Option<Secret>,
    pub env_from: Vec<EnvFrom>,
    /// References (`{secret: x, key: y}`), which win over both.
    pub env: Vec<EnvVar>,
}

/// Splits `environment` (seed 002): plain values into ConfigMap `name`, secret-looking ones
/// into Secret `name`, both imported with `envFrom`; references (`{secret: x, key: y}`) stay
/// variables of their own. No secret-looking value reaches a ConfigMap.
pub fn split_environment(
    environment: &Environment,
    name: &str,
    field: &str,
    d: &mut Diagnostics,
) -> SplitEnvironment {
    let mut values: BTreeMap<String, Spanned<String>> = BTreeMap::new();
    let mut references = Environment::new();
    for (key, value) in environment {
        match &value.value {
            EnvValue::Literal(text) => {
                values.insert(key.clone(), Spanned::new(text.clone(), value.span));
            }
            EnvValue::Reference(_) => {
                references.insert(key.clone(), value.clone());
            }
        }
    }
    let mut plain = BTreeMap::new();
    let mut secret = BTreeMap::new();
    for (key, value) in values {
        if !is_object_key(&key) {
            d.push(
                Diagnostic::error(
                    Code::BadName,
                    format!("environment variable `{key}` cannot be a key of a ConfigMap or Secret (letters, digits, `-`, `_`, `.` only)"),
                )
                .at(value.span)
                .field(format!("{field}.environment.{key}")),
            );
            continue;
        }
        if is_secret(&key, &value.value, &value.span.text()) {
            secret.insert(key, value.value);
        } else {
            plain.insert(key, value.value);
        }
    }
    let mut out = SplitEnvironment {
        env: lower_environment(&references, field, d),
        ..SplitEnvironment::default()
    };
    if !plain.is_empty() {
        out.env_from.push(EnvFrom {
            kind: RefKind::ConfigMap,
            name: name.to_string(),
            prefix: None,
            optional: false,
        });
        out.config_map = Some(ConfigMap {
            name: name.to_string(),
            data: plain,
        });
    }
    if !secret.is_empty() {
        out.env_from.push(EnvFrom {
            kind: RefKind::Secret,
            name: name.to_string(),
            prefix: None,
            optional: false,
        });
        out.secret = Some(Secret {
            name: name.to_string(),
            string_data: secret,
        });
    }
    out
}

/// ConfigMap and Secret keys: `[-._a-zA-Z0-9]+`.
pub fn is_object_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
