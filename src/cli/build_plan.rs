//! `k3s build-plan`: every image an environment builds — reference, context, Dockerfile (or its
//! generated contents), target, build args, and for Tilt the live-update syncs and port
//! forwards — plus the prebuilt images it pulls. The one source a Tiltfile or CI script reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::generate::ImageArgs;
use super::{CommandResult, Context, EXIT_OK, Failure, print_diagnostics};
use crate::lower::TreeLocation;
use crate::pipeline::{EnvironmentPlan, PlanOptions, plan_environment};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum PlanFormat {
    /// The whole plan, for Tilt and CI
    #[default]
    Json,
    /// Image, context and Dockerfile columns
    Table,
    /// Only the references of the images built, one a line
    Name,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Environment to plan
    #[arg(short, long, add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
    pub env: String,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: PlanFormat,
    #[command(flatten)]
    pub images: ImageArgs,
}

#[derive(Debug, Serialize)]
pub struct BuildPlan {
    pub environment: String,
    /// Images built from this repository.
    pub images: Vec<ImagePlan>,
    /// Images the manifests use as they are (pulled, not built).
    pub external_images: Vec<String>,
    /// Every workload, with the entry it belongs to and its port forwards (for Tilt resources).
    pub workloads: Vec<WorkloadPlan>,
}

#[derive(Debug, Serialize)]
pub struct ImagePlan {
    /// The `--image NAME=TAG` key.
    pub name: String,
    /// The exact reference the manifests use.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Relative to the directory of apps.yaml.
    pub context: String,
    /// Relative to the directory of apps.yaml; absent when the Dockerfile is generated.
    pub dockerfile: Option<String>,
    /// The generated Dockerfile (function projects), when there is no file to point at.
    pub dockerfile_contents: Option<String>,
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
    pub live_update: bool,
    pub sync: Vec<SyncPlan>,
    /// The workloads that run this image.
    pub workloads: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SyncPlan {
    pub src: String,
    pub dest: String,
}

#[derive(Debug, Serialize)]
pub struct WorkloadPlan {
    pub name: String,
    pub namespace: String,
    /// `apps.web`, `serverless.fns`, `compose.stack`.
    pub entry: String,
    pub port_forwards: Vec<PortForwardPlan>,
}

#[derive(Debug, Serialize)]
pub struct PortForwardPlan {
    pub local: u16,
    pub container: u16,
}

pub fn run(context: &Context, args: &Args) -> CommandResult {
    let (project, mut diagnostics) = context.load()?;
    let images = args.images.tags()?;
    let options = PlanOptions {
        inputs: &context.inputs,
        images: &images,
        location: &TreeLocation::default(),
        documents: false,
    };
    let plan = match plan_environment(&project, &args.env, &options) {
        Ok(plan) => plan,
        Err(d) => {
            diagnostics.extend(d);
            return Err(Failure::Invalid(diagnostics));
        }
    };
    diagnostics.extend(plan.warnings.clone());
    diagnostics.extend(images.unused());
    if diagnostics.has_errors() {
        return Err(Failure::Invalid(diagnostics));
    }
    print_diagnostics(&diagnostics);
    let build_plan = build_plan(&plan);
    match args.output {
        PlanFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&build_plan).expect("JSON serializes")
        ),
        PlanFormat::Table => {
            let mut rows = Vec::new();
            for image in &build_plan.images {
                rows.push(vec![
                    image.reference.clone(),
                    image.context.clone(),
                    image
                        .dockerfile
                        .clone()
                        .unwrap_or_else(|| "(generated)".to_string()),
                ]);
            }
            let header = ["IMAGE", "CONTEXT", "DOCKERFILE"];
            out!("{}", super::list::format_table(&header, rows));
        }
        PlanFormat::Name => {
            for image in &build_plan.images {
                outln!("{}", image.reference);
            }
        }
    }
    Ok(EXIT_OK)
}

/// The build plan of a planned environment.
pub fn build_plan(plan: &EnvironmentPlan) -> BuildPlan {
    let dir = &plan.resolved.dir;
    let mut images: Vec<ImagePlan> = Vec::new();
    let mut built = BTreeSet::new();
    let mut forwards: BTreeMap<String, Vec<PortForwardPlan>> = BTreeMap::new();
    for entry in &plan.entries {
        for build in &entry.lowered.builds {
            for forward in &build.port_forwards {
                forwards
                    .entry(forward.workload.clone())
                    .or_default()
                    .push(PortForwardPlan {
                        local: forward.local_port,
                        container: forward.container_port,
                    });
            }
            if !built.insert(build.reference.clone()) {
                continue;
            }
            let generated = entry
                .lowered
                .files
                .iter()
                .find(|(name, _)| {
                    build.dockerfile.is_relative() && Path::new(name) == build.dockerfile
                })
                .map(|(_, text)| text.clone());
            images.push(ImagePlan {
                name: build.name.clone(),
                reference: build.reference.clone(),
                context: relative(dir, &build.context),
                dockerfile: generated
                    .is_none()
                    .then(|| relative(dir, &build.dockerfile)),
                dockerfile_contents: generated,
                target: build.target.clone(),
                build_args: build.args.clone(),
                live_update: build.live_update,
                sync: build
                    .sync
                    .iter()
                    .map(|(src, dest)| SyncPlan {
                        src: relative(dir, src),
                        dest: dest.clone(),
                    })
                    .collect(),
                workloads: Vec::new(),
            });
        }
    }
    let mut external = BTreeSet::new();
    let mut workloads = Vec::new();
    for entry in &plan.entries {
        for workload in &entry.lowered.workloads {
            let pod = &workload.pod;
            for container in pod.containers.iter().chain(&pod.init_containers) {
                match images.iter_mut().find(|i| i.reference == container.image) {
                    Some(image) => {
                        if !image.workloads.contains(&workload.name) {
                            image.workloads.push(workload.name.clone());
                        }
                    }
                    None => {
                        external.insert(container.image.clone());
                    }
                }
            }
            workloads.push(WorkloadPlan {
                name: workload.name.clone(),
                namespace: workload.namespace.clone(),
                entry: format!("{}.{}", entry.section.key(), entry.name),
                port_forwards: forwards.remove(&workload.name).unwrap_or_default(),
            });
        }
    }
    BuildPlan {
        environment: plan.resolved.env.clone(),
        images,
        external_images: external.into_iter().collect(),
        workloads,
    }
}

/// A path relative to apps.yaml's directory, `/`-separated (absolute when outside it).
fn relative(dir: &Path, path: &Path) -> String {
    let relative: PathBuf = path
        .strip_prefix(dir)
        .map_or_else(|_| path.to_path_buf(), Path::to_path_buf);
    let text = relative.to_string_lossy().replace('\\', "/");
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}
