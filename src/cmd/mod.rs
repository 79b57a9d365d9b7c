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

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::aws::base_env;
use crate::cli::{Cli, Command, ShellCli, ShellHookArgs};
use crate::util::{Usage, Warnings, escape};

/// Parses the command line, runs it, and maps the outcome to an exit code:
/// 0 or the child's status, 1 for our own failure, 2 for usage.
pub fn main() -> ExitCode {
    let outcome = if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == "__shell")
    {
        let args = std::env::args_os().skip(1);
        run_shell(ShellCli::parse_from(args).args)
    } else {
        run(Cli::parse())
    };
    match outcome {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<Usage>().is_some() => {
            emit("", &err.to_string());
            ExitCode::from(2)
        }
        Err(err) => {
            report(&err);
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn run(cli: Cli) -> Result<ExitCode> {
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
        warn(format_args!("{warning}"));
    }
}

/// Runs `f` with a place for the library's warnings that prints each one
/// as it comes (before a prompt or a wait that follows it).
fn warned<T>(f: impl FnOnce(&mut Warnings) -> Result<T>) -> Result<T> {
    f(&mut Warnings::new(|warning| {
        warn(format_args!("{warning}"))
    }))
}

/// An error as one line on stderr: its causes, outermost first.
fn report(err: &anyhow::Error) {
    let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
    emit("", &chain.join(": "));
}

/// A one-line warning on stderr.
fn warn(message: fmt::Arguments) {
    emit("warning: ", &message.to_string());
}

/// A one-line notice on stderr (what was done).
fn info(message: fmt::Arguments) {
    emit("", &message.to_string());
}

/// The one path of every human message: one line on stderr, after
/// `assume-role: `, with every control character escaped visibly, so that
/// no path, name or value can move the cursor, set a title or the
/// clipboard, or forge a line of its own.
fn emit(kind: &str, text: &str) {
    let _ = writeln!(io::stderr(), "assume-role: {kind}{}", escape(text));
}

/// `__shell`: what the functions of `init` call.
fn run_shell(args: ShellHookArgs) -> Result<ExitCode> {
    shell_hook::run(args)
}
