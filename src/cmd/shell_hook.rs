//! `__shell SHELL switch|restore|hook`: what the functions of `init` call.
//! Prints statements for the shell to evaluate; prints nothing on failure,
//! so a failed switch changes nothing.
//!
//! The shell keeps four variables of its own (not exported): `__ar_orig`,
//! the managed variables from before the first switch; `__ar_state`, what
//! is active and how to refresh it; `__ar_refresh_at`, when to refresh
//! (epoch seconds); for fish, `__ar_refresh_clock`, the same moment on the
//! clock its hook can read without a process; `__ar_trust_mark`, a file
//! that `allow` and `deny` remove, so that the next prompt (any shell's)
//! sees that trust changed with a builtin test and calls the hook.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::assume::{self, Assumed};
use crate::aws::base_env::{self, CREDENTIALS, MANAGED, Saved};
use crate::cli::{RoleOptions, ShellAction, ShellHookArgs};
use crate::config::{self, Config, Origin, Why};
use crate::shell::Shell;
use crate::store::trust;
use crate::util::time::rfc3339;
use crate::{report, warn};

const STATE_VAR: &str = "__AR_STATE";
const SHELL_VARS: &[&str] = &[
    "__ar_orig",
    "__ar_state",
    "__ar_refresh_at",
    "__ar_refresh_clock",
];
/// How long the hook waits before retrying a refresh that failed.
const RETRY: Duration = Duration::from_secs(60);

/// What is active in the shell, and how to assume it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    /// The role as named (by `ar ROLE` or the directory's file).
    role: String,
    /// The ARN it resolved to: a refresh assumes exactly this role, whatever
    /// a config file says by then.
    #[serde(default)]
    role_arn: Option<String>,
    /// Where the role was resolved (its config files apply).
    dir: PathBuf,
    /// Set by the directory hook from this file; `None` for a manual `ar`.
    file: Option<PathBuf>,
    /// For the directory hook: the digest of the config files in effect, so
    /// that an edit (allowed again) is followed.
    #[serde(default)]
    digest: Option<String>,
    /// The settings it was assumed with, as resolved: stored as is, so that
    /// every one of them is carried through a refresh (never an MFA code:
    /// that field is not serialised).
    #[serde(default)]
    options: RoleOptions,
    /// What the last switch or refresh set the managed variables that are
    /// not credentials to (`None`: unset). A refresh leaves alone any the
    /// user has changed since (exported another region, a direnv hook set
    /// AWS_PROFILE); `ar -u` still restores `__ar_orig` exactly.
    #[serde(default)]
    applied: Saved,
}

impl State {
    /// What a refresh assumes: the resolved role with the same settings.
    fn role_args(&self) -> RoleOptions {
        RoleOptions {
            role: Some(self.role_arn.clone().unwrap_or_else(|| self.role.clone())),
            ..self.options.clone()
        }
    }
}

pub fn run(args: ShellHookArgs) -> Result<ExitCode> {
    // The shell's environment before anything is set aside: what a first
    // switch must save, so that `ar -u` restores it exactly.
    let current = base_env::snapshot();
    let expiry = std::env::var("AWS_CREDENTIAL_EXPIRATION").ok();
    let orig = base_env::handed_over();
    let state: Option<State> = std::env::var(STATE_VAR)
        .ok()
        .filter(|s| !s.is_empty())
        .and_then(|s| serde_json::from_str(&s).ok());
    base_env::prepare();
    // SAFETY: single-threaded; nothing has started a thread yet.
    unsafe { std::env::remove_var(STATE_VAR) };

    let shell = args.shell;
    let action_is_hook = matches!(args.action, ShellAction::Hook);
    let out = match args.action {
        ShellAction::Switch(switch) => {
            let current = current?;
            let mut role_args = switch.role;
            role_args.role = Some(switch.name.clone());
            let dir = assume::current_dir()?;
            let config = assume::config_in(&dir, role_args.config.as_deref())?;
            for warning in &config.warnings {
                warn(format_args!("{warning}"));
            }
            let assumed = assume::assume_with(config, &role_args)?;
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
            Some(orig) => restore(shell, orig)?,
            None => {
                warn(format_args!("no role is active in this shell"));
                String::new()
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
                    Some(_) => refresh_statements(shell, now_secs() + RETRY.as_secs())?,
                    None => String::new(),
                }
            }
        },
    };
    let out = match (action_is_hook, trust_mark()) {
        (true, Some(mark)) => out + &mark_statement(shell, &mark)?,
        _ => out,
    };
    io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// For `assume-role console` without `--role`: the role active in the
/// calling shell (`ar --console` hands over its state), else the role the
/// directory's trusted assume-role.yaml names, as the hook would pick; with
/// the directory to resolve it in.
pub fn console_role(dir: &Path) -> Result<Option<(PathBuf, RoleOptions)>> {
    let state = std::env::var(STATE_VAR)
        .ok()
        .and_then(|s| serde_json::from_str::<State>(&s).ok());
    if let Some(state) = state {
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

const MARK_PREFIX: &str = "trust-mark.";

/// Where the marks live: beside the trust store.
fn mark_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("assume-role"))
}

/// The current trust mark, made when there is none; `None` when no file can
/// be made (the hook then follows trust changes at the next `cd` only).
fn trust_mark() -> Option<PathBuf> {
    let dir = mark_dir()?;
    let existing = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| n.to_str().is_some_and(|n| n.starts_with(MARK_PREFIX)))
            .max()
    });
    if let Some(name) = existing {
        return Some(dir.join(name));
    }
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .ok()?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let path = dir.join(format!("{MARK_PREFIX}{nanos}.{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .ok()?;
    Some(path)
}

/// After `allow` or `deny`: every shell's mark goes, so that its next
/// prompt calls the hook, which follows the new trust and makes a new mark.
pub fn trust_changed() {
    let Some(dir) = mark_dir() else { return };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(MARK_PREFIX))
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn mark_statement(shell: Shell, mark: &Path) -> Result<String> {
    match mark.to_str() {
        Some(mark) => Ok(shell.set_global("__ar_trust_mark", mark)? + "\n"),
        None => Ok(String::new()),
    }
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
) -> Result<String> {
    let dir = assume::current_dir()?;
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
        (Some(_), None) => return restore(shell, &base(&current)?),
        (None, None) => return Ok(String::new()),
    };
    let refresh = state == Some(&next);
    if refresh {
        // Called at a prompt with the credentials not yet due (the margin
        // may have changed since): tell the shell when to call again.
        if let Some(at) = refresh_time(&next, expiry).filter(|&at| at > now_secs()) {
            return refresh_statements(shell, at);
        }
    }
    let assumed = match wanted_config.take().filter(|_| next.file.is_some()) {
        Some(config) => assume::assume_with(config, &next.role_args())?,
        None => assume::assume_in(&next.dir, &next.role_args())?,
    };
    let base = base(&current)?;
    switch_to(shell, &assumed, &base, &next, refresh.then_some(&current))
}

/// The role a directory's trusted config files name.
struct Wanted {
    role: String,
    file: PathBuf,
    /// Of all the config files in effect.
    digest: String,
}

/// The role the nearest `assume-role.yaml` names, when every project file
/// in effect is trusted, with the config that applies in that file's
/// folder. A file not trusted is never parsed: the user is told, once, how
/// to trust it (a blocked one silently), and no role is assumed. Every
/// warning is printed here, once per call.
fn directory_role(dir: &Path) -> Result<Option<(Wanted, Config)>> {
    let sources = config::read_sources(dir, None)?;
    for warning in &sources.warnings {
        warn(format_args!("{warning}"));
    }
    if sources
        .skipped
        .iter()
        .any(|s| matches!(s.why, Why::Trust(_)))
    {
        return Ok(None);
    }
    let config = Config::from_sources(&sources.files)?;
    for warning in &config.warnings {
        warn(format_args!("{warning}"));
    }
    let Some((role, file)) = config.role.clone() else {
        return Ok(None);
    };
    // What is hashed is what was parsed.
    let all: Vec<u8> = sources
        .files
        .iter()
        .flat_map(|s| {
            [
                s.path.as_os_str().as_encoded_bytes(),
                b"\0",
                &s.bytes[..],
                b"\0",
            ]
        })
        .flatten()
        .copied()
        .collect();
    let digest = trust::digest(&all);
    // The role is assumed with the files at or above its own folder.
    let folder = file.parent().unwrap_or(Path::new("/"));
    let applies = |s: &&config::Source| {
        s.origin != Origin::Project || s.path.parent().is_some_and(|p| folder.starts_with(p))
    };
    let config = if sources.files.iter().all(|s| applies(&s)) {
        config
    } else {
        let files: Vec<config::Source> = sources.files.iter().filter(applies).cloned().collect();
        Config::from_sources(&files)?
    };
    Ok(Some((Wanted { role, file, digest }, config)))
}

/// When the credentials in the shell (expiring at `expiry`) are due for a
/// refresh, in epoch seconds; `None` when that cannot be told.
fn refresh_time(state: &State, expiry: Option<&str>) -> Option<u64> {
    let expiry = expiry.and_then(rfc3339::parse)?;
    let config = assume::config_in(&state.dir, state.options.config.as_deref()).ok()?;
    let duration = state.options.duration.unwrap_or(Duration::MAX);
    Some(epoch(expiry, assume::refresh_margin(&config, duration)))
}

/// `expiry − margin` in epoch seconds.
fn epoch(expiry: SystemTime, margin: Duration) -> u64 {
    let at = expiry.checked_sub(margin).unwrap_or(UNIX_EPOCH);
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Statements that switch the shell to `assumed`, keeping `orig` to
/// restore later. Variables the role does not set go back to `orig`, so
/// switching never leaves a mix of two identities.
///
/// On a refresh, `user` is the shell's environment now: the credentials
/// are replaced, and the other variables only where they still hold what
/// the switch set (the user's own changes since then stay).
fn switch_to(
    shell: Shell,
    assumed: &Assumed,
    orig: &Saved,
    state: &State,
    user: Option<&Result<Saved>>,
) -> Result<String> {
    let vars = assumed.variables();
    let mut out = String::new();
    let mut applied = Saved::new();
    for &name in MANAGED {
        let value = match vars.iter().find(|(k, _)| *k == name) {
            Some((_, value)) => Some(value.clone()),
            None if assumed.removed().contains(&name) => None,
            None => orig.get(name).cloned().flatten(),
        };
        if CREDENTIALS.contains(&name) {
            out += &shell.assign(name, value.as_deref())?;
            out.push('\n');
            continue;
        }
        let ours = state.applied.get(name);
        let changed_by_user = match (user, ours) {
            (Some(Ok(now)), Some(ours)) => now.get(name).cloned().flatten() != *ours,
            // Unreadable (not UTF-8): not ours any more.
            (Some(Err(_)), Some(_)) => true,
            _ => false,
        };
        if changed_by_user {
            applied.insert(name.to_owned(), ours.cloned().flatten());
        } else {
            out += &shell.assign(name, value.as_deref())?;
            out.push('\n');
            applied.insert(name.to_owned(), value);
        }
    }
    out += &shell.set_global("__ar_orig", &base_env::encode(orig))?;
    out.push('\n');
    let state = State {
        role_arn: Some(assumed.target.role_arn.clone()),
        options: assumed.target.options.clone(),
        applied,
        ..state.clone()
    };
    out += &shell.set_global("__ar_state", &serde_json::to_string(&state)?)?;
    out.push('\n');
    let margin = assume::refresh_margin(&assumed.config, assumed.target.duration());
    let refresh_at = epoch(assumed.credentials.expiration, margin);
    out += &refresh_statements(shell, refresh_at.max(now_secs() + 1))?;
    Ok(out)
}

/// Sets when the prompt hook calls back for a refresh.
fn refresh_statements(shell: Shell, at: u64) -> Result<String> {
    let mut out = shell.set_global("__ar_refresh_at", &at.to_string())? + "\n";
    if shell == Shell::Fish {
        out += &shell.set_global("__ar_refresh_clock", &fish_clock(at).to_string())?;
        out.push('\n');
    }
    Ok(out)
}

/// fish has no clock of its own: its hook reads /proc/uptime (no process)
/// where there is one, else `date +%s`; give it `at` on that clock.
fn fish_clock(at: u64) -> u64 {
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split('.').next().and_then(|s| s.parse::<u64>().ok()));
    match uptime {
        Some(up) => (up + at).saturating_sub(now_secs()),
        None => at,
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Statements that put every managed variable back as it was in `orig`
/// and forget the integration's state.
fn restore(shell: Shell, orig: &Saved) -> Result<String> {
    let mut out = String::new();
    for &name in MANAGED {
        out += &shell.restore(name, orig.get(name).cloned().flatten().as_deref())?;
        out.push('\n');
    }
    for name in SHELL_VARS {
        out += &shell.unset(name)?;
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Target;
    use crate::util::Credentials;

    fn assumed() -> Assumed {
        Assumed {
            target: Target {
                role_arn: "arn:aws:iam::123456789012:role/admin".into(),
                options: RoleOptions {
                    duration: Some(Duration::from_secs(3600)),
                    ..RoleOptions::default()
                },
                profile_name: None,
            },
            credentials: Credentials {
                access_key_id: "ASIAX".into(),
                secret_access_key: "s'‘ecret".into(),
                session_token: "tok$(x)`y`".into(),
                expiration: UNIX_EPOCH + Duration::from_secs(4_000_000_000),
            },
            config: Config::default(),
            profile: None,
        }
    }

    fn orig() -> Saved {
        let mut saved: Saved = MANAGED.iter().map(|n| (n.to_string(), None)).collect();
        saved.insert("AWS_REGION".into(), Some("eu-west-1".into()));
        saved.insert("AWS_PROFILE".into(), Some("mine".into()));
        saved
    }

    fn state() -> State {
        State {
            role: "admin".into(),
            role_arn: None,
            dir: "/p".into(),
            digest: None,
            file: None,
            options: RoleOptions::default(),
            applied: Saved::new(),
        }
    }

    #[test]
    fn powershell_switch_statements() {
        let out = switch_to(Shell::PowerShell, &assumed(), &orig(), &state(), None).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "$env:AWS_ACCESS_KEY_ID = 'ASIAX'");
        assert_eq!(lines[1], "$env:AWS_SECRET_ACCESS_KEY = 's''‘‘ecret'");
        assert_eq!(lines[2], "$env:AWS_SESSION_TOKEN = 'tok$(x)`y`'");
        assert_eq!(
            lines[4],
            "$env:AWS_CREDENTIAL_EXPIRATION = '2096-10-02T07:06:40Z'"
        );
        // Not set by the role: back to the user's own value.
        assert_eq!(lines[5], "$env:AWS_REGION = 'eu-west-1'");
        assert!(lines[6].starts_with("Remove-Item -LiteralPath 'Env:/AWS_DEFAULT_REGION'"));
        // The role's credentials are not the user's profile's.
        assert!(lines[7].starts_with("Remove-Item -LiteralPath 'Env:/AWS_PROFILE'"));
        assert!(out.contains("$global:__ar_orig = '{"));
        assert!(out.contains("$global:__ar_refresh_at = '"));
        assert!(!out.contains("__ar_refresh_clock"), "fish only");
    }

    #[test]
    fn restore_puts_back_every_managed_variable_and_forgets_the_state() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            let out = restore(shell, &orig()).unwrap();
            assert_eq!(
                out.lines().count(),
                MANAGED.len() + SHELL_VARS.len(),
                "{shell:?}"
            );
            for name in MANAGED.iter().chain(SHELL_VARS) {
                assert!(out.contains(name), "{shell:?} leaves {name}");
            }
        }
        let bash = restore(Shell::Bash, &orig()).unwrap();
        assert!(bash.contains("export AWS_REGION='eu-west-1'\n"));
        assert!(bash.contains("export AWS_PROFILE='mine'\n"));
        assert!(bash.contains("unset -v AWS_ACCESS_KEY_ID\n"));
        assert!(bash.contains("unset -v __ar_state\n"));
    }

    #[test]
    fn fish_gets_a_clock_it_can_read_without_a_process() {
        let out = switch_to(Shell::Fish, &assumed(), &orig(), &state(), None).unwrap();
        assert!(out.contains("set -g __ar_refresh_clock '"));
        assert!(out.contains("set -gx AWS_SESSION_TOKEN 'tok$(x)`y`'"));
    }

    #[test]
    fn state_survives_the_round_trip_through_the_shell() {
        let state = State {
            role: "it's".into(),
            role_arn: Some("arn:aws:iam::123456789012:role/x".into()),
            dir: "/a b".into(),
            digest: Some("d".into()),
            file: Some("/a b/assume-role.yaml".into()),
            options: RoleOptions {
                duration: Some(Duration::from_secs(900)),
                ..RoleOptions::default()
            },
            applied: Saved::new(),
        };
        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<State>(&text).unwrap(), state);
        assert_eq!(state.role_args().duration, Some(Duration::from_secs(900)));
        assert_eq!(state.role_args().mfa_token, None);
        assert_eq!(
            state.role_args().role.as_deref(),
            Some("arn:aws:iam::123456789012:role/x"),
            "a refresh assumes the resolved role, not the name"
        );
    }

    /// The state a switch stores, read back as the shell hands it over.
    fn stored_state(out: &str) -> (String, State) {
        let line = out
            .lines()
            .find_map(|l| l.strip_prefix("declare -g __ar_state="))
            .expect("the switch stores its state");
        let quoted = line.strip_suffix("; export -n __ar_state").unwrap();
        let text = quoted[1..quoted.len() - 1].replace(r"'\''", "'");
        let state = serde_json::from_str(&text).unwrap();
        (text, state)
    }

    /// `ar ROLE FLAG`, then a refresh: what the refresh assumes with.
    fn refresh_after_switch(flags: &[String]) -> (String, RoleOptions) {
        use clap::{Args, FromArgMatches};
        let cmd = RoleOptions::augment_args(clap::Command::new("ar"));
        let matches = cmd
            .try_get_matches_from(std::iter::once("ar".to_owned()).chain(flags.iter().cloned()))
            .unwrap_or_else(|e| panic!("{flags:?}: {e}"));
        let mut given = RoleOptions::from_arg_matches(&matches).unwrap();
        // As `run` does for `ar ROLE`.
        let name = "arn:aws:iam::123456789012:role/admin";
        given.role = Some(name.to_owned());
        let target = crate::resolve::resolve(name, &given, &Config::default()).unwrap();
        let switched = Assumed {
            target,
            ..assumed()
        };
        let state = State {
            options: given,
            ..state()
        };
        let out = switch_to(Shell::Bash, &switched, &orig(), &state, None).unwrap();
        let (text, stored) = stored_state(&out);
        (text, stored.role_args())
    }

    /// Every flag of `RoleOptions` given to `ar ROLE` is still in effect
    /// when the prompt hook refreshes: switch → the state the shell keeps →
    /// the options the refresh assumes with. It walks clap's definition, so
    /// a flag added later is covered without editing this test.
    #[test]
    fn every_role_flag_survives_a_refresh() {
        use clap::Args;
        // Deliberately not kept, and why.
        const NOT_KEPT: &[&str] = &[
            "role",          // named by `ar ROLE`, kept as the resolved ARN
            "force_refresh", // a refresh is due anyway
            "mfa_token",     // a code is good once: never stored
        ];
        const VALUE: &str = "918273";
        let (_, baseline) = refresh_after_switch(&[]);
        let cmd = RoleOptions::augment_args(clap::Command::new("ar"));
        let mut seen = Vec::new();
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str().to_owned();
            let long = arg.get_long().expect("every role flag has a long name");
            let mut flags = vec![format!("--{long}")];
            if arg.get_action().takes_values() {
                let value = match long {
                    // A session length AssumeRole allows (900 s to 12 h).
                    "duration" => "21613".to_owned(),
                    _ => arg
                        .get_possible_values()
                        .first()
                        .map_or(VALUE.to_owned(), |v| v.get_name().to_owned()),
                };
                flags.push(value);
            }
            let (stored, refreshed) = refresh_after_switch(&flags);
            if NOT_KEPT.contains(&id.as_str()) {
                assert_eq!(refreshed, baseline, "--{long}");
                assert!(!stored.contains(VALUE), "--{long} stored: {stored}");
            } else {
                assert_ne!(refreshed, baseline, "--{long} is lost on a refresh");
                let json = serde_json::to_value(&refreshed).unwrap();
                assert!(
                    json[&id]
                        .to_string()
                        .contains(flags.last().unwrap().as_str()),
                    "--{long} {flags:?} became {} on a refresh",
                    json[&id]
                );
            }
            seen.push(id);
        }
        // The walk saw the flags (a broken walk must not pass).
        for id in ["region", "duration", "external_id", "mfa_token", "config"] {
            assert!(seen.iter().any(|s| s == id), "{id} not walked: {seen:?}");
        }
        let (_, refreshed) = refresh_after_switch(&["--mfa-token".into(), VALUE.into()]);
        assert_eq!(refreshed.mfa_token, None, "the MFA code is never stored");
    }

    /// The managed variables that `out` sets or unsets.
    fn touched(shell: Shell, out: &str) -> Vec<&'static str> {
        MANAGED
            .iter()
            .copied()
            .filter(|name| {
                let set = shell.export(name, "").unwrap();
                let set = set.trim_end_matches("''");
                let unset = shell.assign(name, None).unwrap();
                out.lines()
                    .any(|l| l.starts_with(set) || l.starts_with(&unset))
            })
            .collect()
    }

    /// A refresh replaces the credentials, and the other variables only
    /// where the user left what the switch set (issue 13, item 5).
    #[test]
    fn a_refresh_keeps_what_the_user_changed_since_the_switch() {
        let mut role = assumed();
        role.target.options.region = Some("eu-west-1".into());
        let switch = |state: &State, user: Option<&Result<Saved>>| {
            stored_state(&switch_to(Shell::Bash, &role, &orig(), state, user).unwrap()).1
        };
        let switched = switch(&state(), None);
        assert_eq!(
            switched.applied.get("AWS_REGION"),
            Some(&Some("eu-west-1".into()))
        );
        // The user exports another region and a profile and unsets
        // AWS_DEFAULT_REGION; AWS_DEFAULT_PROFILE is as the switch left it.
        let mut now: Saved = switched.applied.clone();
        now.insert("AWS_REGION".into(), Some("ap-south-1".into()));
        now.insert("AWS_PROFILE".into(), Some("mine".into()));
        now.insert("AWS_DEFAULT_REGION".into(), None);
        let now = Ok(now);
        let mut kept: Vec<&str> = CREDENTIALS.to_vec();
        kept.push("AWS_DEFAULT_PROFILE");
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            let out = switch_to(shell, &role, &orig(), &state(), None).unwrap();
            assert_eq!(
                touched(shell, &out),
                MANAGED,
                "{shell:?}: a switch sets all"
            );
            let out = switch_to(shell, &role, &orig(), &switched, Some(&now)).unwrap();
            let mut got = touched(shell, &out);
            got.sort();
            kept.sort();
            assert_eq!(got, kept, "{shell:?}:\n{out}");
        }
        // At the next refresh too, though the role wants its own region:
        // what is remembered is what the switch set, not the user's value.
        let refreshed = switch(&switched, Some(&now));
        assert_eq!(refreshed.applied, switched.applied);
        // Not changed by the user: a refresh may set it again.
        let out = switch_to(
            Shell::Bash,
            &role,
            &orig(),
            &switched,
            Some(&Ok(switched.applied.clone())),
        )
        .unwrap();
        assert_eq!(touched(Shell::Bash, &out), MANAGED);
        // Unreadable now: nothing but the credentials is touched.
        let out = switch_to(
            Shell::Bash,
            &role,
            &orig(),
            &switched,
            Some(&Err(anyhow::anyhow!("odd"))),
        )
        .unwrap();
        assert_eq!(touched(Shell::Bash, &out), CREDENTIALS);
    }
}
