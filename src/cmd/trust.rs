//! `allow` and `deny`: trust, or block, a directory's assume-role.yaml.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};

use super::info;
use crate::cli::TrustArgs;
use crate::config::{self, FILE_NAME};
use crate::store::trust;

pub fn allow(args: &TrustArgs) -> Result<ExitCode> {
    let file = find(args.path.as_deref())?;
    // What is trusted is what a later call reads: the same checks, the
    // same bytes.
    let content = match config::read_project(&file) {
        Ok(Some(content)) => content,
        Ok(None) => bail!("{} does not exist", file.display()),
        Err(why) => bail!("{} {why}, so it cannot be allowed", file.display()),
    };
    super::warned(|w| trust::allow(&file, &content, w))?;
    info(format_args!("trusted {}", file.display()));
    Ok(ExitCode::SUCCESS)
}

pub fn deny(args: &TrustArgs) -> Result<ExitCode> {
    let file = find(args.path.as_deref())?;
    super::warned(|w| trust::deny(&file, w))?;
    info(format_args!("blocked {}", file.display()));
    Ok(ExitCode::SUCCESS)
}

/// Whether something (a file, a link, even a dangling one) is at `path`.
fn exists(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| !m.is_dir())
}

/// The file itself, or the nearest assume-role.yaml from a directory up.
fn find(path: Option<&Path>) -> Result<PathBuf> {
    let start = match path {
        Some(path) => path.to_path_buf(),
        None => std::env::current_dir().context("cannot read the working directory")?,
    };
    if exists(&start) {
        if start.file_name() != Some(FILE_NAME.as_ref()) {
            bail!("{} is not an {FILE_NAME}", start.display());
        }
        return Ok(start);
    }
    let start = start
        .canonicalize()
        .map_err(|_| anyhow!("{} does not exist", start.display()))?;
    match start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|f| exists(f))
    {
        Some(file) => Ok(file),
        None => bail!("no {FILE_NAME} in {} or above it", start.display()),
    }
}
