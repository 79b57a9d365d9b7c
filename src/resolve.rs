//! `--role X` → the role ARN and the settings that go with it.
//!
//! Order: a full ARN as is; else `role_prefix` + X; else a `[profile X]`
//! with `role_arn` in ~/.aws/config; else an error saying what to set.

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::aws_files::{self, Profile};
use crate::cli::{RoleOptions, parse_duration};
use crate::config::Config;

const DEFAULT_DURATION: Duration = Duration::from_secs(3600);

/// Everything needed to assume one role.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub role_arn: String,
    /// The settings in effect: the flags, completed from the profile and
    /// the config files (`duration` always set). `source_profile: None`
    /// means the default chain; `mfa_serial` is the device named by a flag,
    /// a config file or the profile.
    pub options: RoleOptions,
    /// The awscli profile the credentials are written to, when they are.
    pub profile_name: Option<String>,
}

impl Target {
    pub fn duration(&self) -> Duration {
        self.options.duration.unwrap_or(DEFAULT_DURATION)
    }
}

/// A parsed `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`.
pub struct RoleArn<'a> {
    pub account: &'a str,
    pub name: &'a str,
}

pub fn parse_role_arn(arn: &str) -> Result<RoleArn<'_>> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let valid = parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && parts[2] == "iam"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c));
    let name = parts
        .get(5)
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or("");
    if !valid || name.is_empty() {
        bail!("`{arn}` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)");
    }
    Ok(RoleArn {
        account: parts[4],
        name,
    })
}

/// The awscli profile the role's credentials are written to:
/// `<profile_name_prefix or account>-<role name>`.
pub fn profile_name(config: &Config, arn: &RoleArn) -> Result<String> {
    let prefix = config.profile_name_prefix.as_deref().unwrap_or(arn.account);
    if !prefix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        bail!("profile_name_prefix {prefix:?} may hold only letters, digits and _+=,.@-");
    }
    Ok(format!("{prefix}-{}", arn.name))
}

/// Resolves `role` with the flags in `args` (which win), then the profile's
/// settings, then the config files'.
pub fn resolve(role: &str, args: &RoleOptions, config: &Config) -> Result<Target> {
    let role = role.trim();
    if role.is_empty() {
        return Err(crate::Usage("the role name is empty".into()).into());
    }
    let (role_arn, profile) = if role.starts_with("arn:") {
        (role.to_owned(), None)
    } else if let Some(prefix) = config.role_prefix.as_deref().filter(|p| !p.is_empty()) {
        (format!("{prefix}{role}"), None)
    } else {
        let profiles = aws_files::config_profiles()?;
        match profiles
            .get(role)
            .and_then(|p| p.get("role_arn").map(|arn| (arn, p)))
        {
            Some((arn, profile)) => (arn.to_owned(), Some(profile.clone())),
            None => bail!(
                "unknown role `{role}`: pass a full role ARN, set `role_prefix` in assume-role.yaml, \
                 or add [profile {role}] with role_arn to {}",
                aws_files::config_path().display()
            ),
        }
    };
    let arn = parse_role_arn(&role_arn).with_context(|| match &profile {
        Some(_) => format!("role_arn of [profile {role}]"),
        None => format!("role `{role}`"),
    })?;
    let from_profile = |key: &str| profile.as_ref().and_then(|p: &Profile| p.get(key).cloned());

    let duration = match (args.duration, from_profile("duration_seconds")) {
        (Some(d), _) => d,
        (None, Some(secs)) => parse_duration(&secs)
            .map_err(|e| anyhow::anyhow!("duration_seconds of [profile {role}]: {e}"))?,
        (None, None) => config.duration.unwrap_or(DEFAULT_DURATION),
    };
    let profile_name = match config.write_credentials_file() {
        true => Some(profile_name(config, &arn)?),
        false => None,
    };

    // Every setting not named here is the flag's, as given.
    let mut options = args.clone();
    options.duration = Some(duration);
    options.external_id = args
        .external_id
        .clone()
        .or_else(|| from_profile("external_id"))
        .or_else(|| config.external_id.clone());
    options.mfa_serial = args
        .mfa_serial
        .clone()
        .or_else(|| from_profile("mfa_serial"))
        .or_else(|| config.mfa_serial.clone());
    options.region = args
        .region
        .clone()
        .or_else(|| from_profile("region"))
        .or_else(|| config.region.clone());
    options.source_profile = args
        .source_profile
        .clone()
        .or_else(|| from_profile("source_profile"))
        .or_else(|| config.source_profile.clone());
    options.role_session_name = args
        .role_session_name
        .clone()
        .or_else(|| from_profile("role_session_name"));
    Ok(Target {
        options,
        profile_name,
        role_arn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse() {
        let arn = parse_role_arn("arn:aws:iam::123456789012:role/team/admin").unwrap();
        assert_eq!((arn.account, arn.name), ("123456789012", "admin"));
        let arn = parse_role_arn("arn:aws-cn:iam::123456789012:role/x").unwrap();
        assert_eq!(arn.name, "x");
        for bad in [
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::12345:role/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:s3:::bucket",
            "arn:aws:iam::123456789012:role/x]\n[default",
            "admin",
        ] {
            assert!(parse_role_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefix_applies_to_short_names_only() {
        let config = Config {
            role_prefix: Some("arn:aws:iam::111111111111:role/".into()),
            ..Config::default()
        };
        let t = resolve("admin", &RoleOptions::default(), &config).unwrap();
        assert_eq!(t.role_arn, "arn:aws:iam::111111111111:role/admin");
        assert_eq!(t.profile_name.as_deref(), Some("111111111111-admin"));
        let t = resolve(
            "arn:aws:iam::222222222222:role/ops",
            &RoleOptions::default(),
            &config,
        )
        .unwrap();
        assert_eq!(t.role_arn, "arn:aws:iam::222222222222:role/ops");
        assert_eq!(t.duration(), DEFAULT_DURATION);
    }

    #[test]
    fn flags_beat_files() {
        let config = Config {
            role_prefix: Some("arn:aws:iam::111111111111:role/".into()),
            profile_name_prefix: Some("work".into()),
            region: Some("eu-west-1".into()),
            duration: Some(Duration::from_secs(900)),
            ..Config::default()
        };
        let args = RoleOptions {
            region: Some("us-east-2".into()),
            ..RoleOptions::default()
        };
        let t = resolve("admin", &args, &config).unwrap();
        assert_eq!(t.options.region.as_deref(), Some("us-east-2"));
        assert_eq!(t.duration(), Duration::from_secs(900));
        assert_eq!(t.profile_name.as_deref(), Some("work-admin"));
    }
}
