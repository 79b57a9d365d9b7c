//! Which `assume-role.yaml` files may make a shell assume a role, as direnv
//! does it: `allow` records the file's absolute path and the SHA-256 of its
//! content (an edit revokes trust); `deny` blocks the path.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::aws_files::write_atomic;

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

fn load() -> Result<Store> {
    let path = store_path()?;
    match fs::read(&path) {
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

fn save(store: &Store) -> Result<()> {
    let path = store_path()?;
    let dir = path.parent().expect("the store is in a folder");
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_atomic(&path, &serde_json::to_vec_pretty(store)?, 0o600)
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

/// How far `file`, whose content is `content`, is trusted.
pub fn state(file: &Path, content: &[u8]) -> Result<Trust> {
    let file = &real(file)?;
    let store = load()?;
    if store.denied.contains_key(file) {
        return Ok(Trust::Denied);
    }
    Ok(match store.allowed.get(file) {
        Some(hash) if *hash == digest(content) => Trust::Allowed,
        Some(_) => Trust::Changed,
        None => Trust::Unknown,
    })
}

/// Trusts `file` as it is now.
pub fn allow(file: &Path) -> Result<()> {
    let file = &real(file)?;
    let mut store = load()?;
    store.denied.remove(file);
    let content = fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    store.allowed.insert(file.to_path_buf(), digest(&content));
    save(&store)
}

/// Blocks `file`, whatever its content.
pub fn deny(file: &Path) -> Result<()> {
    let file = &real(file)?;
    let mut store = load()?;
    store.allowed.remove(file);
    store.denied.insert(file.to_path_buf(), String::new());
    save(&store)
}
