//! assume-role: run programs and shells with temporary AWS credentials.

pub mod assume;
pub mod aws;
pub mod cli;
mod cmd;
pub mod config;
pub mod resolve;
pub mod shell;
pub mod store;
pub mod util;

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs it, and maps the outcome to an exit code:
/// 0 or the child's status, 1 for our own failure, 2 for usage.
pub fn main() -> ExitCode {
    let outcome = if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == "__shell")
    {
        let args = std::env::args_os().skip(1);
        cmd::run_shell(cli::ShellCli::parse_from(args).args)
    } else {
        cmd::run(cli::Cli::parse())
    };
    match outcome {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<util::Usage>().is_some() => {
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

/// An error as one line on stderr: its causes, outermost first.
pub fn report(err: &anyhow::Error) {
    let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
    emit("", &chain.join(": "));
}

/// A one-line warning on stderr.
pub fn warn(message: fmt::Arguments) {
    emit("warning: ", &message.to_string());
}

/// A one-line notice on stderr (what was done).
pub fn info(message: fmt::Arguments) {
    emit("", &message.to_string());
}

/// The one path of every human message: one line on stderr, after
/// `assume-role: `, with every control character escaped visibly, so that
/// no path, name or value can move the cursor, set a title or the
/// clipboard, or forge a line of its own.
fn emit(kind: &str, text: &str) {
    let _ = writeln!(io::stderr(), "assume-role: {kind}{}", util::escape(text));
}
