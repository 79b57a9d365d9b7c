//! The shell integration in real shells: what `assume-role init` prints,
//! evaluated by bash 5.2, zsh 5.9 and fish 3.6, switching roles against one
//! moto server shared by the file (each test has its own IAM user and its
//! own isolated TestEnv). The harness (scripts cut into steps, their
//! transcripts) is `util::sh`.
//!
//! Most tests run in each shell (`per_shell!` at the bottom makes
//! `bash::story`, `zsh::story`, `fish::story`, ...). Run with
//! `cargo test --test it -- shell:: --nocapture` to see every transcript.

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::sh::*;
use crate::util::shared_moto as moto;
use crate::util::*;

const GOOD_CODE: &str = "123456";

// ---------------------------------------------------------------------------
// Tests run in each shell

/// `ar admin`, `ar readonly` (from the base identity, not chained), `ar`
/// alone for the status, `ar -u` back to exactly where we were.
fn story(sh: Sh) {
    let (user, env) = user_env("story", sh, "");
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .dump("before")
        .step("admin", &sh.with_status("ar admin"))
        .show("as-admin", &["AWS_ACCESS_KEY_ID", "ASSUME_ROLE_ARN"])
        .step("readonly", &sh.with_status("ar readonly"))
        .show("as-readonly", &["AWS_ACCESS_KEY_ID", "ASSUME_ROLE_ARN"])
        .step(
            "whoami",
            "aws sts get-caller-identity --query Arn --output text",
        )
        .step("status", "ar")
        .step("unset", &sh.with_status("ar -u"))
        .dump("after")
        .run();
    t.quiet_but(&[]);
    assert_eq!(t.out("init"), "", "{}", sh.name());
    for step in ["admin", "readonly", "unset"] {
        assert_eq!(t.out(step), "rc=0\n", "{}: {step}", sh.name());
    }

    let admin_key = assert_key(sh, &t.var("as-admin", "AWS_ACCESS_KEY_ID"));
    assert_eq!(t.var("as-admin", "ASSUME_ROLE_ARN"), Some(role("admin")));
    let readonly_key = assert_key(sh, &t.var("as-readonly", "AWS_ACCESS_KEY_ID"));
    assert_ne!(readonly_key, admin_key);
    assert_eq!(
        t.var("as-readonly", "ASSUME_ROLE_ARN"),
        Some(role("readonly"))
    );
    // The session is named after the IAM user: assumed from the base
    // identity, not from admin's session.
    assert_eq!(
        t.out("whoami"),
        format!(
            "arn:aws:sts::123456789012:assumed-role/readonly/{}\n",
            user.name
        )
    );
    let status = t.out("status");
    assert!(
        status.contains(&format!("role:    {}\n", role("readonly"))),
        "{}: {status}",
        sh.name()
    );
    // The base is the user's own keys, from before the first switch (the
    // role's keys are set aside, which once left "container or instance
    // metadata").
    assert!(
        status.contains("base:    environment (AWS_ACCESS_KEY_ID)\n"),
        "{}: {status}",
        sh.name()
    );
    assert_same(sh, "after ar -u", &t.dump("after"), &t.dump("before"));
}

/// The base identity from a profile (AWS_PROFILE, keys in the credentials
/// file, none in the environment): `ar` switches away from it, assumes
/// from it again for the next role, and `ar -u` brings AWS_PROFILE back.
fn base_profile(sh: Sh) {
    let (user, env) = user_env("profile", sh, "");
    env.write(
        "home/.aws/credentials",
        &format!(
            "# mine\n[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            user.access_key_id, user.secret_access_key
        ),
    );
    let env = env
        .set_env("AWS_PROFILE", "dev")
        .set_env("AWS_ACCESS_KEY_ID", "")
        .set_env("AWS_SECRET_ACCESS_KEY", "");
    let unset_keys = match sh {
        Sh::Bash | Sh::Zsh => "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
        Sh::Fish => "set -e AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
    };
    let t = Session::new(sh, &env)
        .step("no-keys", unset_keys)
        .step("init", &sh.init(""))
        .dump("before")
        .step("admin", &sh.with_status("ar admin"))
        .step("readonly", &sh.with_status("ar readonly"))
        .show("as-readonly", &["AWS_PROFILE", "ASSUME_ROLE_ARN"])
        .step(
            "whoami",
            "aws sts get-caller-identity --query Arn --output text",
        )
        .step("unset", &sh.with_status("ar -u"))
        .dump("after")
        .run();
    t.quiet_but(&[]);
    for step in ["admin", "readonly", "unset"] {
        assert_eq!(t.out(step), "rc=0\n", "{}: {step}", sh.name());
    }
    let before = t.dump("before");
    assert_eq!(before.get("AWS_PROFILE"), Some("dev"));
    assert_eq!(before.get("AWS_ACCESS_KEY_ID"), None);
    // The profile just written, holding these credentials.
    assert_eq!(
        t.var("as-readonly", "AWS_PROFILE"),
        Some("123456789012-readonly".to_owned())
    );
    assert_eq!(
        t.out("whoami"),
        format!(
            "arn:aws:sts::123456789012:assumed-role/readonly/{}\n",
            user.name
        )
    );
    assert_same(sh, "after ar -u", &t.dump("after"), &before);
}

/// Hostile values of the user's own variables survive `ar admin; ar
/// readonly; ar -u` byte for byte, the unset ones are unset again, and no
/// value is ever run as code.
fn exact_restore(sh: Sh) {
    let (_, env) = user_env("restore", sh, "");
    let pwned = env.root().join("pwned");
    let p = pwned.display();
    let region = format!("it's \"q\" $(touch {p}) `touch {p}` \\ \n two  lines\té 🚀 ");
    let expiration = format!("'$(touch {p})'\"\n");
    let token = "  lead\\n\\\\ trail ''\\'' ; exit 3".to_owned();
    let profile = "pr;of $HOME ${x} %s {} ".to_owned();
    let env = env
        .set_env("AWS_REGION", "eu-west-3")
        .set_env("AWS_DEFAULT_REGION", &region)
        .set_env("AWS_CREDENTIAL_EXPIRATION", &expiration)
        .set_env("AWS_SECURITY_TOKEN", &token)
        .set_env("AWS_DEFAULT_PROFILE", &profile);
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .dump("before")
        .step("admin", "ar admin")
        .dump("as-admin")
        .step("readonly", "ar readonly")
        .step("unset", "ar -u")
        .dump("after")
        .run();
    t.quiet_but(&[]);
    assert!(!pwned.exists(), "{}: a value was run as code", sh.name());

    let before = t.dump("before");
    // The values reached the shell intact (else this test proves nothing).
    assert_eq!(before.get("AWS_DEFAULT_REGION"), Some(region.as_str()));
    assert_eq!(
        before.get("AWS_CREDENTIAL_EXPIRATION"),
        Some(expiration.as_str())
    );
    assert_eq!(before.get("AWS_SECURITY_TOKEN"), Some(token.as_str()));
    assert_eq!(before.get("AWS_DEFAULT_PROFILE"), Some(profile.as_str()));
    for unset in ["AWS_SESSION_TOKEN", "AWS_PROFILE", "ASSUME_ROLE_ARN"] {
        assert_eq!(before.get(unset), None, "{unset}");
    }

    let admin = t.dump("as-admin");
    assert_eq!(admin.get("ASSUME_ROLE_ARN"), Some(role("admin").as_str()));
    assert_eq!(admin.get("AWS_REGION"), Some("eu-west-3"));
    assert_eq!(admin.get("AWS_DEFAULT_REGION"), Some(region.as_str()));
    assert_ne!(admin.get("AWS_SECURITY_TOKEN"), Some(token.as_str()));
    assert_eq!(admin.get("AWS_DEFAULT_PROFILE"), None);
    assert_eq!(admin.env.get("AWS_DEFAULT_REGION"), Some(&region));

    assert_same(sh, "after ar -u", &t.dump("after"), &before);
}

/// The directory hook: untrusted (one notice), allowed (switches, in a
/// subdirectory too), left (exact restore), edited (notice "changed"),
/// denied (silent); a manual `ar` wins over the directory until `ar -u`.
fn directory_hook(sh: Sh) {
    let (_, env) = user_env("hook", sh, "");
    let env = with_project(env);
    let proj = project_dir(&env);
    let arn = &["ASSUME_ROLE_ARN"];
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .dump("before")
        .step("enter-untrusted", "cd \"$PROJ\"")
        .show("untrusted", arn)
        .step("leave-untrusted", "cd \"$OUT\"")
        .step("allow", "assume-role allow \"$PROJ\"")
        .step("enter-sub", "cd \"$PROJ/sub\"")
        .show("in-sub", &["ASSUME_ROLE_ARN", "AWS_ACCESS_KEY_ID"])
        .step("to-top", "cd \"$PROJ\"")
        .show("in-top", &["ASSUME_ROLE_ARN", "AWS_ACCESS_KEY_ID"])
        .step("leave", "cd \"$OUT\"")
        .dump("left")
        .step("edit", "echo '# edited' >> \"$PROJ/assume-role.yaml\"")
        .step("enter-changed", "cd \"$PROJ\"")
        .show("changed", arn)
        .step("deny", "cd \"$OUT\"\nassume-role deny \"$PROJ\"")
        .step("enter-denied", "cd \"$PROJ\"")
        .show("denied", arn)
        .step("reallow", "cd \"$OUT\"\nassume-role allow \"$PROJ\"")
        .step("enter-again", "cd \"$PROJ\"")
        .show("again", arn)
        .step("manual", "ar admin")
        .step("leave-manual", "cd \"$OUT\"")
        .show("still-manual", arn)
        .step("back-manual", "cd \"$PROJ/sub\"")
        .show("manual-inside", arn)
        .step("unset", "cd \"$OUT\"\nar -u")
        .dump("after")
        .run();
    t.quiet_but(&[
        "enter-untrusted",
        "allow",
        "enter-changed",
        "deny",
        "reallow",
    ]);
    let name = sh.name();
    let file = proj.join("assume-role.yaml");

    let notice = t.one_line("enter-untrusted");
    assert!(
        notice.contains(&format!(
            "assume-role allow {}",
            shell_escape::unix::escape(proj.to_string_lossy())
        )),
        "{name}: {notice}"
    );
    assert_eq!(t.var("untrusted", "ASSUME_ROLE_ARN"), None);
    assert_eq!(
        t.one_line("allow"),
        format!("assume-role: trusted {}", file.display())
    );

    assert_eq!(t.var("in-sub", "ASSUME_ROLE_ARN"), Some(role("deploy")));
    let key = assert_key(sh, &t.var("in-sub", "AWS_ACCESS_KEY_ID"));
    // Within the project, the hook keeps what it has.
    assert_eq!(t.vars("in-top"), t.vars("in-sub"), "{name}: {key}");
    assert_same(sh, "after leaving", &t.dump("left"), &t.dump("before"));

    let notice = t.one_line("enter-changed");
    assert!(
        notice.contains("changed") && notice.contains("assume-role allow"),
        "{name}: {notice}"
    );
    assert_eq!(t.var("changed", "ASSUME_ROLE_ARN"), None);
    assert_eq!(
        t.one_line("deny"),
        format!("assume-role: blocked {}", file.display())
    );
    assert_eq!(t.var("denied", "ASSUME_ROLE_ARN"), None);

    assert_eq!(t.var("again", "ASSUME_ROLE_ARN"), Some(role("deploy")));
    assert_eq!(
        t.var("still-manual", "ASSUME_ROLE_ARN"),
        Some(role("admin"))
    );
    assert_eq!(
        t.var("manual-inside", "ASSUME_ROLE_ARN"),
        Some(role("admin"))
    );
    assert_same(sh, "after ar -u", &t.dump("after"), &t.dump("before"));
}

/// A failed `ar` returns non-zero and changes no variable, with or without
/// a role active.
fn failed_switch(sh: Sh) {
    // No assume-role.yaml at all: a bare name is an unknown role.
    let (_, env) = bare_env("failed", sh);
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .dump("before")
        .step("bad-arn", &sh.with_status("ar 'arn:aws:iam::1:role/x'"))
        .dump("after-bad-arn")
        .step("unknown", &sh.with_status("ar admin"))
        .dump("after-unknown")
        .step(
            "full-arn",
            &sh.with_status(&format!("ar {}", role("admin"))),
        )
        .dump("active")
        .step("unknown-active", &sh.with_status("ar readonly"))
        .dump("after-unknown-active")
        .step("unset", "ar -u")
        .dump("after")
        .run();
    t.quiet_but(&["bad-arn", "unknown", "unknown-active"]);
    let name = sh.name();

    assert_eq!(t.out("bad-arn"), "rc=1\n", "{name}");
    assert!(t.one_line("bad-arn").contains("not a role ARN"), "{name}");
    assert_same(sh, "failed ar", &t.dump("after-bad-arn"), &t.dump("before"));
    assert_eq!(t.out("unknown"), "rc=1\n", "{name}");
    assert!(t.one_line("unknown").contains("unknown role"), "{name}");
    assert_same(sh, "failed ar", &t.dump("after-unknown"), &t.dump("before"));

    assert_eq!(t.out("full-arn"), "rc=0\n", "{name}");
    let active = t.dump("active");
    assert_eq!(active.get("ASSUME_ROLE_ARN"), Some(role("admin").as_str()));
    assert_eq!(t.out("unknown-active"), "rc=1\n", "{name}");
    t.one_line("unknown-active");
    assert_same(
        sh,
        "failed ar with a role active",
        &t.dump("after-unknown-active"),
        &active,
    );
    assert_same(sh, "after ar -u", &t.dump("after"), &t.dump("before"));
}

/// Credentials within `refresh_before_expiry` (due as soon as issued here,
/// see [`due_env`]) are refreshed at the next prompt once the hook's time
/// has come, with no user action; `ar -u` still restores exactly.
fn refresh_at_prompt(sh: Sh) {
    let (_sts, _, env) = due_env("refresh", sh, "");
    let show = &["AWS_ACCESS_KEY_ID", "ASSUME_ROLE_ARN"];
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .dump("before")
        .step("admin", "ar admin")
        .show("first", show)
        .step("due", sh.make_due())
        .show("second", show)
        .step("unset", "ar -u")
        .dump("after")
        .run();
    t.quiet_but(&[]);
    let first = assert_key(sh, &t.var("first", "AWS_ACCESS_KEY_ID"));
    let second = assert_key(sh, &t.var("second", "AWS_ACCESS_KEY_ID"));
    assert_ne!(first, second, "{}: not refreshed at the prompt", sh.name());
    assert_eq!(t.var("second", "ASSUME_ROLE_ARN"), Some(role("admin")));
    assert_same(sh, "after ar -u", &t.dump("after"), &t.dump("before"));
}

/// A refresh that fails at a prompt is reported once and retried later
/// (a minute on), not at every prompt: STS unreachable, or the working
/// directory removed. The credentials, still valid, stay.
fn failed_refresh_is_reported_once(sh: Sh) {
    let (_sts, _, env) = due_env("refail", sh, "");
    let dead = match sh {
        Sh::Bash | Sh::Zsh => {
            "export AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_STS=http://127.0.0.1:9 AWS_MAX_ATTEMPTS=1"
        }
        Sh::Fish => {
            "set -gx AWS_ENDPOINT_URL http://127.0.0.1:9; set -gx AWS_ENDPOINT_URL_STS http://127.0.0.1:9; set -gx AWS_MAX_ATTEMPTS 1"
        }
    };
    let show = &["AWS_ACCESS_KEY_ID", "ASSUME_ROLE_ARN"];
    let check = |t: &Transcript| {
        let said = t.said();
        assert!(
            said.len() == 1 && said[0].starts_with("assume-role: "),
            "{}: a failed refresh should be reported once, got {said:#?}",
            sh.name()
        );
        assert_eq!(t.vars("after"), t.vars("before"), "{}", sh.name());
        assert_eq!(t.var("after", "ASSUME_ROLE_ARN"), Some(role("admin")));
    };

    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .step("admin", "ar admin")
        .show("before", show)
        .step("offline", &format!("{dead}; {}", sh.make_due()))
        .step("idle", &sh.prompts(3))
        .show("after", show)
        .run();
    check(&t);

    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .step("admin", "ar admin")
        .show("before", show)
        .step(
            "gone",
            &format!(
                "mkdir \"$HOME/gone\"; cd \"$HOME/gone\"; rmdir \"$HOME/gone\"; {}",
                sh.make_due()
            ),
        )
        .step("idle", &sh.prompts(3))
        .show("after", show)
        .run();
    // A deleted working directory does not stop the refresh (issue 13):
    // only ~/.aws/assume-role.yaml applies there, which a warning says.
    let said = t.said();
    assert!(
        !said.is_empty()
            && said
                .iter()
                .all(|l| l.contains("the working directory no longer exists")),
        "{}: {said:#?}",
        sh.name()
    );
    assert_ne!(
        t.var("after", "AWS_ACCESS_KEY_ID"),
        t.var("before", "AWS_ACCESS_KEY_ID"),
        "{}: not refreshed in a deleted directory",
        sh.name()
    );
    assert_eq!(t.var("after", "ASSUME_ROLE_ARN"), Some(role("admin")));
}

/// With fresh credentials, prompts in the same directory run no process;
/// a `cd` runs the binary once.
fn steady_state(sh: Sh) {
    let (_, env) = user_env("steady", sh, "");
    let log = env.root().join("spy.log");
    let spy = env.write(
        "spy",
        &format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\n", log.display()),
    );
    fs::set_permissions(&spy, fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(&log, "").unwrap();
    fs::create_dir(env.work().join("sub")).unwrap();
    let env = env
        .set_env("SPY", spy.to_str().unwrap())
        .set_env("SPY_LOG", log.to_str().unwrap());
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .step("admin", "ar admin")
        .step("spy", &sh.set_bin("SPY"))
        .step("idle", &sh.prompts(5))
        .step("log-idle", "cat \"$SPY_LOG\"")
        .step("cd", "cd sub")
        .step("log-cd", "cat \"$SPY_LOG\"")
        .step("idle-again", &sh.prompts(3))
        .step("log-end", "cat \"$SPY_LOG\"")
        .run();
    t.quiet_but(&[]);
    assert_eq!(
        t.out("log-idle"),
        "",
        "{}: a prompt ran the binary",
        sh.name()
    );
    let once = format!("__shell {} hook\n", sh.name());
    assert_eq!(t.out("log-cd"), once, "{}", sh.name());
    assert_eq!(t.out("log-end"), once, "{}", sh.name());
}

/// `--cmd awsr` defines `awsr`, and no `ar`.
fn cmd_rename(sh: Sh) {
    let (_, env) = user_env("rename", sh, "");
    let t = Session::new(sh, &env)
        .step("init", &sh.init("--cmd awsr"))
        .step(
            "functions",
            &[sh.has_function("ar"), sh.has_function("awsr")].join("\n"),
        )
        .step("admin", "awsr admin")
        .show("as-admin", &["ASSUME_ROLE_ARN"])
        .step("status", "awsr")
        .step("unset", "awsr -u")
        .show("after", &["ASSUME_ROLE_ARN"])
        .run();
    t.quiet_but(&[]);
    assert_eq!(t.out("functions"), "ar:no\nawsr:yes\n", "{}", sh.name());
    assert_eq!(t.var("as-admin", "ASSUME_ROLE_ARN"), Some(role("admin")));
    assert!(
        t.out("status")
            .starts_with(&format!("role:    {}", role("admin")))
    );
    assert_eq!(t.var("after", "ASSUME_ROLE_ARN"), None);
}

/// `--no-hook` installs no hook: the prompt machinery is as it was, a
/// trusted directory switches nothing, and `ar` still works.
fn no_hook(sh: Sh) {
    let (_, env) = user_env("nohook", sh, "");
    let env = with_project(env);
    let (setup, hooks) = match sh {
        Sh::Bash => (
            "rec() { :; }; PROMPT_COMMAND=rec",
            "declare -p PROMPT_COMMAND",
        ),
        Sh::Zsh => (
            "mine() { :; }; precmd_functions=(mine)",
            "echo \"precmd=${+precmd_functions}:${(j:,:)precmd_functions} \
             chpwd=${+chpwd_functions}:${(j:,:)chpwd_functions}\"",
        ),
        Sh::Fish => (
            "true",
            "functions --handlers-type variable; functions --handlers-type generic",
        ),
    };
    let t = Session::new(sh, &env)
        .step("setup", setup)
        .step("hooks-before", hooks)
        .step("init", &sh.init("--no-hook"))
        .step("hooks-after", hooks)
        .step("hook-function", &sh.has_function("__ar_hook"))
        .step("allow", "assume-role allow \"$PROJ\"")
        .step("enter", "cd \"$PROJ\"")
        .show("entered", &["ASSUME_ROLE_ARN"])
        .step("admin", "ar admin")
        .show("as-admin", &["ASSUME_ROLE_ARN"])
        .step("unset", "ar -u")
        .show("after", &["ASSUME_ROLE_ARN"])
        .run();
    t.quiet_but(&["allow"]);
    assert_eq!(t.out("hooks-after"), t.out("hooks-before"), "{}", sh.name());
    assert_eq!(t.out("hook-function"), "__ar_hook:no\n", "{}", sh.name());
    assert_eq!(t.var("entered", "ASSUME_ROLE_ARN"), None);
    assert_eq!(t.var("as-admin", "ASSUME_ROLE_ARN"), Some(role("admin")));
    assert_eq!(t.var("after", "ASSUME_ROLE_ARN"), None);
}

/// Under a real terminal (tmux), `ar admin` asks for the MFA code on the
/// terminal; a wrong code can be retyped; the good one switches the shell.
fn mfa_prompt(sh: Sh) {
    let sts = FakeSts::start(GOOD_CODE);
    let user = moto().create_user(&format!("mfa-{}", sh.name()));
    let serial = moto().create_virtual_mfa(&user);
    let env = TestEnv::new()
        .with_user(&user)
        .set_env("AWS_ENDPOINT_URL_STS", &sts.endpoint())
        .set_env("AWS_ENDPOINT_URL_IAM", &moto().endpoint())
        .set_env("PATH", &test_path())
        .set_env("LANG", "C.UTF-8");
    env.write(
        "home/.aws/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nmfa_serial: {serial}\n"),
    );
    let argv: &[&str] = match sh {
        Sh::Bash => &["bash", "--norc", "--noprofile"],
        Sh::Zsh => &["zsh", "-f"],
        Sh::Fish => &["fish", "--no-config"],
    };
    let tmux = Tmux::start(&env, argv);
    // `"init-""done"` shows as typed; init-done only once it ran.
    tmux.type_line(&format!("{}; echo \"init-\"\"done\"", sh.init("")));
    tmux.wait_for("init-done");
    tmux.type_line(&sh.with_status("ar admin"));
    tmux.wait_for(&format!("MFA code for {serial}:"));
    tmux.type_line("000000");
    tmux.wait_for(&format!(
        "That code was not accepted. MFA code for {serial}:"
    ));
    tmux.type_line(GOOD_CODE);
    let screen = tmux.wait_until("the status of ar", |screen| {
        screen.lines().any(|l| l.starts_with("rc=") && l.len() > 3)
    });
    assert!(
        screen.lines().any(|l| l == "rc=0"),
        "{}: {screen}",
        sh.name()
    );
    tmux.type_line("echo \"ROLE=$ASSUME_ROLE_ARN\"");
    let screen = tmux.wait_for(&format!("ROLE={}", role("admin")));
    eprintln!(
        "===== {} under tmux =====\n{}",
        sh.name(),
        screen.trim_end()
    );
    assert!(!screen.contains("assume-role:"), "{}: {screen}", sh.name());
    // The codes open an MFA session (one refused, one accepted), which
    // signs the one AssumeRole.
    assert_eq!(sts.count("GetSessionToken"), 2, "one denied, one accepted");
    assert_eq!(sts.count("AssumeRole"), 1);
}

// ---------------------------------------------------------------------------
// A terminal, for the MFA prompt

// ---------------------------------------------------------------------------
// bash and zsh only

/// `set -euo pipefail` (bash) or `setopt err_exit no_unset pipe_fail`
/// (zsh), then the whole tour, refreshing at every prompt: no error, no
/// exit, not even when the hook's call fails (the working directory is
/// removed while a refresh is due).
fn strict_mode(sh: Sh) {
    let (_sts, _, env) = due_env("strict", sh, "");
    let env = with_project(env);
    let strict = match sh {
        Sh::Bash => "set -euo pipefail",
        Sh::Zsh => "setopt err_exit no_unset pipe_fail",
        Sh::Fish => unreachable!(),
    };
    let arn = &["ASSUME_ROLE_ARN"];
    let t = Session::new(sh, &env)
        .step("strict", strict)
        .step("init", &sh.init(""))
        .step("idle", &sh.prompts(2))
        .step("admin", "ar admin")
        .show("as-admin", arn)
        .step("status", "ar")
        .step(
            "gone",
            &format!(
                "mkdir \"$OUT/gone\"; cd \"$OUT/gone\"; rmdir \"$OUT/gone\"; {}",
                sh.make_due()
            ),
        )
        .step("idle-gone", &sh.prompts(2))
        .step("back", "cd \"$OUT\"")
        .show("back-out", arn)
        .step("unset", "ar -u")
        .step("allow", "assume-role allow \"$PROJ\"")
        .step("enter", "cd \"$PROJ/sub\"")
        .show("inside", arn)
        .step("leave", "cd \"$OUT\"")
        .show("outside", arn)
        .step("init-again", &sh.init(""))
        .step("survive", "echo survived")
        .run();
    // The failed refresh says why (how often is another test's concern);
    // nothing else says anything.
    let failing = ["gone", "idle-gone", "back"];
    t.quiet_but(&[&["allow"][..], &failing].concat());
    for step in failing {
        for line in t.err(step).lines() {
            assert!(line.starts_with("assume-role: "), "{}: {line}", sh.name());
        }
    }
    assert_eq!(t.var("as-admin", "ASSUME_ROLE_ARN"), Some(role("admin")));
    assert_eq!(t.var("back-out", "ASSUME_ROLE_ARN"), Some(role("admin")));
    assert_eq!(t.var("inside", "ASSUME_ROLE_ARN"), Some(role("deploy")));
    assert_eq!(t.var("outside", "ASSUME_ROLE_ARN"), None);
    assert_eq!(t.out("survive"), "survived\n");
}

/// An alias named like the function (`ar` is also binutils' archiver)
/// neither breaks the init nor shadows the function.
fn alias_named_like_the_function(sh: Sh) {
    let (_, env) = user_env("alias", sh, "");
    let t = Session::new(sh, &env)
        .step("alias", "alias ar='echo ALIAS'")
        .step("init", &sh.init(""))
        .step("admin", "ar admin")
        .show("as-admin", &["ASSUME_ROLE_ARN"])
        .run();
    t.quiet_but(&[]);
    assert_eq!(t.out("admin"), "", "{}: the alias ran", sh.name());
    assert_eq!(t.var("as-admin", "ASSUME_ROLE_ARN"), Some(role("admin")));
}

#[test]
fn bash_strict_mode() {
    strict_mode(Sh::Bash);
}

#[test]
fn zsh_strict_mode() {
    strict_mode(Sh::Zsh);
}

#[test]
fn bash_alias_named_like_the_function() {
    alias_named_like_the_function(Sh::Bash);
}

#[test]
fn zsh_alias_named_like_the_function() {
    alias_named_like_the_function(Sh::Zsh);
}

// ---------------------------------------------------------------------------
// bash only

/// PROMPT_COMMAND as bash users have it: unset, a string with or without a
/// trailing `;`, an array. Evaluating the init twice adds the hook once;
/// the user's hooks still run and see the `$?` of the command line, both
/// when the hook does nothing and when it runs the binary.
#[test]
fn bash_prompt_command_forms() {
    let (_, env) = user_env("promptcmd", Sh::Bash, "");
    let env = with_project(env);
    let forms = [
        (
            "unset PROMPT_COMMAND",
            "declare -- PROMPT_COMMAND=\"__ar_hook\"",
        ),
        (
            "PROMPT_COMMAND=rec",
            "declare -- PROMPT_COMMAND=\"__ar_hook;rec\"",
        ),
        (
            "PROMPT_COMMAND='rec;'",
            "declare -- PROMPT_COMMAND=\"__ar_hook;rec;\"",
        ),
        (
            "PROMPT_COMMAND=(rec rec2)",
            "declare -a PROMPT_COMMAND=([0]=\"__ar_hook\" [1]=\"rec\" [2]=\"rec2\")",
        ),
    ];
    for (form, declared) in forms {
        let t = Session::new(Sh::Bash, &env)
            .step(
                "setup",
                &format!("rec() {{ __seen=$?; }}; rec2() {{ __seen2=$?; }}; {form}"),
            )
            .step("init", &Sh::Bash.init(""))
            .step("init-again", &Sh::Bash.init(""))
            .step("declared", "declare -p PROMPT_COMMAND")
            .step("false", "false\necho \"seen=${__seen-} ${__seen2-}\"")
            .step(
                "cd-false",
                "cd \"$OUT\"; false\necho \"seen=${__seen-} ${__seen2-} pwd=${__ar_pwd-}\"",
            )
            .step("true", "true\necho \"seen=${__seen-} ${__seen2-}\"")
            .run();
        t.quiet_but(&[]);
        assert_eq!(t.out("declared"), format!("{declared}\n"), "{form}");
        assert_eq!(t.out("declared").matches("__ar_hook").count(), 1, "{form}");
        let out = env.work().join("elsewhere");
        let (seen, seen_true) = match form {
            "unset PROMPT_COMMAND" => (" ", " "),
            "PROMPT_COMMAND=(rec rec2)" => ("1 1", "0 0"),
            _ => ("1 ", "0 "),
        };
        assert_eq!(t.out("false"), format!("seen={seen}\n"), "{form}");
        // The hook ran the binary (it noted the directory), and the user's
        // hooks still saw `false`.
        assert_eq!(
            t.out("cd-false"),
            format!("seen={seen} pwd={}\n", out.display()),
            "{form}"
        );
        assert_eq!(t.out("true"), format!("seen={seen_true}\n"), "{form}");
    }
}

/// A project file is trusted only when every project file in effect is:
/// an untrusted parent (here it would point `role_prefix` at another
/// account) blocks the trusted child, and the notice names the parent.
#[test]
fn bash_untrusted_parent_file_blocks_a_trusted_child() {
    let sh = Sh::Bash;
    let (_, env) = user_env("parent", sh, "");
    let parent = env.work().join("parent");
    let child = parent.join("child");
    fs::create_dir_all(&child).unwrap();
    fs::write(
        parent.join("assume-role.yaml"),
        "role_prefix: arn:aws:iam::999999999999:role/evil-\n",
    )
    .unwrap();
    fs::write(child.join("assume-role.yaml"), "role: deploy\n").unwrap();
    let env = env.set_env("CHILD", child.to_str().unwrap());
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .step("allow-child", "assume-role allow \"$CHILD\"")
        .step("enter", "cd \"$CHILD\"")
        .show("inside", &["ASSUME_ROLE_ARN"])
        .run();
    t.quiet_but(&["allow-child", "enter"]);
    let notice = t.one_line("enter");
    assert!(
        notice.contains(&format!(
            "assume-role allow {}",
            shell_escape::unix::escape(parent.to_string_lossy())
        )),
        "{notice}"
    );
    assert_eq!(t.var("inside", "ASSUME_ROLE_ARN"), None);
}

/// A value of a managed variable that is not UTF-8 (Latin-1 here) cannot
/// be carried exactly, so `ar admin` refuses it with one line naming the
/// variable, and changes nothing: the value is never lost.
#[test]
fn bash_refuses_a_value_that_is_not_utf8_and_changes_nothing() {
    let sh = Sh::Bash;
    let (_, env) = user_env("latin1", sh, "");
    let t = Session::new(sh, &env)
        .env_os(
            "AWS_DEFAULT_PROFILE",
            OsString::from_vec(b"caf\xe9".to_vec()),
        )
        .step("init", &sh.init(""))
        .dump("before")
        .step("admin", &sh.with_status("ar admin"))
        .dump("during")
        .step("unset", "[ -z \"${ASSUME_ROLE_ARN-}\" ] || ar -u")
        .dump("after")
        .run();
    let before = t.dump("before");
    assert!(before.get("AWS_DEFAULT_PROFILE").is_some(), "not set up");
    assert_ne!(
        t.out("admin"),
        "rc=0\n",
        "ar admin took a value it cannot restore"
    );
    t.quiet_but(&["admin"]);
    let line = t.one_line("admin");
    assert!(
        line.contains("AWS_DEFAULT_PROFILE") && line.contains("not valid UTF-8"),
        "{line}"
    );
    assert_same(sh, "refused ar", &t.dump("during"), &before);
    assert_same(sh, "after", &t.dump("after"), &before);
}

// ---------------------------------------------------------------------------
// Lint: the init scripts as files

const FLAG_SETS: &[&[&str]] = &[&[], &["--no-hook"], &["--cmd", "awsr"]];

fn init_output(env: &TestEnv, shell: &str, flags: &[&str]) -> String {
    let out = run(env.cmd().args(["init", shell]).args(flags));
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    stdout(&out)
}

#[test]
fn shellcheck_is_clean_on_the_bash_and_zsh_init() {
    need("shellcheck");
    let env = TestEnv::new();
    for shell in ["bash", "zsh"] {
        for flags in FLAG_SETS {
            let script = init_output(&env, shell, flags);
            let out = run_with_input(
                env.command("shellcheck")
                    .args(["--enable=all", "--shell=bash", "-"]),
                &script,
            );
            assert!(
                out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
                "shellcheck on `init {shell} {}`:\n{}",
                flags.join(" "),
                describe(&out)
            );
        }
    }
}

#[test]
fn fish_no_execute_is_clean_on_the_fish_init() {
    need("fish");
    let env = TestEnv::new();
    let check = |script: &str| {
        let file = env.write("check.fish", script);
        run(env.command("fish").arg("--no-execute").arg(file))
    };
    // The check can fail.
    let broken = check("if true\necho missing end\n");
    assert!(!broken.status.success() && !broken.stderr.is_empty());
    for flags in FLAG_SETS {
        let out = check(&init_output(&env, "fish", flags));
        assert!(
            out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
            "fish --no-execute on `init fish {}`:\n{}",
            flags.join(" "),
            describe(&out)
        );
    }
}

// ---------------------------------------------------------------------------

/// One `#[test]` per shell for each test function: `bash::story`, ...
macro_rules! per_shell {
    ($($test:ident),* $(,)?) => {
        mod bash { $( #[test] fn $test() { super::$test(super::Sh::Bash) } )* }
        mod zsh { $( #[test] fn $test() { super::$test(super::Sh::Zsh) } )* }
        mod fish { $( #[test] fn $test() { super::$test(super::Sh::Fish) } )* }
    };
}

per_shell!(
    story,
    base_profile,
    exact_restore,
    directory_hook,
    failed_switch,
    refresh_at_prompt,
    failed_refresh_is_reported_once,
    steady_state,
    cmd_rename,
    no_hook,
    mfa_prompt,
);

// ---------------------------------------------------------------------------
// The prompt refresh and the user's own changes (issue 13, item 5)

/// After `ar admin`, the user exports another region and a profile, and
/// unsets AWS_DEFAULT_REGION (as a direnv-style hook would): the refresh at
/// the next prompt replaces the credentials and leaves those three as the
/// user set them; `ar -u` still restores exactly what was there before.
fn refresh_keeps_the_users_changes(sh: Sh) {
    let (_sts, _, env) = due_env("refresh-user", sh, "region: eu-west-1\n");
    let change = match sh {
        Sh::Bash | Sh::Zsh => {
            "export AWS_REGION=ap-south-1 AWS_PROFILE=mine; unset AWS_DEFAULT_REGION"
        }
        Sh::Fish => {
            "set -gx AWS_REGION ap-south-1; set -gx AWS_PROFILE mine; set -e AWS_DEFAULT_REGION"
        }
    };
    let show = &[
        "AWS_ACCESS_KEY_ID",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "ASSUME_ROLE_ARN",
    ];
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .dump("before")
        .step("admin", "ar admin")
        .show("switched", show)
        .step("change", change)
        .step("due", sh.make_due())
        .show("refreshed", show)
        .step("unset", "ar -u")
        .dump("after")
        .run();
    t.quiet_but(&[]);
    let name = sh.name();
    let first = assert_key(sh, &t.var("switched", "AWS_ACCESS_KEY_ID"));
    assert_eq!(
        t.var("switched", "AWS_REGION").as_deref(),
        Some("eu-west-1")
    );
    assert_eq!(
        t.var("switched", "AWS_PROFILE").as_deref(),
        Some("123456789012-admin")
    );
    let second = assert_key(sh, &t.var("refreshed", "AWS_ACCESS_KEY_ID"));
    assert_ne!(first, second, "{name}: not refreshed at the prompt");
    assert_ne!(
        t.var("refreshed", "AWS_CREDENTIAL_EXPIRATION"),
        t.var("switched", "AWS_CREDENTIAL_EXPIRATION"),
        "{name}"
    );
    assert_eq!(
        t.var("refreshed", "AWS_REGION").as_deref(),
        Some("ap-south-1"),
        "{name}: the refresh put the switch's region back"
    );
    assert_eq!(
        t.var("refreshed", "AWS_PROFILE").as_deref(),
        Some("mine"),
        "{name}: the refresh put the switch's profile back"
    );
    assert_eq!(
        t.var("refreshed", "AWS_DEFAULT_REGION"),
        None,
        "{name}: the refresh set AWS_DEFAULT_REGION again"
    );
    assert_eq!(t.var("refreshed", "ASSUME_ROLE_ARN"), Some(role("admin")));
    assert_same(sh, "after ar -u", &t.dump("after"), &t.dump("before"));
}

#[test]
fn bash_refresh_keeps_the_users_changes() {
    refresh_keeps_the_users_changes(Sh::Bash);
}

#[test]
fn zsh_refresh_keeps_the_users_changes() {
    refresh_keeps_the_users_changes(Sh::Zsh);
}

#[test]
fn fish_refresh_keeps_the_users_changes() {
    refresh_keeps_the_users_changes(Sh::Fish);
}

// ---------------------------------------------------------------------------
// fish universal variables (issue 13, item 10)

/// Runs a fish session with its configuration, so that universal variables
/// work (`fish --no-config` turns `set -U` into `set -g`); the test
/// environment's XDG_CONFIG_HOME keeps them out of the user's own.
fn run_fish_with_universal_variables(session: &Session) -> Transcript {
    assert_eq!(session.sh, Sh::Fish);
    // With its configuration, fish sets up a terminal (bracketed paste) at
    // the first prompt event: not wanted without one.
    let script = "functions -e __fish_on_interactive\n".to_owned()
        + &session.script
        + &marker(Sh::Fish, "end");
    let output = run_with_input(&mut session.env.command("fish"), &script);
    let transcript = Transcript::parse(session, &output);
    eprintln!("{transcript}");
    assert!(
        output.status.success(),
        "fish exited with {}",
        output.status
    );
    transcript
}

/// Which scopes hold `name`, and whether children see it.
fn fish_scopes(name: &str) -> String {
    format!(
        "set -q -g {name}; and echo global; set -q -U {name}; and echo universal; \
         env | string match -q '{name}=*'; and echo exported; true"
    )
}

/// `set -Ux AWS_PROFILE default`, then `ar admin; ar -u`: no global copy
/// is left to shadow the universal variable, so a later `set -U` is seen.
#[test]
fn fish_restore_leaves_no_global_over_a_universal_variable() {
    let (_, env) = user_env("universal-restore", Sh::Fish, "");
    let mut session = Session::new(Sh::Fish, &env);
    session
        .step("universal", "set -Ux AWS_PROFILE default")
        .step("scopes-before", &fish_scopes("AWS_PROFILE"))
        .step("init", &Sh::Fish.init(""))
        .step("admin", "ar admin")
        .show("as-admin", &["AWS_PROFILE", "ASSUME_ROLE_ARN"])
        .step("unset", "ar -u")
        .step("scopes-after", &fish_scopes("AWS_PROFILE"))
        .show("after", &["AWS_PROFILE"])
        .step("set-universal", "set -U AWS_PROFILE other")
        .show("later", &["AWS_PROFILE"])
        .step("cleanup", "set -e -U AWS_PROFILE");
    let t = run_fish_with_universal_variables(&session);
    t.quiet_but(&[]);
    assert_eq!(t.out("scopes-before"), "universal\nexported\n");
    assert_eq!(
        t.var("as-admin", "AWS_PROFILE").as_deref(),
        Some("123456789012-admin")
    );
    assert_eq!(
        t.out("scopes-after"),
        "universal\nexported\n",
        "ar -u left a global copy of the universal variable"
    );
    assert_eq!(t.var("after", "AWS_PROFILE").as_deref(), Some("default"));
    assert_eq!(t.var("later", "AWS_PROFILE").as_deref(), Some("other"));
}

/// With `write_credentials_file: false` no profile holds the role's keys,
/// so AWS_PROFILE must not reach children beside them. fish exports a
/// universal `AWS_PROFILE` whatever a shell sets (only an exported global
/// hides it), and changing the universal variable would change every fish
/// session: `ar` says so in one line, with the fix, at each switch (not at
/// each refresh); the universal variable itself is left as it was, and the
/// fix it names works.
#[test]
fn fish_universal_profile_beside_a_role_is_reported() {
    let (_sts, _, env) = due_env(
        "universal-profile",
        Sh::Fish,
        "write_credentials_file: false\n",
    );
    let exported = "env | string match 'AWS_PROFILE=*'; true";
    let mut session = Session::new(Sh::Fish, &env);
    session
        .step("universal", "set -Ux AWS_PROFILE default")
        .step("init", &Sh::Fish.init(""))
        .step("admin", "ar admin")
        .show("as-admin", &["AWS_ACCESS_KEY_ID", "ASSUME_ROLE_ARN"])
        .step("scopes-admin", &fish_scopes("AWS_PROFILE"))
        .step("due", Sh::Fish.make_due())
        .show("refreshed", &["AWS_ACCESS_KEY_ID"])
        .step("unset", "ar -u")
        .step("scopes-after", &fish_scopes("AWS_PROFILE"))
        .step("fix", "set -e -U AWS_PROFILE; set -gx AWS_PROFILE default")
        .step("admin-fixed", "ar admin")
        .step("env-fixed", exported)
        .step("unset-fixed", "ar -u")
        .step("env-after", exported);
    let t = run_fish_with_universal_variables(&session);
    t.quiet_but(&["admin"]);
    let warning = t.one_line("admin");
    assert!(
        warning
            .starts_with("assume-role: warning: fish exports the universal variable AWS_PROFILE")
            && warning.contains("set -e -U AWS_PROFILE; set -gx AWS_PROFILE"),
        "{warning}"
    );
    let first = assert_key(Sh::Fish, &t.var("as-admin", "AWS_ACCESS_KEY_ID"));
    assert_eq!(t.var("as-admin", "ASSUME_ROLE_ARN"), Some(role("admin")));
    // No global copy made: the universal variable is as it was.
    assert_eq!(t.out("scopes-admin"), "universal\nexported\n");
    let second = assert_key(Sh::Fish, &t.var("refreshed", "AWS_ACCESS_KEY_ID"));
    assert_ne!(first, second, "not refreshed");
    assert_eq!(t.out("scopes-after"), "universal\nexported\n");
    // With a global instead, `ar` keeps AWS_PROFILE from the role's
    // children, and `ar -u` brings it back.
    assert_eq!(t.out("env-fixed"), "");
    assert_eq!(t.out("env-after"), "AWS_PROFILE=default\n");
}

// ---------------------------------------------------------------------------
// `init --cmd` names (issue 15, defect 3)

/// `init SHELL --cmd NAME` refuses, as a usage error (exit 2, one line,
/// nothing printed to evaluate), a name the integration uses itself (with
/// `--cmd __ar_call` the function called itself forever) or one that is not
/// a function name.
#[test]
fn init_refuses_cmd_names_the_integration_uses() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        for (name, says) in [
            ("__ar_call", "uses itself"),
            ("__ar_hook", "uses itself"),
            ("__ar_complete", "uses itself"),
            ("eval", "uses itself"),
            ("source", "uses itself"),
            ("prompt", "uses itself"),
            ("a;b", "not a valid function name"),
            ("1ar", "not a valid function name"),
            ("", "not a valid function name"),
        ] {
            let out = run(env.cmd().args(["init", shell, "--cmd", name]));
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(2), "{shell} --cmd {name:?}: {err}");
            assert_eq!(stdout(&out), "", "{shell} --cmd {name:?}");
            assert!(
                err.starts_with("assume-role: ") && err.lines().count() == 1 && err.contains(says),
                "{shell} --cmd {name:?}: {err}"
            );
        }
    }
}

/// In a real bash, `eval "$(assume-role init bash --cmd __ar_call)"` after
/// the usual init: before, it replaced the integration's `__ar_call` with a
/// function calling itself (FUNCNEST stops it here instead of a crash), and
/// `ar` never switched again; now nothing is evaluated and `ar` works.
#[test]
fn bash_init_with_a_reserved_cmd_name_leaves_the_integration_working() {
    let (_, env) = user_env("cmd-reserved", Sh::Bash, "");
    let t = Session::new(Sh::Bash, &env)
        .step("init", &Sh::Bash.init(""))
        .step(
            "again",
            &Sh::Bash.with_status("eval \"$(assume-role init bash --cmd __ar_call)\""),
        )
        .step("switch", &Sh::Bash.with_status("FUNCNEST=50; ar admin"))
        .show("as-admin", &["ASSUME_ROLE_ARN"])
        .run();
    t.quiet_but(&["again"]);
    assert!(t.one_line("again").contains("uses itself"));
    assert_eq!(t.out("switch"), "rc=0\n");
    assert_eq!(t.var("as-admin", "ASSUME_ROLE_ARN"), Some(role("admin")));
}

// ---------------------------------------------------------------------------
// What a prompt costs: every process the shell starts, counted by strace

/// The `strace` binary; the test fails when it is not installed.
fn strace_bin() -> &'static str {
    need("strace");
    "strace"
}

/// Process creation as strace logs it: `execve(`, or a fork-like call that
/// is not a thread (`clone` without CLONE_THREAD, `fork`, `vfork`).
fn starts_a_process(line: &str) -> bool {
    let call =
        |name: &str| line.contains(&format!(" {name}(")) || line.contains(&format!("]{name}("));
    if call("execve") || call("execveat") || call("fork") || call("vfork") {
        return true;
    }
    (call("clone") || call("clone3")) && !line.contains("CLONE_THREAD")
}

/// Runs a session in `sh` under `strace -f`: set up (init, `ar admin`, a
/// `cd`), then `prompts` prompts in the same directory between two marker
/// files. Returns the lines of strace's log, between the markers, that
/// start a process: the steady state's cost.
fn processes_per_idle_prompts(sh: Sh, prompts: usize) -> Vec<String> {
    let (_, env) = user_env("prompt-cost", sh, "");
    fs::create_dir(env.work().join("sub")).unwrap();
    let begin = env.root().join("ar-mark-begin");
    let end = env.root().join("ar-mark-end");
    // `true` and `:` are builtins in all three shells: opening the file
    // for the redirection is the marker, and starts no process.
    let touch = |path: &Path| match sh {
        Sh::Fish => format!("true > '{}'", path.display()),
        _ => format!(": > '{}'", path.display()),
    };
    let mut session = Session::new(sh, &env);
    session
        .step("init", &sh.init(""))
        .step("admin", "ar admin")
        .step("cd", "cd sub")
        .show("role", &["ASSUME_ROLE_ARN"])
        .step("warm", &sh.prompts(2))
        .step("begin", &touch(&begin))
        .step("idle", &sh.prompts(prompts))
        .step("end-mark", &touch(&end));
    let script = session.script.clone() + &marker(sh, "end");
    let log = env.root().join("strace.log");
    let shell = sh.command(&env);
    let mut cmd = env.command(strace_bin());
    cmd.args(["-f", "-qq", "-o"])
        .arg(&log)
        .args([
            "-e",
            "trace=execve,execveat,clone,clone3,fork,vfork,openat",
            "--",
        ])
        .arg(shell.get_program())
        .args(shell.get_args());
    let output = run_with_input(&mut cmd, &script);
    let transcript = Transcript::parse(&session, &output);
    assert!(
        output.status.success(),
        "{transcript}\n{}",
        describe(&output)
    );
    transcript.quiet_but(&[]);
    assert_eq!(
        transcript.var("role", "ASSUME_ROLE_ARN"),
        Some(role("admin")),
        "{transcript}"
    );
    let text = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = |path: &Path| {
        let needle = format!("\"{}\"", path.display());
        lines
            .iter()
            .position(|l| l.contains("openat(") && l.contains(&needle))
            .unwrap_or_else(|| panic!("strace never saw {needle} opened:\n{text}"))
    };
    let (from, to) = (at(&begin), at(&end));
    assert!(from < to, "markers out of order:\n{text}");
    // The log between the markers must show the shell at work: the test
    // counts in the right place (the setup steps did start processes).
    assert!(
        lines[..from].iter().any(|l| starts_a_process(l)),
        "strace saw no process at all, so it counts nothing:\n{text}"
    );
    lines[from..to]
        .iter()
        .filter(|l| starts_a_process(l))
        .map(|l| (*l).to_owned())
        .collect()
}

fn prompt_starts_no_process(sh: Sh) {
    const PROMPTS: usize = 20;
    let started = processes_per_idle_prompts(sh, PROMPTS);
    eprintln!(
        "{}: {} processes in {PROMPTS} steady-state prompts",
        sh.name(),
        started.len()
    );
    assert!(
        started.is_empty(),
        "{}: {PROMPTS} prompts in the steady state started {} processes:\n{}",
        sh.name(),
        started.len(),
        started.join("\n")
    );
}

#[test]
fn bash_prompt_starts_no_process() {
    prompt_starts_no_process(Sh::Bash);
}

#[test]
fn zsh_prompt_starts_no_process() {
    prompt_starts_no_process(Sh::Zsh);
}

#[test]
fn fish_prompt_starts_no_process() {
    prompt_starts_no_process(Sh::Fish);
}

// ---------------------------------------------------------------------------
// zsh linted as zsh; PowerShell pinned by snapshots

#[test]
fn zsh_n_is_clean_on_the_zsh_init() {
    need("zsh");
    let env = TestEnv::new();
    let check = |script: &str| {
        let file = env.write("check.zsh", script);
        run(env.command("zsh").args(["-f", "-n"]).arg(file))
    };
    // The check can fail.
    let broken = check("if true; then\necho missing fi\n");
    assert!(!broken.status.success() && !broken.stderr.is_empty());
    for flags in FLAG_SETS {
        let out = check(&init_output(&env, "zsh", flags));
        assert!(
            out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
            "zsh -n on `init zsh {}`:\n{}",
            flags.join(" "),
            describe(&out)
        );
    }
}

/// `init powershell` with each option set is exactly the snapshot in
/// tests/snapshots/ (the binary's path written as `__BIN__`). PowerShell
/// cannot run here, so a change to what it is given must be seen and
/// reviewed: ASSUME_ROLE_UPDATE_SNAPSHOTS=1 rewrites the files.
#[test]
fn powershell_init_matches_its_snapshots() {
    let env = TestEnv::new();
    let update = std::env::var_os("ASSUME_ROLE_UPDATE_SNAPSHOTS").is_some();
    let quoted_bin = format!("'{}'", BIN.replace('\'', "''"));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for (flags, file) in [
        (&[][..], "init-powershell.ps1"),
        (&["--no-hook"][..], "init-powershell-no-hook.ps1"),
        (&["--cmd", "awsr"][..], "init-powershell-cmd-awsr.ps1"),
    ] {
        let got = init_output(&env, "powershell", flags);
        assert!(got.contains(&quoted_bin), "{got}");
        let got = got.replace(&quoted_bin, "'__BIN__'");
        let path = dir.join(file);
        if update {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &got).unwrap();
        }
        let want = fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run ASSUME_ROLE_UPDATE_SNAPSHOTS=1 cargo test --test it \
                 shell::powershell_init_matches_its_snapshots, then review and commit it",
                path.display()
            )
        });
        assert!(
            got == want,
            "`init powershell {}` differs from {}: review the change, then rerun with \
             ASSUME_ROLE_UPDATE_SNAPSHOTS=1\n--- got ---\n{got}",
            flags.join(" "),
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------
// `allow` and `deny` take effect at the next prompt (issue 15, defect 6)

/// In an untrusted project: `assume-role allow`, and at the next prompt,
/// without a `cd`, the role is active; `assume-role deny`, and at the next
/// prompt it is gone. The steady state still runs no process (the shell
/// tests that a mark file `allow`/`deny` remove is there: `steady_state`).
fn allow_takes_effect_at_the_next_prompt(sh: Sh) {
    let (_, env) = user_env("allow-prompt", sh, "");
    let env = with_project(env);
    let arn = &["ASSUME_ROLE_ARN"];
    let t = Session::new(sh, &env)
        .step("init", &sh.init(""))
        .dump("before")
        .step("enter", "cd \"$PROJ\"")
        .show("untrusted", arn)
        .step("allow", "assume-role allow")
        .show("allowed", arn)
        .step("idle", &sh.prompts(2))
        .show("still", arn)
        .step("deny", "assume-role deny")
        .show("denied", arn)
        .step("leave", "cd \"$OUT\"")
        .dump("after")
        .run();
    t.quiet_but(&["enter", "allow", "deny"]);
    let name = sh.name();
    assert!(t.one_line("enter").contains("assume-role allow"), "{name}");
    assert_eq!(t.var("untrusted", "ASSUME_ROLE_ARN"), None);
    assert!(t.one_line("allow").contains("trusted"), "{name}");
    assert_eq!(
        t.var("allowed", "ASSUME_ROLE_ARN"),
        Some(role("deploy")),
        "{name}: allow did not take effect at the next prompt"
    );
    assert_eq!(t.var("still", "ASSUME_ROLE_ARN"), Some(role("deploy")));
    assert!(t.one_line("deny").contains("blocked"), "{name}");
    assert_eq!(
        t.var("denied", "ASSUME_ROLE_ARN"),
        None,
        "{name}: deny did not take effect at the next prompt"
    );
    assert_same(sh, "after deny", &t.dump("after"), &t.dump("before"));
}

#[test]
fn bash_allow_takes_effect_at_the_next_prompt() {
    allow_takes_effect_at_the_next_prompt(Sh::Bash);
}

#[test]
fn zsh_allow_takes_effect_at_the_next_prompt() {
    allow_takes_effect_at_the_next_prompt(Sh::Zsh);
}

#[test]
fn fish_allow_takes_effect_at_the_next_prompt() {
    allow_takes_effect_at_the_next_prompt(Sh::Fish);
}
