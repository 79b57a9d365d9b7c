//! Exec mode (`assume-role --role R cmd…`) and print mode (no command).

use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::assume::{self, Assumed};
use crate::aws::serve::{self, ChildFiles, Endpoint};
use crate::cli::{Format, RoleOptions, RunArgs};
use crate::shell::{EnvChange, Scope, Shell};
use crate::util::Usage;
use crate::util::supervise;

pub fn run(args: RunArgs) -> Result<ExitCode> {
    if args.serve && args.command.is_empty() {
        return Err(Usage("--serve needs a command to serve credentials to".into()).into());
    }
    let config = super::warned(|w| assume::load_config(&args.role, w))?;
    super::print_warnings(&config.warnings);
    let assumed = super::warned(|w| assume::assume_with(config, &args.role, w))?;
    if args.command.is_empty() {
        print(&assumed, args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    if args.serve || assumed.config.serve() {
        return serve(assumed, &args.role, &args.command);
    }
    exec(&assumed, &args.command)
}

/// `--serve`: the command runs as our child with a loopback credential
/// endpoint, refreshed by `assume::assume`, instead of static keys.
fn serve(assumed: Assumed, args: &RoleOptions, command: &[std::ffi::OsString]) -> Result<ExitCode> {
    let endpoint = Endpoint::bind()?;
    let url = endpoint.url()?;
    let files = ChildFiles::create()?;
    let mut child = Command::new(&command[0]);
    child.args(&command[1..]);
    for name in serve::HIDDEN {
        child.env_remove(name);
    }
    child.envs(files.variables(&url));
    child.envs(serve::no_proxy());
    child.env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url);
    child.env("AWS_CONTAINER_AUTHORIZATION_TOKEN", endpoint.token());
    if let Some(region) = &assumed.target.options.region {
        child
            .env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region);
    }
    child.env(crate::aws::base_env::ROLE_VAR, &assumed.target.role_arn);
    endpoint.serve(refresher(assumed, args));

    let status = match supervise::run(&mut child) {
        Ok(status) => status,
        Err(err) => return Ok(cannot_run(&command[0], &err)),
    };
    drop(files);
    Ok(ExitCode::from(supervise::mirror(status)))
}

/// The endpoint's source: `assume::assume` again (cache, lock, MFA on the
/// terminal), for the same role, `refresh_before_expiry` ahead of expiry.
/// Each new cause of failure is one line on stderr.
fn refresher(assumed: Assumed, args: &RoleOptions) -> Box<serve::Provider> {
    let margin = assume::refresh_margin(&assumed.config, assumed.target.duration());
    let role_arn = assumed.target.role_arn.clone();
    // A refresh never forces, and an MFA code given up front is spent.
    let args = RoleOptions {
        force_refresh: false,
        mfa_token: None,
        ..args.clone()
    };
    let refresh = move || {
        let new = super::warned(|w| assume::assume(&args, w))
            .context("cannot refresh the credentials served to the command")?;
        if new.target.role_arn != role_arn {
            bail!(
                "cannot refresh the credentials served to the command: the configuration now \
                 names {} instead of {role_arn}; restart the command to change roles",
                new.target.role_arn
            );
        }
        Ok(new.credentials)
    };
    serve::refresher(
        assumed.credentials,
        margin,
        Box::new(refresh),
        Box::new(super::report),
    )
}

fn cannot_run(program: &std::ffi::OsStr, err: &io::Error) -> ExitCode {
    let name = program.to_string_lossy();
    super::report(&anyhow::anyhow!("cannot run `{name}`: {err}"));
    ExitCode::from(match err.kind() {
        io::ErrorKind::NotFound => 127,
        _ => 126,
    })
}

/// Replaces this process with the command, so that signals and the exit
/// status are the command's own.
fn exec(assumed: &Assumed, command: &[std::ffi::OsString]) -> Result<ExitCode> {
    let mut child = Command::new(&command[0]);
    child.args(&command[1..]);
    for name in assumed.removed() {
        child.env_remove(name);
    }
    // The MFA code was ours to use, not the command's.
    child.env_remove("ASSUME_ROLE_MFA_TOKEN");
    child.envs(assumed.variables());
    let err = child.exec();
    Ok(cannot_run(&command[0], &err))
}

fn print(assumed: &Assumed, format: Format) -> Result<()> {
    let vars = assumed.variables();
    let text = match format {
        Format::Env => env_lines(&vars)?,
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.into()))
                .collect();
            serde_json::to_string_pretty(&map)? + "\n"
        }
        Format::Bash => statements(assumed, Shell::Bash)?,
        Format::Zsh => statements(assumed, Shell::Zsh)?,
        Format::Fish => statements(assumed, Shell::Fish)?,
        Format::PowerShell => statements(assumed, Shell::PowerShell)?,
    };
    io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// `KEY=value` lines. dotenv and `docker --env-file` readers take every
/// line as a variable, so a value holding a line break is never printed.
fn env_lines(vars: &[(&str, String)]) -> Result<String> {
    let mut out = String::new();
    for (name, value) in vars {
        if value.contains(['\n', '\r', '\0']) {
            anyhow::bail!(
                "{name} holds a line break, so it cannot be printed as KEY=value; use --format json"
            );
        }
        out += &format!("{name}={value}\n");
    }
    Ok(out)
}

/// The variables as a shell's statements: the same change `ar` makes,
/// without the integration's own state.
fn statements(assumed: &Assumed, shell: Shell) -> Result<String> {
    let mut change = EnvChange::new();
    for name in assumed.removed() {
        change.push(Scope::Role, name, None);
    }
    for (name, value) in assumed.variables() {
        change.push(Scope::Role, name, Some(&value));
    }
    change.render(shell)
}
