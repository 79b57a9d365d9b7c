//! `__shell SHELL switch|restore|hook`: what the functions of `init` call.
//! Prints statements for the shell to evaluate; prints nothing on failure,
//! so a failed switch changes nothing.
//!
//! The shell keeps five variables of its own (not exported): `__ar_orig`,
//! the managed variables from before the first switch; `__ar_state`, what
//! is active and how to refresh it; `__ar_refresh_at`, when to refresh
//! (epoch seconds); for fish, `__ar_refresh_clock`, the same moment on the
//! clock its hook can read without a process; `__ar_trust_mark`, a file
//! that `allow` and `deny` remove, so that the next prompt (any shell's)
//! sees that trust changed with a builtin test and calls the hook.
//!
//! By job: `state` (what the shell keeps), `directory` (the role a
//! directory's trusted file names), `refresh` (when to call back),
//! `trust_mark` (following `allow` and `deny`), `switch` (the environment
//! change of a switch, a refresh or a restore); here, what to do at each
//! call. Every call builds one [`EnvChange`] and renders it once.

mod directory;
mod refresh;
mod state;
mod switch;
mod trust_mark;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use self::directory::directory_role;
use self::refresh::{RETRY, now_secs, refresh_at, refresh_time};
use self::state::{STATE_VAR, State};
use self::switch::{restore, switch_to};
pub use self::trust_mark::trust_changed;
use self::trust_mark::{mark_change, trust_mark};
use super::{print_warnings, report, warn, warned};
use crate::assume;
use crate::aws::base_env::{self, Saved};
use crate::cli::{RoleOptions, ShellAction, ShellHookArgs};
use crate::shell::{EnvChange, Shell};

pub fn run(args: ShellHookArgs) -> Result<ExitCode> {
    // The shell's environment before anything is set aside: what a first
    // switch must save, so that `ar -u` restores it exactly.
    let current = base_env::snapshot();
    let expiry = std::env::var("AWS_CREDENTIAL_EXPIRATION").ok();
    let orig = base_env::handed_over();
    let state = State::handed_over();
    base_env::prepare();
    // SAFETY: single-threaded; nothing has started a thread yet.
    unsafe { std::env::remove_var(STATE_VAR) };

    let shell = args.shell;
    let action_is_hook = matches!(args.action, ShellAction::Hook);
    let mut out = match args.action {
        ShellAction::Switch(switch) => {
            let current = current?;
            let mut role_args = switch.role;
            role_args.role = Some(switch.name.clone());
            let dir = warned(assume::current_dir)?;
            let config = assume::config_in(&dir, role_args.config.as_deref())?;
            print_warnings(&config.warnings);
            let assumed = warned(|w| assume::assume_with(config, &role_args, w))?;
            let state = State {
                role: switch.name,
                role_arn: None,
                dir,
                file: None,
                digest: None,
                options: role_args,
                applied: Saved::new(),
            };
            switch_to(
                shell,
                &assumed,
                orig.as_ref().unwrap_or(&current),
                &state,
                None,
            )?
        }
        ShellAction::Restore => match &orig {
            Some(orig) => restore(orig),
            None => {
                warn(format_args!("no role is active in this shell"));
                EnvChange::new()
            }
        },
        // The hook runs at a prompt: it reports a failure and succeeds, and
        // while a role is active it asks to be called again in a while
        // rather than at every prompt.
        ShellAction::Hook => match hook(shell, current, orig, state.as_ref(), expiry.as_deref()) {
            Ok(out) => out,
            Err(e) => {
                report(&e);
                match state {
                    Some(_) => refresh_at(shell, now_secs() + RETRY.as_secs()),
                    None => EnvChange::new(),
                }
            }
        },
    };
    if action_is_hook && let Some(mark) = trust_mark() {
        out.extend(mark_change(&mark));
    }
    io::stdout()
        .lock()
        .write_all(out.render(shell)?.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// For `assume-role console` without `--role`: the role active in the
/// calling shell (`ar --console` hands over its state), else the role the
/// directory's trusted assume-role.yaml names, as the hook would pick; with
/// the directory to resolve it in.
pub fn console_role(dir: &Path) -> Result<Option<(PathBuf, RoleOptions)>> {
    if let Some(state) = State::handed_over() {
        return Ok(Some((state.dir.clone(), state.role_args())));
    }
    Ok(directory_role(dir)?.map(|(wanted, _)| {
        let at = wanted
            .file
            .parent()
            .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
        let role = RoleOptions {
            role: Some(wanted.role),
            ..RoleOptions::default()
        };
        (at, role)
    }))
}

/// The prompt hook: follow the directory's trusted role, leave it, or
/// refresh what is active. A failure is reported and retried later; it
/// never leaves the shell half switched.
fn hook(
    shell: Shell,
    current: Result<Saved>,
    orig: Option<Saved>,
    state: Option<&State>,
    expiry: Option<&str>,
) -> Result<EnvChange> {
    let dir = warned(assume::current_dir)?;
    // A manual `ar` wins over the directory until `ar -u`.
    let manual = matches!(state, Some(State { file: None, .. }));
    let wanted = if manual {
        None
    } else {
        directory_role(&dir).unwrap_or_else(|e| {
            report(&e);
            None
        })
    };
    // What to restore: only needed, and only checked, when something changes.
    let base = |current: &Result<Saved>| match orig {
        Some(orig) => Ok(orig),
        None => match current {
            Ok(current) => Ok(current.clone()),
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        },
    };
    // The directory's config, already read: not read (or warned about) twice.
    let (wanted, mut wanted_config) = match wanted {
        Some((wanted, config)) => (Some(wanted), Some(config)),
        None => (None, None),
    };

    let next = match (state, wanted) {
        (Some(active), Some(wanted))
            if active.file.as_ref() == Some(&wanted.file)
                && active.role == wanted.role
                && active.digest.as_ref() == Some(&wanted.digest) =>
        {
            active.clone()
        }
        (_, Some(wanted)) => State {
            role: wanted.role,
            role_arn: None,
            dir: wanted
                .file
                .parent()
                .map_or_else(|| dir.clone(), Path::to_path_buf),
            file: Some(wanted.file),
            digest: Some(wanted.digest),
            options: RoleOptions::default(),
            applied: Saved::new(),
        },
        (Some(active), None) if manual => active.clone(),
        (Some(_), None) => return Ok(restore(&base(&current)?)),
        (None, None) => return Ok(EnvChange::new()),
    };
    let refresh = state == Some(&next);
    if refresh {
        // Called at a prompt with the credentials not yet due (the margin
        // may have changed since): tell the shell when to call again.
        if let Some(at) = refresh_time(&next, expiry).filter(|&at| at > now_secs()) {
            return Ok(refresh_at(shell, at));
        }
    }
    let assumed = match wanted_config.take().filter(|_| next.file.is_some()) {
        Some(config) => warned(|w| assume::assume_with(config, &next.role_args(), w))?,
        None => warned(|w| assume::assume_in(&next.dir, &next.role_args(), w))?,
    };
    let base = base(&current)?;
    switch_to(shell, &assumed, &base, &next, refresh.then_some(&current))
}
