//! An image built here: its context, the Dockerfile chosen for the environment
//! (`dockerfile_dev` in `dev`, or a generated one), and its reference — one constructor for
//! apps, function projects and compose services.

use std::path::{Path, PathBuf};

use super::context::LowerContext;
use crate::config::{Build, SyncRule};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span, display_path};
use crate::workload::ImageBuild;
use crate::yaml::Spanned;

/// What `ImageBuild::dockerfile` says for a generated Dockerfile: the `LoweredEntry::files`
/// entry of that name, written next to the entry's manifests.
pub const GENERATED_DOCKERFILE: &str = "Dockerfile";

/// An image a front-end builds.
pub struct BuildInput<'a> {
    pub build: &'a Build,
    /// The directory `build.context` is relative to (the app's, project's or compose file's).
    pub dir: &'a Path,
    /// The image name when `build.image` does not give one.
    pub default_name: &'a str,
    /// Without a Dockerfile of its own, the build uses the generated one (function projects)
    /// instead of `<context>/Dockerfile`.
    pub generated_dockerfile: bool,
    /// Whether a missing Dockerfile is an error here.
    pub check_dockerfile: bool,
    /// Said under a missing Dockerfile error.
    pub dockerfile_help: Option<&'a str>,
    pub live_update: bool,
    pub sync: &'a [SyncRule],
    pub field: &'a str,
    /// Where a missing default Dockerfile is reported.
    pub span: Span,
    /// The entry's `allow_outside_project`: the context and Dockerfile may lie outside.
    pub outside: bool,
}

/// The build of an image; a Dockerfile that is not there is an error (once: not when the
/// directory itself is missing, which is reported where it is named).
pub fn lower_image_build(
    input: &BuildInput<'_>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> ImageBuild {
    let build = input.build;
    let context = build_context(build, input.dir);
    let context_inside = build.context.as_ref().is_none_or(|written| {
        let field = format!("{}.build.context", input.field);
        cx.inside_project(&context, written, &field, input.outside, d)
    });
    let check = input.check_dockerfile && input.dir.is_dir() && context_inside;
    let dockerfile = match chosen_dockerfile(build, cx) {
        Some(own) => {
            let path = context.join(&own.value);
            let field = format!("{}.build.dockerfile", input.field);
            if cx.inside_project(&path, own, &field, input.outside, d) && check {
                check_dockerfile(&path, own.span, input.field, input.dockerfile_help, d);
            }
            path
        }
        None if input.generated_dockerfile => PathBuf::from(GENERATED_DOCKERFILE),
        None => {
            let path = context.join("Dockerfile");
            if check {
                check_dockerfile(&path, input.span, input.field, input.dockerfile_help, d);
            }
            path
        }
    };
    // A generated Dockerfile gets syncs of its sources; any other needs `sync` rules.
    let generated = input.generated_dockerfile && chosen_dockerfile(build, cx).is_none();
    if input.live_update && input.sync.is_empty() && !generated {
        d.push(
            Diagnostic::warning(
                Code::UnusedSetting,
                "`live_update: true` does nothing without `sync` rules: Tilt rebuilds the image \
                 on every change instead",
            )
            .at(input.span)
            .field(format!("{}.live_update", input.field))
            .help("add `sync: [{src: <dir>, dest: <path in the image>}]`"),
        );
    }
    let (name, reference) = image_reference(build, input.default_name, cx);
    ImageBuild {
        name,
        reference,
        context,
        dockerfile,
        target: build.target.clone(),
        args: build.args.clone(),
        live_update: input.live_update,
        sync: sync_rules(input.sync, input.dir),
        port_forwards: Vec::new(),
    }
}

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
