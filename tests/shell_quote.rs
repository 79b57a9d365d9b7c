//! Round-trips values through real shells: every value is quoted the way the
//! tool quotes it, loaded the way users load the tool's output (`eval` in
//! bash/zsh, `| source` in fish), and printed back, once by the shell itself
//! and once by a child process (`env -0`) to prove the variables are exported.
//!
//! All values for one shell go into a single script so the test stays fast.
//! PowerShell is not installable here; the unit tests in `src/shell/quote.rs`
//! are its only coverage.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, Stdio};

use assume_role::shell::quote;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

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
