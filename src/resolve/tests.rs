use crate::diagnostic::Code;
use std::collections::BTreeMap;

use super::*;
use crate::config::{EnvValue, ScalingType, Visibility, load};

struct Fixture {
    _dir: tempfile::TempDir,
    project: Project,
}

fn project(apps_yaml: &str) -> Fixture {
    project_with_files(apps_yaml, &[])
}

fn project_with_files(apps_yaml: &str, files: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apps.yaml"), apps_yaml).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let (project, diagnostics) = load(&dir.path().join("apps.yaml")).unwrap();
    assert!(!diagnostics.has_errors(), "{}", diagnostics.render());
    Fixture { _dir: dir, project }
}

fn resolve_env(fixture: &Fixture, env: &str) -> Resolved {
    resolve_with(fixture, env, Inputs::default()).unwrap_or_else(|d| panic!("{}", d.render()))
}

fn resolve_with(fixture: &Fixture, env: &str, inputs: Inputs) -> Result<Resolved, Diagnostics> {
    resolve(&fixture.project, env, &inputs)
}

const ENVS: &str = "version: \"2\"\nenvironments:\n  local: {}\n  gcp: {domain: example.com}\n";

#[test]
fn an_override_of_one_resource_keeps_the_others() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    resources: {{memory: 1Gi, cpu: 250m, memory_limit: 2Gi, cpu_limit: '1'}}\n    gcp:\n      resources: {{memory: 2Gi}}\n"
    ));
    let gcp = resolve_env(&fixture, "gcp");
    let r = gcp.apps[0].spec.resources.as_ref().unwrap();
    assert_eq!(r.memory.as_ref().unwrap().as_str(), "2Gi");
    assert_eq!(r.cpu.as_ref().unwrap().as_str(), "250m");
    assert_eq!(r.memory_limit.as_ref().unwrap().as_str(), "2Gi");
    assert_eq!(r.cpu_limit.as_ref().unwrap().as_str(), "1");
    let local = resolve_env(&fixture, "local");
    let r = local.apps[0].spec.resources.as_ref().unwrap();
    assert_eq!(r.memory.as_ref().unwrap().as_str(), "1Gi");
}

#[test]
fn a_compose_namespace_override_keeps_the_base_security() {
    let fixture = project(&format!(
        "{ENVS}compose:\n  - name: stack\n    path: stack\n    security: {{visibility: internal}}\n    gcp:\n      namespace: monitoring\n"
    ));
    let gcp = resolve_env(&fixture, "gcp");
    let entry = &gcp.compose[0];
    assert_eq!(entry.namespace, "monitoring");
    let visibility = entry.spec.security.as_ref().unwrap().visibility.as_ref();
    assert_eq!(visibility.map(|v| v.value), Some(Visibility::Internal));
    assert_eq!(resolve_env(&fixture, "local").compose[0].namespace, "apps");
}

#[test]
fn replicas_zero_stays_zero() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    replicas: 3\n    local:\n      replicas: 0\n"
    ));
    assert_eq!(
        *resolve_env(&fixture, "local").apps[0]
            .spec
            .replicas
            .clone()
            .unwrap(),
        0
    );
    assert_eq!(
        *resolve_env(&fixture, "gcp").apps[0]
            .spec
            .replicas
            .clone()
            .unwrap(),
        3
    );
}

#[test]
fn a_secret_reference_in_a_per_env_environment_works() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    environment: {{LOG_LEVEL: INFO}}\n    gcp:\n      environment:\n        DB_PASSWORD: {{secret: db-credentials, key: password}}\n"
    ));
    let gcp = resolve_env(&fixture, "gcp");
    let env = &gcp.apps[0].spec.environment;
    assert_eq!(env["LOG_LEVEL"].value, EnvValue::Literal("INFO".into()));
    let EnvValue::Reference(reference) = &env["DB_PASSWORD"].value else {
        panic!("expected a reference, got {:?}", env["DB_PASSWORD"]);
    };
    assert_eq!(reference.secret.as_deref(), Some("db-credentials"));
    assert_eq!(reference.key.as_deref(), Some("password"));
    assert!(
        !resolve_env(&fixture, "local").apps[0]
            .spec
            .environment
            .contains_key("DB_PASSWORD")
    );
}

#[test]
fn integer_and_boolean_environment_values_become_strings_as_written() {
    let fixture = project(&format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n    environment: {{PORT: 8080, DEBUG: true, RATIO: 1.10, MODE: on}}\n"
    ));
    let env = &resolve_env(&fixture, "local").serverless[0]
        .spec
        .environment;
    let literal = |key: &str| match &env[key].value {
        EnvValue::Literal(text) => text.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(literal("PORT"), "8080");
    assert_eq!(literal("DEBUG"), "true");
    assert_eq!(literal("RATIO"), "1.10");
    assert_eq!(literal("MODE"), "on");
}

#[test]
fn serverless_scaling_override_merges_key_by_key() {
    let fixture = project(&format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n    scaling: {{min_instances: 0, max_instances: 10, cooldown_period: 300}}\n    local:\n      scaling: {{min_instances: 1}}\n"
    ));
    let local = resolve_env(&fixture, "local");
    let scaling = local.serverless[0].spec.scaling.as_ref().unwrap();
    assert_eq!(scaling.min_instances.as_ref().map(|v| v.value), Some(1));
    assert_eq!(scaling.max_instances.as_ref().map(|v| v.value), Some(10));
    assert_eq!(scaling.cooldown_period.as_ref().map(|c| c.value), Some(300));
}

#[test]
fn scaling_type_override_replaces_only_the_type() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    scaling: {{type: keda-http, min_instances: 0, max_instances: 10}}\n    local:\n      scaling: {{type: none, min_instances: 1}}\n"
    ));
    let local = resolve_env(&fixture, "local");
    let scaling = local.apps[0].spec.scaling.as_ref().unwrap();
    assert_eq!(
        scaling.kind.as_ref().map(|k| k.value),
        Some(ScalingType::None)
    );
    assert_eq!(scaling.max_instances.as_ref().map(|v| v.value), Some(10));
}

#[test]
fn helm_values_files_are_layered_base_then_environment() {
    let fixture = project(&format!(
        "{ENVS}helm:\n  - name: valkey\n    chart: bitnami/valkey\n    version: 5.0.10\n    values: values.yaml\n    gcp:\n      values: values-gcp.yaml\n"
    ));
    let values = |env: &str| -> Vec<String> {
        resolve_env(&fixture, env).helm[0]
            .spec
            .values
            .clone()
            .map(|v| v.value.into_vec())
            .unwrap_or_default()
    };
    assert_eq!(values("gcp"), ["values.yaml", "values-gcp.yaml"]);
    assert_eq!(values("local"), ["values.yaml"]);
}

#[test]
fn gateway_and_argocd_take_environment_overrides() {
    let fixture = project(&format!(
        "{ENVS}gateway:\n  rate_limit: {{requests_per_second: 10}}\n  routes:\n    - {{path: /api, service: web, port: 80}}\n  gcp:\n    rate_limit: {{requests_per_second: 100}}\nargocd:\n  repo_url: https://git.example.com/platform.git\n  gcp:\n    destination: {{name: gke-prod}}\n"
    ));
    let gcp = resolve_env(&fixture, "gcp");
    let gateway = gcp.gateway.unwrap();
    assert_eq!(
        gateway
            .rate_limit
            .unwrap()
            .requests_per_second
            .unwrap()
            .value,
        100
    );
    assert_eq!(gateway.routes.len(), 1);
    assert_eq!(
        gcp.argocd.destination.unwrap().name.as_deref(),
        Some("gke-prod")
    );
    assert!(resolve_env(&fixture, "local").argocd.destination.is_none());
}

#[test]
fn explicit_null_removes_a_base_value() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    pod_disruption_budget: {{min_available: 1}}\n    local:\n      pod_disruption_budget: null\n"
    ));
    assert!(
        resolve_env(&fixture, "local").apps[0]
            .spec
            .pod_disruption_budget
            .is_none()
    );
    assert!(
        resolve_env(&fixture, "gcp").apps[0]
            .spec
            .pod_disruption_budget
            .is_some()
    );
}

#[test]
fn enabled_false_removes_the_entry_from_that_environment_only() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    local: {{enabled: false}}\n  - name: api\n    image: nginx\n    enabled: false\n    gcp: {{enabled: true}}\n"
    ));
    let local = resolve_env(&fixture, "local");
    assert!(local.apps.is_empty());
    assert_eq!(local.disabled.len(), 2);
    let gcp = resolve_env(&fixture, "gcp");
    let names: Vec<_> = gcp.apps.iter().map(|a| a.name.value.as_str()).collect();
    assert_eq!(names, ["web", "api"]);
}

#[test]
fn variables_follow_the_documented_precedence() {
    let fixture = project_with_files(
        "version: \"2\"\nenvironments:\n  gcp:\n    domain: ${DOMAIN}\n    variables: {A: from-variables, B: from-variables, C: from-variables}\n    env_files: [base.env, more.env]\napps:\n  - name: web\n    image: nginx\n    environment: {A: '${A}', B: '${B}', C: '${C}', D: '${D}', E: '${E}', F: '${F:-fallback}', G: '$${literal}'}\n",
        &[
            (
                "base.env",
                "A=file\nB=file\nC=file\nD=file\nE=base-file\nDOMAIN=example.org\n",
            ),
            ("more.env", "E=later-file\n"),
        ],
    );
    let inputs = Inputs {
        set: BTreeMap::from([("A".to_string(), "from-set".to_string())]),
        process_env: BTreeMap::from([
            ("A".to_string(), "from-process".to_string()),
            ("B".to_string(), "from-process".to_string()),
        ]),
    };
    let gcp = resolve_with(&fixture, "gcp", inputs).unwrap_or_else(|d| panic!("{}", d.render()));
    let env = &gcp.apps[0].spec.environment;
    let literal = |key: &str| match &env[key].value {
        EnvValue::Literal(text) => text.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(literal("A"), "from-set");
    assert_eq!(literal("B"), "from-process");
    assert_eq!(literal("C"), "from-variables");
    assert_eq!(literal("D"), "file");
    assert_eq!(literal("E"), "later-file");
    assert_eq!(literal("F"), "fallback");
    assert_eq!(literal("G"), "${literal}");
    assert_eq!(gcp.settings.domain.unwrap().value, "example.org");
}

#[test]
fn an_unset_variable_names_itself_and_where_it_is_used() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    build:\n      args: {{APP_VERSION: '${{VERSION}}'}}\n"
    ));
    let errors = resolve_with(&fixture, "gcp", Inputs::default()).unwrap_err();
    let error = &errors.items[0];
    assert_eq!(error.code, Code::UnsetVariable);
    assert!(error.message.contains("`VERSION`"), "{}", error.message);
    assert_eq!(
        error.field.as_deref(),
        Some("apps.web.build.args.APP_VERSION")
    );
    let location = error.span.unwrap().location();
    assert!(location.ends_with("apps.yaml:9:27"), "{location}");
}

#[test]
fn a_variable_only_used_in_another_environment_is_not_needed() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    gcp:\n      environment: {{PROJECT: '${{PROJECT_ID}}'}}\n"
    ));
    assert!(resolve_with(&fixture, "local", Inputs::default()).is_ok());
    assert!(resolve_with(&fixture, "gcp", Inputs::default()).is_err());
}

#[test]
fn visibility_may_be_given_once_either_way() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: a\n    image: nginx\n    visibility: public\n    network_policy: true\n  - name: b\n    image: nginx\n    visibility: public\n    security: {{visibility: private}}\n"
    ));
    let errors = resolve_with(&fixture, "local", Inputs::default()).unwrap_err();
    assert_eq!(errors.items.len(), 1);
    assert_eq!(errors.items[0].code, Code::ConflictingKeys);
    assert_eq!(errors.items[0].field.as_deref(), Some("apps.b.visibility"));
    assert_eq!(errors.items[0].labels.len(), 1);
}

#[test]
fn shorthands_land_under_security() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: a\n    image: nginx\n    visibility: public\n    network_policy: true\n"
    ));
    let local = resolve_env(&fixture, "local");
    let security = local.apps[0].spec.security.as_ref().unwrap();
    assert_eq!(
        security.visibility.as_ref().map(|v| v.value),
        Some(Visibility::Public)
    );
    assert!(security.network_policy.is_some());
    assert!(local.apps[0].spec.visibility.is_none());
}

#[test]
fn an_undeclared_environment_cannot_be_resolved() {
    let fixture = project(ENVS);
    let errors = resolve_with(&fixture, "gpc", Inputs::default()).unwrap_err();
    assert_eq!(errors.items[0].code, Code::UndeclaredEnvironment);
    assert!(errors.items[0].help.iter().any(|h| h.contains("`gcp`")));
}

#[test]
fn defaults_apply_per_environment() {
    let fixture = project(&format!(
        "{ENVS}defaults:\n  namespace: platform\n  registry: {{local: registry.localhost:5111, gcp: gcr.io/p}}\n  ingress: {{local: traefik, gcp: haproxy}}\napps:\n  - {{name: web, image: nginx}}\n"
    ));
    let gcp = resolve_env(&fixture, "gcp");
    assert_eq!(gcp.registry.as_deref(), Some("gcr.io/p"));
    assert_eq!(gcp.ingress, IngressController::Haproxy);
    assert_eq!(gcp.apps[0].namespace, "platform");
    assert_eq!(
        resolve_env(&fixture, "local").ingress,
        IngressController::Traefik
    );
}

#[test]
fn anti_affinity_takes_the_seed_rules_or_a_word() {
    let fixture = project(&format!(
        "{ENVS}apps:\n  - name: web\n    image: nginx\n    anti_affinity: preferred\n    gcp:\n      anti_affinity:\n        preferred:\n          - topology_key: kubernetes.io/hostname\n            weight: 100\n"
    ));
    let gcp = resolve_env(&fixture, "gcp");
    let Some(crate::config::AntiAffinity::Rules(rules)) = &gcp.apps[0].spec.anti_affinity else {
        panic!("{:?}", gcp.apps[0].spec.anti_affinity);
    };
    assert_eq!(rules.preferred[0].topology_key, "kubernetes.io/hostname");
    assert_eq!(
        rules.preferred[0].weight.as_ref().map(|w| w.value),
        Some(100)
    );
    let local = resolve_env(&fixture, "local");
    assert_eq!(
        local.apps[0].spec.anti_affinity,
        Some(crate::config::AntiAffinity::Simple(
            crate::config::SimpleAntiAffinity::Preferred
        ))
    );
}
