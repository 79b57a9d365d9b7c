//! Shared support for the integration tests: a moto server, a fake STS that
//! checks MFA codes, an isolated environment for running the binary, and
//! small helpers for running commands and checking their output.
//!
//! `sh` is the harness for scripts in real shells, `tmux` a terminal.

pub mod sh;
pub mod tmux;

pub use tmux::Tmux;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The region every test runs in.
pub const REGION: &str = "us-east-1";

/// The account of moto and the fakes.
pub const ACCOUNT: &str = "123456789012";

/// What most tests configure as `role_prefix`.
pub const PREFIX: &str = "arn:aws:iam::123456789012:role/";

/// The role most tests assume.
pub const ADMIN: &str = "arn:aws:iam::123456789012:role/admin";

/// An endpoint nothing listens on (the discard port).
pub const DEAD: &str = "http://127.0.0.1:9";

/// awscli's arguments that print the caller's ARN.
pub const WHOAMI: &[&str] = &[
    "sts",
    "get-caller-identity",
    "--query",
    "Arn",
    "--output",
    "text",
];

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_assume-role");

/// The role `name` under [`PREFIX`].
pub fn role(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// PATH with our binary first (a stale `assume-role` may be installed
/// elsewhere), then the virtualenv's `aws`.
pub fn test_path() -> String {
    let ours = Path::new(BIN).parent().unwrap().display().to_string();
    format!("{ours}:{}", venv_path())
}

/// Fails, with the command that installs it, when `tool` is not on PATH.
pub fn need(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is needed for this test: apt-get install {tool} (scripts/setup installs it)"
    );
}

/// How long a server may take to report its port.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a command started by [`run`] may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Path of an executable in the test virtualenv (`$ASSUME_ROLE_TEST_VENV`,
/// else `.venv` in the crate). Panics with install instructions if missing.
pub fn venv_bin(name: &str) -> PathBuf {
    let venv = match std::env::var_os("ASSUME_ROLE_TEST_VENV") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"),
    };
    let path = venv.join("bin").join(name);
    if !path.exists() {
        panic!(
            "{} not found. The integration tests need a Python virtualenv with moto and \
             the AWS CLI, at .venv in the crate or wherever ASSUME_ROLE_TEST_VENV points. \
             To install it, run scripts/test (it installs everything), or: \
             python3 -m venv .venv && .venv/bin/pip install 'moto[server]' awscli boto3",
            path.display()
        );
    }
    path
}

/// Runs a future to completion on a fresh current-thread tokio runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("cannot build a tokio runtime")
        .block_on(future)
}

/// SDK settings for `endpoint` with static keys; nothing is read from the
/// developer's environment.
fn sdk_config(
    endpoint: &str,
    access_key_id: &str,
    secret_access_key: &str,
) -> aws_config::SdkConfig {
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    let credentials = Credentials::new(access_key_id, secret_access_key, None, None, "test");
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// An IAM client for `endpoint` with static keys.
pub fn iam_client(
    endpoint: &str,
    access_key_id: &str,
    secret_access_key: &str,
) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&sdk_config(endpoint, access_key_id, secret_access_key))
}

/// An STS client for `endpoint` with static keys.
pub fn sts_client(
    endpoint: &str,
    access_key_id: &str,
    secret_access_key: &str,
) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::new(&sdk_config(endpoint, access_key_id, secret_access_key))
}

/// Unwraps an SDK result, panicking with the error's full context.
fn sdk<T, E: std::error::Error>(what: &str, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| {
        panic!(
            "{what} failed: {}",
            aws_sdk_iam::error::DisplayErrorContext(e)
        )
    })
}

/// Waits until `parse` finds a port in a line of `output` from `child`,
/// then keeps draining `output` in the background so the pipe never fills.
/// Kills `child` and panics with what it printed if that takes too long.
pub fn wait_for_port(
    what: &str,
    child: &mut Child,
    output: impl Read + Send + 'static,
    parse: fn(&str) -> Option<u16>,
) -> u16 {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(output);
        let mut line = Vec::new();
        while matches!(reader.read_until(b'\n', &mut line), Ok(n) if n > 0) {
            // Sending fails once nobody listens; keep reading regardless.
            let _ = tx.send(String::from_utf8_lossy(&line).trim_end().to_owned());
            line.clear();
        }
    });

    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let mut printed = String::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => match parse(&line) {
                Some(port) => return port,
                None => printed += &format!("{line}\n"),
            },
            Err(e) => {
                let _ = child.kill();
                let status = match child.wait() {
                    Ok(status) => status.to_string(),
                    Err(e) => e.to_string(),
                };
                let why = match e {
                    RecvTimeoutError::Timeout => {
                        format!("did not report its port within {STARTUP_TIMEOUT:?}")
                    }
                    RecvTimeoutError::Disconnected => "exited without reporting its port".into(),
                };
                panic!("{what} {why} ({status}). It printed:\n{printed}");
            }
        }
    }
}

/// Sends a bodiless HTTP request to 127.0.0.1:`port`; returns the status,
/// the head and the body.
pub fn http(port: u16, method: &str, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .unwrap_or_else(|e| panic!("cannot connect to 127.0.0.1:{port}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .unwrap_or_else(|e| panic!("{method} {path} on port {port}: {e}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// A fake server of tests/support, run by the virtualenv's python on a
/// free port of 127.0.0.1 (the script prints `PORT=N` once it listens);
/// killed on drop.
pub struct Fake {
    child: Child,
    port: u16,
}

impl Fake {
    /// Starts tests/support/`script` with `args`.
    pub fn start(script: &str, args: &[&str]) -> Fake {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/support")
            .join(script);
        // -B: importing tests/support/fakehttp.py writes no __pycache__.
        let mut child = Command::new(venv_bin("python"))
            .arg("-B")
            .arg(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script}: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let port = wait_for_port(script, &mut child, stdout, |line| {
            line.strip_prefix("PORT=")?.parse().ok()
        });
        Fake { child, port }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// GETs one of its control paths (`/_count`, `/_log`, …), which must
    /// answer 200; returns the body.
    pub fn get(&self, path: &str) -> String {
        self.control("GET", path)
    }

    /// POSTs to one of its control paths, which must answer 200.
    pub fn post(&self, path: &str) {
        self.control("POST", path);
    }

    fn control(&self, method: &str, path: &str) -> String {
        let (status, _, body) = http(self.port, method, path);
        assert_eq!(status, 200, "{method} {path} on the fake failed: {body}");
        body
    }

    /// The count of `name` in the JSON object at `/_count`.
    pub fn count(&self, name: &str) -> usize {
        let body = self.get("/_count");
        let counts: BTreeMap<String, usize> = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("bad /_count reply {body:?}: {e}"));
        counts.get(name).copied().unwrap_or(0)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A user created in moto, with an access key.
#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub arn: String,
}

/// The moto server shared by one test binary's tests: started on first use,
/// killed when the process exits (a static is never dropped).
pub fn shared_moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let moto = Moto::start();
        kill_at_exit(moto.pid());
        moto
    })
}

fn kill_at_exit(pid: u32) {
    static PID: AtomicI32 = AtomicI32::new(0);
    extern "C" fn stop() {
        let pid = PID.load(Ordering::SeqCst);
        if pid > 0 {
            // SAFETY: kill(2) touches no memory of ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    PID.store(pid as i32, Ordering::SeqCst);
    // SAFETY: registers a plain function that only calls kill(2).
    assert_eq!(unsafe { libc::atexit(stop) }, 0, "atexit failed");
}

/// A moto server on a free port of 127.0.0.1, killed on drop.
pub struct Moto {
    child: Child,
    port: u16,
    /// The users created so far.
    users: Mutex<BTreeSet<String>>,
}

impl Moto {
    /// Starts moto_server from the test virtualenv and waits until it listens.
    pub fn start() -> Moto {
        let mut child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto_server: {e}"));
        let stderr = child.stderr.take().expect("stderr is piped");
        let port = wait_for_port("moto_server", &mut child, stderr, |line| {
            line.split_once("Running on http://127.0.0.1:")?
                .1
                .trim()
                .parse()
                .ok()
        });
        Moto {
            child,
            port,
            users: Mutex::default(),
        }
    }

    /// The server's URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The moto_server process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Wipes all state (users, roles, keys, ...).
    pub fn reset(&self) {
        let (status, _, body) = http(self.port, "POST", "/moto-api/reset");
        assert_eq!(status, 200, "moto reset failed: {body}");
        self.users.lock().unwrap().clear();
    }

    /// An IAM client with moto's catch-all test credentials.
    fn admin_iam(&self) -> aws_sdk_iam::Client {
        iam_client(&self.endpoint(), "testing", "testing")
    }

    /// Creates an IAM user with one access key. A name may be used once
    /// per server: tests share moto, so each picks its own.
    pub fn create_user(&self, name: &str) -> User {
        assert!(
            self.users.lock().unwrap().insert(name.to_owned()),
            "the moto user {name:?} exists already: another test uses the name; pick one of its own"
        );
        let iam = self.admin_iam();
        block_on(async {
            let created = sdk("CreateUser", iam.create_user().user_name(name).send().await);
            let key = sdk(
                "CreateAccessKey",
                iam.create_access_key().user_name(name).send().await,
            );
            let key = key.access_key().expect("CreateAccessKey returned no key");
            User {
                name: name.to_owned(),
                access_key_id: key.access_key_id().to_owned(),
                secret_access_key: key.secret_access_key().to_owned(),
                arn: created
                    .user()
                    .expect("CreateUser returned no user")
                    .arn()
                    .to_owned(),
            }
        })
    }

    /// Creates a role anyone in the account may assume; `"team/admin"`
    /// creates `admin` under path `/team/`. Returns the role ARN.
    pub fn create_role(&self, name: &str) -> String {
        let (path, name) = match name.rsplit_once('/') {
            Some((dirs, name)) => (format!("/{dirs}/"), name),
            None => ("/".to_owned(), name),
        };
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
        let iam = self.admin_iam();
        let created = block_on(async {
            sdk(
                "CreateRole",
                iam.create_role()
                    .role_name(name)
                    .path(path)
                    .assume_role_policy_document(trust)
                    .send()
                    .await,
            )
        });
        created
            .role()
            .expect("CreateRole returned no role")
            .arn()
            .to_owned()
    }

    /// Creates a virtual MFA device and enables it for `user`; returns its serial.
    pub fn create_virtual_mfa(&self, user: &User) -> String {
        self.create_virtual_mfa_named(user, &user.name)
    }

    /// As [`Moto::create_virtual_mfa`], for a user's second device.
    pub fn create_virtual_mfa_named(&self, user: &User, device: &str) -> String {
        let iam = self.admin_iam();
        block_on(async {
            let created = sdk(
                "CreateVirtualMFADevice",
                iam.create_virtual_mfa_device()
                    .virtual_mfa_device_name(device)
                    .send()
                    .await,
            );
            let serial = created
                .virtual_mfa_device()
                .expect("CreateVirtualMFADevice returned no device")
                .serial_number()
                .to_owned();
            sdk(
                "EnableMFADevice",
                iam.enable_mfa_device()
                    .user_name(&user.name)
                    .serial_number(&serial)
                    .authentication_code1("123456")
                    .authentication_code2("654321")
                    .send()
                    .await,
            );
            serial
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An isolated user for running the binary: a temporary directory holding
/// `home/`, `work/` (the current directory) and the XDG directories
/// `cache/`, `data/` and `config/` (created only when something writes
/// there), and an environment with nothing from the outside but PATH.
pub struct TestEnv {
    root: TempDir,
    vars: BTreeMap<String, String>,
}

impl TestEnv {
    /// A fresh environment with empty `home/` and `work/` directories.
    pub fn new() -> TestEnv {
        let root = tempfile::Builder::new()
            .prefix("assume-role-test-")
            .tempdir()
            .expect("cannot create a temporary directory");
        for dir in ["home", "work"] {
            std::fs::create_dir(root.path().join(dir)).expect("cannot create test directories");
        }
        TestEnv {
            root,
            vars: BTreeMap::new(),
        }
    }

    /// A fresh user `name` of the shared moto, and an environment using its
    /// keys against moto, with no assume-role.yaml.
    pub fn user(name: &str) -> (User, TestEnv) {
        let moto = shared_moto();
        let user = moto.create_user(name);
        let env = TestEnv::new().with_user(&user).endpoint(&moto.endpoint());
        (user, env)
    }

    /// As [`TestEnv::user`], with project files under `work/` trusted.
    pub fn trusted_user(name: &str) -> (User, TestEnv) {
        let (user, env) = TestEnv::user(name);
        (user, env.trusting_work())
    }

    /// As [`TestEnv::trusted_user`], with `role_prefix: PREFIX` in
    /// work/assume-role.yaml.
    pub fn prefixed_user(name: &str) -> (User, TestEnv) {
        let (user, env) = TestEnv::trusted_user(name);
        env.prefix_in_work();
        (user, env)
    }

    /// Writes `role_prefix: PREFIX` to work/assume-role.yaml.
    pub fn prefix_in_work(&self) {
        self.write("work/assume-role.yaml", &format!("role_prefix: {PREFIX}\n"));
    }

    /// As [`TestEnv::user`], with `role_prefix: PREFIX` in
    /// ~/.aws/assume-role.yaml and the virtualenv's `aws` on PATH.
    pub fn home_user(name: &str) -> (User, TestEnv) {
        let (user, env) = TestEnv::user(name);
        env.write(
            "home/.aws/assume-role.yaml",
            &format!("role_prefix: {PREFIX}\n"),
        );
        (user, env.set_env("PATH", &venv_path()))
    }

    /// Uses `user`'s access key (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
    #[must_use]
    pub fn with_user(self, user: &User) -> TestEnv {
        self.set_env("AWS_ACCESS_KEY_ID", &user.access_key_id)
            .set_env("AWS_SECRET_ACCESS_KEY", &user.secret_access_key)
    }

    /// Sends all AWS requests to `url` (AWS_ENDPOINT_URL).
    #[must_use]
    pub fn endpoint(self, url: &str) -> TestEnv {
        self.set_env("AWS_ENDPOINT_URL", url)
    }

    /// Trusts every project file under `work/`, as CI would with
    /// `ASSUME_ROLE_TRUSTED_PATHS` (for tests of what a file does once
    /// trusted, not of trust itself).
    #[must_use]
    pub fn trusting_work(self) -> TestEnv {
        let work = self.work().display().to_string();
        self.set_env("ASSUME_ROLE_TRUSTED_PATHS", &work)
    }

    /// Sets an extra variable; it overrides the isolated defaults.
    #[must_use]
    pub fn set_env(mut self, key: &str, value: &str) -> TestEnv {
        self.vars.insert(key.to_owned(), value.to_owned());
        self
    }

    /// The temporary directory holding everything else.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// HOME.
    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    /// The current directory of commands.
    pub fn work(&self) -> PathBuf {
        self.root().join("work")
    }

    /// XDG_CACHE_HOME (not created in advance).
    pub fn cache_dir(&self) -> PathBuf {
        self.root().join("cache")
    }

    /// AWS_SHARED_CREDENTIALS_FILE (`home/.aws/credentials`).
    pub fn credentials_file(&self) -> PathBuf {
        self.home().join(".aws/credentials")
    }

    /// AWS_CONFIG_FILE (`home/.aws/config`).
    pub fn config_file(&self) -> PathBuf {
        self.home().join(".aws/config")
    }

    /// Writes `contents` to `rel_path` under [`root`](Self::root), creating parents.
    pub fn write(&self, rel_path: &str, contents: &str) -> PathBuf {
        let path = self.root().join(rel_path);
        std::fs::create_dir_all(path.parent().unwrap()).expect("cannot create parent directories");
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// assume-role's cache folder (`$XDG_CACHE_HOME/assume-role`).
    pub fn cache_folder(&self) -> PathBuf {
        self.cache_dir().join("assume-role")
    }

    /// The files in the cache folder whose names end with `suffix`, sorted.
    pub fn cache_files(&self, suffix: &str) -> Vec<PathBuf> {
        files_in(&self.cache_folder(), suffix)
    }

    /// Asserts that a failed call left no credentials behind: no cache
    /// entry, no credentials file.
    pub fn assert_nothing_written(&self) {
        assert_eq!(self.cache_files(".creds.json"), Vec::<PathBuf>::new());
        assert!(
            !self.credentials_file().exists(),
            "{} was written",
            self.credentials_file().display()
        );
    }

    /// The assume-role binary, in this environment.
    pub fn cmd(&self) -> Command {
        self.command(BIN)
    }

    /// Runs the binary with `args`.
    pub fn ar(&self, args: &[&str]) -> Output {
        run(self.cmd().args(args))
    }

    /// The access key id print mode gives for `args`.
    pub fn key(&self, args: &[&str]) -> String {
        print_vars::<BTreeMap<String, String>>(self, args)["AWS_ACCESS_KEY_ID"].clone()
    }

    /// Any program, in this environment: PATH is the only variable inherited.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd.env("HOME", self.home())
            .env("XDG_CACHE_HOME", self.cache_dir())
            .env("XDG_DATA_HOME", self.root().join("data"))
            .env("XDG_CONFIG_HOME", self.root().join("config"))
            .env("AWS_CONFIG_FILE", self.config_file())
            .env("AWS_SHARED_CREDENTIALS_FILE", self.credentials_file())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            // moto grants sessions of any length; tests of expiry use
            // seconds-long ones, which AWS (and assume-role without this)
            // refuses.
            .env("ASSUME_ROLE_ALLOW_SHORT_DURATION", "1")
            .envs(&self.vars)
            .current_dir(self.work());
        cmd
    }
}

/// Files in `dir` whose names end with `suffix`, sorted; none when `dir`
/// does not exist.
pub fn files_in(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

/// The effective user id of the tests.
pub fn geteuid() -> u32 {
    // SAFETY: geteuid(2) cannot fail and touches no memory of ours.
    unsafe { libc::geteuid() }
}

/// The permission bits of `path`.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Exit 0 and exactly one warning line on stderr: that line, and the
/// variables print mode gave.
pub fn one_warning(output: &Output) -> (String, BTreeMap<String, String>) {
    assert_ok(output);
    let err = stderr(output);
    assert_eq!(
        err.lines().count(),
        1,
        "expected exactly one warning\n{}",
        describe(output)
    );
    assert!(
        err.starts_with("assume-role: warning: "),
        "{}",
        describe(output)
    );
    (err.trim_end().to_owned(), parse_vars(&stdout(output)))
}

/// Starts a command in the background with stdin closed and both output
/// streams piped.
pub trait SpawnPiped {
    fn spawn_piped(&mut self) -> Child;
}

impl SpawnPiped for Command {
    fn spawn_piped(&mut self) -> Child {
        self.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {self:?}: {e}"))
    }
}

/// The test virtualenv's `aws` (AWS CLI v1), in `env`'s environment.
pub fn aws_cli(env: &TestEnv) -> Command {
    env.command(venv_bin("aws"))
}

/// Runs `cmd` to completion with stdin closed and output captured.
///
/// The command runs in a new session, so it has no controlling terminal
/// (`/dev/tty` cannot be opened) whether or not the tests do. It is killed,
/// and the test panics with its output, if it takes over a minute.
pub fn run(cmd: &mut Command) -> Output {
    run_inner(cmd, None)
}

/// Like [`run`], with `input` on stdin.
pub fn run_with_input(cmd: &mut Command, input: &str) -> Output {
    run_inner(cmd, Some(input.as_bytes().to_vec()))
}

fn run_inner(cmd: &mut Command, input: Option<Vec<u8>>) -> Output {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if let Some(input) = input {
        let mut stdin = child.stdin.take().unwrap();
        // Ignore errors: the command may exit without reading its input.
        thread::spawn(move || stdin.write_all(&input));
    }
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));

    let deadline = Instant::now() + RUN_TIMEOUT;
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("cannot wait for the command") {
            break (status, false);
        }
        if Instant::now() > deadline {
            // Kill the whole process group (led by the unreaped child), or
            // grandchildren would keep the pipes open.
            // SAFETY: kill(2) touches no memory of ours.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            break (child.wait().expect("cannot wait for the command"), true);
        }
        thread::sleep(Duration::from_millis(10));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(
        !timed_out,
        "{cmd:?} did not finish within {RUN_TIMEOUT:?}\n{}",
        describe(&output)
    );
    output
}

/// Both streams of `output`, for failure messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Panics, showing both streams, unless the command succeeded.
pub fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "command failed\n{}",
        describe(output)
    );
}

/// Panics, showing both streams, unless the command failed.
pub fn assert_fails(output: &Output) {
    assert!(
        !output.status.success(),
        "command unexpectedly succeeded\n{}",
        describe(output)
    );
}

/// Stdout as UTF-8; panics, showing both streams, if it is not.
pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone())
        .unwrap_or_else(|_| panic!("stdout is not UTF-8\n{}", describe(output)))
}

/// Stderr as UTF-8; panics, showing both streams, if it is not.
pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone())
        .unwrap_or_else(|_| panic!("stderr is not UTF-8\n{}", describe(output)))
}

/// PATH with the virtualenv's bin first, for `aws` run by the binary.
pub fn venv_path() -> String {
    let bin = venv_bin("aws").parent().unwrap().display().to_string();
    format!("{bin}:{}", std::env::var("PATH").unwrap_or_default())
}

/// Asserts that the command failed with exit `code`, printed nothing on
/// stdout and exactly one `assume-role: …` line on stderr; returns it.
pub fn failure_line(output: &Output, code: i32) -> String {
    assert_eq!(output.status.code(), Some(code), "{}", describe(output));
    assert_eq!(stdout(output), "", "{}", describe(output));
    let err = stderr(output);
    assert_eq!(
        err.lines().count(),
        1,
        "stderr is not one line\n{}",
        describe(output)
    );
    assert!(err.starts_with("assume-role: "), "{}", describe(output));
    assert!(err.ends_with('\n'), "{}", describe(output));
    err.trim_end().to_owned()
}

impl User {
    /// The user's keys as a `[name]` section of a credentials file.
    pub fn credentials_section(&self, name: &str) -> String {
        format!(
            "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            self.access_key_id, self.secret_access_key
        )
    }
}

/// `cmd` (the binary, with its arguments up to the role) with no keys in
/// the environment, running `aws sts get-caller-identity`: the caller's ARN.
pub fn caller_arn_without_env_keys(mut cmd: Command) -> String {
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["--", "aws"])
        .args(WHOAMI);
    let out = run(&mut cmd);
    assert_ok(&out);
    stdout(&out).trim().to_owned()
}

/// Parses print mode's `KEY=value` lines (into a Vec to keep their order,
/// or a map).
pub fn parse_vars<C: FromIterator<(String, String)>>(text: &str) -> C {
    text.lines()
        .map(|line| {
            let (k, v) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("not a KEY=value line: {line:?}\n{text}"));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// Print mode with `args`: must succeed with an empty stderr; the variables.
pub fn print_vars<C: FromIterator<(String, String)>>(env: &TestEnv, args: &[&str]) -> C {
    let output = run(env.cmd().args(args));
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    parse_vars(&stdout(&output))
}

/// Writes the token `aws sso login` caches for `id` (an sso-session name,
/// or the start URL of a legacy profile) under `home`, as awscli does:
/// `~/.aws/sso/cache/<sha1 of id>.json`.
pub fn write_sso_token(home: &Path, id: &str, start_url: &str, token: &str, expires_at: &str) {
    use sha1::{Digest, Sha1};
    let hash: String = Sha1::digest(id.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    let json = serde_json::json!({
        "startUrl": start_url,
        "region": REGION,
        "accessToken": token,
        "expiresAt": expires_at,
    });
    std::fs::write(dir.join(format!("{hash}.json")), json.to_string()).unwrap();
}

/// Path of an executable in the mitmproxy virtualenv (`mitmproxy/` inside
/// the test virtualenv). Panics with install instructions if missing.
pub fn mitmproxy_bin(name: &str) -> PathBuf {
    let aws = venv_bin("aws");
    let path = aws
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("mitmproxy/bin")
        .join(name);
    if !path.exists() {
        panic!(
            "{} not found. The proxy tests need mitmproxy in its own virtualenv: run \
             scripts/setup, or: python3 -m venv .venv/mitmproxy && \
             .venv/mitmproxy/bin/pip install mitmproxy",
            path.display()
        );
    }
    path
}

/// mitmdump on a free port of 127.0.0.1: a TLS-intercepting HTTPS proxy
/// that signs every host with its own CA and sends each request, Host
/// header kept, to `upstream` (`portal.sso.*` hosts to `sso`). Killed on drop.
pub struct Mitm {
    child: Child,
    port: u16,
    confdir: TempDir,
}

impl Mitm {
    pub fn start(upstream: &str, sso: &str) -> Mitm {
        let confdir = tempfile::Builder::new()
            .prefix("assume-role-mitm-")
            .tempdir()
            .unwrap();
        let addon = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/mitm_upstream.py");
        let mut child = Command::new(mitmproxy_bin("mitmdump"))
            .args(["--listen-host", "127.0.0.1", "--listen-port", "0"])
            .arg("--set")
            .arg(format!("confdir={}", confdir.path().display()))
            .args(["--set", "connection_strategy=lazy"])
            .arg("-s")
            .arg(addon)
            .env("MITM_UPSTREAM", upstream)
            .env("MITM_SSO", sso)
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start mitmdump: {e}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        // "HTTP(S) proxy listening at 127.0.0.1:NNNNN."
        let port = wait_for_port("mitmdump", &mut child, stdout, |line| {
            line.split_once("listening at 127.0.0.1:")?
                .1
                .trim_end_matches('.')
                .trim()
                .parse()
                .ok()
        });
        Mitm {
            child,
            port,
            confdir,
        }
    }

    /// The proxy's URL, for HTTPS_PROXY.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The CA certificate it signs with, for AWS_CA_BUNDLE.
    pub fn ca_cert(&self) -> PathBuf {
        self.confdir.path().join("mitmproxy-ca-cert.pem")
    }
}

impl Drop for Mitm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// tests/support/fake_sts.py: an STS whose AssumeRole only succeeds with one
/// MFA code (and a serial number). Killed on drop.
pub struct FakeSts(Fake);

impl FakeSts {
    /// Starts the fake; AssumeRole succeeds only with TokenCode `good_code`.
    pub fn start(good_code: &str) -> FakeSts {
        FakeSts::start_with(good_code, &[])
    }

    /// As [`FakeSts::start`], with more of fake_sts.py's options
    /// (`--no-mfa`, `--external-id ID`, `--lifetime SECONDS`, `--max-mfa-age ROLE=SECONDS`,
    /// `--deny-role ROLE`).
    pub fn start_with(good_code: &str, options: &[&str]) -> FakeSts {
        let args = [&["--good-code", good_code], options].concat();
        FakeSts(Fake::start("fake_sts.py", &args))
    }

    /// The fake's URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        self.0.endpoint()
    }

    /// How many requests for STS `action` (e.g. "AssumeRole") it has received.
    pub fn count(&self, action: &str) -> usize {
        self.0.count(action)
    }

    /// POSTs to one of the fake's control paths (`/_expire_sessions`,
    /// `/_age_sessions?seconds=N`).
    pub fn control(&self, path: &str) {
        self.0.post(path);
    }
}

/// tests/support/fake_sso.py: the IAM Identity Center portal's
/// GetRoleCredentials, handing out role credentials from `moto` to the
/// holders of `tokens`. Killed on drop.
pub struct FakeSso(Fake);

impl FakeSso {
    pub fn start(moto: &str, tokens: &[&str]) -> FakeSso {
        let mut args = vec!["--moto", moto];
        for token in tokens {
            args.extend(["--token", token]);
        }
        FakeSso(Fake::start("fake_sso.py", &args))
    }

    /// The portal's URL, for AWS_ENDPOINT_URL_SSO.
    pub fn endpoint(&self) -> String {
        self.0.endpoint()
    }

    /// How many GetRoleCredentials requests it has received.
    pub fn calls(&self) -> usize {
        self.0.count("GetRoleCredentials")
    }
}
