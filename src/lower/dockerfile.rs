//! The Dockerfile of a serverless function project, rendered from a minijinja template (built in,
//! or `build.dockerfile_template`); it describes the image only and never reads the functions.
//!
//! Every template gets the same variables:
//!
//! | variable               | value                                                             |
//! |------------------------|-------------------------------------------------------------------|
//! | `entry`                | the serverless entry's name                                       |
//! | `base_image`           | `build.runtime.base_image`, default `python:3.12-slim`            |
//! | `requirements`         | true when the project has `requirements.txt`                      |
//! | `pyproject`            | true when it has `pyproject.toml` and no `requirements.txt`        |
//! | `source_dir`           | the project directory relative to the build context: `""` or `"sub/dir/"` |
//! | `sources`              | what holds the functions: `functions.py` and/or `functions/`      |
//! | `functions`            | the Python names of the discovered functions, sorted              |
//! | `runtime_package`      | `build.runtime.package`: a pip requirement installed instead of the embedded runtime; none by default |
//! | `runtime_dir`          | where the embedded runtime goes, on `PYTHONPATH`: `/opt/k3sfn`     |
//! | `runtime_files`        | the embedded runtime: `path` (below `runtime_dir`), `content`, `delimiter` (a heredoc delimiter no line of it equals); the package's files and its `requirements.txt` |
//! | `runtime_command`      | the command serving a function, a list of strings                 |
//! | `runtime_command_exec` | the same as a Dockerfile exec-form array: `["python", "-m", "k3sfn.runtime"]` |
//! | `uid`                  | the non-root user the pods run as (1000, as the restricted pod security context says) |
//! | `port`                 | the port HTTP functions listen on (8080)                          |
//! | `build_args`           | names of `build.args`, sorted, for `ARG` lines                     |
//!
//! Templates are read with `trim_blocks` and `lstrip_blocks` (a line holding only a block tag
//! leaves nothing behind) and keep their trailing newline; an undefined variable is an error.
//!
//! The built-in template carries the k3sfn runtime itself (`crate::runtime_package`): each file
//! as a quoted heredoc (`COPY <<'K3SFN_EOF' /opt/k3sfn/k3sfn/...`, so Docker expands nothing in
//! it; BuildKit's Dockerfile syntax 1.4 or later), then `pip install` of the runtime's exact pins
//! together with the project's own requirements, so that pip refuses a conflict instead of
//! replacing a pin. A build needs the project's directory, the base image and PyPI; no package
//! of the runtime has to be published. `build.runtime.package` installs that requirement
//! instead (the embedded runtime and its pins are then left out).

use std::path::{Component, Path, PathBuf};

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::function::HTTP_PORT;
use super::security::DEFAULT_UID;
use crate::config::Build;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, SourceFile, Span, display_path};
use crate::runtime_package::{FILES, REQUIREMENTS, RuntimeFile, heredoc_delimiter};

const BUILT_IN: &str = include_str!("dockerfile.jinja");
pub const DEFAULT_BASE_IMAGE: &str = "python:3.12-slim";
pub const DEFAULT_RUNTIME_COMMAND: &[&str] = &["python", "-m", "k3sfn.runtime"];
/// Where the embedded runtime goes in the image; it is put on `PYTHONPATH`.
pub const RUNTIME_DIR: &str = "/opt/k3sfn";
/// The image's working directory, where the generated Dockerfile copies the function sources.
pub const APP_DIR: &str = "/app";

/// What the generated Dockerfile copies from the project directory into [`APP_DIR`] (and what
/// live update syncs there): `functions.py` and/or `functions/`.
pub fn copied_sources(project_dir: &Path) -> Vec<&'static str> {
    let mut sources = Vec::new();
    if project_dir.join("functions.py").is_file() {
        sources.push("functions.py");
    }
    if project_dir.join("functions").is_dir() {
        sources.push("functions/");
    }
    sources
}

pub struct DockerfileInput<'a> {
    pub entry: &'a str,
    /// The project directory (holding `functions/` or `functions.py`).
    pub project_dir: &'a Path,
    /// The build context the Dockerfile's `COPY` lines are relative to.
    pub context: &'a Path,
    pub build: &'a Build,
    /// Python names of the project's functions.
    pub functions: Vec<&'a str>,
    /// `serverless.<entry>`.
    pub field: &'a str,
    /// Where problems without a setting of their own are reported: the entry's name.
    pub span: Span,
}

#[derive(Serialize)]
struct Variables<'a> {
    entry: &'a str,
    base_image: &'a str,
    requirements: bool,
    pyproject: bool,
    source_dir: String,
    sources: Vec<&'static str>,
    functions: Vec<&'a str>,
    runtime_package: Option<&'a str>,
    runtime_dir: &'static str,
    runtime_files: Vec<RuntimeFileVariable>,
    runtime_command: Vec<String>,
    runtime_command_exec: String,
    uid: i64,
    port: u16,
    build_args: Vec<&'a str>,
}

/// One embedded file, as templates see it.
#[derive(Serialize)]
struct RuntimeFileVariable {
    path: &'static str,
    content: &'static str,
    delimiter: String,
}

/// The runtime's files and its `requirements.txt`, each with a heredoc delimiter of its own.
fn runtime_files() -> Vec<RuntimeFileVariable> {
    let requirements = RuntimeFile {
        path: "requirements.txt",
        content: REQUIREMENTS,
    };
    FILES
        .iter()
        .chain([&requirements])
        .map(|file| RuntimeFileVariable {
            path: file.path,
            content: file.content,
            delimiter: heredoc_delimiter(file.content),
        })
        .collect()
}

/// Renders the project's Dockerfile; `None` after reporting why it cannot be.
pub fn render_dockerfile(input: &DockerfileInput<'_>, d: &mut Diagnostics) -> Option<String> {
    let errors_before = d.error_count();
    let runtime = input.build.runtime.clone().unwrap_or_default();
    let base_image = runtime.base_image.as_deref().unwrap_or(DEFAULT_BASE_IMAGE);
    if base_image.is_empty() || base_image.contains(char::is_whitespace) {
        d.push(setting_error(
            input,
            "build.runtime.base_image",
            format!("base image `{base_image}` is not an image reference"),
        ));
    }
    let runtime_package = runtime.package.as_deref();
    if let Some(runtime_package) = runtime_package
        && (runtime_package.trim().is_empty() || runtime_package.contains(['\'', '\n', '\r']))
    {
        d.push(setting_error(
            input,
            "build.runtime.package",
            format!(
                "runtime package `{runtime_package}` must be a pip requirement without quotes or \
                 line breaks, e.g. `k3sfn-runtime>=1.4`"
            ),
        ));
    }
    let runtime_command: Vec<String> = if runtime.command.is_empty() {
        DEFAULT_RUNTIME_COMMAND
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        runtime.command.clone()
    };
    let source_dir = source_dir(input, d);
    let has = |file: &str| input.project_dir.join(file).is_file();
    let requirements = has("requirements.txt");
    let sources = copied_sources(input.project_dir);
    let variables = Variables {
        entry: input.entry,
        base_image,
        requirements,
        pyproject: !requirements && has("pyproject.toml"),
        source_dir: source_dir.unwrap_or_default(),
        sources,
        functions: input.functions.clone(),
        runtime_package,
        runtime_dir: RUNTIME_DIR,
        runtime_files: if runtime_package.is_some() {
            Vec::new()
        } else {
            runtime_files()
        },
        runtime_command_exec: exec_form(&runtime_command),
        runtime_command,
        uid: DEFAULT_UID,
        port: HTTP_PORT,
        build_args: input.build.args.keys().map(String::as_str).collect(),
    };
    let template = template_source(input, d)?;
    if d.error_count() > errors_before {
        return None;
    }
    match render(&template.text, &variables) {
        Ok(text) => Some(text),
        Err(error) => {
            d.push(template_error(input, &template, &error));
            None
        }
    }
}

/// A Dockerfile exec-form array (JSON, one space after each comma as Docker's docs write it).
fn exec_form(command: &[String]) -> String {
    let items: Vec<String> = command
        .iter()
        .map(|part| serde_json::to_string(part).expect("a string serializes"))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The project directory relative to the build context, with a trailing `/` unless empty.
fn source_dir(input: &DockerfileInput<'_>, d: &mut Diagnostics) -> Option<String> {
    let project = normalize(input.project_dir);
    let context = normalize(input.context);
    match project.strip_prefix(&context) {
        Ok(relative) => {
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            Some(if parts.is_empty() {
                String::new()
            } else {
                format!("{}/", parts.join("/"))
            })
        }
        Err(_) => {
            let span = input.build.context.as_ref().map_or(input.span, |c| c.span);
            d.push(
                Diagnostic::error(
                    Code::BadPath,
                    format!(
                        "the build context `{}` does not contain the project directory `{}`; the \
                         generated Dockerfile copies the functions from there",
                        display_path(&context).display(),
                        display_path(&project).display()
                    ),
                )
                .at(span)
                .field(format!("{}.build.context", input.field))
                .help("use a context that contains the project, or a Dockerfile of your own"),
            );
            None
        }
    }
}

/// `a/b/../c/.` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A template's text and, for a custom one, where it is and where it was configured.
struct TemplateSource {
    text: String,
    custom: Option<(Span, PathBuf)>,
}

fn template_source(input: &DockerfileInput<'_>, d: &mut Diagnostics) -> Option<TemplateSource> {
    let Some(setting) = &input.build.dockerfile_template else {
        return Some(TemplateSource {
            text: BUILT_IN.to_string(),
            custom: None,
        });
    };
    let path = input.project_dir.join(&setting.value);
    crate::reads::record(&path);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(TemplateSource {
            text,
            custom: Some((setting.span, path)),
        }),
        Err(error) => {
            d.push(
                Diagnostic::error(
                    Code::MissingFile,
                    format!(
                        "cannot read the Dockerfile template `{}`: {error}",
                        display_path(&path).display()
                    ),
                )
                .at(setting.span)
                .field(format!("{}.build.dockerfile_template", input.field))
                .help("the template path is relative to the entry's `path`"),
            );
            None
        }
    }
}

fn render(template: &str, variables: &Variables<'_>) -> Result<String, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.render_named_str("Dockerfile", template, Serde(variables))
}

/// A template that does not parse or render: at the setting, with the template's own line.
fn template_error(
    input: &DockerfileInput<'_>,
    template: &TemplateSource,
    error: &minijinja::Error,
) -> Diagnostic {
    let detail = error
        .detail()
        .map_or_else(|| error.kind().to_string(), str::to_string);
    let Some((setting, path)) = &template.custom else {
        return Diagnostic::error(
            Code::Internal,
            format!("the built-in Dockerfile template failed to render: {error}"),
        )
        .at(input.span);
    };
    let line = error
        .line()
        .map_or_else(String::new, |line| format!(", line {line}"));
    let mut diagnostic = Diagnostic::error(
        Code::BadTemplate,
        format!(
            "Dockerfile template `{}`{line}: {detail}",
            display_path(path).display()
        ),
    )
    .at(*setting)
    .field(format!("{}.build.dockerfile_template", input.field));
    if let Some(range) = error.range() {
        let file = SourceFile::register(display_path(path), template.text.clone());
        diagnostic = diagnostic.label(Span::new(file, range.start, range.end), detail);
    }
    diagnostic.help(
        "the template gets: entry, base_image, requirements, pyproject, source_dir, sources, \
         functions, runtime_package, runtime_dir, runtime_files, runtime_command, \
         runtime_command_exec, uid, port, build_args",
    )
}

fn setting_error(input: &DockerfileInput<'_>, key: &str, message: String) -> Diagnostic {
    Diagnostic::error(Code::BadValue, message)
        .at(input.span)
        .field(format!("{}.{key}", input.field))
}
