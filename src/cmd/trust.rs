//! `allow` and `deny`: trust, or block, a directory's assume-role.yaml.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cli::TrustArgs;
use crate::config::FILE_NAME;
use crate::trust;

pub fn allow(args: &TrustArgs) -> Result<ExitCode> {
    let file = find(args.path.as_deref())?;
    trust::allow(&file)?;
    eprintln!("assume-role: trusted {}", file.display());
    Ok(ExitCode::SUCCESS)
}

pub fn deny(args: &TrustArgs) -> Result<ExitCode> {
    let file = find(args.path.as_deref())?;
    trust::deny(&file)?;
    eprintln!("assume-role: blocked {}", file.display());
    Ok(ExitCode::SUCCESS)
}

/// The file itself, or the nearest assume-role.yaml from a directory up.
fn find(path: Option<&Path>) -> Result<PathBuf> {
    let start = match path {
        Some(path) => path.to_path_buf(),
        None => std::env::current_dir().context("cannot read the working directory")?,
    };
    if start.is_file() {
        if start.file_name() != Some(FILE_NAME.as_ref()) {
            bail!("{} is not an {FILE_NAME}", start.display());
        }
        return Ok(start);
    }
    let start = start
        .canonicalize()
        .with_context(|| format!("{} does not exist", start.display()))?;
    match start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|f| f.is_file())
    {
        Some(file) => Ok(file),
        None => bail!("no {FILE_NAME} in {} or above it", start.display()),
    }
}
