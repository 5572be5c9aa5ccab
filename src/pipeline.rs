//! The whole run for one environment — resolve, lower, render, check — shared by `validate`,
//! `generate`, `list` and the per-section commands, so they can never disagree.

use crate::config::Project;
use crate::diagnostic::Diagnostics;
use crate::resolve::{Inputs, Resolved, resolve};

/// Everything one environment produces.
#[derive(Debug)]
pub struct EnvironmentPlan {
    pub resolved: Resolved,
}

/// Resolves (and, as later stages land, lowers, renders and checks) one environment.
pub fn plan_environment(
    project: &Project,
    env: &str,
    inputs: &Inputs,
) -> Result<EnvironmentPlan, Diagnostics> {
    let resolved = resolve(project, env, inputs)?;
    Ok(EnvironmentPlan { resolved })
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
