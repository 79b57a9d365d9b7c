//! Everything that knows shell syntax: the statements the binary prints for
//! a shell to evaluate, and the init scripts.

pub mod change;
pub mod quote;
pub mod scripts;

use anyhow::{Result, bail};
use clap::ValueEnum;

pub use change::{EnvChange, Scope};

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

impl Shell {
    /// A managed variable for as long as a role is active: `value` for the
    /// shell's children, or (`None`) none at all.
    ///
    /// fish exports an exported universal variable (`set -Ux`) to children
    /// unless an *exported* global of that name hides it: an unexported or
    /// erased global does not (fish 3.6 and 4 build the export table that
    /// way). Only changing the universal variable would keep it from them,
    /// and that would change it in every fish session of the user, so the
    /// shell says so instead, in one line, with the fix.
    pub fn assign(self, name: &str, value: Option<&str>) -> Result<String> {
        match (self, value) {
            (_, Some(value)) => self.export(name, value),
            (Shell::Fish, None) => {
                check_name(name)?;
                let warning = format!(
                    "assume-role: warning: fish exports the universal variable {name} (set -Ux) \
                     beside the role's keys, whatever this shell sets; make it a global in \
                     config.fish instead (set -e -U {name}; set -gx {name} VALUE)"
                );
                Ok(format!(
                    "set -e -g {name}; if set -q -x {name}; \
                     builtin printf '%s\\n' {} >&2; end",
                    quote::fish(&warning)
                ))
            }
            (_, None) => self.unset(name),
        }
    }

    /// A managed variable back to the user's `value` (`None`: unset). In
    /// fish our global goes, so that a universal variable shows through
    /// again instead of a global copy that would shadow it from then on; a
    /// global is set only where the universal one does not hold `value`.
    pub fn restore(self, name: &str, value: Option<&str>) -> Result<String> {
        check_name(name)?;
        match (self, value) {
            (Shell::Fish, Some(value)) => Ok(format!(
                "set -e -g {name}; if not set -q -x {name}; or test \"${name}\" != {quoted}; \
                 set -g -x {name} {quoted}; end",
                quoted = quote::fish(value)
            )),
            (_, Some(value)) => self.export(name, value),
            (_, None) => self.unset(name),
        }
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

    #[test]
    fn managed_variables_are_assigned_and_restored_per_shell() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::PowerShell] {
            assert_eq!(
                shell.assign("A", Some("v")).unwrap(),
                shell.export("A", "v").unwrap()
            );
            assert_eq!(shell.assign("A", None).unwrap(), shell.unset("A").unwrap());
            assert_eq!(
                shell.restore("A", Some("v")).unwrap(),
                shell.export("A", "v").unwrap()
            );
            assert_eq!(shell.restore("A", None).unwrap(), shell.unset("A").unwrap());
        }
        // fish: our global goes first, so that a universal variable shows
        // through; a global is set only where it does not hold the value.
        assert_eq!(
            Shell::Fish.restore("A", Some("it's")).unwrap(),
            r#"set -e -g A; if not set -q -x A; or test "$A" != 'it\'s'; set -g -x A 'it\'s'; end"#
        );
        assert_eq!(
            Shell::Fish.restore("A", None).unwrap(),
            Shell::Fish.unset("A").unwrap()
        );
        let hide = Shell::Fish.assign("A", None).unwrap();
        assert!(hide.starts_with("set -e -g A; if set -q -x A; builtin printf '%s\\n' 'assume-role: warning: fish exports the universal variable A"), "{hide}");
        assert!(hide.ends_with("' >&2; end"), "{hide}");
        assert!(Shell::Fish.assign("A;B", None).is_err());
        assert!(Shell::Fish.restore("$(x)", Some("v")).is_err());
    }
}
