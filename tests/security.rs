//! What a cloned repository, a stale variable or a stray flag must not be
//! able to do: run code through completion, write sections into
//! ~/.aws/credentials, get help text evaluated, chain roles, leak a file's
//! content, or hand secrets to children.

mod common;

use std::fs;
use std::os::unix::fs::symlink;

use common::shared_moto as moto;
use common::*;

const PREFIX: &str = "arn:aws:iam::123456789012:role/";
const BIN: &str = env!("CARGO_BIN_EXE_assume-role");

/// A user of their own against the shared moto, role_prefix in ~/.aws.
fn user_env(name: &str) -> (TestEnv, User) {
    let user = moto().create_user(name);
    let path = venv_path();
    let env = TestEnv::new()
        .with_user(&user)
        .endpoint(&moto().endpoint())
        .set_env("PATH", &path);
    env.write(
        "home/.aws/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\n"),
    );
    (env, user)
}

#[test]
fn completion_never_runs_role_names_from_a_cloned_repository() {
    let (env, _) = user_env("sec-completion");
    env.write(
        "work/assume-role.yaml",
        "roles: ['$(touch pwned1)', '`touch pwned2`', 'x;touch pwned3', ok-role]\n",
    );
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
    let (env, _) = user_env("sec-ini");
    let before = "[default]\nregion = eu-west-1\n";
    env.write("home/.aws/credentials", before);
    env.write(
        "work/assume-role.yaml",
        "profile_name_prefix: \"zz]\\ncredential_process = /bin/sh -c evil\\n[default\"\n",
    );
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
    let (env, _) = user_env("sec-help");
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
    let (env, user) = user_env("sec-chain");
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
    let (env, _) = user_env("sec-symlink");
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
    assert_eq!(stdout(&out), "");
    assert!(!stderr(&out).contains("SECRET"), "{}", describe(&out));
    assert!(!stderr(&out).contains("BEGIN"), "{}", describe(&out));
}

#[test]
fn the_saved_environment_is_not_exported_even_under_set_a() {
    let (env, user) = user_env("sec-allexport");
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
    let (env, _) = user_env("sec-mfa-env");
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
    let (env, _) = user_env("sec-borrow");
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
        stdout(&out),
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
    let (env, user) = user_env("sec-own-profile");
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
    use std::os::unix::fs::PermissionsExt;
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
