//! The Argo CD tree bootstraps itself: a root Application per environment pointing at where
//! the tree is, an AppProject limited to what the tree holds, and a kustomization.yaml in every
//! directory of manifests so each builds on its own.

use std::path::{Path, PathBuf};

use crate::support::{ENVS, Project};

const REPO: &str = "argocd: {repo_url: https://git.example.com/platform.git}\n";

fn web() -> &'static str {
    "apps:\n  - name: web\n    image: nginx:1.27\n    namespace: shop\n"
}

fn read(project: &Project, path: &str) -> String {
    std::fs::read_to_string(project.path().join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}; files: {:?}", project.files()))
}

#[test]
fn the_root_application_syncs_the_output_directory() {
    let project = Project::with_apps_yaml(&format!("{ENVS}{REPO}{}", web()));
    project
        .run(&["generate", "--output-dir", "deploy/tree"])
        .code(0);
    let root = read(&project, "deploy/tree/gcp/bootstrap/root.yaml");
    assert!(root.contains("kind: Application"), "{root}");
    assert!(root.contains("name: gcp-root"), "{root}");
    assert!(root.contains("path: deploy/tree/gcp\n"), "{root}");
    assert!(root.contains("project: k3s-gcp-root"), "{root}");
    // Every Application points below the same directory.
    let web = read(&project, "deploy/tree/gcp/applications/apps-web.yaml");
    assert!(web.contains("path: deploy/tree/gcp/apps/web\n"), "{web}");
    // Applied once with `kubectl apply -k`: the root's project, then the root.
    let bootstrap = read(&project, "deploy/tree/gcp/bootstrap/kustomization.yaml");
    assert!(
        bootstrap.contains("- project.yaml\n- root.yaml\n"),
        "{bootstrap}"
    );
    // What the root syncs: the project and the Applications.
    let top = read(&project, "deploy/tree/gcp/kustomization.yaml");
    assert!(top.contains("- project.yaml\n- applications\n"), "{top}");
}

#[test]
fn argocd_path_and_source_path_place_the_tree_in_the_repository() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}argocd: {{repo_url: https://git.example.com/platform.git, path: gitops/k3s}}\n{}",
        web()
    ));
    project
        .run(&["generate", "--output-dir", "elsewhere"])
        .code(0);
    let root = read(&project, "elsewhere/gcp/bootstrap/root.yaml");
    assert!(root.contains("path: gitops/k3s/gcp\n"), "{root}");
    // Without argocd.path, the output below apps.yaml's directory, below source_path.
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}argocd: {{repo_url: https://git.example.com/platform.git, source_path: platform}}\n{}",
        web()
    ));
    project.run(&["generate"]).code(0);
    let root = read(&project, "argocd-state/gcp/bootstrap/root.yaml");
    assert!(root.contains("path: platform/argocd-state/gcp\n"), "{root}");
}

#[test]
fn an_output_outside_the_project_is_placed_by_its_git_repository() {
    // The repository holds platform/apps.yaml and the tree in gitops/k3s.
    let project = Project::new()
        .file("platform/apps.yaml", &format!("{ENVS}{REPO}{}", web()))
        .file(".git/HEAD", "ref: refs/heads/main\n");
    project
        .run(&[
            "-f",
            "platform/apps.yaml",
            "generate",
            "--output-dir",
            "gitops/k3s",
        ])
        .code(0);
    let root = read(&project, "gitops/k3s/gcp/bootstrap/root.yaml");
    assert!(root.contains("path: gitops/k3s/gcp\n"), "{root}");
    let web = read(&project, "gitops/k3s/gcp/applications/apps-web.yaml");
    assert!(web.contains("path: gitops/k3s/gcp/apps/web\n"), "{web}");
}

#[test]
fn an_output_argo_cd_cannot_find_is_warned() {
    let project = Project::with_apps_yaml(&format!("{ENVS}{REPO}{}", web()));
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("tree");
    project
        .run(&["generate", "--output-dir", target.to_str().unwrap()])
        .code(0)
        .stderr_contains("is neither below apps.yaml's directory nor in a git repository")
        .stderr_contains("argocd.path");
}

#[test]
fn the_app_project_allows_only_what_the_tree_holds() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}{REPO}repositories: {{valkey: https://valkey.io/valkey-helm}}\nhelm:\n  - name: cache\n    chart: valkey/valkey\n    version: 0.9.2\n    namespace: shop\n{}",
        web()
    ));
    project.run(&["generate"]).code(0);
    let project_yaml = read(&project, "argocd-state/gcp/project.yaml");
    assert!(!project_yaml.contains("\"*\""), "{project_yaml}");
    assert!(
        !project_yaml.contains("namespace: argocd\n  "),
        "{project_yaml}"
    );
    let destinations = project_yaml
        .split("destinations:")
        .nth(1)
        .unwrap()
        .split("clusterResourceWhitelist:")
        .next()
        .unwrap();
    assert!(!destinations.contains("argocd"), "{destinations}");
    assert!(destinations.contains("namespace: shop"), "{destinations}");
    assert!(
        project_yaml.contains("clusterResourceWhitelist:\n  - group: \"\"\n    kind: Namespace\n"),
        "{project_yaml}"
    );
    // The root's project: only Applications and AppProjects, only in Argo CD's namespace.
    let root_project = read(&project, "argocd-state/gcp/bootstrap/project.yaml");
    assert!(
        !root_project.contains("clusterResourceWhitelist"),
        "{root_project}"
    );
    assert!(
        root_project.contains("kind: Application\n"),
        "{root_project}"
    );
    assert!(
        root_project.contains("kind: AppProject\n"),
        "{root_project}"
    );
    assert!(!root_project.contains("namespace: shop"), "{root_project}");
}

#[test]
fn an_entry_in_argo_cds_namespace_is_refused() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}{REPO}apps:\n  - name: web\n    image: nginx:1.27\n    namespace: argocd\n"
    ));
    project
        .run(&["generate"])
        .code(1)
        .error_at("apps.yaml:7:11", "apps.web.name", "")
        .stderr_contains("would deploy into `argocd`, the namespace Argo CD runs in");
    assert!(!project.path().join("argocd-state").exists());
}

/// Each directory's kustomization.yaml lists exactly its manifests files.
fn check_kustomizations(root: &Path) -> usize {
    let mut checked = 0;
    for file in walk(root) {
        let dir = file.parent().unwrap();
        let name = file.file_name().unwrap().to_str().unwrap();
        if name == "manifests.yaml" || dir.ends_with("applications") && name != "kustomization.yaml"
        {
            let kustomization = std::fs::read_to_string(dir.join("kustomization.yaml"))
                .unwrap_or_else(|_| panic!("{}: no kustomization.yaml", dir.display()));
            assert!(
                kustomization.contains(&format!("- {name}\n")),
                "{} does not list {name}:\n{kustomization}",
                dir.display()
            );
            checked += 1;
        }
    }
    checked
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn every_directory_of_manifests_has_a_kustomization_with_or_without_argo_cd() {
    for repo in [REPO, ""] {
        let project = Project::with_apps_yaml(&format!(
            "{ENVS}{repo}{}gateway:\n  routes:\n    - {{path: /, service: web, port: 80}}\n",
            web()
        ));
        project.run(&["generate"]).code(0);
        let checked = check_kustomizations(&project.path().join("argocd-state/gcp"));
        assert!(checked >= 3, "{repo:?}: {checked}");
        let top = read(&project, "argocd-state/gcp/kustomization.yaml");
        if repo.is_empty() {
            // Without Argo CD the top level deploys every directory, the Namespaces first.
            assert!(
                top.contains("- namespaces\n- apps/web\n- gateway\n"),
                "{top}"
            );
        }
    }
}

/// Every example's tree, every environment: each directory with a kustomization.yaml builds
/// with `kubectl kustomize` (scripts/kustomize-tree), when kubectl is installed.
#[test]
fn every_example_tree_builds_with_kubectl_kustomize() {
    let files = crate::corpus::example_apps_files();
    let out = tempfile::tempdir().unwrap();
    let mut trees = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let tree = out.path().join(i.to_string());
        crate::support::generate_example(
            file,
            &["--repo-url", "https://git.example.com/x.git"],
            &tree,
        );
        assert!(check_kustomizations(&tree) > 0, "{}", file.display());
        trees.push(tree);
    }
    crate::support::kustomize_trees(&trees);
}

#[test]
fn cluster_resources_add_the_kinds_charts_install() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}argocd:\n  repo_url: https://git.example.com/platform.git\n  cluster_resources: [rbac.authorization.k8s.io/ClusterRole, PersistentVolume]\n{}",
        web()
    ));
    project.run(&["generate"]).code(0);
    let project_yaml = read(&project, "argocd-state/gcp/project.yaml");
    assert!(
        project_yaml.contains("  - group: rbac.authorization.k8s.io\n    kind: ClusterRole\n"),
        "{project_yaml}"
    );
    assert!(
        project_yaml.contains("  - group: \"\"\n    kind: PersistentVolume\n"),
        "{project_yaml}"
    );
    let bad = Project::with_apps_yaml(&format!(
        "{ENVS}argocd:\n  repo_url: https://git.example.com/platform.git\n  cluster_resources: [a/b/C]\n{}",
        web()
    ));
    bad.run(&["generate"]).code(1).error_at(
        "apps.yaml:7:22",
        "argocd.cluster_resources",
        "`a/b/C` is not a kind",
    );
    assert!(!bad.path().join("argocd-state").exists());
}

#[test]
fn an_entry_called_root_would_clash_with_the_root_application() {
    let project = Project::with_apps_yaml(&format!(
        "{ENVS}{REPO}apps:\n  - name: root\n    image: nginx:1.27\n    namespace: shop\n"
    ));
    project
        .run(&["generate"])
        .code(1)
        .error_at("apps.yaml:7:11", "apps.root.name", "`local-root` would be written twice: once for this entry and once for the root Application");
    assert!(!project.path().join("argocd-state").exists());
}
