//! Consistency checks on a loaded project: references between services and to top-level
//! resources, `depends_on` cycles, image-or-build, restart policies. Reads the model only.

use std::collections::BTreeMap;

use super::model::{ComposeProject, VolumeType};
use crate::diagnostic::{Code, Diagnostic, Span, did_you_mean};

pub fn check_references(project: &ComposeProject) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, service) in &project.services {
        let root = format!("services.{name}");
        if service.image.is_none() && service.build.is_none() {
            out.push(
                Diagnostic::error(
                    Code::MissingImage,
                    format!("service `{name}` has neither `image` nor `build`"),
                )
                .at(service.span)
                .field(root.clone()),
            );
        }
        if let Some(restart) = &service.restart
            && !valid_restart(restart)
        {
            out.push(
                Diagnostic::error(
                    Code::BadValue,
                    format!("unknown restart policy `{}`", restart.value),
                )
                .at(restart.span)
                .field(format!("{root}.restart"))
                .help("expected `no`, `always`, `on-failure[:N]` or `unless-stopped`"),
            );
        }
        let mut used_services: Vec<(&str, Span, String)> = Vec::new();
        for (index, from) in service.volumes_from.iter().enumerate() {
            if !from.starts_with("container:") {
                let target = from.split(':').next().unwrap_or_default();
                used_services.push((target, from.span, format!("{root}.volumes_from[{index}]")));
            }
        }
        for (key, mode) in [
            ("network_mode", &service.network_mode),
            ("ipc", &service.ipc),
            ("pid", &service.pid),
        ] {
            if let Some(mode) = mode
                && let Some(target) = mode.strip_prefix("service:")
            {
                used_services.push((target, mode.span, format!("{root}.{key}")));
            }
        }
        for (target, span, field) in used_services {
            if !project.services.contains_key(target) && !project.inactive_services.contains(target)
            {
                out.push(unknown(
                    Code::UnknownService,
                    "service",
                    target,
                    project.services.keys(),
                    span,
                    field,
                ));
            }
        }
        for (target, dependency) in &service.depends_on {
            if project.services.contains_key(target) {
                continue;
            }
            let field = format!("{root}.depends_on.{target}");
            if project.inactive_services.contains(target) {
                if dependency.required {
                    out.push(
                        Diagnostic::error(
                            Code::InactiveDependency,
                            format!("`{name}` depends on `{target}`, whose profiles are not active"),
                        )
                        .at(dependency.span)
                        .field(field)
                        .help(format!(
                            "activate one of `{target}`'s profiles, or mark the dependency `required: false`"
                        )),
                    );
                }
                continue;
            }
            out.push(unknown(
                Code::UnknownService,
                "service",
                target,
                project.services.keys(),
                dependency.span,
                field,
            ));
        }
        for (network, attachment) in &service.networks {
            if network != "default" && !project.networks.contains_key(network) {
                out.push(unknown(
                    Code::UnknownNetwork,
                    "network",
                    network,
                    project.networks.keys(),
                    attachment.span,
                    format!("{root}.networks.{network}"),
                ));
            }
        }
        for (index, volume) in service.volumes.iter().enumerate() {
            if volume.kind != VolumeType::Volume {
                if volume.kind == VolumeType::Bind && volume.source.is_none() {
                    out.push(
                        Diagnostic::error(Code::InvalidVolume, "a bind mount needs a `source`")
                            .at(volume.span)
                            .field(format!("{root}.volumes[{index}]")),
                    );
                }
                continue;
            }
            if let Some(source) = &volume.source
                && !project.volumes.contains_key(source)
            {
                out.push(unknown(
                    Code::UnknownVolume,
                    "volume",
                    source,
                    project.volumes.keys(),
                    volume.span,
                    format!("{root}.volumes[{index}]"),
                ));
            }
        }
        for (index, secret) in service.secrets.iter().enumerate() {
            if !project.secrets.contains_key(&secret.source) {
                out.push(unknown(
                    Code::UnknownSecret,
                    "secret",
                    &secret.source,
                    project.secrets.keys(),
                    secret.span,
                    format!("{root}.secrets[{index}]"),
                ));
            }
        }
        for (index, config) in service.configs.iter().enumerate() {
            if !project.configs.contains_key(&config.source) {
                out.push(unknown(
                    Code::UnknownConfig,
                    "config",
                    &config.source,
                    project.configs.keys(),
                    config.span,
                    format!("{root}.configs[{index}]"),
                ));
            }
        }
    }
    out.extend(dependency_cycles(project));
    out
}

fn valid_restart(policy: &str) -> bool {
    match policy.split_once(':') {
        Some(("on-failure", retries)) => retries.parse::<u32>().is_ok(),
        Some(_) => false,
        None => matches!(policy, "no" | "always" | "on-failure" | "unless-stopped"),
    }
}

fn unknown<'a>(
    code: Code,
    what: &str,
    name: &str,
    known: impl Iterator<Item = &'a String> + Clone,
    span: Span,
    field: String,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        code,
        format!("refers to {what} `{name}`, which is not defined"),
    )
    .at(span)
    .field(field);
    if let Some(s) = did_you_mean(name, known.clone().map(String::as_str)) {
        d = d.help(format!("did you mean `{s}`?"));
    } else if what != "service" {
        d = d.help(format!("declare it under the top-level `{what}s:`"));
    }
    d
}

/// One error per `depends_on` cycle, at the entry that closes it.
fn dependency_cycles(project: &ComposeProject) -> Vec<Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Visiting,
        Done,
    }
    fn visit<'a>(
        name: &'a str,
        project: &'a ComposeProject,
        state: &mut BTreeMap<&'a str, State>,
        stack: &mut Vec<&'a str>,
        out: &mut Vec<Diagnostic>,
    ) {
        state.insert(name, State::Visiting);
        stack.push(name);
        let Some(service) = project.services.get(name) else {
            return;
        };
        for (target, dependency) in &service.depends_on {
            let Some((target, _)) = project.services.get_key_value(target) else {
                continue;
            };
            match state.get(target.as_str()) {
                Some(State::Visiting) => {
                    let start = stack.iter().position(|s| *s == target).unwrap_or(0);
                    let mut chain: Vec<&str> = stack[start..].to_vec();
                    chain.push(target);
                    out.push(
                        Diagnostic::error(
                            Code::DependencyCycle,
                            format!("`depends_on` forms a cycle: {}", chain.join(" → ")),
                        )
                        .at(dependency.span)
                        .field(format!("services.{name}.depends_on.{target}")),
                    );
                }
                Some(State::Done) => {}
                None => visit(target, project, state, stack, out),
            }
        }
        stack.pop();
        state.insert(name, State::Done);
    }
    let mut state = BTreeMap::new();
    let mut out = Vec::new();
    for name in project.services.keys() {
        if !state.contains_key(name.as_str()) {
            visit(name, project, &mut state, &mut Vec::new(), &mut out);
        }
    }
    out
}
