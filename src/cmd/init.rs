//! `init`: the shell integration to evaluate in an rc file.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::completions;
use crate::cli::InitArgs;
use crate::shell::{Shell, scripts};

pub fn run(args: &InitArgs) -> Result<ExitCode> {
    let binary =
        std::env::current_exe().context("cannot find the assume-role binary's own path")?;
    let binary = binary
        .to_str()
        .context("the assume-role binary's path is not UTF-8")?;
    let script = script(args.shell, &args.cmd, binary, !args.no_hook)?;
    io::stdout().lock().write_all(script.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The integration for `shell`. bash, zsh and fish load the completion
/// script of `assume-role` itself at the first <TAB>; PowerShell, whose
/// completer cannot hand over to one it has just loaded, gets it here.
fn script(shell: Shell, cmd: &str, binary: &str, hook: bool) -> Result<String> {
    let mut script = scripts::init_script(shell, cmd, binary, hook)?;
    if shell == Shell::PowerShell {
        script += "\n# `assume-role <TAB>` too (as `assume-role completions powershell`).\n";
        script += &completions::script(shell);
    }
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_init_completes_assume_role_too() {
        let ps = script(Shell::PowerShell, "ar", "/bin/assume-role", true).unwrap();
        assert!(ps.contains("Register-ArgumentCompleter -CommandName ar "));
        assert!(ps.contains("Register-ArgumentCompleter -Native -CommandName 'assume-role'"));
        assert!(ps.contains("'--role'"));
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = script(shell, "ar", "/bin/assume-role", true).unwrap();
            assert!(text.contains("completions "), "{shell:?} loads them lazily");
            assert!(!text.contains("_assume__role()"), "{shell:?}: not inline");
        }
    }
}
