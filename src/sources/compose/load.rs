//! Loads a compose project: files, `.env`, env files, `include`, `extends`, interpolation, merge,
//! profiles, then the typed model. Reports every problem as a Diagnostic; prints nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::merge::{merge_documents, merge_service, strip_merge_tags};
use super::model::{ComposeProject, ENGINE_ONLY_KEYS, HealthTest, Service};
use super::normalize::{normalize_document, strip_extensions};
use super::paths::{absolute, is_remote, relative_path, rewrite_paths};
use super::references::check_references;
use super::variables::{DOTENV_LAYER, Variables, expand, interpolate_tree, resolve_nulls};
use crate::diagnostic::{
    Code, Diagnostic, Diagnostics, SourceFile, Span, did_you_mean, display_path,
};
use crate::dotenv::{DotenvEntry, parse_dotenv};
use crate::yaml::{
    Node, PathSeg, Spanned, Style, Value, from_node, from_node_first, parse_registered, path_string,
};

/// How to load a project.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Overrides the top-level `name:` and the directory name.
    pub project_name: Option<String>,
    /// Active profiles; `*` activates all.
    pub profiles: Vec<String>,
    /// Variables from the caller, merged by its precedence (apps.yaml's, `--set` and the
    /// process environment, which the caller reads); they win over `.env`. The loader never
    /// reads the process environment itself.
    pub variables: BTreeMap<String, String>,
    /// Read this file (relative to the current directory) instead of `<project dir>/.env`; it
    /// must exist.
    pub env_file: Option<PathBuf>,
    /// The directory every file the compose files name (`extends`, `include`, `env_file`, a
    /// `.env`, secrets' and configs' files) must resolve inside, after symlinks: apps.yaml's
    /// directory for an entry. `None`: the directory of the first compose file.
    pub root: Option<PathBuf>,
    /// Read such files wherever they resolve (the entry's `allow_outside_project`).
    pub allow_outside: bool,
}

/// The files `docker compose` reads in `dir` when given none: the first of `compose.yaml`,
/// `compose.yml`, `docker-compose.yaml`, `docker-compose.yml`, then its `.override` sibling.
pub fn default_compose_files(dir: &Path) -> Option<Vec<PathBuf>> {
    const NAMES: [(&str, &str); 4] = [
        ("compose", "yaml"),
        ("compose", "yml"),
        ("docker-compose", "yaml"),
        ("docker-compose", "yml"),
    ];
    let (stem, ext) = NAMES
        .into_iter()
        .find(|(stem, ext)| dir.join(format!("{stem}.{ext}")).is_file())?;
    let mut files = vec![dir.join(format!("{stem}.{ext}"))];
    let other = if ext == "yaml" { "yml" } else { "yaml" };
    if let Some(over) = [ext, other]
        .into_iter()
        .map(|e| dir.join(format!("{stem}.override.{e}")))
        .find(|p| p.is_file())
    {
        files.push(over);
    }
    Some(files)
}

/// Loads, merges and checks the given compose files (in order). On success the warnings are in
/// [`ComposeProject::warnings`]; on failure every error and warning found is returned.
///
/// Decisions where the specification leaves room:
/// - Variables: [`LoadOptions::variables`] win over the process environment, which wins over
///   `.env`; `COMPOSE_PROJECT_NAME` is the project's name. An unset `${VAR}` without a default
///   is a warning and expands to an empty string (as docker compose does); `${VAR:?msg}` and a
///   malformed reference are errors located at the value. Keys are never expanded.
/// - A bare `KEY` in `environment` or `build.args` takes the variable's value, or is left out
///   with a warning. `env_file` entries come first, `environment` wins over them.
/// - Paths are made relative to the project directory (the first file's), `./x` tidied to `x`;
///   `~` and `~/x` expand with the `HOME` variable (as Compose does; `~user` and an unset
///   `HOME` are kept, for lowering to refuse); absolute and URL paths are kept as written.
///   Override files' paths are relative to
///   the project directory too; `extends`/`include`d files' paths to their own directory.
/// - Keys not in the specification are warnings (with did-you-mean) and ignored; `x-*` keys
///   are ignored silently; Docker-only keys are kept in [`Service::engine_only`] with a warning.
/// - A service with neither `image` nor `build`, a `depends_on` cycle, a reference to an
///   undefined service, network, volume, secret or config, and a required dependency on a
///   service whose profiles are inactive are errors. Remote `extends`/`include` are refused.
pub fn load_project(
    files: &[PathBuf],
    options: &LoadOptions,
) -> Result<ComposeProject, Diagnostics> {
    let mut diags = Vec::new();
    let project = Loader::run(files, options, &mut diags);
    let mut all = Diagnostics::new();
    all.extend(diags);
    let all = all.sorted();
    match project {
        Some(mut project) if !all.has_errors() => {
            project.warnings = all;
            Ok(project)
        }
        _ => Err(all),
    }
}

/// What to do about a file the project names outside its directory, in the mode k3s runs in:
/// `standalone` (`k3s compose convert` without apps.yaml) has no entry to set the opt-in on.
pub fn outside_project_help(standalone: bool) -> &'static str {
    if standalone {
        "k3s reads only files below the compose file's directory; if this one is meant, convert \
         through a `compose:` entry of apps.yaml with `allow_outside_project: true` \
         (`k3s compose convert --entry NAME`)"
    } else {
        "k3s reads only files below the project directory; set `allow_outside_project: true` on \
         the compose entry in apps.yaml if this one is meant"
    }
}

struct Loader<'a> {
    options: &'a LoadOptions,
    project_dir: PathBuf,
    /// Where every named file must resolve; `None` when reading outside is allowed.
    root: Option<PathBuf>,
    diags: &'a mut Vec<Diagnostic>,
    /// Parsed files by canonical path (`None` when reading or parsing failed).
    parsed: HashMap<PathBuf, Option<Node>>,
    /// Interpolated, normalized files by canonical path and path prefix.
    prepared: HashMap<(PathBuf, PathBuf), Option<Node>>,
}

impl<'a> Loader<'a> {
    fn run(
        files: &[PathBuf],
        options: &'a LoadOptions,
        diags: &'a mut Vec<Diagnostic>,
    ) -> Option<ComposeProject> {
        let Some(first) = files.first() else {
            diags.push(Diagnostic::error(
                Code::NoComposeFile,
                "no compose file given",
            ));
            return None;
        };
        let first = absolute(first);
        let project_dir = first.parent().map(Path::to_path_buf).unwrap_or_default();
        let project_dir = project_dir.canonicalize().unwrap_or(project_dir);
        let root = (!options.allow_outside)
            .then(|| options.root.clone().unwrap_or_else(|| project_dir.clone()));
        let mut loader = Loader {
            options,
            project_dir,
            root,
            diags,
            parsed: HashMap::new(),
            prepared: HashMap::new(),
        };
        let mut vars = Variables {
            layers: vec![options.variables.clone(), BTreeMap::new()],
            project_name: None,
        };
        for (name, value) in &options.variables {
            crate::secrets::remember_if_secret(name, value);
        }
        let dotenv_path = match &options.env_file {
            Some(path) => Some(absolute(path)),
            None => Some(loader.project_dir.join(".env")).filter(|p| p.is_file()),
        };
        if let Some(path) = dotenv_path {
            let dotenv = loader.read_dotenv_file(&path, None, &vars);
            vars.layers[DOTENV_LAYER] = dotenv;
        }
        let files: Vec<PathBuf> = files.iter().map(|f| absolute(f)).collect();
        let (name, name_span) = loader.project_name(&files, &vars);
        vars.project_name = Some(name.clone());
        let refs: Vec<(PathBuf, Option<Span>)> = files.into_iter().map(|f| (f, None)).collect();
        let mut doc = loader.load_document(&refs, Path::new(""), &vars, &mut Vec::new())?;
        strip_merge_tags(&mut doc);
        if name.is_empty() {
            loader.diags.push(
                Diagnostic::error(
                    Code::InvalidProjectName,
                    "the project name is empty once reduced to lowercase letters, digits, `-` and `_`",
                )
                .at_opt(name_span)
                .help("set `name:` in the compose file"),
            );
        }
        loader.build_project(name, doc, &vars)
    }

    /// The caller's name, else the last top-level `name:`, else the directory name; normalized.
    fn project_name(&mut self, files: &[PathBuf], vars: &Variables) -> (String, Option<Span>) {
        if let Some(name) = &self.options.project_name {
            return (normalize_project_name(name), None);
        }
        let mut found = None;
        for file in files {
            let Some(doc) = self.parse(file, None) else {
                continue;
            };
            if let Some(node) = doc.get("name").filter(|n| !n.is_null())
                && let Some(text) = node.as_str()
            {
                let mut scratch = Vec::new();
                let expanded = expand(text, node.span, vars, &mut scratch);
                found = Some((expanded.unwrap_or_default(), Some(node.span)));
            }
        }
        match found {
            Some((name, span)) => (normalize_project_name(&name), span),
            None => {
                let dir = self
                    .project_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (normalize_project_name(&dir), None)
            }
        }
    }

    /// Whether `path` (named at `at`) resolves inside the root; else an error naming where it
    /// resolves, and the file is not read (so no line of it can appear in a message).
    fn inside_root(
        &mut self,
        path: &Path,
        at: Option<Span>,
        what: &str,
        field: Option<String>,
    ) -> bool {
        let Some(root) = &self.root else {
            return true;
        };
        let Err(target) = crate::paths::resolve_inside(root, path) else {
            return true;
        };
        let mut error = Diagnostic::error(
            Code::OutsideProject,
            format!(
                "{what} `{}` resolves to `{}`, outside the project directory `{}`",
                display_path(path).display(),
                target.display(),
                root.display()
            ),
        )
        .at_opt(at)
        .help(outside_project_help(self.options.root.is_none()));
        if let Some(field) = field {
            error = error.field(field);
        }
        self.diags.push(error);
        false
    }

    /// Reads and parses a file once. `at` is where it was referenced from (for I/O errors).
    fn parse(&mut self, path: &Path, at: Option<Span>) -> Option<Node> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(cached) = self.parsed.get(&key) {
            return cached.clone();
        }
        let node = match crate::diagnostic::read_text(path) {
            Ok(text) => {
                let file = SourceFile::register(display_path(path), text);
                match parse_registered(file) {
                    Ok(node) if node.as_map().is_some() => Some(node),
                    Ok(node) => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::WrongType,
                                format!(
                                    "a compose file must be a mapping, found {}",
                                    node.describe()
                                ),
                            )
                            .at(node.span),
                        );
                        None
                    }
                    Err(e) => {
                        self.diags.push(e);
                        None
                    }
                }
            }
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::Io,
                        format!("cannot read `{}`: {e}", display_path(path).display()),
                    )
                    .at_opt(at),
                );
                None
            }
        };
        self.parsed.insert(key, node.clone());
        node
    }

    /// A file with extensions stripped, variables expanded, short forms normalized and relative
    /// paths made relative to the project directory (`prefix` is the file's directory, seen
    /// from there; empty for the files given on the command line).
    fn prepare(
        &mut self,
        path: &Path,
        prefix: &Path,
        vars: &Variables,
        at: Option<Span>,
    ) -> Option<Node> {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let key = (canonical, prefix.to_path_buf());
        if let Some(cached) = self.prepared.get(&key) {
            return cached.clone();
        }
        let prepared = self.parse(path, at).map(|mut doc| {
            strip_extensions(&mut doc);
            if let Some((key, _)) = doc.get_entry("version") {
                self.diags.push(
                    Diagnostic::warning(Code::ObsoleteKey, "`version` is obsolete and ignored")
                        .at(key.span)
                        .field("version"),
                );
            }
            interpolate_tree(&mut doc, vars, self.diags);
            normalize_document(&mut doc, self.diags);
            rewrite_paths(&mut doc, prefix, vars.get("HOME").as_deref());
            doc
        });
        self.prepared.insert(key, prepared.clone());
        prepared
    }

    /// Loads files as one document: each file prepared, its `extends` and `include` resolved,
    /// then merged over the previous ones.
    fn load_document(
        &mut self,
        files: &[(PathBuf, Option<Span>)],
        prefix: &Path,
        vars: &Variables,
        include_stack: &mut Vec<PathBuf>,
    ) -> Option<Node> {
        let mut merged: Option<Node> = None;
        for (file, at) in files {
            let Some(mut doc) = self.prepare(file, prefix, vars, *at) else {
                continue;
            };
            self.resolve_extends(file, prefix, vars, &mut doc);
            self.apply_includes(file, &mut doc, vars, include_stack);
            match &mut merged {
                None => merged = Some(doc),
                Some(base) => merge_documents(base, &doc),
            }
        }
        merged
    }

    fn resolve_extends(&mut self, file: &Path, prefix: &Path, vars: &Variables, doc: &mut Node) {
        let names = service_names(doc);
        for name in names {
            let mut stack = Vec::new();
            let resolved = self.resolve_service(file, prefix, vars, &name, &mut stack);
            let Some(services) = doc.get_mut("services") else {
                return;
            };
            match resolved {
                Some(resolved) => {
                    if let Some(slot) = services.get_mut(&name) {
                        *slot = resolved;
                    }
                }
                // Its `extends` failed (already reported): leave it out rather than report
                // follow-on errors about a half-built service.
                None => {
                    services.remove(&name);
                }
            }
        }
    }

    /// A service with its `extends` chain merged in (and the `extends` key removed).
    fn resolve_service(
        &mut self,
        file: &Path,
        prefix: &Path,
        vars: &Variables,
        name: &str,
        stack: &mut Vec<(PathBuf, String, Span)>,
    ) -> Option<Node> {
        let doc = self.prepare(file, prefix, vars, None)?;
        let mut service = doc.get("services")?.get(name)?.clone();
        let Some(extends) = service.remove("extends") else {
            return Some(service);
        };
        let field = format!("services.{name}.extends");
        for (key, _) in extends.as_map().unwrap_or_default() {
            let k = key.as_str().unwrap_or_default();
            if !["service", "file"].contains(&k) && !k.starts_with("x-") {
                self.diags.push(
                    Diagnostic::warning(Code::UnknownKey, format!("unknown key `{k}`, ignored"))
                        .at(key.span)
                        .field(format!("{field}.{k}"))
                        .help("`extends` takes `service` and `file`"),
                );
            }
        }
        let Some(base_name_node) = extends.get("service").filter(|n| n.as_str().is_some()) else {
            self.diags.push(
                Diagnostic::error(Code::InvalidExtends, "`extends` needs a `service`")
                    .at(extends.span)
                    .field(field),
            );
            return None;
        };
        let base_name = base_name_node.as_str().unwrap_or_default().to_string();
        let (base_file, base_prefix) = match extends.get("file").and_then(Node::as_str) {
            Some(other) if is_remote(other) => {
                let span = extends.get("file").map_or(extends.span, |n| n.span);
                self.diags.push(
                    Diagnostic::error(
                        Code::UnsupportedRemote,
                        format!("`extends` from a remote resource (`{other}`) is not supported; use a local file"),
                    )
                    .at(span)
                    .field(format!("{field}.file")),
                );
                return None;
            }
            Some(other) => {
                let dir = file.parent().unwrap_or(Path::new(""));
                let target = absolute(&dir.join(other));
                let target_dir = target.parent().unwrap_or(Path::new("")).to_path_buf();
                let target_dir = target_dir.canonicalize().unwrap_or(target_dir);
                let prefix = relative_path(&self.project_dir, &target_dir);
                let span = extends.get("file").map_or(extends.span, |n| n.span);
                if !self.inside_root(
                    &target,
                    Some(span),
                    "the compose file",
                    Some(format!("{field}.file")),
                ) {
                    return None;
                }
                if !target.is_file() {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Io,
                            format!(
                                "cannot read `{other}` (relative to `{}`)",
                                display_path(dir).display()
                            ),
                        )
                        .at(span)
                        .field(format!("{field}.file")),
                    );
                    return None;
                }
                (target, prefix)
            }
            None => (file.to_path_buf(), prefix.to_path_buf()),
        };
        let canonical = base_file
            .canonicalize()
            .unwrap_or_else(|_| base_file.clone());
        let me = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
        if stack.is_empty() {
            stack.push((me, name.to_string(), extends.span));
        }
        if let Some(start) = stack
            .iter()
            .position(|(f, s, _)| *f == canonical && *s == base_name)
        {
            let chain: Vec<&str> = stack[start..]
                .iter()
                .map(|(_, s, _)| s.as_str())
                .chain([base_name.as_str()])
                .collect();
            let mut d = Diagnostic::error(
                Code::ExtendsCycle,
                format!("`extends` forms a cycle: {}", chain.join(" → ")),
            )
            .at(base_name_node.span)
            .field(field);
            for (_, s, span) in &stack[start + 1..] {
                d = d.label(*span, format!("`{s}` extends from here"));
            }
            self.diags.push(d);
            return None;
        }
        let base_doc = self.prepare(&base_file, &base_prefix, vars, Some(extends.span))?;
        let known = service_names(&base_doc);
        if !known.contains(&base_name) {
            let mut d = Diagnostic::error(
                Code::UnknownService,
                format!("`extends` names service `{base_name}`, which is not defined there"),
            )
            .at(base_name_node.span)
            .field(format!("{field}.service"));
            if let Some(s) = did_you_mean(&base_name, known.iter().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.diags.push(d);
            return None;
        }
        stack.push((canonical, base_name.clone(), base_name_node.span));
        let base = self.resolve_service(&base_file, &base_prefix, vars, &base_name, stack);
        stack.pop();
        let mut merged = base?;
        merge_service(&mut merged, &service);
        Some(merged)
    }

    /// Adds the resources of each `include`d project to `doc` (a conflict is an error).
    fn apply_includes(
        &mut self,
        file: &Path,
        doc: &mut Node,
        vars: &Variables,
        include_stack: &mut Vec<PathBuf>,
    ) {
        let Some(includes) = doc.remove("include") else {
            return;
        };
        let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
        let me = file.canonicalize().unwrap_or_else(|_| file.to_path_buf());
        include_stack.push(me);
        let items: Vec<Node> = match &includes.value {
            Value::Seq(items) => items.clone(),
            _ if includes.is_null() => Vec::new(),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        Code::WrongType,
                        format!("`include` must be a list, found {}", includes.describe()),
                    )
                    .at(includes.span)
                    .field("include"),
                );
                Vec::new()
            }
        };
        for (index, item) in items.iter().enumerate() {
            let field = format!("include[{index}]");
            let (paths, env_files, project_directory) = match &item.value {
                Value::Scalar(_) => (vec![item.clone()], Vec::new(), None),
                Value::Map(_) => {
                    for (key, _) in item.as_map().unwrap_or_default() {
                        let k = key.as_str().unwrap_or_default();
                        if !["path", "env_file", "project_directory"].contains(&k) {
                            self.diags.push(
                                Diagnostic::warning(
                                    Code::UnknownKey,
                                    format!("unknown key `{k}`, ignored"),
                                )
                                .at(key.span)
                                .field(format!("{field}.{k}")),
                            );
                        }
                    }
                    (
                        scalars(item.get("path")),
                        scalars(item.get("env_file")),
                        item.get("project_directory")
                            .filter(|n| n.as_str().is_some())
                            .cloned(),
                    )
                }
                Value::Seq(_) => (Vec::new(), Vec::new(), None),
            };
            if paths.is_empty() {
                self.diags.push(
                    Diagnostic::error(Code::InvalidInclude, "an `include` entry needs a `path`")
                        .at(item.span)
                        .field(field),
                );
                continue;
            }
            if let Some(remote) = paths
                .iter()
                .find(|p| is_remote(p.as_str().unwrap_or_default()))
            {
                self.diags.push(
                    Diagnostic::error(
                        Code::UnsupportedRemote,
                        format!(
                            "`include` of a remote resource (`{}`) is not supported; use a local file",
                            remote.as_str().unwrap_or_default()
                        ),
                    )
                    .at(remote.span)
                    .field(field),
                );
                continue;
            }
            let env_targets: Vec<(PathBuf, Option<Span>)> = env_files
                .iter()
                .map(|e| {
                    (
                        absolute(&dir.join(e.as_str().unwrap_or_default())),
                        Some(e.span),
                    )
                })
                .collect();
            let targets: Vec<(PathBuf, Option<Span>)> = paths
                .iter()
                .map(|p| {
                    (
                        absolute(&dir.join(p.as_str().unwrap_or_default())),
                        Some(p.span),
                    )
                })
                .collect();
            let outside = targets
                .iter()
                .chain(&env_targets)
                .fold(false, |outside, (t, at)| {
                    !self.inside_root(t, *at, "the included file", Some(field.clone())) || outside
                });
            if outside {
                continue;
            }
            if let Some((_, at)) = targets.iter().find(|(t, _)| {
                let c = t.canonicalize().unwrap_or_else(|_| t.clone());
                include_stack.contains(&c)
            }) {
                self.diags.push(
                    Diagnostic::error(
                        Code::IncludeCycle,
                        "this `include` includes a file that is already being included",
                    )
                    .at_opt(*at)
                    .field(field),
                );
                continue;
            }
            let child_dir = match &project_directory {
                Some(d) => absolute(&dir.join(d.as_str().unwrap_or_default())),
                None => targets[0].0.parent().unwrap_or(Path::new("")).to_path_buf(),
            };
            let child_dir = child_dir.canonicalize().unwrap_or(child_dir);
            let dotenv = if env_files.is_empty() {
                let default = child_dir.join(".env");
                if default.is_file() {
                    self.read_dotenv_file(&default, None, vars)
                } else {
                    BTreeMap::new()
                }
            } else {
                let mut merged = BTreeMap::new();
                for env in &env_files {
                    let path = absolute(&dir.join(env.as_str().unwrap_or_default()));
                    merged.extend(self.read_dotenv_file(&path, Some(env.span), vars));
                }
                merged
            };
            let child_vars = vars.with_dotenv(dotenv);
            let prefix = relative_path(&self.project_dir, &child_dir);
            let Some(child) = self.load_document(&targets, &prefix, &child_vars, include_stack)
            else {
                continue;
            };
            self.add_included(doc, child);
        }
        include_stack.pop();
    }

    fn add_included(&mut self, doc: &mut Node, child: Node) {
        for section in ["services", "networks", "volumes", "secrets", "configs"] {
            let Some(child_entries) = child.get(section).and_then(Node::as_map) else {
                continue;
            };
            let Some(entries) = doc.as_map_mut() else {
                return;
            };
            if !entries.iter().any(|(k, _)| k.as_str() == Some(section)) {
                let span = child.get_entry(section).map_or(child.span, |(k, _)| k.span);
                entries.push((
                    Node::scalar(section, Style::Plain, span),
                    Node::map(Vec::new(), span),
                ));
            }
            let target = doc.get_mut(section).expect("just added");
            if target.is_null() {
                *target = Node::map(Vec::new(), target.span);
            }
            let Some(target) = target.as_map_mut() else {
                continue;
            };
            let mut index: std::collections::HashMap<String, usize> = target
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.as_str().unwrap_or_default().to_string(), i))
                .collect();
            for (key, value) in child_entries {
                let name = key.as_str().unwrap_or_default();
                match index.get(name).map(|&i| &target[i]) {
                    Some((existing, _)) => self.diags.push(
                        Diagnostic::error(
                            Code::IncludeConflict,
                            format!(
                                "`{}` is defined both here and in an included file",
                                key.as_str().unwrap_or_default()
                            ),
                        )
                        .at(existing.span)
                        .field(format!("{section}.{}", key.as_str().unwrap_or_default()))
                        .label(key.span, "included from here"),
                    ),
                    None => {
                        index.insert(name.to_string(), target.len());
                        target.push((key.clone(), value.clone()));
                    }
                }
            }
        }
    }

    /// Reads a dotenv file into variables (later lines may use earlier ones and the process
    /// environment). `at` is where it was named; a missing file is an error there.
    fn read_dotenv_file(
        &mut self,
        path: &Path,
        at: Option<Span>,
        vars: &Variables,
    ) -> BTreeMap<String, String> {
        if !self.inside_root(path, at, "the env file", None) {
            return BTreeMap::new();
        }
        let text = match crate::diagnostic::read_text(path) {
            Ok(text) => text,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::Io,
                        format!(
                            "cannot read env file `{}`: {e}",
                            display_path(path).display()
                        ),
                    )
                    .at_opt(at),
                );
                return BTreeMap::new();
            }
        };
        let file = SourceFile::register(display_path(path), text);
        let diags = &mut *self.diags;
        let mut expand_value = |text: &str, span: Span, seen: &[DotenvEntry]| {
            // `.env` itself: its earlier lines, then the caller's variables.
            let mut outer = vars.clone();
            outer.layers.truncate(DOTENV_LAYER);
            expand(text, span, &outer.under(seen), diags).unwrap_or_default()
        };
        match parse_dotenv(file, false, &mut expand_value) {
            Ok(entries) => entries
                .into_iter()
                .filter_map(|e| {
                    let value = e.value.or_else(|| vars.layers[0].get(&e.key).cloned())?;
                    crate::secrets::remember_if_secret(&e.key, &value);
                    Some((e.key, value))
                })
                .collect(),
            Err(errors) => {
                self.diags.extend(errors);
                BTreeMap::new()
            }
        }
    }

    /// From the merged document to the typed project.
    fn build_project(
        &mut self,
        name: String,
        mut doc: Node,
        vars: &Variables,
    ) -> Option<ComposeProject> {
        const TOP_LEVEL: &[&str] = &[
            "version", "name", "include", "services", "networks", "volumes", "secrets", "configs",
            "models",
        ];
        for (key, value) in doc.as_map().unwrap_or_default() {
            let k = key.as_str().unwrap_or_default();
            if matches!(k, "name" | "version") && value.as_str().is_none() {
                self.diags.push(
                    Diagnostic::error(
                        Code::WrongType,
                        format!("expected a string, found {}", value.describe()),
                    )
                    .at(value.span)
                    .field(k.to_string()),
                );
            } else if k == "models" {
                self.diags.push(
                    Diagnostic::warning(
                        Code::UnsupportedKey,
                        "top-level `models` is not supported by k3s, ignored",
                    )
                    .at(key.span)
                    .field("models"),
                );
            } else if !TOP_LEVEL.contains(&k) {
                let mut d = Diagnostic::warning(
                    Code::UnknownKey,
                    format!("unknown key `{k}` (not in the Compose Specification), ignored"),
                )
                .at(key.span)
                .field(k.to_string());
                if let Some(s) = did_you_mean(k, TOP_LEVEL.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
            }
        }
        let mut project = ComposeProject {
            name,
            project_dir: self.project_dir.clone(),
            root: self.root.clone(),
            standalone: self.options.root.is_none(),
            services: BTreeMap::new(),
            inactive_services: BTreeSet::new(),
            networks: self.section(&doc, "networks"),
            volumes: self.section(&doc, "volumes"),
            secrets: self.section(&doc, "secrets"),
            configs: self.section(&doc, "configs"),
            warnings: Diagnostics::new(),
        };
        let services = match doc.remove("services") {
            Some(node) if node.as_map().is_some() => node,
            Some(node) if node.is_null() => Node::map(Vec::new(), node.span),
            Some(node) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::WrongType,
                        format!("`services` must be a mapping, found {}", node.describe()),
                    )
                    .at(node.span)
                    .field("services"),
                );
                return None;
            }
            None => Node::map(Vec::new(), doc.span),
        };
        for (key, node) in services.as_map().unwrap_or_default() {
            let name = key.as_str().unwrap_or_default().to_string();
            if let Some(service) = self.build_service(&name, key.span, node.clone(), vars) {
                project
                    .services
                    .insert(name, Spanned::new(service, key.span));
            }
        }
        self.apply_profiles(&mut project);
        self.diags.extend(check_references(&project));
        Some(project)
    }

    fn section<T: DeserializeOwned>(&mut self, doc: &Node, section: &str) -> BTreeMap<String, T> {
        let mut out = BTreeMap::new();
        let Some(node) = doc.get(section).filter(|n| !n.is_null()) else {
            return out;
        };
        let Some(entries) = node.as_map() else {
            self.diags.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!("`{section}` must be a mapping, found {}", node.describe()),
                )
                .at(node.span)
                .field(section.to_string()),
            );
            return out;
        };
        for (key, value) in entries {
            let name = key.as_str().unwrap_or_default();
            if let Some(def) =
                deserialize_lenient::<T>(value, &format!("{section}.{name}"), self.diags)
            {
                out.insert(name.to_string(), def);
            }
        }
        out
    }

    fn build_service(
        &mut self,
        name: &str,
        key_span: Span,
        mut node: Node,
        vars: &Variables,
    ) -> Option<Service> {
        let root = format!("services.{name}");
        if !valid_service_name(name) {
            self.diags.push(
                Diagnostic::error(
                    Code::InvalidServiceName,
                    format!(
                        "service name `{name}` may only contain letters, digits, `.`, `_` and `-`"
                    ),
                )
                .at(key_span)
                .field(root.clone()),
            );
        }
        if node.as_map().is_none() {
            self.diags.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!("a service must be a mapping, found {}", node.describe()),
                )
                .at(node.span)
                .field(root),
            );
            return None;
        }
        self.resolve_environment(name, &mut node, vars);
        self.resolve_labels(name, &mut node, vars);
        if let Some(args) = node.get_mut("build").and_then(|b| b.get_mut("args")) {
            resolve_nulls(
                args,
                vars,
                &format!("{root}.build.args"),
                "build argument",
                self.diags,
            );
        }
        let mut engine_only = BTreeMap::new();
        for key in ENGINE_ONLY_KEYS {
            let Some((key_node, _)) = node.get_entry(key) else {
                continue;
            };
            let key_span = key_node.span;
            let value = node.remove(key).expect("present");
            self.diags.push(
                Diagnostic::warning(
                    Code::DockerOnlyKey,
                    format!("`{key}` is Docker-only; kept, but it has no Kubernetes equivalent and will not be applied"),
                )
                .at(key_span)
                .field(format!("{root}.{key}")),
            );
            match from_node::<serde_json::Value>(&value, &format!("{root}.{key}")) {
                Ok(v) => {
                    engine_only.insert(key.to_string(), Spanned::new(v, value.span));
                }
                Err(errors) => self.diags.extend(errors),
            }
        }
        let mut service = deserialize_lenient::<Service>(&node, &root, self.diags)?;
        service.engine_only = engine_only;
        finish_service(&mut service);
        Some(service)
    }

    /// `environment` becomes the final map: env files first (in order), `environment` over
    /// them, and each bare `KEY` taken from the variables or left out with a warning.
    fn resolve_environment(&mut self, name: &str, service: &mut Node, vars: &Variables) {
        let root = format!("services.{name}");
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let env_files: Vec<Node> = service
            .get("env_file")
            .and_then(Node::as_seq)
            .map(<[Node]>::to_vec)
            .unwrap_or_default();
        for (index, env_file) in env_files.iter().enumerate() {
            entries.extend(self.read_env_file(
                env_file,
                vars,
                &format!("{root}.env_file[{index}]"),
            ));
        }
        let Some(environment) = service
            .get("environment")
            .cloned()
            .or_else(|| (!entries.is_empty()).then(|| Node::map(Vec::new(), service.span)))
        else {
            return;
        };
        entries.extend(environment.as_map().unwrap_or_default().iter().cloned());
        let mut merged = Node::map(Node::keep_last(entries), environment.span);
        if environment.as_map().is_none() {
            merged = environment;
        }
        resolve_nulls(
            &mut merged,
            vars,
            &format!("{root}.environment"),
            "environment variable",
            self.diags,
        );
        match service.get_mut("environment") {
            Some(slot) => *slot = merged,
            None => service.as_map_mut().expect("a mapping").push((
                Node::scalar("environment", Style::Plain, merged.span),
                merged,
            )),
        }
    }

    /// `label_file` entries under `labels` (which win).
    fn resolve_labels(&mut self, name: &str, service: &mut Node, vars: &Variables) {
        let files: Vec<Node> = service
            .get("label_file")
            .and_then(Node::as_seq)
            .map(<[Node]>::to_vec)
            .unwrap_or_default();
        if files.is_empty() {
            return;
        }
        let mut entries: Vec<(Node, Node)> = Vec::new();
        for (index, file) in files.iter().enumerate() {
            let path_node = Node::map(
                vec![(Node::scalar("path", Style::Plain, file.span), file.clone())],
                file.span,
            );
            for (key, value) in self.read_env_file(
                &path_node,
                vars,
                &format!("services.{name}.label_file[{index}]"),
            ) {
                let value = if value.is_null() {
                    Node::scalar("", Style::DoubleQuoted, value.span)
                } else {
                    value
                };
                entries.push((key, value));
            }
        }
        let labels = service.get("labels").cloned();
        entries.extend(
            labels
                .as_ref()
                .and_then(Node::as_map)
                .unwrap_or_default()
                .iter()
                .cloned(),
        );
        let merged = Node::map(
            Node::keep_last(entries),
            labels.as_ref().map_or(service.span, |l| l.span),
        );
        match service.get_mut("labels") {
            Some(slot) => *slot = merged,
            None => service
                .as_map_mut()
                .expect("a mapping")
                .push((Node::scalar("labels", Style::Plain, merged.span), merged)),
        }
    }

    /// Reads one `env_file` entry (`{path, required, format}`) into key/value nodes located in
    /// the env file itself.
    fn read_env_file(&mut self, entry: &Node, vars: &Variables, field: &str) -> Vec<(Node, Node)> {
        let Some(path_node) = entry.get("path").filter(|n| n.as_str().is_some()) else {
            return Vec::new();
        };
        let required = entry
            .get("required")
            .and_then(Node::as_str)
            .is_none_or(|r| r != "false");
        let format = entry.get("format").and_then(Node::as_str);
        let raw = match format {
            None => false,
            Some("raw") => true,
            Some(other) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::UnsupportedEnvFormat,
                        format!("env file format `{other}` is not supported (only `raw`)"),
                    )
                    .at(entry.get("format").map_or(entry.span, |n| n.span))
                    .field(format!("{field}.format")),
                );
                return Vec::new();
            }
        };
        let relative = path_node.as_str().unwrap_or_default();
        let path = if Path::new(relative).is_absolute() {
            PathBuf::from(relative)
        } else {
            self.project_dir.join(relative)
        };
        if !self.inside_root(
            &path,
            Some(path_node.span),
            "the env file",
            Some(format!("{field}.path")),
        ) {
            return Vec::new();
        }
        let text = match crate::diagnostic::read_text(&path) {
            Ok(text) => text,
            Err(_) if !required => return Vec::new(),
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(Code::MissingFile, format!("cannot read env file `{relative}`: {e}"))
                        .at(path_node.span)
                        .field(format!("{field}.path"))
                        .help("paths are relative to the project directory; add `required: false` if the file is optional"),
                );
                return Vec::new();
            }
        };
        let file = SourceFile::register(display_path(&path), text);
        let diags = &mut *self.diags;
        let mut expand_value = |text: &str, span: Span, seen: &[DotenvEntry]| {
            expand(text, span, &vars.under(seen), diags).unwrap_or_default()
        };
        match parse_dotenv(file, raw, &mut expand_value) {
            Ok(entries) => entries
                .into_iter()
                .map(|e| {
                    if let Some(v) = &e.value {
                        crate::secrets::remember_if_secret(&e.key, v);
                    }
                    let value = match e.value {
                        Some(v) => Node::scalar(v, Style::DoubleQuoted, e.value_span),
                        None => Node::scalar("", Style::Plain, e.value_span),
                    };
                    (Node::scalar(e.key, Style::DoubleQuoted, e.key_span), value)
                })
                .collect(),
            Err(errors) => {
                self.diags.extend(errors);
                Vec::new()
            }
        }
    }

    /// Keeps the services of the active profiles; `*` activates all.
    fn apply_profiles(&mut self, project: &mut ComposeProject) {
        let active: BTreeSet<&str> = self.options.profiles.iter().map(String::as_str).collect();
        let all = active.contains("*");
        for profile in active.iter().filter(|p| **p != "*") {
            let named = project
                .services
                .values()
                .any(|s| s.profiles.iter().any(|p| p == profile));
            if !named {
                self.diags.push(
                    Diagnostic::warning(
                        Code::UnusedSetting,
                        format!("`profiles` names `{profile}`, which no service lists, so it activates nothing"),
                    )
                    .field("profiles"),
                );
            }
        }
        let inactive: Vec<String> = project
            .services
            .iter()
            .filter(|(_, s)| {
                !s.profiles.is_empty()
                    && !all
                    && !s.profiles.iter().any(|p| active.contains(p.as_str()))
            })
            .map(|(n, _)| n.clone())
            .collect();
        for name in inactive {
            project.services.remove(&name);
            project.inactive_services.insert(name);
        }
        // An optional dependency on a service left out is dropped (a required one is an error
        // reported by the reference checks).
        for service in project.services.values_mut() {
            service.value.depends_on.retain(|target, dependency| {
                dependency.required || !project.inactive_services.contains(target)
            });
        }
    }
}

/// Defaults the specification fills in once a service is read.
fn finish_service(service: &mut Service) {
    for secret in &mut service.secrets {
        let target = match secret.value.target.take() {
            Some(t) if t.starts_with('/') => t,
            Some(t) => format!("/run/secrets/{t}"),
            None => format!("/run/secrets/{}", secret.value.source),
        };
        secret.value.target = Some(target);
    }
    for config in &mut service.configs {
        if config.value.target.is_none() {
            config.value.target = Some(format!("/{}", config.value.source));
        }
    }
    if let Some(build) = &mut service.build
        && build.context.is_none()
    {
        build.context = Some(Spanned::builtin(".".to_string()));
    }
    if let Some(health) = &mut service.healthcheck
        && health.disable == Some(true)
    {
        let span = health
            .test
            .as_ref()
            .map_or_else(|| Spanned::builtin(()).span, |t| t.span);
        health.test = Some(Spanned::new(HealthTest::Disable, span));
    }
}

/// Deserializes a tree; keys the type does not know are warnings (and dropped), `x-*` keys are
/// dropped silently, anything else wrong is an error.
fn deserialize_lenient<T: DeserializeOwned>(
    node: &Node,
    root: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    let mut node = node.clone();
    for _ in 0..512 {
        let error = match from_node_first::<T>(&node) {
            Ok(value) => return Some(value),
            Err(e) if e.code == Code::UnknownKey => e,
            Err(_) => break,
        };
        let Some(span) = error.span else {
            break;
        };
        let mut path = Vec::new();
        let Some(key) = remove_key(&mut node, span, &mut path) else {
            break;
        };
        if !key.starts_with("x-") {
            let mut d = Diagnostic::warning(
                Code::UnknownKey,
                format!("unknown key `{key}` (not in the Compose Specification), ignored"),
            )
            .at(span)
            .field(path_string(root, &path));
            if let Some(help) = &error.help {
                d = d.help(help.clone());
            }
            diags.push(d);
        }
    }
    match from_node::<T>(&node, root) {
        Ok(value) => Some(value),
        Err(errors) => {
            diags.extend(errors);
            None
        }
    }
}

/// Removes every mapping entry whose key was written at `span`; returns the key and sets `path`
/// to where the first one was.
fn remove_key(node: &mut Node, span: Span, path: &mut Vec<PathSeg>) -> Option<String> {
    let mut found = None;
    match &mut node.value {
        Value::Map(entries) => {
            if let Some(index) = entries.iter().position(|(k, _)| k.span == span) {
                let key = entries[index].0.as_str().unwrap_or_default().to_string();
                entries.retain(|(k, _)| k.span != span);
                path.push(PathSeg::Key(key.clone()));
                return Some(key);
            }
            for (key, value) in entries.iter_mut() {
                let mut child = path.clone();
                child.push(PathSeg::Key(key.as_str().unwrap_or_default().to_string()));
                if let Some(k) = remove_key(value, span, &mut child)
                    && found.is_none()
                {
                    *path = child;
                    found = Some(k);
                }
            }
        }
        Value::Seq(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let mut child = path.clone();
                child.push(PathSeg::Index(index));
                if let Some(k) = remove_key(item, span, &mut child)
                    && found.is_none()
                {
                    *path = child;
                    found = Some(k);
                }
            }
        }
        Value::Scalar(_) => {}
    }
    found
}

fn scalars(node: Option<&Node>) -> Vec<Node> {
    match node {
        Some(n) if n.as_str().is_some() && !n.is_null() => vec![n.clone()],
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items
            .iter()
            .filter(|i| i.as_str().is_some())
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

fn valid_service_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Lowercase, only `[a-z0-9_-]`, starting with a letter or digit.
pub fn normalize_project_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// The names under a compose document's `services:`, in file order.
fn service_names(doc: &Node) -> Vec<String> {
    doc.get("services")
        .and_then(Node::as_map)
        .map(|s| {
            s.iter()
                .filter_map(|(k, _)| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
