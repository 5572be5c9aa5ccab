//! `k3s generate`: every environment's tree in one process — one load, one plan per
//! environment, then one write. Nothing is written unless every environment is valid.

use std::path::{Path, PathBuf};

use super::{CommandResult, Context, EXIT_INVALID, EXIT_OK, Failure, print_diagnostics};
use crate::emit::{
    DriftKind, Tree, check_environment, check_undeclared, environment_tree, manifest_stream,
    write_environments,
};
use crate::images::ImageTags;
use crate::lower::TreeLocation;
use crate::pipeline::{PlanOptions, for_each_environment, plan_environment, selected_environments};

/// Where the tree goes when `--output-dir` is not given, beside apps.yaml.
pub const DEFAULT_OUTPUT: &str = "argocd-state";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Environment to generate; repeatable [default: every declared environment]
    #[arg(short, long = "env", value_name = "ENV", add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
    pub env: Vec<String>,
    #[command(flatten)]
    pub output: super::ManifestOutput,
    /// Write nothing; list the files that would change and exit 1 if any would
    #[arg(long, conflicts_with = "stdout")]
    pub check: bool,
    /// Print one environment's manifests as one multi-document stream instead of writing
    #[arg(long, conflicts_with = "output_dir")]
    pub stdout: bool,
    /// With --check, show a unified diff of each changed file
    #[arg(short, long, requires = "check")]
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
        ImageTags::from_arguments(&self.image, self.images.as_deref()).map_err(Failure::Invalid)
    }
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
    let (project, mut diagnostics) = context.load()?;
    let environments = selected_environments(&project, &args.env);
    let stdout = args.stdout || args.output.prints();
    if stdout && args.check {
        return Err(Failure::Usage(
            "--check compares the tree on disk; it cannot be given with --stdout or -o yaml"
                .to_string(),
        ));
    }
    if stdout && environments.len() != 1 {
        return Err(Failure::Usage(
            "--stdout prints one environment: name it with --env".to_string(),
        ));
    }
    // `.` components confuse directory creation (`out/.` cannot be created before `out`).
    let output: PathBuf = args
        .output
        .dir()
        .unwrap_or_else(|| project.dir.join(DEFAULT_OUTPUT))
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    let tree_path = relative_tree_path(&project.dir, &output);
    let repository_tree_path = tree_path
        .is_none()
        .then(|| repository_tree_path(&output))
        .flatten();
    let location = TreeLocation {
        repo_url_override: args.repo_url.clone(),
        unplaced_output: (tree_path.is_none() && repository_tree_path.is_none())
            .then(|| output.display().to_string()),
        tree_path,
        repository_tree_path,
        manifests_only: false,
    };
    let images = args.images.tags()?;
    // Each environment is planned and turned into text at once, so the typed objects of only
    // the environments being planned are in memory; nothing is written before all succeed.
    let options = PlanOptions {
        inputs: &context.inputs,
        images: &images,
        location: &location,
        documents: true,
    };
    let outputs = for_each_environment(&environments, |env| {
        plan_environment(&project, env, &options).map(|mut plan| {
            let warnings = std::mem::take(&mut plan.warnings);
            let output = if stdout {
                Output::Stream(manifest_stream(&plan))
            } else {
                Output::Tree(environment_tree(plan))
            };
            (env.to_string(), output, warnings)
        })
    });
    let mut trees = Vec::new();
    let mut streams = Vec::new();
    for output in outputs {
        match output {
            Ok((env, output, warnings)) => {
                diagnostics.extend(warnings);
                match output {
                    Output::Stream(text) => streams.push(text),
                    Output::Tree(tree) => trees.push((env, tree)),
                }
            }
            Err(d) => diagnostics.extend(d),
        }
    }
    diagnostics.extend(images.unused());
    if diagnostics.has_errors() {
        return Err(Failure::Invalid(diagnostics));
    }
    print_diagnostics(&diagnostics);
    if stdout {
        for text in streams {
            out!("{text}");
        }
        return Ok(EXIT_OK);
    }
    let declared: Vec<String> = project
        .environment_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    if args.check {
        return check(&output, &trees, &declared, args.verbose);
    }
    write(&output, &trees, &declared)
}

/// What one environment becomes.
enum Output {
    Stream(String),
    Tree(Tree),
}

fn check(
    output: &Path,
    trees: &[(String, Tree)],
    declared: &[String],
    verbose: bool,
) -> CommandResult {
    let drifts = for_each_environment(trees, |(env, tree)| check_environment(output, env, tree));
    let mut all = Vec::new();
    for drifts in drifts {
        all.extend(drifts?);
    }
    all.extend(check_undeclared(output, declared)?);
    for drift in &all {
        let what = match drift.kind {
            DriftKind::Added => "would be added",
            DriftKind::Changed => "would change",
            DriftKind::Removed => "would be removed",
        };
        outln!("{}: {what}", output.join(&drift.path).display());
        if verbose {
            let diff = drift.unified_diff();
            if super::colour::stdout() {
                out!("{}", super::colour::diff(&diff));
            } else {
                out!("{diff}");
            }
        }
    }
    let drifted = all.len();
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

/// Every environment is staged and swapped in together (all old or all new, also when the run
/// is killed: the next one repairs it); environments apps.yaml no longer declares lose their
/// generated files. Nothing is written when any environment cannot be.
fn write(output: &Path, trees: &[(String, Tree)], declared: &[String]) -> CommandResult {
    let crate::emit::WriteReport {
        outcomes,
        repairs: notes,
    } = write_environments(output, trees, declared)?;
    for note in notes {
        eprintln!("note: {note}");
    }
    let files: std::collections::BTreeMap<&str, usize> = trees
        .iter()
        .map(|(env, tree)| (env.as_str(), tree.files.len()))
        .collect();
    for (env, outcome) in outcomes {
        let dir = output.join(&env);
        if outcome.undeclared {
            outln!(
                "{}: {} generated file{} pruned (environment `{env}` is no longer declared)",
                dir.display(),
                outcome.pruned.len(),
                if outcome.pruned.len() == 1 { "" } else { "s" },
            );
        } else if outcome.unchanged {
            outln!(
                "{}: unchanged ({} files)",
                dir.display(),
                files.get(env.as_str()).copied().unwrap_or(0)
            );
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

/// The output directory relative to the root of the git repository it is in (the nearest
/// directory above it, or it, with a `.git`), when there is one.
fn repository_tree_path(output: &Path) -> Option<String> {
    let absolute = std::path::absolute(output).ok()?;
    let root = absolute.ancestors().find(|dir| dir.join(".git").exists())?;
    let relative = absolute.strip_prefix(root).ok()?;
    let text = relative.to_string_lossy().replace('\\', "/");
    (!text.is_empty()).then_some(text)
}

/// The output directory relative to apps.yaml's, when it is below it.
fn relative_tree_path(project_dir: &Path, output: &Path) -> Option<String> {
    let absolute = std::path::absolute(output).ok()?;
    let relative = absolute.strip_prefix(project_dir).ok()?;
    let text = relative.to_string_lossy().replace('\\', "/");
    (!text.is_empty()).then_some(text)
}
