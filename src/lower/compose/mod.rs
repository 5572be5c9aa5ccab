//! `compose:` entries: every service of a Docker Compose project becomes one Workload through the
//! pieces apps use; the compose file is read here and nowhere else downstream.
//!
//! Settings, highest first: `services.<svc>` in apps.yaml, `defaults`, the entry's `security`,
//! what the compose file says (turned into the same settings types), k3s's defaults. Maps merge
//! key by key, apps.yaml volumes by name, `security` and `resources` field by field.
//!
//! Decisions (each also said where it is made):
//! - **Names.** The project is named after the entry. Controllers, ConfigMaps, Secrets and
//!   claims are `<entry>-<service>[-…]`; the Service keeps the compose service's own name (`db`,
//!   made a DNS label) so that `db:5432` in other services keeps resolving. Two Services of one
//!   name in one namespace are an error (`lower_environment` checks across entries).
//! - **Image.** apps.yaml's `image`, else the compose `image`, else (build-only) the images.rs
//!   rule for `<entry>-<service>`: `<registry>/<entry>-<service>:<tag>`, with an image build.
//! - **Controller.** `kind:` from apps.yaml wins. Otherwise a Job for a service another one
//!   waits on with `service_completed_successfully` (it runs to completion) or with
//!   `deploy.mode: *-job`; a StatefulSet (claims as volumeClaimTemplates, seed 003) for a
//!   service owning a claim; a Deployment for the rest.
//! - **Services.** A service gets a Service when it publishes or exposes ports, or when another
//!   service reaches it: `depends_on`, or its name as a host in an environment value (in a URL,
//!   as `host:port`, or as the whole value of a `*HOST*`/`*URL*`/`*ADDR*`… variable). Without
//!   ports, the image's well-known port is used where certain (postgres 5432, redis 6379…,
//!   matched on the repository name); otherwise it is an error asking for `expose:`. Published
//!   ports (not bound to loopback) make it a NodePort, keeping the host port when it lies in
//!   30000-32767 (other host ports are warned about); a StatefulSet's Service is headless and is
//!   its `serviceName` — named after the compose service even without ports — unless
//!   apps.yaml's `service.type` (which wins) makes it another type, when `<workload>-headless`
//!   governs. Service ports are the container ports, as compose services see each other; a
//!   port given without a host port (Docker would pick a random one) stays in the cluster.
//! - **Environment** (seed 002). Plain values go to ConfigMap `<entry>-<svc>-env`; values whose
//!   name looks secret (seed 002's `*_PASSWORD`, `*_KEY`… suffixes, or `PASSWORD`, `SECRET`,
//!   `TOKEN`… anywhere, as in `PGPASSWORD`) or that are URLs with a password go to Secret
//!   `<entry>-<svc>-env`; both are imported with `envFrom`. apps.yaml literals win; apps.yaml
//!   references (`{secret: …}`) become `env` entries.
//! - **Secrets and configs.** A `file:` definition becomes Secret (ConfigMap) `<entry>-<name>`
//!   holding the file's text, an `environment:` one the variable's value (entry `variables`,
//!   the process environment, then the project's `.env`), a config's `content:` its text; the
//!   object is carried by the first service (by name) using it. `external: true` refers to the
//!   existing object by its `name:`; it must hold a key named after the compose definition.
//!   Each is mounted read-only at its target (`/run/secrets/<name>` by default) with subPath.
//!   Their values are written into the generated tree: use `external: true` with an External
//!   Secret (apps.yaml `secrets:`) for anything that must stay out of git.
//! - **Healthcheck.** Readiness and liveness exec probes: `CMD` argv as is, `CMD-SHELL` under
//!   `sh -c`; interval → period, timeout, retries → failureThreshold, with Docker's defaults
//!   (30s, 30s, 3) for what is left out; `start_period` → a startup probe polling every
//!   `start_interval` (else interval) for ceil(start_period / period) tries. Durations are whole
//!   seconds rounded up (`1m30s` → 90). apps.yaml `probes:` replaces all of it.
//! - **depends_on.** `service_started` and `service_healthy` → an init container per dependency
//!   (`busybox:1.36`, non-root, read-only, no capabilities: restricted-compatible) looping on
//!   `nc -z <service> <port>`. A Service only forwards to ready pods and the dependency's
//!   healthcheck is its readiness probe, so "healthy" is approximated by "its Service accepts
//!   connections". `service_completed_successfully` cannot be waited for from a pod without
//!   API access: the dependency runs as a Job and a warning says the order is not enforced
//!   (running it as an init container instead would repeat it in every replica).
//! - **Volumes.** A named volume is a claim (size from apps.yaml `services.<svc>.volumes`,
//!   matched by volume name or mount path, default 1Gi; storage class and access modes from
//!   there too); a claim makes its service a StatefulSet. A named volume mounted by several
//!   services is one PVC `<entry>-<volume>`, carried by the first, and needs `ReadWriteMany`
//!   (or `ReadOnlyMany`) from apps.yaml — otherwise an error. `external: true` volumes refer to
//!   the existing claim. Anonymous volumes → emptyDir; `tmpfs` and `shm_size` → memory
//!   emptyDir. Bind mounts, by source: an absolute or `~` path, or one outside the project
//!   (warned) → hostPath, refused unless apps.yaml says `allow_host_path: true` (which needs
//!   the privileged standard); a text file of at most 1 MiB, or a flat directory of such
//!   files → ConfigMap `<entry>-<svc>-<name>` mounted read-only (binary or larger files are
//!   errors); the service's build context, a source file, or a directory holding source files
//!   (by extension or markers like `package.json`) → dropped with a warning (a development
//!   mount); a path that does not exist, an empty directory, or one holding data → a claim
//!   like a named volume, with a warning that its content is not copied.
//! - **Container.** `entrypoint` → command, `command` → args (already split like a shell);
//!   `user` `uid[:gid]` → runAsUser/runAsGroup (names are warned about); `read_only`,
//!   `cap_add`, `cap_drop` → the security context, checked against the Pod Security Standard
//!   (baseline unless apps.yaml says otherwise); `working_dir`, `tty`, `stdin_open` as is.
//! - **Pod.** `deploy.replicas` (or `scale`) → replicas; `deploy.resources` (and the legacy
//!   keys) → requests/limits (`0.5` CPUs → `500m`, bytes → exact binary units);
//!   `placement.constraints` on node labels, hostname, OS, arch → nodeSelector;
//!   `max_replicas_per_node: 1` → required anti-affinity; `stop_grace_period` →
//!   terminationGracePeriodSeconds; `extra_hosts` → hostAliases; `labels` and `annotations` →
//!   pod annotations; `pull_policy` → imagePullPolicy.
//! - **restart.** Jobs: `no` → restartPolicy Never and no retries, `on-failure:N` → N retries.
//!   Long-running controllers always restart their pods; `no` and `on-failure` are warned about.
//! - **Networks** (`network.policy`, default permissive). permissive: each service admits its
//!   own namespace; strict: only services sharing one of its compose networks (`default` when
//!   none is listed), plus `allow_external`; none: no policy. Published ports are open to any
//!   source, a routed service admits the ingress controller. apps.yaml `visibility` or
//!   `network_policy` for a service replaces this.
//! - **Docker-only keys** (`network_mode`, `privileged` below the privileged standard, `pid`,
//!   `ipc`, `devices`, `links`, engine tuning…): one warning per service and key.

mod dependencies;
mod docker_only;
mod files;
mod healthcheck;
mod init;
mod pod;
mod ports;
mod project_facts;
mod references;
mod service;
mod settings;
mod volume_plan;
mod volumes;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

pub use init::{ServiceHints, VolumeHint, init_hints};
pub use ports::well_known_port;
pub use volumes::DEFAULT_CLAIM_SIZE;

use self::dependencies::Endpoint;
use self::files::{FileKind, Lookup, read_dotenv};
use self::ports::{ServicePorts, service_ports};
use self::project_facts::{check_service_names, file_owners, networks, service_edges};
use self::references::{Reference, Via, references};
use self::settings::{apps_yaml_settings, compose_settings, layer, unknown_services};
use self::volume_plan::{
    Names, PlanInput, PlannedVolumes, SharedClaim, plan_volumes, shared_claims,
};
use self::volumes::{Mount, classify_mounts};
use super::context::LowerContext;
use crate::config::{
    ComposeEntry, ComposeService, PodSecurityProfile, VolumeType as ConfigVolumeType, WorkloadKind,
};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::names::to_dns_label;
use crate::resolve::Entry;
use crate::sources::compose::{
    ComposeProject, Condition, LoadOptions, Service, default_compose_files, load_project,
};
use crate::workload::LoweredEntry;
use crate::yaml::Spanned;

/// Loads the entry's compose project and lowers every enabled service of it.
pub fn lower_compose(
    entry: &Entry<ComposeEntry>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> LoweredEntry {
    match load_compose_project(entry, cx, d) {
        Some(project) => lower_compose_project(entry, &project, cx, d),
        None => LoweredEntry::default(),
    }
}

/// The entry's project: `path` (relative to apps.yaml) with `compose_file` or the default
/// files, its `profiles` and `variables`, named after the entry. The parser's warnings (and,
/// on failure, its errors) go into `d`.
pub fn load_compose_project(
    entry: &Entry<ComposeEntry>,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> Option<ComposeProject> {
    let spec = &entry.spec;
    let field = entry.field();
    let outside = spec.allow_outside_project.unwrap_or(false);
    let dir = cx.existing_dir(&spec.path, &field, outside, d)?;
    let files = match &spec.compose_file {
        Some(files) => files.value.iter().map(|f| dir.join(f)).collect(),
        None => match default_compose_files(&dir) {
            Some(files) => files,
            None => {
                d.push(
                    Diagnostic::error(
                        Code::MissingFile,
                        format!("no compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml in `{}`", spec.path.value),
                    )
                    .at(spec.path.span)
                    .field(format!("{field}.path"))
                    .help("name the file with `compose_file:`"),
                );
                return None;
            }
        },
    };
    let options = LoadOptions {
        project_name: Some(entry.name.value.clone()),
        profiles: spec.profiles.clone(),
        variables: cx.resolved.variables.for_compose(&spec.variables),
        env_file: spec.env_file.as_ref().map(|f| cx.path(&f.value)),
    };
    match load_project(&files, &options) {
        Ok(project) => {
            d.extend(project.warnings.clone());
            Some(project)
        }
        Err(errors) => {
            d.extend(errors);
            None
        }
    }
}

/// What pass one decided for one enabled service.
pub(super) struct Prepared {
    pub settings: ComposeService,
    pub kind: WorkloadKind,
    pub planned: PlannedVolumes,
    /// Pod volume names taken so far.
    pub names: Names,
    pub ports: ServicePorts,
    /// The Service's name: the compose service's, as a DNS label.
    pub service_name: String,
    pub has_service: bool,
}

/// The whole project, decided before any service is lowered.
pub(super) struct Plan<'a> {
    pub entry: &'a Entry<ComposeEntry>,
    pub project: &'a ComposeProject,
    pub cx: &'a LowerContext<'a>,
    /// Enabled services.
    pub prepared_names: BTreeSet<String>,
    /// Services with a Service: where to reach them.
    pub endpoints: BTreeMap<String, Endpoint>,
    /// (secret or config, name) → the service carrying its object.
    pub file_owners: BTreeMap<(FileKind, String), String>,
    /// Compose networks of each enabled service.
    pub networks: BTreeMap<String, BTreeSet<String>>,
    pub lookup: Lookup,
}

impl Plan<'_> {
    /// `compose.<entry>.services.<svc>`: where apps.yaml settings for the service go.
    pub fn field(&self, service: &str) -> String {
        format!("{}.services.{service}", self.entry.field())
    }

    pub fn workload_name(&self, service: &str) -> String {
        workload_name(&self.entry.name.value, service)
    }

    /// Pod labels of the enabled services sharing a compose network with `service` (itself
    /// included: its replicas talk to each other).
    pub fn neighbours(&self, service: &str) -> Vec<BTreeMap<String, String>> {
        let Some(own) = self.networks.get(service) else {
            return Vec::new();
        };
        self.networks
            .iter()
            .filter(|(_, networks)| !networks.is_disjoint(own))
            .map(|(other, _)| {
                BTreeMap::from([
                    (
                        "app.kubernetes.io/name".to_string(),
                        self.workload_name(other),
                    ),
                    (
                        "app.kubernetes.io/instance".to_string(),
                        self.entry.name.value.clone(),
                    ),
                ])
            })
            .collect()
    }
}

pub fn workload_name(entry: &str, service: &str) -> String {
    format!("{entry}-{}", to_dns_label(service))
}

/// Lowers every enabled service of a loaded project (see the module docs for the decisions).
pub fn lower_compose_project(
    entry: &Entry<ComposeEntry>,
    project: &ComposeProject,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> LoweredEntry {
    let entry_field = entry.field();
    for unknown in unknown_services(&entry.spec, &project.services, &project.inactive_services) {
        let mut message = Diagnostic::error(
            Code::UnknownService,
            format!("the compose project has no service `{unknown}`"),
        )
        .at(entry.name.span)
        .field(format!("{entry_field}.services.{unknown}"));
        if let Some(similar) = did_you_mean(unknown, project.services.keys().map(String::as_str)) {
            message = message.help(format!("did you mean `{similar}`?"));
        }
        d.push(message);
    }

    // Settings of every enabled service.
    let mut settings: BTreeMap<String, (ComposeService, PodSecurityProfile)> = BTreeMap::new();
    for (name, service) in &project.services {
        let apps_yaml = apps_yaml_settings(&entry.spec, name);
        if apps_yaml.enabled == Some(false) {
            continue;
        }
        let profile = apps_yaml
            .security
            .as_ref()
            .and_then(|s| s.profile)
            .unwrap_or(PodSecurityProfile::Baseline);
        let field = format!("{entry_field}.services.{name}");
        let compose = compose_settings(service, profile, &field, d);
        settings.insert(name.clone(), (layer(&apps_yaml, &compose), profile));
    }
    let enabled: BTreeSet<String> = settings.keys().cloned().collect();
    check_service_names(entry, project, &enabled, d);

    // Who reaches whom.
    let edges = service_edges(project, &settings);
    let reached = references(&edges, &enabled);
    let one_shot: BTreeSet<String> = reached
        .iter()
        .filter(|(_, refs)| {
            refs.iter()
                .any(|r| r.via == Via::DependsOn(Condition::ServiceCompletedSuccessfully))
        })
        .map(|(name, _)| name.clone())
        .collect();

    // Mounts, and claims shared between services.
    let mounts: BTreeMap<String, Vec<Mount>> = enabled
        .iter()
        .map(|name| {
            let field = format!("{entry_field}.services.{name}");
            (
                name.clone(),
                classify_mounts(name, &project.services[name], project, &field, d),
            )
        })
        .collect();
    let shared = shared_claims(entry, &mounts, &settings, d);

    // Pass one: volumes, controller kind, ports.
    let facts = ProjectFacts {
        entry,
        reached: &reached,
        one_shot: &one_shot,
        shared: &shared,
    };
    let prepared: BTreeMap<String, Prepared> = settings
        .iter()
        .map(|(name, (merged, profile))| {
            let service = &project.services[name];
            let prepared =
                prepare_service(&facts, name, service, merged, *profile, &mounts[name], d);
            (name.clone(), prepared)
        })
        .collect();

    let endpoints = prepared
        .iter()
        .filter(|(_, p)| p.has_service)
        .filter_map(|(name, p)| {
            p.ports.container.first().map(|port| {
                (
                    name.clone(),
                    Endpoint {
                        host: p.service_name.clone(),
                        port: port.container_port,
                    },
                )
            })
        })
        .collect();
    let plan = Plan {
        entry,
        project,
        cx,
        prepared_names: enabled.clone(),
        endpoints,
        file_owners: file_owners(project, &enabled),
        networks: networks(project, &enabled),
        lookup: Lookup {
            variables: cx.resolved.variables.for_compose(&entry.spec.variables),
            dotenv: read_dotenv(&project.project_dir),
        },
    };

    // Pass two: one Workload per service.
    let mut out = LoweredEntry::default();
    for (name, prepared) in prepared {
        let service = &project.services[&name];
        let profile = settings[&name].1;
        docker_only::warn_docker_only(service, profile, &plan.field(&name), d);
        let lowered = service::lower_service(&plan, &name, service, prepared, d);
        out.workloads.push(lowered.workload);
        out.builds.extend(lowered.build);
    }
    out
}

/// What pass one needs to know about the whole project.
struct ProjectFacts<'a> {
    entry: &'a Entry<ComposeEntry>,
    reached: &'a BTreeMap<String, Vec<Reference>>,
    one_shot: &'a BTreeSet<String>,
    shared: &'a BTreeMap<String, SharedClaim>,
}

/// One service's volumes, controller kind and ports.
fn prepare_service(
    facts: &ProjectFacts<'_>,
    name: &str,
    service: &Spanned<Service>,
    merged: &ComposeService,
    profile: PodSecurityProfile,
    mounts: &[Mount],
    d: &mut Diagnostics,
) -> Prepared {
    let entry = facts.entry;
    let field = format!("{}.services.{name}", entry.field());
    let workload = workload_name(&entry.name.value, name);
    let mut names = Names::default();
    let mut config_names = Names::default();
    config_names.reserve("env");
    let planned = plan_volumes(
        mounts,
        &PlanInput {
            service: name,
            workload: &workload,
            settings: merged,
            shared: facts.shared,
            profile,
        },
        &mut names,
        &mut config_names,
        d,
    );
    let owns_claim = planned
        .volumes
        .iter()
        .any(|v| v.kind.value == ConfigVolumeType::Pvc && v.claim_name.is_none());
    let job_mode = service
        .value
        .deploy
        .as_ref()
        .and_then(|d| d.mode.as_ref())
        .is_some_and(|m| m.value.ends_with("-job"));
    let kind = match &merged.kind {
        Some(kind) => kind.value,
        None if facts.one_shot.contains(name) || job_mode => WorkloadKind::Job,
        None if owns_claim => WorkloadKind::Statefulset,
        None => WorkloadKind::Deployment,
    };
    let is_job = matches!(kind, WorkloadKind::Job | WorkloadKind::Cronjob);
    let service_enabled = merged.service.as_ref().and_then(|s| s.enabled) != Some(false);
    let needed: Vec<&Reference> = facts
        .reached
        .get(name)
        .into_iter()
        .flatten()
        .filter(|r| r.via != Via::DependsOn(Condition::ServiceCompletedSuccessfully))
        .collect();
    let wanted = !needed.is_empty() && !is_job && service_enabled;
    let image = merged.image.as_ref().map(|i| i.value.as_str());
    let ports = service_ports(service, &merged.expose, image.filter(|_| wanted), &field, d);
    if wanted && ports.container.is_empty() {
        let who: Vec<String> = needed.iter().map(|r| r.describe()).collect();
        let image = image.map_or_else(|| "a built image".to_string(), |i| format!("image `{i}`"));
        d.push(
            Diagnostic::error(
                Code::MissingPort,
                format!(
                    "`{name}` is reached by {} but declares no port, and its {image} has no well-known one",
                    who.join(", ")
                ),
            )
            .at(service.span)
            .field(format!("{field}.expose"))
            .label(needed[0].span, "reached here")
            .help(format!(
                "add `expose: [\"PORT\"]` to `{name}` in the compose file, or `services.{name}.expose: [PORT]` under the compose entry in apps.yaml"
            )),
        );
    }
    Prepared {
        settings: merged.clone(),
        kind,
        planned,
        names,
        has_service: !ports.container.is_empty() && !is_job && service_enabled,
        ports,
        service_name: to_dns_label(name),
    }
}
