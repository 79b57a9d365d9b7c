//! Smoke tests of the shared test support in tests/it/util.rs.

use std::path::Path;

use crate::util::*;
use aws_sdk_sts::error::ProvideErrorMetadata;

#[test]
fn moto_seeds_users_roles_and_mfa_devices() {
    let moto = Moto::start();
    let cmdline = std::fs::read_to_string(format!("/proc/{}/cmdline", moto.pid())).unwrap();
    assert!(
        cmdline.contains("moto_server"),
        "pid is not the server's own: {cmdline:?}"
    );

    let user = moto.create_user("alice");
    assert!(user.arn.ends_with(":user/alice"), "{user:?}");

    let sts = sts_client(
        &moto.endpoint(),
        &user.access_key_id,
        &user.secret_access_key,
    );
    let identity = block_on(sts.get_caller_identity().send()).expect("GetCallerIdentity");
    assert_eq!(identity.arn(), Some(user.arn.as_str()));

    let serial = moto.create_virtual_mfa(&user);
    let iam = iam_client(
        &moto.endpoint(),
        &user.access_key_id,
        &user.secret_access_key,
    );
    let devices =
        block_on(iam.list_mfa_devices().user_name("alice").send()).expect("ListMFADevices");
    let serials: Vec<&str> = devices
        .mfa_devices()
        .iter()
        .map(|d| d.serial_number())
        .collect();
    assert_eq!(serials, [serial.as_str()]);

    assert_eq!(
        moto.create_role("admin"),
        "arn:aws:iam::123456789012:role/admin"
    );
    assert_eq!(
        moto.create_role("team/ops"),
        "arn:aws:iam::123456789012:role/team/ops"
    );

    // After a reset the key is unknown, so moto answers for its default identity.
    moto.reset();
    let identity = block_on(sts.get_caller_identity().send()).expect("GetCallerIdentity");
    assert_ne!(identity.arn(), Some(user.arn.as_str()));

    let pid = moto.pid();
    drop(moto);
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "moto_server still running after drop"
    );
}

#[test]
fn fake_sts_accepts_only_the_good_mfa_code() {
    let fake = FakeSts::start("123456");
    let sts = sts_client(&fake.endpoint(), "AKIAFAKE", "secret");
    let role = "arn:aws:iam::111122223333:role/team/admin";
    let assume_role = |code: Option<&str>| {
        let request = sts.assume_role().role_arn(role).role_session_name("smoke");
        match code {
            Some(code) => request
                .serial_number("arn:aws:iam::123456789012:mfa/alice")
                .token_code(code),
            None => request,
        }
    };

    for (code, message) in [
        (None, "is not authorized"),
        (Some("000000"), "invalid MFA one time pass code"),
    ] {
        let err = block_on(assume_role(code).send()).expect_err("AssumeRole should be denied");
        let err = err.into_service_error();
        assert_eq!(err.code(), Some("AccessDenied"), "{err:?}");
        assert!(
            err.message().unwrap_or_default().contains(message),
            "{err:?}"
        );
    }

    let output =
        block_on(assume_role(Some("123456")).send()).expect("AssumeRole with the good code");
    let creds = output.credentials().expect("credentials");
    assert!(creds.access_key_id().starts_with("ASIA"), "{creds:?}");
    let lifetime = creds.expiration().secs()
        - aws_sdk_sts::primitives::DateTime::from(std::time::SystemTime::now()).secs();
    assert!((3590..=3600).contains(&lifetime), "expires in {lifetime} s");
    let user = output.assumed_role_user().expect("assumed role user");
    assert_eq!(
        user.arn(),
        "arn:aws:sts::111122223333:assumed-role/admin/smoke"
    );

    assert_eq!(fake.count("AssumeRole"), 3);
    assert_eq!(fake.count("GetCallerIdentity"), 0);
}

#[test]
fn aws_cli_runs_in_the_isolated_environment() {
    let moto = Moto::start();
    let user = moto.create_user("bob");
    let env = TestEnv::new().with_user(&user).endpoint(&moto.endpoint());

    let output = run(aws_cli(&env).args(["sts", "get-caller-identity", "--output", "json"]));
    assert_ok(&output);
    let identity: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON output");
    assert_eq!(identity["Arn"], user.arn.as_str());

    // The CLI reads the config file in the temporary home.
    env.write("home/.aws/config", "[profile other]\nregion = eu-west-1\n");
    let env = env.set_env("AWS_PROFILE", "other");
    let output = run(aws_cli(&env).args(["configure", "get", "region"]));
    assert_ok(&output);
    assert_eq!(stdout(&output).trim(), "eu-west-1");
}

#[test]
fn test_env_isolates_the_environment() {
    let env = TestEnv::new()
        .set_env("EXTRA", "1")
        .set_env("AWS_REGION", "eu-west-1");
    assert!(env.work().is_dir() && env.home().is_dir());
    let cmd = env.cmd();
    assert_eq!(cmd.get_program(), env!("CARGO_BIN_EXE_assume-role"));
    assert_eq!(cmd.get_current_dir(), Some(env.work().as_path()));

    let output = run(&mut env.command("env"));
    assert_ok(&output);
    let printed = stdout(&output);
    let mut vars: Vec<&str> = printed.lines().collect();
    vars.sort();
    let root = env.root().display();
    let mut expected = vec![
        "ASSUME_ROLE_ALLOW_SHORT_DURATION=1".into(),
        format!("AWS_CONFIG_FILE={root}/home/.aws/config"),
        "AWS_DEFAULT_REGION=us-east-1".into(),
        "AWS_EC2_METADATA_DISABLED=true".into(),
        "AWS_REGION=eu-west-1".into(),
        format!("AWS_SHARED_CREDENTIALS_FILE={root}/home/.aws/credentials"),
        "EXTRA=1".into(),
        format!("HOME={root}/home"),
        format!("PATH={}", std::env::var("PATH").unwrap()),
        format!("XDG_CACHE_HOME={root}/cache"),
        format!("XDG_CONFIG_HOME={root}/config"),
        format!("XDG_DATA_HOME={root}/data"),
    ];
    expected.sort();
    assert_eq!(vars, expected);

    let written = env.write("home/.aws/credentials", "[default]\n");
    assert_eq!(written, env.credentials_file());
    assert_eq!(std::fs::read_to_string(written).unwrap(), "[default]\n");
}

/// fake_sts.py's GetSessionToken and session-signed AssumeRole, read by
/// botocore (awscli) as the reference client.
#[test]
fn fake_sts_mfa_sessions_work_with_awscli() {
    let fake = FakeSts::start_with("123456", &["--deny-role", "never"]);
    let serial = "arn:aws:iam::123456789012:mfa/alice";
    let base = TestEnv::new()
        .set_env("AWS_ACCESS_KEY_ID", "AKIAFAKEBASE")
        .set_env("AWS_SECRET_ACCESS_KEY", "secret")
        .set_env("AWS_ENDPOINT_URL_STS", &fake.endpoint());
    let session_token = |code: &str| {
        run(aws_cli(&base).args([
            "sts",
            "get-session-token",
            "--serial-number",
            serial,
            "--token-code",
            code,
            "--duration-seconds",
            "900",
            "--output",
            "json",
        ]))
    };
    let denied = session_token("000000");
    assert_fails(&denied);
    assert!(
        stderr(&denied).contains("AccessDenied") && stderr(&denied).contains("invalid MFA"),
        "{}",
        describe(&denied)
    );
    let output = session_token("123456");
    assert_ok(&output);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let c = &json["Credentials"];
    let key = c["AccessKeyId"].as_str().unwrap();
    assert!(key.starts_with("ASIA"), "{json}");

    let session = TestEnv::new()
        .set_env("AWS_ACCESS_KEY_ID", key)
        .set_env(
            "AWS_SECRET_ACCESS_KEY",
            c["SecretAccessKey"].as_str().unwrap(),
        )
        .set_env("AWS_SESSION_TOKEN", c["SessionToken"].as_str().unwrap())
        .set_env("AWS_ENDPOINT_URL_STS", &fake.endpoint());
    let assume = |env: &TestEnv, role: &str| {
        run(aws_cli(env).args([
            "sts",
            "assume-role",
            "--role-arn",
            &format!("arn:aws:iam::123456789012:role/{role}"),
            "--role-session-name",
            "smoke",
            "--output",
            "json",
        ]))
    };
    // Signed by the session: no code needed.
    let output = assume(&session, "admin");
    assert_ok(&output);
    assert!(
        stdout(&output).contains("assumed-role/admin/smoke"),
        "{}",
        describe(&output)
    );
    // Signed by the base keys without a code: denied.
    let output = assume(&base, "admin");
    assert!(
        stderr(&output).contains("AccessDenied"),
        "{}",
        describe(&output)
    );
    let output = assume(&session, "never");
    assert!(
        stderr(&output).contains("AccessDenied"),
        "{}",
        describe(&output)
    );
    // Session keys cannot open another session.
    let output = run(aws_cli(&session).args([
        "sts",
        "get-session-token",
        "--serial-number",
        serial,
        "--token-code",
        "123456",
    ]));
    assert!(
        stderr(&output).contains("Cannot call GetSessionToken with session credentials"),
        "{}",
        describe(&output)
    );
    // Ended sessions are refused as AWS refuses them.
    fake.control("/_expire_sessions");
    let output = assume(&session, "admin");
    assert!(
        stderr(&output).contains("ExpiredToken"),
        "{}",
        describe(&output)
    );

    assert_eq!(fake.count("GetSessionToken"), 3);
    assert_eq!(fake.count("AssumeRole"), 4);
    // The refused session call is turned away before its code is read.
    assert_eq!(fake.count("_codes"), 2);
    assert_eq!(fake.count("_good_codes"), 1);
}
