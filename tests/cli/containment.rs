//! Reads stay inside the project: every file an entry names resolves, after symlinks, below the
//! directory of apps.yaml, unless the entry says `allow_outside_project: true`.

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
