//! MFA through the built binary: STS is tests/support/fake_sts.py (it
//! accepts AssumeRole only with the code 123456 and a serial number), IAM
//! is one moto server shared by the file, where each test has its own user
//! with a virtual MFA device. The terminal prompt runs under `expect`.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Output;

use common::shared_moto as moto;
use common::*;

const GOOD: &str = "123456";
const PREFIX: &str = "arn:aws:iam::123456789012:role/";
const ADMIN: &str = "arn:aws:iam::123456789012:role/admin";
/// Nothing listens there: any request to it fails at once.
const DEAD: &str = "http://127.0.0.1:9";

/// One test's world: its own fake STS (so that counts are its own), a moto
/// user with an MFA device, and an environment using both.
struct Mfa {
    sts: FakeSts,
    user: User,
    serial: String,
    env: TestEnv,
}

/// `role_prefix` is configured; `mfa_serial` too when `configured`.
fn setup(name: &str, configured: bool) -> Mfa {
    let user = moto().create_user(name);
    let serial = moto().create_virtual_mfa(&user);
    let sts = FakeSts::start(GOOD);
    let env = TestEnv::new()
        .trusting_work()
        .with_user(&user)
        .endpoint(&moto().endpoint())
        .set_env("AWS_ENDPOINT_URL_STS", &sts.endpoint());
    let mut yaml = format!("role_prefix: {PREFIX}\n");
    if configured {
        yaml += &format!("mfa_serial: {serial}\n");
    }
    env.write("work/assume-role.yaml", &yaml);
    Mfa {
        sts,
        user,
        serial,
        env,
    }
}

impl Mfa {
    fn run(&self, args: &[&str]) -> Output {
        run(self.env.cmd().arg("--role").arg("admin").args(args))
    }

    fn assume_roles(&self) -> usize {
        self.sts.count("AssumeRole")
    }
}

/// Asserts print-mode success with an empty stderr; returns the access key.
fn printed_key(output: &Output) -> String {
    assert_ok(output);
    assert_eq!(stderr(output), "", "{}", describe(output));
    let out = stdout(output);
    let first = out.lines().next().unwrap_or_default();
    let key = first
        .strip_prefix("AWS_ACCESS_KEY_ID=")
        .unwrap_or_else(|| panic!("unexpected output\n{}", describe(output)));
    assert!(key.starts_with("ASIA"), "{key}");
    assert!(
        out.contains(&format!("\nASSUME_ROLE_ARN={ADMIN}\n")),
        "{out}"
    );
    key.to_owned()
}

fn cache_files(env: &TestEnv, suffix: &str) -> Vec<PathBuf> {
    match fs::read_dir(env.cache_dir().join("assume-role")) {
        Ok(dir) => dir
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn assert_nothing_written(env: &TestEnv) {
    assert_eq!(cache_files(env, ".creds.json"), Vec::<PathBuf>::new());
    assert!(!env.credentials_file().exists(), "credentials file written");
}

#[test]
fn configured_serial_with_mfa_token_makes_one_assume_role() {
    let mfa = setup("mfa-flag", true);
    printed_key(&mfa.run(&["--mfa-token", GOOD]));
    assert_eq!(mfa.assume_roles(), 1);
    // GetUser answered for the session name; STS was asked nothing else.
    assert_eq!(mfa.sts.count("GetCallerIdentity"), 0);
}

#[test]
fn wrong_mfa_token_is_one_line_naming_the_device() {
    let mfa = setup("mfa-wrong", true);
    let line = failure_line(&mfa.run(&["--mfa-token", "000000"]), 1);
    assert!(line.contains(&mfa.serial), "{line}");
    assert!(line.contains(ADMIN), "{line}");
    assert_eq!(
        mfa.sts.count("GetSessionToken"),
        1,
        "a given code cannot be retyped"
    );
    assert_eq!(mfa.assume_roles(), 0);
    assert_nothing_written(&mfa.env);
}

#[test]
fn mfa_token_from_the_environment() {
    let mfa = setup("mfa-env", true);
    let output = run(mfa
        .env
        .cmd()
        .env("ASSUME_ROLE_MFA_TOKEN", GOOD)
        .args(["--role", "admin"]));
    printed_key(&output);
    assert_eq!(mfa.assume_roles(), 1);
}

#[test]
fn autodetect_without_token_or_terminal_says_what_to_pass() {
    let mfa = setup("mfa-noterm", false);
    let line = failure_line(&mfa.run(&[]), 1);
    assert!(line.contains(&mfa.serial), "{line}");
    assert!(
        line.contains("--mfa-token") && line.contains("ASSUME_ROLE_MFA_TOKEN"),
        "{line}"
    );
    assert_eq!(mfa.assume_roles(), 1, "only the try without MFA");
    assert_nothing_written(&mfa.env);
}

#[test]
fn autodetect_finds_the_device_and_remembers_that_the_role_needs_it() {
    let mfa = setup("mfa-learn", false);
    let env = &mfa.env;
    let call = |extra: &[&str]| {
        run(env
            .cmd()
            .env("ASSUME_ROLE_MFA_TOKEN", GOOD)
            .args(["--role", "admin"])
            .args(extra))
    };
    let first = printed_key(&call(&[]));
    assert_eq!(mfa.assume_roles(), 2, "denied without MFA, then with it");

    let second = printed_key(&call(&["-f"]));
    assert_ne!(second, first);
    assert_eq!(mfa.assume_roles(), 3, "the refresh asked up front");

    assert_eq!(printed_key(&call(&[])), second);
    assert_eq!(mfa.assume_roles(), 3, "a cache hit");
}

#[test]
fn five_digit_code_is_refused_before_any_request() {
    let mfa = setup("mfa-short", true);
    let line = failure_line(&mfa.run(&["--mfa-token", "12345"]), 1);
    assert!(line.contains("6 digits"), "{line}");
    assert_eq!(mfa.assume_roles(), 0);
    assert_eq!(mfa.sts.count("GetCallerIdentity"), 0);
    assert_nothing_written(&mfa.env);
}

#[test]
fn session_name_falls_back_to_the_caller_arn_and_is_looked_up_once() {
    // IAM unreachable: GetUser fails, so the name comes from
    // GetCallerIdentity (fake_sts.py answers `user/fake-sts-user`).
    let sts = FakeSts::start(GOOD);
    let env = TestEnv::new()
        .trusting_work()
        .set_env("AWS_ACCESS_KEY_ID", "AKIAFALLBACKEXAMPLE")
        .set_env("AWS_SECRET_ACCESS_KEY", "secret")
        .set_env("AWS_ENDPOINT_URL_STS", &sts.endpoint())
        .set_env("AWS_ENDPOINT_URL_IAM", DEAD)
        .set_env("ASSUME_ROLE_TIMEOUT", "10s");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nmfa_serial: arn:aws:iam::123456789012:mfa/x\n"),
    );
    let call = |role: &str| {
        let output = run(env.cmd().args(["--role", role, "--mfa-token", GOOD]));
        assert_ok(&output);
        assert_eq!(stderr(&output), "", "{}", describe(&output));
    };
    call("admin");
    assert_eq!(sts.count("GetCallerIdentity"), 1);
    assert_eq!(sts.count("AssumeRole"), 1);
    let identities = cache_files(&env, ".identity.json");
    assert_eq!(identities.len(), 1, "{identities:?}");
    let text = fs::read_to_string(&identities[0]).unwrap();
    assert!(
        text.contains("\"fake-sts-user\""),
        "session name not from the caller ARN: {text}"
    );

    // Another role for the same identity: no second lookup.
    call("ops");
    assert_eq!(sts.count("AssumeRole"), 2);
    assert_eq!(sts.count("GetCallerIdentity"), 1);
}

// ------------------------------------------------------------ the terminal

/// The `expect` binary; the test fails when it is not installed.
fn expect_bin() -> PathBuf {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("expect"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`expect` not found on PATH: the terminal tests need it \
                 (Debian/Ubuntu: apt-get install expect)"
            )
        })
}

/// Runs `body` under expect, with a `want PATTERN` helper that fails the
/// script (exit 90/91) when PATTERN does not show up, and returns the
/// output. The script ends with the spawned program's exit status.
fn expect(mfa: &Mfa, body: &str, extra_env: &[(&str, &str)]) -> Output {
    let script = format!(
        r#"set timeout 20
proc want {{pattern}} {{
    expect {{
        -ex $pattern {{}}
        timeout {{ puts "\n<<timed out waiting for: $pattern>>"; exit 90 }}
        eof {{ puts "\n<<eof while waiting for: $pattern>>"; exit 91 }}
    }}
}}
{body}
expect eof
lassign [wait] pid spawn_id os_error status
exit $status
"#
    );
    let file = mfa.env.write("script.exp", &script);
    let mut cmd = mfa.env.command(expect_bin());
    cmd.arg("-f")
        .arg(&file)
        .env("AR", env!("CARGO_BIN_EXE_assume-role"))
        .env("SERIAL", &mfa.serial);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

#[test]
fn terminal_prompt_checks_length_and_lets_a_wrong_code_be_retyped() {
    let mfa = setup("mfa-tty", false);
    let output = expect(
        &mfa,
        r#"spawn $env(AR) --role admin
want "MFA code for $env(SERIAL): "
send "12345\r"
want "6 digits; try again: "
send "000000\r"
want "not accepted. MFA code for $env(SERIAL): "
send "123456\r"
want "AWS_ACCESS_KEY_ID=ASIA"
"#,
        &[],
    );
    assert_ok(&output);
    let transcript = stdout(&output);
    assert!(
        transcript.contains(&format!("ASSUME_ROLE_ARN={ADMIN}")),
        "{transcript}"
    );
    // Denied without MFA, then one with the session; GetSessionToken for the
    // wrong code and the right one, not for the short one.
    assert_eq!(mfa.assume_roles(), 2);
    assert_eq!(mfa.sts.count("GetSessionToken"), 2);
    assert_eq!(mfa.sts.count("_codes"), 2);
}

#[test]
fn terminal_prompt_goes_to_the_terminal_not_stdout() {
    let mfa = setup("mfa-tty-clean", true);
    let out = mfa.env.root().join("out.txt");
    let output = expect(
        &mfa,
        r#"spawn sh -c {exec "$AR" --role admin > "$OUT"}
want "MFA code for $env(SERIAL): "
send "123456\r"
"#,
        &[("OUT", out.to_str().unwrap())],
    );
    assert_ok(&output);
    let transcript = stdout(&output);
    assert!(
        !transcript.contains("AWS_ACCESS_KEY_ID"),
        "credentials reached the terminal: {transcript}"
    );
    let printed = fs::read_to_string(&out).unwrap();
    assert!(
        !printed.contains("MFA"),
        "the prompt reached stdout: {printed}"
    );
    let names: Vec<&str> = printed
        .lines()
        .map(|line| line.split_once('=').expect("KEY=value").0)
        .collect();
    assert_eq!(
        names[..3],
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN"
        ],
        "{printed}"
    );
    assert!(
        printed.ends_with(&format!("ASSUME_ROLE_ARN={ADMIN}\n")),
        "{printed}"
    );
    assert_eq!(mfa.assume_roles(), 1);
}

#[test]
fn several_devices_are_offered_on_the_terminal_and_the_choice_is_remembered() {
    let mfa = setup("mfa-two", false);
    let second = moto().create_virtual_mfa_named(&mfa.user, "mfa-two-spare");
    let output = expect(
        &mfa,
        r#"spawn $env(AR) --role admin
want "You have several MFA devices:"
want "Which one \[1-2\]: "
send "2\r"
want "MFA code for "
send "123456\r"
want "AWS_ACCESS_KEY_ID=ASIA"
"#,
        &[],
    );
    assert_ok(&output);
    let transcript = stdout(&output);
    assert!(
        transcript.contains(&mfa.serial) && transcript.contains(&second),
        "both devices listed: {transcript}"
    );
    assert_eq!(mfa.assume_roles(), 2, "denied without MFA, then with it");

    // Another role that needs MFA: the device is not asked for again, so
    // it works with no terminal at all.
    let output = run(mfa
        .env
        .cmd()
        .env("ASSUME_ROLE_MFA_TOKEN", GOOD)
        .args(["--role", "ops"]));
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    assert_eq!(mfa.assume_roles(), 4);
}

/// Three rejected codes end the call: no fourth prompt, one line naming the
/// device, exit 1, nothing written.
#[test]
fn terminal_prompt_gives_up_after_three_rejected_codes() {
    let mfa = setup("mfa-tty-three", true);
    let output = expect(
        &mfa,
        r#"spawn $env(AR) --role admin
want "MFA code for $env(SERIAL): "
send "000001\r"
want "not accepted. MFA code for $env(SERIAL): "
send "000002\r"
want "not accepted. MFA code for $env(SERIAL): "
send "000003\r"
expect {
    -ex "not accepted" { puts "\n<<asked for a fourth code>>"; exit 92 }
    -ex "cannot assume" {}
    timeout { puts "\n<<timed out waiting for the failure>>"; exit 90 }
    eof { puts "\n<<eof before the failure line>>"; exit 91 }
}
"#,
        &[],
    );
    let transcript = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    assert!(
        transcript.contains(&format!("with MFA device {}", mfa.serial)),
        "{transcript}"
    );
    assert_eq!(mfa.assume_roles(), 3, "one call per code");
    assert_nothing_written(&mfa.env);
}
