//! The whole run for one environment — resolve, lower, render, check — shared by `validate`,
//! `generate`, `list` and the per-section commands, so they can never disagree.

use crate::config::Project;
use crate::diagnostic::Diagnostics;
use crate::images::ImageTags;
use crate::lower::{LowerContext, Lowered, lower_environment};
use crate::resolve::{Inputs, Resolved, resolve};

/// Everything one environment produces.
#[derive(Debug)]
pub struct EnvironmentPlan {
    pub resolved: Resolved,
    pub lowered: Vec<Lowered>,
    /// Warnings found on the way (errors make the plan fail instead).
    pub warnings: Diagnostics,
}

/// Resolves, lowers (and, as later stages land, renders and checks) one environment.
pub fn plan_environment(
    project: &Project,
    env: &str,
    inputs: &Inputs,
    images: &ImageTags,
) -> Result<EnvironmentPlan, Diagnostics> {
    let resolved = resolve(project, env, inputs)?;
    let cx = LowerContext {
        resolved: &resolved,
        images,
    };
    let (lowered, warnings) = lower_environment(&cx)?;
    Ok(EnvironmentPlan {
        resolved,
        lowered,
        warnings,
    })
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
