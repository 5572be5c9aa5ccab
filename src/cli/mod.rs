//! Command-line interface: clap definitions and one file per command. Orchestration only:
//! commands call the pipeline and print; they hold no apps.yaml logic of their own.

/// `print!` for command output: a closed pipe (`k3s … | head`) ends the process quietly.
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::write_stdout(&format!($($arg)*)) };
}

/// `println!` for command output; see [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::cli::write_stdout(&format!("{}\n", format_args!($($arg)*))) };
}

mod app;
mod build_plan;
mod colour;
mod completions;
mod compose;
mod diff;
mod function;
mod function_run;
mod generate;
mod list;
mod schema;
mod section;
mod validate;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{FILE_NAME, Project, find_apps_yaml};
use crate::diagnostic::Diagnostics;
use crate::resolve::Inputs;

/// Exit codes (also in the README): success, invalid input or drift, usage or I/O error.
pub const EXIT_OK: u8 = 0;
pub const EXIT_INVALID: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "k3s",
    version,
    about = "Every Kubernetes manifest of an environment from one apps.yaml (schema v2)",
    long_about = "Every Kubernetes manifest of an environment from one apps.yaml (schema v2), \
                  as an Argo CD GitOps tree.\n\nExit codes: 0 success, 1 invalid input or drift \
                  found, 2 usage or I/O error.",
    after_help = "Examples:\n  k3s validate\n  k3s generate --check\n  k3s -f examples/shop/apps.yaml \
                  list -o json\n  k3s app generate api --env gcp"
)]
pub struct Cli {
    /// apps.yaml to read [default: apps.yaml in the current directory or the nearest parent]
    #[arg(short = 'f', long = "file", global = true, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Set a variable for `${VAR}` (wins over the environment and apps.yaml); repeatable
    #[arg(long = "set", global = true, value_name = "VAR=VALUE", value_parser = parse_key_value)]
    pub set: Vec<(String, String)>,

    /// Print no warnings (errors are still printed; --warnings-as-errors still counts them)
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Exit 1 when there is any warning, as for an invalid apps.yaml (for CI)
    #[arg(long, global = true)]
    pub warnings_as_errors: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check apps.yaml and everything it generates, for every environment (or those named)
    #[command(
        after_help = "Examples:\n  k3s validate\n  k3s validate --env gcp -o json\n  k3s validate --warnings-as-errors\n  k3s validate --env gcp --cluster --context staging"
    )]
    Validate(validate::Args),
    /// Write every environment's Argo CD tree (or check it is up to date, or print it)
    #[command(
        after_help = "Examples:\n  k3s generate\n  k3s generate --env gcp --output-dir /tmp/tree\n  k3s generate --check -v\n  k3s generate --env dev -o yaml | kubectl apply -f -\n  k3s generate --env gcp --images tags-gcp.env",
        mut_arg("output_dir", |a| a.help("Root of the tree; files go under DIR/<env>/ [default: argocd-state/ beside apps.yaml]")),
        mut_arg("output", |a| a.help("Print instead of writing, in this format (only `yaml`: the same as --stdout)"))
    )]
    Generate(generate::Args),
    /// What applying an environment would change on the cluster of the current kubeconfig
    /// (server-side-apply dry run, unified diff; needs a build with the `cluster` feature)
    #[command(
        long_about = "What applying an environment would change on the cluster of the current \
                      kubeconfig: a server-side-apply dry run of every object `generate --stdout` \
                      prints, then a unified diff of the live object and the result, like \
                      `kubectl diff`.\n\nExit codes: 0 nothing would change, 1 something would \
                      (or the cluster refuses an object), 2 the cluster cannot be reached or this \
                      k3s was built without the `cluster` feature.",
        after_help = "Examples:\n  k3s diff --env gcp\n  k3s diff --env dev --only api,worker\n  k3s diff --env gcp --context prod -o json\n  KUBECONFIG=~/.kube/staging k3s diff --env gcp --image api=1.4.0"
    )]
    Diff(diff::Args),
    /// List the entries of apps.yaml with their section, namespace and state per environment
    #[command(
        after_help = "Examples:\n  k3s list\n  k3s list --env gcp -o json\n  k3s list -o name"
    )]
    List(list::Args),
    /// Traditional apps: one app's manifests, or the apps of an environment
    #[command(subcommand)]
    #[command(
        after_help = "Examples:\n  k3s app list --env gcp\n  k3s app generate api --env gcp\n  k3s app generate api --output-dir out"
    )]
    App(app::AppCommand),
    /// Serverless functions: a project's functions, its manifests and Dockerfile, or running them
    /// locally
    #[command(subcommand, name = "fn")]
    #[command(
        after_help = "Examples:\n  k3s fn list fns -o json\n  k3s fn generate fns --output-dir out\n  k3s fn run fns"
    )]
    Fn(function::FnCommand),
    /// Compose projects: one entry's manifests, conversion of compose files, a starting entry,
    /// the parsed model
    #[command(
        after_help = "Examples:\n  k3s compose generate shop --env gcp\n  k3s compose convert compose.yaml --output-dir out\n  k3s compose init . --name shop\n  k3s compose parse . -o json"
    )]
    Compose(compose::Args),
    /// Every image an environment builds, as JSON for CI and Tilt
    #[command(
        after_help = "Examples:\n  k3s build-plan --env gcp > plan.json\n  k3s build-plan --env dev -o table\n  k3s build-plan --env gcp -o name"
    )]
    BuildPlan(build_plan::Args),
    /// Print the JSON Schema of apps.yaml
    #[command(after_help = "Examples:\n  k3s schema > schemas/apps-schema.json")]
    Schema,
    /// Print shell completions
    #[command(
        after_help = "Examples:\n  source <(k3s completions bash)\n  k3s completions zsh > ~/.zfunc/_k3s\n  k3s completions fish > ~/.config/fish/completions/k3s.fish"
    )]
    Completions(completions::Args),
}

/// `-o/--output` of `validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Diagnostics as text on stderr
    #[default]
    Text,
    /// One JSON document on stdout
    Json,
}

/// `-o/--output` of the listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    /// Aligned columns
    #[default]
    Table,
    /// One JSON document, stable for scripts
    Json,
    /// Only the names, one a line
    Name,
}

/// `-o/--output` of a command that prints manifests: `yaml` prints them. A directory to write
/// into is `--output-dir DIR` (Helm's name); the other format names are errors, never a folder
/// named `json`. Any other value is a directory, as `--output DIR` meant before `--output-dir`
/// existed: scripts written then keep working, with a warning (see [`output_dir`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestFormat {
    Yaml,
    /// `--output DIR`, the old spelling of `--output-dir DIR`.
    Directory(PathBuf),
}

/// Format names `-o` takes on some command; on a manifest command only `yaml` prints.
const FORMAT_NAMES: &[&str] = &["yaml", "json", "table", "name", "wide"];

pub(crate) fn parse_manifest_format(text: &str) -> Result<ManifestFormat, String> {
    match text {
        "yaml" => Ok(ManifestFormat::Yaml),
        format if FORMAT_NAMES.contains(&format) => Err(
            "this command prints only `yaml`; to write files under a directory use --output-dir DIR"
                .to_string(),
        ),
        dir => Ok(ManifestFormat::Directory(PathBuf::from(dir))),
    }
}

impl ManifestFormat {
    /// Whether the manifests are printed rather than written.
    pub fn prints(output: &Option<ManifestFormat>) -> bool {
        matches!(output, Some(ManifestFormat::Yaml))
    }
}

/// `--output-dir DIR` and `-o FORMAT` of every command that prints or writes manifests. What
/// lands under DIR differs per command: each sets its `--output-dir` help with
/// `mut_arg("output_dir", …)`.
#[derive(Debug, Clone, clap::Args)]
pub struct ManifestOutput {
    /// Write the files under DIR instead of printing
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Format of what is printed (only `yaml`; a directory is --output-dir)
    #[arg(short, long, value_name = "FORMAT", value_parser = parse_manifest_format,
          conflicts_with = "output_dir")]
    pub output: Option<ManifestFormat>,
}

impl ManifestOutput {
    /// Whether the manifests are printed in a format rather than written.
    pub fn prints(&self) -> bool {
        ManifestFormat::prints(&self.output)
    }

    /// The directory to write into: `--output-dir`, else the old `--output DIR` (said once).
    pub fn dir(&self) -> Option<PathBuf> {
        output_dir(&self.output_dir, &self.output)
    }
}

/// The directory to write into: `--output-dir`, else the old `--output DIR` (said once).
fn output_dir(output_dir: &Option<PathBuf>, output: &Option<ManifestFormat>) -> Option<PathBuf> {
    match (output_dir, output) {
        (Some(dir), _) => Some(dir.clone()),
        (None, Some(ManifestFormat::Directory(dir))) => {
            eprintln!(
                "warning: --output {} is read as --output-dir {0}: -o/--output is a format (`yaml`); write --output-dir",
                dir.display()
            );
            Some(dir.clone())
        }
        _ => None,
    }
}

pub(crate) fn parse_key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected VAR=VALUE, got `{text}`"))
}

/// Runs the command line of this process.
pub fn main() -> ExitCode {
    completions::complete_if_asked();
    let cli = Cli::parse();
    let code = run(cli);
    if std::env::var_os("K3S_REPORT_PEAK_MEMORY").is_some() {
        report_peak_memory();
    }
    ExitCode::from(code)
}

/// For the benchmark: the process's peak resident memory, from Linux's `/proc/self/status`.
fn report_peak_memory() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kib) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().trim_end_matches("kB").trim().to_string())
    {
        eprintln!("peak-memory-kib: {kib}");
    }
}

/// `--quiet`: warnings are counted but not printed.
static QUIET: AtomicBool = AtomicBool::new(false);
/// Warnings reported so far (printed or not), for `--warnings-as-errors`.
static WARNINGS: AtomicUsize = AtomicUsize::new(0);

/// Counts the warnings among `diagnostics` for `--warnings-as-errors`; every command that
/// reports diagnostics (as text or JSON) passes them here.
pub fn count_warnings(diagnostics: &Diagnostics) {
    let warnings = diagnostics.items.len() - diagnostics.error_count();
    WARNINGS.fetch_add(warnings, Ordering::Relaxed);
}

/// Whether the command reads apps.yaml (or compose files) and so `${VAR}` references.
fn reads_variables(command: &Command) -> bool {
    !matches!(command, Command::Schema | Command::Completions(_))
}

/// Whether the command was asked for JSON on stdout: then failures are JSON there too.
fn json_output(command: &Command) -> bool {
    match command {
        Command::Validate(args) => args.output == Format::Json,
        Command::Diff(args) => args.output == Format::Json,
        Command::List(args) => args.output == ListFormat::Json,
        Command::App(app::AppCommand::List { output, .. }) => *output == ListFormat::Json,
        Command::Fn(function::FnCommand::List { output, .. }) => *output == ListFormat::Json,
        Command::BuildPlan(args) => args.output == build_plan::PlanFormat::Json,
        Command::Compose(args) => matches!(
            &args.command,
            compose::ComposeCommand::Parse(p) if p.output == compose::ModelFormat::Json
        ),
        _ => false,
    }
}

/// `--set NAME=…` whose NAME no reference asked for: a warning, with the closest name that
/// was asked for.
fn unused_set_variables(set: &[(String, String)]) -> Diagnostics {
    let referenced = crate::interpolate::referenced_names();
    let mut diagnostics = Diagnostics::new();
    for (name, _) in set {
        if referenced.contains(name) {
            continue;
        }
        let mut d = crate::diagnostic::Diagnostic::warning(
            crate::diagnostic::Code::UnusedVariable,
            format!("--set {name}=…: no `${{{name}}}` in what was read uses it"),
        );
        if let Some(s) =
            crate::diagnostic::did_you_mean(name, referenced.iter().map(String::as_str))
        {
            d = d.help(format!("did you mean `{s}`?"));
        }
        diagnostics.push(d);
    }
    diagnostics
}

/// Runs parsed arguments; returns the exit code.
pub fn run(cli: Cli) -> u8 {
    QUIET.store(cli.quiet, Ordering::Relaxed);
    // A given -f that is not a file is an error for every command, also those that do not
    // read it (`schema`), so a typo in a script never passes unnoticed.
    if let Some(file) = &cli.file
        && !file.is_file()
    {
        eprintln!("error: -f/--file {} does not exist", file.display());
        return EXIT_USAGE;
    }
    let json = json_output(&cli.command);
    let reads_variables = reads_variables(&cli.command);
    let context = Context {
        file: cli.file.clone(),
        inputs: Inputs::from_process(cli.set.iter().cloned().collect::<BTreeMap<_, _>>()),
    };
    let result = match cli.command {
        Command::Validate(args) => validate::run(&context, &args),
        Command::Generate(args) => generate::run(&context, &args),
        Command::Diff(args) => diff::run(&context, &args),
        Command::List(args) => list::run(&context, &args),
        Command::Compose(args) => compose::run(&context, &args),
        Command::App(command) => app::run(&context, &command),
        Command::Fn(command) => function::run(&context, &command),
        Command::BuildPlan(args) => build_plan::run(&context, &args),
        Command::Schema => schema::run(),
        Command::Completions(args) => completions::run(&args),
    };
    let code = match result {
        Ok(code) => {
            if reads_variables {
                print_diagnostics(&unused_set_variables(&cli.set));
            }
            code
        }
        Err(Failure::Invalid(diagnostics)) if json => {
            print_diagnostics(&diagnostics);
            print_json_diagnostics(
                diagnostics
                    .clone()
                    .sorted()
                    .items
                    .iter()
                    .map(|d| d.to_json()),
            );
            diagnostics.exit_code().max(EXIT_INVALID)
        }
        Err(Failure::Invalid(diagnostics)) => {
            print_diagnostics(&diagnostics);
            diagnostics.exit_code().max(EXIT_INVALID)
        }
        Err(Failure::Usage(message)) if json => {
            eprintln!("error: {message}");
            print_json_diagnostics(std::iter::once(bare_json_error(&message)));
            EXIT_USAGE
        }
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            EXIT_USAGE
        }
        Err(Failure::Io(error)) if json => {
            eprintln!("error: {error:#}");
            print_json_diagnostics(std::iter::once(bare_json_error(&format!("{error:#}"))));
            EXIT_USAGE
        }
        Err(Failure::Io(error)) => {
            eprintln!("error: {error:#}");
            EXIT_USAGE
        }
    };
    let warnings = WARNINGS.load(Ordering::Relaxed);
    if cli.warnings_as_errors && warnings > 0 && code == EXIT_OK {
        eprintln!(
            "error: {warnings} warning{} and --warnings-as-errors",
            if warnings == 1 { "" } else { "s" }
        );
        return EXIT_INVALID;
    }
    code
}

/// A failure without a place (usage, I/O) in the shape of a diagnostic's JSON.
fn bare_json_error(message: &str) -> serde_json::Value {
    serde_json::json!({
        "severity": "error",
        "code": null,
        "message": message,
        "file": null,
        "line": null,
        "column": null,
        "field": null,
        "help": [],
    })
}

/// `{"diagnostics": [...]}` on stdout: what a command asked for JSON prints when it fails (the
/// same diagnostics go to stderr as text, for whoever reads that: Tilt shows it).
fn print_json_diagnostics(items: impl Iterator<Item = serde_json::Value>) {
    let json = serde_json::json!({ "diagnostics": items.collect::<Vec<_>>() });
    outln!(
        "{}",
        serde_json::to_string_pretty(&json).expect("JSON serializes")
    );
}

/// How a command failed, which decides the exit code.
pub enum Failure {
    /// apps.yaml (or a file it names) is wrong, or could not be read: the diagnostics' codes
    /// decide the exit code (1 for invalid input, 2 for I/O).
    Invalid(Diagnostics),
    /// The command line is wrong: exit 2.
    Usage(String),
    /// Reading or writing failed: exit 2.
    Io(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Failure {
        Failure::Io(error)
    }
}

/// An output-tree problem: its code's class (I/O) decides the exit code, 2.
impl From<crate::emit::EmitError> for Failure {
    fn from(error: crate::emit::EmitError) -> Failure {
        let mut diagnostics = Diagnostics::new();
        diagnostics.push(error.to_diagnostic());
        Failure::Invalid(diagnostics)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Failure {
        Failure::Io(error.into())
    }
}

pub type CommandResult = Result<u8, Failure>;

/// What every command needs: where apps.yaml is and the variables given from outside.
pub struct Context {
    pub file: Option<PathBuf>,
    pub inputs: Inputs,
}

impl Context {
    /// Loads apps.yaml. Problems that stop everything (unreadable, not YAML) fail here; other
    /// problems are returned with the project so a command can report them with its own.
    pub fn load(&self) -> Result<(Project, Diagnostics), Failure> {
        let path = match &self.file {
            Some(path) => path.clone(),
            None => {
                let cwd = std::env::current_dir()?;
                find_apps_yaml(&cwd).ok_or_else(|| {
                    Failure::Usage(format!(
                        "no {FILE_NAME} in {} or any parent directory (use -f PATH)",
                        cwd.display()
                    ))
                })?
            }
        };
        if !path.is_file() {
            return Err(Failure::Usage(format!("{} does not exist", path.display())));
        }
        crate::config::load(&path).map_err(Failure::Invalid)
    }
}

/// Writes command output to stdout. A reader that went away (`| head`) is not an error: the
/// process exits 0 at once, as ripgrep does.
pub fn write_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to stdout: {e}");
        std::process::exit(i32::from(EXIT_USAGE));
    }
}

/// Prints diagnostics to stderr, errors first, with a count; warnings not under `--quiet`.
pub fn print_diagnostics(diagnostics: &Diagnostics) {
    count_warnings(diagnostics);
    let mut sorted = diagnostics.clone().sorted();
    if QUIET.load(Ordering::Relaxed) {
        sorted.items.retain(|d| d.is_error());
    }
    let mut stderr = std::io::stderr().lock();
    let rendered = sorted.render();
    let rendered = if colour::stderr() {
        colour::diagnostics(&rendered)
    } else {
        rendered
    };
    let _ = stderr.write_all(rendered.as_bytes());
    let errors = sorted.error_count();
    let warnings = sorted.items.len() - errors;
    if errors > 0 {
        let _ = writeln!(
            stderr,
            "{errors} error{}{}",
            if errors == 1 { "" } else { "s" },
            if warnings > 0 {
                format!(
                    ", {warnings} warning{}",
                    if warnings == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command's help has an `Examples:` section and every argument a description.
    #[test]
    fn every_help_has_examples_and_every_argument_a_description() {
        fn walk(command: &clap::Command, path: &str, problems: &mut Vec<String>) {
            let has_examples = command
                .get_after_help()
                .is_some_and(|h| h.to_string().contains("Examples:"));
            if !has_examples {
                problems.push(format!("`{path}` has no Examples:"));
            }
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if arg.get_help().is_none() && arg.get_long_help().is_none() {
                    problems.push(format!("`{path}` argument `{id}` has no description"));
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), problems);
            }
        }
        let mut problems = Vec::new();
        walk(&super::Cli::command(), "k3s", &mut problems);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
