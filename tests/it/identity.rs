//! Every base identity a user starts from, through the real binary: IAM
//! Identity Center (SSO) in both forms awscli writes, credential_process,
//! role chains in ~/.aws/config, web identity; the cache keeping them apart;
//! `status` naming them; HTTPS_PROXY, NO_PROXY and AWS_CA_BUNDLE through a
//! real intercepting proxy; network failures in the user's words.
//!
//! The SSO portal is tests/support/fake_sso.py (proven against real awscli
//! below); STS and IAM are moto.

use std::path::{Path, PathBuf};

use crate::util::shared_moto as moto;
use crate::util::*;

const START_URL: &str = "https://corp.awsapps.com/start";
const TOKEN: &str = "token-from-aws-sso-login";
const LATER: &str = "2099-01-01T00:00:00Z";
const ADMIN_111: &str = "arn:aws:iam::111111111111:role/admin";

/// SSO profiles: three with `sso_session = corp` differing in account or
/// permission set, one in the legacy form; all with the same start URL.
fn sso_config() -> String {
    format!(
        "[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\
         [profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Dev\n\
         [profile prod]\nsso_session = corp\nsso_account_id = 222222222222\nsso_role_name = Dev\n\
         [profile dev-admin]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Admin\n\
         [profile legacy]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n\
         sso_account_id = 111111111111\nsso_role_name = Dev\n"
    )
}

/// An environment with the SSO profiles, logged in (`aws sso login` done
/// for the session and for the start URL), the portal at `sso`.
fn sso_env(sso: &FakeSso) -> TestEnv {
    let env = TestEnv::new()
        .endpoint(&moto().endpoint())
        .set_env("AWS_ENDPOINT_URL_SSO", &sso.endpoint())
        .set_env("PATH", &venv_path());
    env.write("home/.aws/config", &sso_config());
    write_sso_token(&env.home(), "corp", START_URL, TOKEN, LATER);
    write_sso_token(&env.home(), START_URL, START_URL, TOKEN, LATER);
    env
}

fn portal() -> FakeSso {
    FakeSso::start(&moto().endpoint(), &[TOKEN])
}

/// The role's credentials files in the cache.
fn cached_credentials(env: &TestEnv) -> Vec<PathBuf> {
    let dir = env.cache_dir().join("assume-role");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".creds.json"))
        .collect()
}

/// Print mode for `role` as `profile`: the access key id.
fn key_as(env: &TestEnv, profile: &str, role: &str) -> String {
    let mut cmd = env.cmd();
    cmd.env("AWS_PROFILE", profile).args(["--role", role]);
    let out = run(&mut cmd);
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    let vars: std::collections::BTreeMap<String, String> = parse_vars(&stdout(&out));
    vars["AWS_ACCESS_KEY_ID"].clone()
}

/// The caller ARN `aws sts get-caller-identity` shows in exec mode.
fn caller_as(env: &TestEnv, profile: Option<&str>, args: &[&str]) -> String {
    let mut cmd = env.cmd();
    if let Some(profile) = profile {
        cmd.env("AWS_PROFILE", profile);
    }
    cmd.args(args);
    caller_arn_without_env_keys(cmd)
}

#[test]
fn the_fake_sso_portal_serves_real_awscli_in_both_forms() {
    let sso = portal();
    let env = sso_env(&sso);
    for (profile, account, role) in [
        ("legacy", "111111111111", "Dev"),
        ("dev", "111111111111", "Dev"),
        ("prod", "222222222222", "Dev"),
    ] {
        let out = run(aws_cli(&env).args([
            "sts",
            "get-caller-identity",
            "--profile",
            profile,
            "--query",
            "Arn",
            "--output",
            "text",
        ]));
        assert_ok(&out);
        let arn = stdout(&out);
        let expected = format!("arn:aws:sts::{account}:assumed-role/AWSReservedSSO_{role}_");
        assert!(arn.starts_with(&expected), "{profile}: {arn}");
        assert!(arn.trim_end().ends_with("/alice@example.com"), "{arn}");
    }
    assert_eq!(sso.calls(), 3);
    // A token the portal does not know is refused, and botocore reads the
    // refusal as the portal's UnauthorizedException.
    write_sso_token(&env.home(), "corp", START_URL, "revoked", LATER);
    let out = run(aws_cli(&env).args(["sts", "get-caller-identity", "--profile", "dev"]));
    assert_fails(&out);
    assert!(
        stderr(&out).contains(
            "SSO session associated with this profile has expired or is otherwise invalid"
        ),
        "{}",
        describe(&out)
    );
}

#[test]
fn sso_profiles_are_a_base_in_both_forms_and_name_the_session_after_the_person() {
    let sso = portal();
    let env = sso_env(&sso);
    // AWS_PROFILE, in the sso-session form and the legacy form.
    for profile in ["dev", "legacy"] {
        assert_eq!(
            caller_as(&env, Some(profile), &["--role", ADMIN_111]),
            "arn:aws:sts::111111111111:assumed-role/admin/alice@example.com",
            "{profile}"
        );
    }
    // --source-profile, and source_profile in assume-role.yaml.
    assert_eq!(
        caller_as(&env, None, &["--role", ADMIN, "--source-profile", "prod"]),
        "arn:aws:sts::123456789012:assumed-role/admin/alice@example.com"
    );
    env.write(
        "home/.aws/assume-role.yaml",
        "source_profile: dev-admin\nrole_prefix: arn:aws:iam::123456789012:role/\n",
    );
    assert_eq!(
        caller_as(&env, None, &["--role", "ops"]),
        "arn:aws:sts::123456789012:assumed-role/ops/alice@example.com"
    );
    assert_eq!(sso.calls(), 4, "one GetRoleCredentials per cold call");
}

#[test]
fn a_cache_hit_reads_no_sso_token_and_calls_no_portal() {
    let sso = portal();
    let env = sso_env(&sso);
    let first = key_as(&env, "dev", ADMIN_111);
    assert_eq!(sso.calls(), 1);
    // The login is gone and the portal unreachable: a hit does not care.
    std::fs::remove_dir_all(env.home().join(".aws/sso")).unwrap();
    let env = env.set_env("AWS_ENDPOINT_URL_SSO", "http://127.0.0.1:9");
    assert_eq!(key_as(&env, "dev", ADMIN_111), first);
    assert_eq!(sso.calls(), 1);
}

/// A credential_process helper printing `user`'s keys as Version 1 JSON,
/// counting its runs in `home/runs-NAME`.
fn credential_helper(env: &TestEnv, name: &str, user: &User) -> String {
    let script = env.write(
        &format!("home/bin/{name}"),
        &format!(
            "#!/bin/sh\necho run >> \"$HOME/runs-{name}\"\n\
             printf '{{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}}\\n' '{}' '{}'\n",
            user.access_key_id, user.secret_access_key
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "[profile {name}]\ncredential_process = {} --flag\n",
        script.display()
    )
}

fn runs(env: &TestEnv, name: &str) -> usize {
    std::fs::read_to_string(env.home().join(format!("runs-{name}")))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
fn two_sso_or_credential_process_profiles_never_share_a_cache_entry() {
    let sso = portal();
    let env = sso_env(&sso);
    let (alice, bob) = (
        moto().create_user("process-alice"),
        moto().create_user("process-bob"),
    );
    let config = sso_config()
        + &credential_helper(&env, "vault-a", &alice)
        + &credential_helper(&env, "vault-b", &bob);
    env.write("home/.aws/config", &config);

    // The same role from six bases: six entries, six AssumeRoles.
    let profiles = ["dev", "prod", "dev-admin", "legacy", "vault-a", "vault-b"];
    let keys: Vec<String> = profiles.iter().map(|p| key_as(&env, p, ADMIN)).collect();
    for (i, a) in keys.iter().enumerate() {
        for (j, b) in keys.iter().enumerate().skip(i + 1) {
            assert_ne!(a, b, "{} and {} share an entry", profiles[i], profiles[j]);
        }
    }
    assert_eq!(cached_credentials(&env).len(), 6);
    assert_eq!(sso.calls(), 4);
    assert_eq!((runs(&env, "vault-a"), runs(&env, "vault-b")), (1, 1));

    // And each finds its own entry again, with no portal call or process run.
    let again: Vec<String> = profiles.iter().map(|p| key_as(&env, p, ADMIN)).collect();
    assert_eq!(again, keys);
    assert_eq!(sso.calls(), 4);
    assert_eq!((runs(&env, "vault-a"), runs(&env, "vault-b")), (1, 1));

    // Who the roles were assumed from: each helper's user.
    for (profile, user) in [("vault-a", &alice), ("vault-b", &bob)] {
        assert_eq!(
            caller_as(&env, Some(profile), &["--role", ADMIN, "-f"]),
            format!("arn:aws:sts::123456789012:assumed-role/admin/{}", user.name)
        );
    }
}

#[test]
fn an_expired_or_missing_sso_login_is_one_line_naming_the_fix() {
    let sso = portal();
    let env = sso_env(&sso);
    env.write(
        "home/.aws/config",
        &(sso_config()
            + "[profile chained]\nrole_arn = arn:aws:iam::111111111111:role/x\nsource_profile = legacy\n"),
    );
    let fails = |profile: &str| {
        let mut cmd = env.cmd();
        cmd.env("AWS_PROFILE", profile).args(["--role", ADMIN_111]);
        failure_line(&run(&mut cmd), 1)
    };
    write_sso_token(
        &env.home(),
        "corp",
        START_URL,
        TOKEN,
        "2020-01-01T00:00:00Z",
    );
    write_sso_token(
        &env.home(),
        START_URL,
        START_URL,
        TOKEN,
        "2020-01-01T00:00:00Z",
    );
    assert_eq!(
        fails("dev"),
        "assume-role: the IAM Identity Center (SSO) login for profile dev has expired: \
         run `aws sso login --sso-session corp`"
    );
    assert_eq!(
        fails("legacy"),
        "assume-role: the IAM Identity Center (SSO) login for profile legacy has expired: \
         run `aws sso login --profile legacy`"
    );
    // A chain that ends in SSO names the profile to log in with.
    assert!(
        fails("chained").contains("`aws sso login --profile legacy`"),
        "{}",
        fails("chained")
    );
    std::fs::remove_dir_all(env.home().join(".aws/sso")).unwrap();
    assert_eq!(
        fails("legacy"),
        "assume-role: not logged in to IAM Identity Center (SSO) for profile legacy: \
         run `aws sso login --profile legacy`"
    );
    assert_eq!(
        sso.calls(),
        0,
        "an expired login is known without the portal"
    );
    // Unexpired here, but the portal refuses it (revoked, or expired there).
    write_sso_token(&env.home(), "corp", START_URL, "revoked", LATER);
    assert_eq!(
        fails("dev"),
        "assume-role: the IAM Identity Center (SSO) login for profile dev has expired or was \
         revoked: run `aws sso login --sso-session corp`"
    );
    assert_eq!(sso.calls(), 1);
    assert_eq!(cached_credentials(&env), Vec::<PathBuf>::new());
    assert!(!env.credentials_file().exists(), "credentials file written");
}

#[test]
fn errors_mention_aws_sso_login_only_when_sso_is_involved() {
    let env = TestEnv::new()
        .endpoint(&moto().endpoint())
        .set_env("ASSUME_ROLE_TIMEOUT", "5s");
    env.write(
        "home/.aws/config",
        "[profile broken]\ncredential_process = /bin/false\n\
         [profile loop]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = loop2\n\
         [profile loop2]\nrole_arn = arn:aws:iam::123456789012:role/y\nsource_profile = loop\n",
    );
    for profile in [None, Some("broken"), Some("loop"), Some("missing")] {
        let mut cmd = env.cmd();
        if let Some(profile) = profile {
            cmd.env("AWS_PROFILE", profile);
        }
        cmd.args(["--role", ADMIN]);
        let line = failure_line(&run(&mut cmd), 1);
        assert!(!line.contains("sso"), "{profile:?}: {line}");
        if profile == Some("broken") {
            assert!(line.contains("credential_process"), "{line}");
        } else {
            assert!(line.contains("no usable AWS credentials"), "{line}");
        }
    }
}

#[test]
fn role_profiles_chain_to_keys_sso_or_credential_process() {
    let sso = portal();
    let env = sso_env(&sso);
    let user = moto().create_user("chain-user");
    let helper = credential_helper(&env, "vault", &user);
    env.write(
        "home/.aws/config",
        &(sso_config()
            + &helper
            + "[profile first]\nrole_arn = arn:aws:iam::123456789012:role/first\n\
               source_profile = base\nrole_session_name = me\n\
               [profile second]\nrole_arn = arn:aws:iam::123456789012:role/second\nsource_profile = first\n\
               [profile from-sso]\nrole_arn = arn:aws:iam::123456789012:role/hop\n\
               source_profile = dev\nrole_session_name = via-sso\n\
               [profile from-process]\nrole_arn = arn:aws:iam::123456789012:role/hop\n\
               source_profile = vault\nrole_session_name = via-process\n"),
    );
    env.write("home/.aws/credentials", &user.credentials_section("base"));
    // --role second: its source_profile is itself a role profile.
    assert_eq!(
        caller_as(&env, None, &["--role", "second"]),
        "arn:aws:sts::123456789012:assumed-role/second/me"
    );
    // AWS_PROFILE, --source-profile and yaml source_profile alike.
    assert_eq!(
        caller_as(&env, Some("first"), &["--role", ADMIN]),
        "arn:aws:sts::123456789012:assumed-role/admin/me"
    );
    for (profile, session) in [("from-sso", "via-sso"), ("from-process", "via-process")] {
        assert_eq!(
            caller_as(&env, None, &["--role", ADMIN, "--source-profile", profile]),
            format!("arn:aws:sts::123456789012:assumed-role/admin/{session}")
        );
    }
    assert_eq!(sso.calls(), 1);
    assert_eq!(runs(&env, "vault"), 1);
}

#[test]
fn web_identity_profiles_and_variables_are_a_base() {
    let env = TestEnv::new()
        .endpoint(&moto().endpoint())
        .set_env("PATH", &venv_path());
    let token = env.write("home/token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9.");
    env.write(
        "home/.aws/config",
        &format!(
            "[profile ci]\nrole_arn = arn:aws:iam::123456789012:role/ci\n\
             web_identity_token_file = {}\nrole_session_name = runner-1\n",
            token.display()
        ),
    );
    assert_eq!(
        caller_as(&env, Some("ci"), &["--role", ADMIN]),
        "arn:aws:sts::123456789012:assumed-role/admin/runner-1"
    );
    // As GitHub Actions and EKS set it: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE.
    let env = env
        .set_env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci")
        .set_env("AWS_WEB_IDENTITY_TOKEN_FILE", &token.display().to_string())
        .set_env("AWS_ROLE_SESSION_NAME", "runner-2");
    assert_eq!(
        caller_as(&env, None, &["--role", ADMIN]),
        "arn:aws:sts::123456789012:assumed-role/admin/runner-2"
    );
}

#[test]
fn status_names_where_the_base_identity_comes_from() {
    let sso = portal();
    let env = sso_env(&sso);
    let user = moto().create_user("status-base");
    let helper = credential_helper(&env, "vault", &user);
    env.write(
        "home/.aws/config",
        &(sso_config()
            + &helper
            + "[profile first]\nrole_arn = arn:aws:iam::123456789012:role/first\nsource_profile = base\n"),
    );
    env.write("home/.aws/credentials", &user.credentials_section("base"));
    std::fs::remove_dir_all(env.home().join(".aws/sso")).unwrap();
    let base_line = |profile: Option<&str>, keys: bool| {
        let mut cmd = env.cmd();
        if let Some(profile) = profile {
            cmd.env("AWS_PROFILE", profile);
        }
        if keys {
            cmd.env("AWS_ACCESS_KEY_ID", &user.access_key_id);
        }
        let out = run(cmd.arg("status"));
        assert_ok(&out);
        stdout(&out)
            .lines()
            .find(|l| l.starts_with("base:"))
            .unwrap_or_else(|| panic!("no base line\n{}", describe(&out)))
            .to_owned()
    };
    assert_eq!(
        base_line(Some("dev"), false),
        "base:    profile dev (SSO: account 111111111111, role Dev, sso-session corp)"
    );
    assert_eq!(
        base_line(Some("legacy"), false),
        "base:    profile legacy (SSO: account 111111111111, role Dev)"
    );
    assert_eq!(
        base_line(Some("vault"), false),
        "base:    profile vault (credential_process)"
    );
    assert_eq!(
        base_line(Some("first"), false),
        "base:    profile first (role chain: arn:aws:iam::123456789012:role/first from profile base (keys))"
    );
    assert_eq!(
        base_line(Some("base"), true),
        "base:    environment (AWS_ACCESS_KEY_ID)"
    );
    assert_eq!(runs(&env, "vault"), 0, "status ran the credential_process");
    assert_eq!(sso.calls(), 0);
}

/// The environment for the proxy tests: SDK endpoints left as AWS's own
/// (https), reached through `mitm`; keys of a moto user in `[default]`.
fn proxied_env(mitm: &Mitm, user: &User) -> TestEnv {
    let env = TestEnv::new()
        .set_env("HTTPS_PROXY", &mitm.url())
        .set_env("PATH", &venv_path())
        .set_env("ASSUME_ROLE_TIMEOUT", "20s");
    env.write(
        "home/.aws/credentials",
        &user.credentials_section("default"),
    );
    env
}

#[test]
fn aws_ca_bundle_and_ca_bundle_are_trusted_through_an_intercepting_proxy() {
    let sso = portal();
    let mitm = Mitm::start(&moto().endpoint(), &sso.endpoint());
    let user = moto().create_user("behind-proxy");
    let env = proxied_env(&mitm, &user);

    // Without the proxy's CA: one line saying what to set.
    // (The README quotes this line.)
    let line = failure_line(&run(env.cmd().args(["--role", ADMIN])), 1);
    assert_eq!(
        line,
        "assume-role: cannot find out who you are (sts:GetCallerIdentity): cannot reach STS at \
         https://sts.us-east-1.amazonaws.com: the server's TLS certificate is not trusted (invalid peer \
         certificate: UnknownIssuer); behind a TLS-inspecting proxy, set AWS_CA_BUNDLE (or \
         ca_bundle in the profile) to the proxy's CA certificate"
    );
    assert_eq!(cached_credentials(&env), Vec::<PathBuf>::new());

    // With it, IAM and STS (and awscli in the child) go through the proxy.
    let ca = mitm.ca_cert().display().to_string();
    let bundled = env.set_env("AWS_CA_BUNDLE", &ca);
    assert_eq!(
        caller_as(&bundled, None, &["--role", ADMIN]),
        format!("arn:aws:sts::123456789012:assumed-role/admin/{}", user.name)
    );

    // SSO through the proxy too, with ca_bundle in the profile this time.
    let env = TestEnv::new()
        .set_env("HTTPS_PROXY", &mitm.url())
        .set_env("PATH", &venv_path());
    env.write(
        "home/.aws/config",
        &sso_config().replace(
            "[profile prod]",
            &format!("ca_bundle = {ca}\n[profile prod]"),
        ),
    );
    write_sso_token(&env.home(), "corp", START_URL, TOKEN, LATER);
    let mut cmd = env.cmd();
    cmd.env("AWS_PROFILE", "dev").args(["--role", ADMIN_111]);
    let out = run(&mut cmd);
    assert_ok(&out);
    assert_eq!(sso.calls(), 1, "the portal was reached through the proxy");
}

#[test]
fn no_proxy_is_honoured() {
    let user = moto().create_user("no-proxy");
    let dead = format!("http://127.0.0.1:{}", free_port());
    let env = TestEnv::new()
        .with_user(&user)
        .endpoint(&moto().endpoint())
        .set_env("HTTP_PROXY", &dead)
        .set_env("ASSUME_ROLE_TIMEOUT", "5s");
    let line = failure_line(&run(env.cmd().args(["--role", ADMIN])), 1);
    assert!(line.contains("cannot reach STS"), "{line}");
    let env = env.set_env("NO_PROXY", "127.0.0.1");
    assert_ok(&run(env.cmd().args(["--role", ADMIN])));
}

#[test]
fn network_failures_say_which_endpoint_and_why() {
    let user = moto().create_user("network-words");
    let base = || {
        TestEnv::new()
            .with_user(&user)
            .set_env("ASSUME_ROLE_TIMEOUT", "10s")
    };
    let refused = format!("http://127.0.0.1:{}", free_port());
    let line = failure_line(
        &run(base().endpoint(&refused).cmd().args(["--role", ADMIN])),
        1,
    );
    assert!(
        line.contains(&format!("cannot reach STS at {refused}")),
        "{line}"
    );
    assert!(line.contains("refused"), "{line}");
    assert!(line.contains("AWS_ENDPOINT_URL"), "{line}");
    assert!(!line.contains("dispatch failure"), "{line}");

    let line = failure_line(
        &run(base()
            .endpoint("http://no-such-host.invalid")
            .cmd()
            .args(["--role", ADMIN])),
        1,
    );
    assert!(
        line.contains("cannot reach STS at http://no-such-host.invalid"),
        "{line}"
    );
    assert!(line.contains("DNS"), "{line}");
}

#[test]
fn a_bad_ca_bundle_is_one_line_and_never_a_panic() {
    let user = moto().create_user("bad-bundle");
    let env = TestEnv::new().with_user(&user).endpoint(&moto().endpoint());
    let garbage = env.write("home/garbage.pem", "not a certificate\n");
    let broken = env.write(
        "home/broken.pem",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    for (bundle, says) in [
        (garbage.as_path(), "holds no PEM certificate"),
        (broken.as_path(), "cannot be used"),
        (
            Path::new("/nonexistent/ca.pem"),
            "cannot read the CA bundle",
        ),
    ] {
        let out = run(env
            .cmd()
            .env("AWS_CA_BUNDLE", bundle)
            .args(["--role", ADMIN]));
        let line = failure_line(&out, 1);
        assert!(line.contains(says), "{}: {line}", bundle.display());
    }
}

#[test]
fn a_credential_process_that_runs_assume_role_is_refused_as_the_base() {
    // `credential_process = assume-role credential-process …` as AWS_PROFILE
    // would make each call start another, without end.
    let bin = env!("CARGO_BIN_EXE_assume-role");
    let env = TestEnv::new().endpoint(&moto().endpoint());
    env.write(
        "home/.aws/config",
        &format!(
            "[profile via-ar]\ncredential_process = {bin} credential-process --role {ADMIN}\n"
        ),
    );
    let mut cmd = env.cmd();
    cmd.env("AWS_PROFILE", "via-ar").args(["--role", ADMIN]);
    let line = failure_line(&run(&mut cmd), 1);
    assert!(
        line.contains("profile via-ar gets its credentials from assume-role itself"),
        "{line}"
    );
}

// ------------------------------------------------- found by cargo-mutants

/// A source profile named with `--source-profile` is the base even when it
/// holds no credentials: the call fails naming it, and never falls back to
/// other keys (here a valid user's in the environment).
#[test]
fn a_named_source_profile_without_credentials_never_falls_back_to_other_keys() {
    let user = moto().create_user("empty-source");
    let env = TestEnv::new().with_user(&user).endpoint(&moto().endpoint());
    env.write("home/.aws/config", "[profile empty]\nregion = us-east-1\n");
    let out = run(env
        .cmd()
        .args(["--role", ADMIN, "--source-profile", "empty"]));
    let line = failure_line(&out, 1);
    assert!(line.contains("empty"), "{line}");
    assert_eq!(cached_credentials(&env), Vec::<PathBuf>::new());
}

/// Answers every HTTP request on 127.0.0.1 with `body` (JSON), from a
/// thread; the server's URL and a count of the requests.
fn json_server(body: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            // The request head, up to its blank line, then its body.
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut request_body = vec![0; length];
            let _ = reader.read_exact(&mut request_body);
            count.fetch_add(1, Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, served)
}

/// Serves container credentials (`AWS_CONTAINER_CREDENTIALS_FULL_URI`) with
/// `user`'s keys (and a token, which the SDK requires there and moto
/// ignores); the URL and a request count.
fn container_endpoint(user: &User) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let (url, served) = json_server(format!(
        r#"{{"AccessKeyId":"{}","SecretAccessKey":"{}","Token":"container-token","Expiration":"{LATER}"}}"#,
        user.access_key_id, user.secret_access_key
    ));
    (format!("{url}/creds"), served)
}

/// With nothing in the environment or the files, the base is the container
/// (or instance) credentials of the standard chain, as for awscli: no
/// profile is forced on the SDK.
#[test]
fn container_credentials_are_a_base_when_nothing_else_is_configured() {
    let user = moto().create_user("container-base");
    let (url, served) = container_endpoint(&user);
    let env = TestEnv::new()
        .endpoint(&moto().endpoint())
        .set_env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url)
        .set_env("PATH", &venv_path());
    let arn = caller_as(&env, None, &["--role", ADMIN]);
    assert_eq!(
        arn,
        "arn:aws:sts::123456789012:assumed-role/admin/container-base"
    );
    assert!(served.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

/// The same refusal knows this program by both its names: `assume-role`
/// (as on PATH) while it runs under another, and the name it runs under.
/// Each profile's credential_process would succeed if run (it names a
/// source profile with keys), so only the check stops it.
#[test]
fn a_credential_process_that_runs_assume_role_by_either_name_is_refused() {
    use std::os::unix::fs::symlink;
    let user = moto().create_user("via-either-name");
    let env = TestEnv::new().endpoint(&moto().endpoint());
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_assume-role"));
    let dir = env.root().join("bin");
    std::fs::create_dir(&dir).unwrap();
    let other_name = dir.join("ar-copy");
    std::fs::hard_link(&bin, &other_name)
        .or_else(|_| std::fs::copy(&bin, &other_name).map(drop))
        .unwrap();
    symlink(&bin, dir.join("assume-role")).unwrap();
    env.write("home/.aws/credentials", &user.credentials_section("keys"));
    let then = format!("credential-process --role {ADMIN} --source-profile keys");
    env.write(
        "home/.aws/config",
        &format!(
            "[profile by-name]\ncredential_process = assume-role {then}\n\
             [profile by-path]\ncredential_process = {} {then}\n",
            other_name.display()
        ),
    );
    let path = format!("{}:{}", dir.display(), venv_path());
    for profile in ["by-name", "by-path"] {
        let mut cmd = env.command(&other_name);
        cmd.env("PATH", &path)
            .env("AWS_PROFILE", profile)
            .args(["--role", ADMIN]);
        let line = failure_line(&run(&mut cmd), 1);
        assert!(
            line.contains(&format!(
                "profile {profile} gets its credentials from assume-role itself"
            )),
            "{line}"
        );
    }
}

/// An IAM endpoint that takes the connection and never answers costs one
/// timeout: the call fails naming iam:GetUser, rather than waiting again
/// on another service to find out who the user is.
#[test]
fn a_silent_iam_endpoint_is_one_timeout_naming_get_user() {
    let user = moto().create_user("silent-iam");
    // Connections complete in the backlog; nothing ever reads them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let env = TestEnv::new()
        .with_user(&user)
        .endpoint(&moto().endpoint())
        .set_env(
            "AWS_ENDPOINT_URL_IAM",
            &format!("http://{}", silent.local_addr().unwrap()),
        )
        .set_env("ASSUME_ROLE_TIMEOUT", "2s");
    let line = failure_line(&run(env.cmd().args(["--role", ADMIN])), 1);
    assert!(
        line.contains("iam:GetUser") && line.contains("timed out"),
        "{line}"
    );
    assert_eq!(cached_credentials(&env), Vec::<PathBuf>::new());
    drop(silent);
}

/// An SSO token file that is there but cannot be read is named as such,
/// with the fix: not reported as a login never made.
#[test]
fn an_sso_token_that_cannot_be_read_is_named_not_called_missing() {
    let sso = portal();
    let env = sso_env(&sso);
    let cache = env.home().join(".aws/sso/cache");
    for entry in std::fs::read_dir(&cache).unwrap() {
        // A folder where the token file should be: read_to_string fails.
        let path = entry.unwrap().path();
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
    }
    let mut cmd = env.cmd();
    cmd.env("AWS_PROFILE", "dev").args(["--role", ADMIN_111]);
    let line = failure_line(&run(&mut cmd), 1);
    assert!(
        line.contains("cannot read the SSO token")
            && line.contains(&cache.display().to_string())
            && line.contains("`aws sso login --sso-session corp`"),
        "{line}"
    );
}

/// An sso-session login that has expired but holds a refresh token is left
/// to the SDK, which renews it (SSO OIDC CreateToken, here a local fake)
/// and goes on: no "log in again" for a login that can be renewed.
#[test]
fn an_expired_sso_session_login_with_a_refresh_token_is_renewed() {
    let sso = portal();
    let env = sso_env(&sso);
    let (oidc, renewals) = json_server(format!(
        r#"{{"accessToken":"{TOKEN}","expiresIn":28800,"tokenType":"Bearer"}}"#
    ));
    let env = env.set_env("AWS_ENDPOINT_URL_SSO_OIDC", &oidc);
    write_sso_token(
        &env.home(),
        "corp",
        START_URL,
        "old-token",
        "2020-01-01T00:00:00Z",
    );
    let cache = env.home().join(".aws/sso/cache");
    for entry in std::fs::read_dir(&cache).unwrap() {
        let path = entry.unwrap().path();
        let mut token: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        if token["accessToken"] != "old-token" {
            continue;
        }
        token["refreshToken"] = "refresh-me".into();
        token["clientId"] = "client".into();
        token["clientSecret"] = "secret".into();
        token["registrationExpiresAt"] = LATER.into();
        std::fs::write(&path, token.to_string()).unwrap();
    }
    assert_eq!(key_as(&env, "dev", ADMIN_111).len(), 20);
    assert_eq!(
        renewals.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one CreateToken"
    );
}
