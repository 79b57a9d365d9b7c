//! Round-trips values through real shells: every value is quoted the way the
//! tool quotes it, loaded the way users load the tool's output (`eval` in
//! bash/zsh, `| source` in fish), and printed back, once by the shell itself
//! and once by a child process (`env -0`) to prove the variables are exported.
//!
//! The `*_through_the_binary` tests take the same values through the built
//! binary: handed over in `__AR_ORIG`, printed by `assume-role __shell SHELL
//! restore` (the code `ar -u` evaluates) and evaluated by the real shell.
//!
//! All values for one shell go into a single script so the test stays fast.
//! PowerShell is not installable here: its quoting is checked by the unit
//! tests in `src/shell/quote.rs` and parsed with tree-sitter's PowerShell
//! grammar in `powershell_*` below.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Stdio};

use assume_role::shell::quote;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::util::BIN;

/// Random values per shell, on top of [`HANDPICKED`].
const RANDOM_VALUES: usize = 2000;

const HANDPICKED: &[&str] = &[
    "",
    " ",
    "'",
    "''",
    "'\\''",
    "\\",
    "\\\\",
    "\\'",
    "trailing\\",
    "\\n",
    "\\0",
    "\\x41\\u0041",
    "$(id)",
    "`id`",
    "(id)",
    "$HOME",
    "${HOME}",
    "$'\\n'",
    "%PATH%",
    ";rm -rf /",
    "a\nb",
    "\n",
    "\r\n",
    "!!",
    "!$",
    "!-1",
    "*",
    "?",
    "[a]",
    "{a,b}",
    "~",
    "~root",
    "#comment",
    "a\tb",
    "\x01\x1b[31m\x7f",
    "-n",
    "--",
    "-e \\n",
    "%s%n",
    "é",
    "日本",
    "🦀",
    "\u{2018}\u{2019}\u{201A}\u{201B}",
    "\u{a0}\u{feff}",
    "\"",
    "\"$HOME\"",
    "end'",
    "'start",
    "' ; echo pwned ; '",
    "\\'; echo pwned; '",
];

/// Building blocks for random values: every ASCII control character except
/// NUL (which no environment variable can hold), shell metacharacters,
/// non-ASCII text and fragments of quoting syntax.
fn atoms() -> Vec<String> {
    let controls = (1u8..0x20).chain([0x7f]).map(|b| char::from(b).to_string());
    let others = [
        "'", "\"", "\\", "$", "`", "(", ")", "{", "}", "[", "]", "!", "*", "?", ";", "|", "&", "<",
        ">", "#", "~", "%", "=", "-", " ", "  ", "a", "Z", "0", "é", "ß", "日本", "🦀", "\u{2018}",
        "\u{2019}", "\u{201A}", "\u{201B}", "\u{a0}", "\u{feff}", "$(id)", "'\\''", "\\n", "\\\\",
        "${x}", "$HOME",
    ];
    controls.chain(others.map(String::from)).collect()
}

fn values() -> Vec<String> {
    let strategy = prop::collection::vec(prop::sample::select(atoms()), 0..24)
        .prop_map(|parts| parts.concat());
    let mut runner = TestRunner::deterministic();
    let random = (0..RANDOM_VALUES).map(|_| {
        strategy
            .new_tree(&mut runner)
            .expect("generate a value")
            .current()
    });
    HANDPICKED
        .iter()
        .map(|&v| v.to_owned())
        .chain(random)
        .collect()
}

struct Shell {
    name: &'static str,
    args: &'static [&'static str],
    /// Shell code run before the generated code is loaded.
    setup: &'static str,
    /// One line of the tool's output: export `name` with `value`.
    export: fn(name: &str, value: &str) -> String,
    /// Loads the file of exports the way a user loads the tool's output.
    load: fn(path: &str) -> String,
    /// Prints variable `name` followed by a NUL.
    print: fn(name: &str) -> String,
}

const BASH: Shell = Shell {
    name: "bash",
    args: &["--norc", "--noprofile"],
    setup: "",
    export: posix_export,
    load: posix_load,
    print: posix_print,
};

const ZSH: Shell = Shell {
    name: "zsh",
    args: &["-f"],
    ..BASH
};

const FISH: Shell = Shell {
    name: "fish",
    args: &["--no-config"],
    setup: "",
    export: |name, value| format!("set -gx {name} {}\n", quote::fish(value)),
    load: |path| format!("cat {} | source\n", quote::fish(path)),
    print: |name| format!("printf '%s\\0' ${name}\n"),
};

fn posix_export(name: &str, value: &str) -> String {
    format!("export {name}={}\n", quote::posix(value))
}

fn posix_load(path: &str) -> String {
    format!("eval \"$(cat {})\"\n", quote::posix(path))
}

fn posix_print(name: &str) -> String {
    format!("printf '%s\\0' \"${name}\"\n")
}

/// Runs every value through `shell` and asserts each comes back unchanged,
/// both from the shell and from a child process's environment.
fn round_trip(shell: &Shell, locale: &str) {
    let values = values();
    let name = |i: usize| format!("V{i}");
    let dir = tempfile::tempdir().expect("create temp dir");

    let exports_path = dir.path().join("exports");
    let exports: String = values
        .iter()
        .enumerate()
        .map(|(i, value)| (shell.export)(&name(i), value))
        .collect();
    std::fs::write(&exports_path, exports).expect("write exports");

    let mut script = String::from(shell.setup);
    script += &(shell.load)(exports_path.to_str().expect("UTF-8 temp path"));
    for i in 0..values.len() {
        script += &(shell.print)(&name(i));
    }
    script += "env -0\n";
    let script_path = dir.path().join("script");
    std::fs::write(&script_path, script).expect("write script");

    let output = run(shell, &script_path, dir.path(), locale);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "{} ({locale}) failed with {}; stderr:\n{stderr}",
        shell.name,
        output.status,
    );

    // Every printf and every `env -0` entry ends in a NUL.
    let mut fields: Vec<&[u8]> = output.stdout.split(|&b| b == 0).collect();
    assert_eq!(fields.pop(), Some(&b""[..]), "output must end with a NUL");
    assert!(
        fields.len() >= values.len(),
        "{} printed too few values",
        shell.name
    );
    let (printed, env) = fields.split_at(values.len());
    let env: HashMap<&[u8], &[u8]> = env
        .iter()
        .filter_map(|entry| {
            let eq = entry.iter().position(|&b| b == b'=')?;
            Some((&entry[..eq], &entry[eq + 1..]))
        })
        .collect();

    let failures: Vec<String> = values
        .iter()
        .enumerate()
        .filter_map(|(i, value)| {
            let expected = value.as_bytes();
            let exported = env.get(name(i).as_bytes()).copied();
            (printed[i] != expected || exported != Some(expected)).then(|| {
                format!(
                    "{value:?} (written as {:?}): shell printed {:?}, child saw {:?}",
                    (shell.export)(&name(i), value),
                    String::from_utf8_lossy(printed[i]),
                    exported.map(String::from_utf8_lossy),
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} ({locale}) mangled {} of {} values, first ones:\n{}",
        shell.name,
        failures.len(),
        values.len(),
        failures[..failures.len().min(10)].join("\n"),
    );
    eprintln!(
        "{} ({locale}): {} values round-tripped and exported",
        shell.name,
        values.len()
    );
}

/// Runs `script` in a clean environment: only `PATH`, a scratch `HOME` and the
/// locale, so no startup file or inherited variable can interfere.
fn run(shell: &Shell, script: &Path, home: &Path, locale: &str) -> std::process::Output {
    let result = Command::new(shell.name)
        .args(shell.args)
        .arg(script)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("LC_ALL", locale)
        .stdin(Stdio::null())
        .output();
    match result {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "{} is not installed; these tests need real shells: apt-get install bash zsh fish",
            shell.name
        ),
        Err(e) => panic!("cannot run {}: {e}", shell.name),
    }
}

#[test]
fn bash_round_trip() {
    round_trip(&BASH, "C.UTF-8");
    round_trip(&BASH, "C");
}

#[test]
fn zsh_round_trip() {
    round_trip(&ZSH, "C.UTF-8");
    round_trip(&ZSH, "C");
}

/// Users' interactive zsh may have `RC_QUOTES`, which makes `''` inside single
/// quotes mean a literal quote.
#[test]
fn zsh_rc_quotes_round_trip() {
    let shell = Shell {
        setup: "setopt rc_quotes\n",
        ..ZSH
    };
    round_trip(&shell, "C.UTF-8");
}

#[test]
fn fish_round_trip() {
    round_trip(&FISH, "C.UTF-8");
    round_trip(&FISH, "C");
}

/// `eval (cmd)` would split the output at newlines (mangling values that
/// contain one); `eval (cmd | string collect)` must work.
#[test]
fn fish_eval_round_trip() {
    let shell = Shell {
        load: |path| format!("eval (cat {} | string collect)\n", quote::fish(path)),
        ..FISH
    };
    round_trip(&shell, "C.UTF-8");
}

// ------------------------------------------- through the binary's own output

/// The variables `ar -u` restores: the binary prints `export NAME='…'` for
/// each one saved in `__AR_ORIG`.
const MANAGED: &[&str] = assume_role::aws::base_env::MANAGED;

/// What the binary prints for `shell` to restore `values` (one per managed
/// variable, in order): `assume-role __shell SHELL restore`, the code that
/// `ar -u` evaluates, with the values handed over in `__AR_ORIG`.
fn restore_output(shell: &str, values: &[String]) -> String {
    let saved: serde_json::Map<String, serde_json::Value> = MANAGED
        .iter()
        .zip(values)
        .map(|(name, value)| ((*name).to_owned(), value.clone().into()))
        .collect();
    let output = Command::new(BIN)
        .args(["__shell", shell, "restore"])
        .env_clear()
        .env("__AR_ORIG", serde_json::Value::Object(saved).to_string())
        .stdin(Stdio::null())
        .output()
        .expect("run assume-role");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "__shell {shell} restore failed with {}: {stderr}",
        output.status
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Every value, in batches of one per managed variable, through the
/// binary's restore output evaluated the way `ar -u` evaluates it (`eval` in
/// bash/zsh, `| source` in fish), printed back by the shell and by a child
/// (`env -0`).
fn round_trip_through_the_binary(shell: &Shell, locale: &str) {
    let values = values();
    let dir = tempfile::tempdir().expect("create temp dir");
    let batches: Vec<&[String]> = values.chunks(MANAGED.len()).collect();
    let mut script = String::from(shell.setup);
    for (b, batch) in batches.iter().enumerate() {
        let path = dir.path().join(format!("restore-{b}"));
        std::fs::write(&path, restore_output(shell.name, batch)).expect("write restore");
        script += &(shell.load)(path.to_str().expect("UTF-8 temp path"));
        for name in &MANAGED[..batch.len()] {
            script += &(shell.print)(name);
        }
        script += "env -0\nprintf '@@\\0'\n";
    }
    let script_path = dir.path().join("script");
    std::fs::write(&script_path, script).expect("write script");
    let output = run(shell, &script_path, dir.path(), locale);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stderr.is_empty(),
        "{} ({locale}) failed with {}; stderr:\n{stderr}",
        shell.name,
        output.status,
    );
    let fields: Vec<&[u8]> = output.stdout.split(|&b| b == 0).collect();
    let mut groups = fields.split(|f| *f == b"@@");
    let mut failures = Vec::new();
    for batch in &batches {
        let group = groups.next().expect("one group of output per batch");
        let (printed, env) = group.split_at(batch.len());
        let env: HashMap<&[u8], &[u8]> = env
            .iter()
            .filter_map(|entry| {
                let eq = entry.iter().position(|&b| b == b'=')?;
                Some((&entry[..eq], &entry[eq + 1..]))
            })
            .collect();
        for ((name, value), got) in MANAGED.iter().zip(batch.iter()).zip(printed) {
            let exported = env.get(name.as_bytes()).copied();
            if *got != value.as_bytes() || exported != Some(value.as_bytes()) {
                failures.push(format!(
                    "{value:?} as {name}: shell printed {:?}, child saw {:?}",
                    String::from_utf8_lossy(got),
                    exported.map(String::from_utf8_lossy)
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} ({locale}) mangled {} of {} values from the binary, first ones:\n{}",
        shell.name,
        failures.len(),
        values.len(),
        failures[..failures.len().min(10)].join("\n"),
    );
    eprintln!(
        "{} ({locale}): {} values through `assume-role __shell {} restore` round-tripped and exported",
        shell.name,
        values.len(),
        shell.name
    );
}

#[test]
fn bash_round_trip_through_the_binary() {
    round_trip_through_the_binary(&BASH, "C.UTF-8");
    round_trip_through_the_binary(&BASH, "C");
}

#[test]
fn zsh_round_trip_through_the_binary() {
    round_trip_through_the_binary(&ZSH, "C.UTF-8");
    round_trip_through_the_binary(
        &Shell {
            setup: "setopt rc_quotes\n",
            ..ZSH
        },
        "C.UTF-8",
    );
}

#[test]
fn fish_round_trip_through_the_binary() {
    round_trip_through_the_binary(&FISH, "C.UTF-8");
    round_trip_through_the_binary(&FISH, "C");
}

// ------------------------------------------- PowerShell, parsed by tree-sitter

/// Runs tests/support/ps_parse.py (tree-sitter's PowerShell grammar, in the
/// test virtualenv) with `args`.
fn ps_parse(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/ps_parse.py");
    let python = crate::util::venv_bin("python");
    let probe = Command::new(&python)
        .args(["-c", "import tree_sitter, tree_sitter_powershell"])
        .output()
        .expect("run the venv's python");
    assert!(
        probe.status.success(),
        "tree-sitter's PowerShell grammar is not in the test virtualenv: run scripts/setup, \
         or .venv/bin/pip install tree-sitter tree-sitter-powershell\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    Command::new(python)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run ps_parse.py")
}

/// The `$env:`/`$global:` assignments in `text`, as PowerShell's lexer
/// decodes their single-quoted values; panics if `text` does not parse.
fn powershell_assignments(dir: &Path, text: &str) -> Vec<(String, String)> {
    let path = dir.join("statements.ps1");
    std::fs::write(&path, text).expect("write statements");
    let output = ps_parse(&["assignments".as_ref(), path.as_os_str()]);
    assert!(
        output.status.success(),
        "ps_parse.py assignments: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: Vec<(Option<String>, String)> =
        serde_json::from_slice(&output.stdout).expect("JSON from ps_parse.py");
    list.into_iter()
        .filter_map(|(name, value)| Some((name?, value)))
        .collect()
}

/// The values, quoted by the binary in `__shell powershell restore`, parse
/// as PowerShell and each literal decodes to the value.
#[test]
fn powershell_restore_output_parses_and_decodes_to_every_value() {
    let values = values();
    let dir = tempfile::tempdir().expect("create temp dir");
    let mut text = String::new();
    let mut want = Vec::new();
    for batch in values.chunks(MANAGED.len()) {
        text += &restore_output("powershell", batch);
        want.extend(
            MANAGED
                .iter()
                .zip(batch)
                .map(|(n, v)| ((*n).to_owned(), v.clone())),
        );
    }
    let got = powershell_assignments(dir.path(), &text);
    assert_eq!(got.len(), want.len(), "one assignment per value");
    let failures: Vec<String> = want
        .iter()
        .zip(&got)
        .filter(|(w, g)| w != g)
        .map(|(w, g)| format!("{:?} as {}: decoded as {:?}", w.1, w.0, g.1))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} values do not survive PowerShell's quoting, first ones:\n{}",
        failures.len(),
        values.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    eprintln!(
        "powershell: {} values through `__shell powershell restore` parse and decode back",
        values.len()
    );
}

/// The checker can fail: a literal that PowerShell would end early at a
/// typographic quote, and a missing `)`, are both refused.
#[test]
fn powershell_checker_refuses_what_powershell_would_misread() {
    let dir = tempfile::tempdir().expect("create temp dir");
    let early = dir.path().join("early.ps1");
    std::fs::write(&early, "$env:A = 'it\u{2019}s'\n").unwrap();
    let out = ps_parse(&["assignments".as_ref(), early.as_os_str()]);
    assert!(!out.status.success(), "accepted an undoubled U+2019");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ends early"));
    let broken = dir.path().join("broken.ps1");
    std::fs::write(&broken, "if ($x { Write-Output 1 }\n").unwrap();
    let out = ps_parse(&["check".as_ref(), broken.as_os_str()]);
    assert!(!out.status.success(), "a missing `)` parsed clean");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ERROR"));
}

/// What `init powershell` prints, with each option, parses without an
/// error or missing node. (The static completion script is clap's; its
/// `$completions.Where{ … }`, valid PowerShell, is beyond the grammar.)
#[test]
fn powershell_init_parses_clean() {
    let dir = tempfile::tempdir().expect("create temp dir");
    let mut files = Vec::new();
    let runs: &[&[&str]] = &[
        &["init", "powershell"],
        &["init", "powershell", "--no-hook"],
        &["init", "powershell", "--cmd", "awsr"],
        &["init", "pwsh", "--cmd", "awsr", "--no-hook"],
    ];
    for (i, args) in runs.iter().enumerate() {
        let output = Command::new(BIN)
            .args(*args)
            .env_clear()
            .stdin(Stdio::null())
            .output()
            .expect("run assume-role");
        assert!(
            output.status.success() && output.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stdout.is_empty(), "{args:?} printed nothing");
        let path = dir.path().join(format!("{i}.ps1"));
        std::fs::write(&path, &output.stdout).unwrap();
        files.push(path);
    }
    let mut args: Vec<&std::ffi::OsStr> = vec!["check".as_ref()];
    args.extend(files.iter().map(|p| p.as_os_str()));
    let output = ps_parse(&args);
    assert!(
        output.status.success(),
        "tree-sitter-powershell found errors:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
