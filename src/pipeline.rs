//! The one pipeline that exec, print, credential-process and the shell all
//! use: config → role resolution → cache → STS (only on a miss) → credentials.

use std::env;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, anyhow, bail};

use crate::Usage;
use crate::aws_files;
use crate::cache::{Cache, Credentials, Identity, Key, rfc3339};
use crate::cli::{RoleOptions, parse_duration};
use crate::config::Config;
use crate::mfa::{self, CodeSource};
use crate::resolve::{self, Target};
use crate::sts::{AssumeError, AssumeRequest, Aws};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A role's credentials and what they were obtained for.
pub struct Assumed {
    pub target: Target,
    pub credentials: Credentials,
    pub config: Config,
    /// The awscli profile that holds these very credentials, if any.
    pub profile: Option<String>,
}

/// Loads the configuration for the working directory.
pub fn load_config(args: &RoleOptions) -> Result<Config> {
    Config::load(&current_dir()?, args.config.as_deref())
}

pub fn current_dir() -> Result<std::path::PathBuf> {
    env::current_dir().context("cannot read the working directory")
}

/// Resolves the role in `args` (or the configured `role`) and returns its
/// credentials, from the cache when they are fresh.
pub fn assume(args: &RoleOptions) -> Result<Assumed> {
    assume_in(&current_dir()?, args)
}

/// As [`assume`], with the configuration that applies in `dir` (its
/// warnings are dropped: callers that show them load it themselves).
pub fn assume_in(dir: &std::path::Path, args: &RoleOptions) -> Result<Assumed> {
    assume_with(Config::load(dir, args.config.as_deref())?, args)
}

/// As [`assume`], with `config` already loaded.
pub fn assume_with(config: Config, args: &RoleOptions) -> Result<Assumed> {
    let role = match (&args.role, &config.role) {
        (Some(role), _) => role.clone(),
        (None, Some((role, _))) => role.clone(),
        (None, None) => {
            return Err(Usage(
                "no role given: pass --role ROLE, or set `role:` in assume-role.yaml".into(),
            )
            .into());
        }
    };
    let target = resolve::resolve(&role, args, &config)?;
    let credentials = obtain(&target, &config, args)?;
    let profile = target
        .profile_name
        .clone()
        .filter(|name| aws_files::profile_holds(name, &credentials.access_key_id));
    Ok(Assumed {
        target,
        credentials,
        config,
        profile,
    })
}

impl Assumed {
    /// The variables to set, in the classic order: the three the seed
    /// printed first, then the rest.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        let c = &self.credentials;
        let mut vars = vec![
            ("AWS_ACCESS_KEY_ID", c.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.clone()),
            ("AWS_SESSION_TOKEN", c.session_token.clone()),
            ("AWS_SECURITY_TOKEN", c.session_token.clone()),
            ("AWS_CREDENTIAL_EXPIRATION", rfc3339::format(c.expiration)),
        ];
        if let Some(region) = &self.target.options.region {
            vars.push(("AWS_REGION", region.clone()));
            vars.push(("AWS_DEFAULT_REGION", region.clone()));
        }
        if let Some(profile) = &self.profile {
            vars.push(("AWS_PROFILE", profile.clone()));
        }
        vars.push((crate::base_env::ROLE_VAR, self.target.role_arn.clone()));
        vars
    }

    /// Variables that would point tools at another identity: the profile
    /// variables, unless `AWS_PROFILE` names the profile just written.
    pub fn removed(&self) -> &'static [&'static str] {
        match self.profile {
            Some(_) => &["AWS_DEFAULT_PROFILE"],
            None => &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"],
        }
    }
}

/// How long before expiry credentials are refreshed: `refresh_before_expiry`,
/// but at most half the session, so that a short session is still cached.
pub fn refresh_margin(config: &Config, duration: Duration) -> Duration {
    config.refresh_before_expiry().min(duration / 2)
}

/// A stable name for the base identity, found without the network: the
/// access key in the environment, else the profile (and its access key).
fn base_identity(source_profile: Option<&str>) -> Result<String> {
    let env_key = env::var("AWS_ACCESS_KEY_ID").ok().filter(|k| !k.is_empty());
    let profile = match (source_profile, env_key) {
        (Some(profile), _) => profile.to_owned(),
        (None, Some(key)) => return Ok(format!("key:{key}")),
        (None, None) => env::var("AWS_PROFILE")
            .or_else(|_| env::var("AWS_DEFAULT_PROFILE"))
            .unwrap_or_else(|_| "default".to_owned()),
    };
    let file_key = aws_files::credentials_profiles()?
        .get(&profile)
        .and_then(|p| p.get("aws_access_key_id").cloned())
        .unwrap_or_default();
    let config = aws_files::config_path();
    Ok(format!("profile:{profile}:{file_key}:{}", config.display()))
}

fn obtain(target: &Target, config: &Config, args: &RoleOptions) -> Result<Credentials> {
    let identity = base_identity(target.options.source_profile.as_deref())?;
    let cache = Cache::open()?;
    let duration = target.duration().as_secs().to_string();
    let key = Key::new(&[
        &identity,
        &target.role_arn,
        target.options.external_id.as_deref().unwrap_or(""),
        target.options.mfa_serial.as_deref().unwrap_or(""),
        &duration,
        target.options.role_session_name.as_deref().unwrap_or(""),
    ]);
    let margin = refresh_margin(config, target.duration());
    if !args.force_refresh
        && let Some(c) = cache.credentials(&key).filter(|c| c.fresh(margin))
    {
        return Ok(c);
    }

    let started = SystemTime::now();
    let _lock = cache.lock(&key)?;
    // Whoever held the lock before us may have just done the work.
    let done = if args.force_refresh {
        cache.credentials_since(&key, started)
    } else {
        cache.credentials(&key)
    };
    if let Some(c) = done.filter(|c| c.fresh(margin)) {
        return Ok(c);
    }

    let timeout = match env::var("ASSUME_ROLE_TIMEOUT") {
        Ok(text) => parse_duration(&text).map_err(|e| anyhow!("ASSUME_ROLE_TIMEOUT: {e}"))?,
        Err(_) => DEFAULT_TIMEOUT,
    };
    let aws = Aws::connect(target.options.source_profile.as_deref(), timeout)?;
    let identity_key = Key::new(&[&identity]);
    let mut who = remembered_identity(&cache, &identity_key, &aws)?;
    let session = target
        .options
        .role_session_name
        .as_deref()
        .map(session_name)
        .unwrap_or_else(|| who.session_name.clone());
    let learned = (who.mfa.get(&target.role_arn).cloned(), who.device.clone());
    let credentials = assume_with_mfa(&aws, target, &session, &mut who, args)?;
    if (who.mfa.get(&target.role_arn).cloned(), who.device.clone()) != learned {
        // Merge into what other processes may have learned meanwhile.
        let _guard = cache.lock(&identity_key)?;
        let mut latest = cache.identity(&identity_key).unwrap_or_else(|| who.clone());
        match who.mfa.get(&target.role_arn) {
            Some(serial) => latest.mfa.insert(target.role_arn.clone(), serial.clone()),
            None => latest.mfa.remove(&target.role_arn),
        };
        latest.device = who.device.clone().or(latest.device);
        cache.store_identity(&identity_key, &latest)?;
    }

    // Both files are written in full before either is put in place, so a
    // failure (a full disk) leaves both as they were; the cache goes first,
    // so a kill in between leaves the awscli profile with older, valid keys.
    let profile_update = match &target.profile_name {
        Some(profile) => {
            let c = &credentials;
            let pairs = [
                ("aws_access_key_id", c.access_key_id.as_str()),
                ("aws_secret_access_key", c.secret_access_key.as_str()),
                ("aws_session_token", c.session_token.as_str()),
            ];
            aws_files::prepare_credentials(profile, &pairs, &cache.credentials_file_lock())?
        }
        None => None,
    };
    cache
        .prepare_credentials(&key, &target.role_arn, &credentials)?
        .commit()?;
    if let Some(update) = profile_update {
        update.commit()?;
    }
    Ok(credentials)
}

/// The session name and the rest known of the base identity: from the
/// cache, else looked up once (under a lock, so that concurrent cold calls
/// for several roles look it up once).
fn remembered_identity(cache: &Cache, key: &Key, aws: &Aws) -> Result<Identity> {
    if let Some(who) = cache.identity(key) {
        return Ok(who);
    }
    let _guard = cache.lock(key)?;
    if let Some(who) = cache.identity(key) {
        return Ok(who);
    }
    let me = aws.whoami()?;
    let name = me
        .user_name
        .clone()
        .unwrap_or_else(|| me.arn.rsplit('/').next().unwrap_or("").to_owned());
    let who = Identity {
        session_name: session_name(&name),
        user_name: me.user_name,
        ..Identity::default()
    };
    cache.store_identity(key, &who)?;
    Ok(who)
}

/// AssumeRole, with MFA when configured or when learned to be needed:
/// a role that denies a call without MFA is retried with the user's device,
/// and that is remembered for the next time.
fn assume_with_mfa(
    aws: &Aws,
    target: &Target,
    session: &str,
    who: &mut Identity,
    args: &RoleOptions,
) -> Result<Credentials> {
    let codes = CodeSource::new(args.mfa_token.as_deref())?;
    let mut serial = target
        .options
        .mfa_serial
        .clone()
        .or_else(|| who.mfa.get(&target.role_arn).cloned());
    let mut code = serial
        .as_deref()
        .map(|s| codes.code(s, false))
        .transpose()?;
    let mut rejected = 0;
    loop {
        let request = AssumeRequest {
            role_arn: &target.role_arn,
            session_name: session,
            duration: target.duration(),
            external_id: target.options.external_id.as_deref(),
            mfa: serial.as_deref().zip(code.as_deref()),
        };
        let denied = match aws.assume_role(&request) {
            Ok(credentials) => {
                if let Some(serial) = serial.filter(|_| target.options.mfa_serial.is_none()) {
                    who.mfa.insert(target.role_arn.clone(), serial);
                }
                return Ok(credentials);
            }
            Err(AssumeError::Other(e)) => {
                return Err(e.context(format!("cannot assume {}", target.role_arn)));
            }
            Err(AssumeError::Denied(message)) => message,
        };
        let Some(current) = serial.clone() else {
            // Perhaps the role wants MFA: find the user's device and retry.
            let device = find_device(aws, who)
                .with_context(|| format!("cannot assume {}: {denied}", target.role_arn))?;
            let Some(device) = device else {
                bail!("cannot assume {}: {denied}", target.role_arn);
            };
            code = Some(codes.code(&device, false)?);
            serial = Some(device);
            continue;
        };
        rejected += 1;
        if codes.can_retype() && rejected < 3 {
            code = Some(codes.code(&current, true)?);
            continue;
        }
        who.mfa.remove(&target.role_arn);
        bail!(
            "cannot assume {} with MFA device {current}: {denied}",
            target.role_arn
        );
    }
}

/// The user's MFA device: the only one, the one chosen before, or one the
/// user picks now. `None` when the user has none.
fn find_device(aws: &Aws, who: &mut Identity) -> Result<Option<String>> {
    let Some(user) = who.user_name.clone() else {
        return Ok(None);
    };
    let devices = aws.mfa_devices(&user)?;
    Ok(match devices.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        several => match who.device.clone().filter(|d| several.contains(d)) {
            Some(chosen) => Some(chosen),
            None => {
                let chosen = mfa::choose_device(several)?;
                who.device = Some(chosen.clone());
                Some(chosen)
            }
        },
    })
}

/// A session name by AWS's rules: `[\w+=,.@-]`, 2 to 64 characters.
pub fn session_name(name: &str) -> String {
    let mut clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if clean.len() < 2 {
        clean = format!("assume-role-{clean}")
            .trim_end_matches('-')
            .to_owned();
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::session_name;

    #[test]
    fn session_names_follow_aws_rules() {
        assert_eq!(session_name("alice@example.com"), "alice@example.com");
        assert_eq!(session_name("Bob Smith/ops"), "Bob-Smith-ops");
        assert_eq!(session_name("é"), "assume-role");
        assert_eq!(session_name(""), "assume-role");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
    }
}
