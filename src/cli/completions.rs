//! `k3s completions <shell>`: print a completion script.

use clap::CommandFactory;

use super::{Cli, CommandResult, EXIT_OK};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Shell to print completions for
    pub shell: clap_complete::Shell,
}

pub fn run(args: &Args) -> CommandResult {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "k3s", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    Ok(EXIT_OK)
}
