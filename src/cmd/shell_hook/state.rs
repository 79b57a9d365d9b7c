//! What the shell keeps between calls: the active role and how to assume
//! it again (`__ar_state`), beside the saved environment (`__ar_orig`) and
//! the refresh time (`__ar_refresh_at`, fish's `__ar_refresh_clock`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::aws::base_env::Saved;
use crate::cli::RoleOptions;

/// How the shell hands `__ar_state` to the binary.
pub const STATE_VAR: &str = "__AR_STATE";

/// The integration's own shell variables, forgotten by `ar -u`.
pub const SHELL_VARS: &[&str] = &[
    "__ar_orig",
    "__ar_state",
    "__ar_refresh_at",
    "__ar_refresh_clock",
];

/// What is active in the shell, and how to assume it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The role as named (by `ar ROLE` or the directory's file).
    pub role: String,
    /// The ARN it resolved to: a refresh assumes exactly this role, whatever
    /// a config file says by then.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Where the role was resolved (its config files apply).
    pub dir: PathBuf,
    /// Set by the directory hook from this file; `None` for a manual `ar`.
    pub file: Option<PathBuf>,
    /// For the directory hook: the digest of the config files in effect, so
    /// that an edit (allowed again) is followed.
    #[serde(default)]
    pub digest: Option<String>,
    /// The settings it was assumed with, as resolved: stored as is, so that
    /// every one of them is carried through a refresh (never an MFA code:
    /// that field is not serialised).
    #[serde(default)]
    pub options: RoleOptions,
    /// What the last switch or refresh set the managed variables that are
    /// not credentials to (`None`: unset). A refresh leaves alone any the
    /// user has changed since (exported another region, a direnv hook set
    /// AWS_PROFILE); `ar -u` still restores `__ar_orig` exactly.
    #[serde(default)]
    pub applied: Saved,
}

impl State {
    /// The state the shell handed over, if any and readable.
    pub fn handed_over() -> Option<State> {
        std::env::var(STATE_VAR)
            .ok()
            .filter(|s| !s.is_empty())
            .and_then(|s| serde_json::from_str(&s).ok())
    }

    /// What a refresh assumes: the resolved role with the same settings.
    pub fn role_args(&self) -> RoleOptions {
        RoleOptions {
            role: Some(self.role_arn.clone().unwrap_or_else(|| self.role.clone())),
            ..self.options.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

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
}
