//! The loopback credential endpoint of `--serve`: what the AWS SDKs and the
//! CLI read from `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the token of
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`, and the environment and files that
//! make a child's SDK ask it rather than the user's own `[default]` keys.
//!
//! The HTTP side is the least the protocol needs: one `GET` per connection,
//! a bounded request head read under a deadline, `Connection: close`.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use tempfile::TempDir;

use crate::store::aws_files;
use crate::util::Credentials;
use crate::util::time::rfc3339;

/// The path the endpoint answers on; any other is a 404.
pub const PATH: &str = "/assume-role/credentials";

/// The largest request head read; a longer one is refused (431).
const MAX_HEAD: usize = 8 * 1024;

/// How long a client may take to send its request head.
const READ_DEADLINE: Duration = Duration::from_secs(5);

/// Connections handled at once; more are closed unanswered.
const MAX_CONNECTIONS: usize = 16;

/// Variables that would win over the endpoint in some SDK's chain, or
/// point it at another endpoint, and so are never passed to the child.
pub const HIDDEN: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    // The Java SDK's other names for the keys.
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    // botocore's EC2-style key file.
    "AWS_CREDENTIAL_FILE",
    // The relative URI wins over the full one; a token file over the token.
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "ASSUME_ROLE_MFA_TOKEN",
];

/// Settings that give a profile credentials, in any SDK: removed from the
/// default profile of the child's copy of the AWS files.
const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "credential_process",
    "credential_source",
    "role_arn",
    "source_profile",
    "role_session_name",
    "external_id",
    "mfa_serial",
    "duration_seconds",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
    "sso_registration_scopes",
    "login_session",
];

/// The child's `NO_PROXY` and `no_proxy`, with 127.0.0.1 added when a proxy
/// is configured, so that no client sends the token to a proxy.
pub fn no_proxy() -> Vec<(&'static str, String)> {
    let proxied = [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    ["NO_PROXY", "no_proxy"]
        .into_iter()
        .filter_map(|name| match std::env::var(name) {
            Ok(list)
                if list
                    .split(',')
                    .any(|h| h.trim() == "127.0.0.1" || h.trim() == "*") =>
            {
                None
            }
            Ok(list) if !list.trim().is_empty() => Some((name, format!("{list},127.0.0.1"))),
            _ if proxied => Some((name, "127.0.0.1".to_owned())),
            _ => None,
        })
        .collect()
}

/// Carries, to an `assume-role` started inside the child, what the child's
/// environment replaced, so that it finds the user's own identity again.
pub const SAVED_VAR: &str = "__AR_SERVE";

/// A bound, not yet serving, endpoint and its secret token.
pub struct Endpoint {
    listener: TcpListener,
    token: String,
}

/// What answers a request for credentials: the current ones, or an error
/// (already reported to the user; the client gets a 500).
pub type Provider = dyn Fn() -> Result<Credentials> + Send + Sync;

impl Endpoint {
    /// Binds a random port of 127.0.0.1 and draws a fresh 256-bit token.
    pub fn bind() -> Result<Endpoint> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("cannot open the credential endpoint on 127.0.0.1")?;
        Ok(Endpoint {
            listener,
            token: random_token()?,
        })
    }

    /// `http://127.0.0.1:PORT/assume-role/credentials`.
    pub fn url(&self) -> Result<String> {
        let port = self.listener.local_addr()?.port();
        Ok(format!("http://127.0.0.1:{port}{PATH}"))
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    /// Serves on a background thread for the rest of the process's life.
    pub fn serve(self, provider: Box<Provider>) {
        let provider: Arc<Provider> = Arc::from(provider);
        let token: Arc<str> = Arc::from(self.token);
        let active = Arc::new(AtomicUsize::new(0));
        let listener = self.listener;
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                    active.fetch_sub(1, Ordering::SeqCst);
                    continue;
                }
                let (provider, token, done) = (provider.clone(), token.clone(), active.clone());
                let spawned = thread::Builder::new().spawn(move || {
                    let _ = answer(stream, &token, &*provider);
                    done.fetch_sub(1, Ordering::SeqCst);
                });
                if spawned.is_err() {
                    active.fetch_sub(1, Ordering::SeqCst);
                }
            }
        });
    }
}

/// How a refresher gets new credentials (`assume::assume`), and tells the user
/// about a failure.
pub type Refresh = dyn FnMut() -> Result<Credentials> + Send;
pub type Report = dyn Fn(&anyhow::Error) + Send;

/// After a failed refresh, the next try comes this much later (or at once
/// when a request finds the credentials expired).
const RETRY: Duration = Duration::from_secs(10);

/// How long a request for expired credentials waits for a refresh.
const REQUEST_WAIT: Duration = Duration::from_secs(4);

struct State {
    credentials: Credentials,
    /// Refresh attempts finished so far.
    attempts: u64,
    /// A request found the credentials expired.
    wanted: bool,
    /// The last failure told to the user, so that each is told once.
    reported: String,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Keeps credentials fresh on a background thread: `margin` before they
/// expire it calls `refresh`, so that a refresh that waits (an MFA code
/// typed at the terminal) holds no request up while the credentials in
/// hand are valid. Returns what the endpoint asks.
pub fn refresher(
    initial: Credentials,
    margin: Duration,
    mut refresh: Box<Refresh>,
    report: Box<Report>,
) -> Box<Provider> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            credentials: initial,
            attempts: 0,
            wanted: false,
            reported: String::new(),
        }),
        changed: Condvar::new(),
    });
    let background = shared.clone();
    thread::spawn(move || {
        let mut not_before = SystemTime::now();
        loop {
            let mut state = background.lock();
            loop {
                let due = state
                    .credentials
                    .expiration
                    .checked_sub(margin)
                    .unwrap_or(UNIX_EPOCH)
                    .max(not_before);
                let now = SystemTime::now();
                if state.wanted || now >= due {
                    break;
                }
                let wait = due.duration_since(now).unwrap_or_default();
                state = background
                    .changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            drop(state);
            let result = refresh();
            let mut state = background.lock();
            match result {
                Ok(credentials) => {
                    state.credentials = credentials;
                    state.reported.clear();
                    // Credentials shorter than the margin: not in a loop.
                    not_before = SystemTime::now() + Duration::from_secs(1);
                }
                Err(err) => {
                    let text = format!("{err:#}");
                    if state.reported != text {
                        report(&err);
                        state.reported = text;
                    }
                    not_before = SystemTime::now() + RETRY;
                }
            }
            state.attempts += 1;
            state.wanted = false;
            background.changed.notify_all();
        }
    });
    Box::new(move || {
        let mut state = shared.lock();
        if state.credentials.fresh(Duration::ZERO) {
            return Ok(state.credentials.clone());
        }
        let seen = state.attempts;
        state.wanted = true;
        shared.changed.notify_all();
        let (state, _) = shared
            .changed
            .wait_timeout_while(state, REQUEST_WAIT, |s| s.attempts == seen)
            .unwrap_or_else(|e| e.into_inner());
        if state.credentials.fresh(Duration::ZERO) {
            Ok(state.credentials.clone())
        } else {
            anyhow::bail!("the credentials have expired and could not be refreshed")
        }
    })
}

/// 32 bytes from the operating system's random source, as hex.
fn random_token() -> Result<String> {
    let mut bytes = [0u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom for the endpoint's token")?;
    Ok(bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

/// Equality whose time does not depend on where the inputs differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let diff = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | std::hint::black_box(a ^ b));
    std::hint::black_box(diff) == 0
}

/// The parts of a request head the endpoint looks at.
#[derive(Debug, PartialEq)]
struct Request {
    method: String,
    target: String,
    authorization: Option<Vec<u8>>,
}

/// Parses a request head (without the final empty line). `Err` is the
/// status to answer with.
fn parse_head(head: &[u8]) -> Result<Request, u16> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let line = std::str::from_utf8(lines.next().unwrap_or_default()).map_err(|_| 400u16)?;
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(400);
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || target.is_empty() {
        return Err(400);
    }
    let mut authorization = None;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(400);
        };
        let (name, value) = line.split_at(colon);
        if name.eq_ignore_ascii_case(b"authorization") {
            if authorization.is_some() {
                return Err(400);
            }
            authorization = Some(value[1..].trim_ascii().to_vec());
        }
    }
    Ok(Request {
        method: method.to_owned(),
        target: target.to_owned(),
        authorization,
    })
}

/// Reads the request head: up to the empty line, at most [`MAX_HEAD`]
/// bytes, within [`READ_DEADLINE`].
fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, u16> {
    let deadline = Instant::now() + READ_DEADLINE;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(431);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Err(408);
        }
        match stream.read(&mut buf) {
            Ok(0) => return Err(400),
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(408),
        }
    }
}

/// Answers one connection, then closes it.
fn answer(mut stream: TcpStream, token: &str, provider: &Provider) -> io::Result<()> {
    stream.set_write_timeout(Some(READ_DEADLINE))?;
    let (status, body) = match read_head(&mut stream).and_then(|head| parse_head(&head)) {
        Err(status) => (status, error_body(status)),
        Ok(request) => respond(&request, token, provider),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    };
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        body.len()
    );
    if status == 405 {
        response += "Allow: GET\r\n";
    }
    response += "\r\n";
    response += &body;
    stream.write_all(response.as_bytes())?;
    stream.flush()?;
    stream.shutdown(Shutdown::Write)
}

/// The token first: a request without it learns nothing, not even
/// whether its path exists.
fn respond(request: &Request, token: &str, provider: &Provider) -> (u16, String) {
    match &request.authorization {
        None => return (401, error_body(401)),
        Some(given) if !same_secret(given, token.as_bytes()) => return (403, error_body(403)),
        Some(_) => {}
    }
    let path = request.target.split('?').next().unwrap_or_default();
    if path != PATH {
        return (404, error_body(404));
    }
    if request.method != "GET" {
        return (405, error_body(405));
    }
    match provider() {
        Ok(c) => (
            200,
            serde_json::json!({
                "AccessKeyId": c.access_key_id,
                "SecretAccessKey": c.secret_access_key,
                "Token": c.session_token,
                "Expiration": rfc3339::format(c.expiration),
            })
            .to_string(),
        ),
        Err(_) => (500, error_body(500)),
    }
}

fn error_body(status: u16) -> String {
    let message = match status {
        401 => "an Authorization header with the endpoint's token is required",
        403 => "wrong token",
        404 => "no such path",
        405 => "only GET is served",
        408 => "the request took too long",
        431 => "the request head is too large",
        500 => "assume-role could not refresh the credentials; its terminal says why",
        _ => "bad request",
    };
    serde_json::json!({ "code": status, "message": message }).to_string()
}

/// The child's copies of the AWS files: everything the user has, except
/// credentials in the default profile, which every SDK would use before
/// the endpoint. Removed on drop.
pub struct ChildFiles {
    dir: TempDir,
}

impl ChildFiles {
    pub fn create() -> Result<ChildFiles> {
        let dir = tempfile::Builder::new()
            .prefix("assume-role-serve-")
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir()
            .context("cannot create a folder for the command's AWS files")?;
        let files = ChildFiles { dir };
        for (source, name) in [
            (aws_files::config_path(), "config"),
            (aws_files::credentials_path(), "credentials"),
        ] {
            let text = match fs::read_to_string(&source) {
                Ok(text) => text,
                Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read {}", source.display()));
                }
            };
            files.write(name, &without_default_credentials(&text))?;
        }
        // botocore reads boto2's files before the endpoint too.
        files.write("boto", "")?;
        Ok(files)
    }

    fn write(&self, name: &str, text: &str) -> Result<()> {
        let path = self.dir.path().join(name);
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("cannot write {}", path.display()))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The variables that point the child's SDKs at these files, and the
    /// one that lets a nested `assume-role` put the user's back.
    pub fn variables(&self, url: &str) -> Vec<(&'static str, OsString)> {
        let saved = serde_json::json!({
            "url": url,
            "dir": self.dir.path(),
            "AWS_CONFIG_FILE": std::env::var("AWS_CONFIG_FILE").ok(),
            "AWS_SHARED_CREDENTIALS_FILE": std::env::var("AWS_SHARED_CREDENTIALS_FILE").ok(),
            "BOTO_CONFIG": std::env::var("BOTO_CONFIG").ok(),
        });
        vec![
            ("AWS_CONFIG_FILE", self.path("config").into()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                self.path("credentials").into(),
            ),
            ("BOTO_CONFIG", self.path("boto").into()),
            (SAVED_VAR, saved.to_string().into()),
        ]
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// In an `assume-role` started inside a served command: puts back what
/// the command's environment replaced (the endpoint, the AWS files), so
/// that the standard chain finds the user's own identity, not the role.
/// Must run before any thread starts.
pub fn restore_saved() {
    let Some(text) = std::env::var_os(SAVED_VAR) else {
        return;
    };
    // SAFETY: called from `main` (through base_env::prepare) before any
    // other thread exists.
    unsafe { std::env::remove_var(SAVED_VAR) };
    let Ok(saved) = serde_json::from_slice::<serde_json::Value>(text.as_encoded_bytes()) else {
        return;
    };
    let ours = |name: &str, value: Option<&str>| {
        value.is_some() && std::env::var(name).ok().as_deref() == value
    };
    if ours("AWS_CONTAINER_CREDENTIALS_FULL_URI", saved["url"].as_str()) {
        // SAFETY: as above.
        unsafe {
            std::env::remove_var("AWS_CONTAINER_CREDENTIALS_FULL_URI");
            std::env::remove_var("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        }
    }
    let Some(dir) = saved["dir"].as_str().map(Path::new) else {
        return;
    };
    for name in [
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "BOTO_CONFIG",
    ] {
        let still_ours = std::env::var_os(name).is_some_and(|v| Path::new(&v).starts_with(dir));
        if !still_ours {
            continue;
        }
        // SAFETY: as above.
        unsafe {
            match saved[name].as_str() {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
    }
}

/// An AWS config or credentials file with the credential settings of the
/// default profile (`[default]`, `[profile default]`) left out, and every
/// other line as it was.
pub fn without_default_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_default = false;
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.split(']').next()) {
            let words: Vec<&str> = name.split_whitespace().collect();
            in_default = matches!(words.as_slice(), ["default"] | ["profile", "default"]);
            skipping = false;
        } else if line.starts_with([' ', '\t']) && !trimmed.is_empty() {
            // A continuation (a nested setting) belongs to the line above.
        } else if let Some(at) = line.find(['=', ':']) {
            // botocore takes `key: value` too.
            let key = line[..at].trim().to_ascii_lowercase();
            skipping = in_default && CREDENTIAL_KEYS.contains(&key.as_str());
        } else {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_profile_loses_its_credentials_and_nothing_else() {
        let config = "# mine\n[default]\nregion = eu-west-1\naws_access_key_id = AKIA1\n\
                      AWS_Secret_Access_Key=s3cret\naws_session_token: tok\ncredential_process = /bin/creds\n\
                      s3 =\n  max_concurrent_requests = 4\nsso_session = corp\n\
                      [profile default]\nrole_arn = arn:x\n  \nsource_profile = base\noutput = json\n\
                      [profile prod]\nrole_arn = arn:aws:iam::1:role/prod\nsource_profile = default\n\
                      [ default ]\nweb_identity_token_file = /t\n";
        assert_eq!(
            without_default_credentials(config),
            "# mine\n[default]\nregion = eu-west-1\n\
             s3 =\n  max_concurrent_requests = 4\n\
             [profile default]\n  \noutput = json\n\
             [profile prod]\nrole_arn = arn:aws:iam::1:role/prod\nsource_profile = default\n\
             [ default ]\n"
        );
    }

    #[test]
    fn a_nested_setting_of_a_credential_key_goes_with_it() {
        let text = "[default]\ncredential_process =\n  /bin/creds --x\nregion = r\n";
        assert_eq!(without_default_credentials(text), "[default]\nregion = r\n");
    }

    #[test]
    fn other_profiles_and_files_without_default_are_unchanged() {
        let text = "[alt]\naws_access_key_id = A\naws_secret_access_key = B\n";
        assert_eq!(without_default_credentials(text), text);
        assert_eq!(without_default_credentials(""), "");
    }

    #[test]
    fn tokens_are_256_random_bits_in_hex() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    #[test]
    fn request_heads_parse_strictly() {
        let request =
            parse_head(b"GET /p?x=1 HTTP/1.1\r\nHost: h\r\nauthorization:  tok ").unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.target, "/p?x=1");
        assert_eq!(request.authorization.as_deref(), Some(&b"tok"[..]));
        assert_eq!(
            parse_head(b"GET /p HTTP/1.1\r\nHost: h")
                .unwrap()
                .authorization,
            None
        );
        for bad in [
            &b""[..],
            b"GET /p",
            b"GET  /p HTTP/1.1",
            b"GET /p FTP/1.0",
            b"GET /p HTTP/1.1\r\nno colon",
            b"GET /p HTTP/1.1\r\nAuthorization: a\r\nAuthorization: b",
        ] {
            assert_eq!(
                parse_head(bad),
                Err(400),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
