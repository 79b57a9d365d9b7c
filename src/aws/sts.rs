//! The only module that talks to AWS: GetUser, GetCallerIdentity,
//! ListMFADevices, GetSessionToken, AssumeRole; and, through aws-config,
//! whatever supplies the base credentials (SSO, credential_process, a role
//! chain, ...).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, anyhow, bail};
use aws_config::BehaviorVersion;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sts::config::{ConfigBag, Intercept, Region, RuntimeComponents};
use aws_sdk_sts::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};

use crate::aws::base::{Base, Kind, Sso};
use crate::util::Credentials;

/// Clients for the base identity, with the runtime that drives them.
pub struct Aws {
    runtime: tokio::runtime::Runtime,
    sts: aws_sdk_sts::Client,
    iam: aws_sdk_iam::Client,
    /// Whether the base can be an IAM user (else GetUser is not asked).
    may_be_iam_user: bool,
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
    /// Builds clients for the base credentials of `base`: its profile when
    /// it has one (or `source_profile` named it), else the standard chain
    /// (environment, container, instance metadata). The credentials are
    /// resolved here, once, so that a failure (an expired SSO login, a
    /// failing credential_process) is told in the words of its source.
    pub fn connect(base: &Base, timeout: Duration) -> Result<Aws> {
        if let Some((profile, sso)) = base.sso() {
            check_sso_token(profile, sso)?;
        }
        if let Some((profile, command)) = base.process()
            && runs_us(command)
        {
            // `credential_process = assume-role credential-process …` as the
            // base would run itself, again and again.
            bail!(
                "profile {profile} gets its credentials from assume-role itself (credential_process), \
                 so it cannot be the base identity: set source_profile, or AWS_PROFILE, to the \
                 profile with your own credentials"
            );
        }
        let http = ca_bundle(base)?
            .map(|path| https_client(&path))
            .transpose()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the network runtime")?;
        let (config, credentials) = runtime.block_on(async {
            let region = RegionProviderChain::default_provider().or_else(Region::new("us-east-1"));
            let timeouts = TimeoutConfig::builder()
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .operation_timeout(timeout)
                .build();
            let mut loader = aws_config::defaults(BehaviorVersion::latest())
                .region(region)
                .timeout_config(timeouts);
            if let Some(http) = &http {
                loader = loader.http_client(http.clone());
            }
            let profile = base
                .profile
                .as_deref()
                .filter(|_| base.chosen || base.kind != Kind::Ambient);
            if let Some(profile) = profile {
                loader = loader.profile_name(profile);
            }
            let config = loader.load().await;
            let provider = match profile {
                // The profile itself, never keys in the environment.
                Some(profile) => {
                    let mut provider_config =
                        ProviderConfig::default().with_region(config.region().cloned());
                    if let Some(http) = &http {
                        provider_config = provider_config.with_http_client(http.clone());
                    }
                    SharedCredentialsProvider::new(
                        ProfileFileCredentialsProvider::builder()
                            .configure(&provider_config)
                            .profile_name(profile)
                            .build(),
                    )
                }
                None => config
                    .credentials_provider()
                    .ok_or_else(|| anyhow!("no AWS credentials provider"))?,
            };
            let credentials = tokio::time::timeout(timeout, provider.provide_credentials())
                .await
                .map_err(|_| {
                    anyhow!(
                        "timed out getting the base credentials ({}) (ASSUME_ROLE_TIMEOUT sets how long to wait); \
                         check your network, HTTPS_PROXY and AWS_ENDPOINT_URL",
                        base.describe()
                    )
                })?
                .map_err(|e| credentials_error(base, &e))?;
            Ok::<_, anyhow::Error>((config, credentials))
        })?;
        let config = config
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build();
        let sts = aws_sdk_sts::config::Builder::from(&config)
            .interceptor(Endpoint("STS"))
            .build();
        let iam = aws_sdk_iam::config::Builder::from(&config)
            .interceptor(Endpoint("IAM"))
            .build();
        Ok(Aws {
            sts: aws_sdk_sts::Client::from_conf(sts),
            iam: aws_sdk_iam::Client::from_conf(iam),
            runtime,
            may_be_iam_user: base.may_be_iam_user(),
        })
    }

    /// The IAM user behind the base credentials, else the caller's ARN.
    pub fn whoami(&self) -> Result<WhoAmI> {
        self.runtime.block_on(async {
            // Denied, not an IAM user, or no IAM endpoint: ask STS instead.
            // A timeout is not worth waiting for twice.
            // A role session (SSO, a role chain) is no IAM user: its name is
            // the last part of its ARN (`AWSReservedSSO_Dev_abc/alice@example.com`).
            let user = match self.may_be_iam_user {
                true => Some(self.iam.get_user().send().await),
                false => None,
            };
            match user {
                None => {}
                Some(Ok(out)) => {
                    if let Some(user) = out.user {
                        return Ok(WhoAmI {
                            user_name: Some(user.user_name),
                            arn: user.arn,
                        });
                    }
                }
                Some(Err(e)) if is_timeout(&e) => {
                    return Err(anyhow!(
                        "cannot find out who you are (iam:GetUser): {}",
                        describe(e)
                    ));
                }
                Some(Err(_)) => {}
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

/// The endpoint of the last request sent, for messages about the network.
static LAST_ENDPOINT: Mutex<Option<(&'static str, String)>> = Mutex::new(None);

/// Records where each request goes (scheme, host and port only).
#[derive(Debug)]
struct Endpoint(&'static str);

impl Intercept for Endpoint {
    fn name(&self) -> &'static str {
        "assume-role endpoint recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let uri = context.request().uri();
        let origin = match uri.find("://") {
            Some(i) => match uri[i + 3..].find('/') {
                Some(j) => &uri[..i + 3 + j],
                None => uri,
            },
            None => uri,
        };
        if let Ok(mut last) = LAST_ENDPOINT.lock() {
            *last = Some((self.0, origin.to_owned()));
        }
        Ok(())
    }
}

/// The endpoint a service's requests go to when nothing is sent yet:
/// `AWS_ENDPOINT_URL_<SERVICE>`, else `AWS_ENDPOINT_URL`, else AWS's.
fn configured_endpoint(service: &str, default: String) -> String {
    [
        format!("AWS_ENDPOINT_URL_{service}"),
        "AWS_ENDPOINT_URL".into(),
    ]
    .iter()
    .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
    .unwrap_or(default)
}

/// Why a connection failed, in words, and what to check; `None` when the
/// failure is not the network's.
fn network_failure(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut texts = Vec::new();
    let mut refused = false;
    let mut source = Some(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        texts.push(cause.to_string());
        source = cause.source();
    }
    let all = texts.join(": ").to_lowercase();
    let detail = |needle: &str| {
        texts
            .iter()
            .rev()
            .find(|t| t.to_lowercase().contains(needle))
            .map(|t| crate::util::one_line(t))
            .unwrap_or_default()
    };
    Some(
        if all.contains("invalid peer certificate") || all.contains("certificate") {
            format!(
                "the server's TLS certificate is not trusted ({}); behind a TLS-inspecting proxy, \
                 set AWS_CA_BUNDLE (or ca_bundle in the profile) to the proxy's CA certificate",
                detail("certificate")
            )
        } else if all.contains("dns error") || all.contains("failed to lookup address") {
            "the host name does not resolve (DNS); check your network connection, \
             AWS_ENDPOINT_URL and HTTPS_PROXY"
                .to_owned()
        } else if refused || all.contains("connection refused") {
            "the connection was refused; check AWS_ENDPOINT_URL, HTTPS_PROXY/NO_PROXY \
             and your network"
                .to_owned()
        } else if all.contains("timed out") || all.contains("timeout") {
            "timed out (ASSUME_ROLE_TIMEOUT sets how long to wait); check your network, \
             HTTPS_PROXY and AWS_ENDPOINT_URL"
                .to_owned()
        } else if all.contains("tunnel") || all.contains("proxy") {
            format!(
                "the proxy failed the connection ({}); check HTTPS_PROXY and NO_PROXY",
                detail("proxy")
            )
        } else if all.contains("dispatch failure") || all.contains("connection") {
            format!(
                "{}; check your network, HTTPS_PROXY, AWS_CA_BUNDLE and AWS_ENDPOINT_URL",
                crate::util::one_line(texts.last().map(String::as_str).unwrap_or("no connection"))
            )
        } else {
            return None;
        },
    )
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
            Some(message) => format!("{code}: {}", crate::util::one_line(message)),
            None => code.to_owned(),
        };
    }
    let endpoint = LAST_ENDPOINT
        .lock()
        .ok()
        .and_then(|last| last.clone())
        .map(|(service, url)| format!("{service} at {url}"))
        .unwrap_or_else(|| "AWS".to_owned());
    if is_timeout(&err) {
        return format!(
            "timed out waiting for {endpoint} (ASSUME_ROLE_TIMEOUT sets how long to wait); \
             check your network, HTTPS_PROXY and AWS_ENDPOINT_URL"
        );
    }
    if let SdkError::DispatchFailure(_) = &err
        && let Some(why) = network_failure(&err)
    {
        return format!("cannot reach {endpoint}: {why}");
    }
    let mut causes = vec![err.to_string()];
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        if let Some(e) = cause.downcast_ref::<CredentialsError>() {
            return format!(
                "no usable AWS credentials to start from ({}); set AWS_PROFILE, \
                 configure ~/.aws/credentials, or export AWS_ACCESS_KEY_ID",
                crate::util::one_line(&e.to_string())
            );
        }
        causes.push(cause.to_string());
        source = cause.source();
    }
    crate::util::one_line(&causes.join(": "))
}

/// The causes of an error, outermost first, without repeats.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut texts: Vec<String> = Vec::new();
    let mut source = Some(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !texts.iter().any(|t| t.contains(&text)) {
            texts.push(text);
        }
        source = cause.source();
    }
    crate::util::one_line(&texts.join(": "))
}

/// A failure to get the base credentials, told in the words of their
/// source: SSO (and how to log in again), credential_process, the network.
fn credentials_error(base: &Base, err: &CredentialsError) -> anyhow::Error {
    let what = base.describe();
    let all = causes(err);
    if let Some((profile, sso)) = base.sso() {
        if all.contains("UnauthorizedException") || all.contains("expired") {
            return anyhow!(
                "the IAM Identity Center (SSO) login for profile {profile} has expired or was \
                 revoked: run `{}`",
                sso.login_command(profile)
            );
        }
        if let Some(why) = network_failure(err) {
            let portal = configured_endpoint(
                "SSO",
                format!("https://portal.sso.{}.amazonaws.com", sso.region),
            );
            return anyhow!("cannot reach the SSO portal at {portal} ({what}): {why}");
        }
    }
    if let Some(why) = network_failure(err) {
        let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into());
        let sts = configured_endpoint("STS", format!("https://sts.{region}.amazonaws.com"));
        return anyhow!("cannot reach STS at {sts} for the base credentials ({what}): {why}");
    }
    if let Kind::Process { .. } = base.kind {
        return anyhow!("the credential_process of {what} failed: {all}");
    }
    anyhow!(
        "no usable AWS credentials to start from ({what}: {all}); set AWS_PROFILE, \
         configure {}, or export AWS_ACCESS_KEY_ID",
        crate::store::aws_files::credentials_path().display()
    )
}

/// Whether `command` starts this very program.
fn runs_us(command: &str) -> bool {
    let program = command.split_whitespace().next().unwrap_or("");
    let name = |p: &Path| p.file_name().map(|n| n.to_owned());
    let ours = std::env::current_exe().ok();
    name(Path::new(program)).is_some_and(|n| {
        n == "assume-role" || ours.as_deref().and_then(name).is_some_and(|o| o == n)
    })
}

/// Fails, naming the fix, when `aws sso login` has not been run for the
/// profile or its login has expired (and cannot be refreshed).
fn check_sso_token(profile: &str, sso: &Sso) -> Result<()> {
    let path = sso.token_file();
    let fix = sso.login_command(profile);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("not logged in to IAM Identity Center (SSO) for profile {profile}: run `{fix}`")
        }
        Err(e) => bail!(
            "cannot read the SSO token {}: {e}; run `{fix}`",
            path.display()
        ),
    };
    let token: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let expires = token["expiresAt"]
        .as_str()
        .and_then(crate::util::time::rfc3339::parse);
    // The SDK refreshes a token of an sso-session when it can.
    let refreshable = sso.session.is_some() && token["refreshToken"].is_string();
    match expires {
        Some(at) if at > SystemTime::now() => Ok(()),
        _ if refreshable => Ok(()),
        Some(_) => bail!(
            "the IAM Identity Center (SSO) login for profile {profile} has expired: run `{fix}`"
        ),
        None => bail!(
            "the SSO token {} is not one `aws sso login` wrote: run `{fix}`",
            path.display()
        ),
    }
}

/// `AWS_CA_BUNDLE`, else `ca_bundle` of the base's profile, as awscli.
fn ca_bundle(base: &Base) -> Result<Option<PathBuf>> {
    let from_env = std::env::var_os("AWS_CA_BUNDLE").filter(|v| !v.is_empty());
    let path = match from_env {
        Some(path) => Some(PathBuf::from(path)),
        None => match &base.profile {
            Some(profile) => crate::store::aws_files::config_profiles()?
                .get(profile)
                .and_then(|p| p.get("ca_bundle"))
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            None => None,
        },
    };
    Ok(path.map(|p| match p.strip_prefix("~") {
        Ok(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        Err(_) => p,
    }))
}

/// An HTTPS client that trusts the certificates in `bundle` (and only
/// those, as awscli does) and, like the SDK's default client, honours
/// HTTPS_PROXY, HTTP_PROXY and NO_PROXY.
fn https_client(bundle: &Path) -> Result<aws_sdk_sts::config::SharedHttpClient> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let what = || {
        format!(
            "the CA bundle {} (AWS_CA_BUNDLE or ca_bundle)",
            bundle.display()
        )
    };
    let pem = std::fs::read(bundle).with_context(|| format!("cannot read {}", what()))?;
    // Checked here: the TLS layer panics on a certificate it cannot use.
    let mut roots = rustls::RootCertStore::empty();
    for der in CertificateDer::pem_slice_iter(&pem) {
        let der = der.map_err(|e| anyhow!("{} is not PEM: {e}", what()))?;
        roots
            .add(der)
            .map_err(|e| anyhow!("{} holds a certificate that cannot be used: {e}", what()))?;
    }
    if roots.is_empty() {
        bail!("{} holds no PEM certificate", what());
    }
    let context = TlsContext::builder()
        .with_trust_store(TrustStore::empty().with_pem_certificate(pem))
        .build()
        .map_err(|e| anyhow!("{}: {e}", what()))?;
    // What aws-smithy-runtime's default client does, with our trust store:
    // the public `build_https` would drop the proxy settings.
    Ok(
        aws_smithy_http_client::Builder::new().build_with_connector_fn(
            move |settings, components| {
                let mut connector = aws_smithy_http_client::ConnectorBuilder::default()
                    .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
                    .tls_context(context.clone());
                connector.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    connector.set_sleep_impl(components.sleep_impl());
                }
                connector.set_proxy_config(Some(ProxyConfig::from_env()));
                connector.build()
            },
        ),
    )
}
