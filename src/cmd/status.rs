//! `status`: the active role, its account, the time left, the config files
//! in effect and their trust. Reads the environment and files only. What
//! it shows in text has its control characters escaped.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::assume;
use crate::aws::base;
use crate::aws::base_env::ROLE_VAR;
use crate::cli::{RoleOptions, StatusArgs};
use crate::config::{self, Why};
use crate::store::cache::Cache;
use crate::store::trust::Trust;
use crate::util::escape;
use crate::util::names::parse_role_arn;
use crate::util::time::rfc3339;

pub fn run(args: &StatusArgs) -> Result<ExitCode> {
    let role = std::env::var(ROLE_VAR).ok().filter(|r| !r.is_empty());
    let account = role
        .as_deref()
        .and_then(|r| parse_role_arn(r).ok())
        .map(|a| a.account.to_owned());
    let expiry = std::env::var("AWS_CREDENTIAL_EXPIRATION")
        .ok()
        .and_then(|t| rfc3339::parse(&t));
    let left = expiry.map(|e| e.duration_since(SystemTime::now()).unwrap_or_default());
    let config = super::warned(|w| assume::load_config(&RoleOptions::default(), w))?;
    // The identity roles are assumed from: the user's own, not the role's
    // that is active (read above, before the environment is set back).
    crate::aws::base_env::prepare();
    let base = base::find(config.source_profile.as_deref())?;
    let home = config::home_file();
    // The files in effect, then those found but not used, and why.
    let mut files: Vec<(String, &str)> = config
        .files
        .iter()
        .map(|f| {
            let trust = if Some(f) == home.as_ref() {
                "yours"
            } else {
                "trusted"
            };
            (f.display().to_string(), trust)
        })
        .collect();
    files.extend(config.skipped.iter().map(|s| {
        let why = match &s.why {
            Why::Trust(Trust::Changed) => "changed since allowed",
            Why::Trust(Trust::Denied) => "blocked",
            Why::Trust(_) => "not trusted",
            Why::Unsafe(_) => "not read",
        };
        (s.path.display().to_string(), why)
    }));

    // Read only when the folder exists: status creates nothing.
    let sessions: Vec<(String, Duration)> = dirs::cache_dir()
        .map(|d| d.join("assume-role"))
        .filter(|d| d.is_dir())
        .and_then(|d| Cache::open_at(d).ok())
        .map(|cache| {
            super::print_warnings(&cache.take_warnings());
            cache.mfa_sessions()
        })
        .unwrap_or_default()
        .into_iter()
        .map(|s| {
            let left = s.credentials.expiration.duration_since(SystemTime::now());
            (s.serial, left.unwrap_or_default())
        })
        .collect();

    let mut out = String::new();
    if args.json {
        let json = serde_json::json!({
            "role_arn": role,
            "account": account,
            "expiration": expiry.map(rfc3339::format),
            "seconds_left": left.map(|d| d.as_secs()),
            "mfa_sessions": sessions.iter().map(|(serial, left)| serde_json::json!({"serial": serial, "seconds_left": left.as_secs()})).collect::<Vec<_>>(),
            "base": {"profile": base.profile, "kind": base.kind_name(), "description": base.describe()},
            "config_files": files.iter().map(|(f, t)| serde_json::json!({"path": f, "trust": t})).collect::<Vec<_>>(),
        });
        out = format!("{json}\n");
    } else {
        match (&role, left) {
            (Some(role), Some(left)) if left > Duration::ZERO => {
                out += &format!(
                    "role:    {}\naccount: {}\nexpires: in {}\n",
                    escape(role),
                    escape(&account.unwrap_or_default()),
                    human(left)
                );
            }
            (Some(role), _) => out += &format!("role:    {} (credentials expired)\n", escape(role)),
            (None, _) => out += "role:    none active\n",
        }
        for (serial, left) in &sessions {
            out += &format!("mfa:     session of {serial}, ends in {}\n", human(*left));
        }
        out += &format!("base:    {}\n", escape(&base.describe()));
        for (file, trust) in &files {
            out += &format!("config:  {} ({trust})\n", escape(file));
        }
    }
    io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn human(d: Duration) -> String {
    let mins = d.as_secs() / 60;
    match mins {
        0 => format!("{}s", d.as_secs()),
        1..=59 => format!("{mins}m"),
        _ => format!("{}h{:02}m", mins / 60, mins % 60),
    }
}
