//! The integration tests: one binary (ripgrep's layout), so the crate and
//! the AWS SDK are linked once and one moto server serves every module.
//!
//! Run one area with `cargo test --test it -- shell::`, one test with
//! `cargo test --test it -- core::exec_replaces_the_process --exact`; add
//! `--nocapture` to see the transcripts the shell tests print.
//!
//! To add a test, put it in the module of its area and start from the
//! environment helpers in `util`:
//! - `TestEnv::prefixed_user("unique-name")` gives a fresh moto user and an
//!   isolated HOME/work directory with `role_prefix` set; `env.ar(&[..])`
//!   runs the binary there, `env.key(&[..])` gives print mode's key,
//!   `env.cache_files(suffix)` lists the cache. `TestEnv::user`,
//!   `trusted_user` and `home_user` are the other starting points. User
//!   names must be unique across the binary (moto is shared).
//! - `util::sh` runs scripts in real bash, zsh and fish, cut into steps
//!   (`Session`), and checks each step's output (`Transcript`).
//! - `util::Tmux` is a terminal, for prompts and completion.
//! - `FakeSts`, `FakeSso` and `util::Fake` run the fakes of tests/support.
//!
//! A missing tool (tmux, zsh, fish, expect, the Python virtualenv) fails
//! the test, as a rule with the command that installs it (`util::need`);
//! no test skips itself.

mod util;

mod console;
mod core;
mod faults;
mod fuzz;
mod harness;
mod hostile_files;
mod identity;
mod interop;
mod mfa;
mod security;
mod serve;
mod shell;
mod shell_quote;
