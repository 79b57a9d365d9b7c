//! MFA through the built binary: STS is tests/support/fake_sts.py (it
//! accepts AssumeRole only with the code 123456 and a serial number), IAM
//! is one moto server shared by the file, where each test has its own user
//! with a virtual MFA device. The terminal prompt runs under `expect`, or
//! `tmux` for a real shell and for what the screen shows.

use std::fs;
use std::path::PathBuf;
use std::process::Output;

use crate::util::shared_moto as moto;
use crate::util::*;

const GOOD: &str = "123456";

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
    setup_with(name, configured, GOOD, &[])
}

/// As [`setup`], with the fake's good code and its other options.
fn setup_with(name: &str, configured: bool, good: &str, options: &[&str]) -> Mfa {
    let user = moto().create_user(name);
    let serial = moto().create_virtual_mfa(&user);
    let sts = FakeSts::start_with(good, options);
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
    mfa.env.assert_nothing_written();
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
    mfa.env.assert_nothing_written();
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
    mfa.env.assert_nothing_written();
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
    let identities = env.cache_files(".identity.json");
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

/// An expect script: `--role admin`, three wrong codes typed at the
/// prompt, then the failure line; exits 92 if a fourth code is asked for.
const THREE_REJECTED_CODES: &str = r#"spawn $env(AR) --role admin
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
"#;

/// Three rejected codes end the call: no fourth prompt, one line naming the
/// device, exit 1, nothing written.
#[test]
fn terminal_prompt_gives_up_after_three_rejected_codes() {
    let mfa = setup("mfa-tty-three", true);
    let output = expect(&mfa, THREE_REJECTED_CODES, &[]);
    let transcript = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    assert!(
        transcript.contains(&format!("MFA session with device {}", mfa.serial)),
        "{transcript}"
    );
    // One GetSessionToken per code; no role was asked for.
    assert_eq!(mfa.sts.count("GetSessionToken"), 3, "one call per code");
    assert_eq!(mfa.assume_roles(), 0);
    mfa.env.assert_nothing_written();
}

// ------------------------------------------------------------ MFA sessions

/// A code that appears nowhere else on the screen (the account id holds
/// 123456), so that a screen without it shows the input was hidden.
const SECRET_CODE: &str = "864209";

impl Mfa {
    /// A call with the code in ASSUME_ROLE_MFA_TOKEN (no terminal).
    fn with_token(&self, role: &str, extra: &[&str]) -> Output {
        run(self
            .env
            .cmd()
            .env("ASSUME_ROLE_MFA_TOKEN", GOOD)
            .args(["--role", role])
            .args(extra))
    }

    /// The fake's counters: (codes received, GetSessionToken, AssumeRole).
    fn counts(&self) -> (usize, usize, usize) {
        (
            self.sts.count("_codes"),
            self.sts.count("GetSessionToken"),
            self.sts.count("AssumeRole"),
        )
    }

    fn status_json(&self) -> serde_json::Value {
        let output = run(self.env.cmd().args(["status", "--json"]));
        assert_ok(&output);
        serde_json::from_str(&stdout(&output)).unwrap()
    }
}

fn assert_quiet_ok(output: &Output) {
    assert_ok(output);
    assert_eq!(stderr(output), "", "{}", describe(output));
}

#[test]
fn one_code_serves_three_roles_and_their_refreshes_in_a_real_shell() {
    let mfa = setup_with("mfa-abc", true, SECRET_CODE, &[]);
    let env = TestEnv::new()
        .with_user(&mfa.user)
        .endpoint(&moto().endpoint())
        .set_env("AWS_ENDPOINT_URL_STS", &mfa.sts.endpoint())
        .set_env("PATH", &test_path())
        .set_env("PS1", "$ ")
        .set_env("LANG", "C.UTF-8");
    env.write(
        "home/.aws/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nmfa_serial: {}\n", mfa.serial),
    );
    let tmux = Tmux::start(&env, &["bash", "--norc", "--noprofile"]);
    // `"init-""done"` shows as typed; init-done only once it ran.
    tmux.type_line("eval \"$(assume-role init bash)\"; echo \"init-\"\"done\"");
    tmux.wait_for("init-done");
    tmux.type_line("ar a; ar b; ar c; echo \"switched-\"\"to=${ASSUME_ROLE_ARN##*/}\"");
    tmux.wait_for(&format!("MFA code for {}: ", mfa.serial));
    tmux.type_line(SECRET_CODE);
    tmux.wait_for("switched-to=c");
    tmux.type_line("ar");
    let screen = tmux.wait_for(&format!("mfa:     session of {}, ends in 11h5", mfa.serial));
    eprintln!(
        "===== ar a; ar b; ar c under tmux =====\n{}",
        screen.trim_end()
    );
    // Then every role again, past the cache (as after their expiry).
    tmux.type_line("ar a -f; ar b -f; ar c -f; echo \"refreshed-\"\"to=${ASSUME_ROLE_ARN##*/}\"");
    let screen = tmux.wait_for("refreshed-to=c");

    assert_eq!(screen.matches("MFA code for").count(), 1, "{screen}");
    assert!(
        !screen.contains(SECRET_CODE),
        "the code was echoed:\n{screen}"
    );
    assert!(!screen.contains("assume-role:"), "{screen}");
    assert_eq!(
        mfa.counts(),
        (1, 1, 6),
        "(codes, GetSessionToken, AssumeRole)"
    );

    // The session is cached privately and never leaves the cache.
    let sessions = env.cache_files(".mfa-session.json");
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let session = fs::read_to_string(&sessions[0]).unwrap();
    let json: serde_json::Value = serde_json::from_str(&session).unwrap();
    let key = json["credentials"]["access_key_id"].as_str().unwrap();
    assert!(key.starts_with("ASIA"), "{session}");
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(&sessions[0]).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let written = fs::read_to_string(env.credentials_file()).unwrap();
    assert!(
        !written.contains(key),
        "the MFA session reached ~/.aws/credentials"
    );
    tmux.type_line("env | grep -c \"$(echo ASIA)\" ; env > \"$HOME/env.txt\"; echo env-\"\"saved");
    tmux.wait_for("env-saved");
    let exported = fs::read_to_string(env.home().join("env.txt")).unwrap();
    assert!(!exported.contains(key), "the MFA session was exported");
}

#[test]
fn twelve_concurrent_cold_calls_for_three_roles_make_one_prompt() {
    let mfa = setup_with("mfa-twelve", true, SECRET_CODE, &[]);
    let env = &mfa.env;
    let tmux = Tmux::start(env, &["bash", "--norc", "--noprofile"]);
    // One foreground `sh`, so that all twelve may use the terminal.
    tmux.type_line(&format!(
        "sh -c 'for n in 1 2 3 4 5 6 7 8 9 10 11 12; do r=$(( n % 3 )); \
         \"{bin}\" --role r$r > \"out.$n\" 2> \"err.$n\" & done; wait'; echo \"all-\"\"done\"",
        bin = env!("CARGO_BIN_EXE_assume-role")
    ));
    tmux.wait_for("MFA code for");
    tmux.type_line(SECRET_CODE);
    let screen = tmux.wait_for("all-done");
    assert_eq!(screen.matches("MFA code for").count(), 1, "{screen}");
    assert!(
        !screen.contains(SECRET_CODE),
        "the code was echoed:\n{screen}"
    );

    let mut keys = std::collections::BTreeMap::<String, Vec<String>>::new();
    for n in 1..=12 {
        let err = fs::read_to_string(env.work().join(format!("err.{n}"))).unwrap();
        assert_eq!(err, "", "call {n}");
        let out = fs::read_to_string(env.work().join(format!("out.{n}"))).unwrap();
        let vars: std::collections::BTreeMap<String, String> = parse_vars(&out);
        keys.entry(vars["ASSUME_ROLE_ARN"].clone())
            .or_default()
            .push(vars["AWS_ACCESS_KEY_ID"].clone());
    }
    assert_eq!(keys.len(), 3, "{keys:?}");
    for (role, role_keys) in &keys {
        assert_eq!(role_keys.len(), 4, "{role}");
        assert!(
            role_keys.iter().all(|k| k == &role_keys[0]),
            "{role}: {role_keys:?}"
        );
    }
    assert_eq!(
        mfa.counts(),
        (1, 1, 3),
        "(codes, GetSessionToken, AssumeRole)"
    );
}

#[test]
fn an_ended_mfa_session_is_replaced_with_one_prompt() {
    let mfa = setup("mfa-ended", true);
    assert_quiet_ok(&mfa.with_token("a", &[]));
    assert_eq!(mfa.counts(), (1, 1, 1));
    mfa.sts.control("/_expire_sessions");

    let output = expect(
        &mfa,
        r#"spawn $env(AR) --role b
want "MFA code for $env(SERIAL): "
send "123456\r"
want "AWS_ACCESS_KEY_ID=ASIA"
"#,
        &[],
    );
    assert_ok(&output);
    let transcript = stdout(&output);
    assert_eq!(
        transcript.matches("MFA code for").count(),
        1,
        "{transcript}"
    );
    // The ended session was refused once; one code, one new session.
    assert_eq!(mfa.counts(), (2, 2, 3));
    // The new session serves the next role without a code.
    assert_quiet_ok(&run(mfa.env.cmd().args(["--role", "c"])));
    assert_eq!(mfa.counts(), (2, 2, 4));
}

#[test]
fn a_role_wanting_a_more_recent_mfa_asks_again_once() {
    let mfa = setup_with("mfa-age", true, GOOD, &["--max-mfa-age", "fresh=3600"]);
    assert_quiet_ok(&mfa.with_token("a", &[]));
    mfa.sts.control("/_age_sessions?seconds=7200");
    // Two hours later, a role that wants MFA within the hour.
    let output = expect(
        &mfa,
        r#"spawn $env(AR) --role fresh
want "The role wants a more recent MFA code. MFA code for $env(SERIAL): "
send "123456\r"
want "AWS_ACCESS_KEY_ID=ASIA"
"#,
        &[],
    );
    assert_ok(&output);
    let transcript = stdout(&output);
    assert_eq!(
        transcript.matches("MFA code for").count(),
        1,
        "{transcript}"
    );
    assert_eq!(
        mfa.counts(),
        (2, 2, 3),
        "refused once, then the new session"
    );
    // Other roles use the new session too.
    assert_quiet_ok(&run(mfa.env.cmd().args(["--role", "b"])));
    assert_eq!(mfa.counts(), (2, 2, 4));
}

#[test]
fn a_role_that_refuses_even_a_new_session_is_one_error_not_a_loop() {
    let mfa = setup_with("mfa-never", true, GOOD, &["--deny-role", "never"]);
    assert_quiet_ok(&mfa.with_token("a", &[]));
    let line = failure_line(&mfa.with_token("never", &[]), 1);
    assert!(
        line.contains("role/never") && line.contains("new MFA session"),
        "{line}"
    );
    assert!(line.contains("not authorized"), "{line}");
    // One retry with a new session, no more.
    assert_eq!(mfa.counts(), (2, 2, 3));
}

#[test]
fn base_credentials_with_a_session_token_send_the_code_to_assume_role() {
    let mfa = setup("mfa-temp-base", true);
    let env = TestEnv::new()
        .trusting_work()
        .with_user(&mfa.user)
        .endpoint(&moto().endpoint())
        .set_env("AWS_ENDPOINT_URL_STS", &mfa.sts.endpoint())
        .set_env("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEtoken");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nmfa_serial: {}\n", mfa.serial),
    );
    for role in ["a", "b"] {
        let output = run(env
            .cmd()
            .env("ASSUME_ROLE_MFA_TOKEN", GOOD)
            .args(["--role", role]));
        assert_quiet_ok(&output);
    }
    assert_eq!(
        mfa.counts(),
        (2, 0, 2),
        "a code per role, no GetSessionToken"
    );
    assert_eq!(env.cache_files(".mfa-session.json"), Vec::<PathBuf>::new());
}

#[test]
fn a_source_profile_with_a_session_token_sends_the_code_to_assume_role() {
    let mfa = setup("mfa-temp-profile", true);
    let env = TestEnv::new()
        .trusting_work()
        .endpoint(&moto().endpoint())
        .set_env("AWS_ENDPOINT_URL_STS", &mfa.sts.endpoint());
    env.write(
        "home/.aws/credentials",
        &format!(
            "[temp]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = FwoGZXIvYXdzEtoken\n",
            mfa.user.access_key_id, mfa.user.secret_access_key
        ),
    );
    env.write(
        "work/assume-role.yaml",
        &format!(
            "role_prefix: {PREFIX}\nmfa_serial: {}\nsource_profile: temp\n",
            mfa.serial
        ),
    );
    let output = run(env
        .cmd()
        .env("ASSUME_ROLE_MFA_TOKEN", GOOD)
        .args(["--role", "a"]));
    assert_quiet_ok(&output);
    assert_eq!(mfa.counts(), (1, 0, 1), "the code went to AssumeRole");
}

#[test]
fn mfa_session_false_sends_the_code_to_assume_role() {
    let mfa = setup("mfa-off", true);
    mfa.env.write(
        "work/assume-role.yaml",
        &format!(
            "role_prefix: {PREFIX}\nmfa_serial: {}\nmfa_session: false\n",
            mfa.serial
        ),
    );
    assert_quiet_ok(&mfa.with_token("a", &[]));
    assert_quiet_ok(&mfa.with_token("b", &[]));
    assert_eq!(mfa.counts(), (2, 0, 2));
}

#[test]
fn mfa_session_duration_from_the_file_and_the_flag_shows_in_status() {
    let mfa = setup("mfa-length", true);
    let left = |mfa: &Mfa| {
        let status = mfa.status_json();
        let sessions = status["mfa_sessions"].as_array().unwrap().clone();
        assert_eq!(sessions.len(), 1, "{status}");
        assert_eq!(sessions[0]["serial"], mfa.serial.as_str());
        sessions[0]["seconds_left"].as_u64().unwrap()
    };
    // The default: 12 hours.
    assert_quiet_ok(&mfa.with_token("a", &[]));
    assert!((43000..=43200).contains(&left(&mfa)), "{}", left(&mfa));
    let text = stdout(&run(mfa.env.cmd().arg("status")));
    assert!(
        text.contains(&format!("mfa:     session of {}, ends in 11h5", mfa.serial)),
        "{text}"
    );

    let line = failure_line(
        &mfa.with_token("b", &["-f", "--mfa-session-duration", "10m"]),
        2,
    );
    assert!(line.contains("15m to 36h"), "{line}");

    assert_ok(&run(mfa.env.cmd().arg("logout")));
    mfa.env.write(
        "work/assume-role.yaml",
        &format!(
            "role_prefix: {PREFIX}\nmfa_serial: {}\nmfa_session_duration: 8h\n",
            mfa.serial
        ),
    );
    let output = mfa.with_token("a", &[]);
    assert_quiet_ok(&output);
    assert!((28600..=28800).contains(&left(&mfa)), "{}", left(&mfa));

    run(mfa.env.cmd().arg("logout"));
    let output = mfa.with_token("a", &["--mfa-session-duration", "20m"]);
    assert_quiet_ok(&output);
    assert!((1100..=1200).contains(&left(&mfa)), "{}", left(&mfa));
    assert_eq!(mfa.sts.count("GetSessionToken"), 3);
}

#[test]
fn logout_forgets_the_session_and_the_roles_and_says_so() {
    let mfa = setup("mfa-logout", true);
    assert_quiet_ok(&mfa.with_token("a", &[]));
    assert_quiet_ok(&run(mfa.env.cmd().args(["--role", "b"])));
    assert_eq!(mfa.counts(), (1, 1, 2));

    let output = run(mfa.env.cmd().arg("logout"));
    assert_ok(&output);
    assert_eq!(stdout(&output), "");
    let said = stderr(&output);
    assert_eq!(
        said,
        format!(
            "removed the MFA session of {}\nremoved the cached credentials of 2 roles:\n  {PREFIX}a\n  {PREFIX}b\n",
            mfa.serial
        )
    );
    assert_eq!(
        mfa.env.cache_files(".mfa-session.json"),
        Vec::<PathBuf>::new()
    );
    assert_eq!(mfa.env.cache_files(".creds.json"), Vec::<PathBuf>::new());
    assert!(
        mfa.status_json()["mfa_sessions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let written = fs::read_to_string(mfa.env.credentials_file()).unwrap();
    assert!(
        written.contains("[123456789012-a]"),
        "awscli profiles stay: {written}"
    );

    // Without a code, nothing works any more; with one, a new session.
    failure_line(&run(mfa.env.cmd().args(["--role", "a"])), 1);
    assert_quiet_ok(&mfa.with_token("a", &[]));
    assert_eq!(mfa.counts(), (2, 2, 3));

    let output = run(mfa.env.cmd().arg("logout"));
    let output2 = run(mfa.env.cmd().arg("logout"));
    assert_ok(&output);
    assert_eq!(
        stderr(&output2),
        "nothing to remove: no MFA session and no cached credentials\n"
    );
}

#[test]
fn a_corrupt_mfa_session_is_a_miss() {
    let mfa = setup("mfa-corrupt", true);
    assert_quiet_ok(&mfa.with_token("a", &[]));
    for file in mfa.env.cache_files(".mfa-session.json") {
        fs::write(file, b"{\"key\": tru").unwrap();
    }
    let output = mfa.with_token("b", &[]);
    assert_ok(&output);
    assert!(
        stderr(&output).contains("ignoring corrupt cache file"),
        "{}",
        describe(&output)
    );
    assert_eq!(mfa.counts(), (2, 2, 2));
}

// ------------------------------------------------- found by cargo-mutants

/// An AssumeRole error that is no denial (here STS refusing a 60 s session
/// as a ValidationError) is one line with STS's words: no MFA device is
/// looked for, no MFA session opened or replaced, no code spent on it.
#[test]
fn an_error_that_is_no_denial_asks_nothing_of_mfa() {
    // Not configured: the role is not known to need MFA.
    let mfa = setup("mfa-not-denied", false);
    let line = failure_line(&mfa.run(&["--duration", "60s", "--mfa-token", GOOD]), 1);
    assert!(
        line.contains("ValidationError") && line.contains(ADMIN),
        "{line}"
    );
    assert!(!line.contains("MFA"), "{line}");
    assert_eq!(mfa.sts.count("GetSessionToken"), 0, "{line}");
    assert_eq!(mfa.assume_roles(), 1, "{line}");

    // Configured: one MFA session signs the call, and is not replaced.
    let mfa = setup("mfa-not-denied-session", true);
    let line = failure_line(&mfa.run(&["--duration", "60s", "--mfa-token", GOOD]), 1);
    assert!(
        line.contains("ValidationError") && line.contains(ADMIN),
        "{line}"
    );
    assert!(!line.contains("new MFA session"), "{line}");
    assert_eq!(mfa.sts.count("GetSessionToken"), 1, "{line}");
    assert_eq!(mfa.assume_roles(), 1, "{line}");
}

/// A GetSessionToken that fails for another reason than the code (STS
/// cannot be reached) is one line saying so: the code typed is not called
/// wrong, and no other is asked for.
#[test]
fn an_mfa_session_that_cannot_reach_sts_asks_for_no_second_code() {
    let mfa = setup("mfa-tty-offline", true);
    let output = expect(
        &mfa,
        r#"spawn $env(AR) --role admin
want "MFA code for $env(SERIAL): "
send "123456\r"
expect {
    -ex "not accepted" { puts "\n<<asked for a second code>>"; exit 92 }
    -ex "cannot open an MFA session" {}
    timeout { puts "\n<<timed out waiting for the failure>>"; exit 90 }
    eof { puts "\n<<eof before the failure line>>"; exit 91 }
}
"#,
        &[("AWS_ENDPOINT_URL_STS", DEAD)],
    );
    let transcript = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    assert!(
        transcript.contains("(sts:GetSessionToken)") && transcript.contains("127.0.0.1:9"),
        "{transcript}"
    );
    mfa.env.assert_nothing_written();
}

/// A role that denies the call signed by an MFA session just opened is one
/// error: the code is not asked again, no second session is opened.
#[test]
fn a_role_that_denies_a_new_mfa_session_costs_one_code_and_one_session() {
    let mfa = setup_with("mfa-new-denied", true, GOOD, &["--deny-role", "admin"]);
    let line = failure_line(&mfa.with_token("admin", &[]), 1);
    assert!(
        line.contains(&format!("with a new MFA session of {}", mfa.serial)),
        "{line}"
    );
    assert_eq!(mfa.counts(), (1, 1, 1), "{line}");
}

/// An MFA session that ended early is replaced with the plain prompt: the
/// user is not told that the role wants a more recent code.
#[test]
fn an_ended_mfa_session_is_replaced_with_the_plain_prompt() {
    let mfa = setup("mfa-ended-plain", true);
    assert_quiet_ok(&mfa.with_token("a", &[]));
    mfa.sts.control("/_expire_sessions");
    let output = expect(
        &mfa,
        r#"spawn $env(AR) --role b
want "MFA code for $env(SERIAL): "
send "123456\r"
want "AWS_ACCESS_KEY_ID=ASIA"
"#,
        &[],
    );
    assert_ok(&output);
    let transcript = stdout(&output);
    assert!(!transcript.contains("more recent"), "{transcript}");
    assert_eq!(mfa.counts(), (2, 2, 3));
}

/// Without MFA sessions (`mfa_session: false`), the code goes to AssumeRole
/// itself, and three rejected codes end the call there too: no fourth
/// prompt, one line naming the device, exit 1.
#[test]
fn terminal_prompt_without_mfa_sessions_gives_up_after_three_rejected_codes() {
    let mfa = setup("mfa-tty-three-direct", true);
    mfa.env.write(
        "work/assume-role.yaml",
        &format!(
            "role_prefix: {PREFIX}\nmfa_serial: {}\nmfa_session: false\n",
            mfa.serial
        ),
    );
    let output = expect(&mfa, THREE_REJECTED_CODES, &[]);
    let transcript = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{transcript}");
    assert!(
        transcript.contains(&format!("with MFA device {}", mfa.serial)),
        "{transcript}"
    );
    assert_eq!(mfa.counts(), (3, 0, 3), "one AssumeRole per code");
    mfa.env.assert_nothing_written();
}

/// Without MFA sessions, a wrong code given with `--mfa-token` (which
/// cannot be retyped) is sent once: one AssumeRole, one line naming the
/// device.
#[test]
fn a_wrong_mfa_token_without_mfa_sessions_is_sent_once() {
    let mfa = setup("mfa-wrong-direct", true);
    mfa.env.write(
        "work/assume-role.yaml",
        &format!(
            "role_prefix: {PREFIX}\nmfa_serial: {}\nmfa_session: false\n",
            mfa.serial
        ),
    );
    let line = failure_line(&mfa.run(&["--mfa-token", "000000"]), 1);
    assert!(
        line.contains(&format!("with MFA device {}", mfa.serial)),
        "{line}"
    );
    assert_eq!(mfa.counts(), (1, 0, 1), "{line}");
    mfa.env.assert_nothing_written();
}

/// A warning about the cache (here: its folder was left readable by
/// others) is on the terminal before the MFA prompt, not held back until
/// the code is typed, or lost when the user gives up at the prompt.
#[test]
fn a_cache_warning_comes_before_the_mfa_prompt() {
    use std::os::unix::fs::PermissionsExt;
    let mfa = setup("mfa-warning-first", true);
    let folder = mfa.env.cache_folder();
    fs::create_dir_all(&folder).unwrap();
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o755)).unwrap();
    let output = expect(
        &mfa,
        r#"spawn $env(AR) --role admin
want "was readable by others; setting it to 0700"
want "MFA code for $env(SERIAL): "
send "123456\r"
"#,
        &[],
    );
    assert_ok(&output);
    let mode = fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(mfa.sts.count("GetSessionToken"), 1, "{}", describe(&output));
}
