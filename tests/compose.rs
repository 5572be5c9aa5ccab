//! The compose parser against the Compose project's own test files, and its behaviour on
//! every short syntax, merge rule, interpolation source, `extends`, profile and warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k3s::diagnostic::{Code, Diagnostics, Severity};
use k3s::sources::compose::{
    ComposeProject, Condition, HealthTest, LoadOptions, VolumeType, default_compose_files,
    load_project,
};

#[path = "common/corpus.rs"]
mod corpus;
use corpus::corpus_files;

const CORPUS: &str = "tests/fixtures/compose-go";

/// Corpus files that must fail, and a code their diagnostics must include.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    // Moved out of `loader/` upstream, away from the env files it names.
    ("loader/historical/full-example.yml", "missing-file"),
    (
        "loader/testdata/compose-depends-on-cycle.yaml",
        "dependency-cycle",
    ),
    // Despite its name the copy holds the same cycle, without profiles.
    (
        "loader/testdata/compose-depends-on-profile-no-cycle.yaml",
        "dependency-cycle",
    ),
    (
        "loader/testdata/compose-depends-on-self.yaml",
        "dependency-cycle",
    ),
    (
        "loader/testdata/compose-include-cycle.yaml",
        "include-cycle",
    ),
    // `with-port` and `nil` are fragments meant to be extended.
    ("loader/testdata/extends/base.yaml", "missing-image"),
    // Only valid when included with `project_directory: ../subdir`.
    ("loader/testdata/include/dir/compose.yaml", "missing-file"),
    (
        "loader/testdata/remote/cycle/compose-cycle.yaml",
        "unsupported-remote",
    ),
    (
        "loader/testdata/remote/cycle/compose.yaml",
        "unsupported-remote",
    ),
    (
        "loader/testdata/remote/nested/compose.yaml",
        "unsupported-remote",
    ),
    // Every field set to one unset variable: empty strings where numbers are due.
    ("schema/using-variables.yaml", "wrong-type"),
];

fn quiet() -> LoadOptions {
    LoadOptions::default()
}

/// The corpus is one project: its files include and extend each other across directories.
fn in_corpus() -> LoadOptions {
    LoadOptions {
        root: Some(Path::new(CORPUS).canonicalize().unwrap()),
        ..LoadOptions::default()
    }
}

#[test]
fn every_corpus_file_loads_or_fails_with_located_errors() {
    let files = corpus_files(Path::new(CORPUS));
    assert!(files.len() >= 40, "corpus not found: {}", files.len());
    for file in &files {
        let relative = file
            .strip_prefix(CORPUS)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let expected = EXPECTED_FAILURES
            .iter()
            .find(|(path, _)| *path == relative)
            .map(|(_, code)| *code);
        match (
            load_project(std::slice::from_ref(file), &in_corpus()),
            expected,
        ) {
            (Ok(project), None) => {
                for warning in &project.warnings.items {
                    assert!(warning.span.is_some(), "{relative}: {}", warning.headline());
                }
            }
            (Ok(_), Some(code)) => panic!("{relative} loaded, expected `{code}`"),
            (Err(diagnostics), None) => {
                panic!("{relative} failed:\n{}", diagnostics.render())
            }
            (Err(diagnostics), Some(code)) => {
                for d in &diagnostics.items {
                    assert!(d.span.is_some(), "{relative}: unlocated: {}", d.headline());
                    assert!(!d.message.is_empty(), "{relative}: empty message");
                }
                assert!(
                    diagnostics
                        .items
                        .iter()
                        .any(|d| d.code.as_str() == code && d.is_error()),
                    "{relative}: expected `{code}`, got:\n{}",
                    diagnostics.render()
                );
            }
        }
    }
}

#[test]
fn corpus_dotenv_feeds_interpolation_and_env_files() {
    let dir = Path::new(CORPUS).join("cli/testdata/env-file");
    let project =
        load_project(&[dir.join("compose-with-env-files.yaml")], &quiet()).expect("loads");
    let simple = &project.services["simple"];
    assert_eq!(simple.ports[0].published.as_deref(), Some("8000"));
    assert_eq!(simple.ports[0].target, 80);
    // The second env file wins over the first.
    assert_eq!(simple.environment["DEFAULT_PORT"].value, "9090");
    // `.env` sets COMPOSE_PROJECT_NAME, but the project name comes from the caller, the
    // file or the directory only.
    assert_eq!(project.name, "env-file");
}

#[test]
fn corpus_extends_and_include_resolve_relative_paths() {
    let testdata = Path::new(CORPUS).join("loader/testdata");
    let project =
        load_project(&[testdata.join("compose-test-extends.yaml")], &in_corpus()).expect("loads");
    let importer = &project.services["importer"];
    assert_eq!(importer.image.as_ref().unwrap().value, "nginx");
    assert_eq!(importer.env_file[0].path, "subdir/extra.env");
    // `container_name: ${SOURCE:-imported}`: SOURCE is only set inside extra.env.
    assert_eq!(importer.container_name.as_ref().unwrap().value, "imported");
    assert_eq!(importer.environment["SOURCE"].value, "extends");

    let project = load_project(
        &[testdata.join("include/project-directory.yaml")],
        &in_corpus(),
    )
    .expect("loads");
    // `project_directory: ../subdir`, seen from `include/`.
    let service = &project.services["service"];
    assert_eq!(service.env_file[0].path, "../subdir/extra.env");
    assert_eq!(
        service.volumes[0].source.as_deref(),
        Some("../subdir/compose-test-extends-imported.yaml")
    );

    let project = load_project(&[testdata.join("extends/reset.yaml")], &quiet()).expect("loads");
    assert!(project.services["base"].command.is_none());
    assert_eq!(
        project.services["init"].command.as_ref().unwrap().value,
        ["sleep", "infinity"]
    );
}

#[test]
fn full_example_reads_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let loader = Path::new(CORPUS).join("loader");
    for name in [
        "example1.env",
        "example2.env",
        "example1.label",
        "example2.label",
    ] {
        std::fs::copy(loader.join(name), dir.path().join(name)).unwrap();
    }
    let text = std::fs::read_to_string(loader.join("historical/full-example.yml")).unwrap();
    // Declare what the example refers to but leaves out.
    let text = text
        .replacen(
            "services:\n",
            "services:\n  db: {image: db}\n  redis: {image: redis}\n",
            1,
        )
        .replacen("\nnetworks:\n", "\nnetworks:\n  other-other-network:\n", 1)
        .replacen("\nvolumes:\n", "\nvolumes:\n  datavolume:\n", 1);
    let file = dir.path().join("compose.yaml");
    std::fs::write(&file, text).unwrap();
    let project = load_project(&[file], &quiet()).unwrap_or_else(|d| panic!("{}", d.render()));
    assert_eq!(project.name, "full_example_project_name");
    let foo = &project.services["foo"];
    assert_eq!(foo.ports.len(), 1 + 5 + 1 + 2 + 1 + 1 + 11);
    assert_eq!(foo.environment["FOO"].value, "foo_from_env_file");
    assert_eq!(foo.environment["BAR"].value, "bar_from_env_file_2");
    assert_eq!(foo.environment["BAZ"].value, "baz_from_service_def");
    assert!(!foo.environment.contains_key("QUX"));
    assert_eq!(foo.labels["BAZ"], "baz_from_label_file");
    assert_eq!(foo.labels["com.example.number"], "42");
    assert_eq!(foo.labels["com.example.empty-label"], "");
    assert_eq!(
        foo.secrets[1].target.as_deref(),
        Some("/run/secrets/my_secret")
    );
    assert_eq!(foo.secrets[1].mode, Some(0o440));
    assert_eq!(foo.configs[0].target.as_deref(), Some("/config1"));
    let deploy = foo.deploy.as_ref().unwrap();
    assert_eq!(deploy.replicas.as_ref().unwrap().value, 6);
    let limits = deploy.resources.as_ref().unwrap().limits.as_ref().unwrap();
    assert_eq!(limits.memory, Some(50 * 1024 * 1024));
    assert_eq!(
        deploy.restart_policy.as_ref().unwrap().window,
        Some(Duration::from_secs(120))
    );
    assert_eq!(foo.stop_grace_period, Some(Duration::from_secs(20)));
    assert_eq!(foo.ulimits["nproc"].value.soft, 65535);
    assert_eq!(foo.extra_hosts["somehost"], ["162.242.195.82"]);
    assert_eq!(
        foo.build.as_ref().unwrap().tags[2],
        "full_example_project_name:1.0.0"
    );
    assert!(foo.engine_only.contains_key("uts"));
    assert_eq!(
        foo.network_mode.as_ref().unwrap().value.split(':').next(),
        Some("container")
    );
    assert_eq!(
        project.networks["other-external-network"].name.as_deref(),
        Some("my-cool-network")
    );
    assert_eq!(project.volumes["external-volume"].external, Some(true));
    assert_eq!(
        project.secrets["secret1"].file.as_ref().unwrap().value,
        "secret_data"
    );
    let yaml = serde_saphyr::to_string(&project).unwrap();
    assert!(yaml.contains("interval: 10s"));
    assert!(!yaml.contains("${"));
}

/// A project in a temporary directory: `(name, text)` files; the ones ending in `.yaml` whose
/// names start with `compose` are the compose files, in order.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(files: &[(&str, &str)]) -> Project {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Project { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn load_with(
        &self,
        files: &[&str],
        options: LoadOptions,
    ) -> Result<ComposeProject, Diagnostics> {
        let paths: Vec<PathBuf> = files.iter().map(|f| self.path(f)).collect();
        load_project(&paths, &options)
    }

    fn load(&self, files: &[&str]) -> Result<ComposeProject, Diagnostics> {
        self.load_with(files, quiet())
    }

    fn ok(&self, files: &[&str]) -> ComposeProject {
        self.load(files)
            .unwrap_or_else(|d| panic!("{}", d.render()))
    }
}

fn one(text: &str) -> ComposeProject {
    Project::new(&[("compose.yaml", text)]).ok(&["compose.yaml"])
}

fn errors(result: Result<ComposeProject, Diagnostics>) -> Vec<(String, &'static str, String)> {
    let diagnostics = match result {
        Ok(_) => panic!("expected errors"),
        Err(d) => d,
    };
    diagnostics
        .items
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let (line, col) = d.span.expect("located").line_col();
            (format!("{line}:{col}"), d.code.as_str(), d.message.clone())
        })
        .collect()
}

#[test]
fn ports_short_and_long() {
    let project = one(
        "services:\n  web:\n    image: nginx\n    ports:\n      - 8080\n      - \"8080:80\"\n      - \"127.0.0.1:8081:81/udp\"\n      - \"3000-3001\"\n      - target: 90\n        published: 9000-9010\n        name: web\n        app_protocol: http\n",
    );
    let ports = &project.services["web"].ports;
    let summary: Vec<_> = ports
        .iter()
        .map(|p| {
            (
                p.target,
                p.published.as_deref(),
                p.host_ip.as_deref(),
                p.protocol.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (8080, None, None, "tcp"),
            (80, Some("8080"), None, "tcp"),
            (81, Some("8081"), Some("127.0.0.1"), "udp"),
            (3000, None, None, "tcp"),
            (3001, None, None, "tcp"),
            (90, Some("9000-9010"), None, "tcp"),
        ]
    );
    assert_eq!(ports[5].name.as_deref(), Some("web"));
    assert_eq!(ports[5].app_protocol.as_deref(), Some("http"));
    // Each entry points at what the user wrote.
    assert_eq!(ports[1].span.line_col(), (6, 9));
    assert_eq!(ports[4].span.line_col(), (8, 9));
}

#[test]
fn bad_ports_and_volumes_are_located_errors() {
    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    ports: [\"80:http\"]\n    volumes: [\"data:relative\"]\n",
    )]);
    let found = errors(p.load(&["compose.yaml"]));
    assert_eq!(
        found
            .iter()
            .map(|(at, code, _)| (at.as_str(), *code))
            .collect::<Vec<_>>(),
        [("4:13", "invalid-port"), ("5:15", "invalid-volume")]
    );
}

#[test]
fn volumes_named_bind_anonymous_and_read_only() {
    let project = one(
        "services:\n  db:\n    image: postgres\n    volumes:\n      - db:/var/lib/postgresql/data\n      - ./init:/docker-entrypoint-initdb.d:ro\n      - /scratch\n      - type: tmpfs\n        target: /tmp\n        tmpfs: {size: 64m}\nvolumes:\n  db: {}\n",
    );
    let volumes = &project.services["db"].volumes;
    assert_eq!(volumes[0].kind, VolumeType::Volume);
    assert_eq!(volumes[0].source.as_deref(), Some("db"));
    assert_eq!(volumes[1].kind, VolumeType::Bind);
    assert_eq!(volumes[1].source.as_deref(), Some("init"));
    assert!(volumes[1].read_only);
    assert_eq!(
        volumes[1].bind.as_ref().unwrap().create_host_path,
        Some(true)
    );
    assert_eq!(
        (volumes[2].kind, volumes[2].source.as_deref()),
        (VolumeType::Volume, None)
    );
    assert_eq!(
        volumes[3].tmpfs.as_ref().unwrap().size,
        Some(64 * 1024 * 1024)
    );
}

#[test]
fn undefined_named_volume_is_an_error() {
    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  db:\n    image: postgres\n    volumes: [\"dbdata:/data\"]\nvolumes:\n  db-data: {}\n",
    )]);
    let found = errors(p.load(&["compose.yaml"]));
    assert_eq!(found[0].1, "unknown-volume");
    assert_eq!(found[0].0, "4:15");
}

#[test]
fn environment_list_and_map_and_bare_keys() {
    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  a:\n    image: x\n    environment:\n      - A=1\n      - B=x=y\n      - FROM_SHELL\n      - MISSING\n  b:\n    image: x\n    environment:\n      A: 1\n      T: true\n      E: ''\n",
    )]);
    let options = LoadOptions {
        variables: BTreeMap::from([("FROM_SHELL".into(), "shell".into())]),
        ..LoadOptions::default()
    };
    let project = p.load_with(&["compose.yaml"], options).unwrap();
    let a = &project.services["a"].environment;
    assert_eq!(a["A"].value, "1");
    assert_eq!(a["B"].value, "x=y");
    assert_eq!(a["FROM_SHELL"].value, "shell");
    assert!(!a.contains_key("MISSING"));
    let b = &project.services["b"].environment;
    assert_eq!(
        (
            b["A"].value.as_str(),
            b["T"].value.as_str(),
            b["E"].value.as_str()
        ),
        ("1", "true", "")
    );
    let warning = project
        .warnings
        .items
        .iter()
        .find(|w| w.code == Code::UnsetVariable)
        .unwrap();
    assert_eq!(
        warning.field.as_deref(),
        Some("services.a.environment.MISSING")
    );
    assert_eq!(warning.span.unwrap().line_col(), (8, 9));
}

#[test]
fn env_file_loses_to_environment_and_keeps_its_location() {
    let p = Project::new(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: x\n    env_file:\n      - conf/web.env\n      - path: missing.env\n        required: false\n    environment:\n      SHARED: from-compose\n",
        ),
        (
            "conf/web.env",
            "# comment\nexport ONLY_FILE='single $quoted'\nSHARED=from-file\nREF=\"${ONLY_FILE}-x\"\n",
        ),
    ]);
    let project = p.ok(&["compose.yaml"]);
    let env = &project.services["web"].environment;
    assert_eq!(env["SHARED"].value, "from-compose");
    assert_eq!(env["ONLY_FILE"].value, "single $quoted");
    assert_eq!(env["REF"].value, "single $quoted-x");
    assert!(env["ONLY_FILE"].span.location().ends_with("web.env:2:18"));

    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  web:\n    image: x\n    env_file: nope.env\n",
    )]);
    let found = errors(p.load(&["compose.yaml"]));
    assert_eq!((found[0].0.as_str(), found[0].1), ("4:15", "missing-file"));
}

#[test]
fn command_strings_are_split_like_a_shell() {
    let project = one(
        "services:\n  a:\n    image: x\n    command: sh -c \"echo 'hello world' && sleep 1\" --flag=a\\ b\n    entrypoint: [\"/bin/run\", \"two words\"]\n",
    );
    let a = &project.services["a"];
    assert_eq!(
        a.command.as_ref().unwrap().value,
        ["sh", "-c", "echo 'hello world' && sleep 1", "--flag=a b"]
    );
    assert_eq!(
        a.entrypoint.as_ref().unwrap().value,
        ["/bin/run", "two words"]
    );
}

#[test]
fn caller_variables_win_over_dotenv() {
    let p = Project::new(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: \"${A}-${B}-${C}-${D:-default}-$$literal\"\n    labels:\n      ${A}: key-not-expanded\n",
        ),
        (".env", "A=dotenv\nB=dotenv\nC=dotenv\n"),
    ]);
    let options = LoadOptions {
        variables: BTreeMap::from([("B".into(), "caller".into()), ("C".into(), "caller".into())]),
        ..LoadOptions::default()
    };
    let project = p.load_with(&["compose.yaml"], options).unwrap();
    let web = &project.services["web"];
    assert_eq!(
        web.image.as_ref().unwrap().value,
        "dotenv-caller-caller-default-$literal"
    );
    assert!(web.labels.contains_key("${A}"));
}

#[test]
fn required_variable_is_a_located_error_and_unset_is_a_warning() {
    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      TOKEN: ${TOKEN:?set TOKEN first}\n",
    )]);
    let result = p.load(&["compose.yaml"]);
    let Err(diagnostics) = &result else {
        panic!("expected an error")
    };
    let unset = diagnostics
        .items
        .iter()
        .find(|d| d.severity == Severity::Warning && d.code == Code::UnsetVariable)
        .unwrap();
    assert_eq!(unset.span.unwrap().line_col(), (3, 12));
    let found = errors(result);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "5:14");
    assert_eq!(found[0].1, "required-variable");
    assert!(found[0].2.contains("set TOKEN first"));
}

#[test]
fn later_files_merge_over_earlier_ones() {
    let p = Project::new(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: web:1\n    command: [serve]\n    ports: [\"8080:80\", \"9090:90\"]\n    volumes: [\"foo:/work\"]\n    environment: [A=1, B=2]\n    dns: [1.1.1.1]\n    labels: {keep: me}\n    healthcheck: {test: [CMD, a], interval: 10s}\nvolumes:\n  foo: {}\n  bar: {}\n",
        ),
        (
            "compose.override.yaml",
            "services:\n  web:\n    image: web:2\n    command: [debug]\n    ports: [\"8080:80\", \"7070:70\"]\n    volumes: [\"bar:/work\"]\n    environment: {B: 3, C: 4}\n    dns: [8.8.8.8]\n    labels: !reset {}\n    healthcheck: !override {test: [CMD, b]}\n  extra:\n    image: extra\n",
        ),
    ]);
    let files = default_compose_files(p.dir.path()).unwrap();
    assert_eq!(
        files,
        [p.path("compose.yaml"), p.path("compose.override.yaml")]
    );
    let project = p.ok(&["compose.yaml", "compose.override.yaml"]);
    let web = &project.services["web"];
    assert_eq!(web.image.as_ref().unwrap().value, "web:2");
    assert_eq!(web.command.as_ref().unwrap().value, ["debug"]);
    let published: Vec<_> = web
        .ports
        .iter()
        .map(|p| p.published.clone().unwrap())
        .collect();
    assert_eq!(published, ["8080", "9090", "7070"]);
    assert_eq!(web.volumes.len(), 1);
    assert_eq!(web.volumes[0].source.as_deref(), Some("bar"));
    let env: Vec<_> = web
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={}", v.value))
        .collect();
    assert_eq!(env, ["A=1", "B=3", "C=4"]);
    assert_eq!(web.dns, ["1.1.1.1", "8.8.8.8"]);
    assert!(web.labels.is_empty());
    let health = web.healthcheck.as_ref().unwrap();
    assert_eq!(
        health.test.as_ref().unwrap().value,
        HealthTest::Cmd(vec!["b".into()])
    );
    assert_eq!(health.interval, None);
    assert!(project.services.contains_key("extra"));
}

#[test]
fn extends_in_the_same_file_and_another_one() {
    let p = Project::new(&[
        (
            "compose.yaml",
            "services:\n  base:\n    image: app\n    environment: {LEVEL: base, KEEP: yes}\n    ports: [\"80\"]\n  web:\n    extends: base\n    environment: {LEVEL: web}\n  worker:\n    extends:\n      file: common/services.yaml\n      service: worker\n    command: work --fast\n",
        ),
        (
            "common/services.yaml",
            "services:\n  worker:\n    build: ./worker\n    env_file: worker.env\n    command: work\n",
        ),
        ("common/worker.env", "QUEUE=jobs\n"),
    ]);
    let project = p.ok(&["compose.yaml"]);
    let web = &project.services["web"];
    assert_eq!(web.image.as_ref().unwrap().value, "app");
    assert_eq!(web.environment["LEVEL"].value, "web");
    assert_eq!(web.environment["KEEP"].value, "yes");
    assert_eq!(web.ports.len(), 1);
    let worker = &project.services["worker"];
    let build = worker.build.as_ref().unwrap();
    assert_eq!(build.context.as_ref().unwrap().value, "common/worker");
    assert_eq!(worker.environment["QUEUE"].value, "jobs");
    assert_eq!(worker.command.as_ref().unwrap().value, ["work", "--fast"]);
}

#[test]
fn extends_cycles_and_unknown_bases_are_located_errors() {
    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  a:\n    extends: b\n    image: x\n  b:\n    extends: {service: a}\n    image: x\n  c:\n    extends: nope\n",
    )]);
    let found = errors(p.load(&["compose.yaml"]));
    let codes: Vec<_> = found
        .iter()
        .map(|(at, code, _)| (at.as_str(), *code))
        .collect();
    assert!(codes.contains(&("3:14", "extends-cycle")), "{found:?}");
    assert!(codes.contains(&("9:14", "unknown-service")), "{found:?}");
}

#[test]
fn profiles_select_services() {
    let text = "services:\n  web:\n    image: web\n  debug:\n    image: debug\n    profiles: [dev]\n  tools:\n    image: tools\n    profiles: [ops]\n    depends_on:\n      debug:\n        condition: service_started\n        required: false\n";
    let p = Project::new(&[("compose.yaml", text)]);
    let project = p.ok(&["compose.yaml"]);
    assert_eq!(project.services.keys().collect::<Vec<_>>(), ["web"]);
    assert_eq!(project.inactive_services.len(), 2);

    let dev = LoadOptions {
        profiles: vec!["dev".into()],
        ..quiet()
    };
    let project = p.load_with(&["compose.yaml"], dev).unwrap();
    assert_eq!(
        project.services.keys().collect::<Vec<_>>(),
        ["debug", "web"]
    );
    let ops = LoadOptions {
        profiles: vec!["ops".into()],
        ..quiet()
    };
    let project = p.load_with(&["compose.yaml"], ops).unwrap();
    // `tools` depends on `debug` with `required: false`; `debug` is inactive, so it is dropped.
    assert!(project.services["tools"].depends_on.is_empty());

    let all = LoadOptions {
        profiles: vec!["*".into()],
        ..quiet()
    };
    assert_eq!(
        p.load_with(&["compose.yaml"], all).unwrap().services.len(),
        3
    );

    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  web:\n    image: web\n    depends_on: [db]\n  db:\n    image: db\n    profiles: [data]\n",
    )]);
    let found = errors(p.load(&["compose.yaml"]));
    assert_eq!(
        (found[0].0.as_str(), found[0].1),
        ("4:18", "inactive-dependency")
    );
}

#[test]
fn depends_on_long_syntax() {
    let project = one(
        "services:\n  web:\n    image: web\n    depends_on:\n      db:\n        condition: service_healthy\n        restart: true\n  db:\n    image: db\n",
    );
    let dependency = &project.services["web"].depends_on["db"];
    assert_eq!(dependency.condition, Condition::ServiceHealthy);
    assert!(dependency.restart);
    assert!(dependency.required);
    assert_eq!(dependency.span.line_col(), (6, 9));
}

#[test]
fn extension_fields_are_ignored_silently() {
    let project = one(
        "x-common: &common\n  image: shared\nservices:\n  web:\n    <<: *common\n    x-note: anything\n    healthcheck:\n      test: [CMD, true]\n      x-why: because\nnetworks:\n  front:\n    x-owner: me\n",
    );
    assert!(project.warnings.is_empty(), "{}", project.warnings.render());
    assert_eq!(
        project.services["web"].image.as_ref().unwrap().value,
        "shared"
    );
}

#[test]
fn unknown_keys_are_warnings_naming_service_and_key() {
    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n    imagee: typo\n    deploy:\n      replica: 2\nfoo: bar\n",
    )]);
    let project = p.ok(&["compose.yaml"]);
    let warnings: Vec<_> = project
        .warnings
        .items
        .iter()
        .map(|w| {
            (
                w.code.as_str(),
                w.field.clone().unwrap(),
                w.span.unwrap().line_col(),
                w.help.clone(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (
                "unknown-key",
                "services.web.imagee".to_string(),
                (4, 5),
                vec!["did you mean `image`?".to_string()]
            ),
            (
                "unknown-key",
                "services.web.deploy.replica".to_string(),
                (6, 7),
                vec!["did you mean `replicas`?".to_string()]
            ),
            ("unknown-key", "foo".to_string(), (7, 1), vec![]),
        ]
    );
    assert!(
        project.warnings.items[0]
            .headline()
            .contains("services.web.imagee: unknown key `imagee`")
    );
}

#[test]
fn docker_only_keys_are_kept_and_warned_about() {
    let project = one(
        "services:\n  web:\n    image: nginx\n    cpu_shares: 512\n    network_mode: host\n    pid: host\n",
    );
    let web = &project.services["web"];
    assert_eq!(web.engine_only["cpu_shares"].value, serde_json::json!(512));
    assert_eq!(web.network_mode.as_ref().unwrap().value, "host");
    assert_eq!(web.pid.as_ref().unwrap().value, "host");
    assert_eq!(project.warnings.items[0].code, Code::DockerOnlyKey);
}

#[test]
fn healthchecks_cmd_shell_none_and_durations() {
    let project = one(
        "services:\n  a:\n    image: x\n    healthcheck:\n      test: [\"CMD\", \"pg_isready\", \"-U\", \"app\"]\n      interval: 1m30s\n      timeout: 10s\n      start_period: 1h\n      retries: 3\n  b:\n    image: x\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -f http://localhost || exit 1\"]\n  c:\n    image: x\n    healthcheck:\n      test: curl -f http://localhost\n  d:\n    image: x\n    healthcheck:\n      test: [\"NONE\"]\n  e:\n    image: x\n    healthcheck:\n      disable: true\n",
    );
    let test = |name: &str| {
        project.services[name]
            .healthcheck
            .as_ref()
            .unwrap()
            .test
            .as_ref()
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(
        test("a"),
        HealthTest::Cmd(vec!["pg_isready".into(), "-U".into(), "app".into()])
    );
    assert_eq!(
        test("b"),
        HealthTest::CmdShell("curl -f http://localhost || exit 1".into())
    );
    assert_eq!(
        test("c"),
        HealthTest::CmdShell("curl -f http://localhost".into())
    );
    assert_eq!(test("d"), HealthTest::None);
    assert_eq!(test("e"), HealthTest::Disable);
    let a = project.services["a"].healthcheck.as_ref().unwrap();
    assert_eq!(a.interval, Some(Duration::from_secs(90)));
    assert_eq!(a.timeout, Some(Duration::from_secs(10)));
    assert_eq!(a.start_period, Some(Duration::from_secs(3600)));
    assert_eq!(a.retries, Some(3));

    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  a:\n    image: x\n    healthcheck:\n      test: [\"RUN\", \"x\"]\n      interval: 10\n",
    )]);
    let found = errors(p.load(&["compose.yaml"]));
    assert_eq!(
        found
            .iter()
            .map(|(at, code, _)| (at.as_str(), *code))
            .collect::<Vec<_>>(),
        [("5:13", "bad-value"), ("6:17", "bad-value")]
    );
}

#[test]
fn include_adds_services_and_refuses_conflicts() {
    let p = Project::new(&[
        (
            "compose.yaml",
            "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n",
        ),
        (
            "db/compose.yaml",
            "services:\n  db:\n    image: postgres\n    volumes: [\"./init:/init\"]\n",
        ),
    ]);
    let project = p.ok(&["compose.yaml"]);
    assert_eq!(
        project.services["db"].volumes[0].source.as_deref(),
        Some("db/init")
    );

    let p = Project::new(&[
        (
            "compose.yaml",
            "include: [other.yaml]\nservices:\n  web:\n    image: a\n",
        ),
        ("other.yaml", "services:\n  web:\n    image: b\n"),
    ]);
    let found = errors(p.load(&["compose.yaml"]));
    assert_eq!(
        (found[0].0.as_str(), found[0].1),
        ("3:3", "include-conflict")
    );
}

#[test]
fn project_name_from_option_file_or_directory() {
    let p = Project::new(&[("My App/compose.yaml", "services:\n  a:\n    image: x\n")]);
    assert_eq!(p.ok(&["My App/compose.yaml"]).name, "myapp");
    let named = LoadOptions {
        project_name: Some("Shop_Front".into()),
        ..quiet()
    };
    assert_eq!(
        p.load_with(&["My App/compose.yaml"], named).unwrap().name,
        "shop_front"
    );
    assert_eq!(
        one("name: Demo.Project\nservices: {}\n").name,
        "demoproject"
    );
}

#[test]
fn secrets_and_configs_get_their_default_targets() {
    let project = one(
        "services:\n  a:\n    image: x\n    secrets: [token, {source: key, target: api-key}]\n    configs: [conf]\nsecrets:\n  token: {file: ./token.txt}\n  key: {environment: KEY}\nconfigs:\n  conf: {content: hello}\n",
    );
    let a = &project.services["a"];
    assert_eq!(a.secrets[0].target.as_deref(), Some("/run/secrets/token"));
    assert_eq!(a.secrets[1].target.as_deref(), Some("/run/secrets/api-key"));
    assert_eq!(a.configs[0].target.as_deref(), Some("/conf"));
    assert_eq!(
        project.secrets["token"].file.as_ref().unwrap().value,
        "token.txt"
    );
}

#[test]
fn serialized_model_is_plain_yaml() {
    let project = one(
        "services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n    stop_grace_period: 1m30s\n",
    );
    let yaml = serde_saphyr::to_string(&project).unwrap();
    assert!(yaml.contains("stop_grace_period: 1m30s"), "{yaml}");
    assert!(yaml.contains("published: \"8080\""), "{yaml}");
    let json = serde_json::to_value(&project).unwrap();
    assert_eq!(json["services"]["web"]["ports"][0]["target"], 80);
}

#[test]
fn restart_policies_and_service_modes_are_checked() {
    let p = Project::new(&[(
        "compose.yaml",
        "services:\n  a:\n    image: x\n    restart: sometimes\n    volumes_from: [gone:ro, \"container:abc\"]\n    network_mode: \"service:b\"\n  b:\n    image: x\n    restart: on-failure:3\n    ipc: service:nope\n",
    )]);
    let found = errors(p.load(&["compose.yaml"]));
    assert_eq!(
        found
            .iter()
            .map(|(at, code, _)| (at.as_str(), *code))
            .collect::<Vec<_>>(),
        [
            ("4:14", "bad-value"),
            ("5:20", "unknown-service"),
            ("10:10", "unknown-service"),
        ]
    );
}

#[test]
fn compose_project_name_variable_is_the_project_name() {
    let p = Project::new(&[(
        "compose.yaml",
        "name: Shop\nservices:\n  a:\n    image: \"${COMPOSE_PROJECT_NAME}-a\"\n    extends: {service: b, reason: none}\n  b:\n    image: x\n",
    )]);
    let options = LoadOptions {
        variables: BTreeMap::from([("COMPOSE_PROJECT_NAME".into(), "from-shell".into())]),
        ..LoadOptions::default()
    };
    let project = p.load_with(&["compose.yaml"], options).unwrap();
    assert_eq!(
        project.services["a"].image.as_ref().unwrap().value,
        "shop-a"
    );
    let warning = &project.warnings.items[0];
    assert_eq!(
        (warning.code.as_str(), warning.field.as_deref()),
        ("unknown-key", Some("services.a.extends.reason"))
    );
}

#[test]
fn malformed_shapes_are_located_errors_never_panics() {
    let cases = [
        "services: [a, b]\n",
        "services:\n  a: [1]\n",
        "services:\n  a:\n    image: x\n    ports: {a: 1}\n    volumes: [[]]\n    environment: [[1]]\n",
        "services:\n  a:\n    image: x\n    depends_on: 5\n    networks: 5\n    healthcheck: x\n    deploy: 5\n",
        "services:\n  a:\n    image: x\n    extends: [x]\n    build: []\n    env_file: {a: b}\n",
        "services:\n  a:\n    image: x\n    command: {a: b}\n    ulimits: {nofile: [1]}\n    extra_hosts: [nohost]\n",
        "include: 5\nservices:\n  a:\n    image: x\n",
        "include: [{env_file: x}]\nservices: {}\n",
        "name: [a]\nservices:\n  a:\n    image: x\n",
        "networks: [a]\nvolumes: 5\nsecrets: {s: 5}\nservices:\n  a:\n    image: x\n",
        "services:\n  a:\n    image: x\n    secrets: [{target: /x}]\n    configs: [5]\n",
        "services:\n  a:\n    image: ${\n",
        "- just\n- a list\n",
        "services:\n  a:\n    image: x\n    volumes:\n      - type: bind\n        target: /x\n      - type: weird\n        target: /y\n",
    ];
    for text in cases {
        let p = Project::new(&[("compose.yaml", text)]);
        let Err(diagnostics) = p.load(&["compose.yaml"]) else {
            panic!("expected errors for:\n{text}");
        };
        assert!(diagnostics.has_errors(), "{text}");
        for d in &diagnostics.items {
            assert!(d.span.is_some(), "unlocated for:\n{text}\n{}", d.headline());
        }
    }
}
