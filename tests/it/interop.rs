//! Completion and AWS interop: completions/ kept current, role-name
//! completion in real shells, credential_process through real awscli,
//! ~/.aws/config profiles, `roles`, `status`.

use std::path::Path;

use crate::util::*;

#[test]
fn completion_files_are_current() {
    let env = TestEnv::new();
    for (shell, file) in [
        ("bash", "assume-role.bash"),
        ("zsh", "_assume-role"),
        ("fish", "assume-role.fish"),
        ("powershell", "_assume-role.ps1"),
    ] {
        let out = run(env.cmd().args(["completions", shell]));
        assert_ok(&out);
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("completions")
            .join(file);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == stdout(&out),
            "completions/{file} is stale: run scripts/completions and commit the result"
        );
    }
}

#[test]
fn powershell_completion_is_generated_for_the_cli() {
    let env = TestEnv::new();
    let out = stdout(&run(env.cmd().args(["completions", "pwsh"])));
    assert!(
        out.contains("Register-ArgumentCompleter -Native -CommandName 'assume-role'"),
        "{out}"
    );
    assert!(out.contains("'--role'"), "{out}");
}

/// An environment whose role names come from all three sources: `roles:`,
/// a ~/.aws/config profile with role_arn, and the cache.
fn env_with_known_roles(user: &str) -> TestEnv {
    let (_, env) = TestEnv::home_user(user);
    let env = env.trusting_work();
    env.write("work/assume-role.yaml", "roles: [prod-deploy, staging]\n");
    env.write(
        "home/.aws/config",
        &format!("[profile prod-audit]\nrole_arn = {PREFIX}audit\n\n[profile plain]\nregion = eu-west-1\n"),
    );
    assert_ok(&run(env.cmd().args(["--role", "prod-cached"])));
    env
}

#[test]
fn roles_lists_config_profiles_and_cache_without_network() {
    let env = env_with_known_roles("completer1").endpoint("http://127.0.0.1:9");
    let out = run(env.cmd().arg("roles"));
    assert_ok(&out);
    assert_eq!(
        stdout(&out),
        "prod-audit\nprod-cached\nprod-deploy\nstaging\n"
    );
    assert_eq!(stderr(&out), "");
}

#[test]
fn fish_completes_role_names_for_ar_and_the_role_flag() {
    need("fish");
    let env = env_with_known_roles("completer2");
    let script = format!(
        "{BIN} init fish --cmd awsr | source\n{BIN} completions fish | source\n\
         set -gx PATH {dir} $PATH\n\
         complete -C 'awsr prod-'\necho ---\ncomplete -C 'assume-role --role prod-'",
        dir = Path::new(BIN).parent().unwrap().display()
    );
    let out = run(env.command("fish").args(["--no-config", "-c", &script]));
    assert_ok(&out);
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    let (ar, flag) = text.split_once("---\n").unwrap();
    eprintln!("fish> awsr prod-<TAB>\n{ar}fish> assume-role --role prod-<TAB>\n{flag}");
    assert_eq!(ar, "prod-audit\nprod-cached\nprod-deploy\n");
    assert_eq!(flag, "prod-audit\nprod-cached\nprod-deploy\n");
}

#[test]
fn bash_completes_role_names_for_ar_and_the_role_flag() {
    let env = env_with_known_roles("completer3");
    let script = format!(
        r#"eval "$({BIN} init bash)"
source <({BIN} completions bash)
PATH="{dir}:$PATH"
COMP_WORDS=(ar prod-d); COMP_CWORD=1; __ar_complete ar prod-d ar
printf '%s\n' "${{COMPREPLY[@]}}"; echo ---
COMP_WORDS=(ar staging ""); COMP_CWORD=2; __ar_complete ar "" staging
echo "n=${{#COMPREPLY[@]}}"; echo ---
COMP_WORDS=(assume-role --role prod-a); COMP_CWORD=2; _assume_role_with_roles assume-role prod-a --role
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        dir = Path::new(BIN).parent().unwrap().display()
    );
    let out = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script]));
    assert_ok(&out);
    assert_eq!(stderr(&out), "");
    eprintln!("bash completions:\n{}", stdout(&out));
    assert_eq!(stdout(&out), "prod-deploy\n---\nn=0\n---\nprod-audit\n");
}

#[test]
fn zsh_completes_role_names_for_ar_in_a_terminal() {
    need("zsh");
    need("tmux");
    let env = env_with_known_roles("completer4");
    let rc = env.write(
        "zshrc",
        &format!(
            "PS1='READY> '\nautoload -Uz compinit && compinit -u -d {root}/zcompdump\n\
             eval \"$({BIN} init zsh)\"\n",
            root = env.root().display()
        ),
    );
    let tmux = Tmux::start(&env, &["zsh", "-f", "-i"]);
    tmux.type_line(&format!("source {}", rc.display()));
    tmux.wait_for("READY>");
    tmux.keys(&["ar prod-d", "Tab"]);
    let text = tmux.wait_for("ar prod-deploy");
    eprintln!("zsh> ar prod-d<TAB>\n{}", text.trim_end());
}

#[test]
fn credential_process_works_for_real_awscli() {
    let (user, env) = TestEnv::home_user("cp-user");
    env.write(
        "home/.aws/config",
        &format!("[profile via-ar]\ncredential_process = {BIN} credential-process --role admin\nregion = us-east-1\n"),
    );
    let out = run(aws_cli(&env)
        .args([
            "--profile",
            "via-ar",
            "sts",
            "get-caller-identity",
            "--output",
            "text",
        ])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_ACCESS_KEY_ID", &user.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &user.secret_access_key));
    assert_ok(&out);
    eprintln!(
        "$ aws --profile via-ar sts get-caller-identity --output text\n{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains(&format!("assumed-role/admin/{}", user.name)),
        "{}",
        describe(&out)
    );

    let json: serde_json::Value = serde_json::from_str(&stdout(&run(env.cmd().args([
        "credential-process",
        "--role",
        "admin",
    ]))))
    .unwrap();
    assert_eq!(json["Version"], 1);
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(json["Expiration"].as_str().unwrap().ends_with('Z'));

    env.write(
        "home/.aws/config",
        &format!("[profile broken]\ncredential_process = {BIN} credential-process --role arn:aws:iam::1:role/x\n"),
    );
    let out = run(aws_cli(&env).args(["--profile", "broken", "sts", "get-caller-identity"]));
    assert_fails(&out);
    assert!(
        stderr(&out).contains("is not a role ARN"),
        "{}",
        describe(&out)
    );
}

#[test]
fn config_profiles_bring_their_settings() {
    let (user, env) = TestEnv::home_user("profile-user");
    // No role_prefix: the name must come from ~/.aws/config (AWS_CONFIG_FILE).
    std::fs::remove_file(env.home().join(".aws/assume-role.yaml")).unwrap();
    let config = env.write(
        "elsewhere/aws-config",
        &format!(
            "[profile team]\nrole_arn = {PREFIX}team-admin\nregion = eu-central-1\nduration_seconds = 1800\n\
             role_session_name = custom-session\nexternal_id = ext-42\n"
        ),
    );
    let env = env.set_env("AWS_CONFIG_FILE", config.to_str().unwrap());
    let out = run(env.cmd().args([
        "--role",
        "team",
        "--",
        "sh",
        "-c",
        "aws sts get-caller-identity --output text; env",
    ]));
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        text.contains("assumed-role/team-admin/custom-session"),
        "{text}"
    );
    assert!(
        text.contains("\nAWS_REGION=eu-central-1\n")
            && text.contains("\nAWS_DEFAULT_REGION=eu-central-1\n"),
        "{text}"
    );
    let expiry = text
        .lines()
        .find_map(|l| l.strip_prefix("AWS_CREDENTIAL_EXPIRATION="))
        .unwrap();
    let expiry = humantime::parse_rfc3339(expiry).unwrap();
    let left = expiry
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!(
        (1700..=1800).contains(&left),
        "duration_seconds not applied: {left}s left"
    );
    assert!(
        !text.contains(&user.name),
        "role_session_name beats the user name"
    );

    let out = run(env.cmd().args(["--role", "nope"]));
    assert_fails(&out);
    assert!(
        stderr(&out).contains("aws-config"),
        "the error names AWS_CONFIG_FILE's path: {}",
        describe(&out)
    );
}

#[test]
fn a_profile_source_profile_supplies_the_base_credentials() {
    let (user, env) = TestEnv::home_user("source-profile-user");
    // No role_prefix (it would win over the profile), and no keys in the
    // environment: only [base] in the credentials file has them.
    std::fs::remove_file(env.home().join(".aws/assume-role.yaml")).unwrap();
    env.write("home/.aws/credentials", &user.credentials_section("base"));
    env.write(
        "home/.aws/config",
        &format!("[profile deploy]\nrole_arn = {PREFIX}deployer\nsource_profile = base\n"),
    );
    let mut cmd = env.cmd();
    cmd.args(["--role", "deploy"]);
    assert_eq!(
        caller_arn_without_env_keys(cmd),
        format!(
            "arn:aws:sts::123456789012:assumed-role/deployer/{}",
            user.name
        )
    );
    // Without source_profile there is nothing to start from: one clear line.
    env.write(
        "home/.aws/config",
        &format!("[profile deploy]\nrole_arn = {PREFIX}deployer\n"),
    );
    let mut cmd = env.cmd();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["--role", "deploy", "-f"]);
    let line = failure_line(&run(&mut cmd), 1);
    assert!(line.contains("no usable AWS credentials"), "{line}");
}

#[test]
fn a_refresh_in_the_shell_keeps_the_profiles_source_profile() {
    let (user, env) = TestEnv::home_user("refresh-source-profile");
    std::fs::remove_file(env.home().join(".aws/assume-role.yaml")).unwrap();
    env.write("home/.aws/credentials", &user.credentials_section("base"));
    env.write(
        "home/.aws/config",
        &format!("[profile deploy]\nrole_arn = {PREFIX}deployer\nsource_profile = base\n"),
    );
    // `ar deploy` for a 2 s session (moto takes any length), then the
    // credentials are due: the prompt hook refreshes them from `base`, as
    // the first switch did.
    let script = format!(
        r#"eval "$({BIN} init bash)"
ar deploy --duration 2s || exit 1
first=$AWS_ACCESS_KEY_ID
sleep 2
__ar_hook
[ "$AWS_ACCESS_KEY_ID" != "$first" ] && echo refreshed
# The 2 s session may be over by the time awscli has started on a loaded
# machine; moto does not check expiry, so awscli is not told it.
(unset AWS_CREDENTIAL_EXPIRATION; aws sts get-caller-identity --query Arn --output text)
"#
    );
    let out = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY"));
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "refreshed\narn:aws:sts::123456789012:assumed-role/deployer/{}\n",
            user.name
        )
    );
}

#[test]
fn an_edited_and_allowed_project_file_is_followed_without_leaving() {
    let (_, env) = TestEnv::home_user("edited-project");
    env.write(
        "work/proj/assume-role.yaml",
        "role: deploy\nregion: eu-west-1\n",
    );
    std::fs::create_dir_all(env.work().join("proj/sub")).unwrap();
    let script = format!(
        r#"eval "$({BIN} init bash)"
{BIN} allow proj 2>/dev/null
cd proj && __ar_hook && echo "$AWS_REGION"
echo 'region: eu-west-2' > assume-role.yaml; echo 'role: deploy' >> assume-role.yaml
{BIN} allow . 2>/dev/null
cd sub && __ar_hook && echo "$AWS_REGION"
"#
    );
    let out = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .current_dir(env.work()));
    assert_ok(&out);
    assert_eq!(stdout(&out), "eu-west-1\neu-west-2\n", "{}", describe(&out));
}

#[test]
fn aws_profile_is_exported_only_when_the_written_profile_holds_the_credentials() {
    let (_, env) = TestEnv::home_user("profile-export");
    let env = env.set_env("AWS_PROFILE", "someone-else").trusting_work();
    let vars = stdout(&run(env.cmd().args(["--role", "admin", "--", "env"])));
    assert!(
        vars.contains("\nAWS_PROFILE=123456789012-admin\n"),
        "{vars}"
    );
    let out = run(aws_cli(&env).args([
        "--profile",
        "123456789012-admin",
        "sts",
        "get-caller-identity",
        "--output",
        "text",
    ]));
    assert!(
        stdout(&out).contains("assumed-role/admin/"),
        "{}",
        describe(&out)
    );

    env.write("work/assume-role.yaml", "write_credentials_file: false\n");
    let vars = stdout(&run(env.cmd().args(["--role", "other", "--", "env"])));
    assert!(!vars.contains("AWS_PROFILE="), "{vars}");
}

#[test]
fn status_reads_the_environment_without_network() {
    let (_, env) = TestEnv::home_user("status-user");
    let vars = stdout(&run(env.cmd().args(["--role", "admin"])));
    let status = || {
        let mut cmd = env.cmd();
        cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
        for line in vars.lines() {
            let (k, v) = line.split_once('=').unwrap();
            cmd.env(k, v);
        }
        cmd
    };
    let out = run(status().args(["status", "--json"]));
    assert_ok(&out);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["role_arn"], format!("{PREFIX}admin"));
    assert_eq!(json["account"], "123456789012");
    let left = json["seconds_left"].as_u64().unwrap();
    assert!((3500..=3600).contains(&left), "{left}");
    assert!(
        json["config_files"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with(".aws/assume-role.yaml")
    );

    let out = run(status().arg("status").env_remove("ASSUME_ROLE_ARN"));
    assert_ok(&out);
    assert!(
        stdout(&out).starts_with("role:    none active\n"),
        "{}",
        describe(&out)
    );
}

// ------------------------------------------- `ar <TAB>` through the shells' own machinery

/// What bash registered for `ar` (`complete -p ar`), run as bash runs it
/// on TAB: COMP_LINE, COMP_POINT, COMP_WORDS and COMP_CWORD set, the `-F`
/// function called with the command, the word and the word before.
#[test]
fn bash_completes_ar_through_the_registered_completion() {
    let env = env_with_known_roles("completer-bash-spec");
    let script = format!(
        r#"eval "$({BIN} init bash)"
spec=$(complete -p ar) || {{ echo "nothing is registered for ar"; exit 3; }}
printf '%s\n' "$spec"
read -r -a words <<<"$spec"
func=""
for ((i = 0; i < ${{#words[@]}}; i++)); do
  [[ ${{words[i]}} == -F ]] && func=${{words[i + 1]}}
done
[[ -n $func ]] || {{ echo "no -F function in: $spec"; exit 4; }}
tab() {{
  COMP_LINE=$1; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9; COMP_KEY=9
  read -r -a COMP_WORDS <<<"$COMP_LINE"
  [[ $COMP_LINE == *' ' ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
  COMPREPLY=()
  "$func" "${{COMP_WORDS[0]}}" "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD - 1]}}"
  printf '%s\n' "${{COMPREPLY[@]}}" "---"
}}
tab 'ar prod-'
tab 'ar '
tab 'ar staging '
"#
    );
    let out = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script]));
    assert_ok(&out);
    assert_eq!(stderr(&out), "", "{}", describe(&out));
    let text = stdout(&out);
    eprintln!("bash completion for ar:\n{text}");
    let (spec, replies) = text.split_once('\n').unwrap();
    assert!(
        spec.starts_with("complete -F ") && spec.ends_with(" ar"),
        "{spec}"
    );
    assert_eq!(
        replies,
        "prod-audit\nprod-cached\nprod-deploy\n---\n\
         prod-audit\nprod-cached\nprod-deploy\nstaging\n---\n\
         ---\n",
        "`ar prod-`, `ar ` and `ar staging ` (nothing after the role)"
    );
}

/// `ar prod-d<TAB>` typed into an interactive bash in a terminal (tmux):
/// readline completes it through whatever the init script registered.
#[test]
fn bash_completes_ar_in_a_terminal() {
    need("bash");
    need("tmux");
    let env = env_with_known_roles("completer-bash-tty");
    let rc = env.write(
        "bashrc",
        &format!("PS1='READY> '\neval \"$({BIN} init bash)\"\n"),
    );
    let rc_arg = rc.display().to_string();
    let tmux = Tmux::start(&env, &["bash", "--noprofile", "--rcfile", &rc_arg, "-i"]);
    tmux.wait_for("READY>");
    tmux.keys(&["ar prod-d", "Tab"]);
    let text = tmux.wait_for("ar prod-deploy");
    eprintln!("bash> ar prod-d<TAB>\n{}", text.trim_end());
}

// ---------------------------------------------------------------------------
// `assume-role <TAB>` after the one rc line (issue 15, defect 4): only
// `init`, never the static scripts, through each shell's own machinery.

/// The directory holding the built binary, for PATH.
fn bin_dir() -> String {
    Path::new(BIN).parent().unwrap().display().to_string()
}

/// bash: after `eval "$(assume-role init bash)"`, `complete -p assume-role`
/// names a function; called as bash's completion calls it (COMP_WORDS,
/// COMP_CWORD, COMP_LINE, COMP_POINT; command, word, previous word) it
/// offers role names after `--role`, the first time (when it loads the
/// completion script) and after; and options from the clap definition.
#[test]
fn bash_completes_assume_role_after_init_alone() {
    need("bash");
    let env = env_with_known_roles("init-complete-bash");
    let script = format!(
        r#"PATH="{dir}:$PATH"
eval "$(assume-role init bash)"
tab() {{
  local spec f
  spec=$(complete -p assume-role) || return 1
  f=${{spec##* -F }}; f=${{f%% *}}
  COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}
  COMPREPLY=()
  "$f" assume-role "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
  printf '%s\n' "${{COMPREPLY[@]}}"; echo ---
}}
tab assume-role --role prod-
tab assume-role -r prod-a
tab assume-role --reg
"#,
        dir = bin_dir()
    );
    let out = run(env
        .command("bash")
        .args(["--norc", "--noprofile", "-c", &script]));
    assert_ok(&out);
    assert_eq!(stderr(&out), "");
    eprintln!("bash completions:\n{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "prod-audit\nprod-cached\nprod-deploy\n---\nprod-audit\n---\n--region\n---\n"
    );
}

/// fish: after `assume-role init fish | source`, `complete -C` (what fish's
/// own TAB asks) offers role names after `--role`, first time and after.
#[test]
fn fish_completes_assume_role_after_init_alone() {
    need("fish");
    let env = env_with_known_roles("init-complete-fish");
    let script = format!(
        "set -gx PATH {dir} $PATH\nassume-role init fish | source\n\
         complete -C 'assume-role --role prod-'\necho ---\n\
         complete -C 'assume-role -r prod-a'\necho ---\n\
         complete -C 'assume-role --reg'",
        dir = bin_dir()
    );
    let out = run(env.command("fish").args(["--no-config", "-c", &script]));
    assert_ok(&out);
    assert_eq!(stderr(&out), "");
    let text = stdout(&out);
    eprintln!("fish completions:\n{text}");
    let parts: Vec<&str> = text.split("---\n").collect();
    assert_eq!(parts[0], "prod-audit\nprod-cached\nprod-deploy\n");
    assert_eq!(parts[1], "prod-audit\n");
    assert!(parts[2].starts_with("--region\t"), "{text}");
}

/// zsh, in a terminal (tmux): with compinit and the one init line,
/// `assume-role --role prod-d<TAB>` completes to the role, and
/// `assume-role --reg<TAB>` to the option.
#[test]
fn zsh_completes_assume_role_after_init_alone_in_a_terminal() {
    need("zsh");
    need("tmux");
    let env = env_with_known_roles("init-complete-zsh");
    let rc = env.write(
        "zshrc",
        &format!(
            "PS1='READY> '\nPATH={dir}:$PATH\n\
             autoload -Uz compinit && compinit -u -d {root}/zcompdump\n\
             eval \"$(assume-role init zsh)\"\n",
            dir = bin_dir(),
            root = env.root().display()
        ),
    );
    let tmux = Tmux::start(&env, &["zsh", "-f", "-i"]);
    tmux.type_line(&format!("source {}", rc.display()));
    tmux.wait_for("READY>");
    tmux.keys(&["assume-role --role prod-d", "Tab"]);
    let text = tmux.wait_for("assume-role --role prod-deploy");
    eprintln!("zsh> assume-role --role prod-d<TAB>\n{}", text.trim_end());
    tmux.keys(&["C-u", "assume-role --reg", "Tab"]);
    let text = tmux.wait_for("assume-role --region");
    eprintln!("zsh> assume-role --reg<TAB>\n{}", text.trim_end());
}
