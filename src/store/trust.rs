//! Which project `assume-role.yaml` files may take effect, as direnv and
//! mise do it: `allow` records the file's absolute path and the SHA-256 of
//! its content (an edit revokes trust); `deny` blocks the path. Paths under
//! a prefix in `ASSUME_ROLE_TRUSTED_PATHS` (colon-separated, for CI) are
//! trusted too, unless blocked.
//!
//! The store is one JSON file, changed under a lock and replaced
//! atomically, so that concurrent `allow` and `deny` lose nothing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::util::Warnings;
use crate::util::fs::write_atomic;

/// Trusted path prefixes, colon-separated.
pub const TRUSTED_PATHS_VAR: &str = "ASSUME_ROLE_TRUSTED_PATHS";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    Allowed,
    /// Allowed once, edited since.
    Changed,
    Denied,
    Unknown,
}

#[derive(Default, Serialize, Deserialize)]
struct Store {
    #[serde(default)]
    allowed: BTreeMap<PathBuf, String>,
    #[serde(default)]
    denied: BTreeMap<PathBuf, String>,
}

fn store_path() -> Result<PathBuf> {
    let dir =
        dirs::data_dir().context("cannot find the user data folder (set HOME or XDG_DATA_HOME)")?;
    Ok(dir.join("assume-role").join("trust.json"))
}

fn load(path: &Path) -> Result<Store> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is corrupt; delete it and allow your files again",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Store::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Changes the store under its lock: read, change, replace atomically.
fn update(change: impl FnOnce(&mut Store), warnings: &mut Warnings) -> Result<()> {
    let path = store_path()?;
    let dir = path.parent().expect("the store is in a folder");
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _lock = crate::util::fs::lock(&dir.join("trust.lock"), warnings)?;
    let mut store = load(&path)?;
    change(&mut store);
    write_atomic(&path, &serde_json::to_vec_pretty(&store)?, 0o600)
}

/// SHA-256 of `bytes`, in hex.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `file` with its folder's real path, as the hook finds it from the
/// working directory. The file itself is not followed: a link in a cloned
/// repository to a trusted file elsewhere is a file of its own, not trusted
/// until it is allowed (its content is hashed all the same).
fn real(file: &Path) -> Result<PathBuf> {
    let (Some(dir), Some(name)) = (file.parent(), file.file_name()) else {
        anyhow::bail!("{} is not a file", file.display());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot read {}", file.display()))?;
    Ok(dir.join(name))
}

/// The prefixes of `ASSUME_ROLE_TRUSTED_PATHS`, absolute ones only, by
/// real path where they exist.
fn trusted_prefixes() -> Vec<PathBuf> {
    let Some(value) = std::env::var_os(TRUSTED_PATHS_VAR) else {
        return Vec::new();
    };
    std::env::split_paths(&value)
        .filter(|p| p.is_absolute())
        .map(|p| p.canonicalize().unwrap_or(p))
        .collect()
}

/// Tells how far files are trusted, reading the store once, and only when
/// there is a file to check.
#[derive(Default)]
pub struct Checker {
    store: Option<Store>,
    prefixes: Option<Vec<PathBuf>>,
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    /// How far `file`, whose content is `content`, is trusted.
    pub fn state(&mut self, file: &Path, content: &[u8]) -> Result<Trust> {
        let file = &real(file)?;
        let store = match &mut self.store {
            Some(store) => store,
            none => none.insert(load(&store_path()?)?),
        };
        if store.denied.contains_key(file) {
            return Ok(Trust::Denied);
        }
        let prefixes = self.prefixes.get_or_insert_with(trusted_prefixes);
        if prefixes.iter().any(|p| file.starts_with(p)) {
            return Ok(Trust::Allowed);
        }
        Ok(match store.allowed.get(file) {
            Some(hash) if *hash == digest(content) => Trust::Allowed,
            Some(_) => Trust::Changed,
            None => Trust::Unknown,
        })
    }
}

/// How far `file`, whose content is `content`, is trusted.
pub fn state(file: &Path, content: &[u8]) -> Result<Trust> {
    Checker::new().state(file, content)
}

/// Trusts `file` with `content`, as it was read (a lock file replaced on
/// the way is said in `warnings`).
pub fn allow(file: &Path, content: &[u8], warnings: &mut Warnings) -> Result<()> {
    let file = real(file)?;
    let hash = digest(content);
    update(
        |store| {
            store.denied.remove(&file);
            store.allowed.insert(file, hash);
        },
        warnings,
    )
}

/// Blocks `file`, whatever its content.
pub fn deny(file: &Path, warnings: &mut Warnings) -> Result<()> {
    let file = real(file)?;
    update(
        |store| {
            store.allowed.remove(&file);
            store.denied.insert(file, String::new());
        },
        warnings,
    )
}
