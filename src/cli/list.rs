//! `k3s list`: every entry with its section, path, and per environment whether it is enabled
//! and in which namespace. The JSON form is stable for scripts and Tiltfiles.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CommandResult, Context, EXIT_OK, Failure, ListFormat};
use crate::config::Project;
use crate::pipeline::selected_environments;
use crate::resolve::{Resolved, resolve};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Environment to show; repeatable [default: every declared environment]
    #[arg(short, long = "env", value_name = "ENV")]
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
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
    let (project, mut diagnostics) = context.load()?;
    let environments = selected_environments(&project, &args.env);
    let mut resolved = Vec::new();
    for env in &environments {
        match resolve(&project, env, &context.inputs) {
            Ok(r) => resolved.push(r),
            Err(d) => diagnostics.extend(d),
        }
    }
    if diagnostics.has_errors() {
        return Err(Failure::Invalid(diagnostics));
    }
    let listing = listing(&project, &resolved);
    match args.output {
        ListFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&listing).expect("JSON serializes")
        ),
        ListFormat::Table => out!("{}", table(&listing)),
    }
    Ok(EXIT_OK)
}

fn listing(project: &Project, resolved: &[Resolved]) -> Listing {
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
            environments: resolved
                .iter()
                .map(|r| (r.env.clone(), state(r, &raw.name.value)))
                .collect(),
        })
        .collect();
    Listing {
        environments: resolved.iter().map(|r| r.env.clone()).collect(),
        entries,
    }
}

fn state(resolved: &Resolved, name: &str) -> EnvState {
    let namespace = resolved
        .helm
        .iter()
        .map(|e| (&e.name, &e.namespace))
        .chain(resolved.serverless.iter().map(|e| (&e.name, &e.namespace)))
        .chain(resolved.apps.iter().map(|e| (&e.name, &e.namespace)))
        .chain(resolved.compose.iter().map(|e| (&e.name, &e.namespace)))
        .find(|(n, _)| n.value == name)
        .map(|(_, ns)| ns.clone());
    EnvState {
        enabled: namespace.is_some(),
        namespace,
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
