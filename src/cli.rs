//! Every clap type, and nothing else, so that completions can be generated from it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

use crate::shell::Shell;

/// Run a command, print variables, or switch a shell, with temporary AWS
/// credentials from STS AssumeRole.
#[derive(Debug, Parser)]
#[command(
    name = "assume-role",
    version,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  \
        assume-role --role admin ./myscript.py arg   run a command as the role\n  \
        assume-role --role admin                     print KEY=value lines\n  \
        eval \"$(assume-role init zsh)\"               then `ar admin` switches the shell"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub run: RunArgs,
}

/// How to assume the role: the one struct for a role's settings. Exec,
/// print, credential-process and `ar` flatten it; resolution completes it
/// from the profile and the config files (`Target::options`); the shell
/// state stores that as is, so that a refresh assumes the role with every
/// setting of the switch. A field added here is carried through a refresh
/// unless it is `#[serde(skip)]` (a test walks these flags).
#[derive(Debug, Args, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleOptions {
    /// Role to assume: a full ARN, a name appended to `role_prefix`, or a
    /// `[profile NAME]` with `role_arn` in ~/.aws/config.
    #[arg(short, long, value_name = "ROLE")]
    pub role: Option<String>,

    /// Ignore the cache and call AssumeRole again.
    // Not kept for a refresh: one is due anyway, and another shell's fresh
    // cache entry is as good.
    #[arg(short = 'f', long)]
    #[serde(skip)]
    pub force_refresh: bool,

    /// Session name shown in CloudTrail (default: your IAM user name).
    #[arg(long, value_name = "NAME")]
    pub role_session_name: Option<String>,

    /// Requested session length, e.g. `1h`, `90m`, `3600s` (default 1h).
    #[arg(long, value_name = "DURATION", value_parser = crate::util::names::parse_session_duration)]
    #[serde(with = "seconds")]
    pub duration: Option<Duration>,

    /// Region exported as AWS_REGION and AWS_DEFAULT_REGION.
    #[arg(long, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<String>,

    /// External id the role's trust policy asks for.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// ARN of the MFA device to use (default: configured, else detected).
    #[arg(long, value_name = "ARN")]
    pub mfa_serial: Option<String>,

    /// How long the MFA session opened with one code lasts, e.g. `8h`
    /// (default 12h; AWS allows 15m to 36h).
    #[arg(long, value_name = "DURATION", value_parser = crate::util::time::parse_duration)]
    #[serde(with = "seconds")]
    pub mfa_session_duration: Option<Duration>,

    /// Profile whose credentials call STS (default: the standard chain).
    #[arg(long, value_name = "PROFILE")]
    pub source_profile: Option<String>,

    /// Current MFA code, for scripts without a terminal.
    #[arg(
        long,
        value_name = "CODE",
        env = "ASSUME_ROLE_MFA_TOKEN",
        hide_env_values = true
    )]
    // Never stored: a code is good for one call.
    #[serde(skip)]
    pub mfa_token: Option<String>,

    /// Read only this configuration file instead of looking for assume-role.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Exec and print mode: the top-level arguments.
#[derive(Debug, Args, Default)]
pub struct RunArgs {
    #[command(flatten)]
    pub role: RoleOptions,

    /// Give the command a loopback credential endpoint that refreshes the
    /// role's credentials, instead of static keys (also `serve: true`).
    #[arg(long)]
    pub serve: bool,

    /// Output format when no command is given.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Format::Env)]
    pub format: Format,

    /// Command to run with the role's credentials; without one, the
    /// variables are printed.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the shell integration to evaluate in your shell's rc file.
    Init(InitArgs),

    /// Trust the assume-role.yaml of DIR (default: the nearest one) for the
    /// directory hook.
    Allow(TrustArgs),

    /// Stop trusting the assume-role.yaml of DIR.
    Deny(TrustArgs),

    /// Show the active role, its account, the time left and the files in effect.
    Status(StatusArgs),

    /// List the role names known locally (what completion offers).
    Roles(ConfigArgs),

    /// Print a static completion script.
    Completions(CompletionsArgs),

    /// Print credentials in the JSON that `credential_process` in ~/.aws/config reads.
    CredentialProcess(RoleOptions),

    /// Forget the MFA session and the cached role credentials.
    Logout,

    /// Open the AWS console signed in as the role (federation sign-in).
    Console(ConsoleArgs),

    /// Used by the shell integration; not for direct use. Its stdout is
    /// evaluated by the shell, so it never prints help there.
    #[command(
        name = "__shell",
        hide = true,
        disable_help_flag = true,
        disable_help_subcommand = true
    )]
    ShellHook(ShellHookArgs),
}

/// `console`: the role's AWS console, in the browser or printed.
#[derive(Debug, Args)]
#[command(
    after_help = "Without --role: the role active in the shell (`ar --console`), else the \
    role of the nearest trusted assume-role.yaml. --region picks the console's region."
)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub role: RoleOptions,

    /// Console page to open: a service (`s3`, `ec2`, ...) or a full console URL.
    #[arg(short, long, value_name = "SERVICE")]
    pub service: Option<String>,

    /// Write the sign-in URL on stdout instead of opening a browser. The URL
    /// signs anyone in as the role: keep it secret.
    #[arg(long)]
    pub print: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[arg(value_enum)]
    pub shell: Shell,

    /// Name of the function to define instead of `ar`.
    #[arg(long, value_name = "NAME", default_value = "ar")]
    pub cmd: String,

    /// Do not install the directory-change hook.
    #[arg(long)]
    pub no_hook: bool,
}

#[derive(Debug, Args)]
pub struct TrustArgs {
    /// A directory (its nearest assume-role.yaml) or the file itself.
    pub path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Read only this configuration file instead of looking for assume-role.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: Shell,
}

// `assume-role __shell …` parsed on its own: the prompt hook runs it on
// every directory change, and building the whole command line costs more
// than the hook's own work.
#[derive(Debug, Parser)]
#[command(
    name = "assume-role __shell",
    bin_name = "assume-role __shell",
    about = "Used by the shell integration; not for direct use.",
    disable_help_flag = true,
    disable_help_subcommand = true
)]
pub struct ShellCli {
    #[command(flatten)]
    pub args: ShellHookArgs,
}

#[derive(Debug, Args)]
pub struct ShellHookArgs {
    #[arg(value_enum)]
    pub shell: Shell,

    #[command(subcommand)]
    pub action: ShellAction,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum ShellAction {
    /// `ar ROLE`: switch the shell to a role.
    #[command(disable_help_flag = true)]
    Switch(SwitchArgs),
    /// `ar -u`: restore the environment from before.
    #[command(disable_help_flag = true)]
    Restore,
    /// The prompt hook: the directory changed or the credentials are due.
    #[command(disable_help_flag = true)]
    Hook,
}

#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// Role to switch to (as for --role).
    #[arg(value_name = "ROLE")]
    pub name: String,

    #[command(flatten)]
    pub role: RoleOptions,
}

/// Print-mode output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// `KEY=value` lines (the classic format).
    #[default]
    Env,
    Json,
    Bash,
    Zsh,
    Fish,
    #[value(name = "powershell", alias = "pwsh")]
    PowerShell,
}

/// A region name (see [`crate::util::names::check_region`]).
fn parse_region(text: &str) -> Result<String, String> {
    crate::util::names::check_region(text).map(|()| text.to_owned())
}

/// A duration as whole seconds in the shell state.
mod seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn format_names_are_stable() {
        let names: Vec<_> = Format::value_variants()
            .iter()
            .map(|f| f.to_possible_value().unwrap().get_name().to_owned())
            .collect();
        assert_eq!(names, ["env", "json", "bash", "zsh", "fish", "powershell"]);
    }
}
