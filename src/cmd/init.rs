//! `init`: the shell integration to evaluate in an rc file.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::cli::InitArgs;
use crate::shell::scripts;

pub fn run(args: &InitArgs) -> Result<ExitCode> {
    let binary =
        std::env::current_exe().context("cannot find the assume-role binary's own path")?;
    let binary = binary
        .to_str()
        .context("the assume-role binary's path is not UTF-8")?;
    let script = scripts::init_script(args.shell, &args.cmd, binary, !args.no_hook)?;
    io::stdout().lock().write_all(script.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
