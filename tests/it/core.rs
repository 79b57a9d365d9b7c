//! The core pipeline through the built binary: exec and print modes, config
//! discovery, role resolution, the cache, the session name, the awscli
//! credentials file and the error paths. One moto server serves every test
//! of this file; each test has its own IAM user and its own TestEnv.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::util::*;

/// Print mode's variables, as this file reads them.
type Vars = Vec<(String, String)>;

const TEAM_ADMIN: &str = "arn:aws:iam::123456789012:role/team/admin";
const OPS: &str = "arn:aws:iam::123456789012:role/ops";

/// The value of `name` in `vars`, which must hold it exactly once.
fn get<'a>(vars: &'a [(String, String)], name: &str) -> &'a str {
    let found: Vec<&str> = vars
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{name} is not there exactly once: {vars:?}");
    found[0]
}

/// Neither the caller's AWS_PROFILE nor AWS_DEFAULT_PROFILE survives: the
/// only profile variable allowed is AWS_PROFILE naming `written`, the
/// profile just written with these very credentials.
fn assert_no_foreign_profile(vars: &[(String, String)], written: Option<&str>) {
    assert!(
        vars.iter().all(|(k, _)| k != "AWS_DEFAULT_PROFILE"),
        "AWS_DEFAULT_PROFILE is set: {vars:?}"
    );
    let profiles: Vec<&str> = vars
        .iter()
        .filter(|(k, _)| k == "AWS_PROFILE")
        .map(|(_, v)| v.as_str())
        .collect();
    match (profiles.as_slice(), written) {
        ([], _) => {}
        ([one], Some(written)) if *one == written => {}
        _ => panic!("AWS_PROFILE does not name the profile just written ({written:?}): {vars:?}"),
    }
}

/// The access key print mode gives for `--role role` plus `extra`.
fn key_for(env: &TestEnv, role: &str, extra: &[&str]) -> String {
    let mut args = vec!["--role", role];
    args.extend_from_slice(extra);
    get(&print_vars::<Vars>(env, &args), "AWS_ACCESS_KEY_ID").to_owned()
}

/// `aws sts get-caller-identity` run through exec mode: the ARN it reports.
fn exec_caller_arn(env: &TestEnv, role: &str) -> String {
    let output = run(env
        .cmd()
        .env("PATH", venv_path())
        .args(["--role", role, "--", "aws", "sts", "get-caller-identity"])
        .args(["--output", "text", "--query", "Arn"]));
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    stdout(&output).trim().to_owned()
}

// ---------------------------------------------------------------- exec mode

#[test]
fn exec_runs_awscli_as_the_role_with_the_user_name_as_session() {
    let (_, env) = TestEnv::prefixed_user("exec-alice");
    assert_eq!(
        exec_caller_arn(&env, "admin"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/admin/exec-alice")
    );
}

#[test]
fn exec_passes_the_commands_own_options_and_exit_status() {
    let (_, env) = TestEnv::prefixed_user("exec-status");
    // No `--`: the first word that is not ours starts the command, and
    // `-c` belongs to sh.
    let output = env.ar(&[
        "--role",
        "admin",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    assert_eq!(output.status.code(), Some(7), "{}", describe(&output));
    assert_eq!(stdout(&output), "out\n");
    assert_eq!(stderr(&output), "err\n");

    // ls-style options after the command name are the command's.
    env.write("work/listed.txt", "");
    let output = env.ar(&["--role", "admin", "ls", "-a", "-1"]);
    assert_ok(&output);
    assert_eq!(
        stdout(&output),
        ".\n..\nassume-role.yaml\nlisted.txt\n",
        "{}",
        describe(&output)
    );
}

#[test]
fn exec_replaces_the_process() {
    let (_, env) = TestEnv::prefixed_user("exec-replace");
    // A signal kills the command, and so the process we started: with exec
    // there is no parent left to turn it into an exit code.
    let output = env.ar(&["--role", "admin", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(output.status.signal(), Some(15), "{}", describe(&output));
    assert_eq!(output.status.code(), None);

    // The command has the pid of the process we started.
    let child = env
        .cmd()
        .args(["--role", "admin", "sh", "-c", "echo $$"])
        .spawn_piped();
    let pid = child.id();
    let output = child.wait_with_output().unwrap();
    assert_ok(&output);
    assert_eq!(stdout(&output), format!("{pid}\n"));
}

#[test]
fn exec_of_a_missing_command_is_127_with_a_message() {
    let (_, env) = TestEnv::prefixed_user("exec-missing");
    let output = env.ar(&["--role", "admin", "no-such-command-xyz", "--flag"]);
    let line = failure_line(&output, 127);
    assert!(
        line.starts_with("assume-role: ") && line.contains("`no-such-command-xyz`"),
        "{line}"
    );
    assert!(line.contains("No such file or directory"), "{line}");
}

#[test]
fn exec_gives_the_child_exactly_the_role_environment() {
    let (user, env) = TestEnv::prefixed_user("exec-env");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nregion: eu-west-2\n"),
    );
    // The caller's profiles exist, so that only exec mode can remove them.
    env.write(
        "home/.aws/config",
        "[profile mine]\nregion = us-east-1\n[profile other]\nregion = us-east-1\n",
    );
    let env = env
        .set_env("AWS_PROFILE", "mine")
        .set_env("AWS_DEFAULT_PROFILE", "other");
    let output = env.ar(&["--role", "admin", "env"]);
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    let vars: Vars = parse_vars(&stdout(&output));

    let key = get(&vars, "AWS_ACCESS_KEY_ID");
    assert!(
        key.starts_with("ASIA") && key != user.access_key_id,
        "{key}"
    );
    assert_ne!(get(&vars, "AWS_SECRET_ACCESS_KEY"), user.secret_access_key);
    assert!(!get(&vars, "AWS_SECRET_ACCESS_KEY").is_empty());
    let token = get(&vars, "AWS_SESSION_TOKEN");
    assert!(!token.is_empty());
    assert_eq!(get(&vars, "AWS_SECURITY_TOKEN"), token);
    assert_eq!(get(&vars, "ASSUME_ROLE_ARN"), ADMIN);
    assert_eq!(get(&vars, "AWS_REGION"), "eu-west-2");
    assert_eq!(get(&vars, "AWS_DEFAULT_REGION"), "eu-west-2");
    let expiry = get(&vars, "AWS_CREDENTIAL_EXPIRATION");
    let left = humantime::parse_rfc3339(expiry)
        .unwrap_or_else(|e| panic!("{expiry} is not RFC 3339: {e}"))
        .duration_since(SystemTime::now())
        .expect("expiry in the future");
    assert!(
        left > Duration::from_secs(3500) && left <= Duration::from_secs(3600),
        "{expiry}: {left:?} left"
    );
    assert_no_foreign_profile(&vars, Some("123456789012-admin"));
    // Every variable once, the rest of the environment untouched.
    let mut names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    let total = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), total, "a variable appears twice: {vars:?}");
    assert_eq!(get(&vars, "HOME"), env.home().display().to_string());
    assert_eq!(get(&vars, "AWS_ENDPOINT_URL"), shared_moto().endpoint());
}

// --------------------------------------------------------------- print mode

#[test]
fn print_mode_default_is_key_value_lines_in_the_classic_order() {
    let (_, env) = TestEnv::prefixed_user("print-env");
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names[..3],
        [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN"
        ]
    );
    let mut rest = names[3..].to_vec();
    rest.sort();
    // AWS_PROFILE may name the profile just written (checked below).
    rest.retain(|name| *name != "AWS_PROFILE");
    assert_eq!(
        rest,
        [
            "ASSUME_ROLE_ARN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_SECURITY_TOKEN"
        ]
    );
    assert_no_foreign_profile(&vars, Some("123456789012-admin"));
    assert!(get(&vars, "AWS_ACCESS_KEY_ID").starts_with("ASIA"));
    assert_eq!(get(&vars, "ASSUME_ROLE_ARN"), ADMIN);
}

#[test]
fn print_mode_json_holds_the_same_values() {
    let (_, env) = TestEnv::prefixed_user("print-json");
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    let output = env.ar(&["--role", "admin", "--format", "json"]);
    assert_ok(&output);
    assert_eq!(stderr(&output), "");
    let json: BTreeMap<String, String> = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not a JSON object of strings: {e}\n{}", describe(&output)));
    let expected: BTreeMap<String, String> = vars.into_iter().collect();
    assert_eq!(json, expected);
}

#[test]
fn print_mode_bash_evaluates_to_the_same_values() {
    let (_, env) = TestEnv::prefixed_user("print-bash");
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    // Stale profile variables, as shell variables only (so the binary does
    // not see them): the statements must unset or replace them.
    let script = format!(
        r#"AWS_PROFILE=stale AWS_DEFAULT_PROFILE=stale
eval "$("$AR" --role admin --format bash)" || exit 9
printf '%s\n' {} "${{AWS_PROFILE-unset}}" "${{AWS_DEFAULT_PROFILE-unset}}"
env | grep -c '^AWS_ACCESS_KEY_ID='"#,
        shell_refs(&vars, |name| format!("\"${name}\""))
    );
    let output = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .env("AR", env!("CARGO_BIN_EXE_assume-role")));
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    assert_eq!(stdout(&output), expected_values(&vars));
}

/// References to every variable of `vars` but AWS_PROFILE, for a shell.
fn shell_refs(vars: &[(String, String)], reference: fn(&str) -> String) -> String {
    vars.iter()
        .filter(|(k, _)| k != "AWS_PROFILE")
        .map(|(k, _)| reference(k))
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the shell scripts print: each value of `vars` but AWS_PROFILE,
/// then AWS_PROFILE (the written profile or `unset`), AWS_DEFAULT_PROFILE
/// (`unset`) and the count of exported access keys.
fn expected_values(vars: &[(String, String)]) -> String {
    let mut lines: Vec<&str> = vars
        .iter()
        .filter(|(k, _)| k != "AWS_PROFILE")
        .map(|(_, v)| v.as_str())
        .collect();
    let profile = vars.iter().find(|(k, _)| k == "AWS_PROFILE");
    lines.push(profile.map_or("unset", |(_, v)| v.as_str()));
    lines.extend(["unset", "1"]);
    lines.join("\n") + "\n"
}

#[test]
fn print_mode_fish_evaluates_to_the_same_values() {
    let (_, env) = TestEnv::prefixed_user("print-fish");
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    let script = format!(
        r#"set -g AWS_PROFILE stale; set -g AWS_DEFAULT_PROFILE stale
$AR --role admin --format fish | source
printf '%s\n' {}
set -q AWS_PROFILE; and echo $AWS_PROFILE; or echo unset
set -q AWS_DEFAULT_PROFILE; and echo $AWS_DEFAULT_PROFILE; or echo unset
env | grep -c '^AWS_ACCESS_KEY_ID='"#,
        shell_refs(&vars, |name| format!("\"${name}\""))
    );
    let output = run(env
        .command("fish")
        .args(["--no-config", "-c", &script])
        .env("AR", env!("CARGO_BIN_EXE_assume-role")));
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    assert_eq!(stdout(&output), expected_values(&vars));
}

#[test]
fn print_mode_fish_statements_leave_a_success_status() {
    // `assume-role --format fish | source; or return` is how a fish script
    // checks that it worked. fish's `set` keeps the previous status, so a
    // failing `set -e` of an unset variable must not be the last word.
    let (_, env) = TestEnv::prefixed_user("print-fish-status");
    let script = "$AR --role admin --format fish | source; echo status=$status";
    let output = run(env
        .command("fish")
        .args(["--no-config", "-c", script])
        .env("AR", env!("CARGO_BIN_EXE_assume-role")));
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    assert_eq!(stdout(&output), "status=0\n");
}

// ------------------------------------------------------------------- config

#[test]
fn config_is_found_from_a_subdirectory_upward() {
    let (_, env) = TestEnv::prefixed_user("config-upward");
    let deep = env.work().join("a/b/c");
    fs::create_dir_all(&deep).unwrap();
    let output = run(env.cmd().current_dir(&deep).args(["--role", "admin"]));
    assert_ok(&output);
    assert_eq!(stderr(&output), "");
    assert_eq!(
        get(&parse_vars::<Vars>(&stdout(&output)), "ASSUME_ROLE_ARN"),
        ADMIN
    );
}

#[test]
fn home_config_applies_and_the_nearer_file_wins_key_by_key() {
    let (_, env) = TestEnv::trusted_user("config-merge");
    env.write(
        "home/.aws/assume-role.yaml",
        &format!("role_prefix: {PREFIX}team/\nregion: eu-west-1\n"),
    );
    env.write("work/assume-role.yaml", "region: ap-southeast-2\n");
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    assert_eq!(get(&vars, "ASSUME_ROLE_ARN"), TEAM_ADMIN);
    assert_eq!(get(&vars, "AWS_REGION"), "ap-southeast-2");
    assert_eq!(get(&vars, "AWS_DEFAULT_REGION"), "ap-southeast-2");
}

#[test]
fn refresh_before_expiry_takes_go_durations() {
    let (_, env) = TestEnv::trusted_user("config-refresh");
    // The shell integration is told when to refresh: expiry − margin.
    let refresh_gap = |margin: &str| {
        env.write(
            "work/assume-role.yaml",
            &format!("role_prefix: {PREFIX}\nrefresh_before_expiry: {margin}\n"),
        );
        let output = env.ar(&["__shell", "bash", "switch", "admin", "--duration", "4h"]);
        assert_ok(&output);
        let text = stdout(&output);
        let value = |name: &str| {
            let line = text
                .lines()
                .find(|l| l.contains(&format!("{name}=")))
                .unwrap();
            line.split('\'').nth(1).unwrap().to_owned()
        };
        let expiry = humantime::parse_rfc3339(&value("AWS_CREDENTIAL_EXPIRATION")).unwrap();
        let expiry = expiry
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        expiry - value("__ar_refresh_at").parse::<u64>().unwrap()
    };
    assert_eq!(refresh_gap("1h30m"), 5400);
    assert_eq!(refresh_gap("15m"), 900);
    assert_eq!(refresh_gap("90s"), 90);
    // Never more than half the session, so that a short session is cached.
    assert_eq!(refresh_gap("3h"), 7200);
}

#[test]
fn broken_yaml_is_one_line_naming_file_and_line() {
    let (_, env) = TestEnv::trusted_user("config-broken");
    let file = env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nregion: eu-west-1\nroles: [a, b\n"),
    );
    let output = env.ar(&["--role", "admin"]);
    let line = failure_line(&output, 1);
    assert!(line.starts_with("assume-role: "), "{line}");
    assert!(line.contains(&file.display().to_string()), "{line}");
    // The list opened on line 3 is found unclosed at the end of the file.
    assert!(line.contains("line 4 column 1"), "no line number: {line}");
    assert!(!env.cache_dir().exists(), "the cache was touched");
    env.assert_nothing_written();
}

#[test]
fn unknown_key_is_a_warning_and_the_call_works() {
    let (_, env) = TestEnv::trusted_user("config-unknown");
    let file = env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nrole_prefx: oops\n"),
    );
    let output = env.ar(&["--role", "admin"]);
    assert_ok(&output);
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{}", describe(&output));
    assert!(
        err.starts_with("assume-role: warning: ")
            && err.contains("\"role_prefx\"")
            && err.contains(&file.display().to_string()),
        "{err}"
    );
    assert_eq!(
        get(&parse_vars::<Vars>(&stdout(&output)), "ASSUME_ROLE_ARN"),
        ADMIN
    );
}

#[test]
fn explicit_config_file_is_the_only_one_read() {
    let (_, env) = TestEnv::trusted_user("config-explicit");
    env.write("work/assume-role.yaml", "this: [is broken\n");
    env.write("home/.aws/assume-role.yaml", "region: eu-west-1\n");
    let file = env.write(
        "elsewhere/team.yaml",
        &format!("role_prefix: {PREFIX}team/\n"),
    );
    let vars = print_vars::<Vars>(
        &env,
        &["--config", file.to_str().unwrap(), "--role", "admin"],
    );
    assert_eq!(get(&vars, "ASSUME_ROLE_ARN"), TEAM_ADMIN);
    assert!(
        vars.iter().all(|(k, _)| k != "AWS_REGION"),
        "the home file was read: {vars:?}"
    );
}

// ---------------------------------------------------------- role resolution

#[test]
fn full_arn_is_used_as_is_despite_a_prefix() {
    let (_, env) = TestEnv::trusted_user("resolve-arn");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}team/\n"),
    );
    let vars = print_vars::<Vars>(&env, &["--role", OPS]);
    assert_eq!(get(&vars, "ASSUME_ROLE_ARN"), OPS);
    // and the prefix applies to a short name
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    assert_eq!(get(&vars, "ASSUME_ROLE_ARN"), TEAM_ADMIN);
}

#[test]
fn profile_with_role_arn_in_aws_config_file_is_honoured() {
    let (_, env) = TestEnv::trusted_user("resolve-profile");
    let unusual = env.write(
        "elsewhere/my-aws-config",
        &format!("[profile deploy]\nrole_arn = {OPS}\nregion = eu-central-1\n"),
    );
    // The default location holds a decoy that must not be read.
    env.write(
        "home/.aws/config",
        &format!("[profile deploy]\nrole_arn = {ADMIN}\n"),
    );
    let env = env.set_env("AWS_CONFIG_FILE", unusual.to_str().unwrap());
    let vars = print_vars::<Vars>(&env, &["--role", "deploy"]);
    assert_eq!(get(&vars, "ASSUME_ROLE_ARN"), OPS);
    assert_eq!(get(&vars, "AWS_REGION"), "eu-central-1");
}

#[test]
fn unknown_role_says_how_to_fix_it_and_writes_nothing() {
    let (_, env) = TestEnv::trusted_user("resolve-unknown");
    env.write("home/.aws/config", "[profile other]\nregion = eu-west-1\n");
    let output = env.ar(&["--role", "nosuch"]);
    let line = failure_line(&output, 1);
    assert!(line.contains("nosuch"), "{line}");
    assert!(line.contains("role_prefix"), "{line}");
    assert!(line.contains("[profile nosuch]"), "{line}");
    assert!(line.contains("role_arn"), "{line}");
    assert!(
        line.contains(&env.config_file().display().to_string()),
        "{line}"
    );
    env.assert_nothing_written();
}

// -------------------------------------------------------------------- cache

#[test]
fn second_call_is_served_from_the_cache_without_network() {
    let (_, env) = TestEnv::prefixed_user("cache-hit");
    let first = key_for(&env, "admin", &[]);
    assert_eq!(key_for(&env, "admin", &[]), first);

    // STS and IAM unreachable: a hit still works...
    let offline = env
        .set_env("AWS_ENDPOINT_URL", DEAD)
        .set_env("AWS_ENDPOINT_URL_STS", DEAD)
        .set_env("AWS_ENDPOINT_URL_IAM", DEAD)
        .set_env("ASSUME_ROLE_TIMEOUT", "5s");
    assert_eq!(key_for(&offline, "admin", &[]), first);
    // ...while a miss really would need them.
    let output = offline.ar(&["--role", "admin", "-f"]);
    let line = failure_line(&output, 1);
    assert!(line.contains(ADMIN), "{line}");
}

#[test]
fn force_refresh_gets_new_keys_and_caches_them() {
    let (_, env) = TestEnv::prefixed_user("cache-force");
    let first = key_for(&env, "admin", &[]);
    let forced = key_for(&env, "admin", &["-f"]);
    assert_ne!(forced, first);
    let long = key_for(&env, "admin", &["--force-refresh"]);
    assert_ne!(long, forced);
    assert_eq!(key_for(&env, "admin", &[]), long);
}

#[test]
fn roles_with_the_same_name_on_different_paths_do_not_share_an_entry() {
    let (_, env) = TestEnv::prefixed_user("cache-paths");
    let admin = key_for(&env, "admin", &[]);
    let team = key_for(&env, "team/admin", &[]);
    assert_ne!(admin, team);
    let vars = print_vars::<Vars>(&env, &["--role", "team/admin"]);
    assert_eq!(get(&vars, "AWS_ACCESS_KEY_ID"), team);
    assert_eq!(get(&vars, "ASSUME_ROLE_ARN"), TEAM_ADMIN);
    assert_eq!(key_for(&env, "admin", &[]), admin);
    assert_eq!(env.cache_files(".creds.json").len(), 2);
}

#[test]
fn cache_folder_is_0700_and_its_files_0600() {
    let (_, env) = TestEnv::prefixed_user("cache-modes");
    key_for(&env, "admin", &[]);
    let dir = env.cache_dir().join("assume-role");
    assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    let files = env.cache_files("");
    assert!(
        env.cache_files(".creds.json").len() == 1 && env.cache_files(".identity.json").len() == 1,
        "{files:?}"
    );
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[test]
fn corrupt_entry_is_a_miss_with_one_warning() {
    let (_, env) = TestEnv::prefixed_user("cache-corrupt");
    let first = key_for(&env, "admin", &[]);
    let entries = env.cache_files(".creds.json");
    assert_eq!(entries.len(), 1);
    fs::write(&entries[0], "{\"garbage\": tr").unwrap();

    let output = env.ar(&["--role", "admin"]);
    assert_ok(&output);
    let err = stderr(&output);
    assert_eq!(
        err.lines().count(),
        1,
        "expected one warning\n{}",
        describe(&output)
    );
    assert!(
        err.starts_with("assume-role: warning: ")
            && err.contains(&entries[0].display().to_string()),
        "{err}"
    );
    let fresh = get(&parse_vars::<Vars>(&stdout(&output)), "AWS_ACCESS_KEY_ID").to_owned();
    assert_ne!(fresh, first);
    // The entry was rewritten: quiet hit again.
    assert_eq!(key_for(&env, "admin", &[]), fresh);
}

/// A user whose AssumeRole goes to tests/support/fake_sts.py, which issues
/// credentials that expire `lifetime` seconds after they are asked for,
/// whatever the session length asked (as AWS does for a chained role), so a
/// test need not wait for credentials to age. IAM (the session name) is moto.
fn short_lived(name: &str, lifetime: u64, yaml: &str) -> (FakeSts, TestEnv) {
    let user = shared_moto().create_user(name);
    let lifetime = lifetime.to_string();
    let sts = FakeSts::start_with("123456", &["--no-mfa", "--lifetime", &lifetime]);
    let env = TestEnv::new()
        .with_user(&user)
        .endpoint(&shared_moto().endpoint())
        .trusting_work()
        .set_env("AWS_ENDPOINT_URL_STS", &sts.endpoint());
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\n{yaml}"),
    );
    (sts, env)
}

#[test]
fn credentials_within_refresh_before_expiry_are_refreshed() {
    // Credentials that expire in 10 minutes, with a 20 minute margin: due
    // at once, so every call refreshes; with a 5 minute margin they are
    // fresh. No call can race the clock: minutes separate the two cases.
    let (sts, env) = short_lived("cache-expiry", 600, "refresh_before_expiry: 20m\n");
    let first = key_for(&env, "admin", &[]);
    let second = key_for(&env, "admin", &[]);
    assert_ne!(second, first, "within the margin: refreshed");
    assert_eq!(sts.count("AssumeRole"), 2);
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nrefresh_before_expiry: 5m\n"),
    );
    let third = key_for(&env, "admin", &[]);
    assert_eq!(third, second, "outside the margin: from the cache");
    assert_eq!(sts.count("AssumeRole"), 2);
    // A margin longer than half the session is capped: a 15 minute session
    // with a 20 minute margin is still served from the cache.
    let (_, env) = TestEnv::prefixed_user("cache-expiry-cap");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nrefresh_before_expiry: 20m\n"),
    );
    let long = ["--duration", "900s"];
    let fourth = key_for(&env, "admin", &long);
    assert_eq!(key_for(&env, "admin", &long), fourth);
}

/// With no `refresh_before_expiry`, the margin is 15 minutes: credentials
/// 10 minutes from expiry are refreshed, 20 minutes from it are not.
#[test]
fn default_refresh_before_expiry_is_fifteen_minutes() {
    let (sts, env) = short_lived("cache-default-margin-10m", 600, "");
    let first = key_for(&env, "admin", &[]);
    let second = key_for(&env, "admin", &[]);
    assert_ne!(
        second, first,
        "10 minutes before expiry is within the default 15 minute margin"
    );
    assert_eq!(sts.count("AssumeRole"), 2);

    let (sts, env) = short_lived("cache-default-margin-20m", 1200, "");
    let first = key_for(&env, "admin", &[]);
    assert_eq!(
        key_for(&env, "admin", &[]),
        first,
        "20 minutes before expiry is outside the default 15 minute margin"
    );
    assert_eq!(sts.count("AssumeRole"), 1);
}

#[test]
fn concurrent_cold_calls_make_one_assume_role() {
    let (_, env) = TestEnv::prefixed_user("cache-concurrent");
    let children: Vec<_> = (0..12)
        .map(|_| env.cmd().args(["--role", "admin"]).spawn_piped())
        .collect();
    let keys: Vec<String> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert_ok(&output);
            assert_eq!(stderr(&output), "", "{}", describe(&output));
            get(&parse_vars::<Vars>(&stdout(&output)), "AWS_ACCESS_KEY_ID").to_owned()
        })
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
}

// ------------------------------------------------------------- session name

#[test]
fn session_name_is_looked_up_once_per_base_identity() {
    let (user, env) = TestEnv::prefixed_user("session-once");
    assert_eq!(
        exec_caller_arn(&env, "admin"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/admin/session-once")
    );
    assert_eq!(env.cache_files(".identity.json").len(), 1);

    // Without the user, moto would name the caller `moto`: a second role
    // that still shows the user's name took it from the cache.
    let iam = iam_client(&shared_moto().endpoint(), "testing", "testing");
    block_on(async {
        iam.delete_access_key()
            .user_name(&user.name)
            .access_key_id(&user.access_key_id)
            .send()
            .await
            .expect("DeleteAccessKey");
        iam.delete_user()
            .user_name(&user.name)
            .send()
            .await
            .expect("DeleteUser");
    });
    assert_eq!(
        exec_caller_arn(&env, "ops"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/ops/session-once")
    );
}

// --------------------------------------------------- ~/.aws/credentials

/// The section the binary manages, with the values just printed (and the
/// comment that marks it as assume-role's).
fn managed_section(name: &str, vars: &[(String, String)]) -> String {
    format!(
        "[{name}]\n# managed by assume-role: rewritten at each refresh\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
        get(vars, "AWS_ACCESS_KEY_ID"),
        get(vars, "AWS_SECRET_ACCESS_KEY"),
        get(vars, "AWS_SESSION_TOKEN"),
    )
}

#[test]
fn credentials_file_is_created_0600_with_the_profile() {
    let (_, env) = TestEnv::prefixed_user("credfile-new");
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    let file = env.credentials_file();
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        managed_section("123456789012-admin", &vars)
    );
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn credentials_file_profile_name_prefix_is_used() {
    let (_, env) = TestEnv::trusted_user("credfile-prefix");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nprofile_name_prefix: myaccount\n"),
    );
    let vars = print_vars::<Vars>(&env, &["--role", "team/admin"]);
    assert_eq!(
        fs::read_to_string(env.credentials_file()).unwrap(),
        managed_section("myaccount-admin", &vars)
    );
}

#[test]
fn credentials_file_keeps_every_byte_outside_the_managed_section() {
    let (_, env) = TestEnv::prefixed_user("credfile-keep");
    let before = "# my keys ; handle with care\n\
        [default]\n\
        aws_access_key_id = AKIADEFAULT # inline comment\n\
        aws_secret_access_key = se#cr;et=\n\
        \n\
        [123456789012-admin]\n";
    // As an earlier version wrote it: temporary credentials, no marker.
    let old_section = "aws_access_key_id = ASIAOLDKEY\n\
        aws_secret_access_key = OLDSECRET\n\
        aws_session_token = OLDTOKEN\n";
    let after = "\n\
        ; a comment of its own\n\
        [other]\n\
        region=eu-west-1\n\
        s3 =\n  max_concurrent_requests = 20\n  aws_access_key_id = nested\n\
        \n\
        [last]   \n\
        aws_access_key_id = AKIALAST";
    env.write(
        "home/.aws/credentials",
        &format!("{before}{old_section}{after}"),
    );
    fs::set_permissions(env.credentials_file(), fs::Permissions::from_mode(0o640)).unwrap();

    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    let text = fs::read_to_string(env.credentials_file()).unwrap();
    let new_section = managed_section("123456789012-admin", &vars);
    let new_keys = new_section.split_once('\n').unwrap().1;
    assert_eq!(text, format!("{before}{new_keys}{after}"));
    assert_eq!(mode(&env.credentials_file()), 0o640, "mode not kept");

    // A role without a section gets one at the end; the rest stays.
    let vars = print_vars::<Vars>(&env, &["--role", "ops"]);
    let appended = fs::read_to_string(env.credentials_file()).unwrap();
    let kept = format!("{before}{new_keys}{after}");
    assert!(appended.starts_with(&kept), "{appended}");
    assert_eq!(
        appended[kept.len()..].trim_start_matches('\n'),
        managed_section("123456789012-ops", &vars)
    );
}

#[test]
fn awscli_can_use_the_written_profile() {
    let (_, env) = TestEnv::prefixed_user("credfile-awscli");
    print_vars::<Vars>(&env, &["--role", "admin"]);
    let output = run(aws_cli(&env)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args([
            "--profile",
            "123456789012-admin",
            "sts",
            "get-caller-identity",
        ])
        .args(["--output", "text", "--query", "Arn"]));
    assert_ok(&output);
    assert_eq!(
        stdout(&output).trim(),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/admin/credfile-awscli")
    );
}

#[test]
fn write_credentials_file_false_writes_nothing() {
    let (_, env) = TestEnv::trusted_user("credfile-off");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nwrite_credentials_file: false\n"),
    );
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    assert!(!env.credentials_file().exists());
    assert!(!env.home().join(".aws").exists());
    assert_no_foreign_profile(&vars, None);
}

// ------------------------------------------------------------------- errors

#[test]
fn no_base_credentials_is_one_line_and_nothing_written() {
    let env = TestEnv::new()
        .endpoint(&shared_moto().endpoint())
        .trusting_work()
        .set_env("ASSUME_ROLE_TIMEOUT", "10s");
    env.write("work/assume-role.yaml", &format!("role_prefix: {PREFIX}\n"));
    let output = env.ar(&["--role", "admin"]);
    let line = failure_line(&output, 1);
    assert!(line.starts_with("assume-role: "), "{line}");
    assert!(line.to_lowercase().contains("credentials"), "{line}");
    env.assert_nothing_written();
    assert_eq!(env.cache_files(".identity.json"), Vec::<PathBuf>::new());
}

#[test]
fn usage_error_is_exit_2() {
    let (_, env) = TestEnv::prefixed_user("usage");
    let output = env.ar(&["--role", "admin", "--duration", "soon"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert_eq!(stdout(&output), "");
    let err = stderr(&output);
    assert!(
        err.starts_with("error: ") && err.contains("soon") && err.contains("--duration"),
        "{err}"
    );
    assert!(!env.cache_dir().exists());
}

#[test]
fn print_mode_zsh_is_exactly_the_statements_and_evaluates_to_the_same_values() {
    let (_, env) = TestEnv::prefixed_user("print-zsh");
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    let output = env.ar(&["--role", "admin", "--format", "zsh"]);
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    // No value here needs more than the outer quotes.
    let mut want = String::from("unset -v AWS_DEFAULT_PROFILE\n");
    for (k, v) in &vars {
        want += &format!("export {k}='{v}'\n");
    }
    assert_eq!(stdout(&output), want);

    let script = format!(
        r#"AWS_PROFILE=stale AWS_DEFAULT_PROFILE=stale
eval "$("$AR" --role admin --format zsh)" || exit 9
printf '%s\n' {} "${{AWS_PROFILE-unset}}" "${{AWS_DEFAULT_PROFILE-unset}}"
env | grep -c '^AWS_ACCESS_KEY_ID='"#,
        shell_refs(&vars, |name| format!("\"${name}\""))
    );
    let output = run(env
        .command("zsh")
        .args(["-f", "-c", &script])
        .env("AR", env!("CARGO_BIN_EXE_assume-role")));
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    assert_eq!(stdout(&output), expected_values(&vars));
}

/// PowerShell cannot run here: the statements are pinned exactly, and
/// parsed with tree-sitter's PowerShell grammar (tests/support/ps_parse.py),
/// whose decoded values must be the print-mode values.
#[test]
fn print_mode_powershell_is_exactly_the_statements_and_parses_to_the_same_values() {
    let (_, env) = TestEnv::prefixed_user("print-powershell");
    let vars = print_vars::<Vars>(&env, &["--role", "admin"]);
    let output = env.ar(&["--role", "admin", "--format", "powershell"]);
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    let mut want = String::from(
        "Remove-Item -LiteralPath 'Env:/AWS_DEFAULT_PROFILE' -ErrorAction SilentlyContinue; \
         Remove-Variable -Name 'AWS_DEFAULT_PROFILE' -Scope Global -ErrorAction SilentlyContinue\n",
    );
    for (k, v) in &vars {
        want += &format!("$env:{k} = '{v}'\n");
    }
    let text = stdout(&output);
    assert_eq!(text, want);

    let file = env.write("print.ps1", &text);
    let parsed = run(Command::new(venv_bin("python"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/ps_parse.py"))
        .arg("assignments")
        .arg(&file));
    assert_ok(&parsed);
    let list: Vec<(Option<String>, String)> = serde_json::from_str(&stdout(&parsed)).unwrap();
    let assigned: Vars = list
        .into_iter()
        .filter_map(|(name, value)| Some((name?, value)))
        .collect();
    assert_eq!(assigned, vars);
}

/// A cache folder that is a link (to a 0700 folder elsewhere, as another
/// user could plant in a shared cache root) is refused, with one line
/// naming it, and nothing is written through it.
#[test]
fn a_cache_folder_that_is_a_link_is_refused() {
    let (_, env) = TestEnv::prefixed_user("cache-link");
    let elsewhere = env.root().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o700)).unwrap();
    fs::create_dir_all(env.cache_dir()).unwrap();
    let folder = env.cache_dir().join("assume-role");
    std::os::unix::fs::symlink(&elsewhere, &folder).unwrap();
    let line = failure_line(&env.ar(&["--role", "admin"]), 1);
    assert!(
        line.contains(&folder.display().to_string()) && line.contains("not a folder"),
        "{line}"
    );
    assert_eq!(
        fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "written through the link"
    );
}

// ------------------------------------------------- found by cargo-mutants

/// Waits until `waiters` processes are blocked on the flock of `path`
/// (the `->` lines of /proc/locks for its inode).
fn wait_for_lock_waiters(path: &Path, waiters: usize) {
    use std::os::unix::fs::MetadataExt;
    let inode = format!(":{}", fs::metadata(path).unwrap().ino());
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let locks = fs::read_to_string("/proc/locks")
            .unwrap_or_else(|e| panic!("cannot read /proc/locks (is /proc mounted?): {e}"));
        let blocked = locks
            .lines()
            .filter(|line| line.contains("->"))
            .filter(|line| line.split_whitespace().any(|f| f.ends_with(&inode)))
            .count();
        if blocked >= waiters {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{blocked} of {waiters} processes wait on {} after 60 s:\n{locks}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Concurrent `--force-refresh` calls for one role make one AssumeRole:
/// a caller that waited on the entry's lock while another refreshed takes
/// the keys obtained after it started (`Cache::credentials_since`), never
/// the keys it was asked to replace. The test holds the entry's lock until
/// every caller waits on it, so none can start after the refresh and
/// rightly make its own.
#[test]
fn concurrent_force_refreshes_make_one_assume_role() {
    const CALLERS: usize = 4;
    let (sts, env) = short_lived("cache-force-concurrent", 3600, "");
    let cold = key_for(&env, "admin", &[]);
    assert_eq!(sts.count("AssumeRole"), 1);
    let entry = env.cache_files(".creds.json").remove(0);
    let lock = PathBuf::from(entry.to_string_lossy().replace(".creds.json", ".lock"));
    let held = fs::File::options().write(true).open(&lock).unwrap();
    held.lock().unwrap();
    let children: Vec<_> = (0..CALLERS)
        .map(|_| {
            env.cmd()
                .args(["--role", "admin", "--force-refresh"])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    wait_for_lock_waiters(&lock, CALLERS);
    drop(held);
    let keys: Vec<String> = children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            assert_ok(&output);
            get(&parse_vars::<Vars>(&stdout(&output)), "AWS_ACCESS_KEY_ID").to_owned()
        })
        .collect();
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "each caller got its own keys: {keys:?}"
    );
    assert_ne!(keys[0], cold, "the keys to replace were handed out again");
    assert_eq!(sts.count("AssumeRole"), 2, "one cold call, one refresh");
}

/// A cache entry that exists but cannot be read as ours (here a link to a
/// copy of itself, which is never followed) is a miss with one warning
/// naming it, and is replaced by an entry of ours.
#[test]
fn a_cache_entry_that_cannot_be_read_is_a_miss_with_one_warning() {
    let (_, env) = TestEnv::prefixed_user("cache-entry-link");
    let planted = key_for(&env, "admin", &[]);
    let entry = env.cache_files(".creds.json").remove(0);
    let copy = env.root().join("planted.creds.json");
    fs::rename(&entry, &copy).unwrap();
    std::os::unix::fs::symlink(&copy, &entry).unwrap();

    let output = env.ar(&["--role", "admin"]);
    assert_ok(&output);
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{}", describe(&output));
    assert!(
        err.starts_with("assume-role: warning: ")
            && err.contains(&entry.display().to_string())
            && err.contains("symlink"),
        "{err}"
    );
    let fresh = get(&parse_vars::<Vars>(&stdout(&output)), "AWS_ACCESS_KEY_ID").to_owned();
    assert_ne!(fresh, planted, "the entry behind the link was used");
    assert!(!fs::symlink_metadata(&entry).unwrap().is_symlink());
    assert_eq!(key_for(&env, "admin", &[]), fresh);
}

/// A user name of two characters, the shortest AWS allows, is the session
/// name as it is: nothing is put in front of it.
#[test]
fn a_two_character_user_name_is_the_session_name_as_it_is() {
    let (_, env) = TestEnv::prefixed_user("al");
    assert_eq!(
        exec_caller_arn(&env, "admin"),
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/admin/al")
    );
}
