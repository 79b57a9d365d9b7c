//! Fault injection through the built binary: STS unreachable or stopped,
//! SIGKILL in the middle of refreshes, many concurrent cold calls, a full
//! disk, corrupt cache entries, loose cache permissions and a symlinked
//! credentials file.
//!
//! One moto server serves most tests of this file (each test has its own
//! IAM user and TestEnv); the test that stops moto with SIGSTOP starts its
//! own. The disk-full tests mount a small tmpfs (they run as root, as CI
//! does); where mount(8) is refused they fail saying so, never falling
//! back to another test. The same failures are also injected with
//! RLIMIT_FSIZE (SIGXFSZ ignored) by tests of their own.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::shared_moto as moto;
use crate::util::*;

/// Print mode's variables, as this file reads them.
type Vars = BTreeMap<String, String>;

const OPS: &str = "arn:aws:iam::123456789012:role/ops";
const ADMIN_PROFILE: &str = "123456789012-admin";

// ------------------------------------------------------------------ support

/// Atomic-write temporaries (`.assume-role.*`) in `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".assume-role.")
        })
        .collect()
}

/// Every regular file under `dir` (not following links) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.extend(snapshot(&path));
        } else if meta.is_file() {
            out.insert(path.clone(), fs::read(&path).unwrap());
        }
    }
    out
}

/// (key, secret, token)
type Triple = (String, String, String);

fn vars_triple(vars: &BTreeMap<String, String>) -> Triple {
    (
        vars["AWS_ACCESS_KEY_ID"].clone(),
        vars["AWS_SECRET_ACCESS_KEY"].clone(),
        vars["AWS_SESSION_TOKEN"].clone(),
    )
}

/// The credentials in a cache entry; panics unless it is a complete entry.
fn entry_triple(path: &Path) -> Triple {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let entry: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "torn cache entry {}: {e}\n{}",
            path.display(),
            String::from_utf8_lossy(&bytes)
        )
    });
    let c = &entry["credentials"];
    let field = |name: &str| {
        c[name]
            .as_str()
            .unwrap_or_else(|| panic!("cache entry without {name}: {entry}"))
            .to_owned()
    };
    assert!(c["expiration"].is_string(), "{entry}");
    (
        field("access_key_id"),
        field("secret_access_key"),
        field("session_token"),
    )
}

/// The body of a managed section: the comment that marks it as
/// assume-role's, then the keys.
fn section_text(triple: &Triple) -> String {
    format!(
        "# managed by assume-role: rewritten at each refresh\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
        triple.0, triple.1, triple.2
    )
}

/// Waits for `child` at most `limit`, killing it after that.
fn wait_bounded(mut child: std::process::Child, limit: Duration) -> (Output, bool) {
    let deadline = Instant::now() + limit;
    let timed_out = loop {
        if child.try_wait().unwrap().is_some() {
            break false;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break true;
        }
        thread::sleep(Duration::from_millis(1));
    };
    (child.wait_with_output().unwrap(), timed_out)
}

// ----------------------------------------------- 1. STS stopped or misconfigured

/// SIGSTOPs a process; SIGCONTs it when dropped.
struct Stopped(u32);

impl Stopped {
    fn new(pid: u32) -> Stopped {
        // SAFETY: kill(2) touches no memory of ours.
        assert_eq!(
            unsafe { libc::kill(pid as i32, libc::SIGSTOP) },
            0,
            "cannot stop {pid}"
        );
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: kill(2) touches no memory of ours.
        unsafe { libc::kill(self.0 as i32, libc::SIGCONT) };
    }
}

#[test]
fn stopped_sts_times_out_cold_calls_while_cache_hits_still_work() {
    // A moto of our own: stopping the shared one would stall other tests.
    let moto = Moto::start();
    let user = moto.create_user("stopped");
    let env = TestEnv::new()
        .trusting_work()
        .with_user(&user)
        .endpoint(&moto.endpoint())
        .set_env("ASSUME_ROLE_TIMEOUT", "2s");
    env.prefix_in_work();
    env.write("home/.aws/credentials", "[default]\nregion = eu-west-1\n");
    // Another user of the same identity, whose cache is still cold.
    let cold = TestEnv::new()
        .trusting_work()
        .with_user(&user)
        .endpoint(&moto.endpoint())
        .set_env("ASSUME_ROLE_TIMEOUT", "2s");
    cold.prefix_in_work();

    let warm = env.key(&["--role", "admin"]);
    let credentials_before = fs::read(env.credentials_file()).unwrap();
    let cache_before = snapshot(&env.cache_dir());
    assert_eq!(env.cache_files(".creds.json").len(), 1);

    let stopped = Stopped::new(moto.pid());

    // Identity known, AssumeRole hangs.
    let started = Instant::now();
    let output = env.ar(&["--role", "ops"]);
    let took = started.elapsed();
    let line = failure_line(&output, 1);
    assert!(took < Duration::from_secs(10), "took {took:?}: {line}");
    assert!(
        took >= Duration::from_millis(1500),
        "failed before the timeout ({took:?}), so not because of it: {line}"
    );
    assert!(line.starts_with("assume-role: "), "{line}");
    assert!(line.contains("timed out"), "{line}");
    assert!(line.contains("ASSUME_ROLE_TIMEOUT"), "{line}");
    assert!(line.contains(OPS), "{line}");
    assert_eq!(
        fs::read(env.credentials_file()).unwrap(),
        credentials_before,
        "credentials file changed by a failed call"
    );
    let mut cache_now = snapshot(&env.cache_dir());
    cache_now.retain(|p, _| !p.to_string_lossy().ends_with(".lock"));
    let mut cache_then = cache_before.clone();
    cache_then.retain(|p, _| !p.to_string_lossy().ends_with(".lock"));
    assert_eq!(cache_now, cache_then, "cache changed by a failed call");

    // Nothing known yet: the identity lookup (iam:GetUser) hangs.
    let started = Instant::now();
    let output = cold.ar(&["--role", "admin"]);
    let took = started.elapsed();
    let line = failure_line(&output, 1);
    assert!(took < Duration::from_secs(10), "took {took:?}: {line}");
    assert!(took >= Duration::from_millis(1500), "{took:?}: {line}");
    assert!(
        line.contains("timed out") && line.contains("ASSUME_ROLE_TIMEOUT"),
        "{line}"
    );
    assert_eq!(cold.cache_files(".creds.json"), Vec::<PathBuf>::new());
    assert_eq!(cold.cache_files(".identity.json"), Vec::<PathBuf>::new());
    assert!(
        !cold.credentials_file().exists(),
        "credentials file written"
    );
    assert!(!cold.home().join(".aws").exists(), "~/.aws created");

    // A warm role needs no network: served at once while moto is stopped.
    let started = Instant::now();
    assert_eq!(env.key(&["--role", "admin"]), warm);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    drop(stopped);
    // Moto is back: the role that timed out now works, and is written.
    let ops = env.key(&["--role", "ops"]);
    assert_ne!(ops, warm);
    assert_eq!(env.cache_files(".creds.json").len(), 2);
}

#[test]
fn unreachable_sts_is_one_line_and_nothing_written() {
    // Nothing listens on port 9 (discard): connection refused at once.
    let user = moto().create_user("unreachable");
    let env = TestEnv::new()
        .trusting_work()
        .with_user(&user)
        .endpoint("http://127.0.0.1:9")
        .set_env("ASSUME_ROLE_TIMEOUT", "2s");
    env.prefix_in_work();
    let started = Instant::now();
    let output = env.ar(&["--role", "admin"]);
    let line = failure_line(&output, 1);
    assert!(started.elapsed() < Duration::from_secs(10), "{line}");
    assert!(line.starts_with("assume-role: "), "{line}");
    assert_eq!(env.cache_files(".creds.json"), Vec::<PathBuf>::new());
    assert_eq!(env.cache_files(".identity.json"), Vec::<PathBuf>::new());
    assert!(!env.credentials_file().exists());
}

#[test]
fn unparseable_assume_role_timeout_is_one_line_and_nothing_written() {
    for (i, bad) in ["soon", "2 parsecs", "-1s", "1e3"].into_iter().enumerate() {
        let (_, env) = TestEnv::prefixed_user(&format!("timeout-bad-{i}"));
        let env = env.set_env("ASSUME_ROLE_TIMEOUT", bad);
        let output = env.ar(&["--role", "admin"]);
        let line = failure_line(&output, 1);
        assert!(
            line.starts_with("assume-role: ") && line.contains("ASSUME_ROLE_TIMEOUT"),
            "{bad}: {line}"
        );
        assert!(line.contains(bad.trim()), "{bad}: {line}");
        assert_eq!(
            env.cache_files(".creds.json"),
            Vec::<PathBuf>::new(),
            "{bad}"
        );
        assert_eq!(
            env.cache_files(".identity.json"),
            Vec::<PathBuf>::new(),
            "{bad}"
        );
        assert!(!env.credentials_file().exists(), "{bad}");
    }
}

#[test]
fn extreme_assume_role_timeouts_never_panic() {
    // Zero times out at once, with the line saying what to set; absurdly
    // long is as good as no limit. Never a panic.
    for (i, (value, works)) in [
        ("0", false),
        ("0s", false),
        ("18446744073709551615", true),
        ("500000000000y", true),
    ]
    .into_iter()
    .enumerate()
    {
        let (_, env) = TestEnv::prefixed_user(&format!("timeout-extreme-{i}"));
        let env = env.set_env("ASSUME_ROLE_TIMEOUT", value);
        let output = env.ar(&["--role", "admin"]);
        eprintln!(
            "ASSUME_ROLE_TIMEOUT={value}: {} {}",
            output.status,
            stderr(&output).trim()
        );
        if works {
            assert_ok(&output);
            assert_eq!(stderr(&output), "", "{value}\n{}", describe(&output));
            assert!(stdout(&output).contains("AWS_ACCESS_KEY_ID="), "{value}");
        } else {
            let line = failure_line(&output, 1);
            assert!(
                line.contains("timed out") && line.contains("ASSUME_ROLE_TIMEOUT"),
                "{value}: {line}"
            );
            assert_eq!(env.cache_files(".creds.json"), Vec::<PathBuf>::new());
        }
    }
}

#[test]
fn huge_refresh_before_expiry_is_never_a_panic() {
    // Valid YAML, a valid u64 of seconds: the margin is capped at half the
    // session, so it works and the second call is a cache hit; a cache
    // lookup must not overflow SystemTime.
    let (_, env) = TestEnv::prefixed_user("huge-margin");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nrefresh_before_expiry: 18446744073709551615\n"),
    );
    let keys: Vec<String> = ["cold", "warm"]
        .iter()
        .map(|attempt| {
            let output = env.ar(&["--role", "admin"]);
            assert_ok(&output);
            assert_eq!(stderr(&output), "", "{attempt}\n{}", describe(&output));
            parse_vars::<Vars>(&stdout(&output))["AWS_ACCESS_KEY_ID"].clone()
        })
        .collect();
    assert_eq!(keys[0], keys[1], "the warm call is a cache hit");
}

// ---------------------------------------------------- 2. kill -9 mid-refresh

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn sigkill_during_refreshes_never_tears_the_cache_or_the_credentials_file() {
    const RUNS: usize = 200;
    let (_, env) = TestEnv::prefixed_user("kill9");
    let before = "# hand-written; keep this order\n\
        [default]\n\
        aws_access_key_id = AKIADEFAULT\n\
        aws_secret_access_key = se#cr;et=\n\
        \n\
        ; the role below is managed by assume-role\n";
    let header = format!("[{ADMIN_PROFILE}]\n");
    let after = "\n\
        [zzz]\n\
        region = eu-west-1\n\
        s3 =\n  max_concurrent_requests = 20\n";
    let old: Triple = ("OLDKEY".into(), "OLDSECRET".into(), "OLDTOKEN".into());
    env.write(
        "home/.aws/credentials",
        &format!("{before}{header}{}{after}", section_text(&old)),
    );
    let dot_aws = env.home().join(".aws");

    // The cache entry and the credentials file as seen so far.
    let warm = vars_triple(&print_vars::<Vars>(&env, &["--role", "admin", "-f"]));
    let mut seen: BTreeSet<Triple> = [old.clone(), warm.clone()].into();
    let mut previous_file = warm.clone();
    let mut previous_entry = warm.clone();

    let seed = std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_ef01_u64);
    let mut rng = Rng(seed);
    let (mut killed, mut finished, mut file_changes, mut entry_changes) = (0, 0, 0, 0);
    let mut ahead = Vec::new();
    let started = Instant::now();
    for run in 0..RUNS {
        let child = env
            .cmd()
            .args(["--role", "admin", "--force-refresh"])
            .spawn_piped();
        let pid = child.id();
        let leave = rng.next().is_multiple_of(5);
        let delay = Duration::from_millis(rng.next() % 41);
        if !leave {
            thread::sleep(delay);
            // The child may have exited already (not yet reaped): harmless.
            // SAFETY: kill(2) touches no memory of ours.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        let (output, timed_out) = wait_bounded(child, Duration::from_secs(20));
        assert!(!timed_out, "run {run} hung\n{}", describe(&output));
        let what = format!("run {run} (seed {seed:#x}, delay {delay:?}, leave {leave})");
        match (output.status.code(), output.status.signal()) {
            (Some(0), _) => finished += 1,
            (None, Some(libc::SIGKILL)) => killed += 1,
            _ => panic!("{what}: unexpected outcome\n{}", describe(&output)),
        }

        // The cache entry: exactly one, complete JSON.
        let entries = env.cache_files(".creds.json");
        assert_eq!(entries.len(), 1, "{what}: {entries:?}");
        let entry = entry_triple(&entries[0]);
        if entry != previous_entry {
            entry_changes += 1;
            previous_entry = entry.clone();
        }
        seen.insert(entry.clone());
        for identity in env.cache_files(".identity.json") {
            serde_json::from_slice::<serde_json::Value>(&fs::read(&identity).unwrap())
                .unwrap_or_else(|e| panic!("{what}: torn {}: {e}", identity.display()));
        }

        // The credentials file: old or new, never torn; every byte outside
        // the managed section unchanged.
        let text = fs::read_to_string(env.credentials_file()).unwrap();
        let body = text
            .strip_prefix(before)
            .and_then(|t| t.strip_prefix(header.as_str()))
            .and_then(|t| t.strip_suffix(after))
            .unwrap_or_else(|| panic!("{what}: bytes outside the section changed:\n{text}"));
        let body = body
            .strip_prefix("# managed by assume-role: rewritten at each refresh\n")
            .unwrap_or_else(|| panic!("{what}: the section lost its marker:\n{body}"));
        let file: Triple = {
            let values: Vec<&str> = body
                .lines()
                .zip([
                    "aws_access_key_id = ",
                    "aws_secret_access_key = ",
                    "aws_session_token = ",
                ])
                .filter_map(|(line, key)| line.strip_prefix(key))
                .collect();
            assert!(
                values.len() == 3 && body.lines().count() == 3 && body.ends_with('\n'),
                "{what}: the section is not a full triple:\n{body}"
            );
            (values[0].into(), values[1].into(), values[2].into())
        };
        if file != previous_file {
            file_changes += 1;
            previous_file = file.clone();
        }
        if !seen.contains(&file) {
            ahead.push(run);
        }
        if output.status.success() {
            let printed = vars_triple(&parse_vars(&stdout(&output)));
            assert_eq!(printed, entry, "{what}: printed ≠ cached");
            assert_eq!(printed, file, "{what}: printed ≠ credentials file");
        }
    }
    let elapsed = started.elapsed();
    let cache_temps = temp_files(&env.cache_folder());
    let aws_temps = temp_files(&dot_aws);
    eprintln!(
        "kill -9: {RUNS} runs in {elapsed:?} (seed {seed:#x}): {killed} killed, {finished} \
         finished; cache entry changed {entry_changes}×, credentials file {file_changes}×; \
         .assume-role.* temp files left: {} in the cache folder, {} in ~/.aws; credentials \
         file ahead of every cache entry after runs {ahead:?}",
        cache_temps.len(),
        aws_temps.len()
    );
    assert!(
        killed > 0 && finished > 0,
        "{killed} killed, {finished} finished"
    );
    assert!(
        cache_temps.len() + aws_temps.len() <= killed,
        "more temp files than kills: {cache_temps:?} {aws_temps:?}"
    );
    // The file's triple must be one the cache has held: a triple written
    // to ~/.aws/credentials by a call that was killed before caching it is
    // a credential that the cache (and so every later call) never knew.
    assert!(
        ahead.is_empty(),
        "after runs {ahead:?} ~/.aws/credentials held credentials that no cache entry \
         ever held: update_credentials runs before store_credentials in obtain()"
    );
}

// -------------------------------------------------------- 3. concurrency

/// A TCP proxy in front of moto that counts AWS query actions in request
/// bodies (`Action=AssumeRole&…`), across read boundaries.
struct CountingProxy {
    port: u16,
    seen: Arc<std::sync::Mutex<Vec<u8>>>,
    /// Connections accepted and not yet logged.
    open: Arc<std::sync::atomic::AtomicUsize>,
}

impl CountingProxy {
    fn start(upstream: &str) -> CountingProxy {
        let upstream: u16 = upstream.rsplit(':').next().unwrap().parse().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let open = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let still_open = open.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let log = log.clone();
                let open = still_open.clone();
                open.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                thread::spawn(move || {
                    let done = || open.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                        done();
                        return;
                    };
                    let (mut c_read, mut s_write) =
                        (client.try_clone().unwrap(), server.try_clone().unwrap());
                    let (mut s_read, mut c_write) = (server, client);
                    thread::spawn(move || {
                        let _ = std::io::copy(&mut s_read, &mut c_write);
                        let _ = c_write.shutdown(std::net::Shutdown::Write);
                    });
                    // Everything the client sends, kept per connection.
                    let mut sent = Vec::new();
                    let mut buf = [0u8; 16384];
                    loop {
                        match c_read.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                sent.extend_from_slice(&buf[..n]);
                                if s_write.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = s_write.shutdown(std::net::Shutdown::Write);
                    let mut log = log.lock().unwrap();
                    log.extend_from_slice(&sent);
                    log.push(b'\n');
                    done();
                });
            }
        });
        CountingProxy { port, seen, open }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests for `action` seen so far (connections closed).
    fn count(&self, action: &str) -> usize {
        let needle = format!("Action={action}&");
        let log = self.seen.lock().unwrap();
        log.windows(needle.len())
            .filter(|w| *w == needle.as_bytes())
            .count()
    }
}

/// Spawns `--role ROLE` for each role at once; waits for all of them.
fn concurrently(env: &TestEnv, roles: &[String]) -> Vec<BTreeMap<String, String>> {
    let children: Vec<_> = roles
        .iter()
        .map(|role| env.cmd().args(["--role", role]).spawn_piped())
        .collect();
    children
        .into_iter()
        .zip(roles)
        .map(|(child, role)| {
            let (output, timed_out) = wait_bounded(child, Duration::from_secs(60));
            assert!(!timed_out, "{role} hung\n{}", describe(&output));
            assert_ok(&output);
            assert_eq!(stderr(&output), "", "{role}\n{}", describe(&output));
            let vars: Vars = parse_vars(&stdout(&output));
            assert_eq!(vars["ASSUME_ROLE_ARN"], format!("{PREFIX}{role}"));
            vars
        })
        .collect()
}

impl CountingProxy {
    /// A fresh moto user whose environment (as [`TestEnv::prefixed_user`])
    /// reaches moto through a new proxy.
    fn user(name: &str) -> (CountingProxy, TestEnv) {
        let (_, env) = TestEnv::prefixed_user(name);
        let proxy = CountingProxy::start(&moto().endpoint());
        let env = env.endpoint(&proxy.endpoint());
        (proxy, env)
    }

    /// Waits until every connection accepted so far has closed and been
    /// counted (the callers have exited, so each one closes).
    fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.open.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            assert!(
                Instant::now() < deadline,
                "the proxy still has {} connections open 30 s after the callers exited",
                self.open.load(std::sync::atomic::Ordering::SeqCst)
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}

#[test]
fn fifty_concurrent_cold_calls_for_one_role_make_one_assume_role() {
    let (proxy, env) = CountingProxy::user("conc-one");
    let started = Instant::now();
    let results = concurrently(&env, &vec!["admin".to_owned(); 50]);
    let took = started.elapsed();
    proxy.settle();
    let keys: BTreeSet<&str> = results
        .iter()
        .map(|v| v["AWS_ACCESS_KEY_ID"].as_str())
        .collect();
    let triples: BTreeSet<Triple> = results.iter().map(vars_triple).collect();
    eprintln!(
        "50 concurrent calls, one role: {took:?}; AssumeRole {}×, GetUser {}×, \
         GetCallerIdentity {}×",
        proxy.count("AssumeRole"),
        proxy.count("GetUser"),
        proxy.count("GetCallerIdentity")
    );
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(triples.len(), 1);
    assert_eq!(proxy.count("AssumeRole"), 1);
    assert_eq!(proxy.count("GetUser"), 1);
    let triple = triples.into_iter().next().unwrap();
    assert_eq!(
        fs::read_to_string(env.credentials_file()).unwrap(),
        format!("[{ADMIN_PROFILE}]\n{}", section_text(&triple))
    );
    assert_eq!(env.cache_files(".creds.json").len(), 1);
    assert_eq!(temp_files(&env.cache_folder()), Vec::<PathBuf>::new());
}

#[test]
fn fifty_concurrent_cold_calls_over_five_roles_lose_no_profile() {
    let (proxy, env) = CountingProxy::user("conc-five");
    let kept = "# mine\n[default]\naws_access_key_id = AKIADEFAULT\n";
    env.write("home/.aws/credentials", kept);
    let roles: Vec<String> = (0..50).map(|i| format!("r{}", i % 5)).collect();
    let started = Instant::now();
    let results = concurrently(&env, &roles);
    let took = started.elapsed();
    proxy.settle();
    eprintln!(
        "50 concurrent calls, five roles: {took:?}; AssumeRole {}×, GetUser {}×",
        proxy.count("AssumeRole"),
        proxy.count("GetUser")
    );

    let mut per_role: BTreeMap<&str, BTreeSet<Triple>> = BTreeMap::new();
    for (role, vars) in roles.iter().zip(&results) {
        per_role.entry(role).or_default().insert(vars_triple(vars));
    }
    assert_eq!(per_role.len(), 5);
    for (role, triples) in &per_role {
        assert_eq!(triples.len(), 1, "{role}: {triples:?}");
    }
    let keys: BTreeSet<&str> = per_role
        .values()
        .map(|t| t.first().unwrap().0.as_str())
        .collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    assert_eq!(proxy.count("AssumeRole"), 5);

    let text = fs::read_to_string(env.credentials_file()).unwrap();
    assert!(text.starts_with(kept), "{text}");
    let parsed = ini::Ini::load_from_str(&text).unwrap();
    for (role, triples) in &per_role {
        let triple = triples.first().unwrap();
        let name = format!("{ACCOUNT}-{role}");
        let section = parsed
            .section(Some(name.as_str()))
            .unwrap_or_else(|| panic!("[{name}] lost:\n{text}"));
        assert_eq!(
            section.get("aws_access_key_id"),
            Some(triple.0.as_str()),
            "{text}"
        );
        assert_eq!(
            section.get("aws_secret_access_key"),
            Some(triple.1.as_str())
        );
        assert_eq!(section.get("aws_session_token"), Some(triple.2.as_str()));
        assert!(
            text.contains(&format!("[{name}]\n{}", section_text(triple))),
            "{text}"
        );
    }
    assert_eq!(text.matches("\n[").count(), 1 + 5, "{text}");
    assert_eq!(env.cache_files(".creds.json").len(), 5);
}

/// The session name is looked up once per base identity (SPEC), also when
/// cold calls for several roles race: today each role's call, holding only
/// its own role's lock, calls iam:GetUser and rewrites the identity entry
/// (read-modify-write without a lock, so an MFA device learned by one call
/// can be lost to another).
#[test]
fn concurrent_cold_calls_for_five_roles_look_up_the_identity_once() {
    let (proxy, env) = CountingProxy::user("conc-identity");
    let roles: Vec<String> = (0..10).map(|i| format!("r{}", i % 5)).collect();
    concurrently(&env, &roles);
    proxy.settle();
    assert_eq!(proxy.count("AssumeRole"), 5);
    assert_eq!(
        proxy.count("GetUser") + proxy.count("GetCallerIdentity"),
        1,
        "identity looked up more than once"
    );
}

// --------------------------------------------------------- 4. disk full

/// A tmpfs mounted on a directory; unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, mode: &str) -> Result<Tmpfs, String> {
        fs::create_dir_all(dir).unwrap();
        let output = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size=64k,mode={mode}"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Tmpfs(dir.to_owned()))
    }

    /// Fills the filesystem with `filler` until a write fails.
    fn fill(&self) {
        let mut file = fs::File::create(self.0.join("filler")).unwrap();
        let chunk = [b'x'; 512];
        let mut written = 0usize;
        let error = loop {
            match file.write(&chunk) {
                Ok(n) => written += n,
                Err(e) => break e,
            }
            assert!(written < 1 << 20, "64k tmpfs took a megabyte");
        };
        assert_eq!(error.raw_os_error(), Some(28), "{error}");
        // Even one more byte in a new file does not fit.
        let probe = self.0.join("probe");
        assert!(fs::write(&probe, b"x").is_err(), "tmpfs is not full");
        let _ = fs::remove_file(probe);
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let status = Command::new("umount").arg("-l").arg(&self.0).status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("cannot unmount {}: {status:?}", self.0.display());
        }
    }
}

/// `env.cmd()` whose writes to regular files fail past `limit` bytes
/// (RLIMIT_FSIZE, with SIGXFSZ ignored so that write(2) returns EFBIG).
fn limited_cmd(env: &TestEnv, limit: u64) -> Command {
    let mut cmd = env.cmd();
    // SAFETY: setrlimit and signal are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// Where a write fails.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Full {
    CacheFolder,
    CredentialsFolder,
}

/// A warm role, then a forced refresh whose write fails: exit 1, one line,
/// nothing on stdout, and the old cache entry and credentials file intact
/// byte for byte; the cached role is still served afterwards.
fn refresh_on_a_full_disk(name: &str, full: Full, tmpfs: bool) {
    let (_, env) = TestEnv::prefixed_user(name);
    let kept = "# mine\n[default]\nregion = eu-west-1\n";
    let mut mounted = None;
    if tmpfs {
        let (dir, mode) = match full {
            Full::CacheFolder => (env.cache_dir(), "0700"),
            Full::CredentialsFolder => (env.home().join(".aws"), "0755"),
        };
        match Tmpfs::mount(&dir, mode) {
            Ok(m) => mounted = Some(m),
            Err(e) => panic!(
                "{name}: this test fills a 64 KiB tmpfs to get ENOSPC, and a tmpfs cannot \
                 be mounted here ({e}): run the tests as root (CI does), or in a container \
                 with CAP_SYS_ADMIN. The write_error_* tests cover the same paths with \
                 RLIMIT_FSIZE."
            ),
        }
    }
    env.write("home/.aws/credentials", kept);
    let warm = print_vars::<Vars>(&env, &["--role", "admin"]);
    let warm_key = warm["AWS_ACCESS_KEY_ID"].clone();
    let entry = env.cache_files(".creds.json");
    assert_eq!(entry.len(), 1);
    let entry = entry[0].clone();
    let entry_before = fs::read(&entry).unwrap();
    let credentials_before = fs::read(env.credentials_file()).unwrap();
    assert!(String::from_utf8_lossy(&credentials_before).contains(&warm_key));

    let mut cmd = match &mounted {
        Some(fs) => {
            fs.fill();
            env.cmd()
        }
        None => {
            // Between the two files' sizes, so that only the intended write
            // fails (the new files are as long as the old ones, give or take).
            let (cache, creds) = (entry_before.len() as u64, credentials_before.len() as u64);
            let limit = match full {
                Full::CacheFolder => {
                    assert!(creds + 64 < cache, "credentials {creds} B, cache {cache} B");
                    (creds + cache) / 2
                }
                Full::CredentialsFolder => creds / 2,
            };
            limited_cmd(&env, limit)
        }
    };
    let output = run(cmd.args(["--role", "admin", "--force-refresh"]));
    let line = failure_line(&output, 1);
    assert!(line.starts_with("assume-role: "), "{line}");
    let cause = if mounted.is_some() {
        "No space left on device"
    } else {
        "File too large"
    };
    assert!(line.contains(cause), "{line}");
    let named = match full {
        Full::CacheFolder => entry.display().to_string(),
        Full::CredentialsFolder => env.credentials_file().display().to_string(),
    };
    assert!(
        line.contains(&named),
        "the line should name {named}: {line}"
    );

    assert_eq!(
        fs::read(&entry).unwrap(),
        entry_before,
        "{name}: the old cache entry changed"
    );
    assert_eq!(
        String::from_utf8_lossy(&fs::read(env.credentials_file()).unwrap()),
        String::from_utf8_lossy(&credentials_before),
        "{name}: ~/.aws/credentials changed although the call failed"
    );
    assert_eq!(temp_files(&env.cache_folder()), Vec::<PathBuf>::new());
    assert_eq!(temp_files(&env.home().join(".aws")), Vec::<PathBuf>::new());

    // The old entry still serves (no write needed).
    assert_eq!(env.key(&["--role", "admin"]), warm_key);
    drop(mounted);
}

#[test]
fn full_cache_folder_fails_the_refresh_and_changes_nothing() {
    refresh_on_a_full_disk("full-cache", Full::CacheFolder, true);
}

#[test]
fn full_credentials_folder_fails_the_refresh_and_changes_nothing() {
    refresh_on_a_full_disk("full-credentials", Full::CredentialsFolder, true);
}

#[test]
fn write_error_on_the_cache_entry_changes_nothing() {
    refresh_on_a_full_disk("efbig-cache", Full::CacheFolder, false);
}

#[test]
fn write_error_on_the_credentials_file_changes_nothing() {
    refresh_on_a_full_disk("efbig-credentials", Full::CredentialsFolder, false);
}

// ------------------------------------------ 5. corrupt cache, modes, links

/// Warms `admin` and `ops`, damages the admin entry with `damage(admin,
/// ops)`, then expects one warning, a fresh AssumeRole and a repaired entry.
fn damaged_entry_is_a_miss(name: &str, damage: impl Fn(&Path, &Path), warning: &str) {
    let (_, env) = TestEnv::prefixed_user(name);
    let admin_key = env.key(&["--role", "admin"]);
    let admin_entry = env.cache_files(".creds.json");
    let ops_key = env.key(&["--role", "ops"]);
    let entries = env.cache_files(".creds.json");
    assert_eq!(entries.len(), 2);
    let ops_entry = entries
        .iter()
        .find(|e| !admin_entry.contains(e))
        .unwrap()
        .clone();
    let admin_entry = admin_entry[0].clone();
    let ops_before = fs::read(&ops_entry).unwrap();

    damage(&admin_entry, &ops_entry);
    let output = env.ar(&["--role", "admin"]);
    let (line, vars) = one_warning(&output);
    assert!(line.contains(warning), "{name}: {line}");
    let fresh = vars["AWS_ACCESS_KEY_ID"].clone();
    assert!(
        fresh != admin_key && fresh != ops_key,
        "{name}: no fresh AssumeRole"
    );
    assert_eq!(vars["ASSUME_ROLE_ARN"], ADMIN);
    // Repaired: a quiet hit with the new key; ops untouched.
    assert_eq!(entry_triple(&admin_entry).0, fresh, "{name}");
    assert_eq!(env.key(&["--role", "admin"]), fresh, "{name}");
    assert_eq!(fs::read(&ops_entry).unwrap(), ops_before, "{name}");
    assert_eq!(env.key(&["--role", "ops"]), ops_key, "{name}");
}

#[test]
fn truncated_cache_entry_is_a_miss_with_one_warning() {
    damaged_entry_is_a_miss(
        "corrupt-truncated",
        |admin, _| {
            let bytes = fs::read(admin).unwrap();
            fs::write(admin, &bytes[..bytes.len() / 2]).unwrap();
        },
        "corrupt",
    );
}

#[test]
fn empty_cache_entry_is_a_miss_with_one_warning() {
    damaged_entry_is_a_miss(
        "corrupt-empty",
        |admin, _| fs::write(admin, b"").unwrap(),
        "corrupt",
    );
}

#[test]
fn garbage_cache_entry_is_a_miss_with_one_warning() {
    damaged_entry_is_a_miss(
        "corrupt-garbage",
        |admin, _| fs::write(admin, b"\x00\xff\xfegarbage{\"key\":\n\x1b[31m").unwrap(),
        "corrupt",
    );
}

#[test]
fn cache_entry_of_the_wrong_shape_is_a_miss_with_one_warning() {
    damaged_entry_is_a_miss(
        "corrupt-shape",
        |admin, _| {
            // Valid JSON, right fields, an expiration that is no timestamp.
            let mut entry: serde_json::Value =
                serde_json::from_slice(&fs::read(admin).unwrap()).unwrap();
            entry["credentials"]["expiration"] = "tomorrow".into();
            fs::write(admin, entry.to_string()).unwrap();
        },
        "corrupt",
    );
}

#[test]
fn cache_entry_of_another_role_is_a_miss_with_one_warning() {
    damaged_entry_is_a_miss(
        "corrupt-foreign",
        |admin, ops| {
            fs::copy(ops, admin).unwrap();
        },
        "another role",
    );
}

#[test]
fn loose_cache_folder_is_tightened_to_0700_with_a_warning() {
    let (_, env) = TestEnv::prefixed_user("loose-folder");
    let key = env.key(&["--role", "admin"]);
    let dir = env.cache_folder();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let output = env.ar(&["--role", "admin"]);
    let (line, vars) = one_warning(&output);
    assert!(
        line.contains("0700") && line.contains(&dir.display().to_string()),
        "{line}"
    );
    assert_eq!(vars["AWS_ACCESS_KEY_ID"], key, "a hit all the same");
    assert_eq!(mode(&dir), 0o700);
    // Quiet from now on.
    assert_eq!(env.key(&["--role", "admin"]), key);
}

#[test]
fn symlinked_credentials_file_stays_a_link_and_its_target_is_updated() {
    let (_, env) = TestEnv::prefixed_user("symlink");
    let target = env.write(
        "dotfiles/aws/credentials",
        "# synced from my dotfiles\n[default]\naws_access_key_id = AKIADEFAULT\n",
    );
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
    let original = fs::read_to_string(&target).unwrap();
    fs::create_dir_all(env.root().join("links")).unwrap();
    let link = env.root().join("links/credentials");
    // A relative link, the way dotfile managers make them.
    std::os::unix::fs::symlink("../dotfiles/aws/credentials", &link).unwrap();
    let env = env.set_env("AWS_SHARED_CREDENTIALS_FILE", link.to_str().unwrap());

    let mut keys = Vec::new();
    for args in [&["--role", "admin"][..], &["--role", "admin", "-f"]] {
        let vars = print_vars::<Vars>(&env, args);
        let meta = fs::symlink_metadata(&link).unwrap();
        assert!(
            meta.file_type().is_symlink(),
            "the link was replaced by a file"
        );
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("../dotfiles/aws/credentials")
        );
        let text = fs::read_to_string(&target).unwrap();
        assert_eq!(
            text,
            format!(
                "{original}\n[{ADMIN_PROFILE}]\n{}",
                section_text(&vars_triple(&vars))
            )
        );
        assert_eq!(mode(&target), 0o600);
        assert_eq!(temp_files(&env.root().join("links")), Vec::<PathBuf>::new());
        assert_eq!(
            temp_files(&env.root().join("dotfiles/aws")),
            Vec::<PathBuf>::new()
        );
        // The profile is the one exported: it holds these credentials.
        assert_eq!(
            vars.get("AWS_PROFILE").map(String::as_str),
            Some(ADMIN_PROFILE)
        );
        keys.push(vars["AWS_ACCESS_KEY_ID"].clone());
    }
    assert_ne!(keys[0], keys[1]);
    assert!(
        !env.credentials_file().exists(),
        "wrote the default path instead"
    );
}

/// Pre-existing managed keys written in ways INI parsers accept: after the
/// refresh, awscli reads exactly the new credentials from the profile.
#[test]
fn managed_keys_written_unusually_are_replaced_so_awscli_still_reads_the_file() {
    let cases = [
        // Each as an earlier version could have left it (temporary keys),
        // hand-edited: sections assume-role did not write are never touched.
        (
            "colon",
            "aws_access_key_id: ASIAOLDKEY\naws_secret_access_key : OLDSECRET\n\
             aws_session_token:OLDTOKEN\n",
        ),
        (
            "indented",
            "  aws_access_key_id = ASIAOLDKEY\naws_secret_access_key = OLDSECRET\n\
             aws_session_token = OLDTOKEN\n",
        ),
        (
            "continued",
            "aws_session_token =\n  OLDTOKEN-1\n  OLDTOKEN-2\nregion = eu-west-1\n\
             aws_access_key_id = ASIAOLDKEY\n",
        ),
    ];
    let mut failures = Vec::new();
    for (name, body) in cases {
        let (_, env) = TestEnv::prefixed_user(&format!("unusual-{name}"));
        let original = format!("[default]\nregion = us-east-1\n\n[{ADMIN_PROFILE}]\n{body}");
        env.write("home/.aws/credentials", &original);
        let triple = vars_triple(&print_vars::<Vars>(&env, &["--role", "admin"]));
        let text = fs::read_to_string(env.credentials_file()).unwrap();
        for (key, want) in [
            ("aws_access_key_id", &triple.0),
            ("aws_secret_access_key", &triple.1),
            ("aws_session_token", &triple.2),
        ] {
            let output =
                run(aws_cli(&env).args(["configure", "get", key, "--profile", ADMIN_PROFILE]));
            let got = stdout(&output);
            if !output.status.success() || got.trim_end_matches('\n') != want.as_str() {
                failures.push(format!(
                    "{name}: awscli reads {key} as {got:?} (want {want:?}) {}\n{text}",
                    stderr(&output).lines().last().unwrap_or_default()
                ));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
