//! `logout`: forget the MFA sessions and the cached role credentials, and
//! say what went.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;

use crate::store::cache::Cache;

pub fn run() -> Result<ExitCode> {
    let cache = Cache::open()?;
    super::print_warnings(&cache.take_warnings());
    let forgotten = cache.forget()?;
    let mut out = String::new();
    for serial in &forgotten.mfa_sessions {
        out += &format!("removed the MFA session of {serial}\n");
    }
    match forgotten.roles.len() {
        0 => {}
        1 => out += &format!("removed the cached credentials of {}\n", forgotten.roles[0]),
        n => {
            out += &format!("removed the cached credentials of {n} roles:\n");
            for role in &forgotten.roles {
                out += &format!("  {role}\n");
            }
        }
    }
    if out.is_empty() {
        out += "nothing to remove: no MFA session and no cached credentials\n";
    }
    io::stderr().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
