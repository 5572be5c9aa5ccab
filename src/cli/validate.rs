//! `k3s validate`: load apps.yaml and run every selected environment through the whole
//! pipeline without writing anything; report every problem found. With `--cluster`, also ask the
//! cluster of the current kubeconfig whether its API server accepts every object (the dry run of
//! `k3s diff`, without the diff).

use super::{CommandResult, Context, Failure, Format, print_diagnostics};
use crate::pipeline::{PlanOptions, for_each_environment, plan_environment, selected_environments};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Environment to check; repeatable [default: every declared environment]
    #[arg(short, long = "env", value_name = "ENV", add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
    pub env: Vec<String>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Format,
    /// Also dry-run every object on the cluster of the current kubeconfig (server-side apply):
    /// exit 1 when its API server refuses one, 2 when it cannot be reached
    #[arg(long)]
    pub cluster: bool,
    /// With --cluster, the kubeconfig context to use [default: the current context]
    #[arg(long, value_name = "NAME", requires = "cluster")]
    pub context: Option<String>,
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
    if args.cluster {
        return run_on_cluster(context, args);
    }
    let (project, mut diagnostics) = match context.load() {
        Ok(loaded) => loaded,
        Err(Failure::Invalid(d)) if args.output == Format::Json => {
            print_json(&d, &[]);
            return Ok(d.exit_code());
        }
        Err(failure) => return Err(failure),
    };
    let environments = selected_environments(&project, &args.env);
    let images = crate::images::ImageTags::new();
    let location = crate::lower::TreeLocation::default();
    let results = for_each_environment(&environments, |env| {
        let options = PlanOptions {
            inputs: &context.inputs,
            images: &images,
            location: &location,
            documents: false,
        };
        plan_environment(&project, env, &options).map(|mut plan| {
            let warnings = std::mem::take(&mut plan.warnings);
            // The process ends right after; freeing the plan's many small allocations would
            // cost more than checking it did.
            std::mem::forget(plan);
            warnings
        })
    });
    for result in results {
        match result {
            Ok(warnings) => diagnostics.extend(warnings),
            Err(d) => diagnostics.extend(d),
        }
    }
    let diagnostics = diagnostics.sorted();
    let valid = !diagnostics.has_errors();
    match args.output {
        Format::Json => print_json(&diagnostics, &environments),
        Format::Text => {
            print_diagnostics(&diagnostics);
            if valid {
                outln!(
                    "{}: valid for {}",
                    project.display_path().display(),
                    environments.join(", ")
                );
            }
        }
    }
    // The process ends next; freeing the tree of a large apps.yaml would only cost time.
    std::mem::forget(project);
    Ok(diagnostics.exit_code())
}

/// `validate --cluster`: one environment, checked by k3s and then by the cluster's API server.
fn run_on_cluster(context: &Context, args: &Args) -> CommandResult {
    if !crate::cluster::SUPPORTED {
        return Err(Failure::Usage(crate::cluster::UNSUPPORTED.to_string()));
    }
    let env = match args.env.as_slice() {
        [env] => env.clone(),
        [] => {
            let (project, _) = context.load()?;
            match project.environment_names().as_slice() {
                [only] => only.to_string(),
                _ => return Err(one_environment()),
            }
        }
        _ => return Err(one_environment()),
    };
    let images = crate::images::ImageTags::new();
    let target = super::diff::Target {
        env: &env,
        only: &[],
        context: args.context.as_deref(),
        images: &images,
    };
    let (report, mut diagnostics) = super::diff::dry_run_environment(context, &target)?;
    diagnostics.extend(report.diagnostics.items.iter().cloned());
    let diagnostics = diagnostics.sorted();
    let environments = [env.clone()];
    match args.output {
        Format::Json => print_json(&diagnostics, &environments),
        Format::Text => {
            print_diagnostics(&diagnostics);
            if !diagnostics.has_errors() {
                outln!(
                    "{env}: valid; the cluster accepts all {} objects (server-side dry run at {})",
                    report.outcomes.len(),
                    report.cluster
                );
            }
        }
    }
    Ok(diagnostics.exit_code())
}

fn one_environment() -> Failure {
    Failure::Usage(
        "--cluster checks one environment against the cluster: name it with --env".to_string(),
    )
}

fn print_json(diagnostics: &crate::diagnostic::Diagnostics, environments: &[String]) {
    super::count_warnings(diagnostics);
    let json = serde_json::json!({
        "valid": !diagnostics.has_errors(),
        "environments": environments,
        "diagnostics": diagnostics.items.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
    });
    outln!(
        "{}",
        serde_json::to_string_pretty(&json).expect("JSON serializes")
    );
}
