//! Files written safely: the cross-process lock, the staged write put in
//! place atomically (or in place where it cannot be replaced), and the
//! clean-up of temporary files a killed process left behind.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tempfile::NamedTempFile;

/// Opens `path` and holds an exclusive lock on it until the file is dropped.
/// The lock is never followed through a symlink (which could make us
/// create or lock a file elsewhere): a lock file that is a symlink, or not
/// a regular file of ours, is replaced, with a warning added to `warnings`.
pub fn lock(path: &Path, warnings: &mut impl Extend<String>) -> Result<File> {
    let open = || {
        File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)
    };
    let why = match open() {
        Ok(file) if is_own_file(&file) => return hold(file, path),
        Ok(_) => "it is not a file of yours",
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => "it is a symlink",
        Err(e) => {
            return Err(e).with_context(|| format!("cannot open lock file {}", path.display()));
        }
    };
    warnings.extend([format!("replacing lock file {}: {why}", path.display())]);
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot remove lock file {}", path.display()));
        }
        _ => {}
    }
    let file = open().with_context(|| format!("cannot open lock file {}", path.display()))?;
    if !is_own_file(&file) {
        bail!("lock file {} is not a file of yours", path.display());
    }
    hold(file, path)
}

fn hold(file: File, path: &Path) -> Result<File> {
    file.lock()
        .with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(file)
}

/// A regular file owned by this user.
fn is_own_file(file: &File) -> bool {
    file.metadata()
        .is_ok_and(|m| m.is_file() && m.uid() == euid())
}

/// This process's effective user id.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// A file written in full to a temporary file beside its destination and
/// synced, not yet in place. Dropping it removes the temporary file.
pub struct Pending {
    tmp: NamedTempFile,
    path: PathBuf,
    bytes: Vec<u8>,
}

const TEMP_PREFIX: &str = ".assume-role.";

impl Pending {
    pub fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<Pending> {
        let dir = path.parent().unwrap_or(Path::new("."));
        remove_stale_temp_files(dir);
        let write = || -> std::io::Result<NamedTempFile> {
            let mut tmp = tempfile::Builder::new()
                .prefix(TEMP_PREFIX)
                .permissions(fs::Permissions::from_mode(mode))
                .tempfile_in(dir)?;
            tmp.write_all(bytes)?;
            tmp.as_file().sync_all()?;
            Ok(tmp)
        };
        let tmp = write().with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Pending {
            tmp,
            path: path.to_path_buf(),
            bytes: bytes.to_vec(),
        })
    }

    /// Renames the file into place: readers see the old file or the new
    /// one, never a torn one. Where the file cannot be replaced (a
    /// bind-mounted file, as dev containers have: `EBUSY`), it is
    /// rewritten in place instead; the caller holds the file's lock.
    pub fn commit(self) -> Result<()> {
        let Pending { tmp, path, bytes } = self;
        match tmp.persist(&path) {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.error.raw_os_error(), Some(libc::EBUSY | libc::EXDEV)) => {
                drop(e.file);
                write_in_place(&path, &bytes)
                    .with_context(|| format!("cannot write {}", path.display()))
            }
            Err(e) => Err(e.error).with_context(|| format!("cannot write {}", path.display())),
        }
    }
}

/// Overwrites `path` with `bytes` where it is. What grows the file is
/// written first, past the old end: when that fails (a full disk) the file
/// is cut back to its old length, unchanged; then the old part is
/// overwritten, the file cut to length and synced.
fn write_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let file = File::options().write(true).open(path)?;
    let old_len = file.metadata()?.len();
    let new_len = bytes.len() as u64;
    if new_len > old_len {
        let tail = &bytes[old_len as usize..];
        if let Err(e) = file
            .write_all_at(tail, old_len)
            .and_then(|()| file.sync_data())
        {
            let _ = file.set_len(old_len);
            return Err(e);
        }
    }
    let head = &bytes[..new_len.min(old_len) as usize];
    file.write_all_at(head, 0)?;
    file.set_len(new_len)?;
    file.sync_all()
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    Pending::write(path, bytes, mode)?.commit()
}

/// Removes temporary files of ours that a killed process left behind (they
/// may hold secrets). Young ones may belong to a process still writing.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let stale = |entry: &fs::DirEntry| {
        entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > Duration::from_secs(60))
    };
    for entry in entries.filter_map(|e| e.ok()).filter(stale) {
        let _ = fs::remove_file(entry.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_place_writes_grow_and_shrink_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        fs::write(&path, "0123456789").unwrap();
        write_in_place(&path, b"abc").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"abc");
        write_in_place(&path, b"abcdefghijklmnop").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"abcdefghijklmnop");
    }
}
