//! Where the base identity comes from, read from the environment and the
//! AWS files alone: no network, no credential_process, no SSO token. The
//! description names the cache entries (two SSO profiles or two
//! credential_process profiles never share one) and what `status` shows.
//!
//! The order follows the AWS SDK's profile provider (and awscli): in the
//! first profile a `role_arn` starts a chain through `source_profile`; in a
//! source profile static keys win; a profile's own credentials are, in this
//! order, `credential_source`, web identity, SSO, `credential_process`, keys.

use std::cell::RefCell;
use std::collections::HashMap;
use std::env;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use crate::store::aws_files::{self, AwsFile, Profile};

/// The base identity: a profile (or the environment) and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// The profile that supplies it; `None` for the environment.
    pub profile: Option<String>,
    pub kind: Kind,
    /// Named by `source_profile` (so the environment's keys do not count).
    pub chosen: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `AWS_ACCESS_KEY_ID` in the environment.
    Environment {
        access_key_id: String,
    },
    /// `aws_access_key_id` in the profile.
    Keys {
        access_key_id: String,
    },
    Sso(Sso),
    /// `credential_process`: the command is part of the name, never shown.
    Process {
        command: String,
    },
    /// `role_arn` assumed from `source`.
    Role {
        role_arn: String,
        external_id: Option<String>,
        session_name: Option<String>,
        source: Box<Base>,
    },
    /// `web_identity_token_file` + `role_arn`, in the profile or in
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`.
    WebIdentity {
        role_arn: String,
        token_file: String,
    },
    /// `credential_source` (Environment, Ec2InstanceMetadata, EcsContainer).
    CredentialSource(String),
    /// Nothing in the files: the container endpoint, instance metadata, or
    /// nothing at all (the SDK will say so).
    Ambient,
}

/// An IAM Identity Center profile, in either form awscli writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sso {
    /// `sso_session`, naming an `[sso-session NAME]` section.
    pub session: Option<String>,
    pub start_url: String,
    pub region: String,
    pub account_id: String,
    pub role_name: String,
}

impl Sso {
    /// The file `aws sso login` caches the token in: `~/.aws/sso/cache/`
    /// + the SHA-1 of the session name, or of the start URL (legacy form).
    pub fn token_file(&self) -> PathBuf {
        use sha1::{Digest, Sha1};
        let id = self.session.as_deref().unwrap_or(&self.start_url);
        let hash: String = Sha1::digest(id.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        dirs::home_dir()
            .unwrap_or_default()
            .join(".aws/sso/cache")
            .join(format!("{hash}.json"))
    }

    /// The command that logs in again, for `profile`.
    pub fn login_command(&self, profile: &str) -> String {
        match &self.session {
            Some(session) => format!("aws sso login --sso-session {session}"),
            None => format!("aws sso login --profile {profile}"),
        }
    }
}

/// The base identity for `source_profile` (when given), else the standard
/// chain's: the environment's keys, else `AWS_PROFILE` (or `default`), else
/// web identity from the environment, else the container or the instance.
pub fn find(source_profile: Option<&str>) -> Result<Base> {
    if let Some(profile) = source_profile {
        return Ok(Base {
            chosen: true,
            ..Files::read()?.profile(profile)
        });
    }
    // Keys in the environment need neither file read (a large one costs).
    if let Some(key) = var("AWS_ACCESS_KEY_ID") {
        return Ok(Base {
            profile: None,
            kind: Kind::Environment { access_key_id: key },
            chosen: false,
        });
    }
    let name = var("AWS_PROFILE")
        .or_else(|| var("AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let base = Files::read()?.profile(&name);
    if base.kind != Kind::Ambient {
        return Ok(base);
    }
    if let (Some(role_arn), Some(token_file)) =
        (var("AWS_ROLE_ARN"), var("AWS_WEB_IDENTITY_TOKEN_FILE"))
    {
        return Ok(Base {
            profile: None,
            kind: Kind::WebIdentity {
                role_arn,
                token_file,
            },
            chosen: false,
        });
    }
    Ok(base)
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.is_empty())
}

impl Base {
    /// A stable name for the cache: everything that decides who the base
    /// identity is, and the config file it was read from.
    pub fn cache_id(&self) -> String {
        let config = aws_files::config_path();
        match (&self.profile, &self.kind) {
            (None, Kind::Environment { access_key_id }) => format!("key:{access_key_id}"),
            _ => format!("{}:{}", self.id(), config.display()),
        }
    }

    fn id(&self) -> String {
        let profile = self.profile.as_deref().unwrap_or("");
        let kind = match &self.kind {
            Kind::Environment { access_key_id } => format!("key:{access_key_id}"),
            Kind::Keys { access_key_id } => format!("keys:{access_key_id}"),
            Kind::Sso(sso) => format!(
                "sso:{}:{}:{}:{}:{}",
                sso.start_url,
                sso.region,
                sso.account_id,
                sso.role_name,
                sso.session.as_deref().unwrap_or("")
            ),
            Kind::Process { command } => format!("process:{command}"),
            Kind::Role {
                role_arn,
                external_id,
                session_name,
                source,
            } => format!(
                "role:{role_arn}:{}:{}:<{}>",
                external_id.as_deref().unwrap_or(""),
                session_name.as_deref().unwrap_or(""),
                source.id()
            ),
            Kind::WebIdentity {
                role_arn,
                token_file,
            } => format!("web:{role_arn}:{token_file}"),
            Kind::CredentialSource(source) => format!("source:{source}"),
            Kind::Ambient => "ambient".to_owned(),
        };
        format!("profile:{profile}:{kind}")
    }

    /// The SSO profile the identity ends in, with its name.
    pub fn sso(&self) -> Option<(&str, &Sso)> {
        match &self.kind {
            Kind::Sso(sso) => Some((self.profile.as_deref().unwrap_or(""), sso)),
            Kind::Role { source, .. } => source.sso(),
            _ => None,
        }
    }

    /// The credential_process the identity ends in, with its profile.
    pub fn process(&self) -> Option<(&str, &str)> {
        match &self.kind {
            Kind::Process { command } => Some((self.profile.as_deref().unwrap_or(""), command)),
            Kind::Role { source, .. } => source.process(),
            _ => None,
        }
    }

    /// Whether the identity can be an IAM user (else it is a role session,
    /// whose name is the last part of its ARN).
    pub fn may_be_iam_user(&self) -> bool {
        !matches!(
            self.kind,
            Kind::Sso(_) | Kind::Role { .. } | Kind::WebIdentity { .. }
        )
    }

    /// What kind of identity, in a word or two.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Kind::Environment { .. } => "environment",
            Kind::Keys { .. } => "keys",
            Kind::Sso(_) => "SSO",
            Kind::Process { .. } => "credential_process",
            Kind::Role { .. } => "role chain",
            Kind::WebIdentity { .. } => "web identity",
            Kind::CredentialSource(_) => "credential_source",
            Kind::Ambient => "container or instance metadata",
        }
    }

    /// One line for `status`, without secrets:
    /// `profile dev (SSO: account 111111111111, role Dev, sso-session corp)`.
    pub fn describe(&self) -> String {
        let what = match &self.kind {
            Kind::Environment { .. } => "AWS_ACCESS_KEY_ID".to_owned(),
            Kind::Keys { .. } => "keys".to_owned(),
            Kind::Sso(sso) => {
                let mut text = format!("SSO: account {}, role {}", sso.account_id, sso.role_name);
                if let Some(session) = &sso.session {
                    text += &format!(", sso-session {session}");
                }
                text
            }
            Kind::Process { .. } => "credential_process".to_owned(),
            Kind::Role {
                role_arn, source, ..
            } => format!("role chain: {role_arn} from {}", source.describe()),
            Kind::WebIdentity { role_arn, .. } => format!("web identity: {role_arn}"),
            Kind::CredentialSource(source) => format!("credential_source {source}"),
            Kind::Ambient => match self.profile.as_deref() {
                Some("default") | None => {
                    return "container or instance metadata (no credentials in the AWS files or the environment)".to_owned();
                }
                Some(_) => "no credentials in it".to_owned(),
            },
        };
        match &self.profile {
            Some(profile) => format!("profile {profile} ({what})"),
            None => format!("environment ({what})"),
        }
    }
}

/// ~/.aws/config and ~/.aws/credentials, read once; only the profiles the
/// lookup needs are parsed (a credentials file of thousands of sections
/// costs a glance at their headers), each once.
struct Files {
    config: Arc<str>,
    credentials: Arc<str>,
    parsed: RefCell<HashMap<(AwsFile, String), Option<Profile>>>,
}

impl Files {
    fn read() -> Result<Files> {
        Ok(Files::from_texts(
            aws_files::config_text()?,
            aws_files::credentials_text()?,
        ))
    }

    fn from_texts(config: Arc<str>, credentials: Arc<str>) -> Files {
        Files {
            config,
            credentials,
            parsed: RefCell::default(),
        }
    }

    /// A key of profile `name` in `file`.
    fn key_in(&self, file: AwsFile, name: &str, key: &str) -> Option<String> {
        let mut parsed = self.parsed.borrow_mut();
        let profile = parsed.entry((file, name.to_owned())).or_insert_with(|| {
            let text = match file {
                AwsFile::Config => &self.config,
                AwsFile::Credentials => &self.credentials,
            };
            aws_files::profile_in(text, file, name)
        });
        profile.as_ref().and_then(|p| p.get(key)).cloned()
    }

    /// A key of `profile`: the credentials file wins over the config file.
    fn get(&self, profile: &str, key: &str) -> Option<String> {
        self.key_in(AwsFile::Credentials, profile, key)
            .or_else(|| self.key_in(AwsFile::Config, profile, key))
            .filter(|v| !v.is_empty())
    }

    fn profile(&self, name: &str) -> Base {
        self.chain(name, &mut Vec::new())
    }

    fn chain(&self, name: &str, visited: &mut Vec<String>) -> Base {
        let base = |kind| Base {
            profile: Some(name.to_owned()),
            kind,
            chosen: false,
        };
        if visited.iter().any(|v| v == name) {
            // A loop: the SDK refuses it, and will say so on a miss.
            return base(Kind::Ambient);
        }
        let first = visited.is_empty();
        visited.push(name.to_owned());
        if !first && let Some(kind) = self.keys(name) {
            return base(kind);
        }
        if let Some(role_arn) = self.get(name, "role_arn")
            && self.get(name, "web_identity_token_file").is_none()
        {
            let source = match (
                self.get(name, "source_profile"),
                self.get(name, "credential_source"),
            ) {
                (Some(source), None) if source != name => self.chain(&source, visited),
                (None, Some(source)) => base(Kind::CredentialSource(source)),
                (Some(_), None) => self.own(name),
                _ => base(Kind::Ambient),
            };
            return base(Kind::Role {
                role_arn,
                external_id: self.get(name, "external_id"),
                session_name: self.get(name, "role_session_name"),
                source: Box::new(source),
            });
        }
        self.own(name)
    }

    /// A profile's own credentials.
    fn own(&self, name: &str) -> Base {
        let kind = if let Some(source) = self.get(name, "credential_source") {
            Kind::CredentialSource(source)
        } else if let (Some(role_arn), Some(token_file)) = (
            self.get(name, "role_arn"),
            self.get(name, "web_identity_token_file"),
        ) {
            Kind::WebIdentity {
                role_arn,
                token_file,
            }
        } else if let Some(sso) = self.sso(name) {
            Kind::Sso(sso)
        } else if let Some(command) = self.get(name, "credential_process") {
            Kind::Process { command }
        } else {
            self.keys(name).unwrap_or(Kind::Ambient)
        };
        Base {
            profile: Some(name.to_owned()),
            kind,
            chosen: false,
        }
    }

    fn keys(&self, name: &str) -> Option<Kind> {
        self.get(name, "aws_access_key_id")
            .map(|access_key_id| Kind::Keys { access_key_id })
    }

    fn sso(&self, name: &str) -> Option<Sso> {
        let session = self.get(name, "sso_session");
        let (start_url, region) = match &session {
            Some(session) => {
                let section = format!("sso-session {session}");
                let get = |key: &str| self.key_in(AwsFile::Config, &section, key);
                (get("sso_start_url"), get("sso_region"))
            }
            None => (
                self.get(name, "sso_start_url"),
                self.get(name, "sso_region"),
            ),
        };
        let account_id = self.get(name, "sso_account_id");
        let role_name = self.get(name, "sso_role_name");
        if session.is_none() && start_url.is_none() && account_id.is_none() {
            return None;
        }
        // An incomplete SSO profile is still SSO: the SDK says what is
        // missing on a miss, and the name keeps apart what differs.
        Some(Sso {
            session,
            start_url: start_url.unwrap_or_default(),
            region: region.unwrap_or_default(),
            account_id: account_id.unwrap_or_default(),
            role_name: role_name.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(config: &str, credentials: &str) -> Files {
        Files::from_texts(Arc::from(config), Arc::from(credentials))
    }

    const SSO: &str = "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n\
        [profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Dev\n\
        [profile prod]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = Dev\n\
        [profile dev-admin]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\
        [profile legacy]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111111111111\nsso_role_name = Dev\n\
        [profile vault]\ncredential_process = /usr/bin/vault-creds dev\n\
        [profile vault2]\ncredential_process = /usr/bin/vault-creds prod\n\
        [profile first]\nrole_arn = arn:aws:iam::111111111111:role/first\nsource_profile = dev\n\
        [profile second]\nrole_arn = arn:aws:iam::111111111111:role/second\nsource_profile = first\n\
        [profile loop]\nrole_arn = arn:aws:iam::111111111111:role/x\nsource_profile = loop2\n\
        [profile loop2]\nrole_arn = arn:aws:iam::111111111111:role/y\nsource_profile = loop\n\
        [profile ci]\nrole_arn = arn:aws:iam::111111111111:role/ci\nweb_identity_token_file = /tmp/token\n";

    #[test]
    fn sso_profiles_differing_in_account_or_role_have_their_own_ids() {
        let f = files(SSO, "");
        let ids: Vec<String> = ["dev", "prod", "dev-admin", "legacy", "vault", "vault2"]
            .iter()
            .map(|p| f.profile(p).id())
            .collect();
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let Kind::Sso(sso) = f.profile("dev").kind else {
            panic!("dev is SSO")
        };
        assert_eq!(sso.start_url, "https://corp.awsapps.com/start");
        assert_eq!(sso.region, "eu-west-1");
        assert_eq!(sso.login_command("dev"), "aws sso login --sso-session corp");
        let Kind::Sso(legacy) = f.profile("legacy").kind else {
            panic!("legacy is SSO")
        };
        assert_eq!(
            legacy.login_command("legacy"),
            "aws sso login --profile legacy"
        );
        // awscli's cache file names: SHA-1 of the session name / start URL.
        assert!(
            sso.token_file()
                .ends_with(".aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json"),
            "{}",
            sso.token_file().display()
        );
    }

    #[test]
    fn role_chains_end_in_their_base() {
        let f = files(SSO, "[default]\naws_access_key_id = AKIADEFAULT\n");
        let second = f.profile("second");
        assert_eq!(second.kind_name(), "role chain");
        let (profile, sso) = second.sso().expect("the chain ends in SSO");
        assert_eq!((profile, sso.account_id.as_str()), ("dev", "111111111111"));
        assert!(!second.may_be_iam_user());
        assert!(second.describe().contains("from profile first (role chain"));
        assert_eq!(f.profile("vault").kind_name(), "credential_process");
        assert!(!f.profile("vault").describe().contains("vault-creds"));
        assert_eq!(f.profile("ci").kind_name(), "web identity");
        assert_eq!(f.profile("default").kind_name(), "keys");
        assert_eq!(f.profile("nothing").kind, Kind::Ambient);
        // A loop ends somewhere, and the SDK reports it on a miss.
        assert_eq!(f.profile("loop").kind_name(), "role chain");
    }

    #[test]
    fn source_profiles_prefer_keys_and_the_credentials_file_wins() {
        let f = files(
            "[profile base]\naws_access_key_id = AKIACONFIG\ncredential_process = x\n\
             [profile top]\nrole_arn = arn:aws:iam::111111111111:role/t\nsource_profile = base\n",
            "[base]\naws_access_key_id = AKIACREDS\n",
        );
        let Kind::Role { source, .. } = f.profile("top").kind else {
            panic!("top is a role")
        };
        assert_eq!(
            source.kind,
            Kind::Keys {
                access_key_id: "AKIACREDS".into()
            }
        );
        // As the first profile, credential_process comes before keys.
        assert_eq!(f.profile("base").kind_name(), "credential_process");
    }
}
