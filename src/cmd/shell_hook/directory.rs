//! The directory hook's choice: the role the nearest trusted
//! `assume-role.yaml` names, with the configuration that applies to it.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::config::{self, Config, Origin, Why};
use crate::store::trust;

/// The role a directory's trusted config files name.
pub struct Wanted {
    pub role: String,
    pub file: PathBuf,
    /// Of all the config files in effect.
    pub digest: String,
}

/// The role the nearest `assume-role.yaml` names, when every project file
/// in effect is trusted, with the config that applies in that file's
/// folder. A file not trusted is never parsed: the user is told, once, how
/// to trust it (a blocked one silently), and no role is assumed. Every
/// warning is printed here, once per call.
pub fn directory_role(dir: &Path) -> Result<Option<(Wanted, Config)>> {
    let sources = config::read_sources(dir, None)?;
    super::super::print_warnings(&sources.warnings);
    if sources
        .skipped
        .iter()
        .any(|s| matches!(s.why, Why::Trust(_)))
    {
        return Ok(None);
    }
    let config = Config::from_sources(&sources.files)?;
    super::super::print_warnings(&config.warnings);
    let Some((role, file)) = config.role.clone() else {
        return Ok(None);
    };
    // What is hashed is what was parsed.
    let all: Vec<u8> = sources
        .files
        .iter()
        .flat_map(|s| {
            [
                s.path.as_os_str().as_encoded_bytes(),
                b"\0",
                &s.bytes[..],
                b"\0",
            ]
        })
        .flatten()
        .copied()
        .collect();
    let digest = trust::digest(&all);
    // The role is assumed with the files at or above its own folder.
    let folder = file.parent().unwrap_or(Path::new("/"));
    let applies = |s: &&config::Source| {
        s.origin != Origin::Project || s.path.parent().is_some_and(|p| folder.starts_with(p))
    };
    let config = if sources.files.iter().all(|s| applies(&s)) {
        config
    } else {
        let files: Vec<config::Source> = sources.files.iter().filter(applies).cloned().collect();
        Config::from_sources(&files)?
    };
    Ok(Some((Wanted { role, file, digest }, config)))
}
