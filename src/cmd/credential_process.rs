//! `credential-process`: the JSON that `credential_process` in ~/.aws/config reads.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;

use crate::assume;
use crate::cli::RoleOptions;
use crate::util::time::rfc3339;

pub fn run(args: &RoleOptions) -> Result<ExitCode> {
    let config = super::warned(|w| assume::load_config(args, w))?;
    super::print_warnings(&config.warnings);
    let assumed = super::warned(|w| assume::assume_with(config, args, w))?;
    let c = &assumed.credentials;
    let json = serde_json::json!({
        "Version": 1,
        "AccessKeyId": c.access_key_id,
        "SecretAccessKey": c.secret_access_key,
        "SessionToken": c.session_token,
        "Expiration": rfc3339::format(c.expiration),
    });
    writeln!(io::stdout().lock(), "{json}")?;
    Ok(ExitCode::SUCCESS)
}
