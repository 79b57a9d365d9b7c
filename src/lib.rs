//! assume-role: run programs and shells with temporary AWS credentials.

pub mod aws_files;
pub mod base;
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
pub mod signin;
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
    let _ = writeln!(io::stderr(), "assume-role: {kind}{}", escape(text));
}

/// `text` with its control characters (C0, DEL, C1), line and paragraph
/// separators and Unicode bidi controls escaped visibly: `\n`, `\x1b`,
/// `\u{202e}`.
pub fn escape(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{80}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text from elsewhere (an AWS message) on one line: line breaks become
/// spaces.
pub(crate) fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_are_escaped_visibly() {
        assert_eq!(escape("plain /a b/é"), "plain /a b/é");
        assert_eq!(escape("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
        assert_eq!(escape("\x1b[2J\n"), "\\x1b[2J\\n");
        assert_eq!(escape("a\u{9b}b\x7f"), "a\\u{9b}b\\x7f");
        assert_eq!(
            escape("\u{202e}txt.exe\u{2066}"),
            "\\u{202e}txt.exe\\u{2066}"
        );
        assert_eq!(escape("\r\t\0"), "\\r\\t\\x00");
    }
}
