//! assume-role: run programs and shells with temporary AWS credentials.
//!
//! The layers, each using only those above it in this list: `util` (uses
//! nothing else of the crate); `shell` (shell syntax) and `cli` (clap
//! types); `store` (cache, trust store, ~/.aws files); `config` and
//! `resolve` (assume-role.yaml, `--role` → ARN); `aws` (base identity, STS,
//! MFA, sign-in, the credential endpoint); `assume` (assuming a role);
//! `cmd` (one file per subcommand, the only layer that prints).

pub mod assume;
pub mod aws;
pub mod cli;
mod cmd;
pub mod config;
pub mod resolve;
pub mod shell;
pub mod store;
pub mod util;

use std::process::ExitCode;

/// Parses the command line, runs it, and maps the outcome to an exit code:
/// 0 or the child's status, 1 for our own failure, 2 for usage.
pub fn main() -> ExitCode {
    cmd::main()
}

#[cfg(test)]
mod layers {
    //! The layers of the crate doc, checked: no module names a module of a
    //! layer below it in that list (`crate::…` paths, `use crate::{…}`
    //! groups included).

    use std::fs;
    use std::path::Path;

    /// From the bottom up; a module may use those before it.
    const LAYERS: &[&str] = &[
        "util", "shell", "cli", "store", "config", "resolve", "aws", "assume", "cmd",
    ];

    fn rank(module: &str) -> Option<usize> {
        LAYERS.iter().position(|m| *m == module)
    }

    /// The top-level modules that `text` names through `crate::`.
    fn used(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(group.len())]
                    .split(',')
                    .collect(),
                None => vec![rest],
            };
            for name in names {
                let name: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
        out
    }

    fn visit(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }

    #[test]
    fn no_module_uses_a_layer_above_its_own() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        visit(&src, &mut files);
        let mut checked = 0;
        let mut wrong = Vec::new();
        for file in &files {
            let relative = file.strip_prefix(&src).unwrap();
            let top = relative.components().next().unwrap().as_os_str();
            let top = top.to_str().unwrap().trim_end_matches(".rs");
            let Some(own) = rank(top) else {
                // lib.rs and main.rs: the top, which may use anything.
                assert!(["lib", "main"].contains(&top), "{top} is in no layer");
                continue;
            };
            for name in used(&fs::read_to_string(file).unwrap()) {
                checked += 1;
                match rank(&name) {
                    Some(theirs) if theirs <= own => {}
                    _ => wrong.push(format!("{} uses crate::{name}", relative.display())),
                }
            }
        }
        assert!(checked > 100, "the walk saw only {checked} uses");
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn the_check_sees_groups_and_paths() {
        assert_eq!(
            used("use crate::{a, b::c};\nlet x = crate::d::e();"),
            ["a", "b", "d"]
        );
    }
}
