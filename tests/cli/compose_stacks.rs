//! Issue 14's "Why", one test per bullet, and the sample stacks of its second "Done when":
//! every name one service of a converted stack uses to reach another is a Service with that
//! name and port, a NetworkPolicy lets the caller in, and no emptyDir hides what the image
//! holds. The stacks are small projects in tests/fixtures/compose-stacks/.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{ENVS, Project, Run};

/// Every YAML document of `stdout` (comment-only ones left out), as JSON values.
fn documents(stdout: &str) -> Vec<Value> {
    stdout
        .split("\n---\n")
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
        })
        .map(|d| serde_saphyr::from_str(d).unwrap_or_else(|e| panic!("{e}:\n{d}")))
        .collect()
}

fn object<'a>(documents: &'a [Value], kind: &str, name: &str) -> &'a Value {
    documents
        .iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} `{name}` in {documents:#?}"))
}

fn has_object(documents: &[Value], kind: &str, name: &str) -> bool {
    documents
        .iter()
        .any(|d| d["kind"] == kind && d["metadata"]["name"] == name)
}

/// `k3s compose convert FILE`, the objects named after project `project` unless the file's
/// directory names it.
fn convert(project: &Project, file: &str) -> (Run, Vec<Value>) {
    let name = Path::new(file)
        .parent()
        .and_then(|p| p.file_name())
        .map_or("project".to_string(), |n| n.to_string_lossy().into_owned());
    let run = project.run(&["compose", "convert", file, "--name", &name]);
    run.code(0);
    let documents = documents(&run.stdout);
    (run, documents)
}

/// The ports of Service `name`.
fn service_ports(documents: &[Value], name: &str) -> Vec<u64> {
    object(documents, "Service", name)["spec"]["ports"]
        .as_array()
        .map(|ports| ports.iter().filter_map(|p| p["port"].as_u64()).collect())
        .unwrap_or_default()
}

/// The ports a NetworkPolicy's ingress rules list, in order.
fn policy_ports(documents: &[Value], name: &str) -> Vec<u64> {
    object(documents, "NetworkPolicy", name)["spec"]["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule["ports"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["port"].as_u64())
        .collect()
}

// --- Ports the project states elsewhere -------------------------------------------------------

#[test]
fn the_port_in_the_final_stages_expose_is_used_and_said() {
    let project = Project::new()
        .file(
            "compose.yaml",
            "services:\n  proxy:\n    image: nginx:1.27\n    depends_on: [backend]\n  backend:\n    build: backend\n",
        )
        .file(
            "backend/Dockerfile",
            "FROM golang:1.22 AS build\nEXPOSE 6060\nRUN go build -o /server .\n\nFROM gcr.io/distroless/base-debian12\nCOPY --from=build /server /server\nEXPOSE 8000\nENTRYPOINT [\"/server\"]\n",
        );
    let (run, documents) = convert(&project, "compose.yaml");
    run.stderr_contains(
        "note: `backend` declares no port; it listens on 8000 (EXPOSE in backend/Dockerfile:7)",
    );
    assert_eq!(service_ports(&documents, "backend"), [8000]);
    assert_eq!(policy_ports(&documents, "project-backend"), [8000]);
}

#[test]
fn a_stateful_service_with_only_expose_is_reachable_on_that_port() {
    // Was: a headless Service with no ports and a deny-all NetworkPolicy.
    let project = Project::new()
        .file(
            "compose.yaml",
            "services:\n  web:\n    image: nginx:1.27\n    depends_on: [api]\n  api:\n    build: api\n    volumes: [data:/var/lib/api]\nvolumes:\n  data:\n",
        )
        .file("api/Dockerfile", "FROM python:3.12-slim\nEXPOSE 8000\n");
    let (_, documents) = convert(&project, "compose.yaml");
    assert_eq!(
        object(&documents, "StatefulSet", "project-api")["spec"]["serviceName"],
        "api"
    );
    let service = object(&documents, "Service", "api");
    assert_eq!(service["spec"]["clusterIP"], "None");
    assert_eq!(service_ports(&documents, "api"), [8000]);
    assert_eq!(policy_ports(&documents, "project-api"), [8000]);
}

#[test]
fn the_port_in_another_services_environment_is_used_and_said() {
    let project = Project::new().file(
        "compose.yaml",
        "services:\n  proxy:\n    image: nginx:1.27\n    environment:\n      - FLASK_SERVER_ADDR=backend:9091\n    depends_on: [backend]\n  backend:\n    image: myorg/flask-backend:1\n",
    );
    let (run, documents) = convert(&project, "compose.yaml");
    run.stderr_contains("note: `backend` declares no port; it listens on 9091 (`proxy` (FLASK_SERVER_ADDR) reaches `backend` at `backend:9091`)");
    assert_eq!(service_ports(&documents, "backend"), [9091]);
    assert_eq!(policy_ports(&documents, "project-backend"), [9091]);
}

#[test]
fn the_port_in_a_traefik_label_is_used_and_said() {
    let project = Project::new().file(
        "compose.yaml",
        "services:\n  proxy:\n    image: traefik:v3.1\n    depends_on: [whoami]\n  whoami:\n    image: myorg/whoami:1\n    labels:\n      - traefik.http.routers.whoami.rule=Host(`whoami.localhost`)\n      - traefik.http.services.whoami.loadbalancer.server.port=8081\n",
    );
    let (run, documents) = convert(&project, "compose.yaml");
    run.stderr_contains("note: `whoami` declares no port; it listens on 8081 (label `traefik.http.services.whoami.loadbalancer.server.port`)");
    assert_eq!(service_ports(&documents, "whoami"), [8081]);
}

// --- convert takes the advice it prints ---------------------------------------------------------

#[test]
fn convert_takes_the_per_service_settings_its_help_names() {
    let compose = "services:\n  web:\n    image: nginx:1.27\n    depends_on: [worker]\n  worker:\n    image: myorg/worker:1\n";
    // Without apps.yaml: the help names a settings file, and that file is taken.
    let project = Project::new()
        .file("shop/compose.yaml", compose)
        .file("worker.yaml", "services:\n  worker:\n    expose: [7000]\n");
    project
        .run(&["compose", "convert", "shop/compose.yaml"])
        .code(1)
        .error_at("shop/compose.yaml:5:3", "services.worker.expose", "declares no port")
        .stderr_contains("set `services.worker.expose: [PORT]` in a settings file given to `k3s compose convert --settings FILE`");
    let run = project.run(&[
        "compose",
        "convert",
        "shop/compose.yaml",
        "--settings",
        "worker.yaml",
    ]);
    run.code(0);
    assert_eq!(service_ports(&documents(&run.stdout), "worker"), [7000]);
    // With apps.yaml (`-f`, `--entry`): the help names the entry, and the entry is taken.
    let apps_yaml = format!("{ENVS}compose:\n  - name: shop\n    path: shop\n");
    let project = project
        .file("config/apps.yaml", &apps_yaml)
        .file("config/shop/compose.yaml", compose);
    project
        .run(&[
            "-f",
            "config/apps.yaml",
            "compose",
            "convert",
            "--entry",
            "shop",
        ])
        .code(1)
        .stderr_contains(
            "set `services.worker.expose: [PORT]` in compose entry `shop` of apps.yaml",
        );
    let project = project.file(
        "config/apps.yaml",
        &format!("{apps_yaml}    services:\n      worker:\n        expose: [7000]\n"),
    );
    let run = project.run(&[
        "-f",
        "config/apps.yaml",
        "compose",
        "convert",
        "--entry",
        "shop",
    ]);
    run.code(0);
    assert_eq!(service_ports(&documents(&run.stdout), "worker"), [7000]);
}

#[test]
fn convert_alone_says_how_to_read_a_file_outside_the_compose_directory() {
    let project = Project::new()
        .file(
            "shop/compose.yaml",
            "services:\n  web:\n    image: nginx:1.27\n    env_file: ../shared.env\n",
        )
        .file("shared.env", "GREETING=hello\n");
    project
        .run(&["compose", "convert", "shop/compose.yaml"])
        .code(1)
        .stderr_contains("outside the project directory")
        .stderr_contains("help: k3s reads only files below the compose file's directory; if this one is meant, convert through a `compose:` entry of apps.yaml with `allow_outside_project: true` (`k3s compose convert --entry NAME`)");
    // Following it: an entry that opts in (in an apps.yaml beside the compose file, so that the
    // env file lies outside that project too).
    let entry = format!("{ENVS}compose:\n  - name: shop\n    path: .\n");
    let convert = [
        "-f",
        "shop/apps.yaml",
        "compose",
        "convert",
        "--entry",
        "shop",
    ];
    let project = project.file("shop/apps.yaml", &entry);
    project
        .run(&convert)
        .code(1)
        .stderr_contains("set `allow_outside_project: true` on the compose entry in apps.yaml");
    project
        .file(
            "shop/apps.yaml",
            &format!("{entry}    allow_outside_project: true\n"),
        )
        .run(&convert)
        .code(0)
        .stdout_contains("GREETING: hello");
}

#[test]
fn every_help_line_of_convert_alone_can_be_followed_without_apps_yaml() {
    // The corpus, the sample stacks and one project of each help-printing mistake, converted
    // without apps.yaml: a help line that points at apps.yaml must say how to use it here.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = crate::corpus::corpus_files(&root.join("compose-go"));
    files.extend(crate::corpus::corpus_files(&root.join("compose-stacks")));
    let mistakes = Project::new().file(
        "m/compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n    depends_on:\n      db: {condition: service_healthy}\n      worker: {condition: service_started}\n    volumes: [/cache, /etc/hostname:/etc/host-name, ~bob/x:/x]\n    environment: {API_TOKEN: t0ken}\n  db:\n    image: postgres:16\n    restart: \"no\"\n    networks:\n      default: {ipv4_address: 172.20.0.5}\n  worker:\n    image: myorg/worker:1\n",
    );
    files.push(mistakes.path().join("m/compose.yaml"));
    let project = Project::new();
    let mut helps = 0;
    for file in files {
        let run = project.run_with_env(
            &["compose", "convert", file.to_str().unwrap(), "--name", "c"],
            &[("HOME", "/home/u")],
        );
        for help in run.stderr.lines().filter(|l| l.contains("= help: ")) {
            helps += 1;
            assert!(
                !help.contains("apps.yaml") || help.contains("--entry"),
                "{}: {help}",
                file.display()
            );
            assert!(
                !help.contains("settings file") || help.contains("--settings FILE"),
                "{}: {help}",
                file.display()
            );
        }
    }
    assert!(helps > 20, "only {helps} help lines");
}

// --- Anonymous volumes ---------------------------------------------------------------------------

#[test]
fn anonymous_volumes_never_hide_the_images_content() {
    let project = Project::new().file(
        "compose.yaml",
        "services:\n  web:\n    image: node:22\n    volumes:\n      - /app/node_modules\n  api:\n    image: node:22\n    read_only: true\n    user: \"1000\"\n    volumes:\n      - type: volume\n        target: /srv/node_modules\n",
    );
    let (run, documents) = convert(&project, "compose.yaml");
    // A writable root: not mounted, said at the compose line.
    run.stderr_contains("compose.yaml:5:9: warning: compose.project.services.web.volumes[0]: `/app/node_modules` is an anonymous volume: it is not mounted, so the container keeps the image's own content there");
    let web = &object(&documents, "Deployment", "project-web")["spec"]["template"]["spec"];
    assert!(web["volumes"].is_null(), "{web:#}");
    // A read-only root: an emptyDir the image's own content is copied into first.
    let api = &object(&documents, "Deployment", "project-api")["spec"]["template"]["spec"];
    let mount = api["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == "/srv/node_modules")
        .unwrap_or_else(|| panic!("{api:#}"));
    let copy = &api["initContainers"][0];
    assert_eq!(copy["image"], "node:22");
    assert!(
        copy["command"][2]
            .as_str()
            .unwrap()
            .contains("cp -R '/srv/node_modules'/."),
        "{copy:#}"
    );
    assert_eq!(copy["volumeMounts"][0]["name"], mount["name"]);
    assert_eq!(copy["securityContext"]["runAsUser"], 1000);
}

// --- Names other services use ---------------------------------------------------------------------

#[test]
fn container_name_hostname_and_aliases_are_services_onto_the_same_pods() {
    let project = Project::new().file(
        "compose.yaml",
        "services:\n  elasticsearch:\n    image: docker.elastic.co/elasticsearch/elasticsearch:8.15.0\n    container_name: es\n    hostname: search\n    networks:\n      default:\n        aliases: [elastic]\n  kibana:\n    image: docker.elastic.co/kibana/kibana:8.15.0\n    environment:\n      ELASTICSEARCH_HOSTS: http://es:9200\n",
    );
    let (_, documents) = convert(&project, "compose.yaml");
    let selector = &object(&documents, "Service", "elasticsearch")["spec"]["selector"];
    for name in ["es", "search", "elastic"] {
        let service = object(&documents, "Service", name);
        assert_eq!(&service["spec"]["selector"], selector, "{service:#}");
        assert_eq!(service_ports(&documents, name), [9200]);
    }
}

#[test]
fn a_fixed_address_is_a_warning_naming_who_points_at_it() {
    let project = Project::new().file(
        "compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    networks:\n      front:\n        ipv4_address: 172.20.0.5\n  probe:\n    image: busybox:1.36\n    command: wget -q -O- http://172.20.0.5/\n    networks: [front]\nnetworks:\n  front:\n    ipam: {config: [{subnet: 172.20.0.0/16}]}\n",
    );
    let (run, _) = convert(&project, "compose.yaml");
    run.stderr_contains("compose.yaml:6:9: warning: compose.project.services.web.networks.front.ipv4_address: `web` has the fixed address 172.20.0.5 on network `front`, which is not kept, and `probe` (command) points at it")
        .stderr_contains("help: reach it by name instead: `web`");
}

// --- One-shot services ---------------------------------------------------------------------------

#[test]
fn restart_no_runs_once_as_a_job_and_on_failure_retries() {
    let compose = "services:\n  migrate:\n    image: myorg/migrate:1\n    restart: \"no\"\n  seed:\n    image: myorg/seed:1\n    restart: on-failure:3\n  db:\n    image: postgres:16\n    restart: \"no\"\n  web:\n    image: nginx:1.27\n    depends_on:\n      db: {condition: service_healthy}\n";
    let project = Project::new().file("shop/compose.yaml", compose);
    let (run, documents) = convert(&project, "shop/compose.yaml");
    let migrate = object(&documents, "Job", "shop-migrate");
    assert_eq!(migrate["spec"]["backoffLimit"], 0);
    assert_eq!(
        migrate["spec"]["template"]["spec"]["restartPolicy"],
        "Never"
    );
    let seed = object(&documents, "Job", "shop-seed");
    assert_eq!(seed["spec"]["backoffLimit"], 3);
    assert_eq!(
        seed["spec"]["template"]["spec"]["restartPolicy"],
        "OnFailure"
    );
    // A service others wait on to be healthy is long-running: a Deployment, and said, with a
    // fix for the mode the user is in.
    assert!(has_object(&documents, "Deployment", "shop-db"));
    run.stderr_contains("shop/compose.yaml:10:14: warning: compose.shop.services.db.restart: restart `no` is not kept: it runs as a Deployment because `web` waits for it to be healthy")
        .stderr_contains("help: for a one-shot task, set `kind: job` under `services.db` in a settings file given to `k3s compose convert --settings FILE`");
    Project::with_apps_yaml(&format!("{ENVS}compose:\n  - name: shop\n    path: shop\n"))
        .file("shop/compose.yaml", compose)
        .run(&["validate", "--env", "local"])
        .code(0)
        .stderr_contains("help: for a one-shot task, set `kind: job` under `services.db` in compose entry `shop` of apps.yaml");
}

// --- build: with image: --------------------------------------------------------------------------

#[test]
fn build_with_image_is_built_tagged_under_the_registry_and_planned() {
    let project = Project::with_apps_yaml(
        "version: \"2\"\ndefaults:\n  registry: {local: \"registry.local:5000\", gcp: gcr.io/proj}\nenvironments:\n  local: {}\n  gcp: {domain: example.com}\ncompose:\n  - name: shop\n    path: shop\n",
    )
    .file(
        "shop/compose.yaml",
        "services:\n  web:\n    build: ./web\n    image: myorg/web:1.2\n    expose: [\"80\"]\n",
    )
    .file("shop/web/Dockerfile", "FROM nginx:1.27\n");
    project
        .run(&["generate", "--env", "gcp", "--stdout"])
        .code(0)
        .stdout_contains("image: gcr.io/proj/myorg/web:1.2\n");
    let plan = project.run(&["build-plan", "--env", "gcp", "-o", "json"]);
    plan.code(0);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    let image = &plan["images"][0];
    assert_eq!(image["name"], "myorg/web");
    assert_eq!(image["ref"], "gcr.io/proj/myorg/web:1.2");
    assert_eq!(image["context"], "shop/web");
    assert_eq!(plan["external_images"], serde_json::json!([]));
}

// --- Healthchecks --------------------------------------------------------------------------------

#[test]
fn the_startup_probe_allows_start_period_plus_the_retries() {
    let project = Project::new().file(
        "compose.yaml",
        "services:\n  db:\n    image: postgres:16\n    healthcheck:\n      test: [\"CMD\", \"pg_isready\"]\n      interval: 10s\n      start_period: 10s\n",
    );
    let (_, documents) = convert(&project, "compose.yaml");
    let container = &object(&documents, "Deployment", "project-db")["spec"]["template"]["spec"]["containers"]
        [0];
    let startup = &container["startupProbe"];
    // 10s of start period, then Docker's 3 retries 10s apart: 40s, polled every 10s.
    assert_eq!(startup["periodSeconds"], 10);
    assert_eq!(startup["failureThreshold"], 4);
    assert_eq!(container["livenessProbe"]["failureThreshold"], 3);
}

// --- ~ in host paths -----------------------------------------------------------------------------

#[test]
fn a_tilde_in_a_host_path_is_expanded_and_the_help_for_it_works() {
    let project = Project::new()
        .file(
            "compose.yaml",
            "services:\n  agent:\n    image: myorg/agent:1\n    volumes:\n      - ~/.config/agent:/etc/agent:ro\n      - ~bob/data:/data\n",
        )
        .file(
            "settings.yaml",
            "services:\n  agent:\n    allow_host_path: true\n    security: {profile: privileged}\n",
        )
        .file(
            "with-data.yaml",
            "services:\n  agent:\n    allow_host_path: true\n    security: {profile: privileged}\n    volumes: [{name: host, type: hostPath, path: /srv/bob/data, mount_path: /data}]\n",
        );
    let home = [("HOME", "/home/u")];
    let convert = |settings: &[&str]| {
        let mut args = vec!["compose", "convert", "compose.yaml", "--name", "project"];
        args.extend_from_slice(settings);
        project.run_with_env(&args, &home)
    };
    let run = convert(&[]);
    run.code(1)
        .error_at("compose.yaml:5:9", "compose.project.services.agent.volumes[0]", "`/home/u/.config/agent` is a path on the host")
        .stderr_contains("set `allow_host_path: true` and `security: {profile: privileged}` under `services.agent` in a settings file given to `k3s compose convert --settings FILE`")
        .error_at("compose.yaml:6:9", "compose.project.services.agent.volumes[1]", "`~bob/data` is a path in a user's home directory")
        .stderr_contains("or replace the mount of `/data` with `{name: host, type: hostPath, path: /ABSOLUTE/PATH, mount_path: /data}` under `services.agent.volumes` in a settings file given to `k3s compose convert --settings FILE`, with `allow_host_path: true`");
    // Following the first help leaves the second error; following both converts.
    convert(&["--settings", "settings.yaml"])
        .code(1)
        .stderr_contains("`~bob/data` is a path in a user's home directory")
        .stderr_contains("1 error");
    let run = convert(&["--settings", "with-data.yaml"]);
    run.code(0);
    let volumes =
        object(&documents(&run.stdout), "Deployment", "project-agent")["spec"]["template"]["spec"]
            ["volumes"]
            .clone();
    let paths: BTreeSet<&str> = volumes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["hostPath"]["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from(["/home/u/.config/agent", "/srv/bob/data"])
    );
}

// --- Secrets -------------------------------------------------------------------------------------

#[test]
fn secret_values_stay_out_of_git_with_a_store_and_are_warned_about_without() {
    let compose = "services:\n  api:\n    image: myorg/api:1\n    expose: [\"8000\"]\n    secrets: [db_password]\n    environment:\n      DB_PASSWORD: hunter2\n      LOG_LEVEL: info\nsecrets:\n  db_password:\n    file: ./db_password.txt\n";
    let with_store = Project::with_apps_yaml(
        "version: \"2\"\ndefaults:\n  secret_store: {name: vault}\nenvironments:\n  local: {}\ncompose:\n  - name: shop\n    path: shop\n",
    )
    .file("shop/compose.yaml", compose)
    .file("shop/db_password.txt", "s3cret\n");
    let run = with_store.run(&["generate", "--env", "local", "--stdout"]);
    run.code(0);
    assert!(
        !run.stdout.contains("hunter2") && !run.stdout.contains("s3cret"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("plain text"), "{}", run.stderr);
    let documents = documents(&run.stdout);
    for (name, key) in [
        ("shop-api-env", "DB_PASSWORD"),
        ("shop-db-password", "db_password"),
    ] {
        let external = object(&documents, "ExternalSecret", name);
        assert_eq!(external["spec"]["secretStoreRef"]["name"], "vault");
        assert_eq!(external["spec"]["data"][0]["secretKey"], key);
        assert_eq!(external["spec"]["data"][0]["remoteRef"]["key"], name);
        assert!(!has_object(&documents, "Secret", name));
    }
    assert_eq!(
        object(&documents, "ConfigMap", "shop-api-env")["data"],
        serde_json::json!({"LOG_LEVEL": "info"})
    );
    // Without a store: every value written in plain text is named, at its line.
    let without =
        Project::with_apps_yaml(&format!("{ENVS}compose:\n  - name: shop\n    path: shop\n"))
            .file("shop/compose.yaml", compose)
            .file("shop/db_password.txt", "s3cret\n");
    without
        .run(&["validate", "--env", "local"])
        .code(0)
        .stderr_contains("shop/compose.yaml:7:20: warning: compose.shop.services.api.environment.DB_PASSWORD: variable `DB_PASSWORD` of `compose.shop.services.api` is written in plain text into Secret `shop-api-env`")
        .stderr_contains("compose.shop.services.api.secrets.db_password: the value of `db_password` of `compose.shop.services.api` is written in plain text into Secret `shop-db-password`");
}

// --- The sample stacks ---------------------------------------------------------------------------

/// A name one service uses to reach another: `from` reaches `name` (at `port`, when the text
/// says one) through `via`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Reach {
    from: String,
    name: String,
    port: Option<u16>,
    via: String,
}

impl Reach {
    fn short(&self) -> String {
        match self.port {
            Some(port) => format!("{} -> {}:{port}", self.from, self.name),
            None => format!("{} -> {}", self.from, self.name),
        }
    }
}

/// The default port of a URL scheme, where a URL gives none.
fn scheme_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" | "postgresql" => Some(5432),
        "mongodb" => Some(27017),
        "redis" => Some(6379),
        "amqp" => Some(5672),
        "mysql" => Some(3306),
        _ => None,
    }
}

fn is_host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Where `text` names host `name`: `name:PORT`, `scheme://name[:PORT]`, or the whole text.
fn hosts_in(text: &str, name: &str) -> Vec<Option<u16>> {
    if text.trim() == name {
        return vec![None];
    }
    let mut out = Vec::new();
    for (at, _) in text.match_indices(name) {
        let before = &text[..at];
        let after = &text[at + name.len()..];
        // Part of a longer name (`es` in `less`, `es.local`), not a name of its own; a full
        // stop ending a sentence ends the name.
        let mut next = after.chars();
        let longer = match next.next() {
            Some('.') => next.next().is_some_and(|c| c.is_ascii_alphanumeric()),
            Some(c) => is_host_char(c),
            None => false,
        };
        if longer || before.chars().next_back().is_some_and(is_host_char) {
            continue;
        }
        let explicit = after.strip_prefix(':').and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u16>().ok()
        });
        let scheme = before
            .strip_suffix("://")
            .map(|b| {
                b.rsplit(|c: char| !c.is_ascii_alphanumeric())
                    .next()
                    .unwrap_or_default()
            })
            .or_else(|| {
                // `scheme://user:password@name`
                let (head, _) = before.rsplit_once('@')?;
                let (scheme, _) = head.rsplit_once("://")?;
                scheme.rsplit(|c: char| !c.is_ascii_alphanumeric()).next()
            });
        match (explicit, scheme) {
            (Some(port), _) => out.push(Some(port)),
            (None, Some(scheme)) => out.push(scheme_port(scheme)),
            // A bare word in a longer text is no address.
            (None, None) => {}
        }
    }
    out
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => vec![
            items
                .iter()
                .filter_map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ],
        _ => Vec::new(),
    }
}

/// What a service says about others: its environment values, command and entrypoint, and the
/// project files it mounts; each with where it is said.
fn texts_of(service: &Value, dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match &service["environment"] {
        Value::Object(map) => {
            for (key, value) in map {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.push((key.clone(), text));
            }
        }
        Value::Array(items) => {
            for item in items.iter().filter_map(Value::as_str) {
                if let Some((key, value)) = item.split_once('=') {
                    out.push((key.to_string(), value.to_string()));
                }
            }
        }
        _ => {}
    }
    for key in ["command", "entrypoint"] {
        for text in strings(&service[key]) {
            out.push((key.to_string(), text));
        }
    }
    for volume in service["volumes"].as_array().into_iter().flatten() {
        let Some(source) = volume.as_str().and_then(|v| v.split(':').next()) else {
            continue;
        };
        let file = dir.join(source);
        if source.starts_with('.') && file.is_file() {
            out.push((source.to_string(), std::fs::read_to_string(file).unwrap()));
        }
    }
    out
}

/// Every name a service answers to: its own, `container_name`, `hostname`, network aliases.
fn names_of(name: &str, service: &Value) -> Vec<String> {
    let mut names = vec![name.to_string()];
    for key in ["container_name", "hostname"] {
        if let Some(other) = service[key].as_str() {
            names.push(other.to_string());
        }
    }
    if let Value::Object(networks) = &service["networks"] {
        for network in networks.values() {
            for alias in network["aliases"].as_array().into_iter().flatten() {
                names.push(alias.as_str().unwrap().to_string());
            }
        }
    }
    names
}

/// Every reach in a compose project: names in texts, and `depends_on` on a service that keeps
/// running (one that must complete is waited for, not reached).
fn reaches(compose: &Value, dir: &Path) -> Vec<Reach> {
    let services = compose["services"].as_object().unwrap();
    let mut out = BTreeSet::new();
    for (from, service) in services {
        for (to, other) in services.iter().filter(|(to, _)| *to != from) {
            for name in names_of(to, other) {
                for (via, text) in texts_of(service, dir) {
                    for port in hosts_in(&text, &name) {
                        out.insert(Reach {
                            from: from.clone(),
                            name: name.clone(),
                            port,
                            via: via.clone(),
                        });
                    }
                }
            }
        }
        let depends_on: Vec<(String, Value)> = match &service["depends_on"] {
            Value::Array(names) => names
                .iter()
                .map(|n| (n.as_str().unwrap().to_string(), Value::Null))
                .collect(),
            Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            _ => Vec::new(),
        };
        for (to, condition) in depends_on {
            if condition["condition"] != "service_completed_successfully" {
                out.insert(Reach {
                    from: from.clone(),
                    name: to,
                    port: None,
                    via: "depends_on".to_string(),
                });
            }
        }
    }
    out.into_iter().collect()
}

/// The pod template of a controller document.
fn pod_template(workload: &Value) -> &Value {
    match workload["kind"].as_str() {
        Some("CronJob") => &workload["spec"]["jobTemplate"]["spec"]["template"],
        _ => &workload["spec"]["template"],
    }
}

fn workloads(documents: &[Value]) -> impl Iterator<Item = &Value> {
    documents.iter().filter(|d| {
        matches!(
            d["kind"].as_str(),
            Some("Deployment" | "StatefulSet" | "Job" | "CronJob")
        )
    })
}

/// Whether every label of `selector` is one of `labels` (an empty selector selects all).
fn selects(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_none_or(|s| s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// Whether a NetworkPolicy peer admits pods labelled `source` from the same namespace.
fn peer_admits(peer: &Value, source: &Value) -> bool {
    let pods = peer.get("podSelector").is_none_or(|pods| {
        selects(&pods["matchLabels"], source) && pods.get("matchExpressions").is_none()
    });
    let namespace = match peer.get("namespaceSelector") {
        None => true,
        // Every namespace, this one included.
        Some(selector) => selector.as_object().is_some_and(|s| s.is_empty()),
    };
    pods && namespace && peer.get("ipBlock").is_none()
}

/// Whether some NetworkPolicy selecting `target` pods admits `source` pods on `port` (named
/// `port_name` in the pod).
fn policy_admits(
    documents: &[Value],
    target: &Value,
    source: &Value,
    port: u64,
    port_name: &str,
) -> bool {
    documents
        .iter()
        .filter(|d| d["kind"] == "NetworkPolicy")
        .filter(|p| selects(&p["spec"]["podSelector"]["matchLabels"], target))
        .flat_map(|p| p["spec"]["ingress"].as_array().cloned().unwrap_or_default())
        .any(|rule| {
            let from = rule["from"].as_array().cloned().unwrap_or_default();
            let ports = rule["ports"].as_array().cloned().unwrap_or_default();
            (from.is_empty() || from.iter().any(|peer| peer_admits(peer, source)))
                && (ports.is_empty()
                    || ports
                        .iter()
                        .any(|p| p["port"] == port || p["port"] == port_name))
        })
}

/// What a service's image holds where an empty volume would hide it: the targets of its
/// anonymous volumes (Docker fills those from the image), and the final stage's WORKDIR and
/// absolute COPY destinations of the Dockerfile it builds.
fn image_paths(service: &Value, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for volume in service["volumes"].as_array().into_iter().flatten() {
        match volume {
            Value::String(short) if !short.contains(':') => out.push(short.clone()),
            Value::Object(long)
                if long.get("type") == Some(&Value::from("volume"))
                    && long.get("source").is_none() =>
            {
                out.push(long["target"].as_str().unwrap().to_string());
            }
            _ => {}
        }
    }
    let context = match &service["build"] {
        Value::String(context) => Some(context.clone()),
        Value::Object(build) => build["context"].as_str().map(str::to_string),
        _ => None,
    };
    if let Some(context) = context {
        let text = std::fs::read_to_string(dir.join(context).join("Dockerfile")).unwrap();
        let last_stage = text
            .rsplit_once("\nFROM ")
            .map_or(text.as_str(), |(_, stage)| stage);
        for line in last_stage.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["WORKDIR", path] => out.push((*path).to_string()),
                ["COPY" | "ADD", .., dest] if dest.starts_with('/') => {
                    out.push((*dest).to_string());
                }
                _ => {}
            }
        }
    }
    out
}

fn overlaps(mount: &str, path: &str) -> bool {
    let under =
        |a: &str, b: &str| a == b || a.starts_with(&format!("{}/", b.trim_end_matches('/')));
    under(mount, path) || under(path, mount)
}

/// Checks one converted stack; `prefix` is its entry's name. Returns the problems found.
fn check_stack(dir: &Path, prefix: &str, documents: &[Value], expected: &[&str]) -> Vec<String> {
    let compose: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("compose.yaml")).unwrap())
            .unwrap();
    let reaches = reaches(&compose, dir);
    let found: BTreeSet<String> = reaches.iter().map(Reach::short).collect();
    let expected: BTreeSet<String> = expected.iter().map(|e| e.to_string()).collect();
    assert_eq!(found, expected, "the names {} reaches by", dir.display());
    let pods_of = |service: &str| -> Value {
        let name = format!("{prefix}-{service}");
        let workload = workloads(documents)
            .find(|w| w["metadata"]["name"] == name.as_str())
            .unwrap_or_else(|| panic!("no workload {name}"));
        pod_template(workload).clone()
    };
    let mut problems = Vec::new();
    for reach in &reaches {
        let what = format!("{} ({})", reach.short(), reach.via);
        let source = pods_of(&reach.from);
        if let Some(policy) = documents.iter().find(|d| {
            d["kind"] == "NetworkPolicy"
                && selects(
                    &d["spec"]["podSelector"]["matchLabels"],
                    &source["metadata"]["labels"],
                )
                && d["spec"]["policyTypes"]
                    .as_array()
                    .is_some_and(|t| t.contains(&Value::from("Egress")))
        }) {
            problems.push(format!(
                "{what}: NetworkPolicy {} restricts egress; this test does not check egress yet",
                policy["metadata"]["name"]
            ));
        }
        let Some(service) = documents
            .iter()
            .find(|d| d["kind"] == "Service" && d["metadata"]["name"] == reach.name.as_str())
        else {
            problems.push(format!("{what}: no Service `{}`", reach.name));
            continue;
        };
        let ports: Vec<&Value> = service["spec"]["ports"]
            .as_array()
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        let wanted: Vec<&Value> = match reach.port {
            Some(port) => ports
                .iter()
                .copied()
                .filter(|p| p["port"] == port)
                .collect(),
            None => ports.clone(),
        };
        if wanted.is_empty() {
            problems.push(format!(
                "{what}: Service `{}` has no port {}",
                reach.name,
                reach.port.map_or("at all".to_string(), |p| p.to_string())
            ));
            continue;
        }
        let selector = &service["spec"]["selector"];
        let targets: Vec<&Value> = workloads(documents)
            .map(pod_template)
            .filter(|t| selects(selector, &t["metadata"]["labels"]))
            .collect();
        if targets.is_empty() {
            problems.push(format!("{what}: Service `{}` selects no pods", reach.name));
            continue;
        }
        let headless = service["spec"]["clusterIP"] == "None";
        for target in targets {
            let labels = &target["metadata"]["labels"];
            let container_ports: Vec<&Value> = target["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|c| c["ports"].as_array().into_iter().flatten())
                .collect();
            for port in &wanted {
                // A headless Service's name resolves to the pods: callers use its port on them.
                let target_port = if headless {
                    port["port"].clone()
                } else {
                    port.get("targetPort")
                        .cloned()
                        .unwrap_or(port["port"].clone())
                };
                let Some(listening) = container_ports
                    .iter()
                    .find(|c| c["containerPort"] == target_port || c["name"] == target_port)
                else {
                    problems.push(format!(
                        "{what}: no container of Service `{}`'s pods listens on {target_port}",
                        reach.name
                    ));
                    continue;
                };
                let number = listening["containerPort"].as_u64().unwrap();
                let name = listening["name"].as_str().unwrap_or_default();
                if !policy_admits(
                    documents,
                    labels,
                    &source["metadata"]["labels"],
                    number,
                    name,
                ) {
                    problems.push(format!(
                        "{what}: no NetworkPolicy of `{}` admits `{}` on port {number}",
                        reach.name, reach.from
                    ));
                }
            }
        }
    }
    for (name, service) in compose["services"].as_object().unwrap() {
        let pod = pods_of(name);
        let volumes = pod["spec"]["volumes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let empty_dirs: BTreeSet<&str> = volumes
            .iter()
            .filter(|v| v.get("emptyDir").is_some())
            .filter_map(|v| v["name"].as_str())
            .collect();
        let filled = |volume: &str, path: &str| {
            pod["spec"]["initContainers"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|init| {
                    init["volumeMounts"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|m| m["name"] == volume)
                        && init["command"].to_string().contains(path)
                })
        };
        let paths = image_paths(service, dir);
        for container in pod["spec"]["containers"].as_array().unwrap() {
            for mount in container["volumeMounts"].as_array().into_iter().flatten() {
                let volume = mount["name"].as_str().unwrap();
                let at = mount["mountPath"].as_str().unwrap();
                if !empty_dirs.contains(volume) {
                    continue;
                }
                for path in paths.iter().filter(|p| overlaps(at, p)) {
                    if !filled(volume, at) {
                        problems.push(format!(
                            "`{name}`: emptyDir `{volume}` at {at} hides the image's {path}"
                        ));
                    }
                }
            }
        }
    }
    problems
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn stacks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose-stacks")
}

/// Each stack with every name its services reach each other by.
const STACKS: &[(&str, &[&str])] = &[
    // nginx in front of a Go backend whose only port is its Dockerfile's EXPOSE.
    ("nginx-go", &["proxy -> backend", "proxy -> backend:8000"]),
    // nginx in front of Flask, whose port is only in the proxy's environment.
    (
        "nginx-flask",
        &[
            "backend -> mongo",
            "backend -> mongo:27017",
            "proxy -> backend",
            "proxy -> backend:9091",
        ],
    ),
    // A React app and a Node API, each with an anonymous node_modules volume.
    (
        "react-node",
        &[
            "backend -> db",
            "backend -> db:5432",
            "frontend -> backend",
            "frontend -> backend:5000",
        ],
    ),
    // Elasticsearch by container_name, Kibana by hostname, Logstash by network alias.
    (
        "elasticsearch",
        &[
            "kibana -> es:9200",
            "logstash -> es:9200",
            "shipper -> dashboards:5601",
            "shipper -> ingest:5044",
        ],
    ),
    // A migration that runs once (`restart: "no"`) after the database is healthy.
    ("migration", &["app -> db", "migrate -> db"]),
];

#[test]
fn sample_stacks_reach_every_name_on_its_port_through_their_policies() {
    let mut problems = Vec::new();
    for (stack, expected) in STACKS {
        let project = Project::new();
        copy_dir(&stacks_dir().join(stack), &project.path().join(stack));
        let dir = project.path().join(stack);
        // Standalone, with the default (permissive) policy.
        let run = project.run(&["compose", "convert", &format!("{stack}/compose.yaml")]);
        run.code(0);
        problems.extend(
            check_stack(&dir, stack, &documents(&run.stdout), expected)
                .into_iter()
                .map(|p| format!("{stack} (convert): {p}")),
        );
        // In apps.yaml, with the strict policy: only services sharing a network are admitted.
        let project = project.file(
            "apps.yaml",
            &format!("{ENVS}compose:\n  - name: {stack}\n    path: {stack}\n    network: {{policy: strict}}\n"),
        );
        let run = project.run(&["generate", "--env", "local", "--stdout"]);
        run.code(0);
        problems.extend(
            check_stack(&dir, stack, &documents(&run.stdout), expected)
                .into_iter()
                .map(|p| format!("{stack} (strict): {p}")),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The migration that runs once is a Job, not a Deployment restarting it for ever.
    let project = Project::new();
    copy_dir(&stacks_dir().join("migration"), &project.path().join("m"));
    let (_, documents) = convert(&project, "m/compose.yaml");
    assert!(has_object(&documents, "Job", "m-migrate"));
}

#[test]
fn the_stack_check_finds_what_it_looks_for() {
    // The checks above can fail: a Service on the wrong port, a policy that admits nobody, an
    // emptyDir over node_modules.
    let dir = stacks_dir().join("react-node");
    let project = Project::new();
    copy_dir(&dir, &project.path().join("s"));
    let run = project.run(&["compose", "convert", "s/compose.yaml"]);
    run.code(0);
    let mut documents = documents(&run.stdout);
    for document in &mut documents {
        let (kind, name) = (
            document["kind"].clone(),
            document["metadata"]["name"].clone(),
        );
        match (kind.as_str(), name.as_str()) {
            (Some("Service"), Some("backend")) => {
                document["spec"]["ports"][0]["port"] = 5001.into()
            }
            (Some("NetworkPolicy"), Some("s-db")) => {
                document["spec"]["ingress"][0]["from"] =
                    serde_json::json!([{"podSelector": {"matchLabels": {"x": "y"}}}]);
            }
            (Some("Deployment"), Some("s-backend")) => {
                document["spec"]["template"]["spec"]["initContainers"] = Value::Null;
            }
            _ => {}
        }
    }
    let problems = check_stack(&project.path().join("s"), "s", &documents, STACKS[2].1);
    let said = |text: &str| problems.iter().any(|p| p.contains(text));
    assert!(said("Service `backend` has no port 5000"), "{problems:#?}");
    assert!(
        said("no NetworkPolicy of `db` admits `backend`"),
        "{problems:#?}"
    );
    assert!(said("hides the image's /app/node_modules"), "{problems:#?}");
}
