//! `helm:` entries to the Helm source of an Argo CD Application: the chart's repository (an
//! OCI registry is given to Argo CD without `oci://`, with the chart name apart), the version,
//! and the values files, which stay in git and are referenced through a `$values` source.

use super::context::LowerContext;
use crate::config::HelmEntry;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::resolve::Entry;
use crate::yaml::Spanned;

/// A chart release, as Argo CD needs it.
#[derive(Debug, Clone)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    /// Repository URL in the form Argo CD expects (`registry/path` for OCI).
    pub repo_url: String,
    pub oci: bool,
    pub chart: String,
    pub version: String,
    pub release_name: String,
    /// Values files relative to apps.yaml's directory, in the order Helm applies them.
    pub values: Vec<String>,
    pub create_namespace: bool,
}

pub fn lower_helm(
    entry: &Entry<HelmEntry>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> Option<HelmRelease> {
    let helm = &entry.spec;
    let field = entry.field();
    let (repo, chart) = match (&helm.repo, helm.chart.value.split_once('/')) {
        (Some(repo), _) => (repo.value.clone(), helm.chart.value.clone()),
        (None, Some((alias, chart))) => match cx.resolved.repositories.get(alias) {
            Some(url) => (url.value.clone(), chart.to_string()),
            None => {
                let known: Vec<&str> = cx
                    .resolved
                    .repositories
                    .keys()
                    .map(String::as_str)
                    .collect();
                let mut diagnostic = Diagnostic::error(
                    Code::UnknownRepository,
                    format!("chart `{}` names repository `{alias}`, which `repositories:` does not define", helm.chart.value),
                )
                .at(helm.chart.span)
                .field(format!("{field}.chart"));
                if let Some(s) = did_you_mean(alias, known.iter().copied()) {
                    diagnostic = diagnostic.help(format!("did you mean `{s}`?"));
                }
                d.push(
                    diagnostic
                        .help("add it under `repositories:`, or give the entry `repo: <url>`"),
                );
                return None;
            }
        },
        (None, None) => {
            d.push(
                Diagnostic::error(
                    Code::MissingKey,
                    format!("chart `{}` names no repository", helm.chart.value),
                )
                .at(helm.chart.span)
                .field(format!("{field}.chart"))
                .help("write `repo/chart` with `repo` under `repositories:`, or add `repo: <url>`"),
            );
            return None;
        }
    };
    let (repo_url, oci) = match repo.strip_prefix("oci://") {
        Some(rest) => (rest.trim_end_matches('/').to_string(), true),
        None if repo.starts_with("https://") || repo.starts_with("http://") => {
            (repo.trim_end_matches('/').to_string(), false)
        }
        None => {
            d.push(
                Diagnostic::error(
                    Code::BadValue,
                    format!("repository URL `{repo}` must start with https://, http:// or oci://"),
                )
                .at(helm.repo.as_ref().map_or(helm.chart.span, |r| r.span))
                .field(format!("{field}.repo")),
            );
            return None;
        }
    };
    let mut values = Vec::new();
    for file in helm.values.iter().flat_map(|v| v.value.iter()) {
        let written = Spanned::new(
            file.clone(),
            helm.values.as_ref().map_or(helm.chart.span, |v| v.span),
        );
        let outside = helm.allow_outside_project.unwrap_or(false);
        if !cx.inside_project(
            &cx.path(file),
            &written,
            &format!("{field}.values"),
            outside,
            d,
        ) {
            continue;
        }
        if !cx.path(file).is_file() {
            d.push(
                Diagnostic::error(
                    Code::MissingFile,
                    format!("values file `{file}` does not exist"),
                )
                .at(helm.values.as_ref().map_or(helm.chart.span, |v| v.span))
                .field(format!("{field}.values"))
                .help("values files are relative to the directory of apps.yaml"),
            );
        }
        values.push(normalize(file));
    }
    Some(HelmRelease {
        name: entry.name.value.clone(),
        namespace: entry.namespace.clone(),
        repo_url,
        oci,
        chart,
        version: helm.version.value.clone(),
        release_name: helm
            .release_name
            .clone()
            .unwrap_or_else(|| entry.name.value.clone()),
        values,
        create_namespace: helm.create_namespace.unwrap_or(true),
    })
}

/// `./values/x.yaml` → `values/x.yaml`.
fn normalize(path: &str) -> String {
    path.trim_start_matches("./").to_string()
}
