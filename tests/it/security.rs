//! What a cloned repository, a stale variable or a stray flag must not be
//! able to do: run code through completion, write sections into
//! ~/.aws/credentials, get help text evaluated, chain roles, leak a file's
//! content, or hand secrets to children.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::util::shared_moto as moto;
use crate::util::*;

#[test]
fn completion_never_runs_role_names_from_a_cloned_repository() {
    let (_, env) = TestEnv::home_user("sec-completion");
    env.write(
        "work/assume-role.yaml",
        "roles: ['$(touch pwned1)', '`touch pwned2`', 'x;touch pwned3', ok-role]\n",
    );
    // Even a file the user trusted offers only names a role can have.
    assert_ok(&run(env.cmd().arg("allow")));
    let out = run(env.cmd().arg("roles"));
    assert_ok(&out);
    assert_eq!(
        stdout(&out),
        "ok-role\n",
        "only names a role can have are offered"
    );

    let script = format!(
        r#"eval "$({BIN} init bash)"
source <({BIN} completions bash)
PATH="{dir}:$PATH"
COMP_WORDS=(ar ""); COMP_CWORD=1; __ar_complete ar "" ar
printf '%s\n' "${{COMPREPLY[@]}}"
COMP_WORDS=(assume-role --role ""); COMP_CWORD=2; _assume_role_with_roles assume-role "" --role
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        dir = std::path::Path::new(BIN).parent().unwrap().display()
    );
    let out = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .current_dir(env.work()));
    assert_ok(&out);
    assert_eq!(stdout(&out), "ok-role\nok-role\n");
    for file in ["pwned1", "pwned2", "pwned3"] {
        assert!(
            !env.work().join(file).exists(),
            "completion ran code: {file}"
        );
    }
}

#[test]
fn profile_name_prefix_cannot_inject_sections_into_the_credentials_file() {
    let (_, env) = TestEnv::home_user("sec-ini");
    let before = "[default]\nregion = eu-west-1\n";
    env.write("home/.aws/credentials", before);
    env.write(
        "work/assume-role.yaml",
        "profile_name_prefix: \"zz]\\ncredential_process = /bin/sh -c evil\\n[default\"\n",
    );
    // Even from a file the user trusted.
    assert_ok(&run(env.cmd().arg("allow")));
    let out = run(env.cmd().args(["--role", "admin"]));
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(stderr(&out).lines().count(), 1, "{}", describe(&out));
    assert!(
        stderr(&out).contains("profile_name_prefix"),
        "{}",
        describe(&out)
    );
    assert_eq!(fs::read_to_string(env.credentials_file()).unwrap(), before);
}

#[test]
fn help_flags_never_reach_the_shells_eval() {
    let (_, env) = TestEnv::home_user("sec-help");
    for flag in ["--help", "-h"] {
        let out = run(env.cmd().args(["__shell", "bash", "switch", "admin", flag]));
        assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
        assert_eq!(stdout(&out), "", "nothing for eval");
    }
    // In a real shell: `ar admin --help` fails and changes nothing.
    let script = format!(
        r#"eval "$({BIN} init bash --no-hook)"
before=$(env | sort)
ar admin --help 2>/dev/null; echo "rc=$?"
[ "$before" = "$(env | sort)" ] && echo unchanged
"#
    );
    let out = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script]));
    assert_eq!(stdout(&out), "rc=2\nunchanged\n", "{}", describe(&out));
    assert!(
        fs::read_dir(env.cache_dir().join("assume-role")).map_or(true, |d| d
            .filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().ends_with(".creds.json"))),
        "no role was assumed"
    );
}

#[test]
fn the_profile_written_for_the_active_role_is_never_a_base_identity() {
    // Inside a role's environment (as exec mode or `ar` leaves it), with the
    // role's awscli profile named by AWS_PROFILE: the next call must start
    // from the user's own identity ([default]), not from that profile.
    let (user, env) = TestEnv::home_user("sec-chain");
    env.write(
        "home/.aws/credentials",
        &format!(
            "{}\n[123456789012-admin]\naws_access_key_id = AKIAOTHERKEYS000000\n\
             aws_secret_access_key = other\n",
            user.credentials_section("default")
        ),
    );
    let mut cmd = env.cmd();
    cmd.env("ASSUME_ROLE_ARN", format!("{PREFIX}admin"))
        .env("AWS_PROFILE", "123456789012-admin")
        .args(["--role", "other"]);
    assert_eq!(
        caller_arn_without_env_keys(cmd),
        format!("arn:aws:sts::123456789012:assumed-role/other/{}", user.name),
        "not assumed from the user's own identity"
    );
}

#[test]
fn an_untrusted_symlinked_config_never_shows_its_target() {
    let (_, env) = TestEnv::home_user("sec-symlink");
    let secret = env.write(
        "home/.ssh/id_key",
        "-----BEGIN KEY----- SECRET-CONTENT-XYZ\n",
    );
    let project = env.work().join("project");
    fs::create_dir_all(&project).unwrap();
    symlink(&secret, project.join("assume-role.yaml")).unwrap();
    let out = run(env
        .cmd()
        .args(["__shell", "bash", "hook"])
        .current_dir(&project));
    assert_ok(&out);
    assert_eq!(switched(&out), "");
    assert!(!stderr(&out).contains("SECRET"), "{}", describe(&out));
    assert!(!stderr(&out).contains("BEGIN"), "{}", describe(&out));
}

#[test]
fn the_saved_environment_is_not_exported_even_under_set_a() {
    let (user, env) = TestEnv::home_user("sec-allexport");
    let script = format!(
        r#"set -a
eval "$({BIN} init bash --no-hook)"
ar admin
env
"#
    );
    let out = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script]));
    assert_ok(&out);
    let children_see = stdout(&out);
    assert!(
        children_see.contains("ASSUME_ROLE_ARN="),
        "{}",
        describe(&out)
    );
    for state in ["__ar_orig=", "__ar_state=", "__ar_refresh_at="] {
        assert!(
            !children_see.lines().any(|l| l.starts_with(state)),
            "shell state exported: {state}"
        );
    }
    assert!(
        !children_see.contains(&user.secret_access_key),
        "the base identity's secret reaches the role's children"
    );
}

#[test]
fn the_mfa_code_is_not_handed_to_the_command() {
    let (_, env) = TestEnv::home_user("sec-mfa-env");
    let out = run(env
        .cmd()
        .env("ASSUME_ROLE_MFA_TOKEN", "123456")
        .args(["--role", "admin", "--", "env"]));
    assert_ok(&out);
    assert!(
        !stdout(&out).contains("ASSUME_ROLE_MFA_TOKEN"),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_link_to_a_trusted_file_is_not_trusted_itself() {
    let (_, env) = TestEnv::home_user("sec-borrow");
    // One repository: the link stays inside it, so it is read.
    fs::create_dir_all(env.work().join(".git")).unwrap();
    env.write("work/prod/assume-role.yaml", "role: prod-admin\n");
    let evil = env.work().join("evil");
    fs::create_dir_all(&evil).unwrap();
    symlink(
        env.work().join("prod/assume-role.yaml"),
        evil.join("assume-role.yaml"),
    )
    .unwrap();
    assert_ok(&run(env.cmd().args(["allow"]).arg(env.work().join("prod"))));

    let hook =
        |dir: &std::path::Path| run(env.cmd().args(["__shell", "bash", "hook"]).current_dir(dir));
    let out = hook(&env.work().join("prod"));
    assert!(
        stdout(&out).contains("role/prod-admin"),
        "{}",
        describe(&out)
    );
    let out = hook(&evil);
    assert_ok(&out);
    assert_eq!(
        switched(&out),
        "",
        "the link borrowed the trust of its target"
    );
    assert!(
        stderr(&out).contains("is not trusted"),
        "{}",
        describe(&out)
    );
}

#[test]
fn a_users_own_profile_named_like_a_role_profile_is_kept() {
    // Inside a role's environment, AWS_PROFILE=prod-admin is the user's own
    // profile (it ends like the role's, but it is not the one written).
    let (user, env) = TestEnv::home_user("sec-own-profile");
    env.write(
        "home/.aws/credentials",
        &user.credentials_section("prod-admin"),
    );
    let mut cmd = env.cmd();
    cmd.env("ASSUME_ROLE_ARN", format!("{PREFIX}admin"))
        .env("AWS_PROFILE", "prod-admin")
        .args(["--role", "other"]);
    assert_eq!(
        caller_arn_without_env_keys(cmd),
        format!("arn:aws:sts::123456789012:assumed-role/other/{}", user.name)
    );
}

/// A cross-account role's ExternalId reaches STS from each place it can be
/// set: the flag, `external_id` in assume-role.yaml, and the profile in
/// ~/.aws/config. STS is tests/support/fake_sts.py, which denies
/// AssumeRole, as AWS does, unless ExternalId is the role's (moto ignores
/// it); IAM (for the session name) is moto.
#[test]
fn external_id_is_sent_to_sts_from_flag_config_and_profile() {
    const ID: &str = "ext-Id-7781";
    let user = moto().create_user("sec-external-id");
    let sts = FakeSts::start_with("123456", &["--no-mfa", "--external-id", ID]);
    let env = TestEnv::new()
        .with_user(&user)
        .endpoint(&moto().endpoint())
        .set_env("AWS_ENDPOINT_URL_STS", &sts.endpoint());
    env.write(
        "home/.aws/config",
        &format!("[profile partner]\nrole_arn = {PREFIX}partner\nexternal_id = {ID}\n"),
    );
    let assume = |args: &[&str]| run(env.cmd().args(args));

    // Without it, the role is denied: the test can fail.
    let line = failure_line(&assume(&["--role", &format!("{PREFIX}vendor")]), 1);
    assert!(line.contains("AccessDenied"), "{line}");
    let line = failure_line(
        &assume(&[
            "--role",
            &format!("{PREFIX}vendor"),
            "--external-id",
            "wrong",
        ]),
        1,
    );
    assert!(line.contains("AccessDenied"), "{line}");
    assert_eq!(sts.count("AssumeRole"), 2);

    let out = assume(&["--role", &format!("{PREFIX}vendor"), "--external-id", ID]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("AWS_ACCESS_KEY_ID=ASIA"),
        "{}",
        describe(&out)
    );

    // The profile's, before a role_prefix would take the name.
    assert_ok(&assume(&["--role", "partner"]));

    env.write(
        "home/.aws/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nexternal_id: {ID}\n"),
    );
    assert_ok(&assume(&["--role", "supplier"]));
    assert_eq!(sts.count("AssumeRole"), 5, "each one a call of its own");
}

/// The trust of each project file, as `status --json` reports it.
fn trust_of(env: &TestEnv, dir: &str) -> Vec<(String, String)> {
    let out = run(env
        .cmd()
        .arg("status")
        .arg("--json")
        .current_dir(env.root().join(dir)));
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    json["config_files"]
        .as_array()
        .unwrap_or_else(|| panic!("no config_files: {json}"))
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["trust"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// allow records a file's path and the SHA-256 of its content, in a 0600
/// store: an edit revokes it, deny blocks it, allowing again restores it;
/// another project's file is never trusted along with it.
#[test]
fn trust_follows_allow_edit_deny_and_allow_again() {
    use sha2::Digest;
    let env = TestEnv::new();
    let a = env.write("work/a/assume-role.yaml", "role: deploy\n");
    env.write("work/b/assume-role.yaml", "role: deploy\n");
    let one = |dir: &str| {
        let files = trust_of(&env, dir);
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].1.clone()
    };
    let trust = |verb: &str, dir: &str| {
        let out = run(env.cmd().arg(verb).arg(env.root().join(dir)));
        assert_ok(&out);
        stderr(&out)
    };
    assert_eq!(one("work/a"), "not trusted");

    let said = trust("allow", "work/a");
    assert_eq!(said, format!("assume-role: trusted {}\n", a.display()));
    assert_eq!(one("work/a"), "trusted");
    assert_eq!(one("work/b"), "not trusted", "b trusted along with a");
    let store = env.root().join("data/assume-role/trust.json");
    let mode = fs::metadata(&store).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "trust store mode {mode:o}");
    let recorded: serde_json::Value = serde_json::from_slice(&fs::read(&store).unwrap()).unwrap();
    let sha: String = sha2::Sha256::digest(b"role: deploy\n")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        recorded["allowed"][a.to_str().unwrap()],
        serde_json::Value::String(sha),
        "{recorded}"
    );

    fs::write(&a, "role: deploy\n# edited\n").unwrap();
    assert_eq!(one("work/a"), "changed since allowed");
    trust("allow", "work/a");
    assert_eq!(one("work/a"), "trusted");

    let said = trust("deny", "work/a");
    assert_eq!(said, format!("assume-role: blocked {}\n", a.display()));
    assert_eq!(one("work/a"), "blocked");
    trust("allow", "work/a");
    assert_eq!(one("work/a"), "trusted");
    assert_eq!(one("work/b"), "not trusted");
}

/// A trust store that cannot be read is an error naming it, never an
/// empty store that `allow` would then write over (forgetting every deny).
/// A link to itself cannot be read (ELOOP) but could be replaced.
#[test]
fn an_unreadable_or_corrupt_trust_store_is_one_line_naming_it() {
    let env = TestEnv::new();
    env.write("work/assume-role.yaml", "role: deploy\n");
    let store = env.root().join("data/assume-role/trust.json");
    fs::create_dir_all(store.parent().unwrap()).unwrap();
    symlink("trust.json", &store).unwrap();
    let line = failure_line(&run(env.cmd().arg("allow")), 1);
    assert!(
        line.contains(&store.display().to_string()) && line.contains("cannot read"),
        "{line}"
    );
    assert!(
        fs::symlink_metadata(&store)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the unreadable store was written over"
    );
    fs::remove_file(&store).unwrap();
    fs::write(&store, "{not json").unwrap();
    let line = failure_line(&run(env.cmd().arg("deny")), 1);
    assert!(
        line.contains(&store.display().to_string()) && line.contains("corrupt"),
        "{line}"
    );
}

// ------------------------------------------- project files: reading, trust

/// Print mode's `--role` argument for a role of the test account.
fn arn(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// The lines of stderr that are warnings, and whether every line is one.
fn warnings(out: &std::process::Output) -> Vec<String> {
    let err = stderr(out);
    for line in err.lines() {
        assert!(
            line.starts_with("assume-role: warning: "),
            "not a warning: {line:?}\n{}",
            describe(out)
        );
    }
    err.lines().map(str::to_owned).collect()
}

/// 13.2: a clone's assume-role.yaml that links to a key outside the
/// repository is never read, in any mode: one warning and the call works;
/// `allow` refuses it. A link within the repository is a file like any.
#[test]
fn a_link_out_of_its_repository_is_never_read_in_any_mode() {
    let (_, env) = TestEnv::home_user("sec-link-out");
    let key = env.write(
        "home/.ssh/id_ed25519",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-KEY-MATERIAL\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    let repo = env.work().join("clone");
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::create_dir_all(repo.join("sub")).unwrap();
    symlink(&key, repo.join("assume-role.yaml")).unwrap();
    let admin = arn("admin");
    let modes: [&[&str]; 5] = [
        &["--role", &admin, "--", "true"],
        &["--role", &admin],
        &["credential-process", "--role", &admin],
        &["roles"],
        &["status"],
    ];
    for args in modes {
        let out = run(env.cmd().args(args).current_dir(repo.join("sub")));
        assert_ok(&out);
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !all.contains("SECRET-KEY-MATERIAL") && !all.contains("BEGIN OPENSSH"),
            "{args:?} showed the key\n{}",
            describe(&out)
        );
        if args[0] == "status" {
            assert_eq!(stderr(&out), "", "{}", describe(&out));
            assert!(stdout(&out).contains("(not read)"), "{}", describe(&out));
        } else {
            let warned = warnings(&out);
            assert_eq!(warned.len(), 1, "{args:?}\n{}", describe(&out));
            assert!(
                warned[0].contains("symlink leading outside its repository"),
                "{}",
                warned[0]
            );
        }
    }
    let out = run(env.cmd().arg("allow").current_dir(&repo));
    let line = failure_line(&out, 1);
    assert!(
        !line.contains("SECRET") && line.contains("symlink"),
        "{line}"
    );

    // A link to a file of the repository itself is read, once allowed.
    fs::remove_file(repo.join("assume-role.yaml")).unwrap();
    fs::write(repo.join("team.yaml"), "region: eu-west-3\n").unwrap();
    symlink("../team.yaml", repo.join("sub/assume-role.yaml")).unwrap();
    assert_ok(&run(env.cmd().arg("allow").current_dir(repo.join("sub"))));
    let out = run(env
        .cmd()
        .args(["--role", "admin"])
        .current_dir(repo.join("sub")));
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    assert!(
        stdout(&out).contains("\nAWS_REGION=eu-west-3\n"),
        "{}",
        describe(&out)
    );
}

/// 13.2: what a broken file holds never reaches the message: file, line,
/// key and the kind of problem only.
#[test]
fn no_config_error_quotes_the_files_content() {
    let (_, env) = TestEnv::home_user("sec-quote");
    let files = [
        env.write(
            "home/.ssh/id_ed25519",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-KEY-MATERIAL\n-----END OPENSSH PRIVATE KEY-----\n",
        ),
        env.write(
            "home/.git-credentials",
            "https://me:SECRET-TOKEN@git.example.com\n",
        ),
        env.write("elsewhere/a.yaml", "region: [SECRET-1]\n"),
        env.write("elsewhere/b.yaml", "role: {SECRET-2: x}\n"),
        env.write("elsewhere/c.yaml", "duration: SECRET-3\n"),
    ];
    for file in &files {
        let out = run(env
            .cmd()
            .arg("--config")
            .arg(file)
            .args(["--role", "admin"]));
        let line = failure_line(&out, 1);
        assert!(!line.contains("SECRET"), "{line}");
        assert!(line.contains(&file.display().to_string()), "{line}");
    }
    let out = run(env
        .cmd()
        .arg("--config")
        .arg(&files[2])
        .args(["--role", "admin"]));
    assert!(
        failure_line(&out, 1).ends_with("line 1: expected a string for `region`"),
        "{}",
        describe(&out)
    );
}

/// 13.3: small hostile files (aliases that expand to gigabytes, nesting by
/// the hundred thousand, a hundred thousand role names) cost neither time
/// nor memory, trusted or not, in the hook, completion, status and print
/// mode. Each call runs with 1 GiB of address space and must end on its
/// own (0, or 1 with one line) well within 10 s; they took 2 GB and an
/// abort, and 12–20 s (release) or minutes (debug), before.
#[test]
fn hostile_yaml_is_bounded_in_time_and_memory() {
    let (_, env) = TestEnv::home_user("sec-bounds");
    let aliases = |size: usize| {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        let mut i = 1;
        while text.len() < size {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text += &format!("a{i}: &a{i} [{refs}]\n");
            i += 1;
        }
        text
    };
    let deep = |n: usize| format!("roles: {}{}\n", "[".repeat(n), "]".repeat(n));
    let names = |n: usize| {
        let list: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
        format!("roles: [{}]\n", list.join(", "))
    };
    let cases = [
        ("aliases-160k", aliases(160_000)),
        ("aliases-60k", aliases(60_000)),
        ("deep-200k", deep(100_000)),
        ("deep-60k", deep(30_000)),
        ("block-60k", format!("roles:\n{}x\n", "- ".repeat(30_000))),
        ("names-100000", names(100_000)),
        ("names-64k", names(9_000)),
    ];
    let admin = arn("admin");
    for (name, text) in &cases {
        let dir = env.work().join(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("assume-role.yaml"), text).unwrap();
        for trusted in [false, true] {
            let modes: [&[&str]; 4] = [
                &["__shell", "bash", "hook"],
                &["roles"],
                &["status"],
                &["--role", &admin],
            ];
            for args in modes {
                let mut cmd = env.cmd();
                cmd.args(args).current_dir(&dir);
                if trusted {
                    cmd.env("ASSUME_ROLE_TRUSTED_PATHS", &dir);
                }
                // SAFETY: setrlimit is async-signal-safe.
                unsafe {
                    cmd.pre_exec(|| {
                        let limit = libc::rlimit {
                            rlim_cur: 1 << 30,
                            rlim_max: 1 << 30,
                        };
                        libc::setrlimit(libc::RLIMIT_AS, &limit);
                        Ok(())
                    });
                }
                let started = std::time::Instant::now();
                let out = run(&mut cmd);
                let took = started.elapsed();
                let what = format!("{name}, trusted: {trusted}, {args:?}");
                assert!(
                    matches!(out.status.code(), Some(0 | 1)),
                    "{what}: {}",
                    describe(&out)
                );
                assert!(
                    stderr(&out).lines().count() <= 1,
                    "{what}: {}",
                    describe(&out)
                );
                assert!(took.as_secs() < 10, "{what}: took {took:?}");
                if text.len() as u64 > 64 * 1024 && args == ["roles"] {
                    assert!(
                        stderr(&out).contains("is larger than 64 KiB"),
                        "{what}: {}",
                        describe(&out)
                    );
                }
            }
        }
    }
}

/// A directory name that tries everything a terminal obeys: a title (OSC 0),
/// a clipboard write (OSC 52), clearing the screen, a C1 CSI, a bidi
/// override and a forged line of its own.
const HOSTILE_NAME: &str = "x\x1b]0;pwned\x07\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\u{9b}31m\u{202e}lmay.exe\nassume-role: switched to role admin";

/// No raw control character, and none of the name's own lines.
fn assert_escaped(what: &str, text: &str) {
    for c in ['\x1b', '\x07', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(c), "{what}: raw {c:?} in {text:?}");
    }
    assert!(
        !text.contains("\nassume-role: switched"),
        "{what}: a forged line in {text:?}"
    );
}

/// 13.4: paths, names and values reach the terminal with their control
/// characters escaped visibly: the trust notice, `allow`/`deny`, `status`,
/// YAML errors, warnings and role errors.
#[test]
fn control_characters_in_messages_are_escaped_visibly() {
    let (_, env) = TestEnv::home_user("sec-escape");
    let dir = env.work().join(HOSTILE_NAME);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("assume-role.yaml"), "role: deploy\nrolez: 1\n").unwrap();
    let in_dir = |args: &[&str]| run(env.cmd().args(args).current_dir(&dir));
    let visible = "x\\x1b]0;pwned\\x07\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1b[2J\\u{9b}31m\\u{202e}lmay.exe\\nassume-role: switched";

    let out = in_dir(&["__shell", "bash", "hook"]);
    assert_ok(&out);
    assert_escaped("trust notice", &stderr(&out));
    assert!(stderr(&out).contains(visible), "{}", describe(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", describe(&out));

    for action in ["deny", "allow"] {
        let out = in_dir(&[action]);
        assert_ok(&out);
        assert_escaped(action, &stderr(&out));
        assert!(stderr(&out).contains(visible), "{}", describe(&out));
    }
    // Trusted now: the hook switches, and warns of the unknown key.
    let out = in_dir(&["__shell", "bash", "hook"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("role/deploy"), "{}", describe(&out));
    assert_escaped("warning", &stderr(&out));
    assert!(stderr(&out).contains(visible), "{}", describe(&out));

    let out = in_dir(&["status"]);
    assert_ok(&out);
    assert_escaped("status", &stdout(&out));
    assert!(stdout(&out).contains(visible), "{}", describe(&out));

    fs::write(dir.join("assume-role.yaml"), "region: [unclosed\n").unwrap();
    assert_ok(&in_dir(&["allow"]));
    let out = in_dir(&["--role", "admin"]);
    let line = failure_line(&out, 1);
    assert_escaped("YAML error", &line);
    assert!(line.contains(visible), "{line}");

    let none = env.write("elsewhere/empty.yaml", "");
    let out = run(env
        .cmd()
        .arg("--config")
        .arg(&none)
        .args(["--role", "\x1b]0;pwned\x07\u{202e}x"]));
    let line = failure_line(&out, 1);
    assert_escaped("role error", &line);
}

/// `name`'s uid and gid, creating the user (no home, no shell) if needed.
fn local_user(name: &str) -> (u32, u32) {
    let id = |flag: &str| {
        let out = Command::new("id").args([flag, name]).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<u32>()
            .ok()
    };
    if id("-u").is_none() {
        // Another test may create it at the same time: check again after.
        let _ = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/usr/sbin/nologin", name])
            .output()
            .expect("useradd is missing: apt-get install passwd");
    }
    (
        id("-u").unwrap_or_else(|| panic!("cannot create the local user {name}")),
        id("-g").unwrap(),
    )
}

fn chown(path: &std::path::Path, (uid, gid): (u32, u32)) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
}

/// 13.7: a file planted by another account in a shared folder (1777) is
/// ignored with one warning, never a failure, for the users below it:
/// unreadable (0600) or not, it decides nothing; a root-owned file the user
/// cannot read is a warning too.
#[test]
fn another_users_file_in_a_shared_folder_breaks_nothing_below_it() {
    assert_eq!(
        geteuid(),
        0,
        "this test acts as two local users: run it as root (CI does), or with sudo"
    );
    let victim = local_user("ar-test-victim");
    let planter = local_user("ar-test-planter");
    let (_, env) = TestEnv::home_user("sec-shared");
    let mode = |path: &std::path::Path, mode: u32| {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap()
    };
    mode(env.root(), 0o755);
    for dir in ["cache", "data", "config"] {
        fs::create_dir_all(env.root().join(dir)).unwrap();
        chown(&env.root().join(dir), victim);
    }
    for entry in ["home", "home/.aws", "home/.aws/assume-role.yaml"] {
        chown(&env.root().join(entry), victim);
    }
    let shared = env.root().join("shared");
    fs::create_dir(&shared).unwrap();
    mode(&shared, 0o1777);
    let mine = shared.join("mine");
    fs::create_dir(&mine).unwrap();
    chown(&mine, victim);
    let planted = shared.join("assume-role.yaml");
    fs::write(
        &planted,
        "role_prefix: arn:aws:iam::999999999999:role/\nroles: [planted]\n",
    )
    .unwrap();

    let as_victim = |args: &[&str]| {
        let mut cmd = env.command("setpriv");
        cmd.args([
            &format!("--reuid={}", victim.0),
            &format!("--regid={}", victim.1),
            "--clear-groups",
            "--",
            BIN,
        ])
        .args(args)
        .current_dir(&mine);
        run(&mut cmd)
    };
    let admin = arn("admin");
    for (owner, file_mode, warning) in [
        (planter, 0o600, "belongs to another user"),
        (planter, 0o644, "belongs to another user"),
        ((0, 0), 0o600, "cannot be read (permission denied)"),
    ] {
        chown(&planted, owner);
        mode(&planted, file_mode);
        let modes: [&[&str]; 5] = [
            &["--role", &admin, "--", "true"],
            &["--role", "admin"],
            &["credential-process", "--role", &admin],
            &["roles"],
            &["status"],
        ];
        for args in modes {
            let out = as_victim(args);
            let what = format!("{owner:?} {file_mode:o} {args:?}");
            assert_ok(&out);
            if args[0] == "status" {
                assert_eq!(stderr(&out), "", "{what}\n{}", describe(&out));
                assert!(stdout(&out).contains("(not read)"), "{what}");
                continue;
            }
            let warned = warnings(&out);
            assert_eq!(warned.len(), 1, "{what}\n{}", describe(&out));
            assert!(warned[0].contains(warning), "{what}: {}", warned[0]);
            assert!(!stdout(&out).contains("999999999999"), "{what}");
            assert!(!stdout(&out).contains("planted"), "{what}");
        }
        let out = as_victim(&["--role", "admin"]);
        assert!(
            stdout(&out).contains(&format!("ASSUME_ROLE_ARN={admin}\n")),
            "{}",
            describe(&out)
        );
    }
}

/// 13.11: entering a trusted project prints each of its warnings once.
#[test]
fn a_trusted_projects_warnings_are_printed_once_per_directory_change() {
    let (_, env) = TestEnv::home_user("sec-once");
    let proj = env.work().join("proj");
    env.write(
        "work/proj/assume-role.yaml",
        "role: deploy\nrole_prefx: x\n",
    );
    assert_ok(&run(env.cmd().arg("allow").current_dir(&proj)));
    let out = run(env
        .cmd()
        .args(["__shell", "bash", "hook"])
        .current_dir(&proj));
    assert_ok(&out);
    assert!(stdout(&out).contains("role/deploy"), "{}", describe(&out));
    let warned = warnings(&out);
    assert_eq!(warned.len(), 1, "{}", describe(&out));
    assert!(warned[0].contains("\"role_prefx\""), "{}", warned[0]);
}

/// 15.1: concurrent `allow` and `deny` of 40 directories lose nothing.
#[test]
fn concurrent_allows_and_denies_lose_nothing() {
    let env = TestEnv::new();
    let dirs: Vec<(std::path::PathBuf, &str)> = (0..40)
        .map(|i| {
            let action = if i % 2 == 0 { "allow" } else { "deny" };
            let dir = env.work().join(format!("p{i}"));
            fs::create_dir_all(&dir).unwrap();
            fs::write(dir.join("assume-role.yaml"), "region: eu-west-1\n").unwrap();
            (dir, action)
        })
        .collect();
    let children: Vec<_> = dirs
        .iter()
        .map(|(dir, action)| {
            env.cmd()
                .arg(action)
                .arg(dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
    }
    for (dir, action) in &dirs {
        let out = run(env.cmd().args(["status", "--json"]).current_dir(dir));
        assert_ok(&out);
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let trust = json["config_files"][0]["trust"].as_str().unwrap_or("");
        let expected = if *action == "allow" {
            "trusted"
        } else {
            "blocked"
        };
        assert_eq!(trust, expected, "{} was lost", dir.display());
    }
}

/// 15.2: a cloned repository's file redirects no mode: an untrusted
/// `role_prefix` is skipped with one line saying how to trust it; once
/// allowed (or under ASSUME_ROLE_TRUSTED_PATHS) it applies.
#[test]
fn an_untrusted_project_file_decides_nothing_in_any_mode() {
    let (_, env) = TestEnv::home_user("sec-redirect");
    let clone = env.work().join("clone");
    let text = "role_prefix: arn:aws:iam::999999999999:role/\nroles: [evil]\n";
    env.write("work/clone/assume-role.yaml", text);
    let advice = format!(
        "assume-role allow {}",
        shell_escape::unix::escape(clone.to_string_lossy())
    );
    let in_clone = |args: &[&str]| run(env.cmd().args(args).current_dir(&clone));
    let one_notice = |out: &std::process::Output| {
        assert_ok(out);
        let warned = warnings(out);
        assert_eq!(warned.len(), 1, "{}", describe(out));
        assert!(
            warned[0].contains("is not trusted") && warned[0].contains(&advice),
            "{}",
            warned[0]
        );
    };

    let out = in_clone(&["--role", "admin"]);
    one_notice(&out);
    assert!(
        stdout(&out).contains(&format!("ASSUME_ROLE_ARN={}\n", arn("admin"))),
        "{}",
        describe(&out)
    );
    let out = in_clone(&["--role", "admin", "--", "sh", "-c", "echo $ASSUME_ROLE_ARN"]);
    one_notice(&out);
    assert_eq!(stdout(&out), format!("{}\n", arn("admin")));
    one_notice(&in_clone(&["credential-process", "--role", "admin"]));
    let out = in_clone(&["roles"]);
    one_notice(&out);
    assert!(!stdout(&out).contains("evil"), "{}", describe(&out));

    assert_ok(&in_clone(&["allow"]));
    let out = in_clone(&["--role", "admin"]);
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    assert!(stdout(&out).contains("ASSUME_ROLE_ARN=arn:aws:iam::999999999999:role/admin\n"));

    let ci = env.work().join("ci");
    env.write("work/ci/assume-role.yaml", text);
    let out = run(env
        .cmd()
        .args(["roles"])
        .env(
            "ASSUME_ROLE_TRUSTED_PATHS",
            format!("/nowhere:{}", ci.display()),
        )
        .current_dir(ci.join(".")));
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    assert!(stdout(&out).contains("evil\n"), "{}", describe(&out));
}

/// 13.4 in a real terminal (tmux, with `set-clipboard on`): the trust
/// notice and `status` in a directory whose name sets the title and the
/// clipboard change neither.
#[test]
fn a_hostile_directory_name_sets_no_title_and_no_clipboard_in_tmux() {
    let (_, env) = TestEnv::home_user("sec-tmux");
    let dir = env.work().join(HOSTILE_NAME);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("assume-role.yaml"), "role: deploy\n").unwrap();
    let tmux = Tmux::start_in(&env, &dir, &["bash", "--norc", "--noprofile"]);
    tmux.tmux(&["set-option", "-s", "set-clipboard", "on"]);
    let title_before = tmux.tmux(&["display-message", "-p", "#{pane_title}"]);
    tmux.type_line(&format!(
        "{BIN} status; {BIN} __shell bash hook; echo DONE-\"\"MARK"
    ));
    let screen = tmux.wait_for("DONE-MARK");
    assert!(screen.contains("is not trusted"), "{screen}");
    let title = tmux.tmux(&["display-message", "-p", "#{pane_title}"]);
    assert_eq!(title, title_before, "the directory name set the title");
    let buffers = tmux.tmux(&["list-buffers"]);
    assert_eq!(buffers, "", "the directory name wrote the clipboard");
}

/// What a hook call told the shell besides its trust mark (which it sets at
/// every call, so that `allow` and `deny` take effect at the next prompt).
fn switched(out: &std::process::Output) -> String {
    stdout(out)
        .lines()
        .filter(|line| !line.starts_with("declare -g __ar_trust_mark="))
        .map(|line| format!("{line}\n"))
        .collect()
}

// ------------------------------------------------- found by cargo-mutants

/// An environment whose home, cache and data folders belong to the local
/// user `ar-test-victim` (created if needed), and that user's ids. Needs
/// root, as CI runs.
fn victims_env(test: &str) -> (TestEnv, (u32, u32)) {
    assert_eq!(
        geteuid(),
        0,
        "this test acts as another local user: run it as root (CI does), or with sudo"
    );
    let victim = local_user("ar-test-victim");
    let (_, env) = TestEnv::home_user(test);
    fs::set_permissions(env.root(), fs::Permissions::from_mode(0o755)).unwrap();
    for dir in ["cache", "data", "config"] {
        fs::create_dir_all(env.root().join(dir)).unwrap();
        chown(&env.root().join(dir), victim);
    }
    for entry in ["home", "home/.aws", "home/.aws/assume-role.yaml"] {
        chown(&env.root().join(entry), victim);
    }
    (env, victim)
}

/// The binary with `args`, run as the user `(uid, gid)` (setpriv).
fn as_user(env: &TestEnv, (uid, gid): (u32, u32), args: &[&str]) -> std::process::Command {
    let mut cmd = env.command("setpriv");
    cmd.args([
        &format!("--reuid={uid}"),
        &format!("--regid={gid}"),
        "--clear-groups",
        "--",
        BIN,
    ])
    .args(args);
    cmd
}

/// A project file whose folder the user cannot search (a working directory
/// entered before losing the right to it) is not silently taken for
/// absent: one warning says it could not be read.
#[test]
fn a_project_file_that_cannot_be_looked_at_is_a_warning_not_silence() {
    let (env, victim) = victims_env("sec-unsearchable");
    // Root's folder, closed to the user, as the user's working directory.
    let locked = env.root().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).unwrap();
    let file = locked.join("assume-role.yaml");
    fs::write(&file, "roles: [planted]\n").unwrap();

    let mut cmd = as_user(&env, victim, &["roles"]);
    cmd.current_dir(&locked);
    let out = run(&mut cmd);
    assert_ok(&out);
    let warned = warnings(&out);
    assert_eq!(warned.len(), 1, "{}", describe(&out));
    assert!(
        warned[0].contains(&file.display().to_string())
            && warned[0].contains("cannot be read (permission denied)"),
        "{}",
        warned[0]
    );
    assert!(!stdout(&out).contains("planted"), "{}", describe(&out));
}

/// The 64 KiB bound on a config file is exact: a file of 64 KiB is read to
/// its last byte, one of 64 KiB and one byte is refused.
#[test]
fn a_config_file_of_64_kib_is_read_whole_and_one_byte_more_is_refused() {
    let (_, env) = TestEnv::home_user("sec-64k");
    let tail = "region: eu-west-1";
    let exact = |size: usize| {
        let pad = size - tail.len() - 2;
        format!("#{}\n{tail}", "x".repeat(pad))
    };
    let file = env.work().join("limit.yaml");
    let admin = arn("admin");
    fs::write(&file, exact(64 * 1024)).unwrap();
    assert_eq!(fs::metadata(&file).unwrap().len(), 64 * 1024);
    let out = run(env
        .cmd()
        .arg("--config")
        .arg(&file)
        .args(["--role", &admin]));
    assert_ok(&out);
    assert!(
        stdout(&out).contains("\nAWS_REGION=eu-west-1\n"),
        "{}",
        describe(&out)
    );

    fs::write(&file, exact(64 * 1024 + 1)).unwrap();
    let out = run(env
        .cmd()
        .arg("--config")
        .arg(&file)
        .args(["--role", &admin]));
    let line = failure_line(&out, 1);
    assert!(line.contains("is larger than 64 KiB"), "{line}");
}

/// A file whose size is not known before it is read (a /proc file says 0)
/// is bounded all the same: more than 64 KiB is refused, not cut short.
#[test]
fn a_config_file_of_unknown_size_is_bounded_while_read() {
    let (_, env) = TestEnv::home_user("sec-proc");
    let out = run(env.cmd().env("AR_TEST_BULK", "x".repeat(70_000)).args([
        "--config",
        "/proc/self/environ",
        "--role",
        &arn("admin"),
    ]));
    let line = failure_line(&out, 1);
    assert!(line.contains("is larger than 64 KiB"), "{line}");
}

/// The scan that refuses anchors and aliases before parsing is not ended
/// by a `#` inside a value (YAML's comments start after a blank), and
/// names the line it stopped at.
#[test]
fn an_anchor_after_a_hash_inside_a_value_is_refused_naming_its_line() {
    let (_, env) = TestEnv::home_user("sec-hash-anchor");
    let file = env.write(
        "work/anchors.yaml",
        "region: us-east-1\nroles: [x#y, &a z, *a]\n",
    );
    let out = run(env
        .cmd()
        .arg("--config")
        .arg(&file)
        .args(["--role", &arn("admin")]));
    let line = failure_line(&out, 1);
    assert!(
        line.contains(&format!("{}: line 2: anchors and aliases", file.display())),
        "{line}"
    );
}

/// 100 `[` or `{` are allowed, 101 are refused, naming the line.
#[test]
fn a_hundred_flow_openers_are_allowed_and_one_more_is_refused() {
    let (_, env) = TestEnv::home_user("sec-openers");
    // In a comment that holds a quote, which the scan reads too.
    let text = |n: usize| format!("region: us-east-1\n# \"{}\n", "[".repeat(n));
    let file = env.work().join("openers.yaml");
    let admin = arn("admin");
    let call = || {
        run(env
            .cmd()
            .arg("--config")
            .arg(&file)
            .args(["--role", &admin]))
    };
    fs::write(&file, text(100)).unwrap();
    let out = call();
    assert_ok(&out);
    fs::write(&file, text(101)).unwrap();
    let line = failure_line(&call(), 1);
    assert!(
        line.contains(&format!("{}: line 2: too many", file.display())),
        "{line}"
    );
}

/// `--config` names a file that is missing as missing, and one that cannot
/// be opened (a link to itself) as unreadable, saying why.
#[test]
fn an_explicit_config_file_missing_or_unreadable_is_told_apart() {
    let (_, env) = TestEnv::home_user("sec-explicit-missing");
    let admin = arn("admin");
    let missing = env.work().join("missing.yaml");
    let line = failure_line(
        &run(env
            .cmd()
            .arg("--config")
            .arg(&missing)
            .args(["--role", &admin])),
        1,
    );
    assert!(
        line.contains(&format!("config file {} does not exist", missing.display())),
        "{line}"
    );
    let looped = env.work().join("looped.yaml");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let line = failure_line(
        &run(env
            .cmd()
            .arg("--config")
            .arg(&looped)
            .args(["--role", &admin])),
        1,
    );
    assert!(
        line.contains(&format!("cannot read {}", looped.display()))
            && !line.contains("does not exist"),
        "{line}"
    );
}

/// A project file that is a link is judged by the repository of the
/// folder it sits in, not of the working directory: a link above the
/// current repository, to a file beside it in the same (unversioned)
/// folder, is used.
#[test]
fn a_link_is_judged_by_the_repository_of_its_own_folder() {
    let (_, env) = TestEnv::home_user("sec-link-folder");
    let env = env.trusting_work();
    let repo = env.work().join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    let real = env.write("work/shared/real.yaml", "roles: [from-the-link]\n");
    std::os::unix::fs::symlink(&real, env.work().join("assume-role.yaml")).unwrap();
    let out = run(env.cmd().arg("roles").current_dir(&repo));
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    assert!(stdout(&out).contains("from-the-link"), "{}", describe(&out));
}

/// A key left empty is unset, a bare number is seconds, and a negative
/// number is refused naming the key (not taken for unset).
#[test]
fn empty_keys_are_unset_numbers_are_seconds_and_negative_ones_are_refused() {
    let (_, env) = TestEnv::home_user("sec-values");
    let file = env.work().join("values.yaml");
    let admin = arn("admin");
    let call = || {
        run(env
            .cmd()
            .arg("--config")
            .arg(&file)
            .args(["--role", &admin]))
    };
    fs::write(&file, "role_prefix:\nduration:\nregion: eu-west-1\n").unwrap();
    let out = call();
    assert_ok(&out);
    assert!(
        stdout(&out).contains("\nAWS_REGION=eu-west-1\n"),
        "{}",
        describe(&out)
    );
    fs::write(&file, "duration: 900\n").unwrap();
    assert_ok(&call());
    fs::write(&file, "refresh_before_expiry: -60\n").unwrap();
    let line = failure_line(&call(), 1);
    assert!(
        line.contains("expected a duration") && line.contains("`refresh_before_expiry`"),
        "{line}"
    );
}

/// `mfa_session_duration` in a file is read, and checked against AWS's
/// bounds before anything is sent.
#[test]
fn mfa_session_duration_from_a_file_is_checked() {
    let (_, env) = TestEnv::home_user("sec-mfa-duration");
    let file = env.write("work/short.yaml", "mfa_session_duration: 10m\n");
    let out = run(env
        .cmd()
        .arg("--config")
        .arg(&file)
        .args(["--role", &arn("admin")]));
    let line = failure_line(&out, 2);
    assert!(
        line.contains("mfa_session_duration 10m is out of range"),
        "{line}"
    );
}

/// Flags and the role list left empty are unset, as other keys are.
#[test]
fn empty_flags_and_role_lists_are_unset() {
    let (_, env) = TestEnv::home_user("sec-empty-flags");
    let file = env.write(
        "work/empty.yaml",
        "write_credentials_file:\nserve:\nmfa_session:\nroles:\n",
    );
    let out = run(env
        .cmd()
        .arg("--config")
        .arg(&file)
        .args(["--role", &arn("admin")]));
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
}

/// A user's own project file is used when the user is not root: "another
/// user's" means another uid than the one running, not any uid but root's.
#[test]
fn a_non_root_users_own_project_file_is_used() {
    let (env, victim) = victims_env("sec-own-file");
    let mine = env.root().join("mine");
    fs::create_dir(&mine).unwrap();
    chown(&mine, victim);
    let file = mine.join("assume-role.yaml");
    fs::write(&file, "roles: [victims-own]\n").unwrap();
    chown(&file, victim);

    let mut cmd = as_user(&env, victim, &["roles"]);
    cmd.env("ASSUME_ROLE_TRUSTED_PATHS", &mine)
        .current_dir(&mine);
    let out = run(&mut cmd);
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    assert!(stdout(&out).contains("victims-own"), "{}", describe(&out));
}
