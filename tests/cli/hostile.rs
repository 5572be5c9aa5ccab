//! Hostile input and a hostile output tree: nesting that would overflow the stack, files too
//! large to read, links planted in the output, hand-written files where k3s writes, Secrets on
//! disk and in diffs, runs that were killed or ran out of disk. Each case says what k3s did
//! before it was handled (run with `K3S_TEST_BINARY=<older k3s>` to see those fail).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{ENVS, Project, Run, binary};

const APPS: &str = "argocd:\n  repo_url: https://git.example.com/platform.git\napps:\n  - name: web\n    image: nginx\n    security: {profile: baseline}\n    container:\n      ports: [{container_port: 80}]\n";

/// A compose entry whose `*_PASSWORD` becomes a Secret.
const SECRET_COMPOSE: &str = "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter2-secret\n      POSTGRES_DB: app\n";

fn project() -> Project {
    Project::with_apps_yaml(&format!("{ENVS}{APPS}"))
}

fn secret_project(password: &str) -> Project {
    Project::with_apps_yaml(&format!(
        "{ENVS}{APPS}compose:\n  - name: shop\n    path: shop\n"
    ))
    .file(
        "shop/compose.yaml",
        &SECRET_COMPOSE.replace("hunter2-secret", password),
    )
}

/// Every path below `dir`, links included (not followed), relative and sorted.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&relative)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = relative.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                pending.push(path.clone());
            }
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Every path below `dir` with a hash of its bytes (short enough to show when they differ).
fn contents(dir: &Path) -> Vec<(PathBuf, u64)> {
    use std::hash::{Hash, Hasher};
    listing(dir)
        .into_iter()
        .map(|p| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            std::fs::read(dir.join(&p))
                .unwrap_or_default()
                .hash(&mut hasher);
            (p, hasher.finish())
        })
        .collect()
}

/// Runs k3s through `sh` with `prelude` first (umask, ulimit).
fn run_in_shell(project: &Project, prelude: &str, args: &str) -> Run {
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("{prelude}; exec \"$0\" {args}"))
        .arg(binary())
        .current_dir(project.path())
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

// --- Reading ---------------------------------------------------------------------------

/// Before: the stack overflowed in the decorator reader (SIGABRT, exit 134, no location).
#[test]
fn a_decorator_argument_nested_10000_deep_is_a_located_error() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}serverless:\n  - name: deep\n    path: fns\n"
    ))
    .file(
        "fns/functions.py",
        &format!(
            "from k3sfn import http_trigger, serverless\n\n@serverless(memory={}{})\n@http_trigger(path=\"/x\")\nasync def handler(request):\n    pass\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    project.run(&["generate"]).code(1).error_at(
        "fns/functions.py:3:219",
        "handler.@serverless.memory",
        "nested more than 200 levels deep",
    );
    assert!(!project.path().join("argocd-state").exists());
}

/// Before: read whole (and, for real content, slowly); now refused before parsing.
#[test]
fn an_apps_yaml_over_64_mib_is_refused() {
    let mut text = format!("{ENVS}{APPS}");
    let line = format!("# {}\n", "x".repeat(1022));
    while text.len() <= 64 * 1024 * 1024 {
        text.push_str(&line);
    }
    let project = Project::with_apps_yaml(&text);
    project.run(&["generate"]).code(1).stderr_contains(
        "apps.yaml:1:1: error: the file is 64.0 MiB; k3s reads input files up to 64 MiB",
    );
    assert!(!project.path().join("argocd-state").exists());
}

// --- Writing: containment ----------------------------------------------------------------

/// Before: exit 0, and the file outside the output directory held the manifest.
#[test]
fn a_symlinked_manifest_is_refused_and_the_file_it_points_to_is_untouched() {
    let project = project();
    project.run(&["generate"]).code(0);
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("file.txt");
    std::fs::write(&victim, "outside\n").unwrap();
    let link = project
        .path()
        .join("argocd-state/local/apps/web/manifests.yaml");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let before = contents(&project.path().join("argocd-state"));
    project
        .run(&["generate"])
        .code(2)
        .stderr_contains("argocd-state/local/apps/web/manifests.yaml: is a symbolic link");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "outside\n");
    assert_eq!(contents(&project.path().join("argocd-state")), before);
}

/// Before: the link was copied into the new tree and written through (a directory outside
/// got `web/manifests.yaml`).
#[test]
fn a_symlinked_directory_is_refused_and_nothing_is_written_there() {
    let project = project();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join("argocd-state/local")).unwrap();
    std::os::unix::fs::symlink(
        outside.path(),
        project.path().join("argocd-state/local/apps"),
    )
    .unwrap();
    project
        .run(&["generate"])
        .code(2)
        .stderr_contains("argocd-state/local/apps: is a symbolic link");
    assert!(listing(outside.path()).is_empty());
    assert!(!project.path().join("argocd-state/gcp").exists());
}

/// Before: `std::fs::write` followed the link.
#[test]
fn single_entry_commands_write_through_emit_and_refuse_links_and_hand_written_files() {
    let project = secret_project("pw");
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("file.txt");
    std::fs::write(&victim, "outside\n").unwrap();
    std::fs::create_dir_all(project.path().join("out")).unwrap();
    std::os::unix::fs::symlink(&victim, project.path().join("out/manifests.yaml")).unwrap();
    project
        .run(&["app", "generate", "web", "--output-dir", "out"])
        .code(2)
        .stderr_contains("out/manifests.yaml: is a symbolic link");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "outside\n");
    std::fs::remove_file(project.path().join("out/manifests.yaml")).unwrap();
    std::fs::write(project.path().join("out/manifests.yaml"), "mine\n").unwrap();
    project
        .run(&["app", "generate", "web", "--output-dir", "out"])
        .code(2)
        .stderr_contains("out/manifests.yaml: was not written by k3s");
    assert_eq!(
        std::fs::read_to_string(project.path().join("out/manifests.yaml")).unwrap(),
        "mine\n"
    );
    // compose generate and convert: contained, and 0600 for the Secret they write.
    project
        .run(&["compose", "generate", "shop", "--output-dir", "out"])
        .code(0);
    let file = project.path().join("out/compose/shop/manifests.yaml");
    assert_eq!(mode(&file), 0o600);
    project
        .run(&[
            "compose",
            "convert",
            "shop/compose.yaml",
            "--output-dir",
            "conv",
        ])
        .code(0);
    assert_eq!(
        mode(&project.path().join("conv/compose/shop/manifests.yaml")),
        0o600
    );
    std::fs::write(
        project.path().join("conv/compose/shop/manifests.yaml"),
        "mine\n",
    )
    .unwrap();
    project
        .run(&[
            "compose",
            "convert",
            "shop/compose.yaml",
            "--output-dir",
            "conv",
        ])
        .code(2)
        .stderr_contains("was not written by k3s");
    let names: Vec<_> = listing(&project.path().join("out/compose/shop"));
    assert_eq!(names, [PathBuf::from("manifests.yaml")], "no drafts left");
}

// --- Writing: Secrets --------------------------------------------------------------------

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Before: 0644 (0666 under umask 000).
#[test]
fn files_holding_secrets_are_0600_even_under_umask_000() {
    let project = secret_project("pw");
    run_in_shell(&project, "umask 000", "generate").code(0);
    let tree = project.path().join("argocd-state/local");
    assert_eq!(mode(&tree.join("compose/shop/manifests.yaml")), 0o600);
    assert_eq!(mode(&tree.join("apps/web/manifests.yaml")), 0o666);
}

/// Before: the old and new passwords were printed.
#[test]
fn check_verbose_names_changed_secret_keys_without_their_values() {
    let project = secret_project("old-password-1");
    project.run(&["generate"]).code(0);
    std::fs::write(
        project.path().join("shop/compose.yaml"),
        SECRET_COMPOSE.replace("hunter2-secret", "new-password-2"),
    )
    .unwrap();
    let run = project.run(&["generate", "--check", "-v"]);
    run.code(1)
        .stdout_contains("-  POSTGRES_PASSWORD: (hidden, old value)")
        .stdout_contains("+  POSTGRES_PASSWORD: (hidden, new value)");
    assert!(!run.stdout.contains("old-password-1"), "{}", run.stdout);
    assert!(!run.stdout.contains("new-password-2"), "{}", run.stdout);
}

// --- Writing: what is pruned and replaced ------------------------------------------------

/// Before: overwritten without a word.
#[test]
fn a_hand_written_file_at_a_generated_path_is_an_error_naming_it() {
    let project = project();
    project.run(&["generate"]).code(0);
    let mine = project
        .path()
        .join("argocd-state/local/apps/web/manifests.yaml");
    std::fs::write(&mine, "kind: mine\n").unwrap();
    std::fs::write(
        project.path().join("apps.yaml"),
        format!(
            "{ENVS}{}",
            APPS.replace("image: nginx", "image: nginx:1.27")
        ),
    )
    .unwrap();
    let before = contents(&project.path().join("argocd-state"));
    project
        .run(&["generate"])
        .code(2)
        .stderr_contains("argocd-state/local/apps/web/manifests.yaml: was not written by k3s");
    assert_eq!(contents(&project.path().join("argocd-state")), before);
}

/// Before: a first line that merely contained the words was taken for k3s's header: pruned.
#[test]
fn only_files_with_the_exact_header_are_pruned_and_emptied_directories_go() {
    let project = project();
    project.run(&["generate"]).code(0);
    let notes = project.path().join("argocd-state/local/apps/NOTES.yaml");
    std::fs::write(
        &notes,
        "# notes: Generated by k3s from apps.yaml once, then edited by hand\nx: 1\n",
    )
    .unwrap();
    // Removing the only app prunes its file and the directory it leaves empty.
    std::fs::write(
        project.path().join("apps.yaml"),
        format!("{ENVS}argocd:\n  repo_url: https://git.example.com/platform.git\n"),
    )
    .unwrap();
    project.run(&["generate"]).code(0);
    assert!(notes.exists());
    assert!(!project.path().join("argocd-state/local/apps/web").exists());
}

/// Before: `DIR/<env>` and its Applications stayed.
#[test]
fn an_environment_no_longer_declared_loses_its_generated_files_only() {
    let project = project();
    project.run(&["generate"]).code(0);
    std::fs::write(project.path().join("argocd-state/gcp/README.md"), "mine\n").unwrap();
    std::fs::write(
        project.path().join("apps.yaml"),
        format!("version: \"2\"\nenvironments:\n  local: {{}}\n{APPS}"),
    )
    .unwrap();
    project
        .run(&["generate", "--check"])
        .code(1)
        .stdout_contains("argocd-state/gcp/applications/apps-web.yaml: would be removed");
    project
        .run(&["generate"])
        .code(0)
        .stdout_contains("argocd-state/gcp: ")
        .stdout_contains("environment `gcp` is no longer declared");
    assert_eq!(
        listing(&project.path().join("argocd-state/gcp")),
        [PathBuf::from("README.md")]
    );
    project.run(&["generate", "--check"]).code(0);
}

// --- Interrupted and failed runs ----------------------------------------------------------

/// Before: `.local.k3s-old-<pid>` stayed forever and `local` stayed missing.
#[test]
fn the_next_run_repairs_what_a_killed_run_left() {
    let project = project();
    project.run(&["generate"]).code(0);
    let root = project.path().join("argocd-state");
    let good = contents(&root);
    // An earlier k3s killed between its two renames, and one killed while staging.
    std::fs::rename(root.join("local"), root.join(".local.k3s-old-4242")).unwrap();
    std::fs::create_dir_all(root.join(".gcp.k3s-new-4243/apps")).unwrap();
    project
        .run(&["generate"])
        .code(0)
        .stderr_contains("note: restored")
        .stdout_contains("argocd-state/local: unchanged");
    assert_eq!(contents(&root), good);
    // This k3s killed right after making its staging directory: it goes.
    std::fs::create_dir_all(root.join(".k3s-staging")).unwrap();
    project.run(&["generate"]).code(0);
    assert_eq!(contents(&root), good);
}

/// Before: the environments written before the disk filled stayed new, the rest old.
#[test]
fn a_full_disk_leaves_every_environment_as_it_was() {
    let project = project();
    project.run(&["generate"]).code(0);
    let root = project.path().join("argocd-state");
    let before = contents(&root);
    // gcp's manifests grow past the file-size limit; local's stay small.
    let big = "x".repeat(200_000);
    std::fs::write(
        project.path().join("apps.yaml"),
        format!(
            "{ENVS}{}    gcp:\n      environment: {{BIG: {big}}}\n",
            APPS.replace("image: nginx", "image: nginx:1.27")
        ),
    )
    .unwrap();
    // `ulimit -f` (in 512- or 1024-byte blocks) makes a large write fail with EFBIG.
    let run = run_in_shell(&project, "trap '' XFSZ; ulimit -f 100", "generate");
    run.code(2).stderr_contains("File too large");
    assert_eq!(contents(&root), before);
}

// --- compose init ------------------------------------------------------------------------

/// Before: a service of comments only was `svc: {}` followed by comments, so uncommenting its
/// `image:` broke the YAML.
#[test]
fn compose_init_stays_valid_when_any_commented_key_is_uncommented() {
    let project = Project::new()
        .file(
            "shop/compose.yaml",
            "services:\n  web:\n    build: ./web\n    depends_on: [cache, api]\n  api:\n    build: ./web\n  cache:\n    image: redis:7\n  db:\n    image: postgres\n    volumes: [data:/var/lib/postgresql/data, /srv/x:/x]\n  other:\n    image: example/unknown\n    volumes: [data:/data]\n  mystery:\n    image: example/unknown\n  user:\n    image: example/unknown\n    environment: {URL: 'http://mystery:1234'}\nvolumes:\n  data:\n",
        )
        .file("shop/web/Dockerfile", "FROM nginx\n");
    let run = project.run(&["compose", "init", "shop", "--name", "shop"]);
    run.code(0);
    let entry = run.stdout.clone();
    let commented: Vec<usize> = entry
        .lines()
        .enumerate()
        .filter(|(_, line)| is_commented_key(line))
        .map(|(i, _)| i)
        .collect();
    assert!(commented.len() >= 3, "{entry}");
    for index in commented.iter().copied().map(Some).chain([None]) {
        let text: String = entry
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let uncomment = index.is_none_or(|index| index == i) && is_commented_key(line);
                if uncomment {
                    format!("{}\n", line.replacen("# ", "", 1))
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        let file = project.path().join("apps.yaml");
        std::fs::write(&file, format!("{ENVS}{text}")).unwrap();
        let (_, diagnostics) = k3s::config::load(&file).unwrap_or_else(|d| {
            panic!(
                "uncommenting line {index:?} broke the YAML:\n{text}\n{}",
                d.render()
            )
        });
        assert!(
            !diagnostics.has_errors(),
            "uncommenting line {index:?}:\n{text}\n{}",
            diagnostics.render()
        );
    }
}

fn is_commented_key(line: &str) -> bool {
    let Some(rest) = line.trim_start().strip_prefix("# ") else {
        return false;
    };
    rest.split_once(": ").is_some_and(|(key, _)| {
        !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    })
}

#[test]
fn a_secret_value_in_a_bad_place_is_masked_in_every_message() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}compose:\n  - name: stack\n    path: stack\n"
    ))
    .file(
        "stack/compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"${DOTENV_PASSWORD}:80\"\n      - \"${API_TOKEN}:81\"\n",
    )
    .file("stack/.env", "DOTENV_PASSWORD=s3cr3t-value\n");
    let text = project
        .run(&["--set", "API_TOKEN=tok-from-set", "validate"])
        .code(1)
        .stderr_contains("stack/compose.yaml:5:9")
        .stderr_contains("`************` is not a valid published port")
        .stderr
        .clone();
    assert!(
        !text.contains("s3cr3t") && !text.contains("tok-from-set"),
        "{text}"
    );
    let json = project.run(&["--set", "API_TOKEN=tok-from-set", "validate", "-o", "json"]);
    assert!(
        json.stdout.contains("not a valid published port"),
        "{}",
        json.stdout
    );
    assert!(!json.stdout.contains("s3cr3t") && !json.stdout.contains("tok-from-set"));
}

#[test]
fn the_working_directory_is_not_mistaken_for_a_secret() {
    // `PWD` holds a path; `MYSQL_PWD` a password. Only the second is masked.
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}apps:\n  - name: web\n    path: ../elsewhere\n"
    ));
    let parent = project.path().parent().unwrap().canonicalize().unwrap();
    let parent = parent.display().to_string();
    let run = project.run_with_env(&["validate"], &[("PWD", parent.as_str())]);
    run.code(1)
        .stderr_contains(&format!("resolves to `{parent}/elsewhere`"));
}
