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

mod aliases;
mod bind_mount;
mod dependencies;
mod docker_only;
mod dockerfile;
mod files;
mod healthcheck;
mod image;
mod init;
mod job;
mod network;
mod pod;
mod port_search;
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

use self::aliases::{service_aliases, warn_fixed_addresses};
use self::dependencies::Endpoint;
use self::files::{FileKind, Lookup, read_dotenv};
use self::port_search::{PortSearch, find_ports};
use self::ports::{ServicePorts, service_ports};
use self::project_facts::{
    check_service_names, file_owners, networks, service_edges, service_texts,
};
use self::references::{Reference, Via, reach};
use self::settings::{apps_yaml_settings, compose_settings, layer, unknown_services};
use self::volume_plan::{
    Names, PlanInput, PlannedVolumes, SharedClaim, plan_volumes, shared_claims,
};
use self::volumes::{Mount, MountInput, classify_service_mounts};
use super::context::LowerContext;
use crate::config::{
    ComposeEntry, ComposeNetworkPolicy, ComposeService, PodSecurityProfile,
    VolumeType as ConfigVolumeType, WorkloadKind,
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
    let mut inside = true;
    for file in &files {
        let written = Spanned::new(
            file.strip_prefix(&dir)
                .unwrap_or(file)
                .display()
                .to_string(),
            spec.compose_file
                .as_ref()
                .map_or(spec.path.span, |f| f.span),
        );
        inside &= cx.inside_project(file, &written, &format!("{field}.compose_file"), outside, d);
    }
    if let Some(env_file) = &spec.env_file {
        inside &= cx.inside_project(
            &cx.path(&env_file.value),
            env_file,
            &format!("{field}.env_file"),
            outside,
            d,
        );
    }
    if !inside {
        return None;
    }
    let options = LoadOptions {
        project_name: Some(entry.name.value.clone()),
        profiles: spec.profiles.clone(),
        variables: cx.resolved.variables.for_compose(&spec.variables),
        env_file: spec.env_file.as_ref().map(|f| cx.path(&f.value)),
        root: Some(cx.resolved.dir.clone()),
        allow_outside: outside,
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
    /// Other names it is reached by, each another Service onto its pods.
    pub aliases: Vec<String>,
    /// Why a service whose `restart` says it runs once is kept running, if it is.
    pub kept_running: Option<String>,
    /// What `compose convert` says about the service (where a port was found).
    pub notes: Vec<String>,
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

    /// Where the entry's settings are written, for help lines.
    pub fn place(&self) -> String {
        place(self.entry)
    }

    /// Where the settings of `service` are written: "under `services.web` in compose entry
    /// `shop` of apps.yaml".
    pub fn at(&self, service: &str) -> String {
        format!("under `services.{service}` {}", self.place())
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

/// Where the settings of `entry` are written: apps.yaml, or `compose convert`'s `--settings`.
pub(super) fn place(entry: &Entry<ComposeEntry>) -> String {
    entry.spec.settings_source.place(&entry.name.value)
}

/// Lowers every enabled service of a loaded project (see the module docs for the decisions).
/// `network.allow_external` adds rules to the NetworkPolicies that `permissive` and `strict`
/// render; `none` renders none, so the sources would be dropped without a word.
fn warn_unused_allow_external(entry: &Entry<ComposeEntry>, d: &mut Diagnostics) {
    let Some(network) = &entry.spec.network else {
        return;
    };
    if network.allow_external.is_empty() || network.policy != Some(ComposeNetworkPolicy::None) {
        return;
    }
    d.push(
        Diagnostic::warning(
            Code::UnusedSetting,
            "`network.allow_external` has no effect: `network.policy: none` renders no NetworkPolicy",
        )
        .at(entry.name.span)
        .field(format!("{}.network.allow_external", entry.field()))
        .help("set `network.policy: permissive` or `strict`, or remove `allow_external`"),
    );
}

pub fn lower_compose_project(
    entry: &Entry<ComposeEntry>,
    project: &ComposeProject,
    cx: &LowerContext<'_>,
    d: &mut Diagnostics,
) -> LoweredEntry {
    let entry_field = entry.field();
    let place = place(entry);
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

    warn_unused_allow_external(entry, d);

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
        let at = format!("under `services.{name}` {place}");
        let compose = compose_settings(service, profile, &field, &at, d);
        settings.insert(name.clone(), (layer(&apps_yaml, &compose), profile));
    }
    let enabled: BTreeSet<String> = settings.keys().cloned().collect();
    check_service_names(entry, project, &enabled, d);
    let field_of = |name: &str| format!("{entry_field}.services.{name}");

    // Mounts, and claims shared between services.
    let mounts: BTreeMap<String, Vec<Mount>> = enabled
        .iter()
        .map(|name| {
            let service = &project.services[name];
            let read_only_root = service.value.read_only == Some(true)
                || settings[name]
                    .0
                    .security
                    .as_ref()
                    .and_then(|s| s.container_security_context.as_ref())
                    .and_then(|c| c.read_only_root_filesystem)
                    == Some(true);
            let field = field_of(name);
            let input = MountInput {
                service_name: name,
                project,
                field: &field,
                place: &place,
                read_only_root,
            };
            (name.clone(), classify_service_mounts(service, &input, d))
        })
        .collect();
    let shared = shared_claims(entry, &mounts, &settings, d);

    // Every name a service is reached by, and who reaches whom.
    let aliases = service_aliases(project, &enabled, &field_of, d);
    let texts = service_texts(project, &settings, &mounts);
    warn_fixed_addresses(project, &enabled, &texts, &field_of, d);
    let names: BTreeMap<String, Vec<String>> = enabled
        .iter()
        .map(|name| {
            let mut all = vec![name.clone()];
            all.extend(aliases.get(name).into_iter().flatten().cloned());
            (name.clone(), all)
        })
        .collect();
    let edges = service_edges(project, &texts);
    let reached = reach(&edges, &names);
    let one_shot: BTreeSet<String> = reached
        .iter()
        .filter(|(_, refs)| {
            refs.iter()
                .any(|r| r.via == Via::DependsOn(Condition::ServiceCompletedSuccessfully))
        })
        .map(|(name, _)| name.clone())
        .collect();

    // Pass one: volumes, controller kind, ports.
    let facts = ProjectFacts {
        entry,
        project,
        reached: &reached,
        one_shot: &one_shot,
        shared: &shared,
        aliases: &aliases,
        place: &place,
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
        docker_only::warn_docker_only(service, profile, &plan.field(&name), &plan.at(&name), d);
        out.notes.extend(prepared.notes.iter().cloned());
        let lowered = service::lower_service(&plan, &name, service, prepared, d);
        out.notes.extend(lowered.notes);
        out.workloads.push(lowered.workload);
        out.builds.extend(lowered.build);
    }
    out
}

/// What pass one needs to know about the whole project.
struct ProjectFacts<'a> {
    entry: &'a Entry<ComposeEntry>,
    project: &'a ComposeProject,
    reached: &'a BTreeMap<String, Vec<Reference>>,
    one_shot: &'a BTreeSet<String>,
    shared: &'a BTreeMap<String, SharedClaim>,
    aliases: &'a BTreeMap<String, Vec<String>>,
    place: &'a str,
}

/// `restart: "no"` / `on-failure[:N]` (or swarm's `restart_policy.condition`): the service is
/// meant to run once.
fn runs_once(service: &Service) -> bool {
    match &service.restart {
        Some(restart) => restart.value == "no" || restart.value.starts_with("on-failure"),
        None => service
            .deploy
            .as_ref()
            .and_then(|d| d.restart_policy.as_ref())
            .and_then(|p| p.condition.as_deref())
            .is_some_and(|c| c == "none" || c == "on-failure"),
    }
}

/// Why a service must keep running whatever its `restart` says: another service waits for it to
/// be healthy or connects to it, it publishes ports, or it is routed to.
fn kept_running(service: &Service, merged: &ComposeService, refs: &[Reference]) -> Option<String> {
    if let Some(r) = refs.iter().find(|r| r.connects()) {
        return Some(format!("{} connects to it", r.describe()));
    }
    if let Some(r) = refs
        .iter()
        .find(|r| r.via == Via::DependsOn(Condition::ServiceHealthy))
    {
        return Some(format!("`{}` waits for it to be healthy", r.from));
    }
    if !service.ports.is_empty() {
        return Some("it publishes ports".to_string());
    }
    merged
        .ingress
        .as_ref()
        .filter(|i| i.enabled != Some(false))
        .map(|_| "it has an ingress route".to_string())
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
    let svc = &service.value;
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
            place: facts.place,
        },
        &mut names,
        &mut config_names,
        d,
    );
    let owns_claim = planned
        .volumes
        .iter()
        .any(|v| v.kind.value == ConfigVolumeType::Pvc && v.claim_name.is_none());
    let job_mode = svc
        .deploy
        .as_ref()
        .and_then(|d| d.mode.as_ref())
        .is_some_and(|m| m.value.ends_with("-job"));
    let refs: &[Reference] = facts.reached.get(name).map_or(&[], Vec::as_slice);
    let running = runs_once(svc)
        .then(|| kept_running(svc, merged, refs))
        .flatten();
    let kind = match &merged.kind {
        Some(kind) => kind.value,
        None if facts.one_shot.contains(name) || job_mode => WorkloadKind::Job,
        None if runs_once(svc) && running.is_none() => WorkloadKind::Job,
        None if owns_claim => WorkloadKind::Statefulset,
        None => WorkloadKind::Deployment,
    };
    let is_job = matches!(kind, WorkloadKind::Job | WorkloadKind::Cronjob);
    let service_enabled = merged.service.as_ref().and_then(|s| s.enabled) != Some(false);
    let needed: Vec<Reference> = refs
        .iter()
        .filter(|r| r.via != Via::DependsOn(Condition::ServiceCompletedSuccessfully))
        .cloned()
        .collect();
    let routed = merged
        .ingress
        .as_ref()
        .is_some_and(|i| i.enabled != Some(false));
    let wanted = (!needed.is_empty() || routed) && !is_job && service_enabled;
    let image = merged.image.as_ref().map(|i| i.value.as_str());
    let built = svc.build.is_some() && apps_yaml_settings(&entry.spec, name).image.is_none();
    let mut ports = service_ports(service, &merged.expose, None, &field, d);
    let mut notes = Vec::new();
    if wanted && ports.container.is_empty() {
        let search = PortSearch {
            name,
            service,
            project: facts.project,
            image,
            built,
            references: &needed,
            field: &field,
        };
        match find_ports(&search, d) {
            Some(found) => {
                let list: Vec<String> = found.ports.iter().map(|(p, _)| p.to_string()).collect();
                notes.push(format!(
                    "`{name}` declares no port; it listens on {} ({})",
                    list.join(", "),
                    found.source
                ));
                ports.add_found(&found.ports);
            }
            None if !needed.is_empty() => {
                let who: Vec<String> = needed.iter().map(Reference::describe).collect();
                d.push(
                    Diagnostic::error(
                        Code::MissingPort,
                        format!(
                            "`{name}` is reached by {} but declares no port, and none is found: {}no other service names one, and {} has no well-known one",
                            who.join(", "),
                            if built { "its Dockerfile exposes none, " } else { "" },
                            image.filter(|_| !built).map_or_else(|| "its image".to_string(), |i| format!("image `{i}`"))
                        ),
                    )
                    .at(service.span)
                    .field(format!("{field}.expose"))
                    .label(needed[0].span, "reached here")
                    .help(format!(
                        "add `expose: [\"PORT\"]` to `{name}` in the compose file, or set `services.{name}.expose: [PORT]` {}",
                        facts.place
                    )),
                );
            }
            None => {}
        }
    }
    let has_service = !ports.container.is_empty() && !is_job && service_enabled;
    if has_service {
        warn_port_mismatch(name, &needed, &ports, &field, facts.place, d);
    }
    Prepared {
        settings: merged.clone(),
        kind,
        planned,
        names,
        has_service,
        ports,
        service_name: to_dns_label(name),
        aliases: facts.aliases.get(name).cloned().unwrap_or_default(),
        kept_running: running.filter(|_| kind != WorkloadKind::Job),
        notes,
    }
}

/// Another service connects to a port the Service does not have (`backend:9091` while it
/// listens on 8000): said once per service and port.
fn warn_port_mismatch(
    name: &str,
    references: &[Reference],
    ports: &ServicePorts,
    field: &str,
    place: &str,
    d: &mut Diagnostics,
) {
    let mut said: BTreeSet<(String, u16)> = BTreeSet::new();
    for reference in references.iter().filter(|r| r.explicit_port) {
        let Some(port) = reference.port else {
            continue;
        };
        if ports.container.iter().any(|p| p.container_port == port)
            || !said.insert((reference.from.clone(), port))
        {
            continue;
        }
        let listening: Vec<String> = ports
            .container
            .iter()
            .map(|p| p.container_port.to_string())
            .collect();
        d.push(
            Diagnostic::warning(
                Code::PortMismatch,
                format!(
                    "{} reaches `{}` on port {port}, but its Service has only {}",
                    reference.describe(),
                    reference.host,
                    listening.join(", ")
                ),
            )
            .at(reference.span)
            .field(format!("{field}.expose"))
            .help(format!(
                "add `expose: [\"{port}\"]` to `{name}` in the compose file, or set `services.{name}.expose` {place}"
            )),
        );
    }
}
