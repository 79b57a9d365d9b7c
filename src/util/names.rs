//! AWS's rules for the names and lengths assume-role passes on: role ARNs,
//! role paths, session names, regions, session durations. Pure checks, so
//! that clap, the config files and `assume` refuse the same values.

use std::time::Duration;

use anyhow::{Result, bail};

use super::time::parse_duration;

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
        && parts[5].starts_with("role/");
    if !valid {
        bail!(
            "`{}` is not a role ARN (arn:aws:iam::ACCOUNT:role/NAME)",
            shown(arn)
        );
    }
    let name = check_role_path(&parts[5]["role/".len()..])?;
    Ok(RoleArn {
        account: parts[4],
        name,
    })
}

/// The characters AWS allows in role names, session names and path
/// segments: `[\w+=,.@-]`.
pub fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Checks a role's `PATH/NAME` (as after `role/` in its ARN) by AWS's
/// rules, a little stricter for paths: the name 1–64 of `[\w+=,.@-]`, the
/// path at most 512 characters of plain segments (no empty, `.` or `..`
/// segment). Returns the name.
pub fn check_role_path(path_and_name: &str) -> Result<&str> {
    let (path, name) = path_and_name
        .rsplit_once('/')
        .unwrap_or(("", path_and_name));
    if name.is_empty() || name.len() > 64 || !name.chars().all(is_name_char) {
        bail!(
            "role name `{}` is not valid: AWS allows 1 to 64 letters, digits and _+=,.@- \
             ({} characters given)",
            shown(name),
            name.chars().count()
        );
    }
    let plain = |segment: &str| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment.chars().all(is_name_char)
    };
    if path.len() + 2 > 512 || !(path.is_empty() || path.split('/').all(plain)) {
        bail!(
            "role path `{}/` is not valid: segments of letters, digits and _+=,.@-, none \
             empty, `.` or `..`, 512 characters in all",
            shown(path)
        );
    }
    Ok(name)
}

/// A session name given by the user, by AWS's rules: 2–64 of `[\w+=,.@-]`.
pub fn check_session_name(name: &str) -> Result<()> {
    let len = name.chars().count();
    if !(2..=64).contains(&len) || !name.chars().all(is_name_char) {
        bail!(
            "session name `{}` is not valid: AWS allows 2 to 64 letters, digits and _+=,.@-",
            shown(name)
        );
    }
    Ok(())
}

/// A region name: 1–50 of `[a-z0-9-]`, not starting or ending with `-`
/// (`us-east-1`, `us-gov-west-1`, `cn-north-1`).
pub fn check_region(region: &str) -> Result<(), String> {
    let ok = !region.is_empty()
        && region.len() <= 50
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    match ok {
        true => Ok(()),
        false => Err(format!(
            "`{}` is not a region name (lower-case letters, digits and -, like us-east-1)",
            shown(region)
        )),
    }
}

/// The shortest and longest sessions AssumeRole grants.
pub const MIN_DURATION: Duration = Duration::from_secs(900);
pub const MAX_DURATION: Duration = Duration::from_secs(12 * 3600);

/// Lets sessions shorter than 15 minutes through, for local STS emulators
/// (moto, LocalStack) that grant them; AWS itself refuses them.
pub const SHORT_DURATION_VAR: &str = "ASSUME_ROLE_ALLOW_SHORT_DURATION";

/// A session length AssumeRole allows: 900 s (15m) to 43200 s (12h).
pub fn check_session_duration(duration: Duration) -> Result<Duration, String> {
    let min = match std::env::var_os(SHORT_DURATION_VAR).is_some_and(|v| v == "1") {
        true => Duration::from_secs(1),
        false => MIN_DURATION,
    };
    if duration < min || duration > MAX_DURATION {
        return Err(format!(
            "a session of {} s is out of range: AssumeRole allows 900 s (15m) to 43200 s (12h)",
            duration.as_secs()
        ));
    }
    Ok(duration)
}

/// `--duration`: parsed, then checked against what AssumeRole allows.
pub fn parse_session_duration(text: &str) -> Result<Duration, String> {
    parse_duration(text).and_then(check_session_duration)
}

/// A value as shown in a message: at most 64 characters of it.
fn shown(value: &str) -> String {
    match value.char_indices().nth(64) {
        Some((at, _)) => format!("{}…", &value[..at]),
        None => value.to_owned(),
    }
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
    fn names_regions_and_durations_follow_aws_rules() {
        for good in ["admin", "team/admin", "a/b.c/x@y", &"n".repeat(64)] {
            assert!(check_role_path(good).is_ok(), "{good}");
        }
        let long = "n".repeat(65);
        for bad in [
            "",
            "../x",
            "a//b",
            "./x",
            "a/",
            "x y",
            "x\ny",
            long.as_str(),
        ] {
            assert!(check_role_path(bad).is_err(), "{bad:?}");
        }
        let message = check_role_path(&"n".repeat(10_000))
            .unwrap_err()
            .to_string();
        assert!(message.len() < 300, "{message}");
        for good in ["us-east-1", "us-gov-west-1", "cn-north-1"] {
            assert!(check_region(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "US-EAST-1",
            "us east",
            "us-east-1\nX=1",
            "-x",
            &"a".repeat(51),
        ] {
            assert!(check_region(bad).is_err(), "{bad:?}");
        }
        assert!(check_session_name("alice@example.com").is_ok());
        assert!(check_session_name("a").is_err());
        assert!(check_session_name("bob smith").is_err());
        assert!(check_session_duration(Duration::from_secs(900)).is_ok());
        assert!(check_session_duration(Duration::from_secs(43200)).is_ok());
        assert!(check_session_duration(Duration::from_secs(43201)).is_err());
        assert!(check_session_duration(Duration::ZERO).is_err());
    }
}
