//! When the prompt hook calls back to refresh the credentials: the shell
//! compares `__ar_refresh_at` (fish: `__ar_refresh_clock`) with its clock,
//! so that a prompt with nothing due starts no process.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::state::State;
use crate::assume;
use crate::shell::{EnvChange, Scope, Shell};
use crate::util::time::rfc3339;

/// How long the hook waits before retrying a refresh that failed.
pub const RETRY: Duration = Duration::from_secs(60);

/// When the credentials in the shell (expiring at `expiry`) are due for a
/// refresh, in epoch seconds; `None` when that cannot be told.
pub fn refresh_time(state: &State, expiry: Option<&str>) -> Option<u64> {
    let expiry = expiry.and_then(rfc3339::parse)?;
    let config = assume::config_in(&state.dir, state.options.config.as_deref()).ok()?;
    let duration = state.options.duration.unwrap_or(Duration::MAX);
    Some(epoch(expiry, assume::refresh_margin(&config, duration)))
}

/// `expiry − margin` in epoch seconds.
pub fn epoch(expiry: SystemTime, margin: Duration) -> u64 {
    let at = expiry.checked_sub(margin).unwrap_or(UNIX_EPOCH);
    at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Sets when the prompt hook calls back for a refresh.
pub fn refresh_at(shell: Shell, at: u64) -> EnvChange {
    let mut change = EnvChange::new();
    change.push(Scope::Private, "__ar_refresh_at", Some(&at.to_string()));
    if shell == Shell::Fish {
        let clock = fish_clock(at).to_string();
        change.push(Scope::Private, "__ar_refresh_clock", Some(&clock));
    }
    change
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

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
