//! The AWS federation sign-in endpoint: a role's credentials exchanged for a
//! sign-in token (`getSigninToken`), and the `login` URL that opens the
//! console with it.
//!
//! The HTTPS client is the one the AWS SDK already links (hyper and rustls,
//! from aws-smithy-http-client): no second HTTP or TLS stack in the binary.
//! Nothing here runs on the hot paths; only `assume-role console` calls it.
//!
//! The session JSON and the URL carry credentials: they never appear in an
//! error message, and the session JSON goes nowhere but to the endpoint.

use std::env;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use aws_smithy_async::rt::sleep::TokioSleep;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Connector, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use crate::util::Credentials;

/// Overrides the sign-in endpoint's base URL (as `AWS_ENDPOINT_URL_<SERVICE>`
/// does for the SDK's services); the tests point it at a local fake.
pub const ENDPOINT_VAR: &str = "AWS_ENDPOINT_URL_SIGNIN";

/// Named in the login URL as the party that signed the user in.
pub const ISSUER: &str = "assume-role";

/// The AWS partition of a role: where its sign-in endpoint and console are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Aws,
    UsGov,
    China,
}

impl Partition {
    /// The partition named in `arn:PARTITION:…`.
    pub fn of_arn(arn: &str) -> Result<Partition> {
        match arn.split(':').nth(1) {
            Some("aws") => Ok(Partition::Aws),
            Some("aws-us-gov") => Ok(Partition::UsGov),
            Some("aws-cn") => Ok(Partition::China),
            Some(other) => bail!(
                "the AWS console of partition {other:?} cannot be signed in to with federation \
                 (only aws, aws-us-gov and aws-cn can)"
            ),
            None => bail!("`{arn}` is not an ARN"),
        }
    }

    /// The domain its sign-in endpoint and console live under.
    fn domain(self) -> &'static str {
        match self {
            Partition::Aws => "aws.amazon.com",
            Partition::UsGov => "amazonaws-us-gov.com",
            Partition::China => "amazonaws.cn",
        }
    }

    fn console_host(self) -> String {
        format!("console.{}", self.domain())
    }

    /// The sign-in endpoint's base URL: `AWS_ENDPOINT_URL_SIGNIN`, else the
    /// partition's own.
    pub fn signin_base(self) -> Result<String> {
        match env::var(ENDPOINT_VAR) {
            Ok(url) if !url.is_empty() => {
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    bail!("{ENDPOINT_VAR} must be an http:// or https:// URL");
                }
                Ok(url.trim_end_matches('/').to_owned())
            }
            _ => Ok(format!("https://signin.{}", self.domain())),
        }
    }
}

/// The console page to land on: `service` (`s3`, `ec2`, …, or a full URL
/// of the partition's console) in `region`, else the console's home.
pub fn destination(
    partition: Partition,
    service: Option<&str>,
    region: Option<&str>,
) -> Result<String> {
    let host = partition.console_host();
    if let Some(url) = service.filter(|s| s.contains("://")) {
        let rest = url
            .strip_prefix("https://")
            .ok_or_else(|| anyhow!("--service {url:?}: a console URL must start with https://"))?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let url_host = &rest[..end];
        if url_host != host && !url_host.ends_with(&format!(".{host}")) {
            bail!("--service {url:?}: not a page of the AWS console ({host})");
        }
        return Ok(url.to_owned());
    }
    if let Some(region) = region
        && !is_name(region)
    {
        bail!("{region:?} is not a region name (like eu-west-1)");
    }
    let path = match service {
        Some(s) if is_name(s) => format!("{s}/home"),
        Some(s) => bail!("--service {s:?}: give a service name like s3 or ec2, or a console URL"),
        None => "console/home".to_owned(),
    };
    Ok(match region {
        Some(region) => format!("https://{region}.{host}/{path}?region={region}"),
        None => format!("https://{host}/{path}"),
    })
}

/// Lowercase letters, digits and dashes: service and region names.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The JSON `getSigninToken` takes: the role's credentials.
fn session_json(credentials: &Credentials) -> String {
    serde_json::json!({
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key,
        "sessionToken": credentials.session_token,
    })
    .to_string()
}

/// `base/federation?…` with the query pairs encoded.
fn federation_url(base: &str, pairs: &[(&str, &str)]) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{base}/federation?{query}")
}

/// The login URL for `destination`, signed in with `token`.
pub fn login_url(base: &str, destination: &str, token: &str) -> String {
    federation_url(
        base,
        &[
            ("Action", "login"),
            ("Issuer", ISSUER),
            ("Destination", destination),
            ("SigninToken", token),
        ],
    )
}

/// Exchanges role credentials for a sign-in token at `base`.
///
/// No `SessionDuration` is sent: for credentials from AssumeRole the
/// endpoint refuses it, and the console session lasts as long as the
/// credentials do.
pub fn signin_token(base: &str, credentials: &Credentials, timeout: Duration) -> Result<String> {
    let url = federation_url(
        base,
        &[
            ("Action", "getSigninToken"),
            ("Session", &session_json(credentials)),
        ],
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")?;
    let (status, body) = runtime.block_on(get(&url, timeout))?;
    // The body of a refusal is the endpoint's HTML page: not worth a line.
    match status {
        200 => {}
        400..=499 => bail!(
            "the AWS sign-in endpoint refused the role's credentials (HTTP {status}); \
             they may have expired or been revoked: try again with --force-refresh"
        ),
        _ => bail!("the AWS sign-in endpoint failed (HTTP {status}); try again later"),
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    let answer: Answer = serde_json::from_slice(&body)
        .map_err(|_| anyhow!("the AWS sign-in endpoint answered without a sign-in token"))?;
    if answer.signin_token.is_empty() {
        bail!("the AWS sign-in endpoint answered with an empty sign-in token");
    }
    Ok(answer.signin_token)
}

/// GETs `url`: its status and body. Errors name the endpoint's host and the
/// cause, never the URL (its query holds the credentials).
async fn get(url: &str, timeout: Duration) -> Result<(u16, Vec<u8>)> {
    let host = url.split('/').nth(2).unwrap_or("").to_owned();
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .read_timeout(timeout)
        .build();
    let builder: ConnectorBuilder = Connector::builder()
        .connector_settings(settings)
        .sleep_impl(TokioSleep::new())
        .proxy_config(ProxyConfig::from_env());
    let connector = builder
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls_context()?)
        .build();
    let request = http::Request::builder()
        .method("GET")
        .uri(url)
        .header(
            "user-agent",
            concat!("assume-role/", env!("CARGO_PKG_VERSION")),
        )
        .body(SdkBody::empty())
        .map_err(|_| anyhow!("{ENDPOINT_VAR} or the request is not a valid URL"))?;
    let request = aws_smithy_runtime_api::http::Request::try_from(request)
        .map_err(|_| anyhow!("{ENDPOINT_VAR} or the request is not a valid URL"))?;
    // The innermost cause says what went wrong (refused, timed out, …).
    let unreachable = |e: &dyn std::error::Error| {
        let mut cause = e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        anyhow!(
            "cannot reach the AWS sign-in endpoint {host}: {}",
            crate::util::one_line(&cause.to_string())
        )
    };
    let response = connector.call(request).await.map_err(|e| unreachable(&e))?;
    let status = response.status().as_u16();
    let body = ByteStream::new(response.into_body())
        .collect()
        .await
        .map_err(|e| unreachable(&e))?
        .to_vec();
    Ok((status, body))
}

/// The trusted certificates: the system's, plus `AWS_CA_BUNDLE` as awscli
/// reads it.
fn tls_context() -> Result<TlsContext> {
    let mut store = TrustStore::default();
    if let Some(path) = env::var_os("AWS_CA_BUNDLE").filter(|p| !p.is_empty()) {
        let pem = std::fs::read(&path)
            .with_context(|| format!("cannot read AWS_CA_BUNDLE {}", path.to_string_lossy()))?;
        store = store.with_pem_certificate(pem);
    }
    TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| anyhow!("cannot set up TLS: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn partitions_follow_the_role_arn() {
        let of = |arn| Partition::of_arn(arn).unwrap();
        assert_eq!(of("arn:aws:iam::123456789012:role/a"), Partition::Aws);
        assert_eq!(
            of("arn:aws-us-gov:iam::123456789012:role/a"),
            Partition::UsGov
        );
        assert_eq!(of("arn:aws-cn:iam::123456789012:role/a"), Partition::China);
        assert!(Partition::of_arn("arn:aws-iso:iam::123456789012:role/a").is_err());
    }

    #[test]
    fn signin_endpoints_per_partition() {
        // SAFETY: unit tests of this module are the only readers of it.
        unsafe { env::remove_var(ENDPOINT_VAR) };
        assert_eq!(
            Partition::Aws.signin_base().unwrap(),
            "https://signin.aws.amazon.com"
        );
        assert_eq!(
            Partition::UsGov.signin_base().unwrap(),
            "https://signin.amazonaws-us-gov.com"
        );
        assert_eq!(
            Partition::China.signin_base().unwrap(),
            "https://signin.amazonaws.cn"
        );
    }

    #[test]
    fn destinations() {
        let d = |p, s, r| destination(p, s, r).unwrap();
        assert_eq!(
            d(Partition::Aws, Some("s3"), Some("eu-west-1")),
            "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        assert_eq!(
            d(Partition::UsGov, Some("ec2"), Some("us-gov-west-1")),
            "https://us-gov-west-1.console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1"
        );
        assert_eq!(
            d(Partition::China, None, None),
            "https://console.amazonaws.cn/console/home"
        );
        let page = "https://s3.console.aws.amazon.com/s3/buckets/b?region=eu-west-1";
        assert_eq!(d(Partition::Aws, Some(page), None), page);
        for bad in [
            "http://console.aws.amazon.com/",
            "https://console.aws.amazon.com.evil.example/",
            "https://evil.example/?console.aws.amazon.com",
            "s3/../../x",
            "S3",
        ] {
            assert!(
                destination(Partition::Aws, Some(bad), None).is_err(),
                "{bad}"
            );
        }
        assert!(destination(Partition::Aws, Some("s3"), Some("eu west")).is_err());
    }

    #[test]
    fn login_url_encodes_every_part() {
        let url = login_url(
            "https://signin.aws.amazon.com",
            "https://x/?a=1&b=2",
            "t+k/=",
        );
        assert_eq!(
            url,
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=assume-role\
             &Destination=https%3A%2F%2Fx%2F%3Fa%3D1%26b%3D2&SigninToken=t%2Bk%2F%3D"
        );
    }

    #[test]
    fn session_json_has_the_three_keys() {
        let c = Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s\"".into(),
            session_token: "t".into(),
            expiration: UNIX_EPOCH,
        };
        let v: serde_json::Value = serde_json::from_str(&session_json(&c)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"sessionId": "ASIA1", "sessionKey": "s\"", "sessionToken": "t"})
        );
    }
}
