//! `k3s completions <shell>`: print the shell's registration script for dynamic completion.
//! The script calls back into `k3s` (with `K3S_COMPLETE=<shell>`) at each Tab, so entry and
//! environment names come from the apps.yaml the line names with `-f`, else that of the current
//! directory (or its nearest parent), at that moment; flags and subcommands are completed from
//! the same clap definitions. This is
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

/// The apps.yaml the command line being completed names with `-f`, else that of the current
/// directory or its nearest parent, if it loads.
fn project() -> Option<Project> {
    let words: Vec<String> = std::env::args().collect();
    let path = match file_on_command_line(&words) {
        Some(path) => path,
        None => find_apps_yaml(&std::env::current_dir().ok()?)?,
    };
    crate::config::load(&path).ok().map(|(project, _)| project)
}

/// `-f PATH`, `-fPATH`, `--file PATH` or `--file=PATH` among the words being completed (those
/// after the `--` the registration script passes), the last one winning as clap would.
fn file_on_command_line(words: &[String]) -> Option<std::path::PathBuf> {
    let completed = words.iter().skip_while(|w| *w != "--").skip(1);
    let mut file = None;
    let mut words = completed.peekable();
    while let Some(word) = words.next() {
        let value = match word.as_str() {
            "-f" | "--file" => words.peek().map(|w| w.to_string()),
            w if w.starts_with("--file=") => Some(w["--file=".len()..].to_string()),
            w if w.starts_with("-f") && !w.starts_with("--") => Some(w[2..].to_string()),
            _ => None,
        };
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            file = Some(std::path::PathBuf::from(value));
        }
    }
    file
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

#[cfg(test)]
mod tests {
    use super::file_on_command_line;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn the_file_flag_of_the_completed_line_in_every_spelling() {
        for line in [
            "k3s -- k3s -f a/apps.yaml app generate ",
            "k3s -- k3s -fa/apps.yaml app generate ",
            "k3s -- k3s --file a/apps.yaml app generate ",
            "k3s -- k3s app generate --file=a/apps.yaml ",
            "k3s -- k3s -f b.yaml app generate -f a/apps.yaml ",
        ] {
            assert_eq!(
                file_on_command_line(&words(line)),
                Some("a/apps.yaml".into()),
                "{line}"
            );
        }
        assert_eq!(
            file_on_command_line(&words("k3s -- k3s app generate -f")),
            None
        );
        assert_eq!(
            file_on_command_line(&words("k3s -f x.yaml")),
            None,
            "before --"
        );
    }
}
