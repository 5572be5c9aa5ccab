//! `k3s generate`: every environment's tree in one process — one load, one plan per
//! environment, then one write. Nothing is written unless every environment is valid.

use std::path::{Path, PathBuf};

use super::{CommandResult, Context, EXIT_INVALID, EXIT_OK, Failure, print_diagnostics};
use crate::diagnostic::Diagnostics;
use crate::emit::{
    DriftKind, check_environment, environment_tree, manifest_stream, write_environment,
};
use crate::images::ImageTags;
use crate::lower::TreeLocation;
use crate::pipeline::{EnvironmentPlan, plan_environment, selected_environments};

/// Where the tree goes when `--output` is not given, beside apps.yaml.
pub const DEFAULT_OUTPUT: &str = "argocd-state";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Environment to generate; repeatable [default: every declared environment]
    #[arg(short, long = "env", value_name = "ENV")]
    pub env: Vec<String>,
    /// Root of the tree; files go under DIR/<env>/ [default: argocd-state/ beside apps.yaml]
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Write nothing; list the files that would change and exit 1 if any would
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
    /// Print one environment's manifests as one multi-document stream instead of writing
    #[arg(long)]
    pub stdout: bool,
    /// With --check, show a unified diff of each changed file
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub images: ImageArgs,
    /// Git repository of the tree for Argo CD (wins over `argocd.repo_url`)
    #[arg(long, value_name = "URL")]
    pub repo_url: Option<String>,
}

/// Image tags from CI: `--image NAME=TAG` and `--images FILE`.
#[derive(Debug, clap::Args)]
pub struct ImageArgs {
    /// Tag (or @sha256 digest) of a built image; repeatable; wins over --images and build.tag
    #[arg(long = "image", value_name = "NAME=TAG", value_parser = super::parse_key_value)]
    pub image: Vec<(String, String)>,
    /// File of NAME=TAG lines, as CI writes them
    #[arg(long = "images", value_name = "FILE")]
    pub images: Option<PathBuf>,
}

impl ImageArgs {
    pub fn tags(&self) -> Result<ImageTags, Failure> {
        ImageTags::from_arguments(&self.image, self.images.as_deref()).map_err(|d| {
            if d.items.iter().any(|i| i.code == "io") {
                Failure::Io(anyhow::anyhow!(d.render().trim_end().to_string()))
            } else {
                Failure::Invalid(d)
            }
        })
    }
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
    let (project, mut diagnostics) = context.load()?;
    let environments = selected_environments(&project, &args.env);
    if args.stdout && environments.len() != 1 {
        return Err(Failure::Usage(
            "--stdout prints one environment: name it with --env".to_string(),
        ));
    }
    // `.` components confuse directory creation (`out/.` cannot be created before `out`).
    let output: PathBuf = args
        .output
        .clone()
        .unwrap_or_else(|| project.dir.join(DEFAULT_OUTPUT))
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let location = TreeLocation {
        repo_url_override: args.repo_url.clone(),
        tree_path: relative_tree_path(&project.dir, &output),
    };
    let images = args.images.tags()?;
    let plans = plan_all(
        context,
        &project,
        &environments,
        &images,
        &location,
        &mut diagnostics,
    );
    diagnostics.extend(images.unused());
    if diagnostics.has_errors() {
        return Err(Failure::Invalid(diagnostics));
    }
    print_diagnostics(&diagnostics);
    if args.stdout {
        out!("{}", manifest_stream(&plans[0]));
        return Ok(EXIT_OK);
    }
    if args.check {
        return check(&output, &plans, args.verbose);
    }
    write(&output, &plans)
}

fn plan_all(
    context: &Context,
    project: &crate::config::Project,
    environments: &[String],
    images: &ImageTags,
    location: &TreeLocation,
    diagnostics: &mut Diagnostics,
) -> Vec<EnvironmentPlan> {
    let mut plans = Vec::new();
    for env in environments {
        match plan_environment(project, env, &context.inputs, images, location) {
            Ok(plan) => {
                diagnostics.extend(plan.warnings().clone());
                plans.push(plan);
            }
            Err(d) => diagnostics.extend(d),
        }
    }
    plans
}

fn check(output: &Path, plans: &[EnvironmentPlan], verbose: bool) -> CommandResult {
    let mut drifted = 0;
    for plan in plans {
        let tree = environment_tree(plan);
        for drift in check_environment(output, &plan.resolved.env, &tree)? {
            drifted += 1;
            let what = match drift.kind {
                DriftKind::Added => "would be added",
                DriftKind::Changed => "would change",
                DriftKind::Removed => "would be removed",
            };
            outln!("{}: {what}", output.join(&drift.path).display());
            if verbose {
                out!("{}", drift.unified_diff());
            }
        }
    }
    if drifted == 0 {
        outln!("{}: up to date", output.display());
        Ok(EXIT_OK)
    } else {
        eprintln!(
            "{drifted} file{} out of date: run `k3s generate`",
            if drifted == 1 { " is" } else { "s are" }
        );
        Ok(EXIT_INVALID)
    }
}

fn write(output: &Path, plans: &[EnvironmentPlan]) -> CommandResult {
    for plan in plans {
        let env = &plan.resolved.env;
        let tree = environment_tree(plan);
        let outcome = write_environment(output, env, &tree)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", output.join(env).display()))?;
        let dir = output.join(env);
        if outcome.unchanged {
            outln!("{}: unchanged ({} files)", dir.display(), tree.files.len());
        } else {
            outln!(
                "{}: {} file{} written, {} pruned",
                dir.display(),
                outcome.written.len(),
                if outcome.written.len() == 1 { "" } else { "s" },
                outcome.pruned.len()
            );
        }
    }
    Ok(EXIT_OK)
}

/// The output directory relative to apps.yaml's, when it is below it.
fn relative_tree_path(project_dir: &Path, output: &Path) -> Option<String> {
    let absolute = std::path::absolute(output).ok()?;
    let relative = absolute.strip_prefix(project_dir).ok()?;
    let text = relative.to_string_lossy().replace('\\', "/");
    (!text.is_empty()).then_some(text)
}
