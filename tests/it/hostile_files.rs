//! Hostile files and values (issue 13, items 1, 6, 8, 9, 11 and 12): a
//! user's own profile of the same name as a role's, values that would
//! inject lines, a bind-mounted, read-only or foreign credentials file,
//! cache entries and locks planted by another account, out-of-range
//! durations, a deleted working directory, and very large ~/.aws files.
//!
//! The tests that need root (a bind mount, a second local user) FAIL,
//! saying why, where that is refused; they never skip. CI runs as root.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::util::shared_moto as moto;
use crate::util::*;

type Vars = BTreeMap<String, String>;

/// The comment that marks a section of ~/.aws/credentials as assume-role's.
const MARKER: &str = "# managed by assume-role";

/// A second local account (created with useradd when missing): its uid.
fn other_uid() -> u32 {
    static UID: OnceLock<u32> = OnceLock::new();
    *UID.get_or_init(|| {
        const NAME: &str = "ar-test-other";
        let id = || {
            Command::new("id")
                .args(["-u", NAME])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        };
        // useradd may find /etc/passwd locked by another test binary doing
        // the same: wait for that (exit 10) and look again.
        let mut last = String::new();
        for _ in 0..50 {
            if let Some(uid) = id() {
                return uid;
            }
            let out = Command::new("useradd")
                .args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NAME])
                .output()
                .unwrap_or_else(|e| {
                    panic!("cannot run useradd ({e}): these tests need a second local user; install passwd (apt-get install passwd) and run them as root")
                });
            last = String::from_utf8_lossy(&out.stderr).into_owned();
            if out.status.success() || out.status.code() == Some(9) {
                continue;
            }
            if out.status.code() != Some(10) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        id().unwrap_or_else(|| {
            panic!("cannot create the local user {NAME} with useradd: {last} (these tests need root, as in CI)")
        })
    })
}

// ------------------------------------------- item 1: long-term keys are kept

const LONG_TERM: &str = "[default]\nregion = eu-west-1\n\n[prod-admin]\n\
     aws_access_key_id = AKIALONGTERMKEY00001\n\
     aws_secret_access_key = the-only-copy-of-this-secret\n\n[other]\noutput = json\n";

/// `[prod-admin]` holds an IAM user's long-term keys: `profile_name_prefix:
/// prod` makes `--role admin` refuse, in one line naming the profile and the
/// settings, before any AssumeRole, with nothing written.
#[test]
fn long_term_keys_in_a_profile_of_the_same_name_are_never_overwritten() {
    let (_, env) = TestEnv::prefixed_user("long-term-keys");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nprofile_name_prefix: prod\n"),
    );
    env.write("home/.aws/credentials", LONG_TERM);
    for args in [&["--role", "admin", "true"][..], &["--role", "admin"]] {
        let line = failure_line(&env.ar(args), 1);
        assert!(line.contains("[prod-admin]"), "{line}");
        assert!(
            line.contains("profile_name_prefix") && line.contains("write_credentials_file"),
            "{line}"
        );
        assert_eq!(
            fs::read_to_string(env.credentials_file()).unwrap(),
            LONG_TERM,
            "the long-term keys were overwritten"
        );
        assert_eq!(env.cache_files(".creds.json"), Vec::<PathBuf>::new());
    }
    // Refused before STS is called: the same line with STS unreachable.
    let offline = env.set_env("AWS_ENDPOINT_URL", DEAD);
    let line = failure_line(&offline.ar(&["--role", "admin"]), 1);
    assert!(line.contains("[prod-admin]"), "{line}");

    // The fixes the line names work.
    let env = offline.set_env("AWS_ENDPOINT_URL", &moto().endpoint());
    let off = env.write(
        "elsewhere/assume-role.yaml",
        &format!(
            "role_prefix: {PREFIX}\nprofile_name_prefix: prod\nwrite_credentials_file: false\n"
        ),
    );
    let vars = print_vars::<Vars>(
        &env,
        &["--role", "admin", "--config", off.to_str().unwrap()],
    );
    assert!(!vars.contains_key("AWS_PROFILE"));
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nprofile_name_prefix: prod-role\n"),
    );
    let vars = print_vars::<Vars>(&env, &["--role", "admin", "-f"]);
    assert_eq!(vars["AWS_PROFILE"], "prod-role-admin");
    let text = fs::read_to_string(env.credentials_file()).unwrap();
    assert!(text.starts_with(LONG_TERM), "{text}");
}

/// A section assume-role wrote carries a marker comment, so it is rewritten
/// even after the cache is wiped; a marker-less section that holds only
/// temporary credentials (as earlier versions wrote) is taken over.
#[test]
fn sections_assume_role_wrote_are_rewritten_after_a_cache_wipe() {
    let (_, env) = TestEnv::prefixed_user("managed-sections");
    env.write("home/.aws/credentials", "[default]\nregion = eu-west-1\n");
    let first = env.key(&["--role", "admin"]);
    let text = fs::read_to_string(env.credentials_file()).unwrap();
    let section = text.split("[123456789012-admin]\n").nth(1).unwrap();
    assert!(section.starts_with(MARKER), "{text}");
    fs::remove_dir_all(env.cache_folder()).unwrap();
    let second = env.key(&["--role", "admin"]);
    assert_ne!(first, second);
    let text = fs::read_to_string(env.credentials_file()).unwrap();
    assert!(text.contains(&second) && !text.contains(&first), "{text}");
    assert_eq!(text.matches(MARKER).count(), 1, "{text}");

    // Written by an earlier version: temporary keys, no marker.
    let legacy = "[default]\nregion = eu-west-1\n\n[123456789012-ops]\n\
                  aws_access_key_id = ASIAOLDTEMPORARYKEY1\naws_secret_access_key = old\n\
                  aws_session_token = oldtoken\n";
    env.write("home/.aws/credentials", legacy);
    let key = env.key(&["--role", "ops"]);
    let text = fs::read_to_string(env.credentials_file()).unwrap();
    assert!(text.contains(&key) && !text.contains("ASIAOLD"), "{text}");
    assert!(
        text.contains(&format!("[123456789012-ops]\n{MARKER}")),
        "{text}"
    );
}

// ------------------------------------------- item 6: values that inject lines

/// A region holding a newline and another `KEY=value` is refused from the
/// flag (usage, 2) and from assume-role.yaml and ~/.aws/config (1): no line
/// is injected into the `env` format.
#[test]
fn a_region_with_a_newline_injects_no_line() {
    let (_, env) = TestEnv::prefixed_user("region-injection");
    let evil = "us-east-1\nAWS_ACCESS_KEY_ID=INJECTED";
    let output = env.ar(&["--role", "admin", "--region", evil]);
    assert!(
        !stdout(&output).contains("INJECTED"),
        "{}",
        describe(&output)
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(err.contains("region"), "{err}");

    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nregion: \"us-east-1\\nAWS_ACCESS_KEY_ID=INJECTED\"\n"),
    );
    let line = failure_line(&env.ar(&["--role", "admin"]), 1);
    assert!(line.contains("region"), "{line}");

    env.write("work/assume-role.yaml", "");
    env.write(
        "home/.aws/config",
        &format!("[profile team]\nrole_arn = {ADMIN}\nregion = us-east-1 AWS_ACCESS_KEY_ID=x\n"),
    );
    let line = failure_line(&env.ar(&["--role", "team"]), 1);
    assert!(line.contains("region") && line.contains("team"), "{line}");

    // Real region names pass.
    env.write("home/.aws/config", "");
    env.write("work/assume-role.yaml", &format!("role_prefix: {PREFIX}\n"));
    for region in ["us-gov-west-1", "cn-north-1", "eu-central-2"] {
        let vars = print_vars::<Vars>(&env, &["--role", "admin", "--region", region]);
        assert_eq!(vars["AWS_REGION"], region);
    }
}

/// Role names by AWS's rules: `[\w+=,.@-]`, 1–64 characters, and a path of
/// plain segments. `../../etc/passwd` and a 10 KB name write no section.
#[test]
fn role_names_and_paths_follow_aws_rules() {
    let (_, env) = TestEnv::prefixed_user("role-names");
    let long = "a".repeat(10_000);
    let bad_arn = format!("{PREFIX}x/../admin");
    for role in [
        "../../etc/passwd",
        long.as_str(),
        "team//admin",
        "admin\nAWS_ACCESS_KEY_ID=INJECTED",
        "adm in",
        bad_arn.as_str(),
    ] {
        let output = env.ar(&["--role", role]);
        let line = failure_line(&output, 1);
        assert!(
            line.len() < 400,
            "the line repeats the name: {} bytes",
            line.len()
        );
        assert!(line.contains("role"), "{line}");
        assert!(!env.credentials_file().exists(), "{role:?} wrote a section");
        assert_eq!(env.cache_files(".creds.json"), Vec::<PathBuf>::new());
    }
    // Session names too, where they are given.
    let line = failure_line(
        &env.ar(&["--role", "admin", "--role-session-name", "bob smith"]),
        1,
    );
    assert!(line.contains("session name"), "{line}");
    // Valid ones pass, a path included.
    let name64 = "b".repeat(64);
    for role in ["team/admin", "ops.read-only@x=y,z+w", name64.as_str()] {
        let vars = print_vars::<Vars>(&env, &["--role", role]);
        assert_eq!(vars["ASSUME_ROLE_ARN"], format!("{PREFIX}{role}"));
    }
}

// ------------------------------- item 8: the credentials file in real set-ups

/// A bind mount that is undone on drop.
struct BindMount(PathBuf);

impl BindMount {
    fn new(source: &Path, target: &Path) -> BindMount {
        let out = Command::new("mount")
            .arg("--bind")
            .arg(source)
            .arg(target)
            .output()
            .unwrap_or_else(|e| panic!("cannot run mount(8): {e}; install mount (util-linux)"));
        assert!(
            out.status.success(),
            "mount --bind was refused ({}): this test needs root, as in CI (a dev container \
             bind-mounts ~/.aws/credentials; only a real bind mount shows the rename failing)",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        BindMount(target.to_path_buf())
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A bind-mounted ~/.aws/credentials cannot be replaced by a rename
/// (`Device or resource busy`): it is written in place, whole, and the
/// file outside the container sees the new section.
#[test]
fn a_bind_mounted_credentials_file_is_written_in_place() {
    let (_, env) = TestEnv::prefixed_user("bind-mount");
    let outside = env.write(
        "host/credentials",
        "# host file\n[default]\nregion = eu-west-1\n",
    );
    env.write("home/.aws/credentials", "");
    let _mount = BindMount::new(&outside, &env.credentials_file());
    let mut keys = Vec::new();
    for args in [&["--role", "admin"][..], &["--role", "admin", "-f"]] {
        let output = env.ar(args);
        assert_ok(&output);
        assert_eq!(stderr(&output), "", "{}", describe(&output));
        let vars: Vars = parse_vars(&stdout(&output));
        let key = vars["AWS_ACCESS_KEY_ID"].clone();
        let host = fs::read_to_string(&outside).unwrap();
        assert!(
            host.starts_with("# host file\n[default]\nregion = eu-west-1\n"),
            "{host}"
        );
        assert!(host.contains(&key), "{host}");
        assert_eq!(host.matches("[123456789012-admin]").count(), 1, "{host}");
        keys.push(key);
    }
    assert_ne!(keys[0], keys[1]);
    let leftovers: Vec<_> = fs::read_dir(env.home().join(".aws"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".assume-role."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A read-only (0444) credentials file, or one owned by another account, is
/// left alone: one line naming the file and the fix, nothing written.
#[test]
fn a_read_only_or_foreign_credentials_file_is_respected() {
    let (_, env) = TestEnv::prefixed_user("read-only-credentials");
    let text = "[default]\nregion = eu-west-1\n";
    let file = env.write("home/.aws/credentials", text);
    fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).unwrap();
    let line = failure_line(&env.ar(&["--role", "admin", "true"]), 1);
    assert!(line.contains(&file.display().to_string()), "{line}");
    assert!(
        line.contains("read-only") && line.contains("write_credentials_file"),
        "{line}"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o444
    );
    assert_eq!(env.cache_files(".creds.json"), Vec::<PathBuf>::new());

    fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
    std::os::unix::fs::chown(&file, Some(other_uid()), None).unwrap();
    let line = failure_line(&env.ar(&["--role", "admin", "true"]), 1);
    assert!(line.contains(&file.display().to_string()), "{line}");
    assert!(line.contains("owned by"), "{line}");
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
    assert_eq!(fs::metadata(&file).unwrap().uid(), other_uid());
    assert_eq!(env.cache_files(".creds.json"), Vec::<PathBuf>::new());
}

// ----------------------------------------------- item 9: cache entries not ours

/// A cache entry owned by another account, or readable by others, is a miss
/// with one warning: its keys never reach the command.
#[test]
fn cache_entries_not_ours_are_misses_with_a_warning() {
    let (_, env) = TestEnv::prefixed_user("foreign-entries");
    type Damage<'a> = &'a dyn Fn(&Path);
    let cases: [(&str, Damage); 2] = [
        ("owned by", &|entry| {
            std::os::unix::fs::chown(entry, Some(other_uid()), None).unwrap()
        }),
        ("0644", &|entry| {
            fs::set_permissions(entry, fs::Permissions::from_mode(0o644)).unwrap()
        }),
    ];
    for (warning, damage) in cases {
        let planted = env.key(&["--role", "admin"]);
        let entry = env.cache_files(".creds.json").remove(0);
        damage(&entry);
        let (line, vars) = one_warning(&env.ar(&["--role", "admin"]));
        assert!(
            line.contains(warning) && line.contains(&entry.display().to_string()),
            "{line}"
        );
        assert_ne!(
            vars["AWS_ACCESS_KEY_ID"], planted,
            "{warning}: the planted keys were used"
        );
        // Replaced by an entry of ours: quiet from now on.
        assert_eq!(env.key(&["--role", "admin"]), vars["AWS_ACCESS_KEY_ID"]);
        assert_eq!(fs::metadata(&entry).unwrap().uid(), geteuid());
    }
}

/// A lock file replaced by a symlink is never followed: its target is not
/// created or touched.
#[test]
fn symlinked_locks_are_never_followed() {
    let (_, env) = TestEnv::prefixed_user("symlinked-lock");
    env.key(&["--role", "admin"]);
    let victim = env.root().join("victim");
    let credentials_victim = env.root().join("credentials-victim");
    for lock in env.cache_files(".lock") {
        let target = if lock.ends_with("aws-credentials.lock") {
            &credentials_victim
        } else {
            &victim
        };
        fs::remove_file(&lock).unwrap();
        std::os::unix::fs::symlink(target, &lock).unwrap();
    }
    let output = env.ar(&["--role", "admin", "-f"]);
    assert_ok(&output);
    let err = stderr(&output);
    assert!(err.contains("symlink"), "{}", describe(&output));
    assert!(
        !victim.exists() && !credentials_victim.exists(),
        "a lock followed its symlink"
    );
    // The locks this refresh took (the entry's and the credentials file's)
    // are plain files again.
    let plain = env
        .cache_files(".lock")
        .into_iter()
        .filter(|l| !fs::symlink_metadata(l).unwrap().file_type().is_symlink())
        .count();
    assert!(plain >= 2, "{plain} lock(s) replaced");
}

// ---------------------------------------------------- item 11: limits, cwd

/// Durations outside what AssumeRole allows (900 s to 12 h) are refused in
/// one line, from the flag and from the files; `-1` in YAML too.
#[test]
fn durations_outside_what_assume_role_allows_are_refused() {
    let (_, env) = TestEnv::prefixed_user("durations");
    let strict = |env: &TestEnv, args: &[&str]| {
        run(env
            .cmd()
            .env_remove("ASSUME_ROLE_ALLOW_SHORT_DURATION")
            .args(args))
    };
    for duration in ["0s", "0", "899s", "1000000h", "12h1s"] {
        let output = strict(&env, &["--role", "admin", "--duration", duration]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{duration}: {}",
            describe(&output)
        );
        let err = stderr(&output);
        assert!(
            err.contains("900") && err.contains("12h"),
            "{duration}: {err}"
        );
    }
    for (yaml, what) in [
        ("-1", "-1"),
        ("0s", "0s"),
        ("1000000h", "1000000h"),
        ("[1]", "list"),
    ] {
        env.write(
            "work/assume-role.yaml",
            &format!("role_prefix: {PREFIX}\nduration: {yaml}\n"),
        );
        let line = failure_line(&strict(&env, &["--role", "admin"]), 1);
        assert!(line.contains("duration"), "{what}: {line}");
        assert!(!line.contains("untagged"), "{what}: {line}");
        assert!(
            line.contains("900 s") || line.contains("expected a duration"),
            "{what}: {line}"
        );
    }
    env.write("work/assume-role.yaml", "");
    env.write(
        "home/.aws/config",
        &format!("[profile team]\nrole_arn = {ADMIN}\nduration_seconds = 50000\n"),
    );
    let line = failure_line(&strict(&env, &["--role", "team"]), 1);
    assert!(
        line.contains("duration_seconds") && line.contains("12h"),
        "{line}"
    );
    // The bounds themselves pass.
    env.write("home/.aws/config", "");
    env.write("work/assume-role.yaml", &format!("role_prefix: {PREFIX}\n"));
    for duration in ["900s", "12h"] {
        let output = strict(&env, &["--role", "admin", "--duration", duration]);
        assert_ok(&output);
    }
}

/// In a working directory that was deleted, exec mode and `ar` still work
/// (only ~/.aws/assume-role.yaml applies).
#[test]
fn a_deleted_working_directory_does_not_stop_exec_mode_or_ar() {
    let (_, env) = TestEnv::prefixed_user("deleted-cwd");
    env.write(
        "home/.aws/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nregion: eu-west-3\n"),
    );
    let gone = env.root().join("work/gone");
    fs::create_dir_all(&gone).unwrap();
    let script = format!(
        "cd {0} && rmdir {0} && {1} --role {ADMIN} -- sh -c 'echo \"$AWS_REGION $ASSUME_ROLE_ARN\"' \
         && {1} --role admin -- sh -c 'echo \"$AWS_REGION $ASSUME_ROLE_ARN\"' \
         && eval \"$({1} init bash --no-hook)\" && ar admin && echo \"shell $AWS_REGION $ASSUME_ROLE_ARN\"",
        gone.display(),
        env!("CARGO_BIN_EXE_assume-role"),
    );
    let output = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script]));
    assert_ok(&output);
    let out = stdout(&output);
    assert_eq!(
        out,
        format!("eu-west-3 {ADMIN}\neu-west-3 {ADMIN}\nshell eu-west-3 {ADMIN}\n"),
        "{}",
        describe(&output)
    );
}

// ------------------------------------------- item 12: cost with large files

/// CPU seconds (user + system) of `runs` runs of the binary with `args`,
/// as bash's `times` counts its children: a loaded machine changes this far
/// less than wall time.
fn cpu_seconds(env: &TestEnv, args: &[&str], runs: u32) -> f64 {
    let script = format!(
        "for ((i = 0; i < {runs}; i++)); do \"$@\" >/dev/null 2>&1 || exit 97; done; times"
    );
    let output = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script, "bash"])
        .arg(env!("CARGO_BIN_EXE_assume-role"))
        .args(args));
    assert_ok(&output);
    let text = stdout(&output);
    let children = text.lines().nth(1).unwrap_or_else(|| panic!("{text}"));
    children
        .split_whitespace()
        .map(|t| {
            let (m, s) = t.trim_end_matches('s').split_once('m').unwrap();
            m.parse::<f64>().unwrap() * 60.0 + s.parse::<f64>().unwrap()
        })
        .sum()
}

/// A cache hit with a 5,000-section (3.7 MB) ~/.aws/credentials costs about
/// what it costs with a small one: the file is not parsed whole, let alone
/// twice.
#[test]
fn a_cache_hit_costs_little_more_with_a_huge_credentials_file() {
    let user = moto().create_user("huge-credentials");
    let env = TestEnv::new().endpoint(&moto().endpoint()).trusting_work();
    env.write("work/assume-role.yaml", &format!("role_prefix: {PREFIX}\n"));
    let base = user.credentials_section("default");
    env.write("home/.aws/credentials", &base);
    env.key(&["--role", "admin"]);
    const RUNS: u32 = 5;
    let small = cpu_seconds(&env, &["--role", "admin"], RUNS) / f64::from(RUNS);

    let token = "T".repeat(640);
    let mut huge = String::new();
    for i in 0..5000 {
        huge += &format!(
            "[profile-{i}]\naws_access_key_id = AKIA{i:016}\n\
             aws_secret_access_key = {:040}\naws_session_token = {token}\n\n",
            i
        );
    }
    let text = fs::read_to_string(env.credentials_file()).unwrap();
    env.write("home/.aws/credentials", &(huge + &text));
    assert!(fs::metadata(env.credentials_file()).unwrap().len() > 3_600_000);
    env.key(&["--role", "admin"]); // still a hit (same base identity)
    let large = cpu_seconds(&env, &["--role", "admin"], RUNS) / f64::from(RUNS);
    println!(
        "cache hit: {:.1} ms CPU with a small credentials file, {:.1} ms with 3.7 MB",
        small * 1e3,
        large * 1e3
    );
    // Before: 974 ms of CPU in the debug build the tests run (the file was
    // parsed whole, twice); then 26 ms; now 15-20 ms, as only the profiles
    // the lookup needs are parsed.
    assert!(
        large < small + 0.250,
        "a cache hit costs {:.0} ms CPU with a 3.7 MB credentials file, {:.0} ms with a small one",
        large * 1e3,
        small * 1e3
    );
}

/// `roles` and a role resolved through ~/.aws/config cost little more with
/// 20,000 profiles there.
#[test]
fn roles_and_profile_lookups_cost_little_more_with_20000_profiles() {
    let (_, env) = TestEnv::prefixed_user("huge-config");
    env.write("work/assume-role.yaml", "");
    env.write(
        "home/.aws/config",
        &format!("[profile p0]\nrole_arn = {ADMIN}\n"),
    );
    env.key(&["--role", "p0"]);
    const RUNS: u32 = 5;
    let small_roles = cpu_seconds(&env, &["roles"], RUNS) / f64::from(RUNS);
    let small_hit = cpu_seconds(&env, &["--role", "p0"], RUNS) / f64::from(RUNS);
    let mut config = String::new();
    for i in 0..20_000 {
        config += &format!(
            "[profile p{i}]\nrole_arn = {PREFIX}r{i}\nregion = us-east-1\noutput = json\n\n"
        );
    }
    config = config.replacen(&format!("{PREFIX}r0\n"), &format!("{ADMIN}\n"), 1);
    env.write("home/.aws/config", &config);
    let roles = run(env.cmd().arg("roles"));
    assert_ok(&roles);
    assert!(stdout(&roles).lines().count() >= 20_000);
    env.key(&["--role", "p0"]);
    let large_roles = cpu_seconds(&env, &["roles"], RUNS) / f64::from(RUNS);
    let large_hit = cpu_seconds(&env, &["--role", "p0"], RUNS) / f64::from(RUNS);
    println!(
        "roles: {:.1} -> {:.1} ms CPU; hit through a profile: {:.1} -> {:.1} ms CPU",
        small_roles * 1e3,
        large_roles * 1e3,
        small_hit * 1e3,
        large_hit * 1e3
    );
    // Before: 846 ms and 785 ms of CPU in the debug build the tests run
    // (rust-ini parsed the whole file); now about 110 ms and 9 ms.
    assert!(
        large_roles < small_roles + 0.350,
        "roles: {:.0} ms CPU with 20,000 profiles",
        large_roles * 1e3
    );
    assert!(
        large_hit < small_hit + 0.250,
        "hit: {:.0} ms CPU with 20,000 profiles",
        large_hit * 1e3
    );
}
