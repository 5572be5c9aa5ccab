//! A container's environment from `environment`, `env_from`, `env_refs` and `secrets`: literal
//! values, references to Secret/ConfigMap keys, whole Secrets/ConfigMaps, mounted Secrets and
//! the ExternalSecrets that fill them.

use super::env_objects::split_environment;
use super::spec::{EnvLayout, EnvSpec};
use crate::config::{
    EnvFrom as EnvFromSettings, EnvRef, EnvValue, Environment, RefKind as ConfigRefKind,
    SecretMount, StoreKind,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::resolve::Resolved;
use crate::secrets::is_secret;
use crate::workload::{
    ConfigMap, EnvFrom, EnvSource, EnvVar, ExternalSecret, RefKind, Secret, Volume, VolumeMount,
    VolumeSource,
};

/// A container's environment and what it needs beside the container.
#[derive(Debug, Default)]
pub struct LoweredEnv {
    pub vars: Vec<EnvVar>,
    pub env_from: Vec<EnvFrom>,
    /// The plain values, with `EnvLayout::Objects`.
    pub config_map: Option<ConfigMap>,
    /// The secret-looking values, with `EnvLayout::Objects`.
    pub secret: Option<Secret>,
    /// Mounted Secrets (`secrets[].mount_path`).
    pub volumes: Vec<Volume>,
    pub mounts: Vec<VolumeMount>,
    pub external_secrets: Vec<ExternalSecret>,
}

/// The whole environment of a spec: the front-end's own variables first, then `environment`
/// (inline or split into objects), `env_refs`; `env_from`, the imported `secrets:`, then any
/// other Secret imported whole unless already imported.
pub fn lower_env(
    spec: &EnvSpec,
    resolved: &Resolved,
    field: &str,
    span: Span,
    d: &mut Diagnostics,
) -> LoweredEnv {
    let secrets = lower_secret_mounts(&spec.secrets, resolved, field, d);
    let mut out = LoweredEnv {
        vars: spec.given.clone(),
        volumes: secrets.volumes,
        mounts: secrets.mounts,
        external_secrets: secrets.external,
        ..LoweredEnv::default()
    };
    match &spec.layout {
        EnvLayout::Inline => out
            .vars
            .extend(lower_environment(&spec.environment, field, d)),
        EnvLayout::Objects { name } => {
            let split = split_environment(&spec.environment, name, field, d);
            out.vars.extend(split.env);
            out.env_from.extend(split.env_from);
            out.config_map = split.config_map;
            out.secret = split.secret;
        }
    }
    out.vars.extend(lower_env_refs(&spec.env_refs, field, d));
    out.env_from
        .extend(lower_env_from(&spec.env_from, field, span, d));
    out.env_from.extend(secrets.env_from);
    for extra in &spec.extra_env_from {
        let imported = out
            .env_from
            .iter()
            .any(|e| e.kind == extra.kind && e.name == extra.name && e.prefix == extra.prefix);
        if !imported {
            out.env_from.push(extra.clone());
        }
    }
    out
}

/// Environment variables from `environment:`, sorted by name (deterministic output).
pub fn lower_environment(
    environment: &Environment,
    field: &str,
    d: &mut Diagnostics,
) -> Vec<EnvVar> {
    let mut vars = Vec::new();
    for (name, value) in environment {
        let value_field = format!("{field}.environment.{name}");
        let source = match &value.value {
            EnvValue::Literal(text) => {
                if is_secret(name, text, &value.span.text()) && !text.is_empty() {
                    d.push(
                        Diagnostic::warning(
                            Code::SecretInPlainText,
                            format!("`{name}` looks like a secret but is written in plain text"),
                        )
                        .at(value.span)
                        .field(value_field.clone())
                        .help(format!(
                            "reference a Secret instead: `{name}: {{secret: <name>, key: <key>}}`"
                        )),
                    );
                }
                EnvSource::Literal(text.clone())
            }
            EnvValue::Reference(reference) => {
                let given = [
                    reference.secret.is_some(),
                    reference.configmap.is_some(),
                    reference.field.is_some(),
                ];
                if given.iter().filter(|g| **g).count() != 1 {
                    d.push(
                        Diagnostic::error(
                            Code::BadReference,
                            "a reference needs exactly one of `secret`, `configmap` or `field`",
                        )
                        .at(value.span)
                        .field(value_field),
                    );
                    continue;
                }
                if let Some(path) = &reference.field {
                    EnvSource::Field(path.clone())
                } else {
                    let Some(key) = reference.key.clone() else {
                        d.push(
                            Diagnostic::error(
                                Code::BadReference,
                                "a Secret or ConfigMap reference needs `key`",
                            )
                            .at(value.span)
                            .field(value_field),
                        );
                        continue;
                    };
                    let optional = reference.optional.unwrap_or(false);
                    match (&reference.secret, &reference.configmap) {
                        (Some(secret), _) => EnvSource::SecretKey {
                            name: secret.clone(),
                            key,
                            optional,
                        },
                        (_, Some(configmap)) => EnvSource::ConfigMapKey {
                            name: configmap.clone(),
                            key,
                            optional,
                        },
                        _ => unreachable!("exactly one source was checked above"),
                    }
                }
            }
        };
        vars.push(EnvVar {
            name: name.clone(),
            value: source,
        });
    }
    vars
}

/// `env_refs:` entries, one variable each.
pub fn lower_env_refs(refs: &[EnvRef], field: &str, d: &mut Diagnostics) -> Vec<EnvVar> {
    let mut vars = Vec::new();
    for (index, r) in refs.iter().enumerate() {
        let ref_field = format!("{field}.env_refs[{index}]");
        let optional = r.optional.unwrap_or(false);
        let key = r.key.value.clone();
        let source = match r.from.value {
            ConfigRefKind::Secret => match &r.secret_name {
                Some(name) => EnvSource::SecretKey {
                    name: name.value.clone(),
                    key,
                    optional,
                },
                None => {
                    d.push(missing(
                        &ref_field,
                        "secret_name",
                        "from: secret",
                        r.from.span,
                    ));
                    continue;
                }
            },
            ConfigRefKind::Configmap => match &r.configmap_name {
                Some(name) => EnvSource::ConfigMapKey {
                    name: name.value.clone(),
                    key,
                    optional,
                },
                None => {
                    d.push(missing(
                        &ref_field,
                        "configmap_name",
                        "from: configmap",
                        r.from.span,
                    ));
                    continue;
                }
            },
        };
        vars.push(EnvVar {
            name: r.name.value.clone(),
            value: source,
        });
    }
    vars
}

fn missing(field: &str, key: &str, because: &str, span: crate::diagnostic::Span) -> Diagnostic {
    Diagnostic::error(Code::MissingKey, format!("`{because}` needs `{key}`"))
        .at(span)
        .field(field.to_string())
}

/// `env_from:` in either spelling: `{secret: x}` / `{configmap: x}` or `{type: secret, name: x}`.
pub fn lower_env_from(
    items: &[EnvFromSettings],
    field: &str,
    span: crate::diagnostic::Span,
    d: &mut Diagnostics,
) -> Vec<EnvFrom> {
    let mut out = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_field = format!("{field}.env_from[{index}]");
        let forms = [
            item.secret.as_ref().map(|n| (RefKind::Secret, n)),
            item.configmap.as_ref().map(|n| (RefKind::ConfigMap, n)),
            match (&item.kind, &item.name) {
                (Some(kind), Some(name)) => Some((
                    match kind.value {
                        ConfigRefKind::Secret => RefKind::Secret,
                        ConfigRefKind::Configmap => RefKind::ConfigMap,
                    },
                    name,
                )),
                _ => None,
            },
        ];
        let given: Vec<_> = forms.into_iter().flatten().collect();
        let half_typed = item.kind.is_some() != item.name.is_some();
        if given.len() != 1 || half_typed {
            d.push(
                Diagnostic::error(
                    Code::BadReference,
                    "give exactly one of `secret: NAME`, `configmap: NAME`, or `type:` with `name:`",
                )
                .at(item.name.as_ref().or(item.secret.as_ref()).or(item.configmap.as_ref()).map_or(span, |n| n.span))
                .field(item_field),
            );
            continue;
        }
        let (kind, name) = given[0];
        out.push(EnvFrom {
            kind,
            name: name.value.clone(),
            prefix: item.prefix.clone().filter(|p| !p.is_empty()),
            optional: item.optional.unwrap_or(false),
        });
    }
    out
}

/// What `secrets:` adds to a pod.
#[derive(Default)]
pub struct LoweredSecrets {
    pub volumes: Vec<Volume>,
    pub mounts: Vec<VolumeMount>,
    pub env_from: Vec<EnvFrom>,
    pub external: Vec<ExternalSecret>,
}

pub fn lower_secret_mounts(
    secrets: &[SecretMount],
    resolved: &Resolved,
    field: &str,
    d: &mut Diagnostics,
) -> LoweredSecrets {
    let mut out = LoweredSecrets::default();
    for (index, secret) in secrets.iter().enumerate() {
        let item_field = format!("{field}.secrets[{index}]");
        let name = secret.name.value.clone();
        if let Err(problem) = crate::names::check_dns_subdomain(&name) {
            d.push(
                Diagnostic::error(problem.code(), format!("Secret name `{name}` {problem}"))
                    .at(secret.name.span)
                    .field(format!("{item_field}.name")),
            );
        }
        if secret.mount_path.is_none() && secret.as_env != Some(true) {
            d.push(
                Diagnostic::error(
                    Code::MissingKey,
                    format!("secret `{name}` is neither mounted (`mount_path`) nor imported (`as_env: true`)"),
                )
                .at(secret.name.span)
                .field(item_field.clone()),
            );
        }
        if let Some(path) = &secret.mount_path {
            let volume = format!("secret-{}", crate::names::to_dns_label(&name));
            out.volumes.push(Volume {
                name: volume.clone(),
                source: VolumeSource::Secret {
                    secret_name: name.clone(),
                    items: Vec::new(),
                    default_mode: None,
                },
            });
            out.mounts.push(VolumeMount {
                name: volume,
                mount_path: path.value.clone(),
                read_only: true,
                sub_path: None,
            });
        }
        if secret.as_env == Some(true) {
            out.env_from.push(EnvFrom {
                kind: RefKind::Secret,
                name: name.clone(),
                prefix: None,
                optional: false,
            });
        }
        if let Some(external) = &secret.external {
            let default_store = resolved.defaults.secret_store.as_ref();
            let Some(store) = external
                .store
                .as_ref()
                .map(|s| s.value.clone())
                .or_else(|| default_store.map(|s| s.name.value.clone()))
            else {
                d.push(
                    Diagnostic::error(
                        Code::MissingKey,
                        format!("external secret `{name}` names no store"),
                    )
                    .at(secret.name.span)
                    .field(format!("{item_field}.external.store"))
                    .help("set `external.store`, or `defaults.secret_store.name`"),
                );
                continue;
            };
            if external.keys.is_empty() && external.extract.is_none() {
                d.push(
                    Diagnostic::error(
                        Code::MissingKey,
                        format!("external secret `{name}` needs `keys` or `extract`"),
                    )
                    .at(secret.name.span)
                    .field(format!("{item_field}.external")),
                );
                continue;
            }
            let data = external
                .keys
                .iter()
                .map(|(key, remote)| {
                    let (remote_key, property) = match remote.split_once('#') {
                        Some((k, p)) => (k.to_string(), Some(p.to_string())),
                        None => (remote.clone(), None),
                    };
                    (key.clone(), (remote_key, property))
                })
                .collect();
            out.external.push(ExternalSecret {
                name,
                store,
                store_kind: external
                    .store_kind
                    .or_else(|| default_store.and_then(|s| s.kind))
                    .unwrap_or(StoreKind::ClusterSecretStore),
                refresh_interval: external
                    .refresh_interval
                    .as_ref()
                    .map_or_else(|| "1h".to_string(), |r| r.as_str().to_string()),
                data,
                extract: external.extract.clone(),
            });
        }
    }
    out
}
