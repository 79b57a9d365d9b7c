//! `roles`: the role names known locally, one a line (what completion offers).

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;

use crate::assume;
use crate::cli::{ConfigArgs, RoleOptions};
use crate::store::aws_files;
use crate::store::cache::Cache;
use crate::util::Warnings;
use crate::util::names::parse_role_arn;

pub fn run(args: &ConfigArgs) -> Result<ExitCode> {
    let mut out = String::new();
    let (names, warnings) = known_roles(args)?;
    super::print_warnings(&warnings);
    for name in names {
        out.push_str(&name);
        out.push('\n');
    }
    io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// `roles:` from the config files, ~/.aws/config profiles with `role_arn`,
/// and cached roles (short names under `role_prefix`, else full ARNs).
/// Never the network. Also the config's warnings, for the caller to show.
pub fn known_roles(args: &ConfigArgs) -> Result<(BTreeSet<String>, Vec<String>)> {
    let mut warnings = Vec::new();
    let config = assume::load_config(
        &RoleOptions {
            config: args.config.clone(),
            ..RoleOptions::default()
        },
        &mut Warnings::new(|warning| warnings.push(warning)),
    )?;
    let mut names: BTreeSet<String> = config.roles.iter().cloned().collect();
    names.extend(aws_files::config_profiles_with("role_arn")?);
    if let Ok(cache) = Cache::open() {
        warnings.extend(cache.take_warnings());
        for role_arn in cache.role_arns() {
            let short = config
                .role_prefix
                .as_deref()
                .and_then(|p| role_arn.strip_prefix(p))
                .filter(|rest| !rest.is_empty());
            match short {
                Some(short) => names.insert(short.to_owned()),
                None if parse_role_arn(&role_arn).is_ok() => names.insert(role_arn),
                None => false,
            };
        }
    }
    // Completion inserts these into a command line: only what a role name
    // or ARN can hold, never shell syntax from a cloned repository's file.
    names.retain(|name| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@/:-".contains(c))
    });
    warnings.extend(config.warnings);
    Ok((names, warnings))
}
