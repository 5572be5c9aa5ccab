//! Where a service that declares no port listens, found where the project says it, in this
//! order: the final stage's `EXPOSE` of the Dockerfile it builds; `host:port` (or a URL) of one
//! of its names in other services' environment values, commands and mounted configuration
//! files; its Traefik or HAProxy labels; the well-known port of its image (or of the image its
//! Dockerfile starts from). The first source that gives a port decides, and says so.

use std::collections::BTreeMap;

use super::dockerfile::{DockerfileFacts, read_dockerfile};
use super::ports::well_known_port;
use super::references::Reference;
use crate::config::Protocol;
use crate::diagnostic::Diagnostics;
use crate::sources::compose::{ComposeProject, Service};
use crate::yaml::Spanned;

/// Ports found for a service, and the sentence saying where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPorts {
    pub ports: Vec<(u16, Protocol)>,
    /// "EXPOSE in backend/Dockerfile:7", "`proxy` uses `backend:9091` (FLASK_SERVER_ADDR)".
    pub source: String,
}

pub struct PortSearch<'a> {
    pub name: &'a str,
    pub service: &'a Spanned<Service>,
    pub project: &'a ComposeProject,
    /// The image the service runs when it is not built here (apps.yaml's, or compose's).
    pub image: Option<&'a str>,
    /// Whether the image is built from the service's `build:`.
    pub built: bool,
    /// Who reaches the service.
    pub references: &'a [Reference],
    pub field: &'a str,
}

/// The ports of the first source that gives any (see the module docs).
pub fn find_ports(search: &PortSearch<'_>, d: &mut Diagnostics) -> Option<FoundPorts> {
    let svc = &search.service.value;
    let dockerfile = match (&svc.build, search.built) {
        (Some(build), true) => {
            let span = build
                .context
                .as_ref()
                .map(|c| c.span)
                .filter(|s| s.file != crate::diagnostic::FileId::builtin())
                .unwrap_or(search.service.span);
            read_dockerfile(build, &search.project.project_dir, span, search.field, d)
        }
        _ => None,
    };
    if let Some(found) = dockerfile.as_ref().and_then(exposed) {
        return Some(found);
    }
    if let Some(found) = referenced(search.name, search.references) {
        return Some(found);
    }
    if let Some(found) = labelled(svc) {
        return Some(found);
    }
    well_known(search, dockerfile.as_ref())
}

fn exposed(facts: &DockerfileFacts) -> Option<FoundPorts> {
    let first = facts.exposed.first()?;
    Some(FoundPorts {
        ports: facts.exposed.iter().map(|e| (e.port, e.protocol)).collect(),
        source: format!("EXPOSE in {}:{}", facts.name, first.line),
    })
}

/// The ports other services connect to, in the order they are first named.
fn referenced(name: &str, references: &[Reference]) -> Option<FoundPorts> {
    let mut ports: Vec<(u16, Protocol)> = Vec::new();
    let mut first: Option<&Reference> = None;
    for reference in references {
        let Some(port) = reference.port else {
            continue;
        };
        if !ports.contains(&(port, Protocol::Tcp)) {
            ports.push((port, Protocol::Tcp));
        }
        // Prefer a port written out over a URL scheme's for the sentence.
        if first.is_none_or(|f| !f.explicit_port && reference.explicit_port) {
            first = Some(reference);
        }
    }
    let first = first?;
    let how = if first.explicit_port {
        format!("`{}:{}`", first.host, first.port.unwrap_or_default())
    } else {
        format!(
            "a URL to `{}` (port {} of its scheme)",
            first.host,
            first.port.unwrap_or_default()
        )
    };
    let others = ports.len() - 1;
    Some(FoundPorts {
        ports,
        source: format!(
            "{} reaches `{name}` at {how}{}",
            first.describe(),
            if others > 0 {
                format!(
                    " (and {others} more port{})",
                    if others == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        ),
    })
}

/// Traefik's `traefik.{http,tcp,udp}.services.<x>.loadbalancer.server.port` (and v1's
/// `traefik.port`), Docker Flow Proxy's `com.df.port` and Interlock's `com.docker.lb.port`
/// (both HAProxy-based proxies), on the service or under `deploy.labels`.
fn labelled(svc: &Service) -> Option<FoundPorts> {
    let deploy = svc.deploy.as_ref().map(|d| &d.labels);
    let labels: BTreeMap<&String, &String> = svc
        .labels
        .iter()
        .chain(deploy.into_iter().flatten())
        .collect();
    let mut ports = Vec::new();
    let mut first = None;
    for (key, value) in labels {
        let protocol = match key.split('.').collect::<Vec<_>>().as_slice() {
            [
                "traefik",
                "udp",
                "services",
                _,
                "loadbalancer",
                "server",
                "port",
            ] => Protocol::Udp,
            [
                "traefik",
                "http" | "tcp",
                "services",
                _,
                "loadbalancer",
                "server",
                "port",
            ]
            | ["traefik", "port"]
            | ["traefik", _, "port"]
            | ["com", "df", "port"]
            | ["com", "docker", "lb", "port"] => Protocol::Tcp,
            _ => continue,
        };
        let Some(port) = value.trim().parse::<u16>().ok().filter(|p| *p > 0) else {
            continue;
        };
        if !ports.contains(&(port, protocol)) {
            ports.push((port, protocol));
        }
        first.get_or_insert_with(|| key.clone());
    }
    Some(FoundPorts {
        ports,
        source: format!("label `{}`", first?),
    })
}

fn well_known(search: &PortSearch<'_>, dockerfile: Option<&DockerfileFacts>) -> Option<FoundPorts> {
    if !search.built
        && let Some(image) = search.image
        && let Some(port) = well_known_port(image)
    {
        return Some(FoundPorts {
            ports: vec![(port, Protocol::Tcp)],
            source: format!("the usual port of image `{image}`"),
        });
    }
    let facts = dockerfile?;
    let base = facts.base_image.as_deref()?;
    let port = well_known_port(base)?;
    Some(FoundPorts {
        ports: vec![(port, Protocol::Tcp)],
        source: format!(
            "the usual port of `{base}`, the image {} starts from",
            facts.name
        ),
    })
}
