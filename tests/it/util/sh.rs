//! The harness for tests in real shells (bash, zsh, fish): what each
//! shell's syntax is for the few things a test does ([`Sh`]), a script cut
//! into named steps ([`Session`]) and what each step printed
//! ([`Transcript`]), and the environments those shells run in.
//!
//! A shell reads its script from stdin and runs its hooks as a user's shell
//! would: `bash -i` runs PROMPT_COMMAND and `zsh -i` runs precmd before each
//! line (zsh's chpwd fires in `cd`); fish runs its PWD handler in `cd` and
//! its prompt handler on `emit fish_prompt`. Each step ends with a prompt
//! and a marker printed on stdout and stderr, so every step's output is
//! checked on its own, stderr included (`fish` exits 0 on a parse error: an
//! empty stderr is the proof).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use assume_role::aws::base_env::MANAGED;

use super::*;

/// The integration's own shell variables (not exported), besides `__ar_pwd`,
/// which only caches `$PWD`.
pub const SHELL_VARS: &[&str] = &[
    "__ar_orig",
    "__ar_state",
    "__ar_refresh_at",
    "__ar_refresh_clock",
];

/// Environment entries that change by themselves (`cd`, the last command).
pub const ENV_NOISE: &[&str] = &["_", "PWD", "OLDPWD", "SHLVL"];

// ---------------------------------------------------------------------------
// moto and the test environments

/// A fresh moto user `<test>-<shell>` and an environment using it, without
/// any assume-role.yaml.
pub fn bare_env(test: &str, sh: Sh) -> (User, TestEnv) {
    let user = shared_moto().create_user(&format!("{test}-{}", sh.name()));
    let env = TestEnv::new()
        .with_user(&user)
        .endpoint(&shared_moto().endpoint())
        .set_env("PATH", &test_path())
        .set_env("LANG", "C.UTF-8");
    (user, env)
}

/// As [`bare_env`], with `role_prefix` and `extra` in ~/.aws/assume-role.yaml.
pub fn user_env(test: &str, sh: Sh, extra: &str) -> (User, TestEnv) {
    let (user, env) = bare_env(test, sh);
    env.write(
        "home/.aws/assume-role.yaml",
        &format!("role_prefix: {PREFIX}\n{extra}"),
    );
    (user, env)
}

/// As [`user_env`], with STS the fake of tests/support/fake_sts.py, whose
/// credentials expire 10 minutes after they are issued, whatever length was
/// asked, and a 5 minute `refresh_before_expiry`: nothing is due for a
/// refresh until the test says so with [`Sh::make_due`], which puts a 20
/// minute margin in place (`$AR_DUE_YAML`). No test waits for credentials
/// to age, and none can race the machine's load. Keep the fake as long as
/// the environment.
pub fn due_env(test: &str, sh: Sh, extra: &str) -> (FakeSts, User, TestEnv) {
    let sts = FakeSts::start_with("123456", &["--no-mfa", "--lifetime", "600"]);
    let (user, env) = user_env(test, sh, &format!("refresh_before_expiry: 5m\n{extra}"));
    let due = env.write(
        "due.yaml",
        &format!("role_prefix: {PREFIX}\nrefresh_before_expiry: 20m\n{extra}"),
    );
    let env = env
        .set_env("AWS_ENDPOINT_URL_STS", &sts.endpoint())
        .set_env("AR_DUE_YAML", due.to_str().unwrap());
    (sts, user, env)
}

pub fn project_dir(env: &TestEnv) -> PathBuf {
    env.work().join("proj it's \"$x\" `y` é")
}

/// A project directory whose assume-role.yaml wants `role: deploy`, with a
/// subdirectory, and a directory outside it: `$PROJ`, `$PROJ/sub` and
/// `$OUT` in the shell. The name is hostile to careless quoting.
pub fn with_project(env: TestEnv) -> TestEnv {
    let proj = project_dir(&env);
    let out = env.work().join("elsewhere");
    fs::create_dir_all(proj.join("sub")).unwrap();
    fs::create_dir_all(&out).unwrap();
    fs::write(proj.join("assume-role.yaml"), "role: deploy\n").unwrap();
    env.set_env("PROJ", proj.to_str().unwrap())
        .set_env("OUT", out.to_str().unwrap())
}

// ---------------------------------------------------------------------------
// The shells

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sh {
    Bash,
    Zsh,
    Fish,
}

impl Sh {
    pub fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    /// The shell in `env`, reading a script on stdin and running its
    /// prompt hooks before each line (bash, zsh).
    pub fn command(self, env: &TestEnv) -> Command {
        let mut cmd = env.command(self.name());
        match self {
            Sh::Bash => cmd.args(["--norc", "--noprofile", "--noediting", "-i"]),
            Sh::Zsh => cmd.args(["-f", "-i", "-o", "no_prompt_cr", "-o", "no_prompt_sp"]),
            Sh::Fish => cmd.args(["--no-config"]),
        };
        cmd
    }

    /// The first lines: no prompts, no history expansion of `!`.
    pub fn preamble(self) -> &'static str {
        match self {
            Sh::Bash => "PS1='' PS2=''; set +H\n",
            Sh::Zsh => "PS1='' PS2='' RPS1=''; setopt no_bang_hist\n",
            Sh::Fish => "",
        }
    }

    /// Evaluates `assume-role init` with `flags`.
    pub fn init(self, flags: &str) -> String {
        let flags = if flags.is_empty() {
            String::new()
        } else {
            format!(" {flags}")
        };
        match self {
            Sh::Bash | Sh::Zsh => format!("eval \"$(assume-role init {}{flags})\"", self.name()),
            Sh::Fish => format!("assume-role init fish{flags} | source"),
        }
    }

    /// One prompt.
    pub fn prompt(self) -> &'static str {
        match self {
            Sh::Bash | Sh::Zsh => ":",
            Sh::Fish => "emit fish_prompt",
        }
    }

    /// `n` prompts without doing anything else.
    pub fn prompts(self, n: usize) -> String {
        vec![self.prompt(); n].join("\n")
    }

    /// `command`, then `rc=STATUS` on stdout.
    pub fn with_status(self, command: &str) -> String {
        match self {
            Sh::Bash | Sh::Zsh => format!("{command}; echo \"rc=$?\""),
            Sh::Fish => format!("{command}; echo \"rc=$status\""),
        }
    }

    /// Prints `NAME=value` or `NAME unset` for each of `names`.
    pub fn show(self, names: &[&str]) -> String {
        names
            .iter()
            .map(|n| match self {
                Sh::Bash | Sh::Zsh => format!(
                    "if [ -n \"${{{n}+x}}\" ]; then printf '%s=%s\\n' {n} \"${n}\"; else echo '{n} unset'; fi"
                ),
                Sh::Fish => format!(
                    "if set -q {n}; printf '%s=%s\\n' {n} \"${n}\"; else; echo '{n} unset'; end"
                ),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Prints, NUL-separated, every managed and integration variable as the
    /// shell has it (`NAME=value`, or `NAME` when unset), then `@env`, then
    /// the exported environment (`env -0`). Parse it with [`Dump::parse`].
    pub fn dump(self) -> String {
        let names: Vec<&str> = MANAGED.iter().chain(SHELL_VARS).copied().collect();
        let names = names.join(" ");
        match self {
            Sh::Bash => format!(
                "for __t in {names}; do if [ -n \"${{!__t+x}}\" ]; then printf '%s=%s\\0' \"$__t\" \"${{!__t}}\"; \
                 else printf '%s\\0' \"$__t\"; fi; done; printf '@env\\0'; env -0"
            ),
            Sh::Zsh => format!(
                "for __t in {names}; do if (( ${{+parameters[$__t]}} )); then printf '%s=%s\\0' \"$__t\" \"${{(P)__t}}\"; \
                 else printf '%s\\0' \"$__t\"; fi; done; printf '@env\\0'; env -0"
            ),
            Sh::Fish => format!(
                "for __t in {names}; if set -q $__t; printf '%s=%s\\0' $__t \"$$__t\"; \
                 else; printf '%s\\0' $__t; end; end; printf '@env\\0'; env -0"
            ),
        }
    }

    /// Prints `NAME:yes` when a function `name` exists, else `NAME:no`.
    pub fn has_function(self, name: &str) -> String {
        match self {
            Sh::Bash => format!(
                "if declare -F {name} >/dev/null; then echo {name}:yes; else echo {name}:no; fi"
            ),
            Sh::Zsh => format!(
                "if (( ${{+functions[{name}]}} )); then echo {name}:yes; else echo {name}:no; fi"
            ),
            Sh::Fish => {
                format!("if functions -q {name}; echo {name}:yes; else; echo {name}:no; end")
            }
        }
    }

    /// Makes the credentials of a [`due_env`] due, and the prompt hook
    /// call the binary at the next prompt as when its time has come: the
    /// 20 minute margin replaces the 5 minute one, and the integration's
    /// refresh time (fish: and its clock) is set in the past.
    pub fn make_due(self) -> &'static str {
        match self {
            Sh::Bash | Sh::Zsh => {
                "command cp \"$AR_DUE_YAML\" \"$HOME/.aws/assume-role.yaml\"; __ar_refresh_at=1"
            }
            Sh::Fish => {
                "command cp $AR_DUE_YAML $HOME/.aws/assume-role.yaml; set -g __ar_refresh_at 1; set -g __ar_refresh_clock 0"
            }
        }
    }

    /// Points the integration at another program (the path in `$var`).
    pub fn set_bin(self, var: &str) -> String {
        match self {
            Sh::Bash | Sh::Zsh => format!("__ar_bin=\"${var}\""),
            Sh::Fish => format!("set -g __ar_bin \"${var}\""),
        }
    }
}

// ---------------------------------------------------------------------------
// Scripts cut into steps, and their transcripts

/// A script for one shell, cut into named steps.
pub struct Session<'a> {
    pub sh: Sh,
    pub env: &'a TestEnv,
    pub script: String,
    steps: Vec<(String, String)>,
    extra_env: Vec<(String, OsString)>,
}

impl<'a> Session<'a> {
    pub fn new(sh: Sh, env: &'a TestEnv) -> Session<'a> {
        let mut session = Session {
            sh,
            env,
            script: sh.preamble().to_owned(),
            steps: Vec::new(),
            extra_env: Vec::new(),
        };
        session.script += &marker(sh, "start");
        session
    }

    /// Adds a variable whose value need not be UTF-8.
    pub fn env_os(&mut self, name: &str, value: OsString) -> &mut Self {
        self.extra_env.push((name.to_owned(), value));
        self
    }

    /// Adds `code` (one line or several) as step `name`; a prompt follows.
    pub fn step(&mut self, name: &str, code: &str) -> &mut Self {
        self.labelled(name, code, code)
    }

    /// A step printing `vars` (see [`Sh::show`]).
    pub fn show(&mut self, name: &str, vars: &[&str]) -> &mut Self {
        let code = self.sh.show(vars);
        self.labelled(name, &code, &format!("<show {}>", vars.join(" ")))
    }

    /// A step dumping the variables (see [`Sh::dump`]).
    pub fn dump(&mut self, name: &str) -> &mut Self {
        let code = self.sh.dump();
        self.labelled(
            name,
            &code,
            "<dump the managed variables and the environment>",
        )
    }

    /// A step shown as `label` in the transcript.
    pub fn labelled(&mut self, name: &str, code: &str, label: &str) -> &mut Self {
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && name != "start"
                && name != "end"
                && self.steps.iter().all(|(n, _)| n != name),
            "bad or repeated step name {name:?}"
        );
        self.script += code;
        self.script.push('\n');
        self.script += &marker(self.sh, name);
        self.steps.push((name.to_owned(), label.to_owned()));
        self
    }

    /// Runs the script; the shell must reach its end and exit 0.
    pub fn run(&self) -> Transcript {
        let script = self.script.clone() + &marker(self.sh, "end");

        let mut cmd = self.sh.command(self.env);
        for (name, value) in &self.extra_env {
            cmd.env(name, value);
        }
        let output = run_with_input(&mut cmd, &script);
        let transcript = Transcript::parse(self, &output);
        eprintln!("{transcript}");
        assert!(
            output.status.success(),
            "{} exited with {}",
            self.sh.name(),
            output.status
        );
        transcript
    }
}

/// A prompt (bash and zsh give one before reading each line), then
/// `\n@@name\n` on both streams.
pub fn marker(sh: Sh, name: &str) -> String {
    let prompt = if sh == Sh::Fish {
        "emit fish_prompt; "
    } else {
        ""
    };
    format!("{prompt}printf '\\n@@%s\\n' {name}; printf '\\n@@%s\\n' {name} >&2\n")
}

pub struct Step {
    name: String,
    code: String,
    out: String,
    err: String,
}

/// What each step of a session printed.
pub struct Transcript {
    sh: Sh,
    steps: Vec<Step>,
    /// What the shell said on stderr after the last step (its last prompt).
    tail: String,
}

impl Transcript {
    pub fn parse(session: &Session, output: &Output) -> Transcript {
        let mut names = vec!["start"];
        names.extend(session.steps.iter().map(|(n, _)| n.as_str()));
        names.push("end");
        let split = |text: &[u8], stream: &str| -> Vec<String> {
            let text = String::from_utf8_lossy(text);
            let mut pos = 0;
            let mut chunks = Vec::new();
            for name in &names {
                let marker = format!("\n@@{name}\n");
                let Some(at) = text[pos..].find(&marker) else {
                    panic!(
                        "{}: the script never reached step `{name}` ({stream})\n{}",
                        session.sh.name(),
                        describe(output)
                    );
                };
                chunks.push(text[pos..pos + at].to_owned());
                pos += at + marker.len();
            }
            chunks.push(text[pos..].to_owned());
            chunks
        };
        let outs = split(&output.stdout, "stdout");
        let errs = split(&output.stderr, "stderr");
        // After the last marker: nothing on stdout; on stderr, what the
        // last prompt said, and bash's goodbye.
        assert!(
            outs.last().unwrap().is_empty(),
            "output after the end of the script\n{}",
            describe(output)
        );
        let tail = errs.last().unwrap();
        let tail = tail.strip_suffix("exit\n").unwrap_or(tail).to_owned();
        let steps = session
            .steps
            .iter()
            .enumerate()
            .map(|(i, (name, code))| Step {
                name: name.clone(),
                code: code.clone(),
                // chunk 0 is the shell's start-up noise, before `start`.
                out: outs[i + 1].clone(),
                err: errs[i + 1].clone(),
            })
            .collect();
        Transcript {
            sh: session.sh,
            steps,
            tail,
        }
    }

    pub fn step(&self, name: &str) -> &Step {
        self.steps
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no step {name}"))
    }

    pub fn out(&self, name: &str) -> &str {
        &self.step(name).out
    }

    pub fn err(&self, name: &str) -> &str {
        &self.step(name).err
    }

    /// Every line on stderr, from every step and the last prompt.
    pub fn said(&self) -> Vec<&str> {
        self.steps
            .iter()
            .flat_map(|s| s.err.lines())
            .chain(self.tail.lines())
            .collect()
    }

    /// Every step but `loud`, and the last prompt, wrote nothing on stderr.
    pub fn quiet_but(&self, loud: &[&str]) {
        assert_eq!(
            self.tail,
            "",
            "{}: the last prompt wrote on stderr",
            self.sh.name()
        );
        for step in &self.steps {
            if !loud.contains(&step.name.as_str()) {
                assert_eq!(
                    step.err,
                    "",
                    "{}: step `{}` ({}) wrote on stderr",
                    self.sh.name(),
                    step.name,
                    step.code
                );
            }
        }
    }

    /// The variables a [`Sh::show`] step printed.
    pub fn vars(&self, name: &str) -> BTreeMap<String, Option<String>> {
        self.out(name)
            .lines()
            .map(|line| match line.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (
                    line.strip_suffix(" unset")
                        .unwrap_or_else(|| panic!("step {name}: odd line {line:?}"))
                        .to_owned(),
                    None,
                ),
            })
            .collect()
    }

    /// The value of `var` that step `name` showed.
    pub fn var(&self, name: &str, var: &str) -> Option<String> {
        self.vars(name)
            .get(var)
            .unwrap_or_else(|| panic!("step {name} did not show {var}"))
            .clone()
    }

    pub fn dump(&self, name: &str) -> Dump {
        Dump::parse(self.out(name))
    }

    /// Asserts that step `name` wrote exactly one line on stderr, and
    /// returns it.
    pub fn one_line(&self, name: &str) -> &str {
        let err = self.err(name);
        assert!(
            err.ends_with('\n') && err.lines().count() == 1,
            "{}: step `{name}` should say one line on stderr, said {err:?}",
            self.sh.name()
        );
        err.trim_end()
    }
}

impl std::fmt::Display for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "===== {} =====", self.sh.name())?;
        for step in &self.steps {
            writeln!(f, "-- {}", step.name)?;
            for line in step.code.lines() {
                writeln!(f, "$ {line}")?;
            }
            match step.out.split_once("@env\0") {
                // A dump: the shell's side, one variable a line.
                Some((shell, env)) => {
                    for item in shell.split_terminator('\0') {
                        let shown: String = item.escape_debug().take(100).collect();
                        writeln!(f, "  {shown}")?;
                    }
                    let count = env.split_terminator('\0').count();
                    writeln!(f, "  (and {count} environment variables)")?;
                }
                None => {
                    for line in step.out.lines() {
                        writeln!(f, "  {line}")?;
                    }
                }
            }
            for line in step.err.lines() {
                writeln!(f, "! {line}")?;
            }
        }
        for line in self.tail.lines() {
            writeln!(f, "! {line}")?;
        }
        Ok(())
    }
}

/// The variables a [`Sh::dump`] step printed: as the shell has them, and
/// as children see them (minus [`ENV_NOISE`]).
#[derive(Debug, PartialEq)]
pub struct Dump {
    pub shell: BTreeMap<String, Option<String>>,
    pub env: BTreeMap<String, String>,
}

impl Dump {
    pub fn parse(out: &str) -> Dump {
        let (shell, env) = out
            .split_once("@env\0")
            .unwrap_or_else(|| panic!("not a dump: {out:?}"));
        let shell = shell
            .split_terminator('\0')
            .map(|item| match item.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (item.to_owned(), None),
            })
            .collect();
        let env = env
            .split_terminator('\0')
            .filter_map(|item| item.split_once('='))
            .filter(|(k, _)| !ENV_NOISE.contains(k))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Dump { shell, env }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.shell
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not in the dump"))
            .as_deref()
    }
}

/// Asserts two dumps are equal, naming the first variable that differs.
pub fn assert_same(sh: Sh, what: &str, got: &Dump, want: &Dump) {
    for (k, v) in &want.shell {
        assert_eq!(
            got.shell.get(k),
            Some(v),
            "{}: {what}: {k} differs",
            sh.name()
        );
    }
    for k in want.env.keys().chain(got.env.keys()) {
        assert_eq!(
            got.env.get(k),
            want.env.get(k),
            "{}: {what}: {k} differs in the environment",
            sh.name()
        );
    }
    assert_eq!(got, want, "{}: {what}", sh.name());
}

pub fn assert_key(sh: Sh, key: &Option<String>) -> String {
    let key = key
        .clone()
        .unwrap_or_else(|| panic!("{}: AWS_ACCESS_KEY_ID is unset", sh.name()));
    assert!(
        key.starts_with("ASIA"),
        "{}: not a role key: {key}",
        sh.name()
    );
    key
}
