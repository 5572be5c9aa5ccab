//! The one image reference rule for built images — `[<registry>/]<name>:<tag>` or
//! `[<registry>/]<name>@sha256:…` — and where tags come from: `--image NAME=TAG`, then an
//! `--images` file, then the entry's `build.tag`, then `latest`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, SourceFile, Span, display_path};
use crate::dotenv::parse_literal;

/// Tags given from outside apps.yaml (CI), by image name.
#[derive(Debug, Default)]
pub struct ImageTags {
    /// `--image NAME=TAG`.
    cli: BTreeMap<String, String>,
    /// `--images FILE` lines, with where each was written.
    file: BTreeMap<String, (String, Span)>,
    /// Names looked up while lowering, to find tags that match no image.
    used: Mutex<BTreeSet<String>>,
}

impl ImageTags {
    pub fn new() -> ImageTags {
        ImageTags::default()
    }

    /// `--image` values and the lines of an `--images` file (`NAME=TAG`, dotenv syntax).
    pub fn from_arguments(
        cli: &[(String, String)],
        file: Option<&Path>,
    ) -> Result<ImageTags, Diagnostics> {
        let mut tags = ImageTags {
            cli: cli.iter().cloned().collect(),
            ..ImageTags::default()
        };
        let mut d = Diagnostics::new();
        for (name, tag) in cli {
            if let Err(problem) = check_tag(tag) {
                d.push(Diagnostic::error(
                    Code::BadImageTag,
                    format!("--image {name}={tag}: {problem}"),
                ));
            }
        }
        if let Some(path) = file {
            match crate::diagnostic::read_text(path) {
                Ok(text) => {
                    let id = SourceFile::register(display_path(path), text);
                    match parse_literal(id) {
                        Ok(entries) => {
                            for entry in entries {
                                let tag = entry.value.unwrap_or_default();
                                if let Err(problem) = check_tag(&tag) {
                                    d.push(
                                        Diagnostic::error(Code::BadImageTag, problem)
                                            .at(entry.value_span),
                                    );
                                }
                                tags.file.insert(entry.key, (tag, entry.key_span));
                            }
                        }
                        Err(errors) => d.extend(errors),
                    }
                }
                Err(e) => d.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot read {}: {e}", display_path(path).display()),
                )),
            }
        }
        if d.has_errors() { Err(d) } else { Ok(tags) }
    }

    /// The full reference of a built image. `build_tag` is the entry's `build.tag`.
    pub fn reference(&self, registry: Option<&str>, name: &str, build_tag: Option<&str>) -> String {
        self.used
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string());
        let tag = self
            .cli
            .get(name)
            .map(String::as_str)
            .or_else(|| self.file.get(name).map(|(t, _)| t.as_str()))
            .or(build_tag)
            .unwrap_or("latest");
        let repository = match registry {
            Some(registry) if !registry.is_empty() => {
                format!("{}/{name}", registry.trim_end_matches('/'))
            }
            _ => name.to_string(),
        };
        match tag.strip_prefix('@') {
            Some(digest) => format!("{repository}@{digest}"),
            None if tag.starts_with("sha256:") => format!("{repository}@{tag}"),
            None => format!("{repository}:{tag}"),
        }
    }

    /// Tags given for names no workload has; call after lowering every environment.
    pub fn unused(&self) -> Diagnostics {
        let used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        let mut d = Diagnostics::new();
        for name in self.cli.keys().filter(|n| !used.contains(*n)) {
            d.push(
                Diagnostic::error(
                    Code::UnknownImage,
                    format!("--image {name}=…: no workload builds an image named `{name}`"),
                )
                .help(format!("images built here: {}", join(&used))),
            );
        }
        for (name, (_, span)) in self.file.iter().filter(|(n, _)| !used.contains(*n)) {
            d.push(
                Diagnostic::error(
                    Code::UnknownImage,
                    format!("no workload builds an image named `{name}`"),
                )
                .at(*span)
                .help(format!("images built here: {}", join(&used))),
            );
        }
        d
    }
}

fn join(names: &BTreeSet<String>) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// A tag (`v1.2`, `2024-01-01`) or digest (`sha256:…`, `@sha256:…`).
pub fn check_tag(tag: &str) -> Result<(), String> {
    if let Some(digest) = tag
        .strip_prefix('@')
        .or(Some(tag))
        .and_then(|t| t.strip_prefix("sha256:"))
    {
        return if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(())
        } else {
            Err(format!("`{tag}` is not a sha256 digest (64 hex digits)"))
        };
    }
    let valid = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && !tag.starts_with(['.', '-']);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{tag}` is not a valid image tag (letters, digits, `_`, `.`, `-`; at most 128)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_precedence() {
        let tags = ImageTags::from_arguments(&[("api".into(), "v2".into())], None).unwrap();
        assert_eq!(
            tags.reference(Some("reg.io/p"), "api", Some("v1")),
            "reg.io/p/api:v2"
        );
        assert_eq!(
            tags.reference(Some("reg.io/p/"), "web", Some("v1")),
            "reg.io/p/web:v1"
        );
        assert_eq!(tags.reference(None, "web", None), "web:latest");
    }

    #[test]
    fn digests_use_at() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let tags = ImageTags::from_arguments(&[("api".into(), digest.clone())], None).unwrap();
        assert_eq!(
            tags.reference(Some("r"), "api", None),
            format!("r/api@{digest}")
        );
    }

    #[test]
    fn unused_tags_are_errors() {
        let tags = ImageTags::from_arguments(&[("nope".into(), "v1".into())], None).unwrap();
        tags.reference(None, "api", None);
        let d = tags.unused();
        assert_eq!(d.items.len(), 1);
        assert_eq!(d.items[0].code, Code::UnknownImage);
    }

    #[test]
    fn bad_tags_are_refused() {
        assert!(check_tag("v1.2.3").is_ok());
        assert!(check_tag("sha256:abc").is_err());
        assert!(check_tag("has space").is_err());
        assert!(check_tag("-x").is_err());
    }
}
