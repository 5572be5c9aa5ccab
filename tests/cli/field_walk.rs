//! No silent fields (DESIGN rule 10), proved over the whole schema: for every leaf field of
//! `schemas/apps-schema.json`, a minimal apps.yaml is planned with and without it; the field
//! must change what k3s produces (manifests, extra files, builds, Argo CD objects) or a
//! diagnostic must name it. The few fields that cannot show either way are listed below with
//! the reason.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value, json};

/// Fields whose effect this walk cannot see, with why they are not silent.
const EXCEPTIONS: &[(&str, &str)] = &[
    ("version", "required, and only `\"2\"` is accepted"),
    (
        "*.name",
        "the entry's identity: every object name changes with it",
    ),
    (
        "*.enabled",
        "`true` is the default; `false` is tested on its own (tests/cli/fields.rs)",
    ),
    (
        "environments.*.variables",
        "only read where `${VAR}` uses it (tests of resolve)",
    ),
    (
        "environments.*.env_files",
        "only read where `${VAR}` uses it (tests of resolve)",
    ),
    (
        "compose[].variables",
        "only read where `${VAR}` uses it (tests/cli/compose.rs)",
    ),
    (
        "*.dockerfile_dev",
        "used in the environment named `dev` (seed 001), tested on its own",
    ),
    (
        "*.allow_outside_project",
        "only widens which files may be read (tests/cli/containment.rs)",
    ),
];

/// One leaf of the schema: where it is, and the values to try there.
#[derive(Debug)]
struct Leaf {
    /// Keys from the document root; `[]` is a list item, `*` a map key.
    path: Vec<String>,
    values: Vec<Value>,
    /// Required fields of the objects on the way (a list item needs its `name`), placed first.
    siblings: Vec<(Vec<String>, Value)>,
}

impl Leaf {
    fn dotted(&self) -> String {
        self.path.join(".").replace(".[]", "[]")
    }
}

fn schema() -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/apps-schema.json"),
    )
    .expect("the committed schema");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// The definition a node refers to; of `anyOf`, the alternative that says most about the value:
/// objects, lists and enums first, then strings, numbers, booleans — never `null`, a `${VAR}`
/// pattern or the loader's spellings of booleans (`"true"`).
fn resolve<'a>(schema: &'a Value, mut node: &'a Value) -> &'a Value {
    loop {
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            let name = reference.rsplit('/').next().expect("a $ref has a name");
            node = &schema["$defs"][name];
            continue;
        }
        if let Some(options) = node.get("anyOf").and_then(Value::as_array) {
            let rank = |o: &Value| -> Option<u8> {
                let o = resolve(schema, o);
                let kinds = types(o);
                if o.get("pattern").is_some() || kinds == ["null"] {
                    return None;
                }
                if let Some(values) = o.get("enum").and_then(Value::as_array) {
                    let spellings = values.iter().all(|v| {
                        matches!(
                            v.as_str(),
                            Some("true" | "True" | "TRUE" | "false" | "False" | "FALSE")
                        )
                    });
                    return (!spellings).then_some(0);
                }
                Some(match () {
                    _ if o.get("properties").is_some() || kinds.contains(&"array") => 0,
                    _ if kinds.contains(&"object") => 1,
                    _ if kinds.contains(&"string") => 2,
                    _ if kinds.contains(&"integer") || kinds.contains(&"number") => 3,
                    _ => 4,
                })
            };
            if let Some(chosen) = options
                .iter()
                .filter_map(|o| rank(o).map(|r| (r, o)))
                .min_by_key(|(r, _)| *r)
                .map(|(_, o)| o)
            {
                node = chosen;
                continue;
            }
        }
        return node;
    }
}

fn types(node: &Value) -> Vec<&str> {
    match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Every leaf below `node`: scalars, lists of scalars and maps of scalars; objects (and lists
/// of objects) are walked into.
fn leaves(
    schema: &Value,
    node: &Value,
    path: &[String],
    siblings: &[(Vec<String>, Value)],
    depth: usize,
    out: &mut Vec<Leaf>,
) {
    if depth > 12 {
        return;
    }
    let node = resolve(schema, node);
    let kinds = types(node);
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (key, child) in properties {
            let mut below = path.to_vec();
            below.push(key.clone());
            let mut around = siblings.to_vec();
            for other in required.iter().filter(|r| **r != key) {
                let mut at = path.to_vec();
                at.push(other.to_string());
                if let Some(value) = minimal(schema, &properties[*other], &at) {
                    around.push((at, value));
                }
            }
            leaves(schema, child, &below, &around, depth + 1, out);
        }
        return;
    }
    if kinds.contains(&"array") {
        let item = resolve(schema, &node["items"]);
        if item.get("properties").is_some() {
            let mut below = path.to_vec();
            below.push("[]".to_string());
            leaves(schema, item, &below, siblings, depth + 1, out);
        } else {
            let values = scalar_values(path, item)
                .into_iter()
                .map(|v| json!([v]))
                .collect();
            out.push(Leaf {
                path: path.to_vec(),
                values,
                siblings: siblings.to_vec(),
            });
        }
        return;
    }
    if kinds.contains(&"object") {
        let value = node
            .get("additionalProperties")
            .map(|v| resolve(schema, v))
            .filter(|v| v.is_object());
        match value {
            Some(value) if value.get("properties").is_some() => {
                let mut below = path.to_vec();
                below.push("*".to_string());
                leaves(schema, value, &below, siblings, depth + 1, out);
            }
            Some(value) => {
                let key = map_key(path);
                let values = scalar_values(path, value)
                    .into_iter()
                    .map(|v| json!({ key.clone(): v }))
                    .collect();
                out.push(Leaf {
                    path: path.to_vec(),
                    values,
                    siblings: siblings.to_vec(),
                });
            }
            None => {}
        }
        return;
    }
    out.push(Leaf {
        path: path.to_vec(),
        values: scalar_values(path, node),
        siblings: siblings.to_vec(),
    });
}

/// The smallest value a required field can have: a sample for a scalar, an object of its own
/// required fields.
fn minimal(schema: &Value, node: &Value, path: &[String]) -> Option<Value> {
    let node = resolve(schema, node);
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        let mut object = Map::new();
        for required in node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let mut at = path.to_vec();
            at.push(required.to_string());
            object.insert(
                required.to_string(),
                minimal(schema, &properties[required], &at)?,
            );
        }
        return Some(Value::Object(object));
    }
    if types(node).contains(&"array") {
        return Some(json!([]));
    }
    scalar_values(path, node).into_iter().next()
}

/// A key for maps: labels and annotations take a prefixed key, variables a variable name.
fn map_key(path: &[String]) -> String {
    let last = path.last().map(String::as_str).unwrap_or_default();
    if last == "ingress" || last == "registry" {
        return "gcp".to_string();
    }
    if last == "repositories" {
        return "bitnami".to_string();
    }
    if last.contains("label") || last.contains("annotation") || last == "node_selector" {
        "example.com/walk".to_string()
    } else {
        "WALK_VALUE".to_string()
    }
}

/// Values to try for a scalar, by type and by what the field's name says it holds.
fn scalar_values(path: &[String], node: &Value) -> Vec<Value> {
    if let Some(choices) = node.get("enum").and_then(Value::as_array) {
        return choices.iter().filter(|c| !c.is_null()).cloned().collect();
    }
    // Documented variants: `oneOf: [{const: "public", description: …}, …]`.
    if let Some(variants) = node.get("oneOf").and_then(Value::as_array) {
        let consts: Vec<Value> = variants
            .iter()
            .flat_map(|v| {
                v.get("const").cloned().into_iter().chain(
                    v.get("enum")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .filter(|c| !c.is_null())
            .collect();
        if !consts.is_empty() {
            return consts;
        }
    }
    let name = path
        .iter()
        .rev()
        .find(|k| *k != "[]" && *k != "*")
        .map(String::as_str)
        .unwrap_or_default();
    let kinds = types(node);
    let quantity = match name {
        "memory"
        | "memory_limit"
        | "size"
        | "size_limit"
        | "ephemeral_storage"
        | "ephemeral_storage_limit" => Some("300Mi"),
        "cpu" | "cpu_limit" => Some("300m"),
        _ => None,
    };
    if let Some(quantity) = quantity {
        return vec![json!(quantity)];
    }
    if kinds.contains(&"boolean") && !kinds.contains(&"string") {
        return vec![json!(true), json!(false)];
    }
    if (kinds.contains(&"integer") || kinds.contains(&"number")) && !kinds.contains(&"string") {
        let n = match name {
            n if n.contains("node_port") => 30080,
            n if n.contains("port") => 8081,
            "weight" | "max_skew" => 7,
            n if n.contains("replicas") || n.contains("instances") => 2,
            n if n.contains("percent") => 55,
            _ => 7,
        };
        return vec![json!(n)];
    }
    let text = match name {
        "memory"
        | "memory_limit"
        | "size"
        | "size_limit"
        | "ephemeral_storage"
        | "ephemeral_storage_limit" => "300Mi",
        "cpu" | "cpu_limit" => "300m",
        "connect" | "server" | "client" | "queue" | "refresh_interval" => "7s",
        "schedule" | "start" | "end" => "5 4 * * *",
        "timezone" => "Europe/Paris",
        "compose_file" => "other.yaml",
        "env_file" => "walk.env",
        "context" => ".",
        n if n.contains("path") => "/walk",
        "image" => "busybox:1.36",
        n if n.contains("repo") => "https://git.example.com/walk.git",
        "address" => "walk.example.svc.cluster.local:6379",
        n if n.contains("host") || n == "domain" => "walk.example.com",
        n if n.contains("url") => "https://walk.example.com/x",
        _ => "walk-value",
    };
    vec![json!(text)]
}

/// The document every field is tried in: two environments with different ingress
/// controllers, one entry of each kind, a gateway route and Argo CD settings, so most fields
/// have something to act on.
fn base() -> Value {
    json!({
        "version": "2",
        "defaults": {"ingress": {"local": "traefik", "gcp": "haproxy"}, "registry": {"local": "registry.local:5000", "gcp": "gcr.example.com/p"}},
        "environments": {"local": {"domain": "local.example.com"}, "gcp": {"domain": "example.com", "tls": true}},
        "apps": [{
            "name": "web",
            "path": "web",
            "container": {"ports": [{"container_port": 8080}]},
            "resources": {"memory": "64Mi", "cpu": "10m"},
            "ingress": {"path": "/web"},
            "scaling": {"type": "hpa", "min_instances": 1, "max_instances": 3},
            "kind": "deployment",
            "visibility": "private",
        }],
        "serverless": [{"name": "fns", "path": "fns", "resources": {"memory": "64Mi"}, "visibility": "public"}],
        "compose": [{"name": "stack", "path": "stack"}],
        "repositories": {"bitnami": "https://charts.bitnami.com/bitnami"},
        "helm": [{"name": "cache", "chart": "bitnami/redis", "version": "1.0.0"}],
        "gateway": {"routes": [{"path": "/g", "service": "web", "port": 8080}]},
        "argocd": {"repo_url": "https://git.example.com/platform.git"},
    })
}

/// The project on disk the documents point at.
fn project_files(dir: &Path) {
    let write = |path: &str, text: &str| {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    write("web/Dockerfile", "FROM busybox:1.36\n");
    write(
        "fns/functions/api.py",
        "from k3sfn import http_trigger\n\n@http_trigger(path=\"/f\")\ndef f(request):\n    return {}\n",
    );
    write(
        "fns/functions/work.py",
        "from k3sfn import queue_trigger\n\n@queue_trigger(queue_name=\"jobs\")\ndef work(messages):\n    pass\n",
    );
    // `WALK` (from an env file) changes the image: `env_file` has something to act on.
    write(
        "stack/compose.yaml",
        "services:\n  db:\n    image: \"postgres:1${WALK:-6}\"\n    expose: [\"5432\"]\n",
    );
    write(
        "stack/other.yaml",
        "services:\n  db:\n    image: postgres:15\n    expose: [\"5432\"]\n",
    );
    write("values.yaml", "a: 1\n");
    write("walk.env", "WALK=1\n");
}

/// Sets `value` at `path` in `doc`, making lists of one item and maps of one key on the way;
/// `None` when the path cannot be placed (a section the base has no entry of).
fn place(doc: &mut Value, path: &[String], value: Value) -> Option<()> {
    let (first, rest) = path.split_first()?;
    let slot = match first.as_str() {
        "[]" => {
            let items = doc.as_array_mut()?;
            if items.is_empty() {
                items.push(json!({}));
            }
            &mut items[0]
        }
        "*" => {
            if doc.is_null() {
                *doc = Value::Object(Map::new());
            }
            let map = doc.as_object_mut()?;
            // An environment's block (the environment with TLS and HAProxy), or the compose
            // project's one service.
            let key = if map.contains_key("gcp") || map.contains_key("name") {
                "gcp"
            } else if map.is_empty() || map.contains_key("db") {
                "db"
            } else {
                "walk"
            };
            map.entry(key.to_string()).or_insert_with(|| json!({}))
        }
        key => {
            if doc.is_null() {
                *doc = Value::Object(Map::new());
            }
            let map = doc.as_object_mut()?;
            let default = if rest.first().map(String::as_str) == Some("[]") {
                json!([])
            } else {
                Value::Null
            };
            map.entry(key.to_string()).or_insert(default)
        }
    };
    if rest.is_empty() {
        *slot = value;
        Some(())
    } else {
        place(slot, rest, value)
    }
}

/// Whether the document already has a value at `path` (the first item of lists, the key
/// `place` would choose in maps).
fn present(doc: &Value, path: &[String]) -> bool {
    let mut node = doc;
    for key in path {
        node = match key.as_str() {
            "[]" => match node.as_array().and_then(|a| a.first()) {
                Some(first) => first,
                None => return false,
            },
            "*" => match node.as_object().and_then(|m| m.values().next()) {
                Some(first) => first,
                None => return false,
            },
            key => match node.get(key) {
                Some(value) if !value.is_null() => value,
                _ => return false,
            },
        };
    }
    true
}

/// Fields that act only together with others: the base document is changed so they can.
fn apply_context(doc: &mut Value, dotted: &str) {
    if dotted.contains(".container.ports") {
        doc["gateway"] = json!({});
    }
    if dotted.contains(".environment.*.") {
        // A reference needs its source and key; the field tried replaces one of them.
        for entry in ["apps", "serverless"] {
            doc[entry][0]["environment"] = json!({"gcp": {"secret": "s", "key": "k"}});
        }
        doc["compose"][0]["services"] =
            json!({"db": {"environment": {"gcp": {"secret": "s", "key": "k"}}}});
        doc["compose"][0]["defaults"] =
            json!({"environment": {"gcp": {"secret": "s", "key": "k"}}});
    }
    if dotted.contains("depends_on[]") {
        let section = dotted.split('[').next().unwrap_or_default();
        let other = if section == "apps" { "cache" } else { "web" };
        doc[section][0]["depends_on"] = json!([{"name": other}]);
    }
    if dotted.starts_with("defaults.secret_store") {
        doc["apps"][0]["secrets"] = json!([{"name": "walk-secret", "as_env": true, "external": {"keys": {"k": "remote/k"}}}]);
        doc["defaults"]["secret_store"] = json!({"name": "vault"});
    }
    if dotted.starts_with("compose[].") && dotted.contains(".job.") {
        doc["compose"][0]["services"] =
            json!({"db": {"kind": "cronjob", "job": {"schedule": "0 * * * *"}}});
    }
    if dotted.starts_with("serverless[].") {
        let fns = &mut doc["serverless"][0];
        if dotted.contains("env_from[]") && !dotted.ends_with("configmap") {
            fns["env_from"] = json!([{"secret": "walk-secret"}]);
        }
        if dotted.contains("env_from[].type") {
            fns["env_from"] = json!([{"name": "walk-secret"}]);
        }
        if dotted.contains("env_refs[]") {
            fns["env_refs"] = json!([{"name": "WALK", "from": "secret", "secret_name": "s", "configmap_name": "c", "key": "k"}]);
        }
        if dotted.contains("secrets[]") {
            fns["secrets"] = json!([{"name": "walk-secret", "as_env": true, "external": {"store": "vault", "keys": {"k": "remote/k"}}}]);
        }
    }
    let app = &mut doc["apps"][0];
    let item = |field: &str| {
        dotted
            .strip_prefix("apps[].")
            .is_some_and(|r| r.starts_with(field))
    };
    if item("env_from[]") && !dotted.ends_with("type") && !dotted.ends_with("configmap") {
        app["env_from"] = json!([{"secret": "walk-secret"}]);
    }
    if item("env_from[].type") {
        app["env_from"] = json!([{"name": "walk-secret"}]);
    }
    if item("env_refs[]") {
        app["env_refs"] = json!([{"name": "WALK", "from": "secret", "secret_name": "s", "configmap_name": "c", "key": "k"}]);
    }
    if item("secrets[]") {
        app["secrets"] = json!([{"name": "walk-secret", "mount_path": "/secret", "external": {"store": "vault", "keys": {"k": "remote/k"}}}]);
    }
    if item("volumes[]") {
        let kind = match dotted.rsplit('.').next().unwrap_or_default() {
            "claim_name" | "access_modes" | "size" | "storage_class" => "pvc",
            "secret_name" | "items" | "default_mode" | "key" => "secret",
            "configmap_name" => "configmap",
            "path" => "hostPath",
            _ => "emptyDir",
        };
        app["volumes"] = json!([{"name": "data", "type": kind, "mount_path": "/data", "secret_name": "s", "configmap_name": "c", "path": "/var/data", "size": "1Gi"}]);
        if kind == "hostPath" {
            app["allow_host_path"] = json!(true);
            app["security"] = json!({"profile": "privileged"});
        }
    }
    if dotted.starts_with("apps[].job.") {
        app["kind"] = json!("cronjob");
        app["job"] = json!({"schedule": "0 * * * *"});
        for key in ["scaling", "ingress"] {
            app.as_object_mut().unwrap().remove(key);
        }
        if dotted == "apps[].job.schedule" {
            app["job"] = json!({});
        }
    }
}

/// Everything k3s produces for the document in every environment, and its diagnostics'
/// fields and messages.
fn outcome(dir: &Path, doc: &Value) -> (String, Vec<String>, bool) {
    std::fs::write(
        dir.join("apps.yaml"),
        serde_json::to_string_pretty(doc).unwrap(),
    )
    .unwrap();
    let (project, loaded) = match k3s::config::load(&dir.join("apps.yaml")) {
        Ok(loaded) => loaded,
        Err(d) => return (String::new(), said(&d), true),
    };
    let mut failed = loaded.has_errors();
    let mut output = String::new();
    let mut diagnostics = said(&loaded);
    let inputs = k3s::resolve::Inputs::default();
    let images = k3s::images::ImageTags::new();
    let location = k3s::lower::TreeLocation::default();
    let options = k3s::pipeline::PlanOptions {
        inputs: &inputs,
        images: &images,
        location: &location,
        documents: true,
    };
    for env in project.environment_names() {
        match k3s::pipeline::plan_environment(&project, env, &options) {
            Ok(plan) => {
                diagnostics.extend(said(&plan.warnings));
                for entry in &plan.entries {
                    output.push_str(&entry.documents.join("---\n"));
                    output.push_str(&format!(
                        "{:?}{:?}",
                        entry.lowered.files, entry.lowered.builds
                    ));
                }
                output.push_str(&plan.gateway.join("---\n"));
                output.push_str(&format!("{:?}{:?}", plan.applications, plan.project));
            }
            Err(d) => {
                failed = true;
                diagnostics.extend(said(&d));
            }
        }
    }
    (output, diagnostics, failed)
}

fn said(d: &k3s::diagnostic::Diagnostics) -> Vec<String> {
    d.items
        .iter()
        .map(|i| format!("{} {}", i.field.clone().unwrap_or_default(), i.message))
        .collect()
}

/// Whether a diagnostic the base document does not have names the leaf, or the block it is
/// in: its field ends with two keys of the leaf's path (`scaling.queue` for
/// `scaling.queue.tls`), or its message quotes the leaf's key.
fn names(diagnostics: &[String], base: &[String], leaf: &Leaf) -> bool {
    let keys: Vec<&str> = leaf
        .path
        .iter()
        .map(String::as_str)
        .filter(|k| *k != "[]" && *k != "*")
        .collect();
    let last = keys.last().copied().unwrap_or_default();
    diagnostics.iter().filter(|d| !base.contains(d)).any(|d| {
        let field = d.split(' ').next().unwrap_or_default();
        let field = strip_indexes(field);
        keys.windows(2)
            .any(|pair| field.ends_with(&format!(".{}.{}", pair[0], pair[1])))
            || field == last
            || field.ends_with(&format!(".{last}"))
            || d.contains(&format!("`{last}`"))
    })
}

/// `a.b[0].c` → `a.b.c`.
fn strip_indexes(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut depth = 0;
    for c in field.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn excepted(leaf: &Leaf) -> bool {
    let dotted = leaf.dotted();
    EXCEPTIONS
        .iter()
        .any(|(pattern, _)| match pattern.strip_prefix("*.") {
            Some(suffix) => dotted.ends_with(&format!(".{suffix}")) || dotted == suffix,
            None => dotted == *pattern || dotted.starts_with(&format!("{pattern}.")),
        })
}

#[test]
fn every_field_changes_the_output_or_is_named_by_a_diagnostic() {
    let schema = schema();
    let mut all = Vec::new();
    leaves(&schema, &schema, &[], &[], 0, &mut all);
    let dir = tempfile::tempdir().unwrap();
    project_files(dir.path());
    let (base_output, base_said, base_failed) = outcome(dir.path(), &base());
    assert!(!base_failed, "the base document plans: {base_said:#?}");
    let mut silent = BTreeSet::new();
    let mut walked = 0;
    for leaf in all.iter().filter(|l| !excepted(l)) {
        let mut acted = false;
        for value in &leaf.values {
            let mut doc = base();
            apply_context(&mut doc, &leaf.dotted());
            for (path, value) in &leaf.siblings {
                if !present(&doc, path) {
                    place(&mut doc, path, value.clone());
                }
            }
            if place(&mut doc, &leaf.path, value.clone()).is_none() {
                continue;
            }
            let (output, said, failed) = outcome(dir.path(), &doc);
            // A change counts when it plans; an error counts only when it names the field.
            if (!failed && output != base_output) || names(&said, &base_said, leaf) {
                acted = true;
                break;
            }
        }
        walked += 1;
        if !acted {
            if std::env::var_os("K3S_WALK_DEBUG").is_some() {
                let mut doc = base();
                apply_context(&mut doc, &leaf.dotted());
                for (path, value) in &leaf.siblings {
                    if !present(&doc, path) {
                        place(&mut doc, path, value.clone());
                    }
                }
                place(&mut doc, &leaf.path, leaf.values[0].clone());
                let (_, said, _) = outcome(dir.path(), &doc);
                let new: Vec<_> = said.iter().filter(|s| !base_said.contains(s)).collect();
                eprintln!("{}: {:?} -> {new:?}", leaf.dotted(), leaf.values);
            }
            silent.insert(leaf.dotted());
        }
    }
    assert!(walked > 100, "only {walked} fields walked");
    assert!(
        silent.is_empty(),
        "{} of {walked} fields change nothing and are named by no diagnostic:\n{}",
        silent.len(),
        silent.into_iter().collect::<Vec<_>>().join("\n")
    );
}
