//! Everything that knows shell syntax: the statements the binary prints for
//! a shell to evaluate, and the init scripts.

pub mod quote;
pub mod scripts;

use anyhow::{Result, bail};
use clap::ValueEnum;

/// The shells `init`, `completions` and `--format` know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(name = "powershell", alias = "pwsh")]
    PowerShell,
}

impl Shell {
    /// `NAME=value`, exported to children.
    pub fn export(self, name: &str, value: &str) -> Result<String> {
        check_name(name)?;
        Ok(match self {
            Shell::Bash | Shell::Zsh => format!("export {name}={}", quote::posix(value)),
            Shell::Fish => format!("set -gx {name} {}", quote::fish(value)),
            Shell::PowerShell => format!("$env:{name} = {}", quote::powershell(value)),
        })
    }

    /// A shell variable of the integration's own, global but not exported.
    pub fn set_global(self, name: &str, value: &str) -> Result<String> {
        check_name(name)?;
        Ok(match self {
            // Not exported even under `set -a`: the saved state holds the
            // base identity's keys, which the role's children must not see.
            Shell::Bash => format!(
                "declare -g {name}={}; export -n {name}",
                quote::posix(value)
            ),
            Shell::Zsh => format!(
                "typeset -g {name}={}; typeset +x {name}",
                quote::posix(value)
            ),
            Shell::Fish => format!("set -g {name} {}", quote::fish(value)),
            Shell::PowerShell => format!("$global:{name} = {}", quote::powershell(value)),
        })
    }

    /// Removes a variable (exported or not).
    pub fn unset(self, name: &str) -> Result<String> {
        check_name(name)?;
        Ok(match self {
            Shell::Bash | Shell::Zsh => format!("unset -v {name}"),
            // `set -e` of an unset variable returns 4: keep the status clean.
            Shell::Fish => format!("set -e -g {name}; or true"),
            Shell::PowerShell => format!(
                "Remove-Item -LiteralPath 'Env:/{name}' -ErrorAction SilentlyContinue; \
                 Remove-Variable -Name '{name}' -Scope Global -ErrorAction SilentlyContinue"
            ),
        })
    }
}

fn check_name(name: &str) -> Result<()> {
    if !quote::valid_name(name) {
        bail!("refusing to set the variable `{name}`: not a valid name");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_names_are_pinned() {
        let names: Vec<_> = Shell::value_variants()
            .iter()
            .map(|s| s.to_possible_value().unwrap().get_name().to_owned())
            .collect();
        assert_eq!(names, ["bash", "zsh", "fish", "powershell"]);
        assert_eq!(Shell::from_str("pwsh", false), Ok(Shell::PowerShell));
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(Shell::Bash.export("A;B", "x").is_err());
        assert!(Shell::Fish.unset("$(x)").is_err());
    }

    #[test]
    fn statements_per_shell() {
        assert_eq!(
            Shell::Bash.export("A", "it's").unwrap(),
            r"export A='it'\''s'"
        );
        assert_eq!(Shell::Fish.export("A", r"\'").unwrap(), r"set -gx A '\\\''");
        assert_eq!(
            Shell::PowerShell.export("A", "it’s").unwrap(),
            "$env:A = 'it’’s'"
        );
        assert_eq!(Shell::Zsh.unset("A").unwrap(), "unset -v A");
    }
}
