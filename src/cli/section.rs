//! What `k3s app` and `k3s fn` share: plan one environment, find one entry's output, print or
//! write its manifests (and extra files such as a function project's Dockerfile).

use std::path::Path;

use super::{Context, Failure};
use crate::config::Section;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::emit::{Owner, Tree, header, holds_secret, write_files};
use crate::images::ImageTags;
use crate::lower::TreeLocation;
use crate::pipeline::{EntryOutput, EnvironmentPlan, PlanOptions, plan_environment};

/// Plans `env` (every entry: apps.yaml is checked as a whole) and returns it.
pub fn plan(context: &Context, env: &str) -> Result<EnvironmentPlan, Failure> {
    let (project, mut diagnostics) = context.load()?;
    let images = ImageTags::new();
    let options = PlanOptions {
        inputs: &context.inputs,
        images: &images,
        location: &TreeLocation::default(),
        documents: true,
    };
    match plan_environment(&project, env, &options) {
        Ok(plan) if !diagnostics.has_errors() => {
            super::print_diagnostics(plan.warnings());
            Ok(plan)
        }
        Ok(_) => Err(Failure::Invalid(diagnostics)),
        Err(d) => {
            diagnostics.extend(d);
            Err(Failure::Invalid(diagnostics))
        }
    }
}

/// `k3s app|fn|compose generate`: plans `env` (or the first declared environment) and prints or
/// writes the one entry's manifests, under `output` in `subdir` (empty for `DIR/manifests.yaml`).
pub fn generate_entry(
    context: &Context,
    section: Section,
    name: &str,
    env: Option<&str>,
    output: Option<&Path>,
    subdir: &Path,
) -> Result<(), Failure> {
    let env = environment(context, env)?;
    let plan = plan(context, &env)?;
    let entry = find(&plan, section, name)?;
    emit(entry, &env, output, subdir)
}

/// The entry of `section` named `name`, or an error listing the names there are.
pub fn find<'a>(
    plan: &'a EnvironmentPlan,
    section: Section,
    name: &str,
) -> Result<&'a EntryOutput, Failure> {
    if let Some(entry) = plan
        .entries
        .iter()
        .find(|e| e.section == section && e.name == name)
    {
        return Ok(entry);
    }
    let names: Vec<&str> = plan
        .entries
        .iter()
        .filter(|e| e.section == section)
        .map(|e| e.name.as_str())
        .collect();
    let disabled = plan
        .resolved
        .disabled
        .iter()
        .any(|(s, n)| *s == section && n.value == name);
    let mut d = Diagnostic::error(
        Code::UnknownEntry,
        if disabled {
            format!(
                "`{name}` is disabled in environment `{}`",
                plan.resolved.env
            )
        } else {
            format!("no `{}` entry is named `{name}`", section.key())
        },
    );
    if let Some(s) = did_you_mean(name, names.iter().copied()) {
        d = d.help(format!("did you mean `{s}`?"));
    }
    if !disabled {
        d = d.help(format!(
            "entries: {}",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        ));
    }
    let mut diagnostics = Diagnostics::new();
    diagnostics.push(d);
    Err(Failure::Invalid(diagnostics))
}

/// The entry's manifests as one stream on stdout, or written to `output/subdir/manifests.yaml`
/// (and its extra files beside it) through emit: contained, each file replaced by a rename,
/// no file without the header overwritten, Secret-holding files 0600.
pub fn emit(
    entry: &EntryOutput,
    env: &str,
    output: Option<&Path>,
    subdir: &Path,
) -> Result<(), Failure> {
    let mut stream = header(env);
    for document in &entry.documents {
        stream.push_str("---\n");
        stream.push_str(document);
    }
    let Some(dir) = output else {
        out!("{stream}");
        return Ok(());
    };
    let mut tree = Tree::new(Owner::environment(env));
    if holds_secret(entry) {
        tree.insert_secret(subdir.join("manifests.yaml"), stream);
    } else {
        tree.insert(subdir.join("manifests.yaml"), stream);
    }
    for (name, text) in &entry.lowered.files {
        tree.insert(subdir.join(name), format!("{}{text}", header(env)));
    }
    write_files(dir, &tree)?;
    for path in tree.files.keys() {
        outln!("{}", dir.join(path).display());
    }
    Ok(())
}

/// The environment a command acts on: the one named, or the first declared.
pub fn environment(context: &Context, named: Option<&str>) -> Result<String, Failure> {
    match named {
        Some(env) => Ok(env.to_string()),
        None => {
            let (project, _) = context.load()?;
            project
                .environment_names()
                .first()
                .map(|e| e.to_string())
                .ok_or_else(|| Failure::Usage("apps.yaml declares no environment".to_string()))
        }
    }
}
