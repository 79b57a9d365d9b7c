//! `completions`: static completion scripts generated from the clap definition.

use std::io;
use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{Cli, CompletionsArgs};
use crate::shell::Shell;

pub fn run(args: &CompletionsArgs) -> Result<ExitCode> {
    let target = match args.shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::PowerShell => Target::PowerShell,
    };
    clap_complete::generate(
        target,
        &mut Cli::command(),
        "assume-role",
        &mut io::stdout(),
    );
    Ok(ExitCode::SUCCESS)
}
