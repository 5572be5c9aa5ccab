//! `k3s validate`: load apps.yaml and run every selected environment through the whole
//! pipeline without writing anything; report every problem found.

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
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
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
