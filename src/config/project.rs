//! Loading apps.yaml: parse once, check the top-level shape, the declared environments, entry
//! names, and split each entry into its base and its per-environment override blocks.
//! Typing the entries happens per environment, in `resolve`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::dependency::Section;
use super::fields::struct_fields;
use super::{AppEntry, ArgoCd, ComposeEntry, Gateway, HelmEntry, ServerlessEntry};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean, display_path};
use crate::names::check_dns_label;
use crate::yaml::{Node, Spanned, Value, parse_file};

/// The file name looked for when `-f` is not given.
pub const FILE_NAME: &str = "apps.yaml";

const TOP_LEVEL_KEYS: &[&str] = &[
    "version",
    "defaults",
    "environments",
    "helm",
    "serverless",
    "apps",
    "compose",
    "repositories",
    "gateway",
    "argocd",
];

/// apps.yaml as read: environment-independent parts checked, entries still as YAML nodes.
#[derive(Debug, Clone)]
pub struct Project {
    /// Absolute path of apps.yaml.
    pub path: PathBuf,
    /// Its directory: every relative path in apps.yaml is relative to this.
    pub dir: PathBuf,
    pub environments: Vec<EnvironmentDecl>,
    pub defaults: Option<Node>,
    pub repositories: Option<Node>,
    pub entries: Vec<RawEntry>,
    pub gateway: Option<RawBlock>,
    pub argocd: Option<RawBlock>,
}

#[derive(Debug, Clone)]
pub struct EnvironmentDecl {
    pub name: Spanned<String>,
    /// The settings mapping (empty when the environment was declared with no settings).
    pub settings: Node,
}

/// A block that may carry per-environment overrides: its base and the override per env name.
#[derive(Debug, Clone)]
pub struct RawBlock {
    pub base: Node,
    pub overrides: BTreeMap<String, Node>,
    /// Whether any value (base or override) contains `$`: only then is a copy interpolated.
    pub has_variables: bool,
}

#[derive(Debug, Clone)]
pub struct RawEntry {
    pub section: Section,
    pub name: Spanned<String>,
    pub block: RawBlock,
}

impl Project {
    pub fn environment_names(&self) -> Vec<&str> {
        self.environments
            .iter()
            .map(|e| e.name.value.as_str())
            .collect()
    }

    pub fn environment(&self, name: &str) -> Option<&EnvironmentDecl> {
        self.environments.iter().find(|e| e.name.value == name)
    }

    /// apps.yaml's path for messages: relative to the current directory when below it.
    pub fn display_path(&self) -> PathBuf {
        display_path(&self.path)
    }
}

/// `apps.yaml` in `start` or the nearest parent directory that has one.
pub fn find_apps_yaml(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Reads and checks apps.yaml. `Err` when it cannot be read or parsed at all; otherwise the
/// project together with every problem found (which may include errors).
pub fn load(path: &Path) -> Result<(Project, Diagnostics), Diagnostics> {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    crate::reads::record(&absolute);
    let text = std::fs::read_to_string(&absolute).map_err(|e| {
        let mut d = Diagnostics::new();
        d.push(Diagnostic::error(
            Code::Io,
            format!("cannot read {}: {e}", display_path(&absolute).display()),
        ));
        d
    })?;
    let root = parse_file(&display_path(&absolute), text).map_err(|e| {
        let mut d = Diagnostics::new();
        d.push(e);
        d
    })?;
    let dir = absolute
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut diagnostics = Diagnostics::new();
    let project = read_project(absolute, dir, root, &mut diagnostics);
    Ok((project, diagnostics))
}

/// Takes the tree apart (entries are moved, not copied: a large file is read once).
fn read_project(path: PathBuf, dir: PathBuf, mut root: Node, d: &mut Diagnostics) -> Project {
    let mut project = Project {
        path,
        dir,
        environments: Vec::new(),
        defaults: None,
        repositories: None,
        entries: Vec::new(),
        gateway: None,
        argocd: None,
    };
    let Some(entries) = root.as_map() else {
        d.push(
            Diagnostic::error(
                Code::WrongType,
                format!(
                    "expected a mapping at the top of apps.yaml, found {}",
                    root.describe()
                ),
            )
            .at(root.span),
        );
        return project;
    };
    check_top_level_keys(entries, d);
    check_version(&root, d);
    project.environments = read_environments(&root, d);
    let env_names: Vec<String> = project
        .environments
        .iter()
        .map(|e| e.name.value.clone())
        .collect();
    project.defaults = root.remove("defaults").filter(|n| !n.is_null());
    project.repositories = root.remove("repositories").filter(|n| !n.is_null());
    for section in Section::ALL {
        if let Some(node) = root.remove(section.key()) {
            read_section(section, node, &env_names, &mut project.entries, d);
        }
    }
    drop_duplicate_names(&mut project.entries, d);
    project.gateway = root
        .remove("gateway")
        .filter(|n| !n.is_null())
        .map(|n| split_block::<Gateway>(n, "gateway", &env_names, d));
    project.argocd = root
        .remove("argocd")
        .filter(|n| !n.is_null())
        .map(|n| split_block::<ArgoCd>(n, "argocd", &env_names, d));
    project
}

fn check_top_level_keys(entries: &[(Node, Node)], d: &mut Diagnostics) {
    for (key, _) in entries {
        let name = key.as_str().unwrap_or_default();
        if TOP_LEVEL_KEYS.contains(&name) || name.starts_with("x-") {
            continue;
        }
        let mut diagnostic =
            Diagnostic::error(Code::UnknownKey, format!("unknown top-level key `{name}`"))
                .at(key.span);
        diagnostic = match did_you_mean(name, TOP_LEVEL_KEYS.iter().copied()) {
            Some(s) => diagnostic.help(format!("did you mean `{s}`?")),
            None => diagnostic.help(format!(
                "expected one of: {} (or an `x-` key for YAML anchors)",
                TOP_LEVEL_KEYS.join(", ")
            )),
        };
        d.push(diagnostic);
    }
}

fn check_version(root: &Node, d: &mut Diagnostics) {
    match root.get_entry("version") {
        None => d.push(
            Diagnostic::error(Code::MissingKey, "missing `version: \"2\"`")
                .at(root.span)
                .help("this is an apps.yaml schema v2 file: add `version: \"2\"` at the top"),
        ),
        Some((_, value)) if value.as_str() == Some("2") => {}
        Some((_, value)) => d.push(
            Diagnostic::error(
                Code::BadValue,
                format!("unsupported version {}, expected \"2\"", value.describe()),
            )
            .at(value.span)
            .field("version"),
        ),
    }
}

/// Every field name any entry section accepts: an environment may not be called like one.
fn entry_field_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = [
        struct_fields::<AppEntry>(),
        struct_fields::<ServerlessEntry>(),
        struct_fields::<ComposeEntry>(),
        struct_fields::<HelmEntry>(),
        struct_fields::<Gateway>(),
        struct_fields::<ArgoCd>(),
    ]
    .concat();
    names.sort_unstable();
    names.dedup();
    names
}

fn read_environments(root: &Node, d: &mut Diagnostics) -> Vec<EnvironmentDecl> {
    let Some((key, node)) = root.get_entry("environments") else {
        d.push(
            Diagnostic::error(Code::MissingKey, "no `environments:` declared")
                .at(root.span)
                .help("declare at least one, e.g. `environments: {local: {domain: localhost}}`"),
        );
        return Vec::new();
    };
    let Some(entries) = node.as_map() else {
        d.push(
            Diagnostic::error(
                Code::WrongType,
                format!(
                    "expected a mapping of environments, found {}",
                    node.describe()
                ),
            )
            .at(if node.is_null() { key.span } else { node.span })
            .field("environments"),
        );
        return Vec::new();
    };
    let reserved = entry_field_names();
    let mut declared = Vec::new();
    for (name_node, settings) in entries {
        let name = name_node.as_str().unwrap_or_default().to_string();
        let field = format!("environments.{name}");
        if let Err(problem) = check_dns_label(&name, 63) {
            d.push(
                Diagnostic::error(
                    problem.code(),
                    format!("environment name `{name}` {problem}"),
                )
                .at(name_node.span)
                .field(field.clone()),
            );
        }
        if reserved.contains(&name.as_str()) {
            d.push(
                Diagnostic::error(
                    Code::BadName,
                    format!(
                        "an environment may not be named `{name}`: entries have a field of that \
                         name, so its override block could not be told apart"
                    ),
                )
                .at(name_node.span)
                .field(field.clone()),
            );
        }
        let settings = if settings.is_null() {
            Node::map(Vec::new(), settings.span)
        } else if settings.as_map().is_some() {
            settings.clone()
        } else {
            d.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!(
                        "expected a mapping of settings, found {}",
                        settings.describe()
                    ),
                )
                .at(settings.span)
                .field(field),
            );
            Node::map(Vec::new(), settings.span)
        };
        declared.push(EnvironmentDecl {
            name: Spanned::new(name, name_node.span),
            settings,
        });
    }
    if declared.is_empty() {
        d.push(
            Diagnostic::error(Code::MissingKey, "`environments:` declares no environment")
                .at(node.span)
                .field("environments"),
        );
    }
    declared
}

fn read_section(
    section: Section,
    node: Node,
    env_names: &[String],
    out: &mut Vec<RawEntry>,
    d: &mut Diagnostics,
) {
    let key = section.key();
    if node.is_null() {
        return;
    }
    let Value::Seq(items) = node.value else {
        d.push(
            Diagnostic::error(
                Code::WrongType,
                format!("expected a list of entries, found {}", node.describe()),
            )
            .at(node.span)
            .field(key),
        );
        return;
    };
    for (index, item) in items.into_iter().enumerate() {
        if let Some(entry) = read_entry(section, index, item, env_names, d) {
            out.push(entry);
        }
    }
}

fn read_entry(
    section: Section,
    index: usize,
    item: Node,
    env_names: &[String],
    d: &mut Diagnostics,
) -> Option<RawEntry> {
    let key = section.key();
    if item.as_map().is_none() {
        d.push(
            Diagnostic::error(
                Code::WrongType,
                format!("expected an entry (a mapping), found {}", item.describe()),
            )
            .at(item.span)
            .field(format!("{key}[{index}]")),
        );
        return None;
    }
    let Some(name_node) = item.get("name") else {
        d.push(
            Diagnostic::error(Code::MissingKey, "missing required key `name`")
                .at(item.span)
                .field(format!("{key}[{index}]")),
        );
        return None;
    };
    let name_span = name_node.span;
    let name = match &name_node.value {
        Value::Scalar(s) if !name_node.is_null() => s.text.clone(),
        _ => {
            d.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!("expected a name, found {}", name_node.describe()),
                )
                .at(name_node.span)
                .field(format!("{key}[{index}].name")),
            );
            return None;
        }
    };
    let field = format!("{key}.{name}");
    if let Err(problem) = check_dns_label(&name, 63) {
        d.push(
            Diagnostic::error(problem.code(), format!("entry name `{name}` {problem}"))
                .at(name_span)
                .field(format!("{field}.name"))
                .help("names become Kubernetes object names and directory names"),
        );
    }
    let block = match section {
        Section::Helm => split_block::<HelmEntry>(item, &field, env_names, d),
        Section::Serverless => split_block::<ServerlessEntry>(item, &field, env_names, d),
        Section::Apps => split_block::<AppEntry>(item, &field, env_names, d),
        Section::Compose => split_block::<ComposeEntry>(item, &field, env_names, d),
    };
    Some(RawEntry {
        section,
        name: Spanned::new(name, name_span),
        block,
    })
}

/// Separates the keys named after declared environments from the base fields. A key that is
/// neither a field of `T` nor a declared environment and holds a mapping is reported as an
/// undeclared environment (or misspelt field) and dropped; other unknown keys stay in the base,
/// for the typed read to report with a did-you-mean.
fn split_block<T: DeserializeOwned>(
    node: Node,
    field: &str,
    env_names: &[String],
    d: &mut Diagnostics,
) -> RawBlock {
    let fields = struct_fields::<T>();
    let mut base = Vec::new();
    let mut overrides = BTreeMap::new();
    let span = node.span;
    let has_variables = node.any_scalar(&|s| s.text.contains('$'));
    let entries = match node.value {
        Value::Map(entries) => entries,
        _ => Vec::new(),
    };
    for (key, value) in entries {
        let name = key.as_str().unwrap_or_default();
        if env_names.iter().any(|e| e == name) {
            if value.is_null() {
                continue;
            }
            if value.as_map().is_none() {
                d.push(
                    Diagnostic::error(
                        Code::WrongType,
                        format!(
                            "expected a mapping of overrides for environment `{name}`, found {}",
                            value.describe()
                        ),
                    )
                    .at(value.span)
                    .field(format!("{field}.{name}")),
                );
                continue;
            }
            overrides.insert(name.to_string(), value);
        } else if !fields.contains(&name)
            && value.as_map().is_some()
            && let Some(close) = one_edit_from(name, fields.iter().copied())
                .filter(|_| did_you_mean(name, env_names.iter().map(String::as_str)).is_none())
        {
            // One edit from a field and from no environment: a misspelt field.
            d.push(
                Diagnostic::error(
                    Code::UnknownKey,
                    format!("unknown field `{name}`, did you mean `{close}`?"),
                )
                .at(key.span)
                .field(format!("{field}.{name}")),
            );
        } else if !fields.contains(&name) && value.as_map().is_some() {
            // A mapping under an unknown key is most likely an environment block for an
            // environment that was never declared, or a misspelt field: say both.
            let mut diagnostic = Diagnostic::error(
                Code::UndeclaredEnvironment,
                format!("`{name}` is not a declared environment (nor a field of this entry)"),
            )
            .at(key.span)
            .field(format!("{field}.{name}"));
            if let Some(s) = did_you_mean(name, env_names.iter().map(String::as_str)) {
                diagnostic = diagnostic.help(format!("did you mean environment `{s}`?"));
            }
            if let Some(s) = did_you_mean(name, fields.iter().copied()) {
                diagnostic = diagnostic.help(format!("did you mean the field `{s}`?"));
            }
            diagnostic = diagnostic.help(format!(
                "declared environments: {}; declare it under `environments:` to use it here",
                env_names.join(", ")
            ));
            d.push(diagnostic);
        } else {
            base.push((key, value));
        }
    }
    RawBlock {
        base: Node::map(base, span),
        overrides,
        has_variables,
    }
}

/// The candidate one edit (insertion, deletion, substitution or swap) away from `name`.
fn one_edit_from<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .find(|c| strsim::damerau_levenshtein(name, c) == 1)
}

/// Reports every entry whose name an earlier one has, and drops it: the rest of the run then
/// checks the first one only, without reporting the clash again for each object.
fn drop_duplicate_names(entries: &mut Vec<RawEntry>, d: &mut Diagnostics) {
    let mut duplicates = Vec::new();
    let mut seen: BTreeMap<&str, &RawEntry> = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        match seen.get(entry.name.value.as_str()) {
            Some(first) => {
                duplicates.push(index);
                d.push(
                    Diagnostic::error(
                        Code::DuplicateName,
                        format!(
                            "entry name `{}` is used twice: in `{}` at line {} and in `{}` at line \
                         {}; names must be unique across all sections",
                            entry.name.value,
                            first.section.key(),
                            first.name.span.line_col().0,
                            entry.section.key(),
                            entry.name.span.line_col().0,
                        ),
                    )
                    .at(entry.name.span)
                    .field(format!("{}.{}.name", entry.section.key(), entry.name.value))
                    .label(first.name.span, "first used here"),
                );
            }
            None => {
                seen.insert(&entry.name.value, entry);
            }
        }
    }
    for index in duplicates.into_iter().rev() {
        entries.remove(index);
    }
}
