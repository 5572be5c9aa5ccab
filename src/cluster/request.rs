//! The HTTP requests of a dry run, built without a client: for every object, the GET of the live
//! object and the server-side apply (`PATCH`, `application/apply-patch+yaml`, `dryRun=All`,
//! `force=true`, field manager `k3s`) whose answer is the object as it would be after applying.
//! kube-core builds them (`kube::core::Request`), so the query and headers are the ones kube's
//! own `Api::patch` sends.

use kube::core::Request;
use kube::core::params::{GetParams, Patch, PatchParams};

use super::kinds::{self, ResourceType};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};

/// The field manager of k3s's applies: what `managedFields` records as the owner of the fields
/// k3s sets, so a later real apply with the same name takes them over without conflicts.
pub const FIELD_MANAGER: &str = "k3s";

/// Which object, as kubectl names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    /// `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// `Deployment shop/api`, `Namespace shop`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// The file name `kubectl diff` gives the object: `apps.v1.Deployment.shop.api`,
    /// `v1.Namespace.shop`.
    pub fn file_name(&self) -> String {
        let mut parts = vec![self.api_version.replace('/', "."), self.kind.clone()];
        parts.extend(self.namespace.clone());
        parts.push(self.name.clone());
        parts.join(".")
    }
}

/// One object of the environment and the two requests about it.
#[derive(Debug)]
pub struct PlannedObject {
    pub object: ObjectRef,
    pub resource: ResourceType,
    /// The object as k3s writes it.
    pub body: serde_json::Value,
    pub get: http::Request<Vec<u8>>,
    pub apply: http::Request<Vec<u8>>,
}

/// The requests for every document (YAML, one object each), in the order given (apply order).
/// A document k3s cannot place on the API server is a bug in k3s, reported as `internal`.
pub fn plan_requests<'a>(
    documents: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<PlannedObject>, Diagnostics> {
    let mut planned = Vec::new();
    let mut problems = Diagnostics::new();
    for document in documents {
        match plan_object(document) {
            Ok(object) => planned.push(object),
            Err(message) => problems.push(Diagnostic::error(Code::Internal, message)),
        }
    }
    if problems.has_errors() {
        Err(problems)
    } else {
        Ok(planned)
    }
}

fn plan_object(document: &str) -> Result<PlannedObject, String> {
    let body: serde_json::Value = serde_saphyr::from_str(document)
        .map_err(|e| format!("a generated object does not read back as YAML: {e}"))?;
    let text = |pointer: &str| body.pointer(pointer).and_then(|v| v.as_str());
    let (Some(api_version), Some(kind), Some(name)) =
        (text("/apiVersion"), text("/kind"), text("/metadata/name"))
    else {
        return Err("a generated object has no apiVersion, kind or metadata.name".to_string());
    };
    let resource = kinds::find(api_version, kind).ok_or_else(|| {
        format!("{api_version} {kind}: k3s does not know where this kind lives on the API server")
    })?;
    let namespace = match (resource.namespaced, text("/metadata/namespace")) {
        (true, Some(ns)) => Some(ns.to_string()),
        (true, None) => return Err(format!("{kind} {name} is namespaced but has no namespace")),
        (false, _) => None,
    };
    let object = ObjectRef {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        namespace,
        name: name.to_string(),
    };
    let request = Request::new(resource.collection_path(object.namespace.as_deref()));
    let apply_params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
    let apply = request
        .patch(&object.name, &apply_params, &Patch::Apply(&body))
        .map_err(|e| {
            format!(
                "{}: the apply request cannot be built: {e}",
                object.display()
            )
        })?;
    let get = request
        .get(&object.name, &GetParams::default())
        .map_err(|e| format!("{}: the GET request cannot be built: {e}", object.display()))?;
    Ok(PlannedObject {
        object,
        resource,
        body,
        get,
        apply,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::plan_requests;

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  replicas: 2\n";

    #[test]
    fn the_apply_is_a_forced_server_side_dry_run_by_k3s() {
        let planned = plan_requests([DEPLOYMENT]).expect("plans");
        let apply = &planned[0].apply;
        assert_eq!(apply.method(), http::Method::PATCH);
        assert_eq!(
            apply.uri().path(),
            "/apis/apps/v1/namespaces/shop/deployments/api"
        );
        let query: BTreeMap<&str, &str> = apply
            .uri()
            .query()
            .unwrap_or_default()
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .collect();
        assert_eq!(
            query,
            BTreeMap::from([
                ("dryRun", "All"),
                ("fieldManager", "k3s"),
                ("force", "true")
            ])
        );
        assert_eq!(
            apply.headers()[http::header::CONTENT_TYPE],
            "application/apply-patch+yaml"
        );
        let body: serde_json::Value = serde_json::from_slice(apply.body()).expect("JSON body");
        assert_eq!(body["spec"]["replicas"], 2);
        assert_eq!(body["metadata"]["name"], "api");

        let get = &planned[0].get;
        assert_eq!(get.method(), http::Method::GET);
        assert_eq!(get.uri().path(), apply.uri().path());
        assert!(get.body().is_empty());
    }

    #[test]
    fn objects_are_named_as_kubectl_names_them() {
        let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
        let planned = plan_requests([namespace, DEPLOYMENT]).expect("plans");
        assert_eq!(planned[0].object.file_name(), "v1.Namespace.shop");
        assert_eq!(planned[0].object.display(), "Namespace shop");
        assert_eq!(planned[0].get.uri().path(), "/api/v1/namespaces/shop");
        assert_eq!(planned[1].object.file_name(), "apps.v1.Deployment.shop.api");
        assert_eq!(planned[1].object.display(), "Deployment shop/api");
    }

    #[test]
    fn an_unknown_kind_is_a_bug_in_k3s() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\n";
        let problems = plan_requests([pod]).expect_err("Pod is not rendered");
        assert_eq!(problems.exit_code(), 2);
        assert!(
            problems.render().contains("v1 Pod"),
            "{}",
            problems.render()
        );
    }

    /// Every object of every golden tree (the examples and the top-level apps.yaml): its
    /// requests build, and their path is the kind's collection plus the name.
    #[test]
    fn every_object_of_the_example_trees_gets_its_requests() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/snapshots");
        let mut kinds = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(dir).expect("the golden snapshots") {
            let path = entry.expect("an entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if !(name.starts_with("cli__golden__") && name.ends_with(".snap")) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("readable");
            for (file, content) in golden_files(&text) {
                if !file.ends_with(".yaml") || file.ends_with("kustomization.yaml") {
                    continue;
                }
                let documents = yaml_documents(&content);
                let planned = plan_requests(documents.iter().map(String::as_str))
                    .unwrap_or_else(|d| panic!("{name} {file}: {}", d.render()));
                for p in planned {
                    let expected = format!(
                        "{}/{}",
                        p.resource.collection_path(p.object.namespace.as_deref()),
                        p.object.name
                    );
                    assert_eq!(p.apply.uri().path(), expected);
                    assert_eq!(p.get.uri().path(), expected);
                    kinds.insert(p.object.kind);
                }
            }
        }
        for kind in [
            "Namespace",
            "Deployment",
            "Service",
            "Application",
            "ScaledObject",
        ] {
            assert!(
                kinds.contains(kind),
                "{kind} not in the golden trees: {kinds:?}"
            );
        }
    }

    /// The documents after each `---` line (the comment header before the first is no object).
    fn yaml_documents(content: &str) -> Vec<String> {
        let mut documents: Vec<String> = Vec::new();
        for line in content.lines() {
            if line == "---" {
                documents.push(String::new());
            } else if let Some(document) = documents.last_mut() {
                document.push_str(line);
                document.push('\n');
            }
        }
        documents
    }

    /// `===== path` headed files of a golden snapshot.
    fn golden_files(text: &str) -> Vec<(String, String)> {
        let mut files: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if let Some(file) = line.strip_prefix("===== ") {
                files.push((file.to_string(), String::new()));
            } else if let Some((_, content)) = files.last_mut() {
                content.push_str(line);
                content.push('\n');
            }
        }
        files
    }
}
