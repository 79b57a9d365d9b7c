//! `--serve`: the loopback credential endpoint, with real clients (awscli,
//! boto3) in the child. STS is tests/support/expiring_sts.py, whose
//! credentials really expire (moto's never do) and whose GetCallerIdentity
//! checks the signature, the token and the expiry; IAM (the session name)
//! is moto. The user keeps IAM keys in `[default]` of ~/.aws/credentials,
//! as the seed's users do, and none in the environment.

use std::fs;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::util::*;
use serde_json::Value;

const ADMIN_ARN: &str = "arn:aws:sts::123456789012:assumed-role/admin/";

/// tests/support/expiring_sts.py. Killed on drop.
struct ExpiringSts(Fake);

impl ExpiringSts {
    /// Every credential it issues lives `ttl` seconds.
    fn start(ttl: u32) -> ExpiringSts {
        Self::start_with(ttl, &[])
    }

    fn start_with(ttl: u32, args: &[&str]) -> ExpiringSts {
        let ttl = ttl.to_string();
        let args = [&["--ttl", ttl.as_str()], args].concat();
        ExpiringSts(Fake::start("expiring_sts.py", &args))
    }

    fn endpoint(&self) -> String {
        self.0.endpoint()
    }

    /// Every STS request so far: (action, access key, HTTP status).
    fn calls(&self) -> Vec<(String, String, u64)> {
        let body = self.0.get("/_calls");
        let calls: Vec<Value> = serde_json::from_str(&body).unwrap();
        calls
            .iter()
            .map(|c| {
                (
                    c["action"].as_str().unwrap().to_owned(),
                    c["key"].as_str().unwrap().to_owned(),
                    c["status"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    /// The keys that signed successful calls of `action`, in order.
    fn keys(&self, action: &str) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|(a, _, status)| a == action && *status == 200)
            .map(|(_, key, _)| key)
            .collect()
    }
}

/// One test's world: a moto user whose keys are in `[default]` of the
/// credentials file, its own expiring STS, and `role_prefix` plus a short
/// `refresh_before_expiry` (the fake's credentials live seconds).
struct World {
    user: User,
    sts: ExpiringSts,
    env: TestEnv,
}

fn world(name: &str, ttl: u32) -> World {
    world_with(name, ExpiringSts::start(ttl))
}

fn world_with(name: &str, sts: ExpiringSts) -> World {
    let user = shared_moto().create_user(name);
    let bin = Path::new(env!("CARGO_BIN_EXE_assume-role"))
        .parent()
        .unwrap();
    let env = TestEnv::new()
        .endpoint(&shared_moto().endpoint())
        .trusting_work()
        .set_env("AWS_ENDPOINT_URL_STS", &sts.endpoint())
        .set_env("PATH", &format!("{}:{}", bin.display(), venv_path()));
    env.write(
        "home/.aws/credentials",
        &user.credentials_section("default"),
    );
    env.write("home/.aws/config", "[default]\nregion = us-east-1\n");
    env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nrefresh_before_expiry: 5s\n"),
    );
    World { user, sts, env }
}

impl World {
    /// `assume-role --role admin --serve -- args…`
    fn serve(&self, args: &[&str]) -> Command {
        let mut cmd = self.env.cmd();
        cmd.args(["--role", "admin", "--serve", "--"]).args(args);
        cmd
    }

    fn script(&self, name: &str, text: &str) -> PathBuf {
        self.env.write(&format!("work/{name}"), text)
    }
}

/// A long job in boto3: a call, a wait until STS refuses the key it used
/// (it has expired), and a call again with the same client.
const LONG_JOB: &str = r#"
import sys, time
import boto3, botocore.exceptions

def key():
    return boto3.Session().get_credentials().get_frozen_credentials()

sts = boto3.client("sts")
print("boto3", sts.get_caller_identity()["Arn"])
first = key()
print("boto3 key", first.access_key)
frozen = boto3.client("sts", aws_access_key_id=first.access_key,
                      aws_secret_access_key=first.secret_key, aws_session_token=first.token)
deadline = time.monotonic() + 40
while True:
    try:
        frozen.get_caller_identity()
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "ExpiredToken":
            raise
        print("STS now refuses", first.access_key, "as", e.response["Error"]["Code"])
        break
    if time.monotonic() > deadline:
        sys.exit("the first key never expired")
    time.sleep(0.2)
print("boto3", sts.get_caller_identity()["Arn"])
print("boto3 key", key().access_key)
"#;

#[test]
fn serve_keeps_a_long_command_working_past_the_credentials_expiry() {
    let w = world("serve-long", 20);
    w.script("long_job.py", LONG_JOB);
    w.script(
        "job.sh",
        "set -e\n\
         echo \"aws $(aws sts get-caller-identity --query Arn --output text)\"\n\
         aws configure list | grep access_key\n\
         python long_job.py\n\
         echo \"aws $(aws sts get-caller-identity --query Arn --output text)\"\n\
         aws configure list | grep access_key\n",
    );
    let output = run(&mut w.serve(&["sh", "job.sh"]));
    assert_ok(&output);
    assert_eq!(stderr(&output), "", "{}", describe(&output));
    let out = stdout(&output);
    println!("{out}");

    // Every call, awscli's and boto3's, succeeded as the role.
    let arns: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("aws ") || (l.starts_with("boto3 ") && !l.contains(" key ")))
        .collect();
    assert_eq!(arns.len(), 4, "{out}");
    for line in &arns {
        let arn = line.split(' ').nth(1).unwrap();
        assert_eq!(arn, format!("{ADMIN_ARN}serve-long"), "{out}");
    }

    // boto3 got a new key from the endpoint after the first had expired.
    let boto_keys: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("boto3 key "))
        .collect();
    assert_eq!(boto_keys.len(), 2, "{out}");
    assert_ne!(boto_keys[0], boto_keys[1], "{out}");
    assert!(
        out.contains(&format!("STS now refuses {} as ExpiredToken", boto_keys[0])),
        "{out}"
    );

    // awscli found its keys at the endpoint, new ones the second time.
    let listed: Vec<&str> = out.lines().filter(|l| l.contains("access_key")).collect();
    assert_eq!(listed.len(), 2, "{out}");
    assert!(listed.iter().all(|l| l.contains("container-role")), "{out}");
    assert_ne!(listed[0], listed[1], "{out}");

    // awscli's two calls, in one command, were signed with different keys,
    // both issued by AssumeRole; the user's own key signed nothing but that.
    let callers = w.sts.keys("GetCallerIdentity");
    let issued = w.sts.keys("AssumeRole");
    assert!(callers.len() >= 4, "{callers:?}");
    assert_ne!(callers.first(), callers.last(), "{callers:?}");
    assert!(callers.iter().all(|k| k.starts_with("ASIA")), "{callers:?}");
    assert!(
        issued.iter().all(|k| *k == w.user.access_key_id),
        "{issued:?}"
    );
    assert!(issued.len() >= 2, "{issued:?}");
    let refused: Vec<_> = w
        .sts
        .calls()
        .into_iter()
        .filter(|(_, _, status)| *status != 200)
        .collect();
    assert!(
        refused
            .iter()
            .all(|(_, key, status)| *status == 400 && key == boto_keys[0]),
        "only the expired key is ever refused: {refused:?}"
    );
}

/// Asks the endpoint as a stranger would, then as the child; prints JSON.
const PROBE: &str = r#"
import http.client, json, os, socket, sys, time, urllib.parse
url = urllib.parse.urlsplit(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]

def ask(path, headers, method="GET"):
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    try:
        c.request(method, path, headers=headers)
        r = c.getresponse()
        return [r.status, r.read().decode()]
    except (ConnectionResetError, BrokenPipeError) as e:
        return ["reset", str(e)]

# A client that sends nothing holds no one up, and is cut off.
idle = socket.create_connection((url.hostname, url.port))
wrong = ("1" if token[0] == "0" else "0") + token[1:]
results = {
    "none": ask(url.path, {}),
    "wrong": ask(url.path, {"Authorization": wrong}),
    "shorter": ask(url.path, {"Authorization": token[:-1]}),
    "longer": ask(url.path, {"Authorization": token + "0"}),
    "bearer": ask(url.path, {"Authorization": "Bearer " + token}),
    "upper": ask(url.path, {"Authorization": token.upper()}),
    "root_no_token": ask("/", {}),
    "other_path": ask("/latest/meta-data/iam/security-credentials/", {"Authorization": token}),
    "post": ask(url.path, {"Authorization": token}, "POST"),
    "huge": ask(url.path, {"Authorization": token, "X-Pad": "a" * 20000}),
    "good": ask(url.path, {"Authorization": token}),
}
idle.settimeout(30)
started = time.monotonic()
results["idle"] = idle.recv(200).decode().split("\r\n")[0]
results["idle_seconds"] = time.monotonic() - started
with open("/proc/%d/cmdline" % os.getppid(), "rb") as f:
    results["token_in_parent_argv"] = token.encode() in f.read()
results["host"] = url.hostname
results["port"] = url.port
results["token"] = token
results["aws_vars"] = sorted(k for k in os.environ if k.startswith("AWS_"))
files = os.path.dirname(os.environ["AWS_CONFIG_FILE"])
results["files_dir"] = files
results["modes"] = sorted("%s %o" % (name, os.stat(os.path.join(files, name)).st_mode & 0o777)
                          for name in [".", "config", "credentials", "boto"])
print(json.dumps(results))
"#;

#[test]
fn serve_answers_only_the_token_on_its_path_and_closes_with_the_command() {
    let w = world("serve-refuse", 900);
    w.script("probe.py", PROBE);
    let output = run(&mut w.serve(&["python", "probe.py"]));
    assert_ok(&output);
    let err = stderr(&output);
    assert_eq!(err, "", "{}", describe(&output));
    let results: Value = serde_json::from_str(&stdout(&output)).unwrap();
    println!("{results:#}");

    let status = |name: &str| results[name][0].clone();
    let body = |name: &str| results[name][1].as_str().unwrap_or_default().to_owned();
    assert_eq!(status("none"), 401);
    for name in ["wrong", "shorter", "longer", "bearer", "upper"] {
        assert_eq!(status(name), 403, "{name}: {results:#}");
    }
    assert_eq!(status("root_no_token"), 401);
    assert_eq!(status("other_path"), 404);
    assert_eq!(status("post"), 405);
    assert!(
        status("huge") == 431 || status("huge") == "reset",
        "{results:#}"
    );
    for name in [
        "none",
        "wrong",
        "shorter",
        "longer",
        "bearer",
        "upper",
        "root_no_token",
        "other_path",
        "post",
        "huge",
    ] {
        let text = body(name);
        assert!(
            !text.contains("AccessKeyId") && !text.contains("ASIA"),
            "{name}: {text}"
        );
    }
    assert_eq!(status("good"), 200);
    let good: Value = serde_json::from_str(&body("good")).unwrap();
    for field in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"] {
        assert!(
            good[field].as_str().is_some_and(|v| !v.is_empty()),
            "{good}"
        );
    }
    assert!(good["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));

    assert_eq!(results["idle"], "HTTP/1.1 408 Request Timeout");
    let idle = results["idle_seconds"].as_f64().unwrap();
    assert!((3.0..20.0).contains(&idle), "{idle}");

    // 256 random bits, in the environment only; the endpoint on loopback.
    let token = results["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert_eq!(results["token_in_parent_argv"], false);
    assert_eq!(results["host"], "127.0.0.1");
    let names: Vec<&str> = results["aws_vars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for hidden in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ] {
        assert!(!names.contains(&hidden), "{names:?}");
    }

    // The child's AWS files are private, and gone with the command.
    let modes: Vec<&str> = results["modes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        modes,
        [". 700", "boto 600", "config 600", "credentials 600"]
    );
    let files = PathBuf::from(results["files_dir"].as_str().unwrap());
    assert!(!files.exists(), "{} is left behind", files.display());

    // The endpoint is gone with the command.
    let port = results["port"].as_u64().unwrap() as u16;
    let err = TcpStream::connect(("127.0.0.1", port)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

    // A second run draws another token.
    let again = run(&mut w.serve(&["python", "probe.py"]));
    assert_ok(&again);
    let again: Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_ne!(again["token"], results["token"]);
}

#[test]
fn serve_hides_credentials_of_the_default_profile_in_both_files() {
    let w = world("serve-default", 900);
    // Keys in the environment for us; for the child, [default] in the
    // config file gets them through credential_process and sso, and
    // through role_arn in [profile default]: none of it may reach it.
    let process = format!(
        "printf '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\"}}'",
        w.user.access_key_id, w.user.secret_access_key
    );
    w.env.write(
        "home/.aws/config",
        &format!(
            "[default]\nregion = us-east-1\ncredential_process = {process}\n\
             [profile elsewhere]\nregion = eu-west-3\n"
        ),
    );
    std::fs::remove_file(w.env.credentials_file()).unwrap();
    let env = w.env.with_user(&w.user);
    // Without --serve the child's awscli would use credential_process:
    let plain = run(env
        .command(venv_bin("aws"))
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(WHOAMI));
    assert_ok(&plain);
    assert_eq!(
        stdout(&plain).trim(),
        "arn:aws:iam::123456789012:user/base-user"
    );

    let output = run(env.cmd().args(["--role", "admin", "--serve", "--"]).args([
        "sh",
        "-c",
        "aws sts get-caller-identity --query Arn --output text && \
         aws configure get region --profile elsewhere && \
         aws configure get region && cat \"$AWS_CONFIG_FILE\"",
    ]));
    assert_ok(&output);
    let out = stdout(&output);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(&*format!("{ADMIN_ARN}serve-default")),
        "{out}"
    );
    // Everything else the user configured is still there.
    assert_eq!(lines.next(), Some("eu-west-3"), "{out}");
    assert_eq!(lines.next(), Some("us-east-1"), "{out}");
    assert!(!out.contains("credential_process"), "{out}");
}

#[test]
fn an_assume_role_inside_a_served_command_starts_from_the_users_identity() {
    let w = world("serve-nested", 900);
    let output =
        run(&mut w.serve(&[&["assume-role", "--role", "ops", "--", "aws"], WHOAMI].concat()));
    assert_ok(&output);
    assert_eq!(
        stdout(&output).trim(),
        "arn:aws:sts::123456789012:assumed-role/ops/serve-nested"
    );
    // Both AssumeRole calls were signed by the user's key: no role chaining.
    let issued = w.sts.keys("AssumeRole");
    assert_eq!(issued, [w.user.access_key_id.as_str(); 2], "{issued:?}");
}

#[test]
fn serve_from_the_yaml_and_refused_without_a_command() {
    let w = world("serve-yaml", 900);
    w.env.write(
        "work/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\nserve: true\n"),
    );
    let output = run(w.env.cmd().args(["--role", "admin", "sh", "-c", "env"]));
    assert_ok(&output);
    let out = stdout(&output);
    assert!(
        out.contains("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:"),
        "{out}"
    );
    assert!(!out.contains("AWS_ACCESS_KEY_ID="), "{out}");
    assert!(out.contains("ASSUME_ROLE_ARN=arn:aws:iam::123456789012:role/admin\n"));

    // With a proxy configured, no client may send the token to it.
    let proxied = |vars: &[(&str, &str)]| {
        let mut cmd = w.env.cmd();
        cmd.args([
            "--role",
            "admin",
            "sh",
            "-c",
            "echo \"$NO_PROXY|$no_proxy\"",
        ]);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let output = run(&mut cmd);
        assert_ok(&output);
        stdout(&output).trim().to_owned()
    };
    assert_eq!(proxied(&[]), "|");
    assert_eq!(
        proxied(&[("HTTPS_PROXY", "http://proxy:3128")]),
        "127.0.0.1|127.0.0.1"
    );
    assert_eq!(
        proxied(&[("https_proxy", "http://proxy:3128"), ("no_proxy", ".corp")]),
        "127.0.0.1|.corp,127.0.0.1"
    );

    // Print mode ignores the key; --serve there is a usage error.
    let printed = run(w.env.cmd().args(["--role", "admin"]));
    assert_ok(&printed);
    assert!(stdout(&printed).starts_with("AWS_ACCESS_KEY_ID=ASIA"));
    let refused = run(w.env.cmd().args(["--role", "admin", "--serve"]));
    let line = failure_line(&refused, 2);
    assert!(line.contains("--serve needs a command"), "{line}");
}

#[test]
fn serve_mirrors_the_commands_exit_status_and_death_by_signal() {
    let w = world("serve-status", 900);
    let output = run(&mut w.serve(&["sh", "-c", "echo out; echo err >&2; exit 7"]));
    assert_eq!(output.status.code(), Some(7), "{}", describe(&output));
    assert_eq!(stdout(&output), "out\n");
    assert_eq!(stderr(&output), "err\n");

    for signal in [15, 9, 2] {
        let output = run(&mut w.serve(&["sh", "-c", &format!("kill -{signal} $$")]));
        assert_eq!(
            output.status.signal(),
            Some(signal),
            "{}",
            describe(&output)
        );
        assert_eq!(stderr(&output), "", "{}", describe(&output));
    }

    let output = run(&mut w.serve(&["no-such-command-xyz"]));
    let line = failure_line(&output, 127);
    assert!(line.contains("`no-such-command-xyz`"), "{line}");
}

#[test]
fn serve_passes_sigterm_on_and_stays_the_commands_parent() {
    let w = world("serve-sigterm", 900);
    let mut child = w
        .serve(&[
            "sh",
            "-c",
            "trap 'echo got TERM; exit 3' TERM; echo $PPID; while :; do sleep 0.05; done",
        ])
        .spawn_piped();
    let pid = child.id();
    // Should the signal get lost, the test fails instead of hanging.
    let reaped = Arc::new(Mutex::new(false));
    let watchdog = reaped.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        if !*watchdog.lock().unwrap() {
            // SAFETY: kill(2) touches no memory of ours.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        first.push(byte[0]);
    }
    // The command's parent is the process we started: the supervisor.
    assert_eq!(String::from_utf8(first).unwrap(), pid.to_string());
    // SAFETY: kill(2) touches no memory of ours.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut reaped = reaped.lock().unwrap();
    let status = child.wait().unwrap();
    *reaped = true;
    assert_eq!(rest, "got TERM\n");
    assert_eq!(status.code(), Some(3), "{status:?}");
    drop(reaped);

    // Should the supervisor be killed outright, the command is told.
    let mut child = w
        .serve(&[
            "sh",
            "-c",
            "trap 'echo orphaned > told; exit 0' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut ready = [0u8; 6];
    stdout.read_exact(&mut ready).unwrap();
    assert_eq!(&ready, b"ready\n");
    child.kill().unwrap();
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    // The command exits on SIGTERM; its stdout, a pipe to us, then closes.
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert_eq!(
        fs::read_to_string(w.env.work().join("told")).unwrap(),
        "orphaned\n"
    );
}

/// In the terminal: whose Ctrl-C it is. The command blocks SIGINT and
/// takes it with sigwaitinfo, then sends SIGUSR1 to its parent (the
/// supervisor), which passes it back: a SIGINT passed on as well would have
/// come before it, and be pending.
const CTRL_C: &str = r#"
import os, signal
tty = os.open("/dev/tty", os.O_RDONLY)
print("foreground", os.tcgetpgrp(tty) == os.getpgrp(), flush=True)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGUSR1})
print("WAITING", flush=True)
first = signal.sigwaitinfo({signal.SIGINT})
os.kill(os.getppid(), signal.SIGUSR1)
back = signal.sigwaitinfo({signal.SIGUSR1})
print("seen INT from", "terminal" if first.si_code == 0x80 else first.si_pid,
      "USR1 from", "parent" if back.si_pid == os.getppid() else back.si_pid,
      "INT again", signal.SIGINT in signal.sigpending(), flush=True)
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
os.kill(os.getpid(), signal.SIGINT)
"#;

/// An interactive bash in a terminal (tmux), in `env`, at its first prompt.
fn terminal(env: &TestEnv) -> Tmux<'_> {
    need("bash");
    let term = Tmux::start(
        env,
        &["env", "PS1=READY> ", "bash", "--norc", "--noprofile", "-i"],
    );
    term.wait_for("READY>");
    term
}

#[test]
fn serve_leaves_the_terminal_ctrl_c_and_job_control_to_the_command() {
    let w = world("serve-tty", 900);
    w.script("ctrl_c.py", CTRL_C);
    let term = terminal(&w.env);
    let keys = |k: &[&str]| term.keys(k);
    let wait_for = |what: &str| term.wait_for(what);

    keys(&[
        "assume-role --role admin --serve -- python ctrl_c.py; echo not reached",
        "Enter",
    ]);
    wait_for("WAITING");
    keys(&["C-c"]);
    wait_for("seen ");
    // bash saw its job killed by SIGINT, so it dropped the rest of the line.
    keys(&["echo \"status=$?\"", "Enter"]);
    let screen = wait_for("status=1");
    assert!(!screen.lines().any(|l| l == "not reached"), "{screen}");
    assert!(screen.contains("foreground True"), "{screen}");
    assert!(
        screen.contains("seen INT from terminal USR1 from parent INT again False\n"),
        "{screen}"
    );
    assert!(screen.contains("status=130"), "{screen}");

    // Ctrl-Z stops the command and us; `fg` gives it the terminal back.
    keys(&["clear", "Enter"]);
    term.tmux(&["clear-history"]);
    let command =
        "assume-role --role admin --serve -- sh -c 'echo STARTED; read x; echo \"got $x\"'";
    keys(&[command, "Enter"]);
    wait_for("STARTED");
    keys(&["C-z"]);
    wait_for("Stopped");
    keys(&["fg", "Enter"]);
    // bash names the job it resumes (the command's third showing, after
    // the typed line and "Stopped"): only then has readline let go of the
    // terminal, so what is typed next goes to the command.
    term.wait_for_n(command, 3);
    keys(&["hello", "Enter"]);
    let screen = wait_for("got hello");
    eprintln!("{}", screen.trim_end());
}

/// Turns STS against us, then asks the endpoint until it has nothing
/// valid left to give; prints what it answered.
const DENIED: &str = r#"
import json, os, time, urllib.error, urllib.request
urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL_STS"] + "/_deny").read()
request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                                 headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
answers = []
deadline = time.monotonic() + 40
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(request) as r:
            answers.append([r.status, json.load(r)["AccessKeyId"]])
    except urllib.error.HTTPError as e:
        answers.append([e.code, e.read().decode()])
        break
    time.sleep(0.2)
print(json.dumps(answers))
"#;

#[test]
fn a_failed_refresh_serves_what_is_still_valid_then_fails_with_one_line() {
    let w = world("serve-denied", 8);
    w.script("denied.py", DENIED);
    let output = run(&mut w.serve(&["python", "denied.py"]));
    assert_ok(&output);
    let answers: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    let (last, valid) = answers.split_last().unwrap();
    // The one key issued kept being served while it was valid...
    assert!(!valid.is_empty(), "{answers:?}");
    assert!(
        valid.iter().all(|a| a[0] == 200 && a[1] == valid[0][1]),
        "{answers:?}"
    );
    // ...then a 500 without credentials.
    assert_eq!(last[0], 500, "{answers:?}");
    assert!(!last[1].as_str().unwrap().contains("ASIA"), "{answers:?}");
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{}", describe(&output));
    assert!(
        err.starts_with(
            "assume-role: cannot refresh the credentials served to the command: \
             cannot assume arn:aws:iam::123456789012:role/admin"
        ),
        "{err}"
    );
    assert!(err.contains("not authorized"), "{err}");
}

/// A long job in boto3 whose role needs MFA: a call, a wait until STS
/// refuses that key, a call again.
const MFA_JOB: &str = r#"
import time
import boto3, botocore.exceptions
sts = boto3.client("sts")
print("first", sts.get_caller_identity()["Arn"], flush=True)
first = boto3.Session().get_credentials().get_frozen_credentials()
frozen = boto3.client("sts", aws_access_key_id=first.access_key,
                      aws_secret_access_key=first.secret_key, aws_session_token=first.token)
deadline = time.monotonic() + 50
while time.monotonic() < deadline:
    try:
        frozen.get_caller_identity()
    except botocore.exceptions.ClientError as e:
        print("refused", first.access_key, e.response["Error"]["Code"], flush=True)
        break
    time.sleep(0.2)
print("second", sts.get_caller_identity()["Arn"], flush=True)
print("keys differ", boto3.Session().get_credentials().get_frozen_credentials().access_key != first.access_key)
"#;

#[test]
fn serve_asks_for_an_mfa_code_on_the_terminal_ahead_of_expiry() {
    let w = world_with(
        "serve-mfa",
        ExpiringSts::start_with(20, &["--mfa-code", "123456"]),
    );
    w.env.write(
        "work/assume-role.yaml",
        &format!(
            "role_prefix: {PREFIX}\nrefresh_before_expiry: 8s\n\
             mfa_serial: arn:aws:iam::123456789012:mfa/serve-mfa\n"
        ),
    );
    w.script("mfa_job.py", MFA_JOB);
    let term = terminal(&w.env);
    term.keys(&[
        "assume-role --role admin --serve -- python mfa_job.py; echo \"status=$?\"",
        "Enter",
    ]);
    term.wait_for("MFA code for arn:aws:iam::123456789012:mfa/serve-mfa");
    term.keys(&["123456", "Enter"]);
    term.wait_for("first ");
    // Ahead of expiry, the refresh asks on the terminal while the command
    // runs on with the credentials in hand.
    term.wait_for_n("MFA code for", 2);
    term.keys(&["123456", "Enter"]);
    // Once in the command line typed, once printed.
    let screen = term.wait_for_n("status=", 2);
    eprintln!("{}", screen.trim_end());
    assert!(screen.contains("status=0"), "{screen}");
    assert!(screen.contains("ExpiredToken"), "{screen}");
    assert!(screen.contains("keys differ True"), "{screen}");
    let arn = format!("{ADMIN_ARN}serve-mfa");
    assert!(screen.contains(&format!("first {arn}")), "{screen}");
    assert!(screen.contains(&format!("second {arn}")), "{screen}");
}
