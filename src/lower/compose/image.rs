//! A compose service's image: apps.yaml's, the compose `image`, or a build named after it.

use super::Plan;
use crate::config::Build;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::lower::build::{BuildInput, lower_image_build};
use crate::lower::spec::ImageSpec;
use crate::sources::compose::Service as ComposeService;
use crate::yaml::Spanned;

/// The image: apps.yaml's (a prebuilt image), else the compose file's `build:` — tagged with
/// the compose `image` name (and tag) when it gives one, else with the rule of `images.rs` for
/// `<entry>-<service>` — under the environment's registry, else the compose `image` as is.
#[allow(clippy::too_many_arguments)]
pub(super) fn image(
    plan: &Plan<'_>,
    name: &str,
    svc: &ComposeService,
    settings: &crate::config::ComposeService,
    workload_name: &str,
    span: Span,
    field: &str,
    d: &mut Diagnostics,
) -> ImageSpec {
    let pull_policy = pull_policy(svc, field, d);
    let apps_yaml_image = super::settings::apps_yaml_settings(&plan.entry.spec, name).image;
    if let Some(image) =
        apps_yaml_image.or_else(|| settings.image.clone().filter(|_| svc.build.is_none()))
    {
        return ImageSpec {
            reference: image.value.clone(),
            build: None,
            pull_policy,
        };
    }
    let Some(build) = &svc.build else {
        d.push(
            Diagnostic::error(
                Code::MissingImage,
                format!("service `{name}` has neither `image` nor `build`"),
            )
            .at(span)
            .field(format!("{field}.image")),
        );
        return ImageSpec {
            reference: String::new(),
            build: None,
            pull_policy,
        };
    };
    // `build:` with `image:` names what the build is tagged as (compose pushes it there).
    let named = settings
        .image
        .as_ref()
        .map(|image| image_name(&image.value, plan.cx.resolved.registry.is_some()));
    let settings = Build {
        context: Some(
            build
                .context
                .clone()
                .unwrap_or_else(|| Spanned::new(".".to_string(), span)),
        ),
        dockerfile: build
            .dockerfile
            .as_ref()
            .map(|f| Spanned::new(f.clone(), span)),
        target: build.target.clone(),
        args: build.args.clone(),
        image: named
            .as_ref()
            .map(|(name, _)| Spanned::new(name.clone(), span)),
        tag: named
            .as_ref()
            .and_then(|(_, tag)| tag.clone())
            .map(|tag| Spanned::new(tag, span)),
        ..Build::default()
    };
    let image_build = lower_image_build(
        &BuildInput {
            build: &settings,
            dir: &plan.project.project_dir,
            default_name: workload_name,
            generated_dockerfile: false,
            check_dockerfile: false,
            dockerfile_help: None,
            live_update: false,
            sync: &[],
            field,
            span,
            outside: plan.entry.spec.allow_outside_project.unwrap_or(false),
        },
        plan.cx,
        d,
    );
    let context_text = build.context.as_ref().map_or(".", |c| c.value.as_str());
    if context_text.contains("://") || build.dockerfile_inline.is_some() {
        d.push(
            Diagnostic::warning(
                Code::UnsupportedBuild,
                "a remote build context or an inline Dockerfile is not built by k3s; push the image yourself",
            )
            .at(build
                .context
                .as_ref()
                .map(|c| c.span)
                .filter(|s| s.file != crate::diagnostic::FileId::builtin())
                .unwrap_or(span))
            .field(format!("{field}.build"))
            .help(format!("the manifests use `{}`", image_build.reference)),
        );
        return ImageSpec {
            reference: image_build.reference,
            build: None,
            pull_policy,
        };
    }
    ImageSpec {
        reference: image_build.reference.clone(),
        build: Some(image_build),
        pull_policy,
    }
}

/// The name and tag a compose `image:` gives a build: `ghcr.io/acme/api:1.2` is `acme/api`
/// and `1.2` under an environment registry (which replaces the registry host), else
/// `ghcr.io/acme/api`; a digest cannot be built, so it gives no tag.
fn image_name(image: &str, has_registry: bool) -> (String, Option<String>) {
    let without_digest = image.split('@').next().unwrap_or(image);
    let digest = without_digest.len() != image.len();
    let (repository, tag) = match without_digest.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag.to_string())),
        _ => (without_digest, None),
    };
    let repository = match repository.split_once('/') {
        Some((host, rest))
            if has_registry
                && (host.contains('.') || host.contains(':') || host == "localhost") =>
        {
            rest
        }
        _ => repository,
    };
    (repository.to_string(), tag.filter(|_| !digest))
}

/// `pull_policy` as the container's; `None` (and `build`) leaves the environment's policy for
/// built images.
fn pull_policy(svc: &ComposeService, field: &str, d: &mut Diagnostics) -> Option<Option<String>> {
    match svc.pull_policy.as_ref().map(|p| (p.value.as_str(), p.span)) {
        Some(("always", _)) => Some(Some("Always".to_string())),
        Some(("never", _)) => Some(Some("Never".to_string())),
        Some(("missing" | "if_not_present", _)) => Some(Some("IfNotPresent".to_string())),
        Some(("build", _)) | None => None,
        Some((other, span)) => {
            d.push(
                Diagnostic::warning(
                    Code::UnsupportedValue,
                    format!("pull_policy `{other}` has no Kubernetes equivalent; the cluster's default applies"),
                )
                .at(span)
                .field(format!("{field}.pull_policy")),
            );
            Some(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::image_name;

    #[test]
    fn a_compose_image_names_its_build_under_the_registry() {
        let name = |i: &str, r: bool| image_name(i, r);
        assert_eq!(
            name("names-backend:latest", true),
            ("names-backend".to_string(), Some("latest".to_string()))
        );
        assert_eq!(
            name("ghcr.io/acme/api:1.2", true),
            ("acme/api".to_string(), Some("1.2".to_string()))
        );
        assert_eq!(
            name("ghcr.io/acme/api:1.2", false),
            ("ghcr.io/acme/api".to_string(), Some("1.2".to_string()))
        );
        assert_eq!(name("localhost:5000/api", true), ("api".to_string(), None));
        assert_eq!(name("acme/api@sha256:abc", true).1, None);
    }
}
