//! The only module that talks to AWS: GetUser, GetCallerIdentity,
//! ListMFADevices, GetSessionToken, AssumeRole.

use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, anyhow};
use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::config::Region;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

use crate::cache::Credentials;

/// Clients for the base identity, with the runtime that drives them.
pub struct Aws {
    runtime: tokio::runtime::Runtime,
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
}

/// Who the base identity is.
pub struct WhoAmI {
    pub user_name: Option<String>,
    pub arn: String,
}

/// What AssumeRole needs besides the role.
pub struct AssumeRequest<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub duration: Duration,
    pub external_id: Option<&'a str>,
    pub mfa: Option<(&'a str, &'a str)>,
    /// An MFA session (from GetSessionToken) that signs the call instead of
    /// the base credentials.
    pub session: Option<&'a Credentials>,
}

/// AssumeRole or GetSessionToken failed: denied (perhaps for want of MFA, or
/// a wrong code), the signing MFA session ended, or anything else.
#[derive(Debug)]
pub enum AssumeError {
    Denied(String),
    /// The MFA session that signed the call has ended.
    Expired(String),
    Other(anyhow::Error),
}

impl Aws {
    /// Builds clients for the base credentials: `source_profile` when given,
    /// else the standard chain (environment, profiles, SSO, metadata).
    pub fn connect(source_profile: Option<&str>, timeout: Duration) -> Result<Aws> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the network runtime")?;
        let config = runtime.block_on(async {
            let region = RegionProviderChain::default_provider().or_else(Region::new("us-east-1"));
            let timeouts = TimeoutConfig::builder()
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .operation_timeout(timeout)
                .build();
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .region(region)
                .timeout_config(timeouts);
            if let Some(profile) = source_profile {
                let credentials = ProfileFileCredentialsProvider::builder()
                    .profile_name(profile)
                    .build();
                loader = loader
                    .profile_name(profile)
                    .credentials_provider(credentials);
            }
            loader.load().await
        });
        Ok(Aws {
            sts: aws_sdk_sts::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            runtime,
        })
    }

    /// The IAM user behind the base credentials, else the caller's ARN.
    pub fn whoami(&self) -> Result<WhoAmI> {
        self.runtime.block_on(async {
            // Denied, not an IAM user, or no IAM endpoint: ask STS instead.
            // A timeout is not worth waiting for twice.
            match self.iam.get_user().send().await {
                Ok(out) => {
                    if let Some(user) = out.user {
                        return Ok(WhoAmI {
                            user_name: Some(user.user_name),
                            arn: user.arn,
                        });
                    }
                }
                Err(e) if is_timeout(&e) => {
                    return Err(anyhow!(
                        "cannot find out who you are (iam:GetUser): {}",
                        describe(e)
                    ));
                }
                Err(_) => {}
            }
            let out = self.sts.get_caller_identity().send().await.map_err(|e| {
                anyhow!(
                    "cannot find out who you are (sts:GetCallerIdentity): {}",
                    describe(e)
                )
            })?;
            let arn = out.arn.unwrap_or_default();
            Ok(WhoAmI {
                user_name: None,
                arn,
            })
        })
    }

    /// The serial numbers of `user`'s MFA devices.
    pub fn mfa_devices(&self, user: &str) -> Result<Vec<String>> {
        self.runtime.block_on(async {
            let out = self
                .iam
                .list_mfa_devices()
                .user_name(user)
                .send()
                .await
                .map_err(|e| {
                    anyhow!(
                        "cannot list your MFA devices (iam:ListMFADevices): {}",
                        describe(e)
                    )
                })?;
            Ok(out
                .mfa_devices
                .into_iter()
                .map(|d| d.serial_number)
                .collect())
        })
    }

    pub fn assume_role(&self, req: &AssumeRequest) -> Result<Credentials, AssumeError> {
        let sts = match req.session {
            Some(session) => self.signed_by(session),
            None => self.sts.clone(),
        };
        self.runtime.block_on(async {
            let out = sts
                .assume_role()
                .role_arn(req.role_arn)
                .role_session_name(req.session_name)
                .duration_seconds(i32::try_from(req.duration.as_secs()).unwrap_or(i32::MAX))
                .set_external_id(req.external_id.map(str::to_owned))
                .set_serial_number(req.mfa.map(|(serial, _)| serial.to_owned()))
                .set_token_code(req.mfa.map(|(_, code)| code.to_owned()))
                .send()
                .await;
            let out = match out {
                Ok(out) => out,
                Err(e) if e.code() == Some("AccessDenied") => {
                    return Err(AssumeError::Denied(describe(e)));
                }
                Err(e) if req.session.is_some() && e.code() == Some("ExpiredToken") => {
                    return Err(AssumeError::Expired(describe(e)));
                }
                Err(e) => return Err(AssumeError::Other(anyhow!("{}", describe(e)))),
            };
            let c = out
                .credentials
                .ok_or_else(|| AssumeError::Other(anyhow!("STS returned no credentials")))?;
            temporary(c).map_err(AssumeError::Other)
        })
    }

    /// GetSessionToken with an MFA code: a session of the base identity,
    /// authenticated with MFA, that can sign AssumeRole for `duration`.
    /// A wrong code is `Denied`.
    pub fn mfa_session(
        &self,
        serial: &str,
        code: &str,
        duration: Duration,
    ) -> Result<Credentials, AssumeError> {
        self.runtime.block_on(async {
            let out = self
                .sts
                .get_session_token()
                .duration_seconds(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX))
                .serial_number(serial)
                .token_code(code)
                .send()
                .await;
            let out = match out {
                Ok(out) => out,
                Err(e) if e.code() == Some("AccessDenied") => {
                    return Err(AssumeError::Denied(describe(e)));
                }
                Err(e) => return Err(AssumeError::Other(anyhow!("{}", describe(e)))),
            };
            let c = out
                .credentials
                .ok_or_else(|| AssumeError::Other(anyhow!("STS returned no credentials")))?;
            temporary(c).map_err(AssumeError::Other)
        })
    }

    /// An STS client like the base one (region, endpoint, timeouts) that
    /// signs with `session`'s keys.
    fn signed_by(&self, session: &Credentials) -> aws_sdk_sts::Client {
        let keys = aws_credential_types::Credentials::new(
            &session.access_key_id,
            &session.secret_access_key,
            Some(session.session_token.clone()),
            Some(session.expiration),
            "assume-role MFA session",
        );
        let config = self.sts.config().to_builder().credentials_provider(keys);
        aws_sdk_sts::Client::from_conf(config.build())
    }
}

fn temporary(c: aws_sdk_sts::types::Credentials) -> Result<Credentials> {
    let expiration = SystemTime::try_from(c.expiration)
        .map_err(|_| anyhow!("STS returned a bad expiration time"))?;
    Ok(Credentials {
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: c.session_token,
        expiration,
    })
}

fn is_timeout<E, R>(err: &SdkError<E, R>) -> bool {
    match err {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_timeout(),
        _ => false,
    }
}

/// One line for a user: the service's code and message, or the cause of a
/// transport failure, never the SDK's debug dump.
fn describe<E, R>(err: SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let SdkError::ServiceError(service) = &err
        && let Some(code) = service.err().code()
    {
        return match service.err().message() {
            Some(message) => format!("{code}: {}", crate::one_line(message)),
            None => code.to_owned(),
        };
    }
    if is_timeout(&err) {
        return "timed out waiting for AWS (ASSUME_ROLE_TIMEOUT sets how long to wait)".to_owned();
    }
    let mut causes = vec![err.to_string()];
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        if let Some(e) = cause.downcast_ref::<CredentialsError>() {
            return format!(
                "no usable AWS credentials to start from ({}); set AWS_PROFILE, \
                 configure ~/.aws/credentials, log in with `aws sso login`, or export AWS_ACCESS_KEY_ID",
                crate::one_line(&e.to_string())
            );
        }
        causes.push(cause.to_string());
        source = cause.source();
    }
    crate::one_line(&causes.join(": "))
}
