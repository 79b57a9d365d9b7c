//! The init scripts: real files under `shell/`, filled in for one user.

use anyhow::Result;

use super::{Shell, quote};
use crate::util::Usage;

const BASH: &str = include_str!("../../shell/ar.bash");
const ZSH: &str = include_str!("../../shell/ar.zsh");
const FISH: &str = include_str!("../../shell/ar.fish");
const POWERSHELL: &str = include_str!("../../shell/ar.ps1");

/// The code `init` prints: the function named `cmd` calling `binary`, and
/// the directory hook unless `hook` is false.
/// Commands the init scripts call by their bare names, or that the shells
/// reserve: a function named like one would break the integration (or the
/// shell). The integration's own functions and variables are `__ar_*`.
const RESERVED: &[&str] = &[
    "and",
    "autoload",
    "begin",
    "break",
    "builtin",
    "case",
    "catch",
    "cd",
    "command",
    "commandline",
    "compadd",
    "compdef",
    "compgen",
    "complete",
    "continue",
    "coproc",
    "count",
    "date",
    "declare",
    "do",
    "done",
    "echo",
    "elif",
    "else",
    "emit",
    "end",
    "env",
    "esac",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fi",
    "finally",
    "for",
    "function",
    "functions",
    "if",
    "in",
    "local",
    "not",
    "or",
    "param",
    "print",
    "printf",
    "prompt",
    "read",
    "return",
    "select",
    "set",
    "source",
    "status",
    "string",
    "switch",
    "test",
    "then",
    "time",
    "true",
    "try",
    "typeset",
    "unalias",
    "unfunction",
    "unset",
    "until",
    "while",
    "zmodload",
];

/// Whether `cmd` can name the integration's function: a valid name that is
/// neither one of its own nor one it calls.
pub fn check_cmd(cmd: &str) -> Result<()> {
    if !quote::valid_name(cmd) {
        return Err(Usage(format!(
            "--cmd `{}` is not a valid function name (letters, digits and _, not starting with a digit)",
            cmd.escape_debug()
        ))
        .into());
    }
    if cmd.starts_with("__ar_") || RESERVED.contains(&cmd) {
        return Err(Usage(format!(
            "--cmd `{cmd}` is a name the shell integration uses itself; choose another (the default is `ar`)"
        ))
        .into());
    }
    Ok(())
}

pub fn init_script(shell: Shell, cmd: &str, binary: &str, hook: bool) -> Result<String> {
    check_cmd(cmd)?;
    let (template, quoted) = match shell {
        Shell::Bash => (BASH, quote::posix(binary)),
        Shell::Zsh => (ZSH, quote::posix(binary)),
        Shell::Fish => (FISH, quote::fish(binary)),
        Shell::PowerShell => (POWERSHELL, quote::powershell(binary)),
    };
    let mut script = template
        .replace("__AR_CMD__", cmd)
        .replace("__AR_BIN__", &quoted);
    if !hook {
        script = strip_hook(&script);
    }
    Ok(script)
}

fn strip_hook(script: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in script.split_inclusive('\n') {
        match line.trim() {
            "# BEGIN HOOK" => skipping = true,
            "# END HOOK" => skipping = false,
            _ if !skipping => out.push_str(line),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_has_one_hook_section_and_both_placeholders() {
        for template in [BASH, ZSH, FISH, POWERSHELL] {
            assert_eq!(template.matches("# BEGIN HOOK").count(), 1);
            assert_eq!(template.matches("# END HOOK").count(), 1);
            assert!(template.contains("__AR_CMD__") && template.contains("__AR_BIN__"));
        }
    }

    #[test]
    fn no_hook_removes_the_hook_only() {
        let full = init_script(Shell::Bash, "ar", "/bin/assume-role", true).unwrap();
        let bare = init_script(Shell::Bash, "ar", "/bin/assume-role", false).unwrap();
        assert!(full.contains("PROMPT_COMMAND") && !bare.contains("PROMPT_COMMAND"));
        assert!(bare.contains("ar() {"));
    }

    /// PowerShell cannot run here: pin what the script relies on.
    #[test]
    fn powershell_script_chains_hooks_and_survives_strict_mode() {
        let script = init_script(Shell::PowerShell, "ar", "/usr/bin/assume-role", true).unwrap();
        assert!(
            script.contains("[Delegate]::Combine("),
            "chains an existing LocationChangedAction"
        );
        assert!(
            script.contains("$global:__ar_prompt = $function:prompt"),
            "wraps the prompt"
        );
        assert!(
            script.contains("$global:LASTEXITCODE = $saved"),
            "keeps $LASTEXITCODE"
        );
        assert!(
            script.contains("if (-not (Get-Variable -Name __ar_hooked"),
            "installs once"
        );
        // Under Set-StrictMode -Version Latest, reading an unset variable is an
        // error: every optional global is read through Get-Variable
        // ($LASTEXITCODE is read only right after a native command set it).
        for name in [
            "__ar_orig",
            "__ar_state",
            "__ar_pwd",
            "__ar_refresh_at",
            "__ar_trust_mark",
        ] {
            assert!(
                !script.contains(&format!("= ${name}")),
                "reads ${name} directly"
            );
            assert!(
                !script.contains(&format!("= $global:{name}\n")),
                "reads $global:{name} directly"
            );
        }
        assert!(script.contains("Register-ArgumentCompleter -CommandName ar"));
        assert!(
            script.contains("-not (Test-Path -LiteralPath $mark)"),
            "a removed trust mark calls the hook"
        );
        let bare = init_script(Shell::PowerShell, "ar", "/usr/bin/assume-role", false).unwrap();
        assert!(
            !bare.contains("LocationChangedAction") && !bare.contains("function global:prompt")
        );
    }

    #[test]
    fn names_the_integration_uses_are_refused_as_usage_errors() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            // Every function the scripts define is the integration's own.
            let script = init_script(shell, "ar", "/x", true).unwrap();
            for own in [
                "__ar_call",
                "__ar_hook",
                "__ar_complete",
                "__ar_bin",
                "__ar_x",
            ] {
                let err = init_script(shell, own, "/x", true).unwrap_err();
                assert!(err.downcast_ref::<Usage>().is_some(), "{own}: {err}");
                assert!(err.to_string().contains("uses itself"), "{err}");
            }
            for word in script.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                if word.starts_with("__ar_") {
                    assert!(check_cmd(word).is_err(), "{shell:?}: {word}");
                }
            }
        }
        for called in [
            "eval", "set", "source", "complete", "builtin", "command", "prompt",
        ] {
            assert!(check_cmd(called).is_err(), "{called}");
        }
        for bad in ["", "a;b", "1ar", "a-b", "é", "a b"] {
            let err = check_cmd(bad).unwrap_err();
            assert!(err.downcast_ref::<Usage>().is_some(), "{bad}");
            assert!(
                err.to_string().contains("not a valid function name"),
                "{err}"
            );
        }
        for good in ["ar", "awsr", "_ar", "ar2", "assume_role"] {
            assert!(check_cmd(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn names_and_paths_are_safe() {
        assert!(init_script(Shell::Zsh, "a;b", "/x", true).is_err());
        let script =
            init_script(Shell::PowerShell, "ar", "C:\\it's\\assume-role.exe", true).unwrap();
        assert!(script.contains("$global:__ar_bin = 'C:\\it''s\\assume-role.exe'"));
        assert!(script.contains("function global:ar {"));
    }
}
