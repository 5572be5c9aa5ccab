//! What a function project has once for all its functions: the image (its own Dockerfile or the
//! generated one), the Kubernetes name of each function, and ingress settings functions ignore.

use std::collections::BTreeMap;
use std::path::Path;

use super::GENERATED_DOCKERFILE;
use crate::config::ServerlessEntry;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::lower::build::{BuildInput, chosen_dockerfile, lower_image_build};
use crate::lower::context::LowerContext;
use crate::lower::dockerfile::{APP_DIR, DockerfileInput, copied_sources, render_dockerfile};
use crate::lower::workload_kind::warn_unused_job_fields;
use crate::names::{CRONJOB_NAME_MAX, check_dns_label, to_dns_label};
use crate::resolve::Entry;
use crate::sources::python::{DiscoveredFunction, QueueMode, Trigger};
use crate::workload::ImageBuild;

/// The project's image: its own Dockerfile when `build.dockerfile` names one, otherwise the
/// generated one (added to `files`).
pub(super) fn project_build(
    entry: &Entry<ServerlessEntry>,
    dir: &Path,
    functions: &[DiscoveredFunction],
    cx: &LowerContext<'_>,
    files: &mut Vec<(String, String)>,
    d: &mut Diagnostics,
) -> ImageBuild {
    let spec = &entry.spec;
    let field = entry.field();
    let build = spec.build.clone().unwrap_or_default();
    let mut image_build = lower_image_build(
        &BuildInput {
            build: &build,
            dir,
            default_name: &entry.name.value,
            generated_dockerfile: true,
            check_dockerfile: true,
            dockerfile_help: Some("omit `build.dockerfile` to have k3s generate one"),
            live_update: spec.live_update.unwrap_or(false),
            sync: &spec.sync,
            field: &field,
            span: entry.name.span,
            outside: spec.allow_outside_project.unwrap_or(false),
        },
        cx,
        d,
    );
    match chosen_dockerfile(&build, cx) {
        Some(own) => {
            if let Some(template) = &build.dockerfile_template {
                d.push(
                    Diagnostic::error(
                        Code::ConflictingKeys,
                        "give either `build.dockerfile` (your own) or `build.dockerfile_template` \
                         (generated from a template), not both",
                    )
                    .at(template.span)
                    .field(format!("{field}.build.dockerfile_template"))
                    .label(own.span, "own Dockerfile named here"),
                );
            }
        }
        None => {
            // Live update syncs what the generated Dockerfile copies, where it copies it.
            if image_build.live_update && image_build.sync.is_empty() {
                image_build.sync = copied_sources(dir)
                    .into_iter()
                    .map(|source| (dir.join(source), format!("{APP_DIR}/{source}")))
                    .collect();
            }
            let rendered = render_dockerfile(
                &DockerfileInput {
                    entry: &entry.name.value,
                    project_dir: dir,
                    context: &image_build.context,
                    build: &build,
                    functions: functions.iter().map(|f| f.name.as_str()).collect(),
                    field: &field,
                    span: entry.name.span,
                },
                d,
            );
            if let Some(text) = rendered {
                files.push((GENERATED_DOCKERFILE.to_string(), text));
            }
        }
    }
    image_build
}

/// `ingress.path`, `rewrite_target` and `port` mean nothing for functions: say so.
pub(super) fn check_unused_ingress_settings(entry: &Entry<ServerlessEntry>, d: &mut Diagnostics) {
    let Some(ingress) = &entry.spec.ingress else {
        return;
    };
    let unused = [
        ("path", ingress.path.as_ref().map(|p| p.span)),
        (
            "rewrite_target",
            ingress.rewrite_target.as_ref().map(|r| r.span),
        ),
        ("port", ingress.port.as_ref().map(|p| p.span)),
    ];
    for (key, span) in unused {
        if let Some(span) = span {
            d.push(
                Diagnostic::warning(
                    Code::UnusedSetting,
                    format!(
                        "`ingress.{key}` is not used for functions: each HTTP function is routed \
                         by its own @http_trigger path to its own Service"
                    ),
                )
                .at(span)
                .field(format!("{}.ingress.{key}", entry.field())),
            );
        }
    }
}

/// `job:` settings when no function of the project runs as a Job (a queue function in
/// `mode="job"`, a scheduled one): said per field, since Deployments have none of them.
pub(super) fn check_unused_job_settings(
    entry: &Entry<ServerlessEntry>,
    functions: &[DiscoveredFunction],
    d: &mut Diagnostics,
) {
    let Some(job) = &entry.spec.job else {
        return;
    };
    let any_job = functions.iter().any(|f| match &f.trigger {
        Trigger::Queue(trigger) => trigger.mode.value == QueueMode::Job,
        Trigger::Schedule(_) => true,
        Trigger::Http(_) => false,
    });
    if any_job {
        return;
    }
    let set = [
        ("backoff_limit", job.backoff_limit.as_ref().map(|v| v.span)),
        (
            "ttl_seconds_after_finished",
            job.ttl_seconds_after_finished.as_ref().map(|v| v.span),
        ),
        (
            "active_deadline_seconds",
            job.active_deadline_seconds.as_ref().map(|v| v.span),
        ),
    ];
    let project = &entry.name.value;
    warn_unused_job_fields(
        &set,
        &entry.field(),
        &|key| {
            format!(
                "`job.{key}` has no effect: no function of `{project}` runs as a Job (HTTP \
                 functions and queue workers are Deployments)"
            )
        },
        "it applies to @queue_trigger(mode=\"job\") and @schedule_trigger functions",
        d,
    );
}

/// `auth:` settings that no function of the project uses in this environment (no function
/// authenticates, or none with the kind of auth a setting is for).
pub(super) fn check_unused_auth_settings(
    entry: &Entry<ServerlessEntry>,
    workloads: &[crate::workload::Workload],
    d: &mut Diagnostics,
) {
    let Some(auth) = &entry.spec.auth else {
        return;
    };
    let uses = |mode: &str| {
        workloads.iter().any(|w| {
            w.main_container().env.iter().any(|v| {
                v.name == "K3SFN_AUTH"
                    && v.value == crate::workload::EnvSource::Literal(mode.to_string())
            })
        })
    };
    let any = uses("api_key") || uses("jwt");
    let unused = [
        (
            "secret",
            auth.secret.as_ref().map(|s| s.span),
            any,
            "no function authenticates",
        ),
        (
            "api_key_header",
            auth.api_key_header.as_ref().map(|h| h.span),
            uses("api_key"),
            "no function authenticates with api_key",
        ),
    ];
    for (key, span, used, why) in unused {
        if let Some(span) = span
            && !used
        {
            d.push(
                Diagnostic::warning(
                    Code::UnusedSetting,
                    format!("`auth.{key}` has no effect: {why} in this environment"),
                )
                .at(span)
                .field(format!("{}.auth.{key}", entry.field())),
            );
        }
    }
    let jwt = [
        (
            "jwt_algorithms",
            auth.jwt_algorithms.as_ref().map(|v| v.span),
        ),
        ("jwt_audience", auth.jwt_audience.as_ref().map(|v| v.span)),
        ("jwt_issuer", auth.jwt_issuer.as_ref().map(|v| v.span)),
    ];
    for (key, span) in jwt {
        if let Some(span) = span
            && !uses("jwt")
        {
            d.push(
                Diagnostic::warning(
                    Code::UnusedSetting,
                    format!("`auth.{key}` has no effect: no function authenticates with jwt in this environment"),
                )
                .at(span)
                .field(format!("{}.auth.{key}", entry.field())),
            );
        }
    }
}

/// `<entry>-<function>` (or `<entry>-<@serverless name>`) as a DNS label, with its span; `None`
/// after reporting a name that is too long or taken by another function of the project.
pub(super) fn workload_name<'a>(
    entry: &Entry<ServerlessEntry>,
    function: &'a DiscoveredFunction,
    taken: &mut BTreeMap<String, (&'a DiscoveredFunction, Span)>,
    d: &mut Diagnostics,
) -> Option<(String, Span)> {
    let (base, span) = match &function.settings.name {
        Some(name) => (name.value.as_str(), name.span),
        None => (function.name.as_str(), function.span),
    };
    let name = to_dns_label(&format!("{}-{base}", entry.name.value));
    let field = format!("{}.{}", entry.field(), function.name);
    let (kind, max) = match function.trigger {
        Trigger::Schedule(_) => ("CronJob", CRONJOB_NAME_MAX),
        _ => ("object", 63),
    };
    if let Err(problem) = check_dns_label(&name, max) {
        let mut diagnostic = Diagnostic::error(
            Code::NameTooLong,
            format!(
                "function `{}` ({}) becomes the {kind} name `{name}`, which {problem}",
                function.name,
                file_line(function.span),
            ),
        )
        .at(span)
        .field(field)
        .label(entry.name.span, "the entry's name comes first")
        .help("shorten the function's name, or give a shorter one with @serverless(name=\"…\")");
        if max == CRONJOB_NAME_MAX {
            diagnostic = diagnostic
                .help("Kubernetes adds an 11-character suffix to the Jobs a CronJob creates");
        }
        d.push(diagnostic);
        return None;
    }
    if let Some((first, first_span)) = taken.get(&name) {
        d.push(
            Diagnostic::error(
                Code::DuplicateName,
                format!(
                    "functions `{}` ({}) and `{}` ({}) both become the Kubernetes name `{name}`",
                    first.name,
                    file_line(first.span),
                    function.name,
                    file_line(function.span),
                ),
            )
            .at(span)
            .field(field)
            .label(*first_span, format!("`{}` gets the name here", first.name))
            .help("rename one of them, or give one a name with @serverless(name=\"…\")"),
        );
        return None;
    }
    taken.insert(name.clone(), (function, span));
    Some((name, span))
}

/// `functions/api.py:12`.
fn file_line(span: Span) -> String {
    let (line, _) = span.line_col();
    format!("{}:{line}", span.source().path.display())
}
