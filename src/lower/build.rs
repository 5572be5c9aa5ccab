//! An entry's `build:`: its context, the Dockerfile chosen for the environment
//! (`dockerfile_dev` in `dev`), and its image reference — shared by apps and function projects.

use std::path::{Path, PathBuf};

use super::context::LowerContext;
use crate::config::{Build, SyncRule};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span, display_path};
use crate::yaml::Spanned;

/// `build.context` relative to the entry's directory (default: the directory itself).
pub fn build_context(build: &Build, dir: &Path) -> PathBuf {
    build
        .context
        .as_ref()
        .map_or_else(|| dir.to_path_buf(), |c| dir.join(&c.value))
}

/// The Dockerfile setting for this environment: `dockerfile_dev` in `dev` when given.
pub fn chosen_dockerfile<'a>(
    build: &'a Build,
    cx: &LowerContext<'_>,
) -> Option<&'a Spanned<String>> {
    if cx.env() == "dev" {
        build.dockerfile_dev.as_ref().or(build.dockerfile.as_ref())
    } else {
        build.dockerfile.as_ref()
    }
}

/// Reports a Dockerfile that does not exist, at the setting that names it.
pub fn check_dockerfile(
    path: &Path,
    span: Span,
    field: &str,
    help: Option<&str>,
    d: &mut Diagnostics,
) {
    if path.is_file() {
        return;
    }
    let mut diagnostic = Diagnostic::error(
        Code::MissingFile,
        format!(
            "Dockerfile `{}` does not exist",
            display_path(path).display()
        ),
    )
    .at(span)
    .field(format!("{field}.build.dockerfile"));
    if let Some(help) = help {
        diagnostic = diagnostic.help(help);
    }
    d.push(diagnostic);
}

/// The image's name (`build.image`, else the entry's) and its full reference.
pub fn image_reference(
    build: &Build,
    default_name: &str,
    cx: &LowerContext<'_>,
) -> (String, String) {
    let name = build
        .image
        .as_ref()
        .map_or_else(|| default_name.to_string(), |i| i.value.clone());
    let reference = cx.images.reference(
        cx.resolved.registry.as_deref(),
        &name,
        build.tag.as_ref().map(|t| t.value.as_str()),
    );
    (name, reference)
}

/// Live-update syncs with their local side relative to the entry's directory.
pub fn sync_rules(sync: &[SyncRule], dir: &Path) -> Vec<(PathBuf, String)> {
    sync.iter()
        .map(|rule| (dir.join(&rule.src.value), rule.dest.clone()))
        .collect()
}
