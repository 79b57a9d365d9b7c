//! `completions`: static completion scripts generated from the clap
//! definition, with role names for `--role` (from `assume-role roles`:
//! local files only, never the network).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::{Cli, CompletionsArgs};
use crate::shell::Shell;

const BASH_ROLES: &str = r#"
# Role names for --role / -r, from local files (assume-role roles).
_assume_role_with_roles() {
    local prev="${COMP_WORDS[COMP_CWORD-1]}" cur="${COMP_WORDS[COMP_CWORD]}"
    if [[ "${prev}" == "--role" || "${prev}" == "-r" ]]; then
        # Not `compgen -W`: it would expand `$(…)` in a name from a cloned repo.
        local role
        COMPREPLY=()
        while IFS= read -r role; do
            [[ "${role}" == "${cur}"* ]] && COMPREPLY+=("${role}")
        done < <(command assume-role roles 2>/dev/null)
        return 0
    fi
    _assume__role "$@"
}
complete -F _assume_role_with_roles -o bashdefault -o default assume-role
"#;

const ZSH_ROLES: &str = r#"
# Role names for --role / -r, from local files (assume-role roles).
_assume_role_roles() {
    local -a roles
    roles=(${(f)"$(command assume-role roles 2>/dev/null)"})
    compadd -a roles
}
"#;

const FISH_ROLES: &str = "
# Role names for --role / -r, from local files (assume-role roles).
complete -c assume-role -s r -l role -x -a '(command assume-role roles 2>/dev/null)'
";

pub fn run(args: &CompletionsArgs) -> Result<ExitCode> {
    io::stdout()
        .lock()
        .write_all(script(args.shell).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let target = match shell {
        Shell::Bash => Target::Bash,
        Shell::Zsh => Target::Zsh,
        Shell::Fish => Target::Fish,
        Shell::PowerShell => Target::PowerShell,
    };
    let mut buf = Vec::new();
    clap_complete::generate(target, &mut Cli::command(), "assume-role", &mut buf);
    let generated = String::from_utf8(buf).expect("clap_complete writes UTF-8");
    match shell {
        Shell::Bash => generated + BASH_ROLES,
        Shell::Zsh => {
            let (first, rest) = generated.split_once('\n').unwrap_or((&generated, ""));
            let rest = rest.replace(":ROLE:_default'", ":ROLE:_assume_role_roles'");
            format!("{first}\n{ZSH_ROLES}{rest}")
        }
        Shell::Fish => generated + FISH_ROLES,
        Shell::PowerShell => generated,
    }
}
