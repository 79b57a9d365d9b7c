//! assume-role: run programs and shells with temporary AWS credentials.
//!
//! The layers, each using only those above it in this list: `util` (uses
//! nothing else of the crate); `shell` (shell syntax) and `cli` (clap
//! types); `store` (cache, trust store, ~/.aws files); `config` and
//! `resolve` (assume-role.yaml, `--role` → ARN); `aws` (base identity, STS,
//! MFA, sign-in, the credential endpoint); `assume` (assuming a role);
//! `cmd` (one file per subcommand, the only layer that prints).

pub mod assume;
pub mod aws;
pub mod cli;
mod cmd;
pub mod config;
pub mod resolve;
pub mod shell;
pub mod store;
pub mod util;

use std::process::ExitCode;

/// Parses the command line, runs it, and maps the outcome to an exit code:
/// 0 or the child's status, 1 for our own failure, 2 for usage.
pub fn main() -> ExitCode {
    cmd::main()
}
