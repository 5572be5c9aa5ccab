//! Finds a project's Python files (`functions.py`, `functions/**/*.py`) in a fixed order and
//! collects their decorated functions; it reads files as text and never runs or imports them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::decorators::{self, FunctionSettings, Trigger};
use super::parser;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, SourceFile, Span};

/// A module-level function carrying `@serverless` and/or a trigger decorator.
#[derive(Debug, Clone)]
pub struct DiscoveredFunction {
    /// The Python name, as after `def`.
    pub name: String,
    /// The file, relative to the project directory (`functions/api.py`).
    pub file: PathBuf,
    /// The name after `def`.
    pub span: Span,
    /// `async def`.
    pub is_async: bool,
    /// From `@serverless`; all empty when the function has only a trigger.
    pub settings: FunctionSettings,
    pub trigger: Trigger,
}

/// What [`discover`] found: the functions, sorted by name, and warnings that do not stop the run.
#[derive(Debug, Default)]
pub struct Discovery {
    pub functions: Vec<DiscoveredFunction>,
    pub warnings: Diagnostics,
}

/// Parses every Python file of the project at `project_dir` and reads its decorated functions.
///
/// `display_dir` is how the project directory is shown in messages (e.g. `examples/fn`).
/// Every problem in every file is reported; the error holds all of them (and any warnings),
/// sorted by file and position.
pub fn discover(project_dir: &Path, display_dir: &Path) -> Result<Discovery, Diagnostics> {
    let mut diagnostics = Diagnostics::new();
    let files = python_files(project_dir, display_dir, &mut diagnostics);
    let mut functions = Vec::new();
    let mut first_definitions: HashMap<String, Span> = HashMap::new();
    for relative in &files {
        let display = display_dir.join(relative);
        let text = match crate::diagnostic::read_text(&project_dir.join(relative)) {
            Ok(text) => text,
            Err(error) => {
                diagnostics.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot read {}: {error}", display.display()),
                ));
                continue;
            }
        };
        let file = SourceFile::register(display, text);
        let module = parser::parse(file);
        if let Some(refused) = module.refused {
            diagnostics.push(refused);
            continue;
        }
        if let Some(first) = module.syntax_errors.first() {
            let mut diagnostic = Diagnostic::error(
                Code::PythonSyntax,
                format!("invalid Python syntax: {}", first.message),
            )
            .at(first.span)
            .help("k3s parses functions without running them, so the whole file must parse");
            let more = module.syntax_errors.len() - 1;
            if more > 0 {
                diagnostic = diagnostic.help(format!(
                    "{more} more syntax error{} in this file after this one",
                    if more == 1 { "" } else { "s" }
                ));
            }
            diagnostics.push(diagnostic);
            continue;
        }
        for function in module
            .functions
            .iter()
            .filter(|f| decorators::is_discoverable(f))
        {
            if let Some(first) = first_definitions.get(&function.name) {
                diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateFunction,
                        format!(
                            "function `{}` is defined twice; function names must be unique in a \
                             project",
                            function.name
                        ),
                    )
                    .at(function.name_span)
                    .field(function.name.as_str())
                    .label(*first, "first defined here"),
                );
                continue;
            }
            first_definitions.insert(function.name.clone(), function.name_span);
            if let Some((settings, trigger)) = decorators::read(function, &mut diagnostics) {
                functions.push(DiscoveredFunction {
                    name: function.name.clone(),
                    file: relative.clone(),
                    span: function.name_span,
                    is_async: function.is_async,
                    settings,
                    trigger,
                });
            }
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics.sorted());
    }
    if first_definitions.is_empty() {
        diagnostics.push(Diagnostic::warning(
            Code::NoFunctions,
            format!(
                "no functions with @serverless or a trigger decorator found in {}",
                display_dir.display()
            ),
        ));
    }
    functions.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Discovery {
        functions,
        warnings: diagnostics,
    })
}

/// `functions.py`, then `functions/**/*.py` depth-first with each directory's entries sorted by
/// name; paths relative to `project_dir`. Skips `__pycache__`, hidden entries and directory
/// symlinks (which could loop).
fn python_files(
    project_dir: &Path,
    display_dir: &Path,
    diagnostics: &mut Diagnostics,
) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let single = Path::new("functions.py");
    let single_exists = project_dir.join(single).is_file();
    if single_exists && inside(project_dir, single, display_dir, diagnostics) {
        files.push(single.to_path_buf());
    }
    let tree = Path::new("functions");
    if project_dir.join(tree).is_dir() {
        if inside(project_dir, tree, display_dir, diagnostics) {
            walk(project_dir, tree, display_dir, &mut files, diagnostics);
        }
    } else if !single_exists {
        diagnostics.push(Diagnostic::error(
            Code::FunctionsNotFound,
            format!(
                "no Python functions in {}: expected a `functions/` directory or a \
                 `functions.py` file there",
                display_dir.display()
            ),
        ));
    }
    files
}

/// Whether `relative` resolves (after symlinks) inside the project; an error naming it and its
/// target when not. Its content is never read then.
fn inside(
    project_dir: &Path,
    relative: &Path,
    display_dir: &Path,
    diagnostics: &mut Diagnostics,
) -> bool {
    match crate::paths::resolve_inside(project_dir, &project_dir.join(relative)) {
        Ok(()) => true,
        Err(target) => {
            diagnostics.push(Diagnostic::error(
                Code::OutsideProject,
                format!(
                    "{} is a link to `{}`, outside the project directory; it is not read",
                    display_dir.join(relative).display(),
                    target.display()
                ),
            ));
            false
        }
    }
}

fn walk(
    project_dir: &Path,
    relative: &Path,
    display_dir: &Path,
    files: &mut Vec<PathBuf>,
    diagnostics: &mut Diagnostics,
) {
    crate::reads::record(&project_dir.join(relative));
    let entries = match std::fs::read_dir(project_dir.join(relative)) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.push(Diagnostic::error(
                Code::Io,
                format!(
                    "cannot read directory {}: {error}",
                    display_dir.join(relative).display()
                ),
            ));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if name.starts_with('.') || name == "__pycache__" {
            continue;
        }
        let path = relative.join(name);
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            walk(project_dir, &path, display_dir, files, diagnostics);
        } else if name.ends_with(".py")
            && project_dir.join(&path).is_file()
            && inside(project_dir, &path, display_dir, diagnostics)
        {
            files.push(path);
        }
    }
}
