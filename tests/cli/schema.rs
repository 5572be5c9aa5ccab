//! `k3s schema` and the committed `schemas/apps-schema.json`.

use crate::support::Project;

#[test]
fn the_committed_schema_is_current() {
    let run = Project::new().run(&["schema"]);
    run.code(0);
    let committed = include_str!("../../schemas/apps-schema.json");
    assert!(
        run.stdout == committed,
        "schemas/apps-schema.json is stale: run `cargo run -- schema > schemas/apps-schema.json`"
    );
}

/// The published schema accepts every example and rejects what the loader rejects.
mod acceptance {
    use std::path::Path;

    use crate::support::{ENVS, Project};

    fn schema() -> jsonschema::Validator {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/apps-schema.json")).unwrap();
        jsonschema::validator_for(&schema).expect("the schema compiles")
    }

    fn as_json(yaml: &str) -> serde_json::Value {
        serde_saphyr::from_str(yaml).expect("test input is YAML")
    }

    #[test]
    fn every_example_is_accepted() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let validator = schema();
        let mut files = vec![root.join("apps.yaml")];
        for entry in std::fs::read_dir(root.join("examples")).unwrap() {
            let path = entry.unwrap().path().join("apps.yaml");
            if path.is_file() {
                files.push(path);
            }
        }
        for file in files {
            let instance = as_json(&std::fs::read_to_string(&file).unwrap());
            let errors: Vec<String> = validator
                .iter_errors(&instance)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        }
    }

    #[test]
    fn what_the_loader_rejects_the_schema_rejects() {
        let validator = schema();
        let cases = [
            "apps:\n  - name: web\n    image: nginx\n    replics: 2\n",
            "apps:\n  - name: web\n    image: nginx\n    replicas: many\n",
            "apps:\n  - name: web\n    image: nginx\n    scaling: {type: keda-htpp}\n",
            "apps:\n  - name: web\n    image: nginx\n    resources: {memory: 512mb}\n",
            "apps:\n  - name: web\n    image: nginx\n    gcp: {replics: 2}\n",
            "aps: []\n",
            "apps:\n  - image: nginx\n",
        ];
        for case in cases {
            let text = format!("{ENVS}{case}");
            let instance = as_json(&text);
            assert!(
                !validator.is_valid(&instance),
                "the schema accepts:\n{case}"
            );
            Project::with_apps_yaml(&text).run(&["validate"]).code(1);
        }
    }

    #[test]
    fn what_the_loader_accepts_the_schema_accepts() {
        let validator = schema();
        let cases = [
            "apps:\n  - name: web\n    image: nginx\n    replicas: 0\n    gcp: {replicas: 2, resources: {memory: 2Gi}}\n",
            "apps:\n  - name: web\n    image: nginx\n    visibility: public\n    network_policy: true\n",
            "apps:\n  - name: web\n    image: nginx\n    environment: {A: 1, B: true, C: {secret: s, key: k}}\n",
            "helm:\n  - {name: db, chart: pg, repo: https://charts.example.com, version: 1.0.0, values: [a.yaml, b.yaml]}\n",
            "x-common: &common {image: nginx}\napps:\n  - name: web\n    <<: *common\n",
            "apps:\n  - name: web\n    path: web\n    build: {tag: 2024}\n    replicas: \"2\"\n    enabled: \"true\"\n    port: ${PORT:-8000}\n",
        ];
        for case in cases {
            let text = format!("{ENVS}{case}");
            let project = Project::with_apps_yaml(&text)
                .file("a.yaml", "")
                .file("b.yaml", "")
                .file("web/Dockerfile", "FROM scratch\n");
            project.run(&["validate"]).code(0);
            let errors: Vec<String> = validator
                .iter_errors(&as_json(&text))
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{case}: {errors:?}");
        }
    }
}
