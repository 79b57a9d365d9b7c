//! The environment changes of the shell integration: switching to a role
//! (or refreshing it) and restoring what was there before.

use anyhow::Result;

use super::refresh::{epoch, now_secs, refresh_at};
use super::state::{SHELL_VARS, State};
use crate::assume::{self, Assumed};
use crate::aws::base_env::{self, CREDENTIALS, MANAGED, Saved};
use crate::shell::{EnvChange, Scope, Shell};

/// The change that switches the shell to `assumed`, keeping `orig` to
/// restore later. Variables the role does not set go back to `orig`, so
/// switching never leaves a mix of two identities.
///
/// On a refresh, `user` is the shell's environment now: the credentials
/// are replaced, and the other variables only where they still hold what
/// the switch set (the user's own changes since then stay).
pub fn switch_to(
    shell: Shell,
    assumed: &Assumed,
    orig: &Saved,
    state: &State,
    user: Option<&Result<Saved>>,
) -> Result<EnvChange> {
    let vars = assumed.variables();
    let mut out = EnvChange::new();
    let mut applied = Saved::new();
    for &name in MANAGED {
        let value = match vars.iter().find(|(k, _)| *k == name) {
            Some((_, value)) => Some(value.clone()),
            None if assumed.removed().contains(&name) => None,
            None => orig.get(name).cloned().flatten(),
        };
        if CREDENTIALS.contains(&name) {
            out.push(Scope::Role, name, value.as_deref());
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
            out.push(Scope::Role, name, value.as_deref());
            applied.insert(name.to_owned(), value);
        }
    }
    out.push(Scope::Private, "__ar_orig", Some(&base_env::encode(orig)));
    let state = State {
        role_arn: Some(assumed.target.role_arn.clone()),
        options: assumed.target.options.clone(),
        applied,
        ..state.clone()
    };
    out.push(
        Scope::Private,
        "__ar_state",
        Some(&serde_json::to_string(&state)?),
    );
    let margin = assume::refresh_margin(&assumed.config, assumed.target.duration());
    let at = epoch(assumed.credentials.expiration, margin);
    out.extend(refresh_at(shell, at.max(now_secs() + 1)));
    Ok(out)
}

/// The change that puts every managed variable back as it was in `orig`
/// and forgets the integration's state.
pub fn restore(orig: &Saved) -> EnvChange {
    let mut out = EnvChange::new();
    for &name in MANAGED {
        out.push(
            Scope::User,
            name,
            orig.get(name).cloned().flatten().as_deref(),
        );
    }
    for name in SHELL_VARS {
        out.push(Scope::Private, name, None);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::aws::base_env::CREDENTIALS;
    use crate::cli::RoleOptions;
    use crate::config::Config;
    use crate::resolve::Target;
    use crate::util::Credentials;

    /// What a switch prints for `shell`.
    fn render(
        shell: Shell,
        assumed: &Assumed,
        orig: &Saved,
        state: &State,
        user: Option<&Result<Saved>>,
    ) -> Result<String> {
        switch_to(shell, assumed, orig, state, user)?.render(shell)
    }

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
        let out = render(Shell::PowerShell, &assumed(), &orig(), &state(), None).unwrap();
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
            let out = restore(&orig()).render(shell).unwrap();
            assert_eq!(
                out.lines().count(),
                MANAGED.len() + SHELL_VARS.len(),
                "{shell:?}"
            );
            for name in MANAGED.iter().chain(SHELL_VARS) {
                assert!(out.contains(name), "{shell:?} leaves {name}");
            }
        }
        let bash = restore(&orig()).render(Shell::Bash).unwrap();
        assert!(bash.contains("export AWS_REGION='eu-west-1'\n"));
        assert!(bash.contains("export AWS_PROFILE='mine'\n"));
        assert!(bash.contains("unset -v AWS_ACCESS_KEY_ID\n"));
        assert!(bash.contains("unset -v __ar_state\n"));
    }

    #[test]
    fn fish_gets_a_clock_it_can_read_without_a_process() {
        let out = render(Shell::Fish, &assumed(), &orig(), &state(), None).unwrap();
        assert!(out.contains("set -g __ar_refresh_clock '"));
        assert!(out.contains("set -gx AWS_SESSION_TOKEN 'tok$(x)`y`'"));
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
        let out = render(Shell::Bash, &switched, &orig(), &state, None).unwrap();
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
            stored_state(&render(Shell::Bash, &role, &orig(), state, user).unwrap()).1
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
            let out = render(shell, &role, &orig(), &state(), None).unwrap();
            assert_eq!(
                touched(shell, &out),
                MANAGED,
                "{shell:?}: a switch sets all"
            );
            let out = render(shell, &role, &orig(), &switched, Some(&now)).unwrap();
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
        let out = render(
            Shell::Bash,
            &role,
            &orig(),
            &switched,
            Some(&Ok(switched.applied.clone())),
        )
        .unwrap();
        assert_eq!(touched(Shell::Bash, &out), MANAGED);
        // Unreadable now: nothing but the credentials is touched.
        let out = render(
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
