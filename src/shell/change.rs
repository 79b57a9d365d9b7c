//! One change to a shell's environment: an ordered list of set/unset pairs,
//! which every shell renders. `ar`, `ar -u`, the prompt hook and print mode
//! (`--format bash|zsh|fish|powershell`) all build one and render it once.

use anyhow::Result;

use super::Shell;

/// Whose variable a pair sets, which decides how a shell writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A managed variable while a role is active ([`Shell::assign`]).
    Role,
    /// A managed variable put back to the user's own value
    /// ([`Shell::restore`]).
    User,
    /// A variable of the integration's own, global and never exported
    /// ([`Shell::set_global`], [`Shell::unset`]).
    Private,
}

/// One pair: `name` set to `value`, or unset (`None`). Its `Debug` shows
/// the name and whether a value is set, never the value: values are keys,
/// tokens and the user's saved environment.
#[derive(Clone, PartialEq, Eq)]
pub struct Pair {
    pub scope: Scope,
    pub name: String,
    pub value: Option<String>,
}

/// The pairs, in the order the shell applies them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvChange {
    pairs: Vec<Pair>,
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pair")
            .field("scope", &self.scope)
            .field("name", &self.name)
            .field("value", &self.value.as_ref().map(|_| "…"))
            .finish()
    }
}

impl EnvChange {
    pub fn new() -> EnvChange {
        EnvChange::default()
    }

    /// Adds `name` = `value` (`None`: unset).
    pub fn push(&mut self, scope: Scope, name: &str, value: Option<&str>) {
        self.pairs.push(Pair {
            scope,
            name: name.to_owned(),
            value: value.map(str::to_owned),
        });
    }

    /// Adds every pair of `other`, after these.
    pub fn extend(&mut self, other: EnvChange) {
        self.pairs.extend(other.pairs);
    }

    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// The statements for `shell`, one line per pair. A name that is not a
    /// valid variable name is refused.
    pub fn render(&self, shell: Shell) -> Result<String> {
        let mut out = String::new();
        for pair in &self.pairs {
            let value = pair.value.as_deref();
            out += &match pair.scope {
                Scope::Role => shell.assign(&pair.name, value)?,
                Scope::User => shell.restore(&pair.name, value)?,
                Scope::Private => match value {
                    Some(value) => shell.set_global(&pair.name, value)?,
                    None => shell.unset(&pair.name)?,
                },
            };
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_variables_and_never_their_values() {
        let mut change = EnvChange::new();
        change.push(Scope::Role, "AWS_SECRET_ACCESS_KEY", Some("s3cr3t"));
        change.push(Scope::Role, "AWS_SESSION_TOKEN", None);
        let shown = format!("{change:?}");
        assert!(shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn each_pair_is_one_line_in_order_and_bad_names_are_refused() {
        let mut change = EnvChange::new();
        change.push(Scope::Role, "A", Some("it's"));
        change.push(Scope::Role, "B", None);
        change.push(Scope::User, "C", Some("v"));
        change.push(Scope::Private, "__x", Some("s"));
        change.push(Scope::Private, "__y", None);
        assert_eq!(
            change.render(Shell::Bash).unwrap(),
            "export A='it'\\''s'\nunset -v B\nexport C='v'\n\
             declare -g __x='s'; export -n __x\nunset -v __y\n"
        );
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            assert_eq!(change.render(shell).unwrap().lines().count(), 5);
            assert_eq!(EnvChange::new().render(shell).unwrap(), "");
        }
        let mut bad = EnvChange::new();
        bad.push(Scope::Role, "A;B", Some("x"));
        assert!(bad.render(Shell::Fish).is_err());
    }
}
