//! The trust mark: a file per shell that `allow` and `deny` remove, so that
//! the next prompt (any shell's) sees with a builtin test that trust
//! changed, and calls the hook.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::shell::{EnvChange, Scope};

const MARK_PREFIX: &str = "trust-mark.";

/// Where the marks live: beside the trust store.
fn mark_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("assume-role"))
}

/// The current trust mark, made when there is none; `None` when no file can
/// be made (the hook then follows trust changes at the next `cd` only).
pub fn trust_mark() -> Option<PathBuf> {
    let dir = mark_dir()?;
    let existing = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .filter(|n| n.to_str().is_some_and(|n| n.starts_with(MARK_PREFIX)))
            .max()
    });
    if let Some(name) = existing {
        return Some(dir.join(name));
    }
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .ok()?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let path = dir.join(format!("{MARK_PREFIX}{nanos}.{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .ok()?;
    Some(path)
}

/// After `allow` or `deny`: every shell's mark goes, so that its next
/// prompt calls the hook, which follows the new trust and makes a new mark.
pub fn trust_changed() {
    let Some(dir) = mark_dir() else { return };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(MARK_PREFIX))
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Keeps `mark` in `__ar_trust_mark` (nothing for a path the shell could
/// not hold).
pub fn mark_change(mark: &Path) -> EnvChange {
    let mut change = EnvChange::new();
    if let Some(mark) = mark.to_str() {
        change.push(Scope::Private, "__ar_trust_mark", Some(mark));
    }
    change
}
