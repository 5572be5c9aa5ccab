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
    /// The Namespaces the manifests create, to apply before anything else.
    pub namespaces: Vec<String>,
    /// The Helm charts the environment deploys (Tilt installs them with `helm_resource`).
    pub helm: Vec<HelmPlan>,
    /// Every file and directory k3s read to plan the environment (apps.yaml, env files,
    /// compose files, function sources, templates), relative to apps.yaml's directory: what
    /// Tilt watches to reload.
    pub inputs: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct HelmPlan {
    /// The apps.yaml entry (and Tilt resource).
    pub name: String,
    pub namespace: String,
    pub release_name: String,
    /// What `helm install` takes: `oci://registry/path/chart`, or the chart's name with `repo`.
    pub chart: String,
    /// `helm install --repo`; absent for OCI charts.
    pub repo: Option<String>,
    pub version: String,
    /// Values files relative to apps.yaml's directory, in the order Helm applies them.
    pub values: Vec<String>,
    /// Entries this one depends on (`depends_on`), by name.
    pub depends_on: Vec<String>,
    /// The release creates its namespace (`helm install --create-namespace`): k3s writes no
    /// Namespace for a namespace only charts use.
    pub create_namespace: bool,
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
    /// Only for workloads that always run a pod: none when the workload may scale to zero
    /// (there is no pod to forward to), see `scales_to_zero`.
    pub port_forwards: Vec<PortForwardPlan>,
    /// The workload may have no pod (minimum replicas 0, or a Job/CronJob).
    pub scales_to_zero: bool,
    /// Entries this workload's entry depends on (`depends_on`), by name.
    pub depends_on: Vec<String>,
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
            let scales_to_zero = may_have_no_pod(workload);
            let port_forwards = forwards.remove(&workload.name).unwrap_or_default();
            workloads.push(WorkloadPlan {
                name: workload.name.clone(),
                namespace: workload.namespace.clone(),
                entry: format!("{}.{}", entry.section.key(), entry.name),
                port_forwards: if scales_to_zero {
                    Vec::new()
                } else {
                    port_forwards
                },
                scales_to_zero,
                depends_on: depends_on(plan, &entry.name),
            });
        }
    }
    let helm = plan
        .helm
        .iter()
        .map(|release| {
            let (chart, repo) = if release.oci {
                (
                    format!("oci://{}/{}", release.repo_url, release.chart),
                    None,
                )
            } else {
                (release.chart.clone(), Some(release.repo_url.clone()))
            };
            HelmPlan {
                name: release.name.clone(),
                namespace: release.namespace.clone(),
                release_name: release.release_name.clone(),
                chart,
                repo,
                version: release.version.clone(),
                values: release.values.clone(),
                depends_on: depends_on(plan, &release.name),
                create_namespace: release.create_namespace,
            }
        })
        .collect();
    BuildPlan {
        environment: plan.resolved.env.clone(),
        images,
        external_images: external.into_iter().collect(),
        workloads,
        namespaces: plan.namespace_names.clone(),
        helm,
        inputs: crate::reads::recorded()
            .iter()
            .map(|path| relative(dir, path))
            .collect(),
    }
}

/// Whether a workload can be without a pod: scaled to zero, or run to completion.
fn may_have_no_pod(workload: &crate::workload::Workload) -> bool {
    use crate::workload::{Replicas, Scaling};
    match workload.replicas {
        Replicas::Fixed(n) => n == 0,
        Replicas::NotApplicable => true,
        Replicas::Autoscaled => match &workload.scaling {
            Scaling::Hpa { min, .. } | Scaling::Http { min, .. } | Scaling::Queue { min, .. } => {
                *min == 0
            }
            _ => false,
        },
    }
}

/// The entries `name` depends on in this environment (`depends_on`), by name.
fn depends_on(plan: &EnvironmentPlan, name: &str) -> Vec<String> {
    let r = &plan.resolved;
    let deps = r
        .apps
        .iter()
        .map(|e| (&e.name, &e.spec.depends_on))
        .chain(r.serverless.iter().map(|e| (&e.name, &e.spec.depends_on)))
        .chain(r.compose.iter().map(|e| (&e.name, &e.spec.depends_on)))
        .chain(r.helm.iter().map(|e| (&e.name, &e.spec.depends_on)))
        .find(|(n, _)| n.value == name)
        .map(|(_, deps)| deps.clone())
        .unwrap_or_default();
    let enabled = |target: &str| {
        plan.entries.iter().any(|e| e.name == target) || plan.helm.iter().any(|h| h.name == target)
    };
    deps.iter()
        .map(|dep| dep.name.value.clone())
        .filter(|target| enabled(target))
        .collect()
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
