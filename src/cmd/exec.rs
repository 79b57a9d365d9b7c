//! Exec mode (`assume-role --role R cmd…`) and print mode (no command).

use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use anyhow::Result;

use crate::cli::{Format, RunArgs};
use crate::pipeline::{self, Assumed};
use crate::shell::Shell;

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let assumed = pipeline::assume(&args.role)?;
    if args.command.is_empty() {
        print(&assumed, args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    exec(&assumed, &args.command)
}

/// Replaces this process with the command, so that signals and the exit
/// status are the command's own.
fn exec(assumed: &Assumed, command: &[std::ffi::OsString]) -> Result<ExitCode> {
    let mut child = Command::new(&command[0]);
    child.args(&command[1..]);
    for name in assumed.removed() {
        child.env_remove(name);
    }
    // The MFA code was ours to use, not the command's.
    child.env_remove("ASSUME_ROLE_MFA_TOKEN");
    child.envs(assumed.variables());
    let err = child.exec();
    let name = command[0].to_string_lossy();
    let _ = writeln!(io::stderr(), "assume-role: cannot run `{name}`: {err}");
    Ok(ExitCode::from(match err.kind() {
        io::ErrorKind::NotFound => 127,
        _ => 126,
    }))
}

fn print(assumed: &Assumed, format: Format) -> Result<()> {
    let vars = assumed.variables();
    let text = match format {
        Format::Env => vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect(),
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.into()))
                .collect();
            serde_json::to_string_pretty(&map)? + "\n"
        }
        Format::Bash => statements(assumed, Shell::Bash)?,
        Format::Zsh => statements(assumed, Shell::Zsh)?,
        Format::Fish => statements(assumed, Shell::Fish)?,
        Format::PowerShell => statements(assumed, Shell::PowerShell)?,
    };
    io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

fn statements(assumed: &Assumed, shell: Shell) -> Result<String> {
    let mut out = String::new();
    for name in assumed.removed() {
        out += &shell.unset(name)?;
        out.push('\n');
    }
    for (name, value) in assumed.variables() {
        out += &shell.export(name, &value)?;
        out.push('\n');
    }
    Ok(out)
}
