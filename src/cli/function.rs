//! `k3s fn list NAME|PATH` and `k3s fn generate NAME`: a function project's functions (what
//! each becomes, as JSON a Tiltfile can read) and its manifests with the generated Dockerfile;
//! `k3s fn run` is in `function_run.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::{CommandResult, Context, EXIT_OK, Failure, ListFormat, section};
use crate::config::Section;
use crate::diagnostic::display_path;
use crate::sources::python::{DiscoveredFunction, Trigger, discover};
use crate::workload::{EnvSource, Scaling, Workload};

#[derive(Debug, clap::Subcommand)]
pub enum FnCommand {
    /// List a project's functions: trigger, path/queue/cron, visibility, resources, scaling
    #[command(
        after_help = "Examples:\n  k3s fn list fns\n  k3s fn list fns --env gcp -o json\n  k3s fn list ./functions"
    )]
    List {
        /// A `serverless:` entry of apps.yaml, or a project directory (decorators only)
        #[arg(add = clap_complete::ArgValueCandidates::new(super::completions::functions))]
        target: String,
        /// Environment, for an entry [default: the first declared]
        #[arg(short, long, add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
        env: Option<String>,
        /// Output format
        #[arg(short, long, value_enum, default_value_t)]
        output: ListFormat,
    },
    /// Print (or write) a function project's manifests; --output-dir also writes its Dockerfile
    #[command(
        after_help = "Examples:\n  k3s fn generate fns\n  k3s fn generate fns --env gcp --output-dir out",
        mut_arg("output_dir", |a| a.help("Write DIR/manifests.yaml and DIR/Dockerfile instead of printing"))
    )]
    Generate {
        /// The `serverless:` entry's name in apps.yaml
        #[arg(add = clap_complete::ArgValueCandidates::new(super::completions::functions))]
        name: String,
        /// Environment [default: the first declared]
        #[arg(short, long, add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
        env: Option<String>,
        #[command(flatten)]
        output: super::ManifestOutput,
    },
    /// Run a project's functions locally with the k3sfn runtime: HTTP ones on port_base,
    /// port_base+1, …, queue workers against --redis, scheduled ones with --once; Ctrl-C stops
    /// them all
    #[command(
        after_help = "Examples:\n  k3s fn run fns\n  k3s fn run fns hello --port-base 9000\n  k3s fn run fns nightly --once\n  k3s fn run fns --redis redis://localhost:6379"
    )]
    Run(super::function_run::RunArgs),
}

#[derive(Debug, Serialize)]
struct FunctionRow {
    name: String,
    /// The Kubernetes name (only for an apps.yaml entry).
    workload: Option<String>,
    file: String,
    line: usize,
    trigger: &'static str,
    path: Option<String>,
    methods: Vec<String>,
    queue: Option<String>,
    mode: Option<String>,
    cron: Option<String>,
    timezone: Option<String>,
    visibility: String,
    resources: BTreeMap<String, String>,
    scaling: Option<ScalingRow>,
    /// Local port Tilt forwards (dev), when `port_base` is set.
    port_forward: Option<u16>,
}

#[derive(Debug, Serialize)]
struct ScalingRow {
    #[serde(rename = "type")]
    kind: &'static str,
    min: Option<u32>,
    max: Option<u32>,
}

pub fn run(context: &Context, command: &FnCommand) -> CommandResult {
    match command {
        FnCommand::Run(args) => return super::function_run::run(context, args),
        FnCommand::Generate { name, env, output } => {
            section::generate_entry(
                context,
                Section::Serverless,
                name,
                env.as_deref(),
                output.dir().as_deref(),
                std::path::Path::new(""),
            )?;
        }
        FnCommand::List {
            target,
            env,
            output,
        } => {
            let rows = if Path::new(target).is_dir() && !is_entry(context, target) {
                rows_from_directory(Path::new(target))?
            } else {
                rows_from_entry(context, target, env.as_deref())?
            };
            match output {
                ListFormat::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({ "functions": rows }))
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

/// Whether apps.yaml (if there is one) has a serverless entry of that name.
fn is_entry(context: &Context, name: &str) -> bool {
    context.load().is_ok_and(|(project, _)| {
        project
            .entries
            .iter()
            .any(|e| e.section == Section::Serverless && e.name.value == name)
    })
}

/// A project directory without apps.yaml: what its decorators say.
fn rows_from_directory(dir: &Path) -> Result<Vec<FunctionRow>, Failure> {
    let discovery = discover(dir, &display_path(dir)).map_err(Failure::Invalid)?;
    super::print_diagnostics(&discovery.warnings);
    Ok(discovery
        .functions
        .iter()
        .map(|f| {
            let mut row = base_row(f);
            row.visibility = f
                .settings
                .visibility
                .as_ref()
                .map_or("private", |v| visibility_name(v.value))
                .to_string();
            for (key, value) in [
                ("memory", &f.settings.memory),
                ("cpu", &f.settings.cpu),
                ("memory_limit", &f.settings.memory_limit),
                ("cpu_limit", &f.settings.cpu_limit),
            ] {
                if let Some(value) = value {
                    row.resources.insert(key.to_string(), value.value.clone());
                }
            }
            row
        })
        .collect())
}

/// An apps.yaml entry: discovery plus what lowering decided for each function.
fn rows_from_entry(
    context: &Context,
    name: &str,
    env: Option<&str>,
) -> Result<Vec<FunctionRow>, Failure> {
    let env = section::environment(context, env)?;
    let plan = section::plan(context, &env)?;
    let entry = section::find(&plan, Section::Serverless, name)?;
    let spec = &plan
        .resolved
        .serverless
        .iter()
        .find(|e| e.name.value == name)
        .expect("a planned entry was resolved")
        .spec;
    let dir = plan.resolved.dir.join(&spec.path.value);
    let discovery = discover(&dir, &display_path(&dir)).map_err(Failure::Invalid)?;
    let forwards: BTreeMap<&str, u16> = entry
        .lowered
        .builds
        .iter()
        .flat_map(|b| b.port_forwards.iter())
        .map(|p| (p.workload.as_str(), p.local_port))
        .collect();
    Ok(discovery
        .functions
        .iter()
        .map(|f| {
            let mut row = base_row(f);
            row.visibility =
                visibility_name(crate::lower::function_visibility(spec, f)).to_string();
            if let Some(w) = entry.lowered.workloads.iter().find(|w| runs(w, &f.name)) {
                row.workload = Some(w.name.clone());
                let resources = &w.main_container().resources;
                for (key, quantity) in &resources.requests {
                    row.resources.insert(key.clone(), quantity.to_string());
                }
                for (key, quantity) in &resources.limits {
                    row.resources
                        .insert(format!("{key}_limit"), quantity.to_string());
                }
                row.scaling = Some(scaling_row(&w.scaling));
                row.port_forward = forwards.get(w.name.as_str()).copied();
            }
            row
        })
        .collect())
}

/// Whether the workload serves this Python function (its `K3SFN_FUNCTION`).
fn runs(w: &Workload, function: &str) -> bool {
    w.main_container()
        .env
        .iter()
        .any(|v| v.name == "K3SFN_FUNCTION" && v.value == EnvSource::Literal(function.to_string()))
}

fn base_row(f: &DiscoveredFunction) -> FunctionRow {
    let mut row = FunctionRow {
        name: f.name.clone(),
        workload: None,
        file: f.file.display().to_string(),
        line: f.span.line_col().0,
        trigger: "",
        path: None,
        methods: Vec::new(),
        queue: None,
        mode: None,
        cron: None,
        timezone: None,
        visibility: String::new(),
        resources: BTreeMap::new(),
        scaling: None,
        port_forward: None,
    };
    match &f.trigger {
        Trigger::Http(t) => {
            row.trigger = "http";
            row.path = Some(t.path.value.clone());
            row.methods = t
                .methods
                .iter()
                .map(|m| m.value.as_str().to_string())
                .collect();
        }
        Trigger::Queue(t) => {
            row.trigger = "queue";
            row.queue = Some(t.queue_name.value.clone());
            row.mode = Some(t.mode.value.as_str().to_string());
        }
        Trigger::Schedule(t) => {
            row.trigger = "schedule";
            row.cron = Some(t.cron.value.clone());
            row.timezone = Some(t.timezone.value.clone());
        }
    }
    row
}

fn scaling_row(scaling: &Scaling) -> ScalingRow {
    let (min, max) = match scaling {
        Scaling::Hpa { min, max, .. }
        | Scaling::Http { min, max, .. }
        | Scaling::Queue { min, max, .. }
        | Scaling::Cron { min, max, .. } => (Some(*min), Some(*max)),
        Scaling::None => (None, None),
    };
    ScalingRow {
        kind: super::app::scaling_name(scaling),
        min,
        max,
    }
}

fn visibility_name(v: crate::config::Visibility) -> &'static str {
    match v {
        crate::config::Visibility::Public => "public",
        crate::config::Visibility::Internal => "internal",
        crate::config::Visibility::Private => "private",
        crate::config::Visibility::Restricted => "restricted",
    }
}

fn table(rows: &[FunctionRow]) -> String {
    let header = [
        "NAME",
        "TRIGGER",
        "PATH/QUEUE/CRON",
        "VISIBILITY",
        "SCALING",
        "FILE",
    ];
    let mut lines = Vec::new();
    for r in rows {
        let what = r
            .path
            .clone()
            .or_else(|| r.queue.clone())
            .or_else(|| r.cron.clone())
            .unwrap_or_default();
        let scaling = r
            .scaling
            .as_ref()
            .map_or("-".to_string(), |s| match (s.min, s.max) {
                (Some(min), Some(max)) => format!("{} {min}-{max}", s.kind),
                _ => s.kind.to_string(),
            });
        lines.push(vec![
            r.name.clone(),
            r.trigger.to_string(),
            what,
            r.visibility.clone(),
            scaling,
            format!("{}:{}", r.file, r.line),
        ]);
    }
    super::list::format_table(&header, lines)
}
