//! `k3s validate`: load apps.yaml and run every selected environment through the whole
//! pipeline without writing anything; report every problem found.

use super::{CommandResult, Context, EXIT_INVALID, EXIT_OK, Failure, Format, print_diagnostics};
use crate::pipeline::{plan_environment, selected_environments};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Environment to check; repeatable [default: every declared environment]
    #[arg(short, long = "env", value_name = "ENV")]
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
            return Ok(EXIT_INVALID);
        }
        Err(failure) => return Err(failure),
    };
    let environments = selected_environments(&project, &args.env);
    let images = crate::images::ImageTags::new();
    for env in &environments {
        let location = crate::lower::TreeLocation::default();
        match plan_environment(&project, env, &context.inputs, &images, &location) {
            Ok(plan) => diagnostics.extend(plan.warnings().clone()),
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
    Ok(if valid { EXIT_OK } else { EXIT_INVALID })
}

fn print_json(diagnostics: &crate::diagnostic::Diagnostics, environments: &[String]) {
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
