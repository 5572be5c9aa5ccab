//! The init containers compose services get: for `depends_on`, one waiting until the
//! dependency's Service accepts connections (`service_completed_successfully` cannot be waited
//! for from a pod; it is reported, not faked); for an anonymous volume over a read-only root
//! filesystem, one copying the image's content into the emptyDir that replaces it.

use std::collections::BTreeMap;

use super::volume_plan::ImageCopy;
use crate::config::{ComposeService as ServiceSettings, Quantity};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::names::{check_dns_label, to_dns_label};
use crate::sources::compose::{Condition, Dependency};
use crate::workload::{Container, ContainerSecurity, Resources, VolumeMount};
use crate::yaml::Spanned;

/// A small, pinned image with `sh` and a `nc` that supports `-z`.
pub const WAIT_IMAGE: &str = "busybox:1.36";

/// The unprivileged user the wait containers run as (`nobody`).
const WAIT_UID: i64 = 65534;

/// Where a dependency can be reached: its Service name and first port.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
}

/// One init container per `service_started` / `service_healthy` dependency with a Service.
/// `endpoints` holds every enabled service that has one; `enabled` every enabled service.
pub fn wait_containers(
    service: &str,
    depends_on: &BTreeMap<String, Spanned<Dependency>>,
    endpoints: &BTreeMap<String, Endpoint>,
    enabled: &dyn Fn(&str) -> bool,
    field: &str,
    d: &mut Diagnostics,
) -> Vec<Container> {
    let mut out = Vec::new();
    for (dependency, edge) in depends_on {
        let field = format!("{field}.depends_on.{dependency}");
        if !enabled(dependency) {
            if edge.value.required {
                d.push(
                    Diagnostic::warning(
                        Code::DependencyDisabled,
                        format!("`{service}` depends on `{dependency}`, which is not deployed here; nothing waits for it"),
                    )
                    .at(edge.span)
                    .field(field),
                );
            }
            continue;
        }
        match edge.value.condition {
            Condition::ServiceCompletedSuccessfully => d.push(
                Diagnostic::warning(
                    Code::DependencyOrder,
                    format!(
                        "Kubernetes cannot hold `{service}` until `{dependency}` has completed: `{dependency}` runs as a Job and `{service}` starts beside it"
                    ),
                )
                .at(edge.span)
                .field(field)
                .help(format!("make `{service}` retry until what `{dependency}` prepares is there (most clients do)")),
            ),
            Condition::ServiceStarted | Condition::ServiceHealthy => {
                match wait_for(dependency, endpoints.get(dependency)) {
                    Some(container) => out.push(container),
                    None => d.push(
                        Diagnostic::warning(
                            Code::DependencyOrder,
                            format!("`{dependency}` has no Service to wait for, so `{service}` may start first"),
                        )
                        .at(edge.span)
                        .field(field),
                    ),
                }
            }
        }
    }
    out
}

/// An init container looping on `nc -z host port` until it connects. A Service only forwards
/// to ready pods, and a dependency's healthcheck is its readiness probe, so this also stands in
/// for `service_healthy`.
pub fn wait_for(dependency: &str, endpoint: Option<&Endpoint>) -> Option<Container> {
    let endpoint = endpoint?;
    let name = format!("wait-for-{}", to_dns_label(dependency));
    let name = if check_dns_label(&name, 63).is_ok() {
        name
    } else {
        "wait-for-dependency".to_string()
    };
    let target = format!("{} {}", endpoint.host, endpoint.port);
    let script = format!(
        "until nc -z -w 2 {target}; do echo 'waiting for {}:{}'; sleep 2; done",
        endpoint.host, endpoint.port
    );
    let quantity = |text: &str| Quantity::parse(text).expect("a literal quantity");
    Some(Container {
        name,
        image: WAIT_IMAGE.to_string(),
        command: vec!["sh".to_string(), "-c".to_string(), script],
        resources: Resources {
            requests: BTreeMap::from([
                ("cpu".to_string(), quantity("10m")),
                ("memory".to_string(), quantity("16Mi")),
            ]),
            limits: BTreeMap::from([("memory".to_string(), quantity("32Mi"))]),
        },
        security: ContainerSecurity {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            run_as_user: Some(WAIT_UID),
            run_as_group: Some(WAIT_UID),
            capabilities_drop: vec!["ALL".to_string()],
            seccomp_profile: Some("RuntimeDefault".to_string()),
            ..ContainerSecurity::default()
        },
        ..Container::default()
    })
}

/// Where an image-copy init container mounts the emptyDir it fills.
const COPY_TARGET: &str = "/k3s-image-copy";

/// An init container running the service's own image that copies what the image holds at the
/// volume's path into the emptyDir mounted there (Docker fills a new anonymous volume the same
/// way). It runs as the main container's user (the image's, or compose `user` / the settings'
/// `run_as_user`), so the files belong to whoever writes them; a path the image lacks is
/// left empty.
pub fn image_copy_container(
    image: &str,
    copy: &ImageCopy,
    settings: &ServiceSettings,
) -> Container {
    let context = settings
        .security
        .as_ref()
        .and_then(|s| s.container_security_context.as_ref());
    let quoted = shell_quote(&copy.path);
    let script = format!("if [ -d {quoted} ]; then cp -R {quoted}/. {COPY_TARGET}/; fi");
    let quantity = |text: &str| Quantity::parse(text).expect("a literal quantity");
    let name = format!("copy-{}", copy.volume);
    Container {
        name: if check_dns_label(&name, 63).is_ok() {
            name
        } else {
            "copy-image-files".to_string()
        },
        image: image.to_string(),
        command: vec!["sh".to_string(), "-c".to_string(), script],
        resources: Resources {
            requests: BTreeMap::from([
                ("cpu".to_string(), quantity("10m")),
                ("memory".to_string(), quantity("32Mi")),
            ]),
            limits: BTreeMap::new(),
        },
        volume_mounts: vec![VolumeMount {
            name: copy.volume.clone(),
            mount_path: COPY_TARGET.to_string(),
            read_only: false,
            sub_path: None,
        }],
        security: ContainerSecurity {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_user: context.and_then(|c| c.run_as_user),
            run_as_group: context.and_then(|c| c.run_as_group),
            capabilities_drop: vec!["ALL".to_string()],
            seccomp_profile: Some("RuntimeDefault".to_string()),
            ..ContainerSecurity::default()
        },
        ..Container::default()
    }
}

/// `text` as one `sh` word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
