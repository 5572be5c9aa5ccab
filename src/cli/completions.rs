//! `k3s completions <shell>`: print the shell's registration script for dynamic completion.
//! The script calls back into `k3s` (with `K3S_COMPLETE=<shell>`) at each Tab, so entry and
//! environment names come from the apps.yaml of the current directory (or its nearest parent)
//! at that moment; flags and subcommands are completed from the same clap definitions. This is
//! clap_complete's dynamic engine: one small script per shell instead of five hand-written
//! ones that would shell out to `k3s list -o name`.

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use clap_complete::env::Shells;

use super::{Cli, CommandResult, EXIT_OK, Failure};
use crate::config::{Project, Section, find_apps_yaml};

/// The environment variable the registration script sets when it asks for completions.
pub const VAR: &str = "K3S_COMPLETE";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shell to print completions for
    pub shell: clap_complete::Shell,
}

/// Answers a completion request and exits, when the shell's script made this call.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .complete();
}

pub fn run(args: &Args) -> CommandResult {
    let name = args.shell.to_string();
    let shells = Shells::builtins();
    let shell = shells
        .completer(&name)
        .ok_or_else(|| Failure::Usage(format!("no completions for {name}")))?;
    // The name the binary was run as (`k3s-apps` beside a k3s server, say).
    let bin = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "k3s".to_string());
    let mut script = Vec::new();
    shell.write_registration(VAR, &bin, &bin, &bin, &mut script)?;
    out!("{}", String::from_utf8_lossy(&script));
    Ok(EXIT_OK)
}

/// apps.yaml of the current directory or its nearest parent, if it loads.
fn project() -> Option<Project> {
    let path = find_apps_yaml(&std::env::current_dir().ok()?)?;
    crate::config::load(&path).ok().map(|(project, _)| project)
}

/// Completion candidates: the declared environments.
pub fn environments() -> Vec<CompletionCandidate> {
    project()
        .map(|p| {
            p.environment_names()
                .into_iter()
                .map(CompletionCandidate::new)
                .collect()
        })
        .unwrap_or_default()
}

fn entries(section: Section) -> Vec<CompletionCandidate> {
    project()
        .map(|p| {
            p.entries
                .iter()
                .filter(|e| e.section == section)
                .map(|e| CompletionCandidate::new(e.name.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Completion candidates: the entries of every section.
pub fn all_entries() -> Vec<CompletionCandidate> {
    project()
        .map(|p| {
            p.entries
                .iter()
                .map(|e| CompletionCandidate::new(e.name.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Completion candidates: the `apps:` entries.
pub fn apps() -> Vec<CompletionCandidate> {
    entries(Section::Apps)
}

/// Completion candidates: the `serverless:` entries.
pub fn functions() -> Vec<CompletionCandidate> {
    entries(Section::Serverless)
}

/// Completion candidates: the `compose:` entries.
pub fn compose() -> Vec<CompletionCandidate> {
    entries(Section::Compose)
}
