//! Issue 12's "Why", one test per bullet that no other file proves through the binary: files
//! that exist today load, a per-environment map needs only the selected environment's
//! variables, fields without effect say so where they are written, and job and placement
//! settings reach every workload kind. (The other bullets: tests/cli/fields.rs,
//! tests/cli/bad_input.rs, tests/cli/generate.rs; the table is in the issue.)

use std::path::Path;
use std::process::Command;

use crate::support::{ENVS, Project, Run, binary};

/// The `--stdout` document of `kind` named `name`.
fn document<'a>(stdout: &'a str, kind: &str, name: &str) -> &'a str {
    stdout
        .split("\n---\n")
        .find(|d| {
            d.contains(&format!("\nkind: {kind}\n")) && d.contains(&format!("  name: {name}\n"))
        })
        .unwrap_or_else(|| panic!("no {kind} {name} in:\n{stdout}"))
}

#[test]
fn a_platform_file_written_for_the_python_generators_validates_and_acts() {
    // The three errors that stopped that team, in one file: `gateway.rate_limit.enabled`,
    // `@serverless(allow_from_pods=…)`, and route timeouts on Traefik.
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}gateway:\n  rate_limit: {{enabled: true, requests_per_second: 50}}\n  routes:\n    - path: /api\n      service: api\n      port: 80\n      timeouts: {{connect: 10s, server: 180s}}\napps:\n  - name: api\n    image: nginx:1.27\n    container: {{ports: [{{container_port: 80}}]}}\nserverless:\n  - name: fns\n    path: fns\n"
    ))
    .file(
        "fns/functions/hello.py",
        "from k3sfn import serverless, http_trigger\n\n\n@serverless(visibility=\"restricted\", allow_from_pods={\"app\": \"api\"})\n@http_trigger(path=\"/hello\")\ndef hello(request):\n    return {}\n",
    );
    let validate = project.run(&["validate", "--env", "local"]);
    validate.code(0);
    assert!(!validate.stderr.contains("error"), "{}", validate.stderr);
    let run = project.run(&["generate", "--env", "local", "--stdout"]);
    run.code(0);
    assert!(
        document(&run.stdout, "Middleware", "gateway-api-ratelimit").contains("average: 50"),
        "{}",
        run.stdout
    );
    assert!(
        document(&run.stdout, "ServersTransport", "gateway-api-transport")
            .contains("dialTimeout: 10s\n    responseHeaderTimeout: 180s"),
        "{}",
        run.stdout
    );
    assert!(
        document(&run.stdout, "NetworkPolicy", "fns-hello")
            .contains("    - podSelector:\n        matchLabels:\n          app: api\n"),
        "{}",
        run.stdout
    );
}

/// `k3s` on an example with no variable but `PATH` in its environment.
fn run_example(example: &str, args: &[&str], variables: &[(&str, &str)]) -> Run {
    let apps_yaml = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(example)
        .join("apps.yaml");
    let output = Command::new(binary())
        .arg("-f")
        .arg(&apps_yaml)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(variables.iter().copied())
        .output()
        .expect("k3s runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn seed_001s_root_snippet_generates_local_and_dev_with_no_variables_set() {
    for env in ["local", "dev"] {
        let run = run_example(
            "seed-001-root",
            &["generate", "--env", env, "--stdout"],
            &[],
        );
        run.code(0)
            .stdout_contains("image: registry.localhost:5111/");
        assert!(!run.stderr.contains("PROJECT_ID"), "{}", run.stderr);
    }
    // Only `gcp` uses PROJECT_ID and GCP_DOMAIN: it needs them, and says where.
    run_example(
        "seed-001-root",
        &["generate", "--env", "gcp", "--stdout"],
        &[],
    )
    .code(1)
    .stderr_contains(
        "apps.yaml:15:10: error: defaults.registry.gcp: variable `PROJECT_ID` is not set",
    )
    .stderr_contains("environments.gcp.domain: variable `GCP_DOMAIN` is not set");
    run_example(
        "seed-001-root",
        &["generate", "--env", "gcp", "--stdout"],
        &[("PROJECT_ID", "demo"), ("GCP_DOMAIN", "api.example.com")],
    )
    .code(0)
    .stdout_contains("image: us-central1-docker.pkg.dev/demo/k3s-platform/");
}

#[test]
fn a_per_environment_map_interpolates_only_the_selected_environment() {
    let project = Project::with_apps_yaml(
        "version: \"2\"\ndefaults:\n  registry:\n    local: registry.local:5000\n    gcp: \"europe-docker.pkg.dev/${PROJECT_ID}/apps\"\n  ingress: {local: traefik, gcp: haproxy}\nenvironments:\n  local: {}\n  gcp: {domain: example.com}\napps:\n  - name: web\n    path: web\n",
    )
    .file("web/Dockerfile", "FROM nginx:1.27\n");
    project
        .run_with_env(&["generate", "--env", "local", "--stdout"], &[])
        .code(0)
        .stdout_contains("image: registry.local:5000/web:");
    project.run(&["validate", "--env", "gcp"]).code(1).error_at(
        "apps.yaml:5:10",
        "defaults.registry.gcp",
        "variable `PROJECT_ID` is not set",
    );
}

#[test]
fn stabilization_windows_under_keda_queue_are_warned_at_their_values() {
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: worker\n    image: myorg/worker:1\n    resources: {{cpu: 100m, memory: 64Mi}}\n    scaling:\n      type: keda-queue\n      queue_name: jobs\n      scale_up_stabilization: 30\n      scale_down_stabilization: 300\n"
    ))
    .run(&["validate", "--env", "local"])
    .code(0)
    .stderr_contains("apps.yaml:12:31: warning: apps.worker.scaling.scale_up_stabilization: `scaling.scale_up_stabilization` has no effect with `type: keda-queue`")
    .stderr_contains("apps.yaml:13:33: warning: apps.worker.scaling.scale_down_stabilization: `scaling.scale_down_stabilization` has no effect with `type: keda-queue`");
}

#[test]
fn another_controllers_annotations_are_left_out_on_haproxy_too() {
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}defaults:\n  ingress: {{local: traefik, gcp: haproxy}}\napps:\n  - name: web\n    image: nginx:1.27\n    container: {{ports: [{{container_port: 80}}]}}\n    ingress:\n      path: /\n      annotations:\n        nginx.ingress.kubernetes.io/proxy-body-size: 10m\n        traefik.ingress.kubernetes.io/router.priority: \"10\"\n        haproxy-ingress.github.io/timeout-tunnel: 1h\n"
    ))
    .run(&["generate", "--env", "gcp", "--stdout"]);
    run.code(0)
        .stderr_contains("apps.web.ingress.annotations.nginx.ingress.kubernetes.io/proxy-body-size: annotation `nginx.ingress.kubernetes.io/proxy-body-size` is for ingress-nginx")
        .stderr_contains("apps.web.ingress.annotations.traefik.ingress.kubernetes.io/router.priority: annotation `traefik.ingress.kubernetes.io/router.priority` is for Traefik");
    let ingress = document(&run.stdout, "Ingress", "web");
    assert!(
        ingress.contains("haproxy-ingress.github.io/timeout-tunnel: 1h"),
        "{ingress}"
    );
    assert!(
        !run.stdout.contains("proxy-body-size") && !run.stdout.contains("router.priority"),
        "{}",
        run.stdout
    );
}

/// Who a NetworkPolicy's ingress rules admit: the `app.kubernetes.io/name` of each pod peer,
/// the name of each namespace peer, `*` for every namespace; sorted.
fn admitted(policy: &str) -> Vec<String> {
    let policy: serde_json::Value = serde_saphyr::from_str(policy).expect("a YAML document");
    let mut out: Vec<String> = Vec::new();
    let rules = policy["spec"]["ingress"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for peer in rules
        .iter()
        .flat_map(|r| r["from"].as_array().cloned().unwrap_or_default())
    {
        if let Some(name) = peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str() {
            out.push(name.to_string());
        }
        match peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"].as_str() {
            Some(namespace) => out.push(namespace.to_string()),
            None if peer["namespaceSelector"].is_object() => out.push("*".to_string()),
            None => {}
        }
    }
    out.sort();
    out
}

#[test]
fn compose_strict_network_policy_stays_under_any_visibility() {
    // `strict` admits the services sharing a compose network; a visibility adds to that, and
    // never replaces it.
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}compose:\n  - name: shop\n    path: shop\n    network: {{policy: strict}}\n    services:\n      api:\n        security: {{visibility: restricted, allowed_sources: [{{namespace: monitoring}}]}}\n      db:\n        security: {{visibility: private}}\n      web:\n        security: {{visibility: internal}}\n"
    ))
    .file(
        "shop/compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    expose: [\"80\"]\n    networks: [front]\n  api:\n    image: myorg/api:1\n    expose: [\"8000\"]\n    networks: [front, back]\n  db:\n    image: postgres:16\n    expose: [\"5432\"]\n    networks: [back]\nnetworks:\n  front: {}\n  back: {}\n",
    )
    .run(&["generate", "--env", "local", "--stdout"]);
    run.code(0);
    let policy = |name: &str| admitted(document(&run.stdout, "NetworkPolicy", name));
    assert_eq!(
        policy("shop-api"),
        ["monitoring", "shop-api", "shop-db", "shop-web"],
        "restricted: strict's neighbours plus allowed_sources"
    );
    assert_eq!(
        policy("shop-db"),
        ["shop-api", "shop-db"],
        "private: strict's neighbours only; `web` shares no network with `db`"
    );
    assert_eq!(policy("shop-web"), ["*"], "internal: every namespace");
}

#[test]
fn app_jobs_and_stateful_sets_take_job_placement_and_service_account_settings() {
    let placement = "    node_selector: {pool: batch}\n    tolerations: [{key: batch, operator: Exists, effect: NoSchedule}]\n    affinity: {required: [{key: zone, operator: In, values: [a]}]}\n    priority_class_name: low\n";
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: migrate\n    image: myorg/migrate:1\n    kind: job\n    job: {{backoff_limit: 0, ttl_seconds_after_finished: 600, active_deadline_seconds: 300}}\n    security: {{service_account: runner}}\n{placement}  - name: nightly\n    image: myorg/migrate:1\n    kind: cronjob\n    job: {{schedule: \"0 1 * * *\", backoff_limit: 1}}\n    security: {{service_account: nightly}}\n{placement}  - name: db\n    image: postgres:16\n    kind: statefulset\n{placement}"
    ))
    .run(&["generate", "--env", "gcp", "--stdout"]);
    run.code(0);
    assert!(!run.stderr.contains("job."), "{}", run.stderr);
    let job = document(&run.stdout, "Job", "migrate");
    for expected in [
        "spec:\n  activeDeadlineSeconds: 300\n  backoffLimit: 0\n",
        "\n  ttlSecondsAfterFinished: 600",
        "      serviceAccountName: runner\n",
        "      nodeSelector:\n        pool: batch\n",
        "      priorityClassName: low\n",
        "      tolerations:\n      - effect: NoSchedule\n        key: batch\n        operator: Exists\n",
        "              - key: zone\n                operator: In\n",
    ] {
        assert!(job.contains(expected), "{expected:?} not in {job}");
    }
    let cron_job = document(&run.stdout, "CronJob", "nightly");
    for expected in [
        "      backoffLimit: 1\n",
        "          serviceAccountName: nightly\n",
        "          nodeSelector:\n            pool: batch\n",
        "          priorityClassName: low\n",
    ] {
        assert!(
            cron_job.contains(expected),
            "{expected:?} not in {cron_job}"
        );
    }
    let stateful_set = document(&run.stdout, "StatefulSet", "db");
    for expected in [
        "      nodeSelector:\n        pool: batch\n",
        "      priorityClassName: low\n",
        "      tolerations:\n      - effect: NoSchedule\n",
    ] {
        assert!(
            stateful_set.contains(expected),
            "{expected:?} not in {stateful_set}"
        );
    }
}

#[test]
fn job_settings_on_another_kind_are_said_per_field_and_a_schedule_is_an_error() {
    // A Deployment and a StatefulSet run no Jobs: each field set is a warning at its value.
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx:1.27\n    job:\n      backoff_limit: 0\n      ttl_seconds_after_finished: 60\n  - name: db\n    image: postgres:16\n    kind: statefulset\n    job: {{active_deadline_seconds: 30}}\n"
    ))
    .run(&["generate", "--env", "local", "--stdout"]);
    run.code(0)
        .stderr_contains("apps.yaml:9:22: warning: apps.web.job.backoff_limit: `job.backoff_limit` has no effect on a Deployment: it runs no Jobs")
        .stderr_contains("apps.yaml:10:35: warning: apps.web.job.ttl_seconds_after_finished: `job.ttl_seconds_after_finished` has no effect on a Deployment")
        .stderr_contains("apps.yaml:14:36: warning: apps.db.job.active_deadline_seconds: `job.active_deadline_seconds` has no effect on a StatefulSet");
    assert!(!run.stdout.contains("backoffLimit"), "{}", run.stdout);
    // On a Job, what only a CronJob has.
    Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: once\n    image: busybox:1.36\n    kind: job\n    job: {{backoff_limit: 1, suspend: true, timezone: UTC}}\n"
    ))
    .run(&["validate", "--env", "local"])
    .code(0)
    .stderr_contains("apps.yaml:9:38: warning: apps.once.job.suspend: `job.suspend` has no effect on a Job: only a CronJob has it")
    .stderr_contains("apps.yaml:9:54: warning: apps.once.job.timezone: `job.timezone` has no effect on a Job");
    // A schedule means a forgotten `kind: cronjob`: refused at the schedule, on a Job too.
    for kind in ["", "    kind: job\n"] {
        Project::with_apps_yaml(&format!(
            "{ENVS}apps:\n  - name: backup\n    image: busybox:1.36\n{kind}    job:\n      schedule: \"0 3 * * *\"\n"
        ))
        .run(&["validate", "--env", "local"])
        .code(1)
        .error_at(
            &format!("apps.yaml:{}:17", if kind.is_empty() { 9 } else { 10 }),
            "apps.backup.job.schedule",
            "`job.schedule` needs `kind: cronjob`",
        )
        .stderr_contains("help: set `kind: cronjob` to run `backup` on this schedule");
    }
    // A compose service run as a Deployment: the same, under its apps.yaml field.
    Project::with_apps_yaml(&format!(
        "{ENVS}compose:\n  - name: shop\n    path: shop\n    services:\n      web:\n        job: {{backoff_limit: 3}}\n"
    ))
    .file("shop/compose.yaml", "services:\n  web:\n    image: nginx:1.27\n")
    .run(&["validate", "--env", "local"])
    .code(0)
    .stderr_contains("apps.yaml:10:30: warning: compose.shop.services.web.job.backoff_limit: `job.backoff_limit` has no effect on a Deployment");
}

#[test]
fn a_scheduled_functions_cron_job_takes_its_service_account_and_the_entrys_job_settings() {
    // tests/cli/fields.rs covers the ScaledJob's account; this is the CronJob's.
    let run = Project::with_apps_yaml(&format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n    job: {{backoff_limit: 0, ttl_seconds_after_finished: 120}}\n    tolerations: [{{key: spot, operator: Exists, effect: NoSchedule}}]\n"
    ))
    .file(
        "fns/functions/jobs.py",
        "from k3sfn import schedule_trigger, serverless\n\n@serverless(service_account=\"cron-runner\")\n@schedule_trigger(cron=\"0 3 * * *\")\ndef nightly():\n    pass\n",
    )
    .run(&["generate", "--env", "local", "--stdout"]);
    run.code(0);
    let cron_job = document(&run.stdout, "CronJob", "fns-nightly");
    for expected in [
        "      backoffLimit: 0\n",
        "          serviceAccountName: cron-runner\n",
        "          tolerations:\n          - effect: NoSchedule\n            key: spot\n",
        "      ttlSecondsAfterFinished: 120",
    ] {
        assert!(
            cron_job.contains(expected),
            "{expected:?} not in {cron_job}"
        );
    }
    assert!(
        document(&run.stdout, "ServiceAccount", "cron-runner").contains("namespace: apps"),
        "{}",
        run.stdout
    );
}
