//! The whole run for one environment — resolve, lower, render — shared by `validate`,
//! `generate`, `list` and the per-section commands, so they can never disagree.

use crate::check::{Origin, check_manifests};
use crate::config::{ComposeEntry, Project, Section};
use crate::diagnostic::Diagnostics;
use crate::images::ImageTags;
use crate::lower::{
    LowerContext, LoweredEnvironment, TreeLocation, lower_compose_entry, lower_environment,
};
use crate::render::{Manifest, RenderContext, render_routes, render_workload, sort_manifests};
use crate::resolve::{Entry, Inputs, Resolved, resolve};
use crate::sources::compose::ComposeProject;
use crate::workload::LoweredEntry;

/// Everything one environment produces.
#[derive(Debug)]
pub struct EnvironmentPlan {
    pub resolved: Resolved,
    pub entries: Vec<EntryOutput>,
    /// The gateway's objects, when it has routes.
    pub gateway: Vec<Manifest>,
    pub lowered: LoweredEnvironment,
}

/// One apps.yaml entry's rendered objects and extra files.
#[derive(Debug)]
pub struct EntryOutput {
    pub section: Section,
    pub name: String,
    pub namespace: String,
    pub manifests: Vec<Manifest>,
    pub lowered: LoweredEntry,
}

impl EnvironmentPlan {
    pub fn warnings(&self) -> &Diagnostics {
        &self.lowered.warnings
    }
}

/// Resolves, lowers and renders one environment.
pub fn plan_environment(
    project: &Project,
    env: &str,
    inputs: &Inputs,
    images: &ImageTags,
    location: &TreeLocation,
) -> Result<EnvironmentPlan, Diagnostics> {
    let resolved = resolve(project, env, inputs)?;
    let lowered = {
        let cx = LowerContext {
            resolved: &resolved,
            images,
        };
        lower_environment(&cx, location)?
    };
    let ctx = RenderContext {
        env: env.to_string(),
        ingress: resolved.ingress,
    };
    let mut problems = Diagnostics::new();
    let entries = lowered
        .entries
        .iter()
        .map(|entry| {
            let mut manifests = Vec::new();
            for workload in &entry.entry.workloads {
                let rendered = render_workload(workload, &ctx);
                let origin = Origin {
                    span: workload.name_span,
                    field: &workload.field,
                };
                check_manifests(&rendered, &origin, &mut problems);
                manifests.extend(rendered);
            }
            sort_manifests(&mut manifests);
            EntryOutput {
                section: entry.section,
                name: entry.name.clone(),
                namespace: entry.namespace.clone(),
                manifests,
                lowered: entry.entry.clone(),
            }
        })
        .collect();
    if problems.has_errors() {
        return Err(problems);
    }
    let gateway = render_gateway(&lowered, &ctx);
    Ok(EnvironmentPlan {
        resolved,
        entries,
        gateway,
        lowered,
    })
}

/// One compose entry of a resolved environment, lowered and rendered on its own; `project`
/// when the caller has already loaded it. Returns the entry's output and its warnings.
pub fn plan_compose_entry(
    resolved: &Resolved,
    entry: &Entry<ComposeEntry>,
    project: Option<&ComposeProject>,
    images: &ImageTags,
) -> Result<(EntryOutput, Diagnostics), Diagnostics> {
    let cx = LowerContext { resolved, images };
    let (lowered, warnings) = lower_compose_entry(entry, project, &cx)?;
    let ctx = RenderContext {
        env: resolved.env.clone(),
        ingress: resolved.ingress,
    };
    let mut problems = Diagnostics::new();
    let mut manifests = Vec::new();
    for workload in &lowered.entry.workloads {
        let rendered = render_workload(workload, &ctx);
        let origin = Origin {
            span: workload.name_span,
            field: &workload.field,
        };
        check_manifests(&rendered, &origin, &mut problems);
        manifests.extend(rendered);
    }
    if problems.has_errors() {
        return Err(problems);
    }
    sort_manifests(&mut manifests);
    let mut warnings = warnings;
    warnings.extend(problems);
    Ok((
        EntryOutput {
            section: lowered.section,
            name: lowered.name,
            namespace: lowered.namespace,
            manifests,
            lowered: lowered.entry,
        },
        warnings,
    ))
}

/// The gateway's routes, each in its target's namespace, labelled as the gateway's.
fn render_gateway(lowered: &LoweredEnvironment, ctx: &RenderContext) -> Vec<Manifest> {
    let labels = std::collections::BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            "k3s".to_string(),
        ),
        (
            "app.kubernetes.io/part-of".to_string(),
            "gateway".to_string(),
        ),
    ]);
    let mut manifests: Vec<Manifest> = lowered
        .gateway
        .iter()
        .flat_map(|g| render_routes(std::slice::from_ref(&g.route), &g.namespace, &labels, ctx))
        .collect();
    sort_manifests(&mut manifests);
    manifests
}

/// The environments a command acts on: those named, or every declared one.
pub fn selected_environments(project: &Project, named: &[String]) -> Vec<String> {
    if named.is_empty() {
        project
            .environment_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    } else {
        named.to_vec()
    }
}
