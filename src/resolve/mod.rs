//! Resolving one environment: apply each block's override (maps merge key by key, scalars and
//! lists replace, `null` removes), expand variables, type every entry, apply `defaults`.
//! The result is fully concrete; nothing downstream looks at environments again.

mod shorthand;
mod variables;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::de::DeserializeOwned;

pub use variables::{Inputs, Variables};

use crate::config::{
    AppEntry, ArgoCd, ComposeEntry, Defaults, EnvironmentSettings, Gateway, HelmEntry,
    IngressController, Project, RawBlock, RawEntry, Section, ServerlessEntry,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::names::check_dns_label;
use crate::yaml::{Node, Spanned, from_node};

/// The namespace of entries when neither they nor `defaults.namespace` name one.
pub const DEFAULT_NAMESPACE: &str = "apps";

/// One environment, fully resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub env: String,
    /// apps.yaml's directory; relative paths in entries are relative to it.
    pub dir: PathBuf,
    pub settings: EnvironmentSettings,
    pub defaults: Defaults,
    /// `defaults.registry` for this environment.
    pub registry: Option<String>,
    /// `defaults.ingress` for this environment.
    pub ingress: IngressController,
    /// `defaults.namespace`.
    pub namespace: String,
    pub repositories: BTreeMap<String, Spanned<String>>,
    pub helm: Vec<Entry<HelmEntry>>,
    pub serverless: Vec<Entry<ServerlessEntry>>,
    pub apps: Vec<Entry<AppEntry>>,
    pub compose: Vec<Entry<ComposeEntry>>,
    /// Entries with `enabled: false` in this environment.
    pub disabled: Vec<(Section, Spanned<String>)>,
    pub gateway: Option<Gateway>,
    pub argocd: ArgoCd,
    /// The environment's variables, for inputs read after resolving (compose files).
    pub variables: Variables,
}

impl Resolved {
    /// An environment made of defaults only, with no entries: for commands that run without
    /// apps.yaml (`k3s compose convert`). Relative paths are relative to `dir`.
    pub fn standalone(env: &str, dir: PathBuf) -> Resolved {
        Resolved {
            env: env.to_string(),
            dir,
            settings: EnvironmentSettings::default(),
            defaults: Defaults::default(),
            registry: None,
            ingress: IngressController::Traefik,
            namespace: DEFAULT_NAMESPACE.to_string(),
            repositories: BTreeMap::new(),
            helm: Vec::new(),
            serverless: Vec::new(),
            apps: Vec::new(),
            compose: Vec::new(),
            disabled: Vec::new(),
            gateway: None,
            argocd: ArgoCd::default(),
            variables: Variables::default(),
        }
    }
}

/// An enabled entry of one section, typed, with its namespace decided.
#[derive(Debug, Clone)]
pub struct Entry<T> {
    pub section: Section,
    pub name: Spanned<String>,
    pub namespace: String,
    pub spec: T,
}

impl<T> Entry<T> {
    /// `apps.web`: how messages name the entry.
    pub fn field(&self) -> String {
        format!("{}.{}", self.section.key(), self.name.value)
    }
}

/// Resolves `env`. Every problem of this environment is reported, not only the first.
pub fn resolve(project: &Project, env: &str, inputs: &Inputs) -> Result<Resolved, Diagnostics> {
    let (resolved, d) = resolve_all(project, env, inputs)?;
    if d.has_errors() { Err(d) } else { Ok(resolved) }
}

/// Resolves `env` as far as it can: entries with errors are left out (their problems are
/// returned beside the rest), so later stages still check every other entry in the same run
/// (DESIGN rule 6). `Err` only when the environment itself is not declared.
pub fn resolve_all(
    project: &Project,
    env: &str,
    inputs: &Inputs,
) -> Result<(Resolved, Diagnostics), Diagnostics> {
    let mut d = Diagnostics::new();
    let Some(decl) = project.environment(env) else {
        let mut message = Diagnostic::error(
            Code::UndeclaredEnvironment,
            format!("environment `{env}` is not declared in apps.yaml"),
        )
        .help(format!(
            "declared environments: {}",
            project.environment_names().join(", ")
        ));
        if let Some(s) = crate::diagnostic::did_you_mean(env, project.environment_names()) {
            message = message.help(format!("did you mean `{s}`?"));
        }
        d.push(message);
        return Err(d);
    };

    let mut settings_node = decl.settings.clone();
    // Variables and env files are read before anything is interpolated (they are literal).
    let raw_settings: EnvironmentSettings =
        typed(&settings_node, &format!("environments.{env}"), &mut d).unwrap_or_default();
    let variables = Variables::for_environment(inputs, &raw_settings, &project.dir, &mut d);
    variables.interpolate_tree(&mut settings_node, &format!("environments.{env}"), &mut d);
    let settings =
        typed(&settings_node, &format!("environments.{env}"), &mut d).unwrap_or(raw_settings);

    let defaults = resolve_defaults(project, env, &variables, &mut d);
    let registry = defaults.registry.as_ref().and_then(|r| r.get(env).cloned());
    let ingress = defaults
        .ingress
        .as_ref()
        .and_then(|i| i.get(env).copied())
        .unwrap_or(IngressController::Traefik);
    let namespace = defaults
        .namespace
        .as_ref()
        .map_or_else(|| DEFAULT_NAMESPACE.to_string(), |n| n.value.clone());

    // Entries, the gateway and Argo CD are filled in below.
    let mut resolved = Resolved {
        settings,
        registry,
        ingress,
        namespace,
        repositories: resolve_repositories(project, &variables, &mut d),
        defaults,
        variables: variables.clone(),
        ..Resolved::standalone(env, project.dir.clone())
    };
    // Entries are large structs: reserving once avoids copying them as the lists grow.
    let count = |section| {
        project
            .entries
            .iter()
            .filter(|e| e.section == section)
            .count()
    };
    resolved.helm.reserve_exact(count(Section::Helm));
    resolved
        .serverless
        .reserve_exact(count(Section::Serverless));
    resolved.apps.reserve_exact(count(Section::Apps));
    resolved.compose.reserve_exact(count(Section::Compose));
    let mut context = EntryContext {
        env,
        variables: &variables,
        default_namespace: &resolved.namespace,
        disabled: Vec::new(),
        d: &mut d,
    };
    for raw in &project.entries {
        match raw.section {
            Section::Helm => {
                let typed = context.entry::<HelmEntry>(raw, helm_values_layered);
                push(&mut resolved.helm, typed, context.d);
            }
            Section::Serverless => {
                let typed = context.entry::<ServerlessEntry>(raw, |_, _, _| {});
                push(&mut resolved.serverless, typed, context.d);
            }
            Section::Apps => {
                let typed = context.entry::<AppEntry>(raw, |_, _, _| {});
                push(&mut resolved.apps, typed, context.d);
            }
            Section::Compose => {
                let typed = context.entry::<ComposeEntry>(raw, |_, _, _| {});
                push(&mut resolved.compose, typed, context.d);
            }
        }
    }
    resolved.gateway = project
        .gateway
        .as_ref()
        .and_then(|block| context.block::<Gateway>(block, "gateway"))
        .filter(|g| g.enabled != Some(false));
    resolved.argocd = project
        .argocd
        .as_ref()
        .and_then(|block| context.block::<ArgoCd>(block, "argocd"))
        .unwrap_or_default();
    resolved.disabled = std::mem::take(&mut context.disabled);
    let mut entries = resolved
        .helm
        .iter_mut()
        .map(|e| (&e.name, &mut e.namespace))
        .chain(
            resolved
                .serverless
                .iter_mut()
                .map(|e| (&e.name, &mut e.namespace)),
        )
        .chain(
            resolved
                .apps
                .iter_mut()
                .map(|e| (&e.name, &mut e.namespace)),
        )
        .chain(
            resolved
                .compose
                .iter_mut()
                .map(|e| (&e.name, &mut e.namespace)),
        )
        .collect::<Vec<_>>();
    for (name, namespace) in &mut entries {
        if let Err(problem) = check_dns_label(namespace, 63) {
            d.push(
                Diagnostic::error(problem.code(), format!("namespace `{namespace}` {problem}"))
                    .at(name.span)
                    .field(format!("{}.namespace", name.value)),
            );
        }
    }
    Ok((resolved, d))
}

/// State shared while resolving the entries of one environment.
struct EntryContext<'a> {
    env: &'a str,
    variables: &'a Variables,
    default_namespace: &'a str,
    disabled: Vec<(Section, Spanned<String>)>,
    d: &'a mut Diagnostics,
}

/// An entry before its namespace is settled.
struct Typed<T> {
    section: Section,
    name: Spanned<String>,
    spec: T,
    default_namespace: String,
}

impl<T: shorthand::EntrySpec> Typed<T> {
    /// Finishes the entry: shorthands folded under `security`, namespace decided.
    fn finish(mut self, d: &mut Diagnostics) -> Entry<T> {
        let field = format!("{}.{}", self.section.key(), self.name.value);
        self.spec.fold_shorthands(&field, d);
        let namespace = self
            .spec
            .namespace()
            .map_or(self.default_namespace, |n| n.value.clone());
        Entry {
            section: self.section,
            name: self.name,
            namespace,
            spec: self.spec,
        }
    }
}

fn push<T: shorthand::EntrySpec>(
    list: &mut Vec<Entry<T>>,
    typed: Option<Typed<T>>,
    d: &mut Diagnostics,
) {
    if let Some(typed) = typed {
        list.push(typed.finish(d));
    }
}

impl EntryContext<'_> {
    /// Merges, checks `enabled`, interpolates and types one entry. `adjust` may rewrite the
    /// merged node before interpolation (given the base and this environment's override).
    fn entry<T: DeserializeOwned>(
        &mut self,
        raw: &RawEntry,
        adjust: impl FnOnce(&Node, Option<&Node>, &mut Node),
    ) -> Option<Typed<T>> {
        let field = format!("{}.{}", raw.section.key(), raw.name.value);
        let spec = if needs_copy(&raw.block, self.env) {
            let mut merged = merged(&raw.block, self.env);
            adjust(
                &raw.block.base,
                raw.block.overrides.get(self.env),
                &mut merged,
            );
            if !self.is_enabled(&mut merged, &field) {
                self.disabled.push((raw.section, raw.name.clone()));
                return None;
            }
            self.variables.interpolate_tree(&mut merged, &field, self.d);
            typed::<T>(&merged, &field, self.d)?
        } else {
            // Nothing to merge or expand: read the base as it is, without a copy.
            if !is_enabled_literal(&raw.block.base) {
                self.disabled.push((raw.section, raw.name.clone()));
                return None;
            }
            typed::<T>(&raw.block.base, &field, self.d)?
        };
        Some(Typed {
            section: raw.section,
            name: raw.name.clone(),
            spec,
            default_namespace: self.default_namespace.to_string(),
        })
    }

    fn block<T: DeserializeOwned>(&mut self, block: &RawBlock, field: &str) -> Option<T> {
        if !needs_copy(block, self.env) {
            return typed::<T>(&block.base, field, self.d);
        }
        let mut merged = merged(block, self.env);
        self.variables.interpolate_tree(&mut merged, field, self.d);
        typed::<T>(&merged, field, self.d)
    }

    /// Reads `enabled` (interpolated on its own, so `enabled: ${FLAG:-true}` works).
    fn is_enabled(&mut self, merged: &mut Node, field: &str) -> bool {
        let Some(enabled) = merged.get_mut("enabled") else {
            return true;
        };
        self.variables
            .interpolate_tree(enabled, &format!("{field}.enabled"), self.d);
        !matches!(enabled.as_str(), Some("false" | "False" | "FALSE"))
    }
}

/// Whether resolving the block for `env` changes it (an override or a `${...}` to expand).
fn needs_copy(block: &RawBlock, env: &str) -> bool {
    block.has_variables || block.overrides.contains_key(env)
}

/// `enabled` of a block that has no variables.
fn is_enabled_literal(base: &Node) -> bool {
    !matches!(
        base.get("enabled").and_then(Node::as_str),
        Some("false" | "False" | "FALSE")
    )
}

/// The base of a block with the environment's override applied.
fn merged(block: &RawBlock, env: &str) -> Node {
    let mut node = block.base.clone();
    if let Some(patch) = block.overrides.get(env) {
        node.merge_override(patch);
    }
    node
}

/// Helm values files are layered: the base files, then the environment's, which win. This is
/// the one field where an override adds instead of replacing, because that is what separate
/// values files are for (`values.yaml` + `values-gcp.yaml`). An explicit `values: null` in the
/// environment still removes them all.
fn helm_values_layered(base: &Node, patch: Option<&Node>, merged: &mut Node) {
    let (Some(base_values), Some(env_values)) =
        (base.get("values"), patch.and_then(|p| p.get("values")))
    else {
        return;
    };
    if env_values.is_null() {
        return;
    }
    let as_items = |node: &Node| -> Vec<Node> {
        match node.as_seq() {
            Some(items) => items.to_vec(),
            None => vec![node.clone()],
        }
    };
    let mut items = as_items(base_values);
    items.extend(as_items(env_values));
    if let Some(values) = merged.get_mut("values") {
        *values = Node {
            value: crate::yaml::Value::Seq(items),
            span: env_values.span,
            tag: None,
        };
    }
}

fn typed<T: DeserializeOwned>(node: &Node, field: &str, d: &mut Diagnostics) -> Option<T> {
    match from_node::<T>(node, field) {
        Ok(value) => Some(value),
        Err(errors) => {
            d.extend(errors);
            None
        }
    }
}

/// `defaults`, with each per-environment map (`registry`, `ingress`) reduced to the
/// environment being resolved before anything is interpolated: only this environment needs
/// its variables (`gcp: "…/${PROJECT_ID}/…"` does not concern `local`). Keys naming
/// undeclared environments are errors in every environment.
fn resolve_defaults(
    project: &Project,
    env: &str,
    variables: &Variables,
    d: &mut Diagnostics,
) -> Defaults {
    let Some(node) = &project.defaults else {
        return Defaults::default();
    };
    let mut node = node.clone();
    let declared = project.environment_names();
    for key in PER_ENVIRONMENT_DEFAULTS {
        let Some(entries) = node.get_mut(key).and_then(Node::as_map_mut) else {
            continue;
        };
        for (name, _) in entries.iter() {
            let name_text = name.as_str().unwrap_or_default();
            if !declared.contains(&name_text) {
                d.push(
                    Diagnostic::error(
                        Code::UndeclaredEnvironment,
                        format!("`{name_text}` is not a declared environment"),
                    )
                    .at(name.span)
                    .field(format!("defaults.{key}.{name_text}"))
                    .help(format!("declared environments: {}", declared.join(", "))),
                );
            }
        }
        entries.retain(|(name, _)| name.as_str() == Some(env));
    }
    variables.interpolate_tree(&mut node, "defaults", d);
    typed(&node, "defaults", d).unwrap_or_default()
}

/// The `defaults` keys that may map environment names to values.
const PER_ENVIRONMENT_DEFAULTS: [&str; 2] = ["registry", "ingress"];

fn resolve_repositories(
    project: &Project,
    variables: &Variables,
    d: &mut Diagnostics,
) -> BTreeMap<String, Spanned<String>> {
    let Some(node) = &project.repositories else {
        return BTreeMap::new();
    };
    let mut node = node.clone();
    variables.interpolate_tree(&mut node, "repositories", d);
    typed(&node, "repositories", d).unwrap_or_default()
}

#[cfg(test)]
mod tests;
