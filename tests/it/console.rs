//! `assume-role console` and `ar --console`: the role's credentials from
//! the pipeline (moto's STS, our cache), exchanged for a sign-in token at
//! tests/support/fake_signin.py (moto has no sign-in endpoint), which logs
//! what it received so that the keys can be compared with those moto issued.
//!
//! Run with `cargo test --test it -- console:: --nocapture` to see the
//! transcript of `console --role admin --service s3 --print` and the
//! fake's request log.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::util::*;
use serde_json::Value;

/// tests/support/fake_signin.py on a free port; killed on drop.
struct FakeSignin(Fake);

impl FakeSignin {
    fn start(flags: &[&str]) -> FakeSignin {
        FakeSignin(Fake::start("fake_signin.py", flags))
    }

    fn endpoint(&self) -> String {
        self.0.endpoint()
    }

    /// Every request it received, oldest first.
    fn log(&self) -> Vec<Value> {
        let body = self.0.get("/_log");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("bad /_log {body:?}: {e}"))
    }

    /// The getSigninToken requests it received.
    fn token_requests(&self) -> Vec<Value> {
        self.log()
            .into_iter()
            .filter(|e| e["action"] == "getSigninToken")
            .collect()
    }

    /// Follows a login URL as a browser would: the redirect's target, or
    /// the refusal's status.
    fn visit(&self, url: &str) -> Result<String, u16> {
        let path = url
            .strip_prefix(&self.endpoint())
            .unwrap_or_else(|| panic!("{url} is not on the fake sign-in endpoint"));
        let (status, head, _) = http(self.0.port(), "GET", path);
        if status != 302 {
            return Err(status);
        }
        let location = head
            .lines()
            .find_map(|l| l.strip_prefix("Location: "))
            .expect("a redirect has a Location");
        Ok(location.to_owned())
    }
}

/// A fresh moto user and an environment using it, with `role_prefix` in
/// ~/.aws/assume-role.yaml and the sign-in endpoint at `signin`.
fn console_env(name: &str, signin: &FakeSignin) -> (User, TestEnv) {
    let (user, env) = TestEnv::home_user(name);
    (
        user,
        env.set_env("AWS_ENDPOINT_URL_SIGNIN", &signin.endpoint()),
    )
}

/// A login URL taken apart: base, then the query's pairs, decoded.
fn parse_url(url: &str) -> (String, Vec<(String, String)>) {
    let (base, query) = url.split_once('?').expect("a query");
    let pairs = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    (base.to_owned(), pairs)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {pairs:?}"))
}

/// `console ARGS --print`: must succeed; the URL it printed, and stderr.
fn console_url(env: &TestEnv, args: &[&str]) -> (String, String) {
    let out = run(env.cmd().arg("console").args(args).arg("--print"));
    assert_ok(&out);
    let url = stdout(&out);
    assert_eq!(url.lines().count(), 1, "{}", describe(&out));
    (url.trim_end().to_owned(), stderr(&out))
}

/// The caller ARN moto sees for `session`'s keys.
fn caller_of(env: &TestEnv, session: &Value) -> String {
    let out = run(aws_cli(env)
        .env("AWS_ACCESS_KEY_ID", session["sessionId"].as_str().unwrap())
        .env(
            "AWS_SECRET_ACCESS_KEY",
            session["sessionKey"].as_str().unwrap(),
        )
        .env(
            "AWS_SESSION_TOKEN",
            session["sessionToken"].as_str().unwrap(),
        )
        .args(WHOAMI));
    assert_ok(&out);
    stdout(&out).trim().to_owned()
}

/// What the closing note shows: a value that is a credential, cut short.
fn elide(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() > 8)
        .fold(text.to_owned(), |t, s| {
            t.replace(s, &format!("{}…", &s[..4]))
        })
}

#[test]
fn print_gives_a_login_url_made_with_the_roles_cached_keys() {
    let signin = FakeSignin::start(&[]);
    let (user, env) = console_env("console-print", &signin);

    let (url, err) = console_url(
        &env,
        &[
            "--role",
            "admin",
            "--service",
            "s3",
            "--region",
            "eu-west-1",
        ],
    );
    let (base, pairs) = parse_url(&url);
    assert_eq!(base, format!("{}/federation", signin.endpoint()));
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["Action", "Issuer", "Destination", "SigninToken"]);
    assert_eq!(param(&pairs, "Action"), "login");
    assert_eq!(param(&pairs, "Issuer"), "assume-role");
    let destination = "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1";
    assert_eq!(param(&pairs, "Destination"), destination);

    // The fake got the role's keys, the ones moto issued for the role and
    // our cache holds, never the user's own; and no SessionDuration.
    let requests = signin.token_requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        requests[0]["params"],
        serde_json::json!(["Action", "Session"])
    );
    let session = &requests[0]["session"];
    let key = session["sessionId"].as_str().unwrap();
    assert!(key.starts_with("ASIA"), "{key}");
    assert_ne!(key, user.access_key_id);
    assert_eq!(
        caller_of(&env, session),
        "arn:aws:sts::123456789012:assumed-role/admin/console-print"
    );
    let cached: Vec<(String, String)> = print_vars(&env, &["--role", "admin"]);
    let var = |name: &str| cached.iter().find(|(k, _)| k == name).unwrap().1.clone();
    assert_eq!(key, var("AWS_ACCESS_KEY_ID"));
    assert_eq!(session["sessionKey"], var("AWS_SECRET_ACCESS_KEY").as_str());
    assert_eq!(session["sessionToken"], var("AWS_SESSION_TOKEN").as_str());

    // The token in the URL is the fake's own, and signs in once.
    assert_eq!(signin.visit(&url), Ok(destination.to_owned()));
    assert_eq!(signin.visit(&url), Err(400), "a sign-in token is used once");

    // Nothing secret on stderr: one line on how long the session lasts.
    let secret = session["sessionKey"].as_str().unwrap();
    let token = session["sessionToken"].as_str().unwrap();
    for text in [secret, token, param(&pairs, "SigninToken")] {
        assert!(!err.contains(text), "stderr holds a secret: {err}");
    }
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("assume-role: the console session ends with the role's credentials at "),
        "{err}"
    );
    assert!(!err.contains("limits"), "no role chaining here: {err}");

    // What the closing note shows.
    let (shown, _) = console_url(&env, &["--role", "admin", "--service", "s3"]);
    let signin_token = parse_url(&shown).1;
    let secrets = [secret, token, key, param(&signin_token, "SigninToken")];
    println!(
        "$ assume-role console --role admin --service s3 --print\n{}",
        elide(&shown, &secrets)
    );
    println!("fake sign-in endpoint's request log:");
    for entry in signin.log() {
        println!("  {}", elide(&entry.to_string(), &secrets));
    }
}

#[test]
fn a_second_call_is_served_from_the_cache() {
    let signin = FakeSignin::start(&[]);
    let (_, env) = console_env("console-cache", &signin);
    let (first, _) = console_url(&env, &["--role", "admin"]);
    let (second, _) = console_url(&env, &["--role", "admin", "--service", "ec2"]);
    assert_ne!(first, second, "each call gets its own sign-in token");
    let keys: Vec<Value> = signin
        .token_requests()
        .iter()
        .map(|r| r["session"].clone())
        .collect();
    assert_eq!(keys.len(), 2);
    // moto issues fresh keys for every AssumeRole: the same keys twice mean
    // the second call made none.
    assert_eq!(keys[0], keys[1]);
    // Without --region: the region the user's tools use (AWS_REGION).
    assert_eq!(
        param(&parse_url(&first).1, "Destination"),
        "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1"
    );
    assert_eq!(
        param(&parse_url(&second).1, "Destination"),
        "https://us-east-1.console.aws.amazon.com/ec2/home?region=us-east-1"
    );
}

#[test]
fn a_full_console_url_is_the_destination_and_the_partition_follows_the_role() {
    let signin = FakeSignin::start(&[]);
    let (_, env) = console_env("console-dest", &signin);
    let page =
        "https://s3.console.aws.amazon.com/s3/buckets/my-bucket?region=eu-west-1&tab=objects";
    let (url, _) = console_url(&env, &["--role", "admin", "--service", page]);
    assert_eq!(param(&parse_url(&url).1, "Destination"), page);

    let gov = "arn:aws-us-gov:iam::123456789012:role/ops";
    let (url, _) = console_url(
        &env,
        &[
            "--role",
            gov,
            "--service",
            "ec2",
            "--region",
            "us-gov-west-1",
        ],
    );
    assert_eq!(
        param(&parse_url(&url).1, "Destination"),
        "https://us-gov-west-1.console.amazonaws-us-gov.com/ec2/home?region=us-gov-west-1"
    );

    // Not a console page: refused before any credential is sent.
    let before = signin.token_requests().len();
    let out = run(env.cmd().args([
        "console",
        "--role",
        "admin",
        "--print",
        "--service",
        "https://evil.example/?console.aws.amazon.com",
    ]));
    let line = failure_line(&out, 1);
    assert!(line.contains("not a page of the AWS console"), "{line}");
    assert_eq!(signin.token_requests().len(), before);
}

/// A `$BROWSER` that records its arguments in `file`, one a line.
fn recording_browser(env: &TestEnv, file: &Path) -> PathBuf {
    let script = env.write(
        "bin/browser",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{0}.tmp' && command -p mv '{0}.tmp' '{0}'\n",
            file.display()
        ),
    );
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// Waits until `file` exists (the browser runs in the background).
fn wait_for_file(file: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = fs::read_to_string(file) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            file.display()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn without_print_the_url_goes_to_the_browser_only() {
    let signin = FakeSignin::start(&[]);
    let (_, env) = console_env("console-browser", &signin);
    let record = env.root().join("opened");
    let browser = recording_browser(&env, &record);
    let out = run(env.cmd().env("BROWSER", &browser).args([
        "console",
        "--role",
        "admin",
        "--service",
        "s3",
    ]));
    assert_ok(&out);
    assert_eq!(stdout(&out), "", "the URL is not printed");
    let args = wait_for_file(&record);
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(lines.len(), 1, "the browser gets the URL alone: {args:?}");
    let (base, pairs) = parse_url(lines[0]);
    assert_eq!(base, format!("{}/federation", signin.endpoint()));
    let err = stderr(&out);
    assert!(!err.contains(param(&pairs, "SigninToken")), "{err}");
    assert_eq!(
        signin.visit(lines[0]),
        Ok("https://us-east-1.console.aws.amazon.com/s3/home?region=us-east-1".to_owned())
    );

    // Without $BROWSER: the system's default browser, here the last resort
    // of the lookup, x-www-browser.
    let bin = env.root().join("bin");
    fs::rename(&browser, bin.join("x-www-browser")).unwrap();
    fs::remove_file(&record).unwrap();
    let out = run(env
        .cmd()
        .env("PATH", &bin)
        .args(["console", "--role", "admin"]));
    assert_ok(&out);
    let args = wait_for_file(&record);
    assert!(
        args.starts_with(&format!("{}/federation?", signin.endpoint())),
        "{args}"
    );

    // No browser at all: one line that says what to do.
    let empty = env.root().join("empty-bin");
    fs::create_dir(&empty).unwrap();
    let out = run(env
        .cmd()
        .env("PATH", &empty)
        .env("BROWSER", "no-such-browser")
        .args(["console", "--role", "admin"]));
    let line = failure_line(&out, 1);
    assert!(line.contains("cannot open a browser"), "{line}");
    assert!(line.contains("--print"), "{line}");
}

#[test]
fn endpoint_down_or_refusing_is_one_line_and_exit_1() {
    let signin = FakeSignin::start(&[]);
    let (_, env) = console_env("console-errors", &signin);
    // Warm the cache, so the failures below are the sign-in call's own.
    console_url(&env, &["--role", "admin"]);
    let session = signin.token_requests()[0]["session"].clone();
    let secrets: Vec<String> = ["sessionKey", "sessionToken"]
        .iter()
        .map(|k| session[k].as_str().unwrap().to_owned())
        .collect();

    // A port where nothing listens.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = run(env
        .cmd()
        .env(
            "AWS_ENDPOINT_URL_SIGNIN",
            format!("http://127.0.0.1:{port}"),
        )
        .args(["console", "--role", "admin", "--print"]));
    let line = failure_line(&out, 1);
    assert!(
        line.starts_with(&format!(
            "assume-role: cannot reach the AWS sign-in endpoint 127.0.0.1:{port}: "
        )),
        "{line}"
    );

    let refusing = FakeSignin::start(&["--refuse"]);
    let out = run(env
        .cmd()
        .env("AWS_ENDPOINT_URL_SIGNIN", refusing.endpoint())
        .args(["console", "--role", "admin", "--print"]));
    let line = failure_line(&out, 1);
    assert!(
        line.contains("refused the role's credentials (HTTP 400)"),
        "{line}"
    );
    assert_eq!(refusing.token_requests().len(), 1);

    for line in [&line] {
        for secret in &secrets {
            assert!(!line.contains(secret.as_str()), "{line}");
        }
    }

    let out = run(env
        .cmd()
        .env("AWS_ENDPOINT_URL_SIGNIN", "ftp://127.0.0.1")
        .args(["console", "--role", "admin", "--print"]));
    let line = failure_line(&out, 1);
    assert!(line.contains("AWS_ENDPOINT_URL_SIGNIN"), "{line}");
}

#[test]
fn a_role_assumed_from_a_role_is_said_to_be_limited_to_1_h() {
    let signin = FakeSignin::start(&[]);
    let (user, env) = console_env("console-chain", &signin);
    env.write("home/.aws/credentials", &user.credentials_section("me"));
    env.write(
        "home/.aws/config",
        &format!("[profile hop]\nrole_arn = {PREFIX}hop\nsource_profile = me\n"),
    );
    let out = run(env
        .cmd()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_PROFILE", "hop")
        .args(["console", "--role", "admin", "--print"]));
    assert_ok(&out);
    let err = stderr(&out);
    assert!(
        err.contains(
            "your base identity is a role, and AWS limits a role assumed from a role to 1 h"
        ),
        "{err}"
    );
    // moto names a role's session after a made-up user: only the role counts.
    let session = signin.token_requests()[0]["session"].clone();
    let caller = caller_of(&env, &session);
    assert!(
        caller.starts_with("arn:aws:sts::123456789012:assumed-role/admin/"),
        "{caller}"
    );
}

#[test]
fn without_role_the_trusted_directory_file_picks_it_and_an_untrusted_one_does_not() {
    let signin = FakeSignin::start(&[]);
    let (_, env) = console_env("console-dir", &signin);
    env.write("work/project/assume-role.yaml", "role: deploy\n");
    let project = env.work().join("project");

    let out = run(env.cmd().current_dir(&project).args(["console", "--print"]));
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(stdout(&out), "");
    let err = stderr(&out);
    assert!(err.contains("is not trusted"), "{err}");
    assert!(err.contains("no role given"), "{err}");
    assert!(signin.token_requests().is_empty(), "nothing was sent");

    assert_ok(&run(env.cmd().current_dir(&project).arg("allow")));
    let out = run(env.cmd().current_dir(&project).args(["console", "--print"]));
    assert_ok(&out);
    let session = signin.token_requests()[0]["session"].clone();
    assert_eq!(
        caller_of(&env, &session),
        "arn:aws:sts::123456789012:assumed-role/deploy/console-dir"
    );
}

/// `ar --console` in a real shell: `script` switches to `ops` in
/// eu-west-1, prints the key, dumps the environment, runs `ar --console
/// --service ec2 --print` and `ar --console` (with `$BROWSER` = `{browser}`),
/// each followed by its status, and dumps the environment again.
fn ar_console_in(shell: &str, args: &[&str], script: &str) {
    let signin = FakeSignin::start(&[]);
    let (_, env) = console_env(&format!("console-{shell}"), &signin);
    let record = env.root().join("opened");
    let browser = recording_browser(&env, &record);
    let script = script
        .replace("{bin}", BIN)
        .replace("{browser}", &browser.display().to_string());
    let out = run_with_input(env.command(shell).args(args), &script);
    assert_ok(&out);
    // One line each on how long the console session lasts; nothing else.
    assert_eq!(stderr(&out).lines().count(), 2, "{}", describe(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{}", describe(&out));
    let key = lines[0].strip_prefix("KEY=").unwrap();
    assert!(key.starts_with("ASIA"), "{key}");
    assert_eq!(lines[2], "STATUS=0");
    assert_eq!(lines[3], "STATUS=0");
    // The active role, with the region it was switched with.
    let (_, pairs) = parse_url(lines[1]);
    assert_eq!(
        param(&pairs, "Destination"),
        "https://eu-west-1.console.aws.amazon.com/ec2/home?region=eu-west-1"
    );
    let opened = wait_for_file(&record);
    assert!(
        opened.starts_with(&format!("{}/federation?", signin.endpoint())),
        "{opened}"
    );
    let requests = signin.token_requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for request in requests {
        assert_eq!(request["session"]["sessionId"], key, "the shell's role");
    }
    let before = fs::read_to_string(env.work().join("before.env")).unwrap();
    let after = fs::read_to_string(env.work().join("after.env")).unwrap();
    assert_eq!(before, after, "the shell's environment is unchanged");
}

const POSIX_SCRIPT: &str = r#"eval "$('{bin}' init SHELL)" || exit 9
ar ops --region eu-west-1 || exit 9
printf 'KEY=%s\n' "$AWS_ACCESS_KEY_ID"
env | grep -v '^_=' | sort > before.env
ar --console --service ec2 --print
printf 'STATUS=%s\n' "$?"
BROWSER='{browser}' ar --console
printf 'STATUS=%s\n' "$?"
env | grep -v '^_=' | sort > after.env
"#;

#[test]
fn bash_ar_console_opens_the_active_role_and_changes_nothing() {
    need("bash");
    ar_console_in(
        "bash",
        &["--norc", "--noprofile", "-s"],
        &POSIX_SCRIPT.replace("SHELL", "bash"),
    );
}

#[test]
fn zsh_ar_console_opens_the_active_role_and_changes_nothing() {
    need("zsh");
    ar_console_in("zsh", &["-f", "-s"], &POSIX_SCRIPT.replace("SHELL", "zsh"));
}

#[test]
fn fish_ar_console_opens_the_active_role_and_changes_nothing() {
    need("fish");
    let script = r#"'{bin}' init fish | source; or exit 9
ar ops --region eu-west-1; or exit 9
printf 'KEY=%s\n' "$AWS_ACCESS_KEY_ID"
env | grep -v '^_=' | sort > before.env
ar --console --service ec2 --print
printf 'STATUS=%s\n' $status
BROWSER='{browser}' ar --console
printf 'STATUS=%s\n' $status
env | grep -v '^_=' | sort > after.env
"#;
    ar_console_in("fish", &["--no-config"], script);
}
