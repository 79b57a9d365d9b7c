//! `status`: the active role, its account, the time left, the config files
//! in effect and their trust. Reads the environment and files only.

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Result;

use crate::base_env::ROLE_VAR;
use crate::cache::rfc3339;
use crate::cli::{RoleOptions, StatusArgs};
use crate::config;
use crate::pipeline;
use crate::resolve::parse_role_arn;
use crate::trust::{self, Trust};

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
    let config = pipeline::load_config(&RoleOptions::default())?;
    let home = config::home_file();
    let files: Vec<(String, &str)> = config
        .files
        .iter()
        .map(|f| {
            let trust = if Some(f) == home.as_ref() {
                "yours"
            } else {
                let content = std::fs::read(f).unwrap_or_default();
                match trust::state(f, &content) {
                    Ok(Trust::Allowed) => "trusted",
                    Ok(Trust::Changed) => "changed since allowed",
                    Ok(Trust::Denied) => "blocked",
                    Ok(Trust::Unknown) | Err(_) => "not trusted",
                }
            };
            (f.display().to_string(), trust)
        })
        .collect();

    let mut out = String::new();
    if args.json {
        let json = serde_json::json!({
            "role_arn": role,
            "account": account,
            "expiration": expiry.map(rfc3339::format),
            "seconds_left": left.map(|d| d.as_secs()),
            "config_files": files.iter().map(|(f, t)| serde_json::json!({"path": f, "trust": t})).collect::<Vec<_>>(),
        });
        out = format!("{json}\n");
    } else {
        match (&role, left) {
            (Some(role), Some(left)) if left > Duration::ZERO => {
                out += &format!(
                    "role:    {role}\naccount: {}\nexpires: in {}\n",
                    account.unwrap_or_default(),
                    human(left)
                );
            }
            (Some(role), _) => out += &format!("role:    {role} (credentials expired)\n"),
            (None, _) => out += "role:    none active\n",
        }
        for (file, trust) in &files {
            out += &format!("config:  {file} ({trust})\n");
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
