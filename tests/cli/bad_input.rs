//! Each class of bad input: the message names file, line, column and field; the exit code is 1.

use crate::support::{ENVS, Project};

#[test]
fn malformed_yaml() {
    Project::with_apps_yaml("version: \"2\"\nenvironments:\n  local: {\napps: []\n")
        .run(&["validate"])
        .code(1)
        .stderr_contains("apps.yaml:3:10: error: invalid YAML: unclosed bracket");
}

#[test]
fn unknown_key_with_suggestion() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    replics: 2\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at("apps.yaml:8:5", "apps.web.replics", "unknown key `replics`")
    .stderr_contains("did you mean `replicas`?");
}

#[test]
fn unknown_top_level_key() {
    Project::with_apps_yaml(&format!("{ENVS}aps: []\n"))
        .run(&["validate"])
        .code(1)
        .stderr_contains("apps.yaml:5:1: error: unknown top-level key `aps`")
        .stderr_contains("did you mean `apps`?");
}

#[test]
fn wrong_type() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    replicas: many\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:8:15",
        "apps.web.replicas",
        "expected an integer, found `many`",
    );
}

#[test]
fn bad_enum_value() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    scaling:\n      type: keda-htpp\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:9:13",
        "apps.web.scaling.type",
        "unknown value `keda-htpp`",
    )
    .stderr_contains("did you mean `keda-http`?");
}

#[test]
fn bad_quantity() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    resources:\n      memory: 512mb\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:9:15",
        "apps.web.resources.memory",
        "invalid quantity `512mb`",
    );
}

#[test]
fn bad_cron_expression() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: backup\n    image: postgres:16\n    kind: cronjob\n    job:\n      schedule: \"0 24 * * *\"\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at("apps.yaml:10:17", "apps.backup.job.schedule", "24");
}

#[test]
fn undeclared_environment_block() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    staging:\n      replicas: 2\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:8:5",
        "apps.web.staging",
        "`staging` is not a declared environment",
    );
}

#[test]
fn undeclared_environment_on_the_command_line() {
    Project::with_apps_yaml(ENVS)
        .run(&["validate", "--env", "gpc"])
        .code(1)
        .stderr_contains("environment `gpc` is not declared")
        .stderr_contains("did you mean `gcp`?");
}

#[test]
fn unset_variable() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: \"nginx:${{NGINX_TAG}}\"\n"
    ))
    .run(&["validate", "--env", "local"])
    .code(1)
    .error_at(
        "apps.yaml:7:12",
        "apps.web.image",
        "variable `NGINX_TAG` is not set",
    );
}

#[test]
fn a_variable_from_set_or_the_environment_is_used() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: \"nginx:${{NGINX_TAG}}\"\n"
    ));
    project
        .run(&["validate", "--set", "NGINX_TAG=1.27"])
        .code(0);
    project
        .run_with_env(&["validate"], &[("NGINX_TAG", "1.27")])
        .code(0);
}

#[test]
fn duplicate_names_across_sections() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\ncompose:\n  - name: web\n    path: .\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:9:11",
        "compose.web.name",
        "used twice: in `apps` at line 6 and in `compose` at line 9",
    );
}

#[test]
fn duplicate_names_in_one_section_name_both_places() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n  - name: web\n    image: httpd\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:8:11",
        "apps.web.name",
        "used twice: in `apps` at line 6 and in `apps` at line 8",
    );
}

#[test]
fn a_misspelt_field_is_an_unknown_field_with_a_suggestion() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    resouces:\n      memory: 1Gi\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:8:5",
        "apps.web.resouces",
        "unknown field `resouces`, did you mean `resources`?",
    );
}

#[test]
fn too_long_name() {
    let name = "a".repeat(64);
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: {name}\n    image: nginx\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:6:11",
        &format!("apps.{name}.name"),
        "is 64 characters long; at most 63",
    );
}

#[test]
fn too_long_cronjob_name() {
    let name = "b".repeat(53);
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: {name}\n    image: busybox\n    kind: cronjob\n    job: {{schedule: \"@daily\"}}\n"
    ))
    .run(&["validate"])
    .code(1)
    .stderr_contains("is 53 characters long; at most 52");
}

#[test]
fn missing_path() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    path: services/web\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:7:11",
        "apps.web.path",
        "directory `services/web` does not exist",
    );
}

#[test]
fn missing_env_file() {
    Project::with_apps_yaml(
        "version: \"2\"\nenvironments:\n  local:\n    env_files: [local.env]\n",
    )
    .run(&["validate"])
    .code(1)
    .stderr_contains("apps.yaml:4:17: error: cannot read env file");
}

#[test]
fn missing_file_argument_is_a_usage_error() {
    Project::new()
        .run(&["-f", "nope.yaml", "validate"])
        .code(2)
        .stderr_contains("nope.yaml does not exist");
}

#[test]
fn no_apps_yaml_anywhere_is_a_usage_error() {
    Project::new()
        .run(&["validate"])
        .code(2)
        .stderr_contains("no apps.yaml");
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    replics: 2\n  - name: api\n    image: nginx\n    resources: {{cpu: lots}}\n"
    ))
    .run(&["validate"]);
    run.code(1)
        .error_at("apps.yaml:8:5", "apps.web.replics", "unknown key")
        .error_at(
            "apps.yaml:11:22",
            "apps.api.resources.cpu",
            "invalid quantity",
        )
        .stderr_contains("2 errors");
}

#[test]
fn alias_bombs_are_refused_quickly() {
    let mut text = String::from(ENVS);
    text.push_str("x-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..15 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("x-a{i}: &a{i} [{refs}]\n"));
    }
    Project::with_apps_yaml(&text)
        .run(&["validate"])
        .code(1)
        .stderr_contains("alias bomb");
}

#[test]
fn absurd_nesting_is_refused() {
    for depth in [100, 100_000] {
        let text = format!("{ENVS}x-deep: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let run = Project::with_apps_yaml(&text).run(&["validate"]);
        run.code(1).stderr_contains("nested more than 64 levels");
        assert!(
            run.stderr.len() < 2_000,
            "the snippet of a long line is cut"
        );
    }
}

#[test]
fn json_output_lists_diagnostics_with_places() {
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    replics: 2\n"
    ))
    .run(&["validate", "--output", "json"]);
    run.code(1);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["valid"], false);
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "unknown-key");
    assert_eq!(d["line"], 8);
    assert_eq!(d["column"], 5);
    assert_eq!(d["field"], "apps.web.replics");
    assert!(d["file"].as_str().unwrap().ends_with("apps.yaml"));
}

#[test]
fn a_label_the_api_server_would_reject() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    labels: {{team: \"platform team\"}}\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at("apps.yaml:6:11", "apps.web", "label `team: platform team`");
}

#[test]
fn an_entry_named_gateway_clashes_with_the_gateway_application() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}argocd: {{repo_url: https://git.example.com/p.git}}\napps:\n  - name: gateway\n    image: nginx\n    container: {{ports: [{{container_port: 80}}]}}\ngateway:\n  routes:\n    - {{name: web, path: /web, service: gateway, port: 80}}\n"
    ));
    project.run(&["generate", "--env", "gcp"]).code(1).error_at(
        "apps.yaml:7:11",
        "apps.gateway.name",
        "Argo CD Application `gcp-gateway` would be written twice",
    );
    assert!(
        project.files().iter().all(|f| f.starts_with("apps.yaml")),
        "no output after an error: {:?}",
        project.files()
    );
}

#[test]
fn an_unreadable_compose_file_is_an_io_error() {
    // `compose.yaml` is a directory: it exists but cannot be read, which is an I/O failure
    // (exit 2), not invalid input (exit 1).
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}compose:\n  - name: stack\n    path: stack\n    compose_file: compose.yaml\n"
    ))
    .file("stack/compose.yaml/keep", "");
    project
        .run(&["validate"])
        .code(2)
        .stderr_contains("cannot read")
        .stderr_contains("compose.yaml");
    assert!(!project.path().join("argocd-state").exists());
}

#[test]
fn seven_independent_mistakes_are_all_reported_in_one_run() {
    // One mistake of each kind, in different entries; each is reported at its own place.
    let apps_yaml = format!(
        "{ENVS}apps:
  - name: typo
    image: nginx
    resouces: {{memory: 1Gi}}
  - name: kind
    image: nginx
    replicas: many
  - name: stage
    image: nginx
    staging: {{replicas: 2}}
  - name: nightly
    image: busybox
    kind: cronjob
    job: {{schedule: \"every night\"}}
  - name: twice
    image: nginx
  - name: twice
    image: httpd
  - name: built
    path: built
serverless:
  - name: fns
    path: fns
"
    );
    let run = Project::with_apps_yaml(&apps_yaml)
        .file("built/main.py", "print('no Dockerfile here')\n")
        .file(
            "fns/functions.py",
            "from k3sfn import serverless, http_trigger\n\n@serverless(memroy=\"1Gi\")\n@http_trigger(path=\"/a\")\ndef a(request):\n    return {}\n",
        )
        .run(&["validate", "--env", "local"]);
    run.code(1)
        .error_at(
            "apps.yaml:8:5",
            "apps.typo.resouces",
            "did you mean `resources`",
        )
        .error_at("apps.yaml:11:15", "apps.kind.replicas", "expected")
        .error_at(
            "apps.yaml:14:5",
            "apps.stage.staging",
            "not a declared environment",
        )
        .error_at(
            "apps.yaml:18:21",
            "apps.nightly.job.schedule",
            "expected 5 fields",
        )
        .error_at("apps.yaml:21:11", "apps.twice.name", "used twice")
        .error_at(
            "apps.yaml:24:11",
            "apps.built.build.dockerfile",
            "does not exist",
        )
        .error_at(
            "fns/functions.py:3:13",
            "a.@serverless.memroy",
            "unknown argument",
        );
    assert!(run.stderr.contains("7 errors"), "{}", run.stderr);
}

#[test]
fn the_gateway_objects_are_checked_like_every_other() {
    let name = "r".repeat(60);
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: api\n    image: nginx:1.27\n    container:\n      ports: [{{container_port: 8080, service_port: 80}}]\n\
         gateway:\n  annotations:\n    \"bad key!\": x\n  routes:\n    - name: {name}\n      path: /api\n      service: api\n      port: 80\n      strip_prefix: true\n"
    ))
    .run(&["validate"]);
    // Every problem is reported at the route that makes the object.
    run.code(1)
        .error_at(
            "apps.yaml:14:13",
            "gateway.routes[0]",
            &format!("Middleware name `gateway-{name}-strip` is 74 characters long; at most 63"),
        )
        .stderr_contains(&format!(
            "apps.yaml:14:13: error: gateway.routes[0]: IngressRoute name `gateway-{name}` is 68 characters long"
        ))
        .stderr_contains(&format!(
            "apps.yaml:14:13: error: gateway.routes[0]: annotation key `bad key!` on IngressRoute `gateway-{name}`"
        ));
}

#[test]
fn the_argocd_objects_are_checked_like_every_other() {
    let project = "p".repeat(64);
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}argocd:\n  repo_url: https://git.example.com/platform.git\n  project: {project}\n\
         apps:\n  - name: api\n    image: nginx:1.27\n"
    ))
    .run(&["generate", "--env", "local"]);
    run.code(1)
        .error_at(
            "apps.yaml:7:12",
            "argocd.project",
            &format!("AppProject name `{project}` is 64 characters long; at most 63"),
        )
        .error_at(
            "apps.yaml:9:11",
            "apps.api.name",
            &format!("label `app.kubernetes.io/part-of: {project}` on Application `local-api`"),
        );
}

#[test]
fn an_apps_yaml_that_is_not_utf8_says_where() {
    let project = Project::new();
    std::fs::write(
        project.path().join("apps.yaml"),
        [ENVS.as_bytes(), b"apps:\n  - name: w\xffb\n"].concat(),
    )
    .unwrap();
    let run = project.run(&["generate"]);
    run.code(2).stderr_contains(&format!(
        "error: cannot read apps.yaml: not valid UTF-8 at line {}, column 12",
        ENVS.lines().count() + 2
    ));
    assert!(!run.stderr.contains("error: error:"), "{}", run.stderr);
    assert!(!project.path().join("argocd-state").exists());
}

#[test]
fn a_byte_order_mark_does_not_become_part_of_the_first_key() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}compose:\n  - name: stack\n    path: stack\n"
    ))
    .file(
        "stack/compose.yaml",
        "services:\n  web:\n    image: nginx:${TAG}\n    env_file: web.env\n",
    )
    .file("stack/.env", "\u{feff}TAG=1.27\n")
    .file("stack/web.env", "\u{feff}GREETING=hello\n");
    let run = project.run(&["generate", "--env", "local", "--stdout"]);
    run.code(0);
    assert!(run.stdout.contains("image: nginx:1.27"), "{}", run.stdout);
    assert!(run.stdout.contains("\n  GREETING: hello"), "{}", run.stdout);
    assert!(!run.stdout.contains('\u{feff}'));
}

#[test]
fn two_entries_creating_one_service_account_name_both_and_may_share_it() {
    let apps = |create: &str| {
        format!(
            "{ENVS}apps:\n  - name: web\n    image: nginx\n    security:\n      service_account: shared\n  - name: worker\n    image: busybox\n    security:\n      service_account: shared\n{create}"
        )
    };
    let project = Project::with_apps_yaml(&apps(""));
    project
        .run(&["generate", "--output-dir", "out"])
        .code(1)
        .error_at(
            "apps.yaml:10:11",
            "apps.worker",
            "ServiceAccount `shared` in namespace `apps` comes from both `apps.web` and `apps.worker`",
        )
        .stderr_contains("security.create_service_account: false");
    assert!(!project.path().join("out").exists(), "no partial output");
    Project::with_apps_yaml(&apps("      create_service_account: false\n"))
        .run(&["validate"])
        .code(0);
}
