//! `k3s compose` (generate, convert, init, parse) and compose entries in `k3s generate`.

use std::path::{Path, PathBuf};

use crate::corpus::corpus_files;
use crate::support::{ENVS, Project};

const STACK: &str = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n    depends_on:\n      db: {condition: service_healthy}\n    environment:\n      DATABASE_URL: postgres://app:pw@db:5432/app\n      LOG_LEVEL: info\n  db:\n    image: postgres:16\n    volumes: [db_data:/var/lib/postgresql/data]\n    healthcheck:\n      test: [\"CMD\", \"pg_isready\"]\nvolumes:\n  db_data:\n";

#[test]
fn convert_needs_no_apps_yaml() {
    let project = Project::new().file("shop/compose.yaml", STACK);
    let run = project.run(&[
        "compose",
        "convert",
        "shop/compose.yaml",
        "--namespace",
        "shop",
    ]);
    run.code(0)
        .stdout_contains("kind: StatefulSet")
        .stdout_contains("name: shop-db")
        .stdout_contains("serviceName: db")
        .stdout_contains("namespace: shop")
        .stdout_contains("nc -z -w 2 db 5432");
    assert!(!project.path().join("apps.yaml").exists());
    project
        .run(&[
            "compose",
            "convert",
            "shop/compose.yaml",
            "--name",
            "store",
            "--output-dir",
            "out",
        ])
        .code(0);
    assert_eq!(
        project.files(),
        [
            PathBuf::from("out/compose/store/manifests.yaml"),
            PathBuf::from("shop/compose.yaml")
        ]
    );
}

#[test]
fn convert_reports_errors_at_the_compose_line() {
    Project::new()
        .file(
            "compose.yaml",
            "services:\n  web:\n    image: nginx\n    depends_on: [worker]\n  worker:\n    image: myorg/worker\n",
        )
        .run(&["compose", "convert", "compose.yaml"])
        .code(1)
        .error_at("compose.yaml:5:3", "services.worker.expose", "declares no port");
}

#[test]
fn generate_includes_compose_entries() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}compose:\n  - name: shop\n    path: shop\n    services:\n      db:\n        volumes:\n          - {{name: db_data, type: pvc, mount_path: /var/lib/postgresql/data, size: 5Gi}}\n"
    ))
    .file("shop/compose.yaml", STACK);
    project.run(&["generate", "--env", "local"]).code(0);
    assert!(project.files().contains(&PathBuf::from(
        "argocd-state/local/compose/shop/manifests.yaml"
    )));
    let manifests = std::fs::read_to_string(
        project
            .path()
            .join("argocd-state/local/compose/shop/manifests.yaml"),
    )
    .unwrap();
    assert!(manifests.contains("storage: 5Gi"), "{manifests}");
    assert!(manifests.contains("kind: NetworkPolicy"), "{manifests}");
}

#[test]
fn compose_generate_prints_or_writes_one_entry() {
    let project =
        Project::with_apps_yaml(&format!("{ENVS}compose:\n  - name: shop\n    path: shop\n"))
            .file("shop/compose.yaml", STACK);
    project
        .run(&["compose", "generate", "shop", "--env", "gcp"])
        .code(0)
        .stdout_contains("for environment `gcp`")
        .stdout_contains("name: shop-web-env");
    project
        .run(&[
            "compose",
            "generate",
            "shop",
            "--env",
            "gcp",
            "--output-dir",
            "out",
        ])
        .code(0);
    assert!(
        project
            .path()
            .join("out/compose/shop/manifests.yaml")
            .is_file()
    );
    project
        .run(&["compose", "generate", "shp", "--env", "gcp"])
        .code(1)
        .stderr_contains("did you mean `shop`?");
}

#[test]
fn init_prints_an_entry_that_validates() {
    let project = Project::new().file(
        "shop/compose.yaml",
        "services:\n  web:\n    build: ./web\n    depends_on: [cache]\n  cache:\n    image: redis:7\n  db:\n    image: postgres\n    volumes: [data:/var/lib/postgresql/data]\nvolumes:\n  data:\n",
    );
    let run = project.run(&["compose", "init", "shop", "--name", "shop"]);
    run.code(0)
        .stdout_contains("expose: [6379]")
        .stdout_contains("size: 1Gi")
        .stdout_contains("mount_path: /var/lib/postgresql/data");
    let project = project
        .file("apps.yaml", &format!("{ENVS}{}", run.stdout))
        .file("shop/web/Dockerfile", "FROM nginx\n");
    project.run(&["validate"]).code(0);
}

#[test]
fn parse_prints_the_model() {
    let project = Project::new().file("compose.yaml", STACK);
    let run = project.run(&["compose", "parse", ".", "--output", "json"]);
    run.code(0);
    let model: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(model["services"]["web"]["ports"][0]["target"], 80);
    project
        .run(&["compose", "parse", "compose.yaml"])
        .code(0)
        .stdout_contains("condition: service_healthy");
}

/// Every corpus file the parser accepts converts, or fails with located errors: no panic, no
/// unlocated error.
#[test]
fn every_loadable_corpus_file_converts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compose-go");
    let files = corpus_files(&root);
    let project = Project::new();
    let mut converted = 0;
    for file in files {
        let options = k3s::sources::compose::LoadOptions::default();
        if k3s::sources::compose::load_project(std::slice::from_ref(&file), &options).is_err() {
            continue;
        }
        let run = project.run(&[
            "compose",
            "convert",
            file.to_str().unwrap(),
            "--name",
            "corpus",
        ]);
        assert!(
            run.code == 0 || run.code == 1,
            "{}: exit {}\n{}",
            file.display(),
            run.code,
            run.stderr
        );
        if run.code == 0 {
            converted += 1;
        }
        for line in run.stderr.lines() {
            assert!(
                !line.starts_with("error:")
                    && !line.starts_with("warning:")
                    && !line.starts_with("<built-in default>"),
                "{}: unlocated: {line}",
                file.display()
            );
        }
    }
    assert!(converted > 20, "only {converted} corpus files converted");
}

#[test]
fn compose_workloads_are_named_by_their_apps_yaml_field() {
    // Two compose entries in one namespace whose services share a name: the clash names each
    // workload by the field its settings live under (`compose.<entry>.services.<service>`).
    let service = "services:\n  db:\n    image: postgres:16\n    expose: [\"5432\"]\n";
    Project::with_apps_yaml(&format!(
        "{ENVS}compose:\n  - name: a\n    path: a\n  - name: b\n    path: b\n"
    ))
    .file("a/compose.yaml", service)
    .file("b/compose.yaml", service)
    .run(&["validate"])
    .code(1)
    .stderr_contains("Service `db` in namespace `apps` comes from both `compose.a.services.db` and `compose.b.services.db`");
}

#[test]
fn set_reaches_compose_interpolation() {
    // `--set` is the highest variable source for compose files too (DESIGN rule 2), above the
    // process environment and the environment's variables.
    let project = Project::with_apps_yaml(
        "version: \"2\"\nenvironments:\n  local:\n    variables: {TAG: from-variables}\ncompose:\n  - name: shop\n    path: shop\n",
    )
    .file(
        "shop/compose.yaml",
        "services:\n  web:\n    image: \"nginx:${TAG}\"\n",
    );
    project
        .run_with_env(
            &[
                "--set",
                "TAG=from-set",
                "generate",
                "--env",
                "local",
                "--stdout",
            ],
            &[("TAG", "from-process")],
        )
        .code(0)
        .stdout_contains("image: nginx:from-set");
    project
        .run_with_env(
            &["generate", "--env", "local", "--stdout"],
            &[("TAG", "from-process")],
        )
        .code(0)
        .stdout_contains("image: nginx:from-process");
    project
        .run(&["generate", "--env", "local", "--stdout"])
        .code(0)
        .stdout_contains("image: nginx:from-variables");
    Project::new()
        .file(
            "c/compose.yaml",
            "services:\n  web:\n    image: \"nginx:${TAG}\"\n",
        )
        .run(&["--set", "TAG=1.27", "compose", "convert", "c/compose.yaml"])
        .code(0)
        .stdout_contains("image: nginx:1.27");
}

#[test]
fn convert_reports_what_generate_reports() {
    // One plan path: the same compose project fails the same way in both commands.
    let long = "s".repeat(60);
    let compose = format!("services:\n  {long}:\n    image: nginx\n");
    let project =
        Project::with_apps_yaml(&format!("{ENVS}compose:\n  - name: shop\n    path: shop\n"))
            .file("shop/compose.yaml", &compose);
    let generate = project.run(&["validate", "--env", "local"]);
    generate.code(1).stderr_contains("is 65 characters long");
    let convert = project.run(&["compose", "convert", "shop/compose.yaml"]);
    convert.code(1).stderr_contains("is 65 characters long");
}

#[test]
fn secret_looking_values_never_reach_a_configmap() {
    let names = [
        "PGPASS",
        "MYSQL_PWD",
        "PASSPHRASE",
        "GITHUB_PAT",
        "NPM_AUTH",
        "STRIPE_SK",
        "JWT_SIGNING",
        "SIGNING_KEY_PEM",
        "SENTRY_DSN",
        "SLACK_WEBHOOK_URL",
        "AUTH_HEADER",
        "BEARER",
        "SESSION_COOKIE",
        "ENCRYPTION_SEED",
        "LICENSE",
    ];
    let mut environment: String = names.iter().map(|n| format!("      {n}: x\n")).collect();
    environment.push_str("      AMQP_URI: amqp://app:pw@rabbit:5672/\n");
    environment.push_str("      FROM_DOTENV: ${DOTENV_PASSWORD}\n");
    environment.push_str("      LOG_LEVEL: info\n");
    let run = Project::new()
        .file(
            "c/compose.yaml",
            &format!("services:\n  app:\n    image: nginx:1.27\n    environment:\n{environment}"),
        )
        .file("c/.env", "DOTENV_PASSWORD=hunter2\n")
        .run(&["compose", "convert", "c/compose.yaml"]);
    run.code(0);
    let config_map = run
        .stdout
        .split("---\n")
        .find(|d| d.contains("kind: ConfigMap"))
        .expect("a ConfigMap for LOG_LEVEL");
    assert!(config_map.contains("LOG_LEVEL: info"), "{config_map}");
    for name in names.iter().chain(&["AMQP_URI", "FROM_DOTENV"]) {
        assert!(
            !config_map.contains(name),
            "{name} in the ConfigMap:\n{config_map}"
        );
    }
    assert!(!config_map.contains("hunter2"), "{config_map}");
}

#[test]
fn a_compose_service_takes_placement_from_apps_yaml() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}compose:\n  - name: stack\n    path: stack\n    services:\n      web:\n        node_selector: {{pool: web}}\n        tolerations: [{{key: dedicated, operator: Equal, value: web, effect: NoSchedule}}]\n        affinity: {{required: [{{key: kubernetes.io/arch, operator: In, values: [arm64]}}]}}\n        priority_class_name: high\n"
    ))
    .file(
        "stack/compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    deploy:\n      placement:\n        constraints: [\"node.platform.os == linux\"]\n",
    );
    let run = project.run(&["generate", "--env", "local", "--stdout"]);
    run.code(0)
        // The compose file's constraint and apps.yaml's selector together.
        .stdout_contains(
            "      nodeSelector:\n        kubernetes.io/os: linux\n        pool: web\n",
        )
        .stdout_contains("      priorityClassName: high\n")
        .stdout_contains("      tolerations:\n      - effect: NoSchedule\n        key: dedicated\n")
        .stdout_contains("              - key: kubernetes.io/arch\n                operator: In\n");
}
