//! `--role X` → the role ARN and the settings that go with it.
//!
//! Order: a full ARN as is; else `role_prefix` + X; else a `[profile X]`
//! with `role_arn` in ~/.aws/config; else an error saying what to set.

use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::RoleOptions;
use crate::config::Config;
use crate::store::aws_files::{self, Profile};
use crate::util::names::{
    RoleArn, check_region, check_role_path, check_session_duration, check_session_name,
    is_name_char, parse_role_arn,
};
use crate::util::time::parse_duration;

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

/// The awscli profile the role's credentials are written to:
/// `<profile_name_prefix or account>-<role name>`.
pub fn profile_name(config: &Config, arn: &RoleArn) -> Result<String> {
    let prefix = config.profile_name_prefix.as_deref().unwrap_or(arn.account);
    if !prefix.chars().all(is_name_char) {
        bail!("profile_name_prefix {prefix:?} may hold only letters, digits and _+=,.@-");
    }
    Ok(format!("{prefix}-{}", arn.name))
}

/// Resolves `role` with the flags in `args` (which win), then the profile's
/// settings, then the config files'.
pub fn resolve(role: &str, args: &RoleOptions, config: &Config) -> Result<Target> {
    let role = role.trim();
    if role.is_empty() {
        return Err(crate::util::Usage("the role name is empty".into()).into());
    }
    if !role.starts_with("arn:") {
        // A name to append to role_prefix or to look up as a profile: a
        // role name, with a path perhaps, as AWS allows them.
        check_role_path(role)?;
    }
    let (role_arn, profile) = if role.starts_with("arn:") {
        (role.to_owned(), None)
    } else if let Some(prefix) = config.role_prefix.as_deref().filter(|p| !p.is_empty()) {
        (format!("{prefix}{role}"), None)
    } else {
        let profile = aws_files::config_profile(role)?;
        match profile.and_then(|p| Some((p.get("role_arn")?.clone(), p))) {
            Some((arn, profile)) => (arn, Some(profile)),
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
        (Some(d), _) => {
            check_session_duration(d).map_err(|e| anyhow::anyhow!("--duration: {e}"))?
        }
        (None, Some(secs)) => parse_duration(&secs)
            .and_then(check_session_duration)
            .map_err(|e| anyhow::anyhow!("duration_seconds of [profile {role}]: {e}"))?,
        (None, None) => match config.duration {
            Some(d) => check_session_duration(d)
                .map_err(|e| anyhow::anyhow!("duration in assume-role.yaml: {e}"))?,
            None => DEFAULT_DURATION,
        },
    };
    let region = match (&args.region, from_profile("region"), &config.region) {
        (Some(r), _, _) => Some((r.clone(), "--region".to_owned())),
        (None, Some(r), _) => Some((r, format!("region of [profile {role}]"))),
        (None, None, Some(r)) => Some((r.clone(), "region in assume-role.yaml".to_owned())),
        (None, None, None) => None,
    };
    if let Some((region, source)) = &region {
        check_region(region).map_err(|e| anyhow::anyhow!("{source}: {e}"))?;
    }
    let session_name = args
        .role_session_name
        .clone()
        .or_else(|| from_profile("role_session_name"));
    if let Some(name) = &session_name {
        check_session_name(name)?;
    }
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
    options.region = region.map(|(region, _)| region);
    options.source_profile = args
        .source_profile
        .clone()
        .or_else(|| from_profile("source_profile"))
        .or_else(|| config.source_profile.clone());
    options.role_session_name = session_name;
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
