//! One file per subcommand; `run` dispatches.

mod completions;
mod console;
mod credential_process;
mod exec;
mod init;
mod logout;
mod roles;
mod shell_hook;
mod status;
mod trust;

use std::process::ExitCode;

use anyhow::Result;

use crate::aws::base_env;
use crate::cli::{Cli, Command, ShellHookArgs};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None => {
            base_env::prepare();
            exec::run(cli.run)
        }
        Some(Command::CredentialProcess(args)) => {
            base_env::prepare();
            credential_process::run(&args)
        }
        Some(Command::Console(args)) => {
            base_env::prepare();
            console::run(args)
        }
        Some(Command::Roles(args)) => roles::run(&args),
        Some(Command::Completions(args)) => completions::run(&args),
        Some(Command::Init(args)) => init::run(&args),
        // The shells notice at their next prompt.
        Some(Command::Allow(args)) => trust::allow(&args).inspect(|_| shell_hook::trust_changed()),
        Some(Command::Deny(args)) => trust::deny(&args).inspect(|_| shell_hook::trust_changed()),
        Some(Command::Status(args)) => status::run(&args),
        Some(Command::Logout) => logout::run(),
        Some(Command::ShellHook(args)) => run_shell(args),
    }
}

/// Prints what the library returned as warnings, one line each.
fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        crate::warn(format_args!("{warning}"));
    }
}

/// `__shell`: what the functions of `init` call.
pub fn run_shell(args: ShellHookArgs) -> Result<ExitCode> {
    shell_hook::run(args)
}
