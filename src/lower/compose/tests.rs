//! Compose lowering, one targeted assertion per conversion rule, on the IR and rendered objects.
//! Projects are written to temporary directories; nothing here reads the network.

use std::collections::BTreeMap;

use crate::config::ServiceType;
use crate::diagnostic::{Code, Diagnostics, Severity};
use crate::images::ImageTags;
use crate::lower::LowerContext;
use crate::render::{Manifest, RenderContext, render_workload};
use crate::resolve::{Inputs, resolve};
use crate::workload::{
    Controller, EnvSource, Peer, ProbeAction, RefKind, Replicas, Scaling, VolumeSource, Workload,
};

struct Fixture {
    dir: tempfile::TempDir,
}

/// A project: apps.yaml with one compose entry `stack` at `app/` (plus `entry_extra`, indented
/// under the entry), and the files given (paths relative to the project root).
fn fixture(entry_extra: &str, files: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().expect("a temp dir");
    let apps = format!(
        "version: \"2\"\nenvironments:\n  local: {{}}\ncompose:\n  - name: stack\n    path: app\n{entry_extra}"
    );
    std::fs::write(dir.path().join("apps.yaml"), apps).unwrap();
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    Fixture { dir }
}

/// The lowered workloads and every diagnostic (errors included).
fn lower(fixture: &Fixture) -> (Vec<Workload>, Diagnostics) {
    let (project, d) = crate::config::load(&fixture.dir.path().join("apps.yaml")).unwrap();
    assert!(!d.has_errors(), "{}", d.render());
    let inputs = Inputs {
        set: BTreeMap::new(),
        process_env: BTreeMap::new(),
    };
    let resolved = resolve(&project, "local", &inputs).unwrap_or_else(|d| panic!("{}", d.render()));
    let images = ImageTags::new();
    let cx = LowerContext {
        resolved: &resolved,
        images: &images,
    };
    let mut d = Diagnostics::new();
    let lowered = super::lower_compose(&resolved.compose[0], &cx, &mut d);
    (lowered.workloads, d)
}

/// Lowers a project that must have no errors.
fn lower_ok(fixture: &Fixture) -> (Vec<Workload>, Diagnostics) {
    let (workloads, d) = lower(fixture);
    assert!(!d.has_errors(), "{}", d.render());
    (workloads, d)
}

fn compose(text: &str) -> (&'static str, String) {
    ("app/compose.yaml", text.to_string())
}

/// One workload by compose service name (`web` is `stack-web`).
fn workload<'a>(workloads: &'a [Workload], service: &str) -> &'a Workload {
    let name = format!("stack-{service}");
    workloads
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

fn rendered(workloads: &[Workload]) -> Vec<Manifest> {
    let ctx = RenderContext {
        env: "local".to_string(),
        ingress: crate::config::IngressController::Traefik,
    };
    workloads
        .iter()
        .flat_map(|w| render_workload(w, &ctx))
        .collect()
}

fn codes(d: &Diagnostics, severity: Severity) -> Vec<&'static str> {
    d.items
        .iter()
        .filter(|i| i.severity == severity)
        .map(|i| i.code.as_str())
        .collect()
}

fn with_files(entry_extra: &str, compose_text: &str, files: &[(&str, &str)]) -> Fixture {
    let (path, text) = compose(compose_text);
    let mut all: Vec<(&str, &str)> = vec![(path, &text)];
    all.extend_from_slice(files);
    fixture(entry_extra, &all)
}

fn project(compose_text: &str) -> Fixture {
    with_files("", compose_text, &[])
}

#[test]
fn a_port_less_dependency_gets_a_service_on_its_images_port() {
    let f = project(
        "services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres:16-alpine\n",
    );
    let (workloads, _) = lower_ok(&f);
    let db = workload(&workloads, "db");
    assert_eq!(
        db.services[0].name, "db",
        "the Service keeps the compose name"
    );
    assert_eq!(db.services[0].ports[0].port, 5432);
    assert_eq!(db.services[0].ports[0].name, "postgres");
    assert_eq!(db.main_container().ports[0].container_port, 5432);
}

#[test]
fn a_service_named_as_a_host_in_the_environment_gets_a_service() {
    let f = project(
        "services:\n  web:\n    image: nginx\n    environment:\n      CACHE_URL: redis://cache\n  cache:\n    image: valkey/valkey:8\n",
    );
    let (workloads, _) = lower_ok(&f);
    let cache = workload(&workloads, "cache");
    assert_eq!(cache.services[0].name, "cache");
    assert_eq!(cache.services[0].ports[0].port, 6379);
}

#[test]
fn a_dependency_with_no_known_port_is_an_error_asking_for_expose() {
    let f = project(
        "services:\n  web:\n    image: nginx\n    depends_on: [worker]\n  worker:\n    image: myorg/worker:1\n",
    );
    let (_, d) = lower(&f);
    let error = d
        .items
        .iter()
        .find(|i| i.code == Code::MissingPort)
        .unwrap_or_else(|| panic!("{}", d.render()));
    assert!(
        error.message.contains("`web` (depends_on)"),
        "{}",
        error.message
    );
    assert!(error.render().contains("expose"), "{}", error.render());
    assert!(
        error.span.unwrap().location().contains("compose.yaml:5"),
        "{:?}",
        error.span
    );
}

#[test]
fn apps_yaml_expose_gives_the_missing_port() {
    let f = with_files(
        "    services:\n      worker:\n        expose: [7000]\n",
        "services:\n  web:\n    image: nginx\n    depends_on: [worker]\n  worker:\n    image: myorg/worker:1\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    assert_eq!(
        workload(&workloads, "worker").services[0].ports[0].port,
        7000
    );
}

#[test]
fn a_cmd_shell_healthcheck_runs_under_sh_with_exact_seconds() {
    let f = project(
        "services:\n  api:\n    image: myorg/api\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]\n      interval: 1m30s\n      timeout: 2500ms\n      retries: 4\n      start_period: 3m\n      start_interval: 10s\n",
    );
    let (workloads, _) = lower_ok(&f);
    let c = workload(&workloads, "api").main_container();
    let readiness = c.readiness_probe.as_ref().unwrap();
    let ProbeAction::Exec { command } = &readiness.action else {
        panic!("exec probe")
    };
    assert_eq!(
        command,
        &["sh", "-c", "curl -f http://localhost/ || exit 1"]
    );
    assert_eq!(readiness.period_seconds, Some(90));
    assert_eq!(readiness.timeout_seconds, Some(3));
    assert_eq!(readiness.failure_threshold, Some(4));
    assert!(c.liveness_probe.is_some());
    let startup = c.startup_probe.as_ref().unwrap();
    assert_eq!(startup.period_seconds, Some(10));
    // 3m of start period, then 4 retries 1m30s apart, polled every 10s.
    assert_eq!(startup.failure_threshold, Some(54));
}

#[test]
fn a_cmd_healthcheck_is_exec_argv_and_none_disables_it() {
    let f = project(
        "services:\n  db:\n    image: postgres\n    healthcheck:\n      test: [\"CMD\", \"pg_isready\", \"-U\", \"app\"]\n  other:\n    image: postgres\n    healthcheck:\n      test: [\"NONE\"]\n",
    );
    let (workloads, _) = lower_ok(&f);
    let probe = workload(&workloads, "db")
        .main_container()
        .liveness_probe
        .clone()
        .unwrap();
    let ProbeAction::Exec { command } = probe.action else {
        panic!("exec probe")
    };
    assert_eq!(command, ["pg_isready", "-U", "app"]);
    assert!(
        workload(&workloads, "other")
            .main_container()
            .readiness_probe
            .is_none()
    );
}

#[test]
fn env_file_loses_to_environment() {
    let f = with_files(
        "",
        "services:\n  web:\n    image: nginx\n    env_file: web.env\n    environment:\n      MODE: from-environment\n",
        &[("app/web.env", "MODE=from-file\nLEVEL=info\n")],
    );
    let (workloads, _) = lower_ok(&f);
    let web = workload(&workloads, "web");
    let data = &web
        .config_maps
        .iter()
        .find(|c| c.name == "stack-web-env")
        .unwrap()
        .data;
    assert_eq!(data["MODE"], "from-environment");
    assert_eq!(data["LEVEL"], "info");
}

#[test]
fn secret_looking_keys_never_reach_a_config_map() {
    let f = with_files(
        "    services:\n      web:\n        environment:\n          SESSION_SECRET: from-apps-yaml\n",
        "services:\n  web:\n    image: nginx\n    environment:\n      DB_PASSWORD: pw\n      API_KEY: k\n      GITHUB_TOKEN: t\n      PGPASSWORD: pw\n      DATABASE_URL: postgres://app:pw@db:5432/app\n      LOG_LEVEL: debug\n  db:\n    image: postgres\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let web = workload(&workloads, "web");
    let secret = &web
        .secrets
        .iter()
        .find(|s| s.name == "stack-web-env")
        .unwrap()
        .string_data;
    for key in [
        "DB_PASSWORD",
        "API_KEY",
        "GITHUB_TOKEN",
        "PGPASSWORD",
        "DATABASE_URL",
        "SESSION_SECRET",
    ] {
        assert!(secret.contains_key(key), "{key} is in the Secret");
    }
    for manifest in rendered(&workloads) {
        if let Some(config_map) = manifest.get::<k8s_openapi::api::core::v1::ConfigMap>() {
            for (key, value) in config_map.data.clone().unwrap_or_default() {
                assert!(
                    !crate::secrets::is_secret(&key, &value, &value),
                    "{key} in ConfigMap {:?}",
                    config_map.metadata.name
                );
            }
        }
    }
    let env_from: Vec<(RefKind, &str)> = web
        .main_container()
        .env_from
        .iter()
        .map(|e| (e.kind, e.name.as_str()))
        .collect();
    assert_eq!(
        env_from,
        [
            (RefKind::ConfigMap, "stack-web-env"),
            (RefKind::Secret, "stack-web-env")
        ]
    );
}

#[test]
fn apps_yaml_references_become_env_entries() {
    let f = with_files(
        "    services:\n      web:\n        environment:\n          DB_PASSWORD: {secret: db-creds, key: password}\n",
        "services:\n  web:\n    image: nginx\n    environment:\n      DB_PASSWORD: from-compose\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let web = workload(&workloads, "web");
    assert!(web.secrets.is_empty(), "the compose value is replaced");
    assert_eq!(
        web.main_container().env[0].value,
        EnvSource::SecretKey {
            name: "db-creds".into(),
            key: "password".into(),
            optional: false
        }
    );
}

#[test]
fn anonymous_volumes_never_hide_the_image_and_tmpfs_is_memory() {
    let f = project(
        "services:\n  web:\n    image: nginx\n    volumes:\n      - /var/cache/nginx\n      - type: tmpfs\n        target: /run\n        tmpfs: {size: 64m}\n    tmpfs: /tmp\n  ro:\n    image: node:22\n    user: \"1000\"\n    read_only: true\n    volumes: [/app/node_modules]\n",
    );
    let (workloads, d) = lower_ok(&f);
    let web = workload(&workloads, "web");
    assert!(
        matches!(web.controller, Controller::Deployment { .. }),
        "no claim, no StatefulSet"
    );
    let source = |w: &Workload, path: &str| {
        let mount = w
            .main_container()
            .volume_mounts
            .iter()
            .find(|m| m.mount_path == path)?;
        w.pod
            .volumes
            .iter()
            .find(|v| v.name == mount.name)
            .map(|v| v.source.clone())
    };
    // Writable root: not mounted, the image's content stays; said at the compose line.
    assert!(source(web, "/var/cache/nginx").is_none());
    let warning = d
        .items
        .iter()
        .find(|i| i.code == Code::AnonymousVolume)
        .expect("a warning");
    assert_eq!(
        warning.field.as_deref(),
        Some("compose.stack.services.web.volumes[0]")
    );
    let Some(VolumeSource::EmptyDir { medium, size_limit }) = source(web, "/run") else {
        panic!("emptyDir")
    };
    assert_eq!(medium.as_deref(), Some("Memory"));
    assert_eq!(size_limit.unwrap().as_str(), "64Mi");
    assert!(matches!(
        source(web, "/tmp"),
        Some(VolumeSource::EmptyDir {
            medium: Some(_),
            ..
        })
    ));
    // Read-only root: an emptyDir the image's content is copied into first, by its own user.
    let ro = workload(&workloads, "ro");
    assert!(matches!(
        source(ro, "/app/node_modules"),
        Some(VolumeSource::EmptyDir { medium: None, .. })
    ));
    let copy = &ro.pod.init_containers[0];
    assert_eq!(copy.image, "node:22");
    assert!(copy.command[2].contains("cp -R '/app/node_modules'/. /k3s-image-copy/"));
    assert_eq!(copy.security.run_as_user, Some(1000));
    let mounted = &copy.volume_mounts[0];
    assert_eq!(mounted.mount_path, "/k3s-image-copy");
    assert!(
        ro.main_container()
            .volume_mounts
            .iter()
            .any(|m| m.name == mounted.name && m.mount_path == "/app/node_modules")
    );
}

#[test]
fn a_service_owning_a_named_volume_becomes_a_stateful_set() {
    let f = project(
        "services:\n  db:\n    image: postgres:15\n    volumes:\n      - db_data:/var/lib/postgresql/data\nvolumes:\n  db_data: {}\n",
    );
    let (workloads, _) = lower_ok(&f);
    let db = workload(&workloads, "db");
    let Controller::StatefulSet {
        service_name,
        claims,
    } = &db.controller
    else {
        panic!("a StatefulSet: {:?}", db.controller)
    };
    assert_eq!(
        service_name, "db",
        "its headless Service is the compose name (seed 003)"
    );
    assert_eq!(claims[0].name, "db-data");
    assert_eq!(claims[0].size.as_str(), super::DEFAULT_CLAIM_SIZE);
    assert_eq!(db.services.len(), 1);
    assert_eq!(db.services[0].kind, ServiceType::Headless);
    assert!(db.claims.is_empty(), "claims are volumeClaimTemplates");
    let manifests = rendered(&workloads);
    assert!(
        manifests
            .iter()
            .any(|m| m.kind() == "StatefulSet" && m.name() == "stack-db")
    );
}

#[test]
fn per_service_settings_from_apps_yaml_win() {
    let f = with_files(
        "    defaults:\n      replicas: 2\n    services:\n      web:\n        image: myorg/web:2.0\n        replicas: 3\n      db:\n        kind: deployment\n        volumes:\n          - {name: db_data, type: pvc, mount_path: /data, size: 5Gi, storage_class: fast}\n",
        "services:\n  web:\n    image: myorg/web:1.0\n    deploy: {replicas: 5}\n  db:\n    image: postgres\n    volumes: [db_data:/var/lib/postgresql/data]\n  cache:\n    image: redis\n    deploy: {replicas: 4}\nvolumes:\n  db_data:\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let web = workload(&workloads, "web");
    assert_eq!(web.main_container().image, "myorg/web:2.0");
    assert_eq!(web.replicas, Replicas::Fixed(3));
    assert_eq!(
        workload(&workloads, "cache").replicas,
        Replicas::Fixed(2),
        "defaults win over the compose file"
    );
    let db = workload(&workloads, "db");
    assert!(matches!(db.controller, Controller::Deployment { .. }));
    assert_eq!(db.claims[0].name, "stack-db-db-data");
    assert_eq!(db.claims[0].size.as_str(), "5Gi");
    assert_eq!(db.claims[0].storage_class.as_deref(), Some("fast"));
    assert_eq!(
        db.main_container().volume_mounts[0].mount_path,
        "/var/lib/postgresql/data"
    );
}

#[test]
fn a_disabled_service_is_left_out_and_not_waited_for() {
    let f = with_files(
        "    services:\n      db: {enabled: false}\n",
        "services:\n  web:\n    image: nginx\n    depends_on: [db]\n  db:\n    image: postgres\n",
        &[],
    );
    let (workloads, d) = lower_ok(&f);
    assert_eq!(workloads.len(), 1);
    assert!(workload(&workloads, "web").pod.init_containers.is_empty());
    assert!(codes(&d, Severity::Warning).contains(&"dependency-disabled"));
}

#[test]
fn dependencies_are_waited_for_by_init_containers() {
    let f = project(
        "services:\n  web:\n    image: nginx\n    depends_on:\n      db: {condition: service_healthy}\n      migrate: {condition: service_completed_successfully}\n  db:\n    image: postgres\n  migrate:\n    image: myorg/migrate\n    restart: \"no\"\n",
    );
    let (workloads, d) = lower_ok(&f);
    let web = workload(&workloads, "web");
    assert_eq!(web.pod.init_containers.len(), 1);
    let wait = &web.pod.init_containers[0];
    assert_eq!(wait.name, "wait-for-db");
    assert_eq!(wait.image, super::dependencies::WAIT_IMAGE);
    assert!(
        wait.command[2].contains("nc -z -w 2 db 5432"),
        "{:?}",
        wait.command
    );
    assert_eq!(wait.security.run_as_non_root, Some(true));
    let Controller::Job { job } = &workload(&workloads, "migrate").controller else {
        panic!("a Job")
    };
    assert_eq!(job.restart_policy, "Never");
    assert_eq!(job.backoff_limit, 0);
    assert!(codes(&d, Severity::Warning).contains(&"dependency-order"));
}

#[test]
fn bind_mounts_by_source() {
    let f = with_files(
        "",
        "services:\n  web:\n    build: ./web\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./conf.d:/etc/app/conf.d\n      - ./web:/app\n      - ./src:/src\n      - ./data:/var/lib/data\n",
        &[
            ("app/nginx.conf", "events {}\n"),
            ("app/conf.d/a.conf", "a = 1\n"),
            ("app/conf.d/b.conf", "b = 2\n"),
            ("app/web/Dockerfile", "FROM nginx\n"),
            ("app/src/main.py", "print(1)\n"),
        ],
    );
    let (workloads, d) = lower_ok(&f);
    let web = workload(&workloads, "web");
    let mounts: BTreeMap<&str, &crate::workload::VolumeMount> = web
        .main_container()
        .volume_mounts
        .iter()
        .map(|m| (m.mount_path.as_str(), m))
        .collect();
    let file = mounts["/etc/nginx/nginx.conf"];
    assert_eq!(file.sub_path.as_deref(), Some("nginx.conf"));
    assert!(file.read_only);
    let config = web
        .config_maps
        .iter()
        .find(|c| c.name == "stack-web-nginx-conf")
        .unwrap();
    assert_eq!(config.data["nginx.conf"], "events {}\n");
    let dir = web
        .config_maps
        .iter()
        .find(|c| c.name == "stack-web-conf-d")
        .unwrap();
    assert_eq!(dir.data.keys().collect::<Vec<_>>(), ["a.conf", "b.conf"]);
    assert!(mounts["/etc/app/conf.d"].sub_path.is_none());
    assert!(
        !mounts.contains_key("/app"),
        "the build context is a dev mount"
    );
    assert!(!mounts.contains_key("/src"), "source code is a dev mount");
    assert_eq!(
        codes(&d, Severity::Warning)
            .iter()
            .filter(|c| **c == "source-mount")
            .count(),
        2
    );
    // A directory that does not exist yet holds data: a claim.
    assert!(matches!(web.controller, Controller::StatefulSet { .. }));
    assert!(mounts.contains_key("/var/lib/data"));
    assert!(codes(&d, Severity::Warning).contains(&"bind-mount-claim"));
}

#[test]
fn absolute_host_paths_are_refused_unless_allowed() {
    let text = "services:\n  agent:\n    image: myorg/agent\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n";
    let (_, d) = lower(&project(text));
    assert!(
        codes(&d, Severity::Error).contains(&"host-path"),
        "{}",
        d.render()
    );
    let allowed = with_files(
        "    services:\n      agent:\n        allow_host_path: true\n        security: {profile: privileged}\n",
        text,
        &[],
    );
    let (workloads, _) = lower_ok(&allowed);
    let agent = workload(&workloads, "agent");
    assert!(agent.pod.volumes.iter().any(
        |v| matches!(&v.source, VolumeSource::HostPath { path } if path == "/var/run/docker.sock")
    ));
}

#[test]
fn build_only_services_use_the_image_rule() {
    let f = with_files(
        "",
        "services:\n  web:\n    build:\n      context: ./web\n      target: prod\n",
        &[("app/web/Dockerfile", "FROM nginx\n")],
    );
    let dir = f.dir.path();
    let apps = std::fs::read_to_string(dir.join("apps.yaml")).unwrap();
    std::fs::write(
        dir.join("apps.yaml"),
        apps.replace(
            "compose:",
            "defaults:\n  registry: reg.example.com/team\ncompose:",
        ),
    )
    .unwrap();
    let (workloads, _) = lower_ok(&f);
    assert_eq!(
        workload(&workloads, "web").main_container().image,
        "reg.example.com/team/stack-web:latest"
    );
}

#[test]
fn compose_secrets_are_mounted_under_run_secrets() {
    let f = with_files(
        "",
        "services:\n  db:\n    image: postgres\n    secrets: [db_password]\n  admin:\n    image: adminer\n    secrets:\n      - source: db_password\n        target: pw\nsecrets:\n  db_password:\n    file: ./db_password.txt\n",
        &[("app/db_password.txt", "s3cret\n")],
    );
    let (workloads, _) = lower_ok(&f);
    let admin = workload(&workloads, "admin");
    let db = workload(&workloads, "db");
    assert!(
        db.secrets.is_empty(),
        "the first user (by name) carries the object"
    );
    let secret = admin
        .secrets
        .iter()
        .find(|s| s.name == "stack-db-password")
        .unwrap();
    assert_eq!(secret.string_data["db_password"], "s3cret\n");
    let mount = &db.main_container().volume_mounts[0];
    assert_eq!(mount.mount_path, "/run/secrets/db_password");
    assert_eq!(mount.sub_path.as_deref(), Some("db_password"));
    assert_eq!(
        admin.main_container().volume_mounts[0].mount_path,
        "/run/secrets/pw"
    );
}

#[test]
fn container_settings_carry_over() {
    let f = project(
        "services:\n  api:\n    image: myorg/api\n    entrypoint: [\"/bin/api\"]\n    command: serve --port \"8080 0\"\n    user: \"999:998\"\n    working_dir: /srv\n    read_only: true\n    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE]\n    stop_grace_period: 1m30s\n    extra_hosts: [\"db.local:10.0.0.5\", \"cache.local:10.0.0.5\"]\n    deploy:\n      resources:\n        limits: {cpus: \"0.5\", memory: 512M}\n        reservations: {cpus: \"0.25\", memory: 128M}\n      placement:\n        constraints: [\"node.labels.disk == ssd\", \"node.platform.arch == x86_64\"]\n",
    );
    let (workloads, _) = lower_ok(&f);
    let api = workload(&workloads, "api");
    let c = api.main_container();
    assert_eq!(c.command, ["/bin/api"]);
    assert_eq!(c.args, ["serve", "--port", "8080 0"]);
    assert_eq!(c.working_dir.as_deref(), Some("/srv"));
    assert_eq!(c.security.run_as_user, Some(999));
    assert_eq!(c.security.run_as_group, Some(998));
    assert_eq!(c.security.read_only_root_filesystem, Some(true));
    assert_eq!(c.security.capabilities_drop, ["ALL"]);
    assert_eq!(c.security.capabilities_add, ["NET_BIND_SERVICE"]);
    assert_eq!(c.resources.limits["cpu"].as_str(), "500m");
    assert_eq!(c.resources.limits["memory"].as_str(), "512Mi");
    assert_eq!(c.resources.requests["cpu"].as_str(), "250m");
    assert_eq!(api.pod.termination_grace_period_seconds, Some(90));
    assert_eq!(
        api.pod.host_aliases["10.0.0.5"],
        ["cache.local", "db.local"]
    );
    assert_eq!(api.pod.node_selector["disk"], "ssd");
    assert_eq!(api.pod.node_selector["kubernetes.io/arch"], "amd64");
    assert_eq!(
        api.pod.security.seccomp_profile.as_deref(),
        Some("RuntimeDefault"),
        "baseline"
    );
}

#[test]
fn capabilities_beyond_the_standard_are_errors_at_the_compose_line() {
    let (_, d) = lower(&project(
        "services:\n  vpn:\n    image: myorg/vpn\n    cap_add: [NET_ADMIN]\n",
    ));
    let error = d
        .items
        .iter()
        .find(|i| i.code == Code::SecurityProfile)
        .unwrap();
    assert!(
        error.span.unwrap().location().contains("compose.yaml:4"),
        "{}",
        error.render()
    );
}

#[test]
fn published_ports_make_a_node_port_keeping_allowed_host_ports() {
    let f = project(
        "services:\n  web:\n    image: nginx\n    ports: [\"30080:80\", \"127.0.0.1:9000:9000\"]\n  admin:\n    image: myorg/admin\n    ports: [\"127.0.0.1:8080:8080\"]\n",
    );
    let (workloads, _) = lower_ok(&f);
    let web = &workload(&workloads, "web").services[0];
    assert_eq!(web.kind, ServiceType::NodePort);
    assert_eq!(web.ports[0].node_port, Some(30080));
    assert_eq!(
        web.ports[1].node_port, None,
        "a loopback port is not published"
    );
    assert_eq!(
        workload(&workloads, "admin").services[0].kind,
        ServiceType::ClusterIP
    );
}

#[test]
fn an_ingress_publishes_the_service_instead_of_a_node_port() {
    let f = with_files(
        "    services:\n      web:\n        ingress: {path: /}\n",
        "services:\n  web:\n    image: nginx\n    ports: [\"3000:80\"]\n",
        &[],
    );
    let (workloads, d) = lower_ok(&f);
    assert_eq!(
        workload(&workloads, "web").services[0].kind,
        ServiceType::ClusterIP,
        "the route publishes the port; no NodePort on every node"
    );
    assert!(
        !codes(&d, Severity::Warning).contains(&"published-port"),
        "the warning's own fix (ingress) silences it: {}",
        d.render()
    );
}

#[test]
fn under_keda_http_every_name_of_a_service_leads_through_the_interceptor() {
    let f = with_files(
        "    services:\n      search:\n        scaling: {type: keda-http, min_instances: 0}\n",
        "services:\n  search:\n    image: myorg/search\n    container_name: es\n    expose: [\"9200\"]\n  web:\n    image: myorg/web\n    environment:\n      SEARCH_URL: http://es:9200\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let search = workload(&workloads, "search");
    let es = search.services.iter().find(|s| s.name == "es").unwrap();
    assert!(
        es.external_name
            .as_deref()
            .is_some_and(|n| n.starts_with("keda-add-ons-http-interceptor-proxy.")),
        "a caller of `es` must reach the interceptor, not the pods: {es:?}"
    );
    let Scaling::Http { hosts, .. } = &search.scaling else {
        panic!("keda-http scaling: {:?}", search.scaling);
    };
    for host in ["es", "es.apps", "es.apps.svc.cluster.local"] {
        assert!(hosts.iter().any(|h| h == host), "{host} in {hosts:?}");
    }
}

#[test]
fn strict_networks_admit_only_services_sharing_one() {
    let f = with_files(
        "    network: {policy: strict}\n",
        "services:\n  web:\n    image: nginx\n    networks: [front]\n  api:\n    image: myorg/api\n    expose: [\"8000\"]\n    networks: [front, back]\n  db:\n    image: postgres\n    expose: [\"5432\"]\n    networks: [back]\nnetworks:\n  front: {}\n  back: {}\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let sources = |service: &str| -> Vec<String> {
        workload(&workloads, service)
            .network
            .as_ref()
            .unwrap()
            .ingress
            .iter()
            .flat_map(|r| r.peers.iter())
            .filter_map(|p| match p {
                Peer::Pods(labels) => labels.get("app.kubernetes.io/name").cloned(),
                _ => None,
            })
            .collect()
    };
    assert_eq!(sources("db"), ["stack-api", "stack-db"]);
    assert_eq!(sources("api"), ["stack-api", "stack-db", "stack-web"]);
}

#[test]
fn a_named_volume_shared_by_services_needs_read_write_many() {
    let text = "services:\n  web:\n    image: nginx\n    volumes: [static:/static]\n  app:\n    image: myorg/app\n    volumes: [static:/app/static]\nvolumes:\n  static:\n";
    let (_, d) = lower(&project(text));
    assert!(
        codes(&d, Severity::Error).contains(&"shared-volume"),
        "{}",
        d.render()
    );
    let f = with_files(
        "    services:\n      app:\n        volumes:\n          - {name: static, type: pvc, mount_path: /app/static, size: 2Gi, access_modes: [ReadWriteMany]}\n",
        text,
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let app = workload(&workloads, "app");
    let web = workload(&workloads, "web");
    assert_eq!(app.claims.len(), 1, "the first user carries the claim");
    assert_eq!(app.claims[0].name, "stack-static");
    assert_eq!(app.claims[0].access_modes, ["ReadWriteMany"]);
    assert!(web.claims.is_empty());
    assert!(matches!(web.controller, Controller::Deployment { .. }));
    assert!(web.pod.volumes.iter().any(|v| matches!(&v.source, VolumeSource::Claim { claim_name, .. } if claim_name == "stack-static")));
}

#[test]
fn docker_only_keys_are_warned_about() {
    let (_, d) = lower_ok(&project(
        "services:\n  web:\n    image: nginx\n    network_mode: host\n    privileged: true\n    init: true\n",
    ));
    let warnings: Vec<String> = d
        .items
        .iter()
        .filter(|i| i.code == Code::DockerOnly)
        .map(|i| i.field.clone().unwrap_or_default())
        .collect();
    for key in ["network_mode", "privileged", "init"] {
        assert!(
            warnings.iter().any(|w| w.ends_with(key)),
            "{key}: {warnings:?}"
        );
    }
}

#[test]
fn services_of_two_entries_in_one_namespace_must_not_clash() {
    let f = fixture(
        "  - name: other\n    path: other\n",
        &[
            (
                "app/compose.yaml",
                "services:\n  db:\n    image: postgres\n    expose: [\"5432\"]\n",
            ),
            (
                "other/compose.yaml",
                "services:\n  db:\n    image: postgres\n    expose: [\"5432\"]\n",
            ),
        ],
    );
    let (project, _) = crate::config::load(&f.dir.path().join("apps.yaml")).unwrap();
    let images = ImageTags::new();
    let inputs = Inputs {
        set: BTreeMap::new(),
        process_env: BTreeMap::new(),
    };
    let location = Default::default();
    let options = crate::pipeline::PlanOptions {
        inputs: &inputs,
        images: &images,
        location: &location,
        documents: false,
    };
    let result = crate::pipeline::plan_environment(&project, "local", &options);
    let d = result.expect_err("a clash");
    assert!(
        codes(&d, Severity::Error).contains(&"duplicate-object"),
        "{}",
        d.render()
    );
}

#[test]
fn several_ports_get_unique_valid_names() {
    let f = project(
        "services:\n  ui:\n    image: myorg/ui\n    ports: [\"3002:3000\", \"8080:8080\"]\n",
    );
    let (workloads, _) = lower_ok(&f);
    let names: Vec<&str> = workload(&workloads, "ui")
        .main_container()
        .ports
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["http", "http-2"], "seed 002");
}

#[test]
fn one_shot_modes_and_retries_make_jobs() {
    let f = project(
        "services:\n  seed:\n    image: myorg/seed\n    restart: on-failure:4\n    deploy: {mode: replicated-job}\n",
    );
    let (workloads, _) = lower_ok(&f);
    let seed = workload(&workloads, "seed");
    let Controller::Job { job } = &seed.controller else {
        panic!("a Job")
    };
    assert_eq!(job.restart_policy, "OnFailure");
    assert_eq!(job.backoff_limit, 4);
    assert_eq!(seed.replicas, Replicas::NotApplicable);
    assert!(seed.services.is_empty());
}

#[test]
fn secrets_and_configs_from_variables_inline_content_and_existing_objects() {
    let f = with_files(
        "    variables: {API_TOKEN: t0ken}\n",
        "services:\n  api:\n    image: myorg/api\n    secrets: [token, tls]\n    configs:\n      - source: settings\n        target: /etc/api/settings.ini\n        mode: 0440\nsecrets:\n  token:\n    environment: API_TOKEN\n  tls:\n    external: true\n    name: api-tls\nconfigs:\n  settings:\n    content: \"debug = false\"\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let api = workload(&workloads, "api");
    let token = api
        .secrets
        .iter()
        .find(|s| s.name == "stack-token")
        .unwrap();
    assert_eq!(token.string_data["token"], "t0ken");
    assert!(
        api.secrets.iter().all(|s| s.name != "api-tls"),
        "external: referred to, not made"
    );
    assert!(api.pod.volumes.iter().any(|v| matches!(&v.source, VolumeSource::Secret { secret_name, .. } if secret_name == "api-tls")));
    let settings = api
        .config_maps
        .iter()
        .find(|c| c.name == "stack-settings")
        .unwrap();
    assert_eq!(settings.data["settings"], "debug = false");
    let volume = api
        .pod
        .volumes
        .iter()
        .find(|v| matches!(&v.source, VolumeSource::ConfigMap { name, .. } if name == "stack-settings"))
        .unwrap();
    let VolumeSource::ConfigMap { default_mode, .. } = &volume.source else {
        unreachable!()
    };
    assert_eq!(*default_mode, Some(0o440));
    let mount = api
        .main_container()
        .volume_mounts
        .iter()
        .find(|m| m.name == volume.name)
        .unwrap();
    assert_eq!(mount.mount_path, "/etc/api/settings.ini");
    assert_eq!(mount.sub_path.as_deref(), Some("settings"));
}

#[test]
fn settings_for_a_service_the_project_lacks_are_an_error() {
    let f = with_files(
        "    services:\n      wbe: {replicas: 2}\n",
        "services:\n  web:\n    image: nginx\n",
        &[],
    );
    let (_, d) = lower(&f);
    let error = d
        .items
        .iter()
        .find(|i| i.code == Code::UnknownService)
        .unwrap();
    assert!(
        error.render().contains("did you mean `web`?"),
        "{}",
        error.render()
    );
}

#[test]
fn a_service_name_that_is_no_dns_label_is_renamed_with_a_warning() {
    let f = project(
        "services:\n  my_db:\n    image: postgres\n  web:\n    image: nginx\n    depends_on: [my_db]\n",
    );
    let (workloads, d) = lower_ok(&f);
    let db = workload(&workloads, "my-db");
    assert_eq!(db.services[0].name, "my-db");
    assert!(codes(&d, Severity::Warning).contains(&"renamed-service"));
    let wait = &workload(&workloads, "web").pod.init_containers[0];
    assert!(
        wait.command[2].contains("nc -z -w 2 my-db 5432"),
        "{:?}",
        wait.command
    );
}

#[test]
fn a_cron_job_when_apps_yaml_asks() {
    let f = with_files(
        "    services:\n      backup:\n        kind: cronjob\n        job: {schedule: \"0 3 * * *\"}\n",
        "services:\n  backup:\n    image: postgres:15\n    command: [\"sh\", \"-c\", \"pg_dump -h db > /backup/dump.sql\"]\n    volumes: [backups:/backup]\nvolumes:\n  backups:\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let backup = workload(&workloads, "backup");
    let Controller::CronJob { schedule, .. } = &backup.controller else {
        panic!("a CronJob: {:?}", backup.controller)
    };
    assert_eq!(schedule, "0 3 * * *");
    assert_eq!(
        backup.claims[0].name, "stack-backup-backups",
        "a standalone claim"
    );
    assert!(backup.services.is_empty());
}

#[test]
fn internal_visibility_admits_every_namespace_without_a_rule_per_peer() {
    let f = with_files(
        "    services:\n      api:\n        security: {visibility: internal}\n",
        "services:\n  api:\n    image: myorg/api\n    expose: [\"8000\"]\n",
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let api = workload(&workloads, "api");
    let network = api.network.as_ref().unwrap();
    assert!(
        !network
            .ingress
            .iter()
            .any(|r| r.peers == [Peer::Pods(BTreeMap::new())]),
        "the namespace's pods are already inside every namespace: {network:?}"
    );
    assert!(
        network
            .ingress
            .iter()
            .any(|r| r.peers.contains(&Peer::AnyNamespace)),
        "internal admits every namespace: {network:?}"
    );
}

#[test]
fn allow_external_is_admitted_under_permissive_and_warned_under_none() {
    let compose = "services:\n  api:\n    image: myorg/api\n    expose: [\"8000\"]\n";
    let f = with_files(
        "    network: {policy: permissive, allow_external: [{namespace: monitoring}]}\n",
        compose,
        &[],
    );
    let (workloads, _) = lower_ok(&f);
    let peers: Vec<&Peer> = workload(&workloads, "api")
        .network
        .as_ref()
        .unwrap()
        .ingress
        .iter()
        .flat_map(|r| r.peers.iter())
        .collect();
    assert!(
        peers
            .iter()
            .any(|p| matches!(p, Peer::Namespace { name, .. } if name == "monitoring")),
        "{peers:?}"
    );

    let f = with_files(
        "    network: {policy: none, allow_external: [{namespace: monitoring}]}\n",
        compose,
        &[],
    );
    let (_, d) = lower(&f);
    let warning = d
        .items
        .iter()
        .find(|i| i.field.as_deref() == Some("compose.stack.network.allow_external"))
        .unwrap_or_else(|| panic!("{}", d.render()));
    assert_eq!(warning.code, Code::UnusedSetting);
}

#[test]
fn allowed_sources_without_restricted_visibility_are_warned_not_dropped_silently() {
    let f = with_files(
        "    services:\n      api:\n        security: {allowed_sources: [{namespace: web}]}\n",
        "services:\n  api:\n    image: myorg/api\n    expose: [\"8000\"]\n",
        &[],
    );
    let (_, d) = lower(&f);
    let warning = d
        .items
        .iter()
        .find(|i| i.field.as_deref() == Some("compose.stack.services.api.security.allowed_sources"))
        .unwrap_or_else(|| panic!("{}", d.render()));
    assert_eq!(warning.code, Code::UnusedSetting);
    assert!(warning.message.contains("visibility: restricted"));
}
