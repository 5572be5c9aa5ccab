//! Discovery over whole projects: fixtures under `tests/fixtures/functions/` and temporary
//! directories written by each test; every error test states its location and field.

use std::path::{Path, PathBuf};

use super::*;
use crate::config::{ConcurrencyPolicy, QueueType, Visibility};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/functions")
        .join(name)
}

/// A temporary project with the given files (path relative to the project, text).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn discover_ok(files: &[(&str, &str)]) -> Discovery {
    let dir = project(files);
    match discover(dir.path(), Path::new("proj")) {
        Ok(discovery) => discovery,
        Err(errors) => panic!("{}", errors.render()),
    }
}

fn discover_err(files: &[(&str, &str)]) -> Vec<Diagnostic> {
    let dir = project(files);
    match discover(dir.path(), Path::new("proj")) {
        Ok(discovery) => panic!("expected errors, found {:?}", discovery.functions),
        Err(errors) => errors.items,
    }
}

/// `location field: message` of each error, compact enough to compare whole.
fn headlines(errors: &[Diagnostic]) -> Vec<String> {
    errors.iter().map(Diagnostic::headline).collect()
}

/// A single-file project in `functions/api.py`, which must fail with exactly one error.
fn single_error(source: &str) -> Diagnostic {
    let errors = discover_err(&[("functions/api.py", source)]);
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    errors.into_iter().next().unwrap()
}

fn render(errors: &[Diagnostic]) -> String {
    Diagnostics {
        items: errors.to_vec(),
    }
    .render()
}

fn http(function: &DiscoveredFunction) -> &HttpTrigger {
    match &function.trigger {
        Trigger::Http(trigger) => trigger,
        other => panic!("expected an HTTP trigger, found {other:?}"),
    }
}

#[test]
fn fixture_project_is_discovered_in_name_order_without_importing() {
    let discovery = discover(&fixture("mixed"), Path::new("examples/mixed")).unwrap();
    assert!(discovery.warnings.is_empty());
    let found: Vec<_> = discovery
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.file.to_str().unwrap(), f.span.location()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "goodbye",
                "functions/api.py",
                "examples/mixed/functions/api.py:25:5".to_string()
            ),
            (
                "hello_world",
                "functions/api.py",
                "examples/mixed/functions/api.py:15:11".to_string()
            ),
            (
                "hourly_report",
                "functions.py",
                "examples/mixed/functions.py:8:5".to_string()
            ),
            (
                "invoice",
                "functions/billing/worker.py",
                "examples/mixed/functions/billing/worker.py:11:5".to_string()
            ),
            (
                "process_task",
                "functions/billing/worker.py",
                "examples/mixed/functions/billing/worker.py:5:5".to_string()
            ),
        ]
    );
}

#[test]
fn fixture_settings_and_triggers_are_typed() {
    let discovery = discover(&fixture("mixed"), Path::new("examples/mixed")).unwrap();
    let by_name = |name: &str| discovery.functions.iter().find(|f| f.name == name).unwrap();

    let hello = by_name("hello_world");
    assert!(hello.is_async);
    let settings = &hello.settings;
    assert_eq!(settings.memory.as_ref().unwrap().value, "256Mi");
    assert_eq!(
        settings.memory.as_ref().unwrap().span.location(),
        "examples/mixed/functions/api.py:13:20"
    );
    assert_eq!(settings.cpu.as_deref().map(String::as_str), Some("100m"));
    assert_eq!(settings.min_instances.as_deref(), Some(&0));
    assert_eq!(settings.max_instances.as_deref(), Some(&10));
    assert_eq!(settings.timeout.as_deref(), Some(&30));
    assert_eq!(settings.visibility.as_deref(), Some(&Visibility::Public));
    let trigger = http(hello);
    assert_eq!(trigger.path.value, "/api/hello");
    let methods: Vec<_> = trigger.methods.iter().map(|m| m.as_str()).collect();
    assert_eq!(methods, ["GET", "POST"]);

    let goodbye = by_name("goodbye");
    assert!(!goodbye.is_async);
    let environment: Vec<_> = goodbye
        .settings
        .environment
        .iter()
        .map(|(k, v)| (k.value.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        environment,
        [("DEBUG", "True"), ("MODE", "fast"), ("RETRIES", "3")]
    );
    assert_eq!(goodbye.settings.secrets[0].value, "db-credentials");
    assert_eq!(goodbye.settings.min_instances.as_deref(), Some(&0));
    assert!(http(goodbye).methods.is_empty());

    let Trigger::Queue(queue) = &by_name("process_task").trigger else {
        panic!("queue trigger expected");
    };
    assert_eq!(queue.queue_name.value, "tasks");
    assert_eq!(*queue.batch_size, 5);
    assert_eq!(queue.visibility_timeout.value, 60);
    assert_eq!(*queue.queue_type, QueueType::List);
    assert_eq!(*queue.mode, QueueMode::Worker);
    assert!(by_name("process_task").settings.memory.is_none());

    let Trigger::Queue(invoice) = &by_name("invoice").trigger else {
        panic!("queue trigger expected");
    };
    assert_eq!(*invoice.queue_type, QueueType::Stream);
    assert_eq!(invoice.consumer_group.as_deref().unwrap(), "billing");
    assert_eq!(*invoice.mode, QueueMode::Job);
    assert_eq!(*invoice.batch_size, 1);

    let Trigger::Schedule(schedule) = &by_name("hourly_report").trigger else {
        panic!("schedule trigger expected");
    };
    assert_eq!(schedule.cron.value, "0 * * * *");
    assert_eq!(schedule.timezone.value, "Europe/Berlin");
    assert_eq!(*schedule.concurrency_policy, ConcurrencyPolicy::Forbid);
    assert_eq!(
        by_name("hourly_report").settings.memory.as_deref().unwrap(),
        "128Mi"
    );
}

#[test]
fn both_decorator_orders_and_attribute_style_are_recognised() {
    let discovery = discover_ok(&[(
        "functions/api.py",
        "import k3sfn\n\
         @serverless(memory=\"1Gi\")\n@http_trigger(path=\"/a\")\ndef a(r): pass\n\
         @http_trigger(path=\"/b\")\n@serverless(memory=\"2Gi\")\ndef b(r): pass\n\
         @k3sfn.triggers.http_trigger(path=\"/c\")\n@k3sfn.serverless(memory=\"3Gi\")\ndef c(r): pass\n\
         @other.decorator(anything=call())\n@http_trigger(path=\"/d\")\n@functools.wraps\ndef d(r): pass\n",
    )]);
    let found: Vec<_> = discovery
        .functions
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                http(f).path.value.as_str(),
                f.settings.memory.as_ref().map(|m| m.value.as_str()),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("a", "/a", Some("1Gi")),
            ("b", "/b", Some("2Gi")),
            ("c", "/c", Some("3Gi")),
            ("d", "/d", None),
        ]
    );
}

#[test]
fn defaults_apply_without_serverless_and_none_means_not_given() {
    let discovery = discover_ok(&[(
        "functions.py",
        "@schedule_trigger(cron=\"@daily\", timezone=None)\ndef nightly(): pass\n",
    )]);
    let function = &discovery.functions[0];
    let Trigger::Schedule(schedule) = &function.trigger else {
        panic!("schedule trigger expected");
    };
    assert_eq!(schedule.timezone.value, "UTC");
    assert_eq!(schedule.span.location(), "proj/functions.py:1:2");
    assert!(function.settings.timeout.is_none());
}

#[test]
fn syntax_error_is_located_and_other_files_are_still_checked() {
    let errors = discover_err(&[
        (
            "functions/a_broken.py",
            "@http_trigger(path=\"/x\")\ndef broken(request:\n    pass\n",
        ),
        (
            "functions/b_ok.py",
            "@http_trigger(path=\"/ok\")\ndef fine(r): pass\n\n\
             @serverless(timeout=\"ten\")\n@http_trigger(path=\"/t\")\ndef slow(r): pass\n",
        ),
    ]);
    let headlines = headlines(&errors);
    assert_eq!(headlines.len(), 2, "{headlines:#?}");
    assert!(
        headlines[0].starts_with("proj/functions/a_broken.py:3:5: error: invalid Python syntax: "),
        "{}",
        headlines[0]
    );
    assert_eq!(errors[0].code, Code::PythonSyntax);
    assert_eq!(
        headlines[1],
        "proj/functions/b_ok.py:4:21: error: slow.@serverless.timeout: expected an integer, found \
         string \"ten\""
    );
}

#[test]
fn non_literal_argument_is_located_and_named() {
    let error = single_error(
        "import os\n\n@serverless(memory=os.getenv(\"MEM\"))\n@http_trigger(path=\"/a\")\ndef a(r): pass\n",
    );
    assert_eq!(error.code, Code::NotLiteral);
    assert_eq!(
        error.headline(),
        "proj/functions/api.py:3:20: error: a.@serverless.memory: argument `memory` of @serverless \
         must be a literal (string, number, boolean, None, or a list/dict of them); found a \
         function call"
    );
}

#[test]
fn non_literals_of_every_kind_are_reported_together() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@serverless(memory=MEMORY, cpu=f\"{n}m\", timeout=10 * 3, secrets=[\"a\", name])\n\
         @http_trigger(path=\"/a\")\ndef a(r): pass\n",
    )]);
    let found: Vec<_> = errors
        .iter()
        .map(|e| {
            let message = &e.message;
            (
                e.span.unwrap().location(),
                e.field.clone().unwrap(),
                message[message.find("found").unwrap()..].to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "proj/functions/api.py:1:20".to_string(),
                "a.@serverless.memory".to_string(),
                "found a variable (`MEMORY`)".to_string()
            ),
            (
                "proj/functions/api.py:1:32".to_string(),
                "a.@serverless.cpu".to_string(),
                "found an f-string".to_string()
            ),
            (
                "proj/functions/api.py:1:49".to_string(),
                "a.@serverless.timeout".to_string(),
                "found an arithmetic expression".to_string()
            ),
            (
                "proj/functions/api.py:1:71".to_string(),
                "a.@serverless.secrets".to_string(),
                "found a variable (`name`)".to_string()
            ),
        ]
    );
}

#[test]
fn unknown_argument_suggests_a_close_name() {
    let error =
        single_error("@serverless(memroy=\"1Gi\")\n@http_trigger(path=\"/a\")\ndef a(r): pass\n");
    assert_eq!(error.code, Code::UnknownArgument);
    assert_eq!(
        error.headline(),
        "proj/functions/api.py:1:13: error: a.@serverless.memroy: unknown argument `memroy` of \
         @serverless"
    );
    assert_eq!(error.help, ["did you mean `memory`?"]);

    let error = single_error("@http_trigger(path=\"/a\", zzz=1)\ndef a(r): pass\n");
    assert_eq!(
        error.help,
        ["@http_trigger takes: path, methods, auth, cors, rate_limit, strip_prefix, hosts"]
    );
    // What an existing platform's functions write (labels, allow_from_pods) is known.
    let discovery = discover_ok(&[(
        "functions/api.py",
        "@serverless(visibility=\"restricted\", allow_from_pods={\"app\": \"web\"})\n\
         @http_trigger(path=\"/a\")\ndef a(r): pass\n",
    )]);
    assert_eq!(discovery.functions.len(), 1);
}

#[test]
fn wrong_types_name_what_was_found() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@serverless(timeout=\"ten\", min_instances=1.5, secrets=\"db\", environment=[\"A\"], \
         visibility=True)\n\
         @http_trigger(path=\"/a\", strip_prefix=\"yes\", methods=\"GET\")\ndef a(r): pass\n",
    )]);
    assert_eq!(
        headlines(&errors),
        [
            "proj/functions/api.py:1:21: error: a.@serverless.timeout: expected an integer, found \
             string \"ten\"",
            "proj/functions/api.py:1:42: error: a.@serverless.min_instances: expected an integer, \
             found float 1.5",
            "proj/functions/api.py:1:55: error: a.@serverless.secrets: expected a list of strings, \
             found string \"db\"",
            "proj/functions/api.py:1:73: error: a.@serverless.environment: expected a dict of \
             variable names to values, found a list",
            "proj/functions/api.py:1:91: error: a.@serverless.visibility: expected one of \
             \"public\", \"internal\", \"private\", \"restricted\", found boolean True",
            "proj/functions/api.py:2:39: error: a.@http_trigger.strip_prefix: expected True or \
             False, found string \"yes\"",
            "proj/functions/api.py:2:54: error: a.@http_trigger.methods: expected a list of HTTP \
             methods, found string \"GET\"",
        ]
    );
    assert_eq!(errors[2].help, ["write [\"db\"]"]);
    assert_eq!(errors[6].help, ["write [\"GET\"]"]);
    assert!(errors.iter().all(|e| e.code == Code::WrongType));
}

#[test]
fn bad_values_are_located_at_the_value() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@serverless(visibility=\"publik\", max_instances=0, timeout=-1, cooldown_period=5000000000)\n\
         @http_trigger(path=\"api/x\", methods=[\"GET\", \"FETCH\", \"get\"])\ndef a(r): pass\n\
         @serverless(min_instances=5, max_instances=2, environment={\"1BAD\": \"x\", \"OK\": 1.5})\n\
         @queue_trigger(queue_name=\"q\", batch_size=0, consumer_group=\"g\", mode=\"jobs\")\ndef b(t): pass\n",
    )]);
    let found: Vec<_> = errors
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e.span.unwrap().location(),
                e.field.clone().unwrap()
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "proj/functions/api.py:1:24 a.@serverless.visibility",
            "proj/functions/api.py:1:48 a.@serverless.max_instances",
            "proj/functions/api.py:1:59 a.@serverless.timeout",
            "proj/functions/api.py:1:79 a.@serverless.cooldown_period",
            "proj/functions/api.py:2:20 a.@http_trigger.path",
            "proj/functions/api.py:2:45 a.@http_trigger.methods",
            "proj/functions/api.py:2:54 a.@http_trigger.methods",
            "proj/functions/api.py:4:27 b.@serverless.min_instances",
            "proj/functions/api.py:4:60 b.@serverless.environment",
            "proj/functions/api.py:4:79 b.@serverless.environment",
            "proj/functions/api.py:5:43 b.@queue_trigger.batch_size",
            "proj/functions/api.py:5:61 b.@queue_trigger.consumer_group",
            "proj/functions/api.py:5:71 b.@queue_trigger.mode",
        ],
        "{}",
        render(&errors)
    );
    let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages[0],
        "expected one of \"public\", \"internal\", \"private\", \"restricted\", found string \"publik\""
    );
    assert_eq!(errors[0].help, ["did you mean \"public\"?"]);
    assert_eq!(messages[1], "must be at least 1, found integer 0");
    assert_eq!(messages[2], "must be at least 1, found integer -1");
    assert_eq!(
        messages[3],
        "integer 5000000000 is too large (at most 4294967295)"
    );
    assert_eq!(
        messages[4],
        "the path must start with `/` and contain no spaces, found \"api/x\""
    );
    assert!(messages[5].ends_with("found string \"FETCH\""));
    assert_eq!(messages[6], "method GET is listed twice");
    assert_eq!(
        errors[6].labels[0].0.location(),
        "proj/functions/api.py:2:38"
    );
    assert_eq!(
        messages[7],
        "min_instances (5) is greater than max_instances (2)"
    );
    assert_eq!(
        errors[7].labels[0].0.location(),
        "proj/functions/api.py:4:44"
    );
    assert!(messages[8].starts_with("\"1BAD\" is not a valid environment variable name"));
    assert_eq!(
        messages[9],
        "expected a string, integer or boolean, found float 1.5"
    );
    assert_eq!(errors[12].help, ["did you mean \"job\"?"]);
}

#[test]
fn bad_cron_is_reported_at_the_cron_string() {
    let error = single_error(
        "@schedule_trigger(cron=\"0 24 * * *\", timezone=\"UTC\")\ndef nightly(): pass\n",
    );
    assert_eq!(error.code, Code::BadValue);
    assert_eq!(
        error.headline(),
        "proj/functions/api.py:1:24: error: nightly.@schedule_trigger.cron: hour `24` is out of \
         range 0-23"
    );
    let error =
        single_error("@schedule_trigger(cron=\"@daily\", timezone=\"CET\")\ndef nightly(): pass\n");
    assert_eq!(
        error.headline(),
        "proj/functions/api.py:1:43: error: nightly.@schedule_trigger.timezone: time zone \"CET\" \
         is neither `UTC` nor an `Area/Location` name such as `Europe/Berlin`"
    );
    let errors = discover_err(&[(
        "functions/api.py",
        "@schedule_trigger(cron=\"@daily\", concurrency_policy=\"forbid\")\ndef nightly(): pass\n",
    )]);
    assert_eq!(errors[0].help, ["did you mean \"Forbid\"?"]);
}

#[test]
fn required_arguments_are_reported_at_the_decorator() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@queue_trigger\ndef a(t): pass\n\
         @queue_trigger(batch_size=2)\ndef b(t): pass\n\
         @schedule_trigger(cron=None)\ndef c(): pass\n",
    )]);
    assert_eq!(
        headlines(&errors),
        [
            "proj/functions/api.py:1:2: error: a.@queue_trigger.queue_name: @queue_trigger needs \
             `queue_name`, e.g. @queue_trigger(queue_name=\"tasks\")",
            "proj/functions/api.py:3:2: error: b.@queue_trigger.queue_name: @queue_trigger needs \
             `queue_name`, e.g. @queue_trigger(queue_name=\"tasks\")",
            "proj/functions/api.py:5:24: error: c.@schedule_trigger.cron: @schedule_trigger needs \
             `cron`, e.g. @schedule_trigger(cron=\"0 * * * *\")",
        ]
    );
}

#[test]
fn bare_decorators_and_positional_required_arguments_are_read() {
    let discovery = discover_ok(&[(
        "functions/api.py",
        "@serverless\n@http_trigger\ndef root(r): pass\n\
         @queue_trigger(\"emails\", batch_size=5)\ndef mail(t): pass\n\
         @schedule_trigger(\"0 3 * * *\")\ndef nightly(): pass\n",
    )]);
    let by_name = |name: &str| discovery.functions.iter().find(|f| f.name == name).unwrap();
    let root = http(by_name("root"));
    assert_eq!(root.path.value, "/");
    assert!(root.cors.value && root.auth.is_none() && root.rate_limit.is_none());
    let Trigger::Queue(mail) = &by_name("mail").trigger else {
        panic!("queue trigger expected")
    };
    assert_eq!(mail.queue_name.value, "emails");
    assert_eq!(
        mail.queue_name.span.location(),
        "proj/functions/api.py:4:16"
    );
    assert_eq!((mail.batch_size.value, mail.max_attempts.value), (5, 3));
    let Trigger::Schedule(nightly) = &by_name("nightly").trigger else {
        panic!("schedule trigger expected")
    };
    assert_eq!(nightly.cron.value, "0 3 * * *");
}

#[test]
fn only_required_arguments_may_be_positional() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@queue_trigger(\"q\", 10)\ndef a(t): pass\n\
         @queue_trigger(\"q\", queue_name=\"r\")\ndef b(t): pass\n\
         @schedule_trigger(*crons)\ndef c(): pass\n",
    )]);
    assert_eq!(
        headlines(&errors),
        [
            "proj/functions/api.py:1:21: error: a.@queue_trigger: @queue_trigger takes only \
             `queue_name` by position; give the others as `name=value`",
            "proj/functions/api.py:3:21: error: b.@queue_trigger.queue_name: argument \
             `queue_name` of @queue_trigger is given twice",
            "proj/functions/api.py:5:19: error: c.@schedule_trigger.cron: argument `cron` of \
             @schedule_trigger must be a literal (string, number, boolean, None, or a list/dict of \
             them); found a `*` unpacking",
        ]
    );
    assert_eq!(
        errors[1].labels[0].0.location(),
        "proj/functions/api.py:3:16"
    );
}

#[test]
fn labels_sources_auth_cors_rate_limit_and_attempts_are_typed() {
    let discovery = discover_ok(&[(
        "functions/api.py",
        "@serverless(visibility=\"restricted\", labels={\"team\": \"mail\"}, \
         allow_from_namespaces=[\"web\"], allow_from_pods={\"app\": \"api\"})\n\
         @http_trigger(path=\"/a\", auth=\"api_key\", cors=False, rate_limit=120)\ndef a(r): pass\n\
         @queue_trigger(queue_name=\"q\", max_attempts=7)\ndef b(t): pass\n",
    )]);
    let a = &discovery.functions[0];
    let pairs = |map: &std::collections::BTreeMap<
        crate::yaml::Spanned<String>,
        crate::yaml::Spanned<String>,
    >| {
        map.iter()
            .map(|(k, v)| format!("{}={}", k.value, v.value))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(&a.settings.labels), ["team=mail"]);
    assert_eq!(pairs(&a.settings.allow_from_pods), ["app=api"]);
    assert_eq!(a.settings.allow_from_namespaces[0].value, "web");
    let trigger = http(a);
    assert_eq!(
        trigger.auth.as_ref().map(|a| a.value),
        Some(crate::config::RuntimeAuth::ApiKey)
    );
    assert!(!trigger.cors.value);
    assert_eq!(trigger.rate_limit.as_ref().map(|r| r.value), Some(120));
    let Trigger::Queue(b) = &discovery.functions[1].trigger else {
        panic!("queue trigger expected")
    };
    assert_eq!(b.max_attempts.value, 7);
}

#[test]
fn bad_labels_sources_auth_and_rate_limits_are_located() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@serverless(labels={\"bad key!\": \"x\"}, allow_from_namespaces=[\"Web_NS\"], \
         allow_from_pods={\"app\": 1})\n\
         @http_trigger(auth=\"jwtt\", rate_limit=0, cors=\"no\")\ndef a(r): pass\n",
    )]);
    assert_eq!(
        errors
            .iter()
            .map(|e| (
                e.span.unwrap().location(),
                e.field.clone().unwrap_or_default()
            ))
            .collect::<Vec<_>>(),
        [
            (
                "proj/functions/api.py:1:21".to_string(),
                "a.@serverless.labels".to_string()
            ),
            (
                "proj/functions/api.py:1:62".to_string(),
                "a.@serverless.allow_from_namespaces".to_string()
            ),
            (
                "proj/functions/api.py:1:97".to_string(),
                "a.@serverless.allow_from_pods".to_string()
            ),
            (
                "proj/functions/api.py:2:20".to_string(),
                "a.@http_trigger.auth".to_string()
            ),
            (
                "proj/functions/api.py:2:39".to_string(),
                "a.@http_trigger.rate_limit".to_string()
            ),
            (
                "proj/functions/api.py:2:47".to_string(),
                "a.@http_trigger.cors".to_string()
            ),
        ],
        "{}",
        render(&errors)
    );
    assert_eq!(errors[3].help, ["did you mean \"jwt\"?"]);
    assert!(
        errors[4].message.contains("must be at least 1"),
        "{}",
        errors[4].message
    );
}

#[test]
fn positional_duplicate_and_unpacked_arguments_are_refused() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@serverless(\"256Mi\", **opts)\n@http_trigger(path=\"/a\")\ndef a(r): pass\n",
    )]);
    assert_eq!(
        headlines(&errors),
        [
            "proj/functions/api.py:1:13: error: a.@serverless: @serverless takes keyword \
             arguments only (`name=value`); found a positional argument",
            "proj/functions/api.py:1:22: error: a.@serverless: `**` arguments of @serverless \
             cannot be read without running the code; write each argument as `name=value` with a \
             literal value",
        ]
    );
}

#[test]
fn repeated_keyword_is_refused() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@serverless(cpu=\"1\", cpu=\"2\")\n@http_trigger(path=\"/a\")\ndef a(r): pass\n",
    )]);
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_eq!(
        errors[0].span.unwrap().location(),
        "proj/functions/api.py:1:22"
    );
}

#[test]
fn trigger_rules() {
    let errors = discover_err(&[(
        "functions/api.py",
        "@serverless(memory=\"1Gi\")\ndef lonely(): pass\n\n\
         @http_trigger(path=\"/a\")\n@queue_trigger(queue_name=\"q\")\ndef greedy(r): pass\n\n\
         @serverless\n@serverless\n@http_trigger(path=\"/b\")\ndef twice(r): pass\n\n\
         class Handlers:\n    @http_trigger(path=\"/c\")\n    def method(self, r): pass\n",
    )]);
    assert_eq!(
        headlines(&errors),
        [
            "proj/functions/api.py:2:5: error: lonely: `lonely` has @serverless but no trigger; \
             it needs one of @http_trigger, @queue_trigger or @schedule_trigger",
            "proj/functions/api.py:5:2: error: greedy.@queue_trigger: `greedy` has a second \
             trigger, @queue_trigger, after @http_trigger; a function has exactly one trigger",
            "proj/functions/api.py:9:2: error: twice.@serverless: `twice` has @serverless twice",
            "proj/functions/api.py:15:9: error: method: `method` carries k3s decorators but is not \
             defined at the top level of its module; only module-level functions are discovered",
        ]
    );
    assert_eq!(
        errors[1].labels[0].0.location(),
        "proj/functions/api.py:4:2"
    );
    assert_eq!(
        errors[2].labels[0].0.location(),
        "proj/functions/api.py:8:2"
    );
}

#[test]
fn duplicate_names_across_files_show_both_places() {
    let errors = discover_err(&[
        (
            "functions/a.py",
            "@http_trigger(path=\"/a\")\ndef handler(r): pass\n",
        ),
        (
            "functions/sub/b.py",
            "\n\n@queue_trigger(queue_name=\"q\")\ndef handler(t): pass\n",
        ),
        // Undecorated helpers may share names.
        ("functions/c.py", "def helper(): pass\n"),
        ("functions/d.py", "def helper(): pass\n"),
    ]);
    assert_eq!(
        headlines(&errors),
        [
            "proj/functions/sub/b.py:4:5: error: handler: function `handler` is defined twice; \
          function names must be unique in a project"
        ]
    );
    assert_eq!(errors[0].code, Code::DuplicateFunction);
    assert_eq!(
        errors[0].labels,
        [(errors[0].labels[0].0, "first defined here".to_string())]
    );
    assert_eq!(errors[0].labels[0].0.location(), "proj/functions/a.py:2:5");
}

#[test]
fn functions_py_and_the_functions_tree_are_both_walked_in_a_fixed_order() {
    let files = [
        (
            "functions/z.py",
            "@http_trigger(path=\"/z\")\ndef zeta(r): pass\n",
        ),
        (
            "functions/a/b.py",
            "@http_trigger(path=\"/b\")\ndef beta(r): pass\n",
        ),
        (
            "functions.py",
            "@http_trigger(path=\"/r\")\ndef root(r): pass\n",
        ),
        (
            "functions/__pycache__/x.py",
            "@http_trigger(path=\"/x\")\ndef cached(r): pass\n",
        ),
        (
            "functions/.venv/y.py",
            "@http_trigger(path=\"/y\")\ndef hidden(r): pass\n",
        ),
        (
            "functions/stub.pyi",
            "@http_trigger(path=\"/s\")\ndef stub(r): ...\n",
        ),
    ];
    let names = |discovery: Discovery| -> Vec<(String, PathBuf)> {
        discovery
            .functions
            .into_iter()
            .map(|f| (f.name, f.file))
            .collect()
    };
    let first = names(discover_ok(&files));
    assert_eq!(
        first,
        [
            ("beta".to_string(), PathBuf::from("functions/a/b.py")),
            ("root".to_string(), PathBuf::from("functions.py")),
            ("zeta".to_string(), PathBuf::from("functions/z.py")),
        ]
    );
    assert_eq!(names(discover_ok(&files)), first);

    // Errors are sorted by path (then position), whatever order the files were read in.
    let errors = discover_err(&[
        ("functions/z.py", "def (:\n"),
        ("functions/a/b.py", "def (:\n"),
        ("functions.py", "def (:\n"),
    ]);
    let files: Vec<_> = errors
        .iter()
        .map(|e| e.span.unwrap().source().path.clone())
        .collect();
    assert_eq!(
        files,
        [
            PathBuf::from("proj/functions/a/b.py"),
            PathBuf::from("proj/functions/z.py"),
            PathBuf::from("proj/functions.py"),
        ]
    );
}

#[test]
fn missing_sources_are_an_error_and_no_functions_a_warning() {
    let dir = project(&[("apps.yaml", "version: \"2\"\n")]);
    let errors = discover(dir.path(), Path::new("examples/fn")).unwrap_err();
    assert_eq!(
        headlines(&errors.items),
        [
            "error: no Python functions in examples/fn: expected a `functions/` directory or a \
          `functions.py` file there"
        ]
    );

    let discovery = discover_ok(&[("functions/util.py", "def helper(): pass\n")]);
    assert!(discovery.functions.is_empty());
    assert_eq!(
        headlines(&discovery.warnings.items),
        ["warning: no functions with @serverless or a trigger decorator found in proj"]
    );
}

#[test]
fn invalid_utf8_is_an_error_naming_the_file() {
    let dir = project(&[(
        "functions/ok.py",
        "@http_trigger(path=\"/a\")\ndef a(r): pass\n",
    )]);
    std::fs::write(dir.path().join("functions/latin1.py"), b"x = '\xe9'\n").unwrap();
    let errors = discover(dir.path(), Path::new("proj")).unwrap_err();
    assert_eq!(
        headlines(&errors.items),
        [
            "error: cannot read proj/functions/latin1.py: not valid UTF-8 at line 1, column 6 (byte 5)"
        ]
    );
}
