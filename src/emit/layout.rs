//! Where each generated file goes in `<output>/<env>/`:
//!
//! ```text
//! bootstrap/{project.yaml,root.yaml,kustomization.yaml}
//!                                 the root Application and its AppProject, applied once
//! kustomization.yaml              lists project.yaml and applications/ (what the root syncs);
//!                                 without Argo CD, every directory below
//! project.yaml                    the AppProject
//! applications/<section>-<name>.yaml, applications/gateway.yaml, applications/namespaces.yaml
//! namespaces/manifests.yaml       the Namespaces the workloads run in
//! apps/<name>/manifests.yaml      serverless/<name>/{manifests.yaml,Dockerfile}
//! compose/<name>/manifests.yaml   gateway/manifests.yaml
//!
//! Every directory holding manifests has a kustomization.yaml listing them.
//! ```

use std::path::PathBuf;

use serde::Serialize;

use super::tree::{Owner, Tree, header, with_header};
use crate::pipeline::EnvironmentPlan;
use crate::render::yaml_document;

/// The whole tree of one environment. Takes the plan so each entry's documents are freed as
/// soon as its file is written out: the text is then held once, not twice.
pub fn environment_tree(plan: EnvironmentPlan) -> Tree {
    let env = &plan.resolved.env;
    let mut tree = Tree::new(Owner::environment(env));
    // Every directory of manifests builds on its own (`kubectl kustomize DIR`): what one
    // Application deploys, and what `kubectl apply -k` takes.
    let mut directories = Vec::new();
    if !plan.namespaces.is_empty() {
        tree.insert(
            "namespaces/manifests.yaml",
            manifests_file(env, &plan.namespaces),
        );
        tree.insert(
            "namespaces/kustomization.yaml",
            kustomization(env, vec!["manifests.yaml".to_string()]),
        );
        directories.push("namespaces".to_string());
    }
    for entry in plan.entries {
        let dir = PathBuf::from(entry.section.key()).join(&entry.name);
        let manifests = manifests_file(env, &entry.documents);
        // The model says which entries render a Secret; the text is never sniffed.
        if holds_secret(&entry) {
            tree.insert_secret(dir.join("manifests.yaml"), manifests);
        } else {
            tree.insert(dir.join("manifests.yaml"), manifests);
        }
        // The other files (a generated Dockerfile) are not Kubernetes objects.
        tree.insert(
            dir.join("kustomization.yaml"),
            kustomization(env, vec!["manifests.yaml".to_string()]),
        );
        directories.push(format!("{}/{}", entry.section.key(), entry.name));
        for (name, text) in &entry.lowered.files {
            tree.insert(dir.join(name), with_header(env, text));
        }
    }
    if !plan.gateway.is_empty() {
        tree.insert("gateway/manifests.yaml", manifests_file(env, &plan.gateway));
        tree.insert(
            "gateway/kustomization.yaml",
            kustomization(env, vec!["manifests.yaml".to_string()]),
        );
        directories.push("gateway".to_string());
    }
    let Some(project) = &plan.project else {
        // No Argo CD: `kubectl apply -k <env>` deploys every directory (Namespaces first).
        if !directories.is_empty() {
            tree.insert("kustomization.yaml", kustomization(env, directories));
        }
        return tree;
    };
    tree.insert("project.yaml", document_file(env, &project.document));
    let mut applications = Vec::new();
    for application in &plan.applications {
        let file = &application.plan.file;
        applications.push(file.clone());
        tree.insert(
            format!("applications/{file}"),
            document_file(env, &application.document),
        );
    }
    applications.sort();
    let mut resources = vec!["project.yaml".to_string()];
    if !applications.is_empty() {
        tree.insert(
            "applications/kustomization.yaml",
            kustomization(env, applications),
        );
        resources.push("applications".to_string());
    }
    // What the root Application syncs: the project first (Applications that name it are
    // invalid until it exists), then the Applications.
    tree.insert("kustomization.yaml", kustomization(env, resources));
    if let Some(root) = &plan.root {
        tree.insert("bootstrap/project.yaml", document_file(env, &root.project));
        tree.insert("bootstrap/root.yaml", document_file(env, &root.application));
        tree.insert(
            "bootstrap/kustomization.yaml",
            kustomization(
                env,
                vec!["project.yaml".to_string(), "root.yaml".to_string()],
            ),
        );
    }
    tree
}

/// Whether an entry's manifests include a Secret with values (`w.secrets` render as Secrets).
pub fn holds_secret(entry: &crate::pipeline::EntryOutput) -> bool {
    entry
        .lowered
        .workloads
        .iter()
        .any(|w| !w.secrets.is_empty())
}

/// Every workload object of the environment as one multi-document stream (no Argo CD
/// objects, no Dockerfiles): what `generate --stdout` prints for Tilt or `kubectl apply -f -`.
/// The Namespaces come first, so that a fresh cluster takes the rest in one apply.
pub fn manifest_stream(plan: &EnvironmentPlan) -> String {
    let mut out = header(&plan.resolved.env);
    for document in manifest_documents(plan) {
        out.push_str("---\n");
        out.push_str(document);
    }
    out
}

/// The documents of [`manifest_stream`], in its order (what `k3s diff` dry-runs).
pub fn manifest_documents(plan: &EnvironmentPlan) -> impl Iterator<Item = &str> {
    plan.namespaces
        .iter()
        .chain(plan.entries.iter().flat_map(|e| e.documents.iter()))
        .chain(plan.gateway.iter())
        .map(String::as_str)
}

fn manifests_file(env: &str, documents: &[String]) -> String {
    let mut out = header(env);
    for document in documents {
        out.push_str("---\n");
        out.push_str(document);
    }
    out
}

fn document_file(env: &str, document: &str) -> String {
    format!("{}---\n{document}", header(env))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Kustomization {
    api_version: &'static str,
    kind: &'static str,
    resources: Vec<String>,
}

fn kustomization(env: &str, resources: Vec<String>) -> String {
    let k = Kustomization {
        api_version: "kustomize.config.k8s.io/v1beta1",
        kind: "Kustomization",
        resources,
    };
    format!("{}{}", header(env), yaml_document(&k))
}
