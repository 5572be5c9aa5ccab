//! `k3s app generate NAME` and `k3s app list`: one traditional app's manifests, and the apps
//! with what each becomes in an environment.

use serde::Serialize;

use super::{CommandResult, Context, EXIT_OK, ListFormat, section};
use crate::config::Section;
use crate::workload::{Controller, Replicas, Scaling, Workload};

#[derive(Debug, clap::Subcommand)]
pub enum AppCommand {
    /// Print (or write) one app's manifests for an environment
    #[command(
        after_help = "Examples:\n  k3s app generate api\n  k3s app generate api --env gcp -o yaml\n  k3s app generate api --env gcp --output-dir out",
        mut_arg("output_dir", |a| a.help("Write DIR/manifests.yaml instead of printing"))
    )]
    Generate {
        /// The app's name in apps.yaml
        #[arg(add = clap_complete::ArgValueCandidates::new(super::completions::apps))]
        name: String,
        /// Environment [default: the first declared]
        #[arg(short, long, add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
        env: Option<String>,
        #[command(flatten)]
        output: super::ManifestOutput,
    },
    /// List the apps of an environment: image, controller, scaling, route
    #[command(
        after_help = "Examples:\n  k3s app list\n  k3s app list --env gcp -o json\n  k3s app list -o name"
    )]
    List {
        /// Environment [default: the first declared]
        #[arg(short, long, add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
        env: Option<String>,
        /// Output format
        #[arg(short, long, value_enum, default_value_t)]
        output: ListFormat,
    },
}

#[derive(Serialize)]
struct AppRow {
    name: String,
    namespace: String,
    image: String,
    kind: &'static str,
    /// The fixed replica count; null when an autoscaler decides (`autoscaled`) or the kind has
    /// none (jobs).
    replicas: Option<u32>,
    /// Whether an HPA or KEDA decides the replica count.
    autoscaled: bool,
    scaling: &'static str,
    route: Option<String>,
}

pub fn run(context: &Context, command: &AppCommand) -> CommandResult {
    match command {
        AppCommand::Generate { name, env, output } => {
            section::generate_entry(
                context,
                Section::Apps,
                name,
                env.as_deref(),
                output.dir().as_deref(),
                std::path::Path::new(""),
            )?;
        }
        AppCommand::List { env, output } => {
            let env = section::environment(context, env.as_deref())?;
            let plan = section::plan(context, &env)?;
            let rows: Vec<AppRow> = plan
                .entries
                .iter()
                .filter(|e| e.section == Section::Apps)
                .flat_map(|e| e.lowered.workloads.iter())
                .map(app_row)
                .collect();
            match output {
                ListFormat::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"environment": env, "apps": rows})
                    )
                    .expect("JSON serializes")
                ),
                ListFormat::Table => out!("{}", table(&rows)),
                ListFormat::Name => {
                    for row in &rows {
                        outln!("{}", row.name);
                    }
                }
            }
        }
    }
    Ok(EXIT_OK)
}

fn app_row(w: &Workload) -> AppRow {
    AppRow {
        name: w.name.clone(),
        namespace: w.namespace.clone(),
        image: w.main_container().image.clone(),
        kind: match w.controller {
            Controller::Deployment { .. } => "Deployment",
            Controller::StatefulSet { .. } => "StatefulSet",
            Controller::CronJob { .. } => "CronJob",
            Controller::Job { .. } => "Job",
            Controller::ScaledJob { .. } => "ScaledJob",
        },
        replicas: match w.replicas {
            Replicas::Fixed(n) => Some(n),
            Replicas::Autoscaled | Replicas::NotApplicable => None,
        },
        autoscaled: matches!(w.replicas, Replicas::Autoscaled),
        scaling: scaling_name(&w.scaling),
        route: w.routes.first().map(|r| {
            let host = r.hosts.first().map(String::as_str).unwrap_or("*");
            format!("{host}{}", r.path)
        }),
    }
}

/// The apps.yaml name of a scaling kind.
pub fn scaling_name(scaling: &Scaling) -> &'static str {
    match scaling {
        Scaling::None => "none",
        Scaling::Hpa { .. } => "hpa",
        Scaling::Http { .. } => "keda-http",
        Scaling::Queue { .. } => "keda-queue",
        Scaling::Cron { .. } => "keda-cron",
    }
}

fn table(rows: &[AppRow]) -> String {
    let header = [
        "NAME",
        "NAMESPACE",
        "KIND",
        "REPLICAS",
        "SCALING",
        "ROUTE",
        "IMAGE",
    ];
    let body = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.namespace.clone(),
                r.kind.to_string(),
                match (r.replicas, r.autoscaled) {
                    (Some(n), _) => n.to_string(),
                    (None, true) => "auto".to_string(),
                    (None, false) => "-".to_string(),
                },
                r.scaling.to_string(),
                r.route.clone().unwrap_or_else(|| "-".to_string()),
                r.image.clone(),
            ]
        })
        .collect();
    super::list::format_table(&header, body)
}
