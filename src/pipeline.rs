//! The whole run for one environment — resolve, lower, render — shared by `validate`,
//! `generate`, `list` and the per-section commands, so they can never disagree.

use std::collections::BTreeMap;

use crate::check::{Origin, check_manifests, looser, pod_template, standard_met};
use crate::config::{PodSecurityProfile, Project, Section};
use crate::diagnostic::Diagnostics;
use crate::images::ImageTags;
use crate::lower::{
    ApplicationPlan, GatewayRoute, LowerContext, Lowered, LoweredEnvironment, ProjectPlan,
    TreeLocation, lower_environment,
};
use crate::render::argocd::{render_application, render_project};
use crate::render::{
    Manifest, PodSecurityLevels, RenderContext, render_namespace, render_routes, render_workload,
    sort_manifests,
};
use crate::resolve::{Inputs, Resolved, resolve_all};
use crate::workload::LoweredEntry;

/// Everything one environment produces.
#[derive(Debug)]
pub struct EnvironmentPlan {
    pub resolved: Resolved,
    pub entries: Vec<EntryOutput>,
    /// The Namespaces the workloads run in (YAML documents), by name.
    pub namespaces: Vec<String>,
    /// The names of those Namespaces, in the same order.
    pub namespace_names: Vec<String>,
    /// The Helm charts the environment deploys.
    pub helm: Vec<crate::lower::HelmRelease>,
    /// The gateway's objects (YAML documents), when it has routes.
    pub gateway: Vec<String>,
    /// The Argo CD Applications and project (none when the repository URL is unknown).
    pub applications: Vec<Checked<ApplicationPlan>>,
    pub project: Option<Checked<ProjectPlan>>,
    /// The root Application and its AppProject, as YAML documents.
    pub root: Option<RootDocuments>,
    pub warnings: Diagnostics,
}

/// What the user applies once per environment to bootstrap Argo CD.
#[derive(Debug)]
pub struct RootDocuments {
    pub application: String,
    pub project: String,
}

/// One apps.yaml entry's rendered objects and extra files.
#[derive(Debug)]
pub struct EntryOutput {
    pub section: Section,
    pub name: String,
    pub namespace: String,
    /// Its objects as YAML documents (no `---`), in apply order. The typed objects are checked
    /// and dropped as soon as they are written out, which keeps memory low for large files.
    pub documents: Vec<String>,
    pub lowered: LoweredEntry,
}

/// An Argo CD object's plan and the object, checked like every other, as a YAML document
/// (empty when documents are not asked for).
#[derive(Debug)]
pub struct Checked<P> {
    pub plan: P,
    pub document: String,
}

impl EnvironmentPlan {
    pub fn warnings(&self) -> &Diagnostics {
        &self.warnings
    }
}

/// What planning an environment needs besides apps.yaml.
pub struct PlanOptions<'a> {
    pub inputs: &'a Inputs,
    pub images: &'a ImageTags,
    pub location: &'a TreeLocation,
    /// Write each object out as YAML (`validate` only needs the checks).
    pub documents: bool,
}

/// Resolves, lowers, renders and checks one environment.
pub fn plan_environment(
    project: &Project,
    env: &str,
    options: &PlanOptions<'_>,
) -> Result<EnvironmentPlan, Diagnostics> {
    // Entries that do not resolve are left out, so that the others are still lowered and
    // checked: every problem of the run is reported at once.
    let (resolved, mut problems) = resolve_all(project, env, options.inputs)?;
    match plan_resolved(resolved, options) {
        Ok(plan) if !problems.has_errors() => Ok(plan),
        Ok(plan) => {
            problems.extend(plan.warnings);
            Err(problems)
        }
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// Lowers, renders and checks a resolved environment: the one path every command takes, so
/// they can never disagree (`k3s compose convert` resolves an environment of its own).
pub fn plan_resolved(
    resolved: Resolved,
    options: &PlanOptions<'_>,
) -> Result<EnvironmentPlan, Diagnostics> {
    let PlanOptions {
        images,
        location,
        documents,
        ..
    } = *options;
    let env = resolved.env.clone();
    let lowered = {
        let cx = LowerContext {
            resolved: &resolved,
            images,
        };
        lower_environment(&cx, location)?
    };
    let ctx = RenderContext {
        env: env.to_string(),
        ingress: resolved.ingress,
    };
    let LoweredEnvironment {
        entries: lowered_entries,
        gateway: gateway_routes,
        namespaces: namespace_plans,
        helm,
        applications,
        project,
        root,
        warnings,
    } = lowered;
    let mut problems = Diagnostics::new();
    let mut standards = BTreeMap::new();
    let entries = lowered_entries
        .into_iter()
        .map(|entry| render_entry(entry, &ctx, documents, &mut standards, &mut problems))
        .collect();
    let namespaces = namespace_plans
        .iter()
        .map(|plan| {
            let met = standards
                .get(&plan.name)
                .copied()
                .unwrap_or(PodSecurityProfile::Restricted);
            let levels = PodSecurityLevels {
                // A chart's pods are not known here: enforcing what ours meet could refuse them.
                enforce: if plan.helm {
                    PodSecurityProfile::Privileged
                } else {
                    met
                },
                audit_and_warn: met,
            };
            let origin = Origin {
                span: Some(plan.span),
                field: &plan.field,
            };
            let namespace = Manifest::new(render_namespace(&plan.name, levels));
            checked(namespace, &origin, documents, &mut problems)
        })
        .collect();
    let (gateway, gateway_kinds) = render_gateway(&gateway_routes, &ctx, &mut problems);
    let mut root = root;
    if let Some(root) = &mut root {
        let gateway_in_root = applications
            .iter()
            .any(|a| a.file == "gateway.yaml" && a.project == root.project.name);
        if gateway_in_root {
            for kind in gateway_kinds {
                let kind = ("*".to_string(), kind.to_string());
                if !root.project.namespace_kinds.contains(&kind) {
                    root.project.namespace_kinds.push(kind);
                }
            }
        }
    }
    let applications = applications
        .into_iter()
        .map(|plan| {
            let application = Manifest::new(render_application(&plan));
            let origin = Origin {
                span: plan.span,
                field: &plan.field,
            };
            let document = checked(application, &origin, documents, &mut problems);
            Checked { plan, document }
        })
        .collect();
    let project = project.map(|plan| {
        let object = Manifest::new(render_project(&plan));
        let origin = Origin {
            span: plan.span,
            field: "argocd.project",
        };
        let document = checked(object, &origin, documents, &mut problems);
        Checked { plan, document }
    });
    let root = root.map(|root| {
        let application = Manifest::new(render_application(&root.application));
        let origin = Origin {
            span: root.application.span,
            field: &root.application.field,
        };
        let application = checked(application, &origin, documents, &mut problems);
        let project = Manifest::new(render_project(&root.project));
        let origin = Origin {
            span: root.project.span,
            field: "argocd.project",
        };
        let project = checked(project, &origin, documents, &mut problems);
        RootDocuments {
            application,
            project,
        }
    });
    if problems.has_errors() {
        return Err(problems);
    }
    Ok(EnvironmentPlan {
        resolved,
        entries,
        namespace_names: namespace_plans.iter().map(|p| p.name.clone()).collect(),
        namespaces,
        helm,
        gateway,
        applications,
        project,
        root,
        warnings,
    })
}

/// Renders one entry's workloads, checks the objects (problems go to `problems`), and keeps
/// them as YAML documents in apply order when `documents` is set. `standards` gets, for each
/// namespace, the strictest Pod Security Standard that all its pods so far meet.
fn render_entry(
    entry: Lowered,
    ctx: &RenderContext,
    documents: bool,
    standards: &mut BTreeMap<String, PodSecurityProfile>,
    problems: &mut Diagnostics,
) -> EntryOutput {
    let mut manifests = Vec::new();
    for workload in &entry.entry.workloads {
        let rendered = render_workload(workload, ctx);
        let origin = Origin {
            span: Some(workload.name_span),
            field: &workload.field,
        };
        check_manifests(&rendered, &origin, problems);
        for manifest in &rendered {
            if let Some(template) = pod_template(manifest) {
                let namespace = manifest.namespace().unwrap_or(&workload.namespace);
                let met = standard_met(template);
                standards
                    .entry(namespace.to_string())
                    .and_modify(|s| *s = looser(*s, met))
                    .or_insert(met);
            }
        }
        manifests.extend(rendered);
    }
    sort_manifests(&mut manifests);
    EntryOutput {
        section: entry.section,
        name: entry.name,
        namespace: entry.namespace,
        documents: if documents {
            manifests.iter().map(Manifest::to_yaml).collect()
        } else {
            Vec::new()
        },
        lowered: entry.entry,
    }
}

/// Checks one object; its YAML document when `documents` is set, else empty.
fn checked(
    manifest: Manifest,
    origin: &Origin<'_>,
    documents: bool,
    problems: &mut Diagnostics,
) -> String {
    let manifests = [manifest];
    check_manifests(&manifests, origin, problems);
    if documents {
        manifests[0].to_yaml()
    } else {
        String::new()
    }
}

/// The gateway's routes, each in its target's namespace, labelled as the gateway's, and
/// checked at the route that made them.
fn render_gateway(
    routes: &[GatewayRoute],
    ctx: &RenderContext,
    problems: &mut Diagnostics,
) -> (Vec<String>, Vec<&'static str>) {
    let labels = BTreeMap::from([
        (
            "app.kubernetes.io/managed-by".to_string(),
            "k3s".to_string(),
        ),
        (
            "app.kubernetes.io/part-of".to_string(),
            "gateway".to_string(),
        ),
    ]);
    let mut manifests = Vec::new();
    for g in routes {
        let rendered = render_routes(std::slice::from_ref(&g.route), &g.namespace, &labels, ctx);
        let origin = Origin {
            span: Some(g.span),
            field: &g.field,
        };
        check_manifests(&rendered, &origin, problems);
        manifests.extend(rendered);
    }
    sort_manifests(&mut manifests);
    let mut kinds: Vec<&'static str> = manifests.iter().map(Manifest::kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    (manifests.iter().map(Manifest::to_yaml).collect(), kinds)
}

/// Runs `work` for every environment (its name, or what was made of it) and returns the results
/// in the order given. Environments are independent once apps.yaml is loaded, so they are shared
/// out to one thread per core: more threads than cores would only hold more environments in
/// memory at once.
pub fn for_each_environment<E: Sync, T: Send>(
    environments: &[E],
    work: impl Fn(&E) -> T + Sync,
) -> Vec<T> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = cores.min(environments.len());
    if threads < 2 {
        return environments.iter().map(&work).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let take_next = || next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = take_next();
                        let Some(env) = environments.get(index) else {
                            break done;
                        };
                        done.push((index, work(env)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("planning an environment does not panic"))
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// The environments a command acts on: those named, or every declared one.
pub fn selected_environments(project: &Project, named: &[String]) -> Vec<String> {
    if named.is_empty() {
        project
            .environment_names()
            .into_iter()
            .map(str::to_string)
            .collect()
    } else {
        named.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::for_each_environment;

    #[test]
    fn environments_are_planned_once_each_and_returned_in_the_order_given() {
        // More environments than any test machine has cores, so workers take several each.
        let environments: Vec<String> = (0..40).map(|i| format!("env-{i}")).collect();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let results = for_each_environment(&environments, |env| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("planned {env}")
        });
        let expected: Vec<String> = environments
            .iter()
            .map(|e| format!("planned {e}"))
            .collect();
        assert_eq!(results, expected);
        assert_eq!(calls.into_inner(), 40);
    }
}
