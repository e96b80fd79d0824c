//! `tracecode completions SHELL`: a completion script for the shell, generated from the argument layer.

use std::io;
use std::process::ExitCode;

use clap_complete::Shell;

/// `tracecode completions`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Install, e.g.: tracecode completions bash > ~/.local/share/bash-completion/completions/tracecode
                 tracecode completions zsh > \"${fpath[1]}/_tracecode\""
)]
pub(crate) struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the script for `a.shell` to stdout.
pub(crate) fn run(a: &Args, mut cmd: clap::Command) -> ExitCode {
    clap_complete::generate(a.shell, &mut cmd, "tracecode", &mut io::stdout());
    ExitCode::SUCCESS
}
