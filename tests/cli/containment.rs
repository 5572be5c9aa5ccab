//! Reads stay inside the project: every file an entry names resolves, after symlinks, below the
//! directory of apps.yaml, unless the entry says `allow_outside_project: true`.

use std::path::Path;

use crate::support::{ENVS, Project};

fn outside(project: &Project) -> String {
    let elsewhere = project.path().parent().unwrap().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("Dockerfile"), "FROM scratch\n").unwrap();
    std::fs::write(elsewhere.join("values.yaml"), "a: 1\n").unwrap();
    elsewhere.canonicalize().unwrap().display().to_string()
}

#[test]
fn an_app_path_outside_the_project_is_refused() {
    let project = Project::new();
    let target = outside(&project);
    let project = project.file(
        "apps.yaml",
        &format!("{ENVS}apps:\n  - name: web\n    path: ../elsewhere\n"),
    );
    project.run(&["validate"]).code(1).error_at(
        "apps.yaml:7:11",
        "apps.web.path",
        &format!("resolves to `{target}`, outside the project directory"),
    );
    assert!(!project.path().join("argocd-state").exists());
}

#[test]
fn a_symlink_inside_the_project_that_points_outside_is_refused() {
    let project = Project::new();
    let target = outside(&project);
    std::os::unix::fs::symlink(&target, project.path().join("link")).unwrap();
    let project = project.file(
        "apps.yaml",
        &format!("{ENVS}apps:\n  - name: web\n    path: link\n"),
    );
    project.run(&["validate"]).code(1).error_at(
        "apps.yaml:7:11",
        "apps.web.path",
        "outside the project directory",
    );
}

#[test]
fn allow_outside_project_is_the_opt_in() {
    let project = Project::new();
    outside(&project);
    Project::validate_ok(project.file(
        "apps.yaml",
        &format!("{ENVS}apps:\n  - name: web\n    path: ../elsewhere\n    allow_outside_project: true\n    resources: {{memory: 64Mi}}\n"),
    ));
}

#[test]
fn dockerfiles_contexts_and_values_outside_are_refused() {
    let project = Project::new().file("app/Dockerfile", "FROM scratch\n");
    let target = outside(&project);
    let project = project.file(
        "apps.yaml",
        &format!(
            "{ENVS}apps:\n  - name: web\n    path: app\n    build: {{dockerfile: /etc/passwd}}\n  - name: api\n    path: app\n    build: {{context: /}}\nrepositories:\n  bitnami: https://charts.bitnami.com/bitnami\nhelm:\n  - name: redis\n    chart: bitnami/redis\n    version: \"1.0.0\"\n    values: ../elsewhere/values.yaml\n"
        ),
    );
    let run = project.run(&["validate"]);
    run.code(1)
        .error_at(
            "apps.yaml:8:25",
            "apps.web.build.dockerfile",
            "`/etc/passwd` resolves to `/etc/passwd`",
        )
        .error_at(
            "apps.yaml:11:22",
            "apps.api.build.context",
            "`/` resolves to `/`",
        )
        .error_at(
            "apps.yaml:18:13",
            "helm.redis.values",
            &format!("resolves to `{target}/values.yaml`"),
        );
}

#[test]
fn argocd_paths_stay_inside_the_repository() {
    Project::with_apps_yaml(&format!(
        "{ENVS}argocd:\n  repo_url: https://git.example.com/x.git\n  path: ../../../etc\n"
    ))
    .run(&["validate"])
    .code(1)
    .error_at(
        "apps.yaml:7:9",
        "argocd.path",
        "is not a path inside the repository",
    );
}

#[test]
fn function_files_linked_from_outside_are_not_read() {
    let project = Project::new();
    outside(&project);
    let secret = project.path().parent().unwrap().join("elsewhere/secret.py");
    std::fs::write(&secret, "TOP_SECRET = 1\n").unwrap();
    let project = project
        .file(
            "apps.yaml",
            &format!("{ENVS}serverless:\n  - name: fns\n    path: fns\n    resources: {{memory: 64Mi}}\n"),
        )
        .file("fns/functions/api.py", "from k3sfn import http_trigger\n\n@http_trigger(path=\"/a\")\ndef a(request):\n    return {}\n");
    std::os::unix::fs::symlink(&secret, project.path().join("fns/functions/linked.py")).unwrap();
    let run = project.run(&["validate"]);
    run.code(1)
        .stderr_contains("fns/functions/linked.py is a link to")
        .stderr_contains("outside the project directory; it is not read");
    assert!(!run.stderr.contains("TOP_SECRET"), "{}", run.stderr);
}

/// A compose entry whose compose file names `files` (the rest of the file), in a project next
/// to `elsewhere/` (which holds `out.yml` with a service `x` and `e.env`).
fn compose_project(compose: &str) -> (Project, String) {
    let project = Project::new();
    let target = outside(&project);
    std::fs::write(
        Path::new(&target).join("out.yml"),
        "services:\n  x:\n    image: busybox:1.36\n    environment:\n      LEAK: outside-value\n",
    )
    .unwrap();
    std::fs::write(Path::new(&target).join("e.env"), "LEAK=outside-value\n").unwrap();
    let compose = compose.replace("ELSEWHERE", &target);
    let project = project
        .file(
            "apps.yaml",
            &format!("{ENVS}compose:\n  - name: web\n    path: stack\n"),
        )
        .file("stack/docker-compose.yml", &compose);
    (project, target)
}

#[test]
fn compose_secrets_and_configs_outside_the_project_are_not_read() {
    let (project, _) = compose_project(
        "services:\n  web:\n    image: nginx:1.27\n    secrets: [s]\n    configs: [c]\nsecrets:\n  s:\n    file: /etc/shadow\nconfigs:\n  c:\n    file: ../../etc/passwd\n",
    );
    let run = project.run(&["generate"]);
    run.code(1)
        .error_at(
            "stack/docker-compose.yml:8:11",
            "compose.web.services.web.secrets.s.file",
            "`/etc/shadow` resolves to `/etc/shadow`, outside the project directory",
        )
        .error_at(
            "stack/docker-compose.yml:11:11",
            "compose.web.services.web.configs.c.file",
            "`../../etc/passwd` resolves to `",
        );
    assert!(!run.stderr.contains("root:"), "{}", run.stderr);
    assert!(!project.path().join("argocd-state").exists());
}

#[test]
fn compose_env_files_outside_the_project_are_not_read_or_echoed() {
    let (project, _) =
        compose_project("services:\n  web:\n    image: nginx:1.27\n    env_file: /etc/passwd\n");
    let run = project.run(&["validate"]);
    run.code(1).error_at(
        "stack/docker-compose.yml:4:15",
        "services.web.env_file[0].path",
        "the env file `/etc/passwd` resolves to `/etc/passwd`, outside the project directory",
    );
    // Not one line of the file appears (it was never read).
    assert!(!run.stderr.contains("/bin/"), "{}", run.stderr);
}

#[test]
fn compose_extends_and_include_outside_the_project_are_refused() {
    let (project, target) = compose_project(
        "services:\n  web:\n    image: nginx:1.27\n    extends:\n      file: ELSEWHERE/out.yml\n      service: x\ninclude:\n  - path: ELSEWHERE/out.yml\n    env_file: ELSEWHERE/e.env\n",
    );
    let run = project.run(&["validate"]);
    run.code(1)
        .error_at(
            "stack/docker-compose.yml:5:13",
            "services.web.extends.file",
            &format!("resolves to `{target}/out.yml`, outside the project directory"),
        )
        .error_at(
            "stack/docker-compose.yml:8:11",
            "include[0]",
            &format!("the included file `{target}/out.yml`"),
        )
        .error_at(
            "stack/docker-compose.yml:9:15",
            "include[0]",
            &format!("the included file `{target}/e.env`"),
        );
    assert!(!run.stderr.contains("outside-value"), "{}", run.stderr);
}

#[test]
fn a_compose_dotenv_linked_from_outside_is_not_read() {
    let (project, target) = compose_project("services:\n  web:\n    image: nginx:${TAG:-1.27}\n");
    std::os::unix::fs::symlink(
        Path::new(&target).join("e.env"),
        project.path().join("stack/.env"),
    )
    .unwrap();
    project.run(&["validate"]).code(1).stderr_contains(&format!(
        "the env file `stack/.env` resolves to `{target}/e.env`, outside the project directory"
    ));
}

#[test]
fn a_compose_file_or_env_file_outside_the_project_is_refused_in_apps_yaml() {
    let (project, target) = compose_project("services:\n  web:\n    image: nginx:1.27\n");
    let project = project.file(
        "apps.yaml",
        &format!("{ENVS}compose:\n  - name: web\n    path: stack\n    compose_file: ../../elsewhere/out.yml\n    env_file: ../elsewhere/e.env\n"),
    );
    project
        .run(&["validate"])
        .code(1)
        .error_at(
            "apps.yaml:8:19",
            "compose.web.compose_file",
            &format!("resolves to `{target}/out.yml`, outside the project directory"),
        )
        .error_at(
            "apps.yaml:9:15",
            "compose.web.env_file",
            &format!("resolves to `{target}/e.env`, outside the project directory"),
        );
}

#[test]
fn allow_outside_project_lets_a_compose_entry_read_there() {
    let (project, _) = compose_project(
        "services:\n  web:\n    image: nginx:1.27\n    env_file: ELSEWHERE/e.env\n",
    );
    let project = project.file(
        "apps.yaml",
        &format!(
            "{ENVS}compose:\n  - name: web\n    path: stack\n    allow_outside_project: true\n"
        ),
    );
    project.run(&["validate"]).code(0);
}
