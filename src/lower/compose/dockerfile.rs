//! What the Dockerfile a service builds says about the image: the ports its final stage (or
//! `build.target`) declares with `EXPOSE`, inherited from earlier stages it is built `FROM`,
//! and the base image the stage chain starts from. Only a Dockerfile inside the project
//! directory (after symlinks) is read; one outside is refused at the compose `build:` line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::Protocol;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span, display_path};
use crate::sources::compose::Build;

/// The most ports one `EXPOSE` range is read as.
const MAX_RANGE: u32 = 100;

/// One `EXPOSE`d port and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposed {
    pub port: u16,
    pub protocol: Protocol,
    pub line: usize,
}

/// What the Dockerfile says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerfileFacts {
    /// How messages name the file (`backend/Dockerfile`, or `build.dockerfile_inline`).
    pub name: String,
    /// Ports of the built stage, base stages first, each once.
    pub exposed: Vec<Exposed>,
    /// The image the built stage's chain of `FROM`s starts from (`python:3.12-slim`).
    pub base_image: Option<String>,
}

/// The Dockerfile of `build` (relative to `project_dir`), read only when it lies inside the
/// project directory. `None` when there is none to read (a remote context, a missing file) or
/// it was refused (reported at `span`).
pub fn read_dockerfile(
    build: &Build,
    project_dir: &Path,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> Option<DockerfileFacts> {
    if let Some(text) = &build.dockerfile_inline {
        return Some(parse(text, "build.dockerfile_inline", build));
    }
    let context = build.context.as_ref().map_or(".", |c| c.value.as_str());
    if context.contains("://") || context.starts_with("git@") {
        return None;
    }
    let path: PathBuf = project_dir
        .join(context)
        .join(build.dockerfile.as_deref().unwrap_or("Dockerfile"));
    let real = path.canonicalize().ok()?;
    let root = project_dir
        .canonicalize()
        .unwrap_or_else(|_| project_dir.to_path_buf());
    if !real.starts_with(&root) {
        d.push(
            Diagnostic::error(
                Code::DockerfileOutsideProject,
                format!(
                    "the Dockerfile `{}` resolves to `{}`, outside the project directory `{}`: it is not read for the ports it exposes",
                    display_path(&path).display(),
                    real.display(),
                    display_path(&root).display()
                ),
            )
            .at(span)
            .field(format!("{field}.build")),
        );
        return None;
    }
    crate::reads::record(&real);
    let text = std::fs::read_to_string(&real).ok()?;
    Some(parse(
        &text,
        &display_path(&path).display().to_string(),
        build,
    ))
}

/// One stage: its `FROM` (a stage name or an image), name, ports and variables.
#[derive(Debug, Default)]
struct Stage {
    from: String,
    name: Option<String>,
    exposed: Vec<Exposed>,
}

/// The facts of Dockerfile `text` for `build` (its `target` and `args`).
fn parse(text: &str, name: &str, build: &Build) -> DockerfileFacts {
    let mut global: BTreeMap<String, String> = BTreeMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for (line, instruction) in instructions(text) {
        let (keyword, rest) = instruction
            .split_once(char::is_whitespace)
            .unwrap_or((instruction.as_str(), ""));
        let rest = rest.trim();
        match keyword.to_ascii_uppercase().as_str() {
            "ARG" => {
                for arg in rest.split_whitespace() {
                    let (key, default) = match arg.split_once('=') {
                        Some((k, v)) => (k, Some(unquote(v))),
                        None => (arg, None),
                    };
                    let value = build
                        .args
                        .get(key)
                        .cloned()
                        .or(default)
                        .or_else(|| global.get(key).cloned());
                    if let Some(value) = value {
                        if stages.is_empty() {
                            global.insert(key.to_string(), value);
                        } else {
                            vars.insert(key.to_string(), value);
                        }
                    }
                }
            }
            "FROM" => {
                let words: Vec<&str> = rest
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let Some(image) = words.first() else {
                    continue;
                };
                let stage_name = match words.as_slice() {
                    [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                vars.clear();
                stages.push(Stage {
                    from: substitute(image, &global).unwrap_or_else(|| image.to_string()),
                    name: stage_name,
                    exposed: Vec::new(),
                });
            }
            "ENV" => {
                let words: Vec<&str> = rest.split_whitespace().collect();
                if words.first().is_some_and(|w| w.contains('=')) {
                    for word in words {
                        if let Some((k, v)) = word.split_once('=') {
                            let value = substitute(&unquote(v), &vars).unwrap_or_default();
                            vars.insert(k.to_string(), value);
                        }
                    }
                } else if let Some((key, value)) = rest.split_once(char::is_whitespace) {
                    let value = substitute(&unquote(value.trim()), &vars).unwrap_or_default();
                    vars.insert(key.to_string(), value);
                }
            }
            "EXPOSE" => {
                let Some(stage) = stages.last_mut() else {
                    continue;
                };
                for word in rest.split_whitespace() {
                    let Some(word) = substitute(word, &vars) else {
                        continue;
                    };
                    for (port, protocol) in exposed_ports(&word) {
                        let exposed = Exposed {
                            port,
                            protocol,
                            line,
                        };
                        if !stage
                            .exposed
                            .iter()
                            .any(|e| e.port == port && e.protocol == protocol)
                        {
                            stage.exposed.push(exposed);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let built = match &build.target {
        Some(target) => stages
            .iter()
            .rposition(|s| s.name.as_deref() == Some(target.to_ascii_lowercase().as_str())),
        None => stages.len().checked_sub(1),
    };
    let mut facts = DockerfileFacts {
        name: name.to_string(),
        ..DockerfileFacts::default()
    };
    // The chain of stages the built one is made FROM, the built one last.
    let mut chain = Vec::new();
    let mut current = built;
    while let Some(index) = current {
        if chain.contains(&index) {
            break;
        }
        chain.push(index);
        let from = stages[index].from.to_ascii_lowercase();
        current = stages[..index]
            .iter()
            .rposition(|s| s.name.as_deref() == Some(from.as_str()));
        if current.is_none() {
            facts.base_image = Some(stages[index].from.clone());
        }
    }
    for index in chain.into_iter().rev() {
        for exposed in &stages[index].exposed {
            if !facts
                .exposed
                .iter()
                .any(|e| e.port == exposed.port && e.protocol == exposed.protocol)
            {
                facts.exposed.push(exposed.clone());
            }
        }
    }
    facts
}

/// The instructions of a Dockerfile, continuation lines joined, comments left out, each with
/// the line it starts on (1-based).
fn instructions(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_none()) {
            continue;
        }
        let (body, continues) = match trimmed.strip_suffix('\\') {
            Some(body) => (body.trim_end(), true),
            None => (trimmed, false),
        };
        let entry = current.get_or_insert_with(|| (index + 1, String::new()));
        if !entry.1.is_empty() {
            entry.1.push(' ');
        }
        entry.1.push_str(body);
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

/// `$VAR`, `${VAR}`, `${VAR:-default}` replaced; `None` when a variable has no value.
fn substitute(word: &str, vars: &BTreeMap<String, String>) -> Option<String> {
    if !word.contains('$') {
        return Some(word.to_string());
    }
    let mut out = String::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let (name, default, after) = if let Some(inner) = rest.strip_prefix('{') {
            let end = inner.find('}')?;
            let body = &inner[..end];
            let (name, default) = match body.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (body, None),
            };
            (name, default, &inner[end + 1..])
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (&rest[..end], None, &rest[end..])
        };
        match vars.get(name).filter(|v| !v.is_empty()) {
            Some(value) => out.push_str(value),
            None => out.push_str(default?),
        }
        rest = after;
    }
    out.push_str(rest);
    Some(out)
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    t.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| t.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')))
        .unwrap_or(t)
        .to_string()
}

/// `80`, `53/udp`, `8000-8002/tcp`.
fn exposed_ports(word: &str) -> Vec<(u16, Protocol)> {
    let (range, protocol) = match word.split_once('/') {
        Some((range, p)) if p.eq_ignore_ascii_case("udp") => (range, Protocol::Udp),
        Some((range, p)) if p.eq_ignore_ascii_case("sctp") => (range, Protocol::Sctp),
        Some((range, _)) => (range, Protocol::Tcp),
        None => (word, Protocol::Tcp),
    };
    let port = |t: &str| t.parse::<u16>().ok().filter(|p| *p > 0);
    let (first, last) = match range.split_once('-') {
        Some((a, b)) => match (port(a), port(b)) {
            (Some(a), Some(b)) if a <= b => (a, b),
            _ => return Vec::new(),
        },
        None => match port(range) {
            Some(p) => (p, p),
            None => return Vec::new(),
        },
    };
    if u32::from(last - first) >= MAX_RANGE {
        return Vec::new();
    }
    (first..=last).map(|p| (p, protocol)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str, target: Option<&str>) -> DockerfileFacts {
        let build = Build {
            target: target.map(str::to_string),
            ..Build::default()
        };
        parse(text, "Dockerfile", &build)
    }

    fn ports(facts: &DockerfileFacts) -> Vec<u16> {
        facts.exposed.iter().map(|e| e.port).collect()
    }

    #[test]
    fn the_final_stage_exposes_its_ports_and_those_it_is_built_from() {
        let text = "FROM golang:1.22 AS build\nEXPOSE 9999\nRUN go build\n\nFROM build AS dev\nEXPOSE 2345\n\nFROM gcr.io/distroless/base\n# EXPOSE 1\nEXPOSE 8000 \\\n  9000/udp\n";
        let last = facts(text, None);
        assert_eq!(ports(&last), [8000, 9000]);
        assert_eq!(last.exposed[1].protocol, Protocol::Udp);
        assert_eq!(last.exposed[0].line, 10);
        assert_eq!(last.base_image.as_deref(), Some("gcr.io/distroless/base"));
        let dev = facts(text, Some("dev"));
        assert_eq!(ports(&dev), [9999, 2345]);
        assert_eq!(dev.base_image.as_deref(), Some("golang:1.22"));
    }

    #[test]
    fn variables_from_args_and_env_are_substituted() {
        let text = "ARG PY=3.12\nFROM python:${PY}-slim\nARG PORT=5000\nENV APP_PORT=$PORT\nEXPOSE ${APP_PORT} ${UNSET:-7000} $NOPE\n";
        let f = facts(text, None);
        assert_eq!(ports(&f), [5000, 7000]);
        assert_eq!(f.base_image.as_deref(), Some("python:3.12-slim"));
        let build = Build {
            args: BTreeMap::from([("PORT".to_string(), "8080".to_string())]),
            ..Build::default()
        };
        assert_eq!(ports(&parse(text, "Dockerfile", &build)), [8080, 7000]);
    }

    #[test]
    fn no_expose_leaves_the_base_image() {
        let f = facts(
            "FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\n",
            None,
        );
        assert!(f.exposed.is_empty());
        assert_eq!(f.base_image.as_deref(), Some("nginx:1.27-alpine"));
    }
}
