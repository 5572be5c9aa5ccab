//! Paths in compose files: relative ones rewritten to be relative to the project directory
//! (lexically tidied), `~` and `~/…` expanded with `HOME` (as Compose does), URLs and absolute
//! paths kept. No file I/O beyond the current dir.

use std::path::{Component, Path, PathBuf};

use crate::yaml::{Node, Style, Value};

/// Makes relative paths relative to the project directory (`prefix` is the file's directory
/// seen from there) and tidies them (`./data` → `data`); `~` and `~/…` become paths under
/// `home` when it is known (`~user/…` and an unknown home are kept, for lowering to refuse).
/// URLs and absolute paths are kept.
pub(super) fn rewrite_paths(doc: &mut Node, prefix: &Path, home: Option<&str>) {
    let fix = |node: &mut Node| {
        let rewritten = match node.as_str() {
            Some(text) if is_relative_path(text) => Some(normalize_lexically(&prefix.join(text))),
            Some(text) => home.and_then(|home| expand_home(text, home)),
            None => None,
        };
        if let Some(rewritten) = rewritten
            && let Value::Scalar(s) = &mut node.value
        {
            s.text = rewritten;
            s.style = Style::DoubleQuoted;
        }
    };
    if let Some(services) = doc.get_mut("services").and_then(Node::as_map_mut) {
        for (_, service) in services.iter_mut() {
            if let Some(build) = service.get_mut("build") {
                if let Some(context) = build.get_mut("context") {
                    fix(context);
                }
                if let Some(contexts) = build
                    .get_mut("additional_contexts")
                    .and_then(Node::as_map_mut)
                {
                    contexts.iter_mut().for_each(|(_, v)| fix(v));
                }
            }
            if let Some(Value::Seq(files)) = service.get_mut("env_file").map(|n| &mut n.value) {
                for file in files {
                    if let Some(path) = file.get_mut("path") {
                        fix(path);
                    }
                }
            }
            if let Some(Value::Seq(files)) = service.get_mut("label_file").map(|n| &mut n.value) {
                files.iter_mut().for_each(fix);
            }
            if let Some(Value::Seq(volumes)) = service.get_mut("volumes").map(|n| &mut n.value) {
                for volume in volumes {
                    if volume.get("type").and_then(Node::as_str) == Some("bind")
                        && let Some(source) = volume.get_mut("source")
                    {
                        fix(source);
                    }
                }
            }
        }
    }
    for section in ["secrets", "configs"] {
        if let Some(defs) = doc.get_mut(section).and_then(Node::as_map_mut) {
            for (_, def) in defs.iter_mut() {
                if let Some(file) = def.get_mut("file") {
                    fix(file);
                }
            }
        }
    }
}

/// `~` → `home`, `~/x` → `home/x`; `None` for anything else (`~user/x` included).
fn expand_home(text: &str, home: &str) -> Option<String> {
    let home = home.trim_end_matches('/');
    if home.is_empty() {
        return None;
    }
    match text.strip_prefix('~')? {
        "" => Some(home.to_string()),
        rest if rest.starts_with('/') => Some(format!("{home}{rest}")),
        _ => None,
    }
}

pub(super) fn is_relative_path(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with(['/', '~', '\\'])
        && !text.contains("://")
        && !text.starts_with("git@")
        && !text.starts_with("target:")
        && !(text.len() >= 2
            && text.as_bytes()[1] == b':'
            && text.as_bytes()[0].is_ascii_alphabetic())
}

/// `a/./b/../c` → `a/c`; leading `..` kept; empty → `.`.
pub(super) fn normalize_lexically(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.last().is_some_and(|p| p != "..") {
                    parts.pop();
                } else {
                    parts.push("..".to_string());
                }
            }
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// `to` seen from `from` (both absolute): `a/b` from `a` is `b`, `a` from `a/b` is `..`.
pub(super) fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c.as_os_str());
    }
    out
}

pub(super) fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    }
}

/// `remote:x`, `https://...`, `git@...`: not a local path.
pub(super) fn is_remote(path: &str) -> bool {
    let scheme = path.split_once(':').map(|(s, _)| s);
    path.contains("://")
        || path.starts_with("git@")
        || scheme.is_some_and(|s| s.len() > 1 && s.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_is_expanded_for_the_user_running_compose_only() {
        assert_eq!(expand_home("~", "/home/ann").as_deref(), Some("/home/ann"));
        assert_eq!(
            expand_home("~/data/x", "/home/ann/").as_deref(),
            Some("/home/ann/data/x")
        );
        assert_eq!(expand_home("~bob/data", "/home/ann"), None);
        assert_eq!(expand_home("./data", "/home/ann"), None);
        assert_eq!(expand_home("~/x", ""), None);
    }
}
