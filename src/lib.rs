//! assume-role: run programs and shells with temporary AWS credentials.

pub mod aws_files;
pub mod base_env;
pub mod cache;
pub mod cli;
mod cmd;
pub mod config;
pub mod mfa;
pub mod pipeline;
pub mod resolve;
pub mod serve;
pub mod shell;
pub mod sts;
pub mod supervise;
pub mod trust;

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
        Err(err) if err.downcast_ref::<Usage>().is_some() => {
            let _ = writeln!(io::stderr(), "assume-role: {err}");
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

/// A usage error found after parsing: exit status 2, like clap's own.
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// An error as one line on stderr: its causes, outermost first.
pub fn report(err: &anyhow::Error) {
    let chain: Vec<String> = err.chain().map(|e| e.to_string()).collect();
    let _ = writeln!(io::stderr(), "assume-role: {}", one_line(&chain.join(": ")));
}

/// A one-line warning on stderr.
pub fn warn(message: fmt::Arguments) {
    let _ = writeln!(
        io::stderr(),
        "assume-role: warning: {}",
        one_line(&message.to_string())
    );
}

/// Messages are one line, whatever a file or a value held.
pub(crate) fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}
