//! `console`: the AWS console signed in as the role, in the browser or as
//! a URL on stdout. The credentials come from `assume::assume` exactly as in
//! print mode (cache first); only then is the sign-in endpoint called.

use std::env;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Result, anyhow};

use crate::assume::{self, Assumed};
use crate::aws::signin::{self, Partition};
use crate::cli::{ConsoleArgs, RoleOptions};
use crate::store::aws_files;
use crate::util::Usage;
use crate::util::time::parse_duration;
use crate::util::time::rfc3339;

use super::shell_hook;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// AWS's limit on a session of a role assumed with a role's credentials.
const CHAINED_LIMIT: Duration = Duration::from_secs(3600);

pub fn run(args: ConsoleArgs) -> Result<ExitCode> {
    let dir = super::warned(assume::current_dir)?;
    // `--role`, or the `role:` of an explicit `--config` (trusted as the
    // user's own), else the role active in the calling shell (`ar
    // --console`), else the one the directory's trusted assume-role.yaml
    // names. An untrusted file never picks the role.
    let (dir, role_args) = if args.role.role.is_some() || args.role.config.is_some() {
        (dir, args.role.clone())
    } else {
        match shell_hook::console_role(&dir)? {
            Some((at, role)) => (at, overlay(role, &args.role)),
            None => {
                return Err(Usage(
                    "no role given: pass --role ROLE, switch the shell with `ar ROLE` first, \
                     or set `role:` in a trusted assume-role.yaml"
                        .into(),
                )
                .into());
            }
        }
    };
    let assumed = super::warned(|w| assume::assume_in(&dir, &role_args, w))?;

    let partition = Partition::of_arn(&assumed.target.role_arn)?;
    let region = assumed.target.options.region.clone().or_else(env_region);
    let destination = signin::destination(partition, args.service.as_deref(), region.as_deref())?;
    let base = partition.signin_base()?;
    let token = signin::signin_token(&base, &assumed.credentials, timeout()?)?;
    let url = signin::login_url(&base, &destination, &token);

    if args.print {
        writeln!(io::stdout().lock(), "{url}")?;
    } else {
        // The URL is a credential: never in a message, whatever happens.
        webbrowser::open(&url).map_err(|e| {
            let why = match e.kind() {
                io::ErrorKind::NotFound => "no browser found".to_owned(),
                _ => crate::util::one_line(&e.to_string()),
            };
            anyhow!("cannot open a browser: {why}; set BROWSER, or use --print to get the URL")
        })?;
    }
    tell_session_length(&assumed);
    Ok(ExitCode::SUCCESS)
}

/// The options given on the command line, over those of the shell's role.
fn overlay(mut role: RoleOptions, given: &RoleOptions) -> RoleOptions {
    fn over<T: Clone>(slot: &mut Option<T>, given: &Option<T>) {
        if given.is_some() {
            slot.clone_from(given);
        }
    }
    over(&mut role.duration, &given.duration);
    over(&mut role.region, &given.region);
    over(&mut role.external_id, &given.external_id);
    over(&mut role.mfa_serial, &given.mfa_serial);
    over(&mut role.role_session_name, &given.role_session_name);
    over(&mut role.source_profile, &given.source_profile);
    over(&mut role.config, &given.config);
    role.mfa_token.clone_from(&given.mfa_token);
    role.force_refresh = given.force_refresh;
    role
}

/// The region the user's tools use, when neither the flag nor the role's
/// settings name one.
fn env_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| env::var(name).ok().filter(|r| !r.is_empty()))
}

fn timeout() -> Result<Duration> {
    match env::var("ASSUME_ROLE_TIMEOUT") {
        Ok(text) => parse_duration(&text).map_err(|e| anyhow!("ASSUME_ROLE_TIMEOUT: {e}")),
        Err(_) => Ok(DEFAULT_TIMEOUT),
    }
}

/// One line on stderr: how long the console session lasts (as long as the
/// credentials), and AWS's 1 h limit when the base identity is itself a role.
fn tell_session_length(assumed: &Assumed) {
    let expiry = assumed.credentials.expiration;
    let left = expiry
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .as_secs()
        / 60;
    let mut line = format!(
        "the console session ends with the role's credentials at {} ({left} min from now)",
        rfc3339::format(expiry)
    );
    if base_is_a_role(assumed.target.options.source_profile.as_deref()) {
        line += &format!(
            "; your base identity is a role, and AWS limits a role assumed from a role to {} h",
            CHAINED_LIMIT.as_secs() / 3600
        );
    }
    let _ = writeln!(io::stderr(), "assume-role: {line}");
}

/// Whether the profile that supplies the base credentials is a role
/// profile (`role_arn` in ~/.aws/config): role chaining.
fn base_is_a_role(source_profile: Option<&str>) -> bool {
    if source_profile.is_none() && env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        return false;
    }
    let profile = source_profile.map(str::to_owned).unwrap_or_else(|| {
        env::var("AWS_PROFILE")
            .or_else(|_| env::var("AWS_DEFAULT_PROFILE"))
            .unwrap_or_else(|_| "default".to_owned())
    });
    aws_files::config_profiles()
        .ok()
        .and_then(|profiles| profiles.get(&profile).map(|p| p.contains_key("role_arn")))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_options_win_over_the_shells_role() {
        let shell = RoleOptions {
            role: Some("arn:aws:iam::123456789012:role/a".into()),
            duration: Some(Duration::from_secs(900)),
            region: Some("eu-west-1".into()),
            ..RoleOptions::default()
        };
        let given = RoleOptions {
            region: Some("us-west-2".into()),
            force_refresh: true,
            ..RoleOptions::default()
        };
        let merged = overlay(shell, &given);
        assert_eq!(
            merged.role.as_deref(),
            Some("arn:aws:iam::123456789012:role/a")
        );
        assert_eq!(merged.duration, Some(Duration::from_secs(900)));
        assert_eq!(merged.region.as_deref(), Some("us-west-2"));
        assert!(merged.force_refresh);
    }
}
