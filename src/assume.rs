//! Assuming a role: the one path that exec, print, credential-process,
//! console and the shell all take: config → role resolution → cache → STS
//! (only on a miss) → credentials.
//!
//! Nothing here prints: warnings for the user go to the `warnings` the
//! caller passes, which `cmd/` prints (also when the call fails).

use std::env;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, anyhow, bail};

use crate::aws::base;
use crate::aws::mfa::{self, Ask, CodeSource};
use crate::aws::sts::{AssumeError, AssumeRequest, Aws};
use crate::cli::RoleOptions;
use crate::config::Config;
use crate::resolve::{self, Target};
use crate::store::aws_files::{self, AwsFile};
use crate::store::cache::{Cache, Identity, Key};
use crate::util::Credentials;
use crate::util::time::{parse_duration, rfc3339};
use crate::util::{Usage, Warnings};

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
pub fn load_config(args: &RoleOptions, warnings: &mut Warnings) -> Result<Config> {
    config_in(&current_dir(warnings)?, args.config.as_deref())
}

/// The working directory. One that was deleted is an empty path, with a
/// warning: no project file applies there (see [`config_in`]).
pub fn current_dir(warnings: &mut Warnings) -> Result<std::path::PathBuf> {
    match env::current_dir() {
        Ok(dir) => Ok(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            warnings.push(
                "the working directory no longer exists; only ~/.aws/assume-role.yaml applies"
                    .to_owned(),
            );
            Ok(std::path::PathBuf::new())
        }
        Err(e) => Err(e).context("cannot read the working directory"),
    }
}

/// The configuration that applies in `dir`; in a directory that does not
/// exist (a deleted working directory), only `explicit` or
/// ~/.aws/assume-role.yaml: nothing is looked up from where it was.
pub fn config_in(dir: &std::path::Path, explicit: Option<&std::path::Path>) -> Result<Config> {
    if explicit.is_some() || dir.is_dir() {
        return Config::load(dir, explicit);
    }
    let sources = match crate::config::home_file().filter(|home| home.is_file()) {
        Some(home) => vec![crate::config::Source {
            bytes: std::fs::read(&home)
                .with_context(|| format!("cannot read {}", home.display()))?,
            origin: crate::config::Origin::Home,
            path: home,
        }],
        None => Vec::new(),
    };
    Config::from_sources(&sources)
}

/// Resolves the role in `args` (or the configured `role`) and returns its
/// credentials, from the cache when they are fresh.
pub fn assume(args: &RoleOptions, warnings: &mut Warnings) -> Result<Assumed> {
    assume_in(&current_dir(warnings)?, args, warnings)
}

/// As [`assume`], with the configuration that applies in `dir` (its
/// warnings are dropped: callers that show them load it themselves).
pub fn assume_in(
    dir: &std::path::Path,
    args: &RoleOptions,
    warnings: &mut Warnings,
) -> Result<Assumed> {
    assume_with(config_in(dir, args.config.as_deref())?, args, warnings)
}

/// As [`assume`], with `config` already loaded.
pub fn assume_with(config: Config, args: &RoleOptions, warnings: &mut Warnings) -> Result<Assumed> {
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
    let credentials = obtain(&target, &config, args, warnings)?;
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
        vars.push((crate::aws::base_env::ROLE_VAR, self.target.role_arn.clone()));
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

fn obtain(
    target: &Target,
    config: &Config,
    args: &RoleOptions,
    warnings: &mut Warnings,
) -> Result<Credentials> {
    // Who the base identity is, from the files alone: a cache hit runs no
    // credential_process and reads no SSO token.
    let base = base::find(target.options.source_profile.as_deref())?;
    let cache = Cache::open()?;
    let obtained = obtain_with(&cache, &base, target, config, args, warnings);
    warnings.extend(cache.take_warnings());
    obtained
}

/// [`obtain`], with the cache open.
fn obtain_with(
    cache: &Cache,
    base: &base::Base,
    target: &Target,
    config: &Config,
    args: &RoleOptions,
    warnings: &mut Warnings,
) -> Result<Credentials> {
    let identity = base.cache_id();
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

    // What the cache had to ignore is shown before the wait for the lock.
    warnings.extend(cache.take_warnings());
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

    // And before a prompt or a call to STS.
    warnings.extend(cache.take_warnings());
    let session_duration = mfa_session_duration(args, config)?;
    // A profile we may not write is refused before anything is asked of STS.
    if let Some(profile) = &target.profile_name {
        aws_files::check_credentials(profile)?;
    }
    let timeout = match env::var("ASSUME_ROLE_TIMEOUT") {
        Ok(text) => parse_duration(&text).map_err(|e| anyhow!("ASSUME_ROLE_TIMEOUT: {e}"))?,
        Err(_) => DEFAULT_TIMEOUT,
    };
    let aws = Aws::connect(base, timeout)?;
    let identity_key = Key::new(&[&identity]);
    let mut who = remembered_identity(cache, &identity_key, &aws)?;
    let session = target
        .options
        .role_session_name
        .as_deref()
        .map(session_name)
        .unwrap_or_else(|| who.session_name.clone());
    let learned = (who.mfa.get(&target.role_arn).cloned(), who.device.clone());
    let sessions = MfaSessions {
        cache,
        identity: &identity,
        duration: session_duration,
    };
    let sessions = (config.mfa_session()
        && long_term_keys(target.options.source_profile.as_deref())?)
    .then_some(&sessions);
    let credentials = assume_with_mfa(&aws, target, &session, &mut who, args, sessions)?;
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
            aws_files::prepare_credentials(
                profile,
                &pairs,
                &cache.credentials_file_lock(),
                warnings,
            )?
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

/// How MFA sessions are used for this call: for an IAM user's long-term
/// keys, unless `mfa_session: false`.
struct MfaSessions<'a> {
    cache: &'a Cache,
    identity: &'a str,
    duration: Duration,
}

/// An MFA session is used while it has this much time left: enough for the
/// AssumeRole it signs.
const SESSION_MARGIN: Duration = Duration::from_secs(60);

/// AWS's bounds for GetSessionToken by an IAM user.
const SESSION_MIN: Duration = Duration::from_secs(15 * 60);
const SESSION_MAX: Duration = Duration::from_secs(36 * 3600);
const SESSION_DEFAULT: Duration = Duration::from_secs(12 * 3600);

/// `--mfa-session-duration`, else `mfa_session_duration`, else 12h; checked
/// against AWS's bounds before anything is sent.
pub fn mfa_session_duration(args: &RoleOptions, config: &Config) -> Result<Duration> {
    let duration = args
        .mfa_session_duration
        .or(config.mfa_session_duration)
        .unwrap_or(SESSION_DEFAULT);
    if !(SESSION_MIN..=SESSION_MAX).contains(&duration) {
        return Err(Usage(format!(
            "mfa_session_duration {} is out of range: AWS allows 15m to 36h",
            humantime::format_duration(duration)
        ))
        .into());
    }
    Ok(duration)
}

/// Whether the base credentials are long-term access keys (an IAM user's),
/// the only kind GetSessionToken takes: told from the environment and the
/// shared files, without a request. SSO, role profiles, credential_process,
/// web identity, instance metadata and any key with a session token: no.
fn long_term_keys(source_profile: Option<&str>) -> Result<bool> {
    let set = |name: &str| env::var(name).ok().filter(|v| !v.is_empty());
    let temporary = |key: &str, token: Option<&String>| key.starts_with("ASIA") || token.is_some();
    if source_profile.is_none()
        && let Some(key) = set("AWS_ACCESS_KEY_ID")
    {
        return Ok(!temporary(&key, set("AWS_SESSION_TOKEN").as_ref()));
    }
    let profile = source_profile
        .map(str::to_owned)
        .or_else(|| set("AWS_PROFILE"))
        .or_else(|| set("AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let config = aws_files::profile_in(&aws_files::config_text()?, AwsFile::Config, &profile);
    let config = config.as_ref();
    let elsewhere = [
        "role_arn",
        "credential_process",
        "sso_session",
        "sso_start_url",
        "web_identity_token_file",
    ];
    if config.is_some_and(|p| elsewhere.iter().any(|k| p.contains_key(*k))) {
        return Ok(false);
    }
    let credentials = aws_files::profile_in(
        &aws_files::credentials_text()?,
        AwsFile::Credentials,
        &profile,
    );
    let keys = credentials.as_ref().or(config);
    Ok(keys.is_some_and(|p| {
        p.get("aws_access_key_id")
            .is_some_and(|key| !temporary(key, p.get("aws_session_token")))
    }))
}

/// AssumeRole, with MFA when configured or when learned to be needed:
/// a role that denies a call without MFA is retried with the user's device,
/// and that is remembered for the next time. With MFA sessions, the code
/// opens (or a cached session spares) a GetSessionToken session that signs
/// the call; otherwise the code goes to AssumeRole itself.
fn assume_with_mfa(
    aws: &Aws,
    target: &Target,
    session: &str,
    who: &mut Identity,
    args: &RoleOptions,
    sessions: Option<&MfaSessions>,
) -> Result<Credentials> {
    let codes = CodeSource::new(args.mfa_token.as_deref())?;
    let request = |mfa: Option<(&str, &str)>, signer: Option<&Credentials>| {
        let request = AssumeRequest {
            role_arn: &target.role_arn,
            session_name: session,
            duration: target.duration(),
            external_id: target.options.external_id.as_deref(),
            mfa,
            session: signer,
        };
        aws.assume_role(&request)
    };
    let cannot = |e: AssumeError| match e {
        AssumeError::Other(e) => e.context(format!("cannot assume {}", target.role_arn)),
        AssumeError::Denied(m) | AssumeError::Expired(m) => {
            anyhow!("cannot assume {}: {m}", target.role_arn)
        }
    };
    let known = target
        .options
        .mfa_serial
        .clone()
        .or_else(|| who.mfa.get(&target.role_arn).cloned());
    let serial = match known {
        Some(serial) => serial,
        None => {
            // Not known to need MFA: try without it first.
            let denied = match request(None, None) {
                Ok(credentials) => return Ok(credentials),
                Err(AssumeError::Denied(message)) => message,
                Err(e) => return Err(cannot(e)),
            };
            // Perhaps the role wants MFA: find the user's device and retry.
            let device = find_device(aws, who)
                .with_context(|| format!("cannot assume {}: {denied}", target.role_arn))?;
            let Some(device) = device else {
                bail!("cannot assume {}: {denied}", target.role_arn);
            };
            device
        }
    };

    let credentials = match sessions {
        Some(sessions) => {
            let key = Key::new(&["mfa-session", sessions.identity, &serial]);
            let (signer, new) =
                open_session(aws, sessions, &key, &serial, &codes, None, Ask::First)
                    .with_context(|| format!("cannot assume {}", target.role_arn))?;
            match request(None, Some(&signer)) {
                Ok(credentials) => credentials,
                Err(e @ AssumeError::Other(_)) => return Err(cannot(e)),
                Err(AssumeError::Denied(message)) if new => {
                    bail!(
                        "cannot assume {} with a new MFA session of {serial}: {message}",
                        target.role_arn
                    )
                }
                // The session ended early, or the role wants a more recent
                // MFA (aws:MultiFactorAuthAge): one fresh code, one new
                // session, one more try.
                Err(e) => {
                    let ask = match e {
                        AssumeError::Expired(_) => Ask::First,
                        _ => Ask::Fresher,
                    };
                    let (signer, _) =
                        open_session(aws, sessions, &key, &serial, &codes, Some(&signer), ask)
                            .with_context(|| format!("cannot assume {}", target.role_arn))?;
                    request(None, Some(&signer)).map_err(|e| match e {
                        AssumeError::Denied(m) | AssumeError::Expired(m) => anyhow!(
                            "cannot assume {} with a new MFA session of {serial}: {m}",
                            target.role_arn
                        ),
                        e => cannot(e),
                    })?
                }
            }
        }
        None => {
            let mut code = codes.code(&serial, Ask::First)?;
            let mut rejected = 0;
            loop {
                match request(Some((&serial, &code)), None) {
                    Ok(credentials) => break credentials,
                    Err(AssumeError::Denied(message)) => {
                        rejected += 1;
                        if !codes.can_retype() || rejected == 3 {
                            bail!(
                                "cannot assume {} with MFA device {serial}: {message}",
                                target.role_arn
                            );
                        }
                        code = codes.code(&serial, Ask::Retry)?;
                    }
                    Err(e) => return Err(cannot(e)),
                }
            }
        }
    };
    if target.options.mfa_serial.is_none() {
        who.mfa.insert(target.role_arn.clone(), serial);
    }
    Ok(credentials)
}

/// The MFA session of `serial`: the cached one while it lasts (and is not
/// `stale`, the one a role just refused), else a new one from one code.
/// Under the session's lock, so that concurrent calls make one prompt and
/// one GetSessionToken. Returns whether the session is new.
fn open_session(
    aws: &Aws,
    sessions: &MfaSessions,
    key: &Key,
    serial: &str,
    codes: &CodeSource,
    stale: Option<&Credentials>,
    ask: Ask,
) -> Result<(Credentials, bool)> {
    let usable = |c: &Credentials| {
        c.fresh(SESSION_MARGIN) && stale.is_none_or(|s| s.access_key_id != c.access_key_id)
    };
    let cache = sessions.cache;
    let cached = || {
        cache
            .mfa_session(key)
            .map(|s| s.credentials)
            .filter(|c| usable(c))
    };
    if let Some(credentials) = cached() {
        return Ok((credentials, false));
    }
    let _lock = cache.lock(key)?;
    if let Some(credentials) = cached() {
        return Ok((credentials, false));
    }
    let mut code = codes.code(serial, ask)?;
    let mut rejected = 0;
    loop {
        match aws.mfa_session(serial, &code, sessions.duration) {
            Ok(credentials) => {
                cache.store_mfa_session(key, serial, &credentials)?;
                return Ok((credentials, true));
            }
            Err(AssumeError::Denied(message)) => {
                rejected += 1;
                if !codes.can_retype() || rejected == 3 {
                    bail!("cannot open an MFA session with device {serial}: {message}");
                }
                code = codes.code(serial, Ask::Retry)?;
            }
            Err(AssumeError::Other(e)) => {
                return Err(e.context(format!(
                    "cannot open an MFA session with device {serial} (sts:GetSessionToken)"
                )));
            }
            Err(AssumeError::Expired(message)) => {
                bail!("cannot open an MFA session with device {serial}: {message}")
            }
        }
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
