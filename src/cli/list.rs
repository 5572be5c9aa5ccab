//! `k3s list`: every entry with its section, path, and per environment whether it is enabled
//! and in which namespace. The JSON form is stable for scripts and Tiltfiles.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CommandResult, Context, EXIT_OK, Failure, ListFormat};
use crate::config::Project;
use crate::images::ImageTags;
use crate::lower::TreeLocation;
use crate::pipeline::{
    EnvironmentPlan, PlanOptions, for_each_environment, plan_environment, selected_environments,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Environment to show; repeatable [default: every declared environment]
    #[arg(short, long = "env", value_name = "ENV", add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
    pub env: Vec<String>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: ListFormat,
}

#[derive(Debug, Serialize)]
struct Listing {
    environments: Vec<String>,
    entries: Vec<Row>,
}

#[derive(Debug, Serialize)]
struct Row {
    name: String,
    section: &'static str,
    path: Option<String>,
    environments: BTreeMap<String, EnvState>,
}

#[derive(Debug, Serialize)]
struct EnvState {
    enabled: bool,
    namespace: Option<String>,
    /// Image references of the entry's workloads, exactly as the manifests name them.
    images: Vec<String>,
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
    let (project, mut diagnostics) = context.load()?;
    let environments = selected_environments(&project, &args.env);
    let images = ImageTags::new();
    let location = TreeLocation::default();
    let options = PlanOptions {
        inputs: &context.inputs,
        images: &images,
        location: &location,
        documents: false,
    };
    let mut plans = Vec::new();
    let results = for_each_environment(&environments, |env| {
        plan_environment(&project, env, &options)
    });
    for result in results {
        match result {
            Ok(plan) => plans.push(plan),
            Err(d) => diagnostics.extend(d),
        }
    }
    if diagnostics.has_errors() {
        return Err(Failure::Invalid(diagnostics));
    }
    let listing = listing(&project, &plans);
    match args.output {
        ListFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&listing).expect("JSON serializes")
        ),
        ListFormat::Table => out!("{}", table(&listing)),
        ListFormat::Name => {
            for entry in &listing.entries {
                outln!("{}", entry.name);
            }
        }
    }
    Ok(EXIT_OK)
}

fn listing(project: &Project, plans: &[EnvironmentPlan]) -> Listing {
    let entries = project
        .entries
        .iter()
        .map(|raw| Row {
            name: raw.name.value.clone(),
            section: raw.section.key(),
            path: raw
                .block
                .base
                .get("path")
                .and_then(|p| p.as_str())
                .map(str::to_string),
            environments: plans
                .iter()
                .map(|p| (p.resolved.env.clone(), state(p, &raw.name.value)))
                .collect(),
        })
        .collect();
    Listing {
        environments: plans.iter().map(|p| p.resolved.env.clone()).collect(),
        entries,
    }
}

fn state(plan: &EnvironmentPlan, name: &str) -> EnvState {
    let resolved = &plan.resolved;
    let namespace = resolved
        .helm
        .iter()
        .map(|e| (&e.name, &e.namespace))
        .chain(resolved.serverless.iter().map(|e| (&e.name, &e.namespace)))
        .chain(resolved.apps.iter().map(|e| (&e.name, &e.namespace)))
        .chain(resolved.compose.iter().map(|e| (&e.name, &e.namespace)))
        .find(|(n, _)| n.value == name)
        .map(|(_, ns)| ns.clone());
    let mut images: Vec<String> = plan
        .entries
        .iter()
        .filter(|e| e.name == name)
        .flat_map(|e| e.lowered.workloads.iter())
        .flat_map(|w| w.pod.containers.iter().chain(&w.pod.init_containers))
        .map(|c| c.image.clone())
        .collect();
    images.sort();
    images.dedup();
    EnvState {
        enabled: namespace.is_some(),
        namespace,
        images,
    }
}

fn table(listing: &Listing) -> String {
    let env_headers: Vec<String> = listing
        .environments
        .iter()
        .map(|e| e.to_uppercase())
        .collect();
    let mut header = vec!["NAME", "SECTION", "PATH"];
    header.extend(env_headers.iter().map(String::as_str));
    let mut rows = Vec::new();
    for entry in &listing.entries {
        let mut row = vec![
            entry.name.clone(),
            entry.section.to_string(),
            entry.path.clone().unwrap_or_else(|| "-".to_string()),
        ];
        for env in &listing.environments {
            row.push(match &entry.environments[env] {
                EnvState {
                    namespace: Some(ns),
                    ..
                } => ns.clone(),
                _ => "(disabled)".to_string(),
            });
        }
        rows.push(row);
    }
    format_table(&header, rows)
}

/// A header and rows as left-aligned columns separated by two spaces, no trailing blanks.
pub(super) fn format_table(header: &[&str], body: Vec<Vec<String>>) -> String {
    let mut rows = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    rows.extend(body);
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
