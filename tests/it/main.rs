//! The integration tests: one binary (ripgrep's layout), so the crate and
//! the AWS SDK are linked once. Each module is one area; `util` holds the
//! test environment and the servers the tests talk to.
//!
//! Run one area with `cargo test --test it -- shell::`, one test with
//! `cargo test --test it -- core::exec_replaces_the_process --exact`.

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
