//! Argo CD sync waves from `depends_on`: an entry's wave is one more than the highest wave of
//! what it depends on; an unknown dependency or a cycle is an error.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Dependency, DependencyType, Section};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Span};
use crate::resolve::Resolved;

/// Sync wave per entry: one more than the highest wave of what it depends on. Unknown
/// dependencies and cycles are errors; a dependency disabled in this environment is skipped.
pub(super) fn sync_waves(resolved: &Resolved, d: &mut Diagnostics) -> BTreeMap<String, i32> {
    let mut graph: BTreeMap<String, (Section, Span, Vec<Dependency>)> = BTreeMap::new();
    for e in &resolved.helm {
        graph.insert(
            e.name.value.clone(),
            (e.section, e.name.span, e.spec.depends_on.clone()),
        );
    }
    for e in &resolved.serverless {
        graph.insert(
            e.name.value.clone(),
            (e.section, e.name.span, e.spec.depends_on.clone()),
        );
    }
    for e in &resolved.apps {
        graph.insert(
            e.name.value.clone(),
            (e.section, e.name.span, e.spec.depends_on.clone()),
        );
    }
    for e in &resolved.compose {
        graph.insert(
            e.name.value.clone(),
            (e.section, e.name.span, e.spec.depends_on.clone()),
        );
    }
    let disabled: BTreeSet<&str> = resolved
        .disabled
        .iter()
        .map(|(_, n)| n.value.as_str())
        .collect();
    // Check every edge once.
    let mut edges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (_, _, deps)) in &graph {
        let mut targets = Vec::new();
        for dep in deps {
            let target = &dep.name.value;
            let field = format!("{name}.depends_on");
            match graph.get(target) {
                Some((section, _, _)) => {
                    if let Some(kind) = &dep.kind
                        && !matches_section(kind.value, *section)
                    {
                        d.push(
                            Diagnostic::error(
                                Code::BadDependency,
                                format!(
                                    "`{target}` is in `{}`, not of the type given here",
                                    section.key()
                                ),
                            )
                            .at(kind.span)
                            .field(field),
                        );
                    }
                    targets.push(target.clone());
                }
                None if disabled.contains(target.as_str()) => {}
                None => d.push(
                    Diagnostic::error(
                        Code::BadDependency,
                        format!("depends on `{target}`, which no entry is called"),
                    )
                    .at(dep.name.span)
                    .field(field),
                ),
            }
        }
        edges.insert(name.clone(), targets);
    }
    let mut waves = BTreeMap::new();
    for name in graph.keys() {
        let mut stack = Vec::new();
        wave_of(name, &edges, &mut waves, &mut stack, &graph, d);
    }
    waves
}

fn matches_section(kind: DependencyType, section: Section) -> bool {
    matches!(
        (kind, section),
        (DependencyType::Helm, Section::Helm)
            | (DependencyType::Serverless, Section::Serverless)
            | (DependencyType::App, Section::Apps)
            | (DependencyType::Compose, Section::Compose)
    )
}

fn wave_of(
    name: &str,
    edges: &BTreeMap<String, Vec<String>>,
    waves: &mut BTreeMap<String, i32>,
    stack: &mut Vec<String>,
    graph: &BTreeMap<String, (Section, Span, Vec<Dependency>)>,
    d: &mut Diagnostics,
) -> i32 {
    if let Some(wave) = waves.get(name) {
        return *wave;
    }
    if let Some(start) = stack.iter().position(|n| n == name) {
        let mut cycle = stack[start..].to_vec();
        cycle.push(name.to_string());
        d.push(
            Diagnostic::error(
                Code::DependencyCycle,
                format!("depends_on forms a cycle: {}", cycle.join(" → ")),
            )
            .at_opt(graph.get(name).map(|(_, span, _)| *span))
            .field(format!("{name}.depends_on")),
        );
        waves.insert(name.to_string(), 0);
        return 0;
    }
    stack.push(name.to_string());
    let wave = edges
        .get(name)
        .into_iter()
        .flatten()
        .map(|dep| wave_of(dep, edges, waves, stack, graph, d) + 1)
        .max()
        .unwrap_or(0);
    stack.pop();
    waves.insert(name.to_string(), wave);
    wave
}
