//! `k3s fn run NAME [FUNCTION…]`: a function project's functions on this machine, each in
//! `python -m k3sfn.runtime` (the runtime k3s carries, written to a cache directory) with the
//! environment its manifests give. Orchestration only: what each function gets is lowering's.
//!
//! - HTTP functions listen on 127.0.0.1, `port_base` + their index among the project's HTTP
//!   functions (the ports Tilt forwards; `--port-base`, else the entry's `port_base`, else
//!   8080); each URL is printed on stdout once the function answers its health check. The
//!   functions' logs (JSON lines) go to stderr.
//! - Queue functions read the Redis/Valkey at `--redis` (default `redis://127.0.0.1:6379`).
//!   Job-mode ones handle one batch and exit, like each Job in the cluster.
//! - Scheduled functions run once, now, with `--once`; without it they are left out.
//! - Each function gets this process's environment without its `K3SFN_*` variables, then the
//!   container's variables as the manifests give them. Those the manifests take from a Secret
//!   or ConfigMap key come from `--set NAME=VALUE`, else this process's environment (same
//!   name), else stay unset (said on stderr); Secrets imported whole (`envFrom`) are not
//!   available. `K3SFN_AUTH_DIR` in this process's environment points the runtime at local
//!   key files; the queue connection (`K3SFN_QUEUE_ADDRESS`, `_DATABASE`, `_TLS`, `_PASSWORD`)
//!   is the `--redis` URL's.
//! - SIGINT/SIGTERM: each function gets SIGTERM (the runtime's graceful stop), then SIGKILL
//!   after its timeout plus 2 s; all are reaped and the exit code is 0. A function that stops
//!   on its own (other than a run-once one) stops the rest: exit 1.
//! - A name that is no function of the entry is an `unknown-function` error (exit 1) listing
//!   the functions there are; a bad `--redis`, nothing left to run, or a Python without the
//!   runtime's requirements are usage errors (exit 2).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{CommandResult, Context, EXIT_INVALID, EXIT_OK, Failure, section};
use crate::config::Section;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::runtime_package::{IMPORTS, pins};
use crate::workload::{EnvFrom, EnvSource, RefKind, Workload};

/// The port HTTP functions start from when neither `--port-base` nor the entry sets one.
const DEFAULT_PORT_BASE: u16 = 8080;
const DEFAULT_REDIS: &str = "redis://127.0.0.1:6379";
/// How long an HTTP function may take to answer its health check after starting.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(50);
/// The queue connection the manifests give; locally the `--redis` URL's instead.
const QUEUE_CONNECTION: &[&str] = &[
    "K3SFN_QUEUE_ADDRESS",
    "K3SFN_QUEUE_DATABASE",
    "K3SFN_QUEUE_TLS",
    "K3SFN_QUEUE_PASSWORD",
];

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The `serverless:` entry's name in apps.yaml
    #[arg(add = clap_complete::ArgValueCandidates::new(super::completions::functions))]
    pub name: String,
    /// Python names (or Kubernetes names) of the functions to run [default: all]
    pub functions: Vec<String>,
    /// Environment whose settings the functions get [default: the first declared]
    #[arg(short, long, add = clap_complete::ArgValueCandidates::new(super::completions::environments))]
    pub env: Option<String>,
    /// Redis or Valkey for queue functions: redis://[:PASSWORD@]HOST[:PORT][/DB], rediss:// for TLS
    #[arg(long, value_name = "URL", default_value = DEFAULT_REDIS)]
    pub redis: String,
    /// Also run the scheduled functions, once, now
    #[arg(long)]
    pub once: bool,
    /// The Python that runs the functions (with the runtime's requirements installed)
    #[arg(long, value_name = "PATH", default_value = "python3")]
    pub python: PathBuf,
    /// First local port of the HTTP functions [default: the entry's port_base, else 8080]
    #[arg(long, value_name = "PORT")]
    pub port_base: Option<u16>,
}

/// What one function needs to be started.
struct Planned {
    name: String,
    trigger: String,
    env: BTreeMap<String, String>,
    /// HTTP functions: the port and the path to print.
    http: Option<(u16, String)>,
    /// Seconds to wait for it to stop after SIGTERM.
    grace: Duration,
}

pub fn run(context: &Context, args: &RunArgs) -> CommandResult {
    let env = section::environment(context, args.env.as_deref())?;
    let plan = section::plan(context, &env)?;
    let entry = section::find(&plan, Section::Serverless, &args.name)?;
    let spec = &plan
        .resolved
        .serverless
        .iter()
        .find(|e| e.name.value == args.name)
        .expect("a planned entry was resolved")
        .spec;
    let project_dir = plan.resolved.dir.join(&spec.path.value);
    let redis = RedisUrl::parse(&args.redis).map_err(Failure::Usage)?;
    let workloads = selected(&args.name, &entry.lowered.workloads, &args.functions)?;
    let base = args
        .port_base
        .or(spec.port_base)
        .unwrap_or(DEFAULT_PORT_BASE);
    let http_index: Vec<&str> = entry
        .lowered
        .workloads
        .iter()
        .filter(|w| trigger(w) == "http")
        .map(|w| w.name.as_str())
        .collect();
    let mut planned = Vec::new();
    for w in workloads {
        let name = function_name(w);
        let trigger = trigger(w);
        if trigger == "schedule" && !args.once {
            eprintln!("k3s fn run: `{name}` is scheduled; --once runs it now");
            continue;
        }
        let http = match trigger {
            "http" => {
                let index = http_index.iter().position(|n| *n == w.name).unwrap_or(0);
                let port = u16::try_from(index)
                    .ok()
                    .and_then(|i| base.checked_add(i))
                    .ok_or_else(|| {
                        Failure::Usage(format!("port base {base} leaves no port for `{name}`"))
                    })?;
                Some((port, served_path(w)))
            }
            _ => None,
        };
        planned.push(Planned {
            env: local_env(context, w, &plan.resolved.namespace, &redis, http.as_ref()),
            grace: Duration::from_secs(timeout(w).unwrap_or(30) + 2),
            name,
            trigger: trigger.to_string(),
            http,
        });
    }
    if planned.is_empty() {
        return Err(Failure::Usage(
            "nothing to run: the functions selected are scheduled (add --once)".to_string(),
        ));
    }
    // A path is relative to here, not to the project directory the functions run in.
    let python = if args.python.components().count() > 1 && args.python.is_relative() {
        std::env::current_dir()?.join(&args.python)
    } else {
        args.python.clone()
    };
    check_python(&python)?;
    let runtime = runtime_dir()?;
    start(&planned, &python, &runtime, &project_dir, &redis)
}

/// The workloads named on the command line (Python or Kubernetes names), or all; every name
/// that is neither is an `unknown-function` error listing the functions there are.
fn selected<'a>(
    entry: &str,
    workloads: &'a [Workload],
    names: &[String],
) -> Result<Vec<&'a Workload>, Failure> {
    if names.is_empty() {
        return Ok(workloads.iter().collect());
    }
    let known: Vec<String> = workloads.iter().map(function_name).collect();
    let mut out = Vec::new();
    let mut diagnostics = Diagnostics::new();
    for name in names {
        let found = workloads
            .iter()
            .find(|w| function_name(w) == *name || w.name == *name);
        match found {
            Some(w) if out.iter().any(|seen: &&Workload| seen.name == w.name) => {}
            Some(w) => out.push(w),
            None => {
                let mut d = Diagnostic::error(
                    Code::UnknownFunction,
                    format!("the `serverless` entry `{entry}` has no function `{name}`"),
                );
                if let Some(close) = did_you_mean(name, known.iter().map(String::as_str)) {
                    d = d.help(format!("did you mean `{close}`?"));
                }
                diagnostics.push(d.help(format!("functions: {}", known.join(", "))));
            }
        }
    }
    if diagnostics.has_errors() {
        return Err(Failure::Invalid(diagnostics));
    }
    Ok(out)
}

fn literal<'a>(w: &'a Workload, name: &str) -> Option<&'a str> {
    w.main_container().env.iter().find_map(|v| match &v.value {
        EnvSource::Literal(text) if v.name == name => Some(text.as_str()),
        _ => None,
    })
}

fn function_name(w: &Workload) -> String {
    literal(w, "K3SFN_FUNCTION").unwrap_or(&w.name).to_string()
}

fn trigger(w: &Workload) -> &str {
    literal(w, "K3SFN_TRIGGER").unwrap_or_default()
}

fn timeout(w: &Workload) -> Option<u64> {
    literal(w, "K3SFN_TIMEOUT").and_then(|t| t.parse().ok())
}

/// The first path the function serves, as a URL path (templates kept).
fn served_path(w: &Workload) -> String {
    literal(w, "K3SFN_HTTP_PATHS")
        .and_then(|paths| paths.split(',').next())
        .unwrap_or("/")
        .to_string()
}

/// The container's environment as the manifests give it, with what stands in for the cluster.
fn local_env(
    context: &Context,
    w: &Workload,
    namespace: &str,
    redis: &RedisUrl,
    http: Option<&(u16, String)>,
) -> BTreeMap<String, String> {
    let process = &context.inputs.process_env;
    // The contract is what the manifests say: none of the caller's own K3SFN_* variables.
    let mut env: BTreeMap<String, String> = process
        .iter()
        .filter(|(name, _)| !name.starts_with("K3SFN_"))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let name = function_name(w);
    let queue = trigger(w) == "queue";
    let mut missing = Vec::new();
    for var in &w.main_container().env {
        if queue && QUEUE_CONNECTION.contains(&var.name.as_str()) {
            continue;
        }
        let value = match &var.value {
            EnvSource::Literal(text) => Some(text.clone()),
            EnvSource::SecretKey { .. } | EnvSource::ConfigMapKey { .. } => context
                .inputs
                .set
                .get(&var.name)
                .or_else(|| process.get(&var.name))
                .cloned(),
            EnvSource::Field(path) => match path.as_str() {
                "metadata.name" => Some(format!("{}-local", w.name)),
                "metadata.namespace" => Some(namespace.to_string()),
                "status.podIP" | "status.hostIP" => Some("127.0.0.1".to_string()),
                "spec.nodeName" => Some("localhost".to_string()),
                _ => None,
            },
        };
        match value {
            Some(value) => {
                env.insert(var.name.clone(), value);
            }
            None => {
                env.remove(&var.name);
                missing.push(describe(&var.name, &var.value));
            }
        }
    }
    if !missing.is_empty() {
        eprintln!(
            "k3s fn run: `{name}`: unset (set them in the environment or with --set NAME=VALUE): {}",
            missing.join(", ")
        );
    }
    for from in &w.main_container().env_from {
        eprintln!(
            "k3s fn run: `{name}`: {} is not imported locally; set its keys in the environment",
            imported(from)
        );
    }
    // The auth Secret is a mount in the cluster; local key files win when named.
    match (process.get("K3SFN_AUTH_DIR"), literal(w, "K3SFN_AUTH")) {
        (Some(dir), _) => {
            env.insert("K3SFN_AUTH_DIR".to_string(), dir.clone());
        }
        (None, Some(auth @ ("api_key" | "jwt"))) => eprintln!(
            "k3s fn run: `{name}` authenticates ({auth}) with the keys in {}: set \
             K3SFN_AUTH_DIR to a directory holding api-key, jwks.json or jwt-key",
            literal(w, "K3SFN_AUTH_DIR").unwrap_or("K3SFN_AUTH_DIR")
        ),
        _ => {}
    }
    if let Some((port, _)) = http {
        env.insert("PORT".to_string(), port.to_string());
        env.insert("K3SFN_HTTP_HOST".to_string(), "127.0.0.1".to_string());
    }
    if queue {
        env.insert("K3SFN_QUEUE_ADDRESS".to_string(), redis.address.clone());
        if let Some(db) = redis.database {
            env.insert("K3SFN_QUEUE_DATABASE".to_string(), db.to_string());
        }
        if redis.tls {
            env.insert("K3SFN_QUEUE_TLS".to_string(), "true".to_string());
        }
        if let Some(password) = &redis.password {
            env.insert("K3SFN_QUEUE_PASSWORD".to_string(), password.clone());
        }
    }
    env.insert("PYTHONUNBUFFERED".to_string(), "1".to_string());
    env.insert("PYTHONDONTWRITEBYTECODE".to_string(), "1".to_string());
    env
}

fn describe(name: &str, source: &EnvSource) -> String {
    match source {
        EnvSource::SecretKey {
            name: secret, key, ..
        } => {
            format!("{name} (Secret {secret}, key {key})")
        }
        EnvSource::ConfigMapKey { name: map, key, .. } => {
            format!("{name} (ConfigMap {map}, key {key})")
        }
        EnvSource::Field(path) => format!("{name} (field {path})"),
        EnvSource::Literal(_) => name.to_string(),
    }
}

fn imported(from: &EnvFrom) -> String {
    let kind = match from.kind {
        RefKind::Secret => "Secret",
        RefKind::ConfigMap => "ConfigMap",
    };
    format!("{kind} `{}` (envFrom)", from.name)
}

/// `redis://[user][:password@]host[:port][/db]`, `rediss://` for TLS.
#[derive(Debug, PartialEq)]
struct RedisUrl {
    address: String,
    database: Option<u32>,
    tls: bool,
    password: Option<String>,
}

impl RedisUrl {
    fn parse(url: &str) -> Result<RedisUrl, String> {
        let bad =
            |why: &str| format!("--redis {url}: {why} (redis://[:PASSWORD@]HOST[:PORT][/DB])");
        let (tls, rest) = if let Some(rest) = url.strip_prefix("rediss://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("redis://") {
            (false, rest)
        } else {
            return Err(bad("not a redis:// or rediss:// URL"));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, authority),
        };
        let password = credentials
            .map(|c| c.split_once(':').map_or(c, |(_, password)| password))
            .filter(|p| !p.is_empty())
            .map(str::to_string);
        if host_port.is_empty() {
            return Err(bad("no host"));
        }
        let address = match host_port.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                host_port.to_string()
            }
            Some(_) => return Err(bad("the port is not a number")),
            None => format!("{host_port}:6379"),
        };
        let database = match path {
            "" => None,
            db => Some(
                db.parse()
                    .map_err(|_| bad("the database is not a number"))?,
            ),
        };
        Ok(RedisUrl {
            address,
            database,
            tls,
            password,
        })
    }

    /// The URL as printed: without the password.
    fn shown(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let db = self
            .database
            .map_or_else(String::new, |db| format!("/{db}"));
        format!("{scheme}://{}{db}", self.address)
    }
}

/// The runtime's requirements must be importable by `python`; else say what to install.
fn check_python(python: &Path) -> Result<(), Failure> {
    let script = "import importlib.util, sys\n\
                  missing = [m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]\n\
                  print(' '.join(missing))\n\
                  sys.exit(3 if missing else 0)\n";
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(IMPORTS)
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) => {
            return Err(Failure::Usage(format!(
                "cannot run {} ({error}): give a Python 3.9 or newer with --python",
                python.display()
            )));
        }
    };
    if output.status.success() {
        return Ok(());
    }
    let missing = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let quoted: Vec<String> = pins().iter().map(|pin| format!("'{pin}'")).collect();
    let what = if output.status.code() == Some(3) && !missing.is_empty() {
        format!("{} cannot import {missing}", python.display())
    } else {
        format!(
            "{} failed to check its modules: {}",
            python.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
    };
    Err(Failure::Usage(format!(
        "{what}, which the k3sfn runtime needs; install the versions it is tested with:\n  \
         {} -m pip install {}",
        python.display(),
        quoted.join(" ")
    )))
}

/// The carried runtime unpacked in the user's cache directory (written once, then reused).
fn runtime_dir() -> Result<PathBuf, Failure> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let dir = crate::emit::unpack_runtime(&cache).map_err(|error| {
        anyhow::anyhow!(
            "writing the k3sfn runtime under {}: {error}",
            cache.display()
        )
    })?;
    Ok(dir)
}

struct Running<'a> {
    planned: &'a Planned,
    child: Child,
    /// HTTP functions not yet answering their health check.
    starting: bool,
    exited: Option<i32>,
}

fn start(
    planned: &[Planned],
    python: &Path,
    runtime: &Path,
    project_dir: &Path,
    redis: &RedisUrl,
) -> CommandResult {
    signals::install();
    eprintln!(
        "k3s fn run: {} with the k3sfn runtime from {}",
        python.display(),
        runtime.display()
    );
    let python_path = match std::env::var_os("PYTHONPATH") {
        Some(existing) if !existing.is_empty() => {
            let mut joined = runtime.as_os_str().to_os_string();
            joined.push(":");
            joined.push(existing);
            joined
        }
        _ => runtime.as_os_str().to_os_string(),
    };
    let mut running: Vec<Running> = Vec::new();
    for p in planned {
        let mut command = Command::new(python);
        command
            .args(["-m", "k3sfn.runtime"])
            .current_dir(project_dir)
            .env_clear()
            .envs(&p.env)
            .env("PYTHONPATH", &python_path)
            .stdin(Stdio::null())
            // Logs go to stderr: stdout holds only the URLs, for scripts.
            .stdout(std::io::stderr());
        signals::own_group(&mut command);
        match command.spawn() {
            Ok(child) => {
                if p.trigger == "queue" {
                    eprintln!("k3s fn run: `{}` reads {}", p.name, redis.shown());
                }
                running.push(Running {
                    planned: p,
                    child,
                    starting: p.http.is_some(),
                    exited: None,
                });
            }
            Err(error) => {
                stop(&mut running);
                return Err(Failure::Io(anyhow::anyhow!(
                    "starting `{}` with {}: {error}",
                    p.name,
                    python.display()
                )));
            }
        }
    }
    let started = Instant::now();
    let mut failed = false;
    loop {
        if let Some(signal) = signals::received() {
            eprintln!("k3s fn run: {signal}: stopping");
            stop(&mut running);
            return Ok(EXIT_OK);
        }
        for r in running.iter_mut().filter(|r| r.exited.is_none()) {
            if let Ok(Some(status)) = r.child.try_wait() {
                let code = status.code().unwrap_or(-1);
                r.exited = Some(code);
                let runs_once = runs_once(r.planned);
                if runs_once && code == 0 {
                    eprintln!("k3s fn run: `{}` finished", r.planned.name);
                } else {
                    eprintln!("k3s fn run: `{}` exited with code {code}", r.planned.name);
                    failed = true;
                    if !runs_once {
                        stop(&mut running);
                        return Ok(EXIT_INVALID);
                    }
                }
                break;
            }
            if r.starting
                && let Some((port, path)) = &r.planned.http
            {
                if healthy(*port) {
                    r.starting = false;
                    println!("{}  http://127.0.0.1:{port}{path}", r.planned.name);
                    let _ = std::io::stdout().flush();
                } else if started.elapsed() > STARTUP_LIMIT {
                    eprintln!(
                        "k3s fn run: `{}` did not answer on port {port} within {}s",
                        r.planned.name,
                        STARTUP_LIMIT.as_secs()
                    );
                    stop(&mut running);
                    return Ok(EXIT_INVALID);
                }
            }
        }
        if running.iter().all(|r| r.exited.is_some()) {
            return Ok(if failed { EXIT_INVALID } else { EXIT_OK });
        }
        std::thread::sleep(POLL);
    }
}

/// Scheduled functions and queue jobs handle one run and exit.
fn runs_once(p: &Planned) -> bool {
    p.trigger == "schedule"
        || (p.trigger == "queue"
            && p.env.get("K3SFN_QUEUE_MODE").map(String::as_str) == Some("job"))
}

/// SIGTERM to every function still running, SIGKILL after its grace, every child reaped.
fn stop(running: &mut [Running]) {
    let asked = Instant::now();
    for r in running.iter_mut().filter(|r| r.exited.is_none()) {
        signals::terminate(&r.child);
    }
    for r in running.iter_mut().filter(|r| r.exited.is_none()) {
        loop {
            match r.child.try_wait() {
                Ok(Some(status)) => {
                    r.exited = Some(status.code().unwrap_or(-1));
                    break;
                }
                Ok(None) if asked.elapsed() < r.planned.grace => std::thread::sleep(POLL),
                _ => {
                    eprintln!(
                        "k3s fn run: `{}` did not stop within {}s: killed",
                        r.planned.name,
                        r.planned.grace.as_secs()
                    );
                    let _ = r.child.kill();
                    let _ = r.child.wait();
                    r.exited = Some(-1);
                    break;
                }
            }
        }
    }
}

/// Whether the runtime on `port` answers `GET /_k3sfn/health` with 200.
fn healthy(port: u16) -> bool {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /_k3sfn/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    head.starts_with(b"HTTP/1.") && head.get(9..12) == Some(b"200")
}

#[cfg(unix)]
mod signals {
    //! SIGINT/SIGTERM noted for the main loop; children in their own process group (so the
    //! terminal's Ctrl-C reaches only k3s, which stops them in order) and, on Linux, told to
    //! stop should k3s die first.

    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command};
    use std::sync::atomic::{AtomicI32, Ordering};

    static RECEIVED: AtomicI32 = AtomicI32::new(0);

    extern "C" fn note(signal: libc::c_int) {
        RECEIVED.store(signal, Ordering::SeqCst);
    }

    pub fn install() {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = note as extern "C" fn(libc::c_int) as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }

    pub fn received() -> Option<&'static str> {
        match RECEIVED.load(Ordering::SeqCst) {
            0 => None,
            libc::SIGINT => Some("SIGINT"),
            _ => Some("SIGTERM"),
        }
    }

    pub fn own_group(command: &mut Command) {
        command.process_group(0);
        #[cfg(target_os = "linux")]
        // SAFETY: prctl is async-signal-safe and touches only the child being started.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
    }

    pub fn terminate(child: &Child) {
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: sends a signal to our own child, which has not been reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
    }
}

#[cfg(not(unix))]
mod signals {
    //! Without Unix signals: children are killed when stopping.

    use std::process::{Child, Command};

    pub fn install() {}

    pub fn received() -> Option<&'static str> {
        None
    }

    pub fn own_group(_: &mut Command) {}

    pub fn terminate(_: &Child) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls() {
        assert_eq!(
            RedisUrl::parse("redis://127.0.0.1:6390").unwrap(),
            RedisUrl {
                address: "127.0.0.1:6390".into(),
                database: None,
                tls: false,
                password: None,
            }
        );
        let full = RedisUrl::parse("rediss://user:s3cret@valkey.example:6380/2").unwrap();
        assert_eq!(
            (full.address.as_str(), full.database, full.tls),
            ("valkey.example:6380", Some(2), true)
        );
        assert_eq!(full.password.as_deref(), Some("s3cret"));
        assert_eq!(full.shown(), "rediss://valkey.example:6380/2");
        assert_eq!(
            RedisUrl::parse("redis://:pw@localhost").unwrap().address,
            "localhost:6379"
        );
        for bad in [
            "localhost:6379",
            "redis://",
            "redis://h:port",
            "redis://h/x",
        ] {
            assert!(RedisUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
