//! Compose `secrets:` and `configs:` as files: a Secret or ConfigMap per definition (named
//! `<entry>-<name>`, carried by the first service using it), mounted at the target path.

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::{Volume, VolumeType};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::names::{check_dns_subdomain, to_data_key, to_dns_label};
use crate::sources::compose::{ComposeProject, FileRef};
use crate::workload::{ConfigMap, Secret};
use crate::yaml::Spanned;

use super::volume_plan::Names;

/// Which of the two a reference is to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Secret,
    Config,
}

impl FileKind {
    fn key(self) -> &'static str {
        match self {
            FileKind::Secret => "secrets",
            FileKind::Config => "configs",
        }
    }
}

/// Where values of `environment:`-sourced secrets and configs come from: the variables the
/// project is interpolated with (`--set`, the process environment, the entry's `variables`,
/// the environment's), then the project's `.env`.
pub struct Lookup {
    pub variables: BTreeMap<String, String>,
    pub dotenv: BTreeMap<String, String>,
}

impl Lookup {
    fn get(&self, name: &str) -> Option<String> {
        self.variables
            .get(name)
            .or_else(|| self.dotenv.get(name))
            .cloned()
    }
}

/// The `.env` file of a project directory, if there is one and it parses.
pub fn read_dotenv(dir: &Path) -> BTreeMap<String, String> {
    let path = dir.join(".env");
    let Ok(text) = crate::diagnostic::read_text(&path) else {
        return BTreeMap::new();
    };
    let file =
        crate::diagnostic::SourceFile::register(crate::diagnostic::display_path(&path), text);
    crate::dotenv::parse_expanded(file)
        .map(|entries| {
            entries
                .into_iter()
                .filter_map(|e| Some((e.key, e.value?)))
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Default)]
pub struct LoweredFiles {
    pub volumes: Vec<Volume>,
    pub secrets: Vec<Secret>,
    pub config_maps: Vec<ConfigMap>,
}

pub struct FilesInput<'a> {
    pub project: &'a ComposeProject,
    pub entry: &'a str,
    pub lookup: &'a Lookup,
    /// Whether this service carries the object of a definition (it is its first user).
    pub owns: &'a dyn Fn(FileKind, &str) -> bool,
    pub field: &'a str,
}

pub fn lower_files(
    secrets: &[Spanned<FileRef>],
    configs: &[Spanned<FileRef>],
    input: &FilesInput<'_>,
    names: &mut Names,
    d: &mut Diagnostics,
) -> LoweredFiles {
    let mut out = LoweredFiles::default();
    for (kind, refs) in [(FileKind::Secret, secrets), (FileKind::Config, configs)] {
        for reference in refs {
            lower_reference(kind, reference, input, names, &mut out, d);
        }
    }
    out
}

/// The name of a definition's object.
pub fn object_name(entry: &str, kind: FileKind, name: &str, project: &ComposeProject) -> String {
    let external = match kind {
        FileKind::Secret => project
            .secrets
            .get(name)
            .and_then(|s| s.external.map(|e| (e, s.name.clone()))),
        FileKind::Config => project
            .configs
            .get(name)
            .and_then(|c| c.external.map(|e| (e, c.name.clone()))),
    };
    match external {
        Some((true, own)) => own.unwrap_or_else(|| name.to_string()),
        _ => format!("{entry}-{}", to_dns_label(name)),
    }
}

fn lower_reference(
    kind: FileKind,
    reference: &Spanned<FileRef>,
    input: &FilesInput<'_>,
    names: &mut Names,
    out: &mut LoweredFiles,
    d: &mut Diagnostics,
) {
    let source = &reference.value.source;
    let field = format!("{}.{}.{source}", input.field, kind.key());
    let project = input.project;
    let (external, file, environment, content) = match kind {
        FileKind::Secret => match project.secrets.get(source) {
            Some(s) => (
                s.external == Some(true),
                s.file.clone(),
                s.environment.clone(),
                None,
            ),
            None => return,
        },
        FileKind::Config => match project.configs.get(source) {
            Some(c) => (
                c.external == Some(true),
                c.file.clone(),
                c.environment.clone(),
                c.content.clone(),
            ),
            None => return,
        },
    };
    let object = object_name(input.entry, kind, source, project);
    if let Err(problem) = check_dns_subdomain(&object) {
        d.push(
            Diagnostic::error(
                problem.code(),
                format!("{} name `{object}` {problem}", kind_name(kind)),
            )
            .at(reference.span)
            .field(field),
        );
        return;
    }
    let key = to_data_key(source, "value");
    if !external && (input.owns)(kind, source) {
        let value = match (&file, &environment, &content) {
            (Some(path), _, _) => read_file(project, path, &field, d),
            (None, Some(variable), _) => match input.lookup.get(variable) {
                Some(value) => Some(value),
                None => {
                    d.push(
                        Diagnostic::error(
                            Code::UnsetVariable,
                            format!("{} `{source}` takes its value from `{variable}`, which is not set", kind_name(kind)),
                        )
                        .at(reference.span)
                        .field(field.clone())
                        .help(format!("set `{variable}` in the compose entry's `variables`, the environment, or the project's .env")),
                    );
                    None
                }
            },
            (None, None, Some(text)) => Some(text.clone()),
            (None, None, None) => {
                d.push(
                    Diagnostic::error(
                        Code::MissingKey,
                        format!("{} `{source}` has no `file`, `environment` or `content`, and is not `external`", kind_name(kind)),
                    )
                    .at(reference.span)
                    .field(field.clone()),
                );
                None
            }
        };
        if let Some(value) = value {
            let data = BTreeMap::from([(key.clone(), value)]);
            match kind {
                FileKind::Secret => out.secrets.push(Secret {
                    name: object.clone(),
                    string_data: data,
                }),
                FileKind::Config => out.config_maps.push(ConfigMap {
                    name: object.clone(),
                    data,
                }),
            }
        }
    }
    let target = reference
        .value
        .target
        .clone()
        .unwrap_or_else(|| match kind {
            FileKind::Secret => format!("/run/secrets/{source}"),
            FileKind::Config => format!("/{source}"),
        });
    if reference.value.uid.is_some() || reference.value.gid.is_some() {
        d.push(
            Diagnostic::warning(
                Code::UnsupportedValue,
                "`uid` and `gid` of a mounted file are not kept (Kubernetes sets them per pod with fsGroup)",
            )
            .at(reference.span)
            .field(field.clone()),
        );
    }
    let prefix = match kind {
        FileKind::Secret => "secret",
        FileKind::Config => "config",
    };
    let span = reference.span;
    let name_text = names.take(&format!("{prefix}-{}", to_dns_label(source)), prefix);
    let object_ref = Some(Spanned::new(object, span));
    out.volumes.push(Volume {
        name: Spanned::new(name_text, span),
        kind: Spanned::new(
            match kind {
                FileKind::Secret => VolumeType::Secret,
                FileKind::Config => VolumeType::Configmap,
            },
            span,
        ),
        mount_path: Spanned::new(target, span),
        read_only: Some(true),
        sub_path: Some(key),
        medium: None,
        size_limit: None,
        size: None,
        storage_class: None,
        access_modes: Vec::new(),
        claim_name: None,
        secret_name: if kind == FileKind::Secret {
            object_ref.clone()
        } else {
            None
        },
        configmap_name: if kind == FileKind::Config {
            object_ref
        } else {
            None
        },
        path: None,
        items: Vec::new(),
        default_mode: reference
            .value
            .mode
            .map(|m| Spanned::new(format!("0{m:o}"), span)),
    });
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Secret => "secret",
        FileKind::Config => "config",
    }
}

/// A secret's or config's `file:`, read only where it resolves inside the project's root.
fn read_file(
    project: &ComposeProject,
    path: &Spanned<String>,
    field: &str,
    d: &mut Diagnostics,
) -> Option<String> {
    let full = project.project_dir.join(&path.value);
    if let Some(root) = &project.root
        && let Err(target) = crate::paths::resolve_inside(root, &full)
    {
        d.push(
            Diagnostic::error(
                Code::OutsideProject,
                format!(
                    "`{}` resolves to `{}`, outside the project directory",
                    path.value,
                    target.display()
                ),
            )
            .at(path.span)
            .field(format!("{field}.file"))
            .help(crate::sources::compose::outside_project_help(
                project.standalone,
            )),
        );
        return None;
    }
    crate::reads::record(&full);
    let problem = match std::fs::read(&full) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => return Some(text),
            Err(_) => "is a binary file; only text can be carried here".to_string(),
        },
        Err(e) => format!("cannot be read: {e}"),
    };
    d.push(
        Diagnostic::error(Code::BadFile, format!("`{}` {problem}", path.value))
            .at(path.span)
            .field(format!("{field}.file")),
    );
    None
}
