//! `k3s diff --env E`: what applying the environment would change on the cluster of the current
//! kubeconfig, as a server-side-apply dry run of every object and a unified diff like
//! `kubectl diff`. Exit 0 when nothing would change, 1 when something would (or the server
//! refuses an object), 2 when the cluster cannot be reached. `validate --cluster` shares
//! [`dry_run_environment`].

use super::generate::ImageArgs;
use super::{CommandResult, Context, EXIT_INVALID, EXIT_OK, Failure, Format, print_diagnostics};
use crate::cluster::dry_run::{Change, Report};
use crate::cluster::{self, request::plan_requests};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::emit::manifest_documents;
use crate::images::ImageTags;
use crate::lower::TreeLocation;
use crate::pipeline::{PlanOptions, plan_environment};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Environment to compare with the cluster
    #[arg(short, long = "env", value_name = "ENV", add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
    pub env: String,
    /// Only these entries (and the Namespaces they run in); repeatable or comma-separated
    #[arg(long, value_name = "NAME", value_delimiter = ',', add = clap_complete::ArgValueCandidates::new(super::completions::all_entries))]
    pub only: Vec<String>,
    /// kubeconfig context to use [default: the kubeconfig's current context]
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    #[command(flatten)]
    pub images: ImageArgs,
    /// Output format (`json`: every object's change and diff, and the diagnostics)
    #[arg(short, long, value_enum, default_value_t)]
    pub output: Format,
}

/// The environment and cluster a dry run is about.
pub(super) struct Target<'a> {
    pub env: &'a str,
    pub only: &'a [String],
    pub context: Option<&'a str>,
    pub images: &'a ImageTags,
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
    let images = args.images.tags()?;
    let target = Target {
        env: &args.env,
        only: &args.only,
        context: args.context.as_deref(),
        images: &images,
    };
    let (report, mut diagnostics) = dry_run_environment(context, &target)?;
    diagnostics.extend(images.unused());
    diagnostics.extend(report.diagnostics.items.iter().cloned());
    let code = if diagnostics.has_errors() {
        diagnostics.exit_code().max(EXIT_INVALID)
    } else if report.changed() > 0 {
        EXIT_INVALID
    } else {
        EXIT_OK
    };
    match args.output {
        Format::Json => {
            print_diagnostics(&diagnostics);
            print_json(&report, &diagnostics);
        }
        Format::Text => {
            print_diagnostics(&diagnostics);
            print_text(&report);
        }
    }
    Ok(code)
}

/// Plans the environment as `generate --stdout` does and dry-runs its objects on the cluster.
/// Returns the report and apps.yaml's own warnings; fails when apps.yaml is invalid, the build
/// has no cluster support, or the cluster cannot be used.
pub(super) fn dry_run_environment(
    context: &Context,
    target: &Target<'_>,
) -> Result<(Report, Diagnostics), Failure> {
    if !cluster::SUPPORTED {
        return Err(Failure::Usage(cluster::UNSUPPORTED.to_string()));
    }
    let (project, mut diagnostics) = context.load()?;
    if diagnostics.has_errors() {
        return Err(Failure::Invalid(diagnostics));
    }
    let location = TreeLocation::default();
    let options = PlanOptions {
        inputs: &context.inputs,
        images: target.images,
        location: &location,
        documents: true,
    };
    let mut plan = match plan_environment(&project, target.env, &options) {
        Ok(plan) => plan,
        Err(problems) => {
            diagnostics.extend(problems);
            return Err(Failure::Invalid(diagnostics));
        }
    };
    diagnostics.extend(std::mem::take(&mut plan.warnings));
    let failed = |mut diagnostics: Diagnostics, more: Diagnostic| {
        diagnostics.push(more);
        Failure::Invalid(diagnostics)
    };
    if let Err(d) = cluster::keep_entries(&mut plan, target.only) {
        return Err(failed(diagnostics, d));
    }
    let objects = match plan_requests(manifest_documents(&plan)) {
        Ok(objects) => objects,
        Err(problems) => {
            diagnostics.extend(problems);
            return Err(Failure::Invalid(diagnostics));
        }
    };
    match send(&objects, target.context) {
        Ok(report) => Ok((report, diagnostics)),
        Err(d) => Err(failed(diagnostics, d)),
    }
}

#[cfg(feature = "cluster")]
fn send(
    objects: &[cluster::request::PlannedObject],
    context: Option<&str>,
) -> Result<Report, Diagnostic> {
    let mut transport = cluster::transport::KubeTransport::connect(context)?;
    cluster::dry_run::dry_run(objects, &mut transport)
}

#[cfg(not(feature = "cluster"))]
fn send(
    _objects: &[cluster::request::PlannedObject],
    _context: Option<&str>,
) -> Result<Report, Diagnostic> {
    Err(Diagnostic::error(
        crate::diagnostic::Code::ClusterUnreachable,
        cluster::UNSUPPORTED,
    ))
}

/// The diffs on stdout; notes and the count on stderr, as `kubectl diff` keeps stdout a diff.
fn print_text(report: &Report) {
    let colour = super::colour::stdout();
    for outcome in &report.outcomes {
        if let Change::CreatedInNewNamespace(ns) = &outcome.change {
            eprintln!(
                "note: {}: its namespace `{ns}` is created by this apply, so the cluster cannot dry-run it yet; shown as k3s writes it, without the server's defaults",
                outcome.object.display()
            );
        }
        if outcome.diff.is_empty() {
            continue;
        }
        if colour {
            out!("{}", super::colour::diff(&outcome.diff));
        } else {
            out!("{}", outcome.diff);
        }
    }
    let count =
        |wanted: fn(&Change) -> bool| report.outcomes.iter().filter(|o| wanted(&o.change)).count();
    let created = count(|c| matches!(c, Change::Created | Change::CreatedInNewNamespace(_)));
    let changed = count(|c| *c == Change::Changed);
    let refused = count(|c| *c == Change::Rejected);
    let total = report.outcomes.len();
    let mut summary = if created + changed == 0 {
        format!("no changes: the cluster has all {total} objects as k3s writes them")
    } else {
        format!(
            "{} of {total} objects would change: {created} created, {changed} changed",
            created + changed
        )
    };
    if refused > 0 {
        summary.push_str(&format!(", {refused} refused"));
    }
    eprintln!("{summary} ({})", report.cluster);
}

fn print_json(report: &Report, diagnostics: &Diagnostics) {
    let objects: Vec<serde_json::Value> = report
        .outcomes
        .iter()
        .map(|o| {
            serde_json::json!({
                "apiVersion": o.object.api_version,
                "kind": o.object.kind,
                "namespace": o.object.namespace,
                "name": o.object.name,
                "change": o.change.as_str(),
                "note": match &o.change {
                    Change::CreatedInNewNamespace(ns) => Some(format!("namespace `{ns}` is created by this apply; shown as k3s writes it")),
                    _ => None,
                },
                "diff": (!o.diff.is_empty()).then_some(&o.diff),
            })
        })
        .collect();
    let json = serde_json::json!({
        "cluster": report.cluster,
        "changed": report.changed() > 0,
        "objects": objects,
        "diagnostics": diagnostics.clone().sorted().items.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
    });
    outln!(
        "{}",
        serde_json::to_string_pretty(&json).expect("JSON serializes")
    );
}
