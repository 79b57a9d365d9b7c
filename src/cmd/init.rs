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
        script += &powershell_completions();
    }
    Ok(script)
}

/// The PowerShell completion script without its `using namespace` lines,
/// which PowerShell accepts only at the top of a script: here they would
/// follow the integration, so the types are named in full instead. Its
/// `.Where{ … }` is written `.Where({ … })`, the same call in the form every
/// PowerShell parser (tree-sitter's too, which the tests use) reads.
fn powershell_completions() -> String {
    const AUTOMATION: &str = "System.Management.Automation";
    completions::script(Shell::PowerShell)
        .lines()
        .filter(|line| !line.trim_start().starts_with("using namespace "))
        .map(|line| {
            line.replace(
                "[CompletionResult]",
                &format!("[{AUTOMATION}.CompletionResult]"),
            )
            .replace(
                "[CompletionResultType]",
                &format!("[{AUTOMATION}.CompletionResultType]"),
            )
            .replace(
                "[StringConstantExpressionAst]",
                &format!("[{AUTOMATION}.Language.StringConstantExpressionAst]"),
            )
            .replace(
                "[StringConstantType]",
                &format!("[{AUTOMATION}.Language.StringConstantType]"),
            )
            .replace(
                "$completions.Where{ $_.CompletionText -like \"$wordToComplete*\" }",
                "$completions.Where({ $_.CompletionText -like \"$wordToComplete*\" })",
            ) + "\n"
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `[Type]` of the completion part of `script`.
    fn completion_types(script: &str) -> Vec<String> {
        let part = script.split("`assume-role <TAB>` too").nth(1).unwrap_or("");
        part.split('[')
            .skip(1)
            .filter_map(|rest| rest.split_once(']').map(|(t, _)| t))
            .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
            .filter(|t| t.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn powershell_init_completes_assume_role_too() {
        let ps = script(Shell::PowerShell, "ar", "/bin/assume-role", true).unwrap();
        assert!(ps.contains("Register-ArgumentCompleter -CommandName ar "));
        assert!(ps.contains("Register-ArgumentCompleter -Native -CommandName 'assume-role'"));
        assert!(ps.contains("'--role'"));
        // `using` is allowed only at the top of a script, and every type
        // is named in full instead.
        assert!(!ps.contains("using namespace"), "{ps}");
        assert!(
            ps.contains("$completions.Where({ $_.CompletionText"),
            "{ps}"
        );
        assert!(!ps.contains(".Where{"), "{ps}");
        let short = completion_types(&ps);
        assert!(
            short.iter().all(|t| t.starts_with("System.")),
            "types not named in full: {short:?}"
        );
        assert_eq!(
            ps.split("`assume-role <TAB>` too")
                .nth(1)
                .unwrap()
                .matches("[System.Management.Automation.CompletionResult]::new(")
                .count(),
            completions::script(Shell::PowerShell)
                .matches("[CompletionResult]::new(")
                .count()
        );
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = script(shell, "ar", "/bin/assume-role", true).unwrap();
            assert!(text.contains("completions "), "{shell:?} loads them lazily");
            assert!(!text.contains("_assume__role()"), "{shell:?}: not inline");
        }
    }
}
