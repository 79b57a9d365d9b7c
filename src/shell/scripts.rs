//! The init scripts: real files under `shell/`, filled in for one user.

use anyhow::{Result, bail};

use super::{Shell, quote};

const BASH: &str = include_str!("../../shell/ar.bash");
const ZSH: &str = include_str!("../../shell/ar.zsh");
const FISH: &str = include_str!("../../shell/ar.fish");
const POWERSHELL: &str = include_str!("../../shell/ar.ps1");

/// The code `init` prints: the function named `cmd` calling `binary`, and
/// the directory hook unless `hook` is false.
pub fn init_script(shell: Shell, cmd: &str, binary: &str, hook: bool) -> Result<String> {
    if !quote::valid_name(cmd) {
        bail!("--cmd `{cmd}` is not a valid function name (letters, digits and _)");
    }
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
        for name in ["__ar_orig", "__ar_state", "__ar_pwd", "__ar_refresh_at"] {
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
        let bare = init_script(Shell::PowerShell, "ar", "/usr/bin/assume-role", false).unwrap();
        assert!(
            !bare.contains("LocationChangedAction") && !bare.contains("function global:prompt")
        );
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
