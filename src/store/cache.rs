//! Cached credentials and identities: entries, expiry, locks, atomic writes.
//!
//! Layout, under the user cache dir (`$XDG_CACHE_HOME/assume-role`, 0700):
//! `<hash>.creds.json` and `<hash>.lock` per (base identity, role ARN,
//! external id, MFA serial, duration); `<hash>.identity.json` per base
//! identity (session name, which roles need which MFA device);
//! `<hash>.mfa-session.json` and `<hash>.lock` per (base identity, MFA
//! device): the MFA session from GetSessionToken, which signs AssumeRole and
//! is never exported.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::{self, DirBuilder, File};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::util::Credentials;
use crate::util::fs::{Pending, euid, lock, write_atomic};
use crate::util::time::rfc3339;

/// What is remembered about a base identity.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Identity {
    #[serde(default)]
    pub key: String,
    pub session_name: String,
    pub user_name: Option<String>,
    /// Roles known to need MFA, with the device to use.
    #[serde(default)]
    pub mfa: BTreeMap<String, String>,
    /// The device picked when several were listed.
    pub device: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    role_arn: String,
    #[serde(with = "rfc3339::precise")]
    obtained: SystemTime,
    credentials: Credentials,
}

/// An MFA session: GetSessionToken's credentials for one base identity and
/// MFA device. Only ever used to sign AssumeRole.
#[derive(Serialize, Deserialize)]
pub struct MfaSession {
    key: String,
    /// The MFA device whose code opened it.
    pub serial: String,
    #[serde(with = "rfc3339")]
    pub obtained: SystemTime,
    pub credentials: Credentials,
}

/// What [`Cache::forget`] removed.
#[derive(Debug, Default)]
pub struct Forgotten {
    /// The MFA devices whose sessions were removed.
    pub mfa_sessions: Vec<String>,
    /// The roles whose cached credentials were removed.
    pub roles: Vec<String>,
}

/// The cache folder.
pub struct Cache {
    dir: PathBuf,
    /// Problems already reported, so that a re-read does not warn twice.
    warned: RefCell<Vec<PathBuf>>,
    /// Warnings for the user, not yet taken (see [`Cache::take_warnings`]).
    warnings: RefCell<Vec<String>>,
}

/// Identifies one cache entry; `text` is stored in the entry, so a file that
/// belongs to another key (a hash collision, a copied file) is a miss.
pub struct Key {
    text: String,
    hash: String,
}

impl Key {
    pub fn new(parts: &[&str]) -> Key {
        let text = serde_json::to_string(parts).expect("strings serialise");
        let digest = Sha256::digest(text.as_bytes());
        let hash = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        Key { text, hash }
    }
}

impl Cache {
    /// Opens (creating it 0700) the cache folder; a folder that others can
    /// read is tightened, with a warning. The cache keeps its warnings
    /// (this one, and entries it had to ignore) for the caller to take.
    pub fn open() -> Result<Cache> {
        let base = dirs::cache_dir()
            .context("cannot find the user cache folder (set HOME or XDG_CACHE_HOME)")?;
        let dir = base.join("assume-role");
        Cache::open_at(dir)
    }

    pub fn open_at(dir: PathBuf) -> Result<Cache> {
        let mut warnings = Vec::new();
        match fs::symlink_metadata(&dir) {
            Ok(meta) if !meta.is_dir() => bail!("cache folder {} is not a folder", dir.display()),
            Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                warnings.push(format!(
                    "cache folder {} was readable by others; setting it to 0700",
                    dir.display()
                ));
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).with_context(
                    || {
                        format!(
                            "cache folder {} is readable by others and cannot be set to 0700",
                            dir.display()
                        )
                    },
                )?;
            }
            Ok(_) => {}
            Err(_) => DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .with_context(|| format!("cannot create cache folder {}", dir.display()))?,
        }
        Ok(Cache {
            dir,
            warned: RefCell::default(),
            warnings: RefCell::new(warnings),
        })
    }

    /// The warnings gathered since the last call, oldest first.
    pub fn take_warnings(&self) -> Vec<String> {
        self.warnings.take()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &Key, kind: &str) -> PathBuf {
        self.dir.join(format!("{}.{kind}", key.hash))
    }

    /// The cached credentials for `key`, if any (whatever their expiry).
    pub fn credentials(&self, key: &Key) -> Option<Credentials> {
        let path = self.path(key, "creds.json");
        let entry: Entry = self.read_json(&path)?;
        if entry.key != key.text {
            self.warn_once(&path, "ignoring a cache entry that belongs to another role");
            return None;
        }
        Some(entry.credentials)
    }

    /// The cached credentials for `key` when obtained at or after `since`.
    pub fn credentials_since(&self, key: &Key, since: SystemTime) -> Option<Credentials> {
        let entry: Entry = self.read_json(&self.path(key, "creds.json"))?;
        (entry.key == key.text && entry.obtained >= since).then_some(entry.credentials)
    }

    /// Writes the entry for `key` beside its place; the caller commits it.
    pub fn prepare_credentials(
        &self,
        key: &Key,
        role_arn: &str,
        credentials: &Credentials,
    ) -> Result<Pending> {
        let entry = Entry {
            key: key.text.clone(),
            role_arn: role_arn.to_owned(),
            obtained: SystemTime::now(),
            credentials: credentials.clone(),
        };
        let bytes = serde_json::to_vec(&entry).expect("cache entries serialise");
        Pending::write(&self.path(key, "creds.json"), &bytes, 0o600)
    }

    /// The role ARNs in the cache, for completion (the secrets beside them
    /// are not kept).
    pub fn role_arns(&self) -> Vec<String> {
        #[derive(Deserialize)]
        struct RoleOnly {
            role_arn: String,
        }
        self.files(".creds.json")
            .iter()
            .filter_map(|path| serde_json::from_slice::<RoleOnly>(&read_own_file(path).ok()?).ok())
            .map(|e| e.role_arn)
            .collect()
    }

    pub fn identity(&self, key: &Key) -> Option<Identity> {
        self.read_json::<Identity>(&self.path(key, "identity.json"))
            .filter(|i| i.key == key.text)
    }

    pub fn store_identity(&self, key: &Key, identity: &Identity) -> Result<()> {
        let identity = Identity {
            key: key.text.clone(),
            ..identity.clone()
        };
        write_json(&self.path(key, "identity.json"), &identity)
    }

    /// The MFA session cached for `key`, if any (whatever its expiry).
    pub fn mfa_session(&self, key: &Key) -> Option<MfaSession> {
        let path = self.path(key, "mfa-session.json");
        let session: MfaSession = self.read_json(&path)?;
        if session.key != key.text {
            self.warn_once(
                &path,
                "ignoring an MFA session that belongs to another identity",
            );
            return None;
        }
        Some(session)
    }

    pub fn store_mfa_session(
        &self,
        key: &Key,
        serial: &str,
        credentials: &Credentials,
    ) -> Result<()> {
        let session = MfaSession {
            key: key.text.clone(),
            serial: serial.to_owned(),
            obtained: SystemTime::now(),
            credentials: credentials.clone(),
        };
        write_json(&self.path(key, "mfa-session.json"), &session)
    }

    /// Every MFA session in the cache that is still valid, for `status`.
    pub fn mfa_sessions(&self) -> Vec<MfaSession> {
        self.files(".mfa-session.json")
            .iter()
            .filter_map(|path| {
                serde_json::from_slice::<MfaSession>(&read_own_file(path).ok()?).ok()
            })
            .filter(|s| s.credentials.fresh(Duration::ZERO))
            .collect()
    }

    /// Removes every MFA session and all cached role credentials; the rest
    /// (session names, which roles need MFA, locks) stays.
    pub fn forget(&self) -> Result<Forgotten> {
        #[derive(Deserialize)]
        struct RoleOnly {
            role_arn: String,
        }
        #[derive(Deserialize)]
        struct SerialOnly {
            serial: String,
        }
        let mut forgotten = Forgotten::default();
        for (suffix, sessions) in [(".mfa-session.json", true), (".creds.json", false)] {
            for path in self.files(suffix) {
                let bytes = fs::read(&path).unwrap_or_default();
                match fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => {
                        return Err(e).with_context(|| format!("cannot remove {}", path.display()));
                    }
                }
                let name = if sessions {
                    serde_json::from_slice::<SerialOnly>(&bytes).map(|s| s.serial)
                } else {
                    serde_json::from_slice::<RoleOnly>(&bytes).map(|r| r.role_arn)
                };
                let list = match sessions {
                    true => &mut forgotten.mfa_sessions,
                    false => &mut forgotten.roles,
                };
                let name = name.unwrap_or_else(|_| "(unreadable entry)".to_owned());
                if !list.contains(&name) {
                    list.push(name);
                }
            }
        }
        forgotten.mfa_sessions.sort();
        forgotten.roles.sort();
        Ok(forgotten)
    }

    /// The files of the cache folder whose names end with `suffix`.
    fn files(&self, suffix: &str) -> Vec<PathBuf> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
            .map(|e| e.path())
            .collect()
    }

    /// A missing file is `None`; an unreadable or corrupt one too, with a
    /// warning, and so is one that is not ours: a symlink, a file owned by
    /// another account or one that others may read (its keys could have
    /// been planted, or seen).
    fn read_json<T: DeserializeOwned>(&self, path: &Path) -> Option<T> {
        let bytes = match read_own_file(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return None,
            Err(e) => {
                self.warn_once(
                    path,
                    &format!("ignoring cache file {}: {e}", path.display()),
                );
                return None;
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(value) => Some(value),
            Err(_) => {
                self.warn_once(
                    path,
                    &format!("ignoring corrupt cache file {}", path.display()),
                );
                None
            }
        }
    }

    fn warn_once(&self, path: &Path, message: &str) {
        let mut warned = self.warned.borrow_mut();
        if !warned.iter().any(|p| p == path) {
            warned.push(path.to_path_buf());
            self.warnings.borrow_mut().push(message.to_owned());
        }
    }

    /// Takes the cross-process lock of `key`, waiting for it.
    pub fn lock(&self, key: &Key) -> Result<File> {
        lock(&self.path(key, "lock"), &mut *self.warnings.borrow_mut())
    }

    /// The lock file that guards ~/.aws/credentials.
    pub fn credentials_file_lock(&self) -> PathBuf {
        self.dir.join("aws-credentials.lock")
    }
}

/// The bytes of `path` if it is a regular file of ours (not a symlink)
/// that nobody else may read or write; an error saying why not otherwise.
fn read_own_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = File::options()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => std::io::Error::other("it is a symlink"),
            _ => e,
        })?;
    let meta = file.metadata()?;
    let me = euid();
    if !meta.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    if meta.uid() != me {
        return Err(std::io::Error::other(format!(
            "it is owned by uid {}, not by you (uid {me})",
            meta.uid()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(std::io::Error::other(format!(
            "others may read or write it (mode {:04o})",
            meta.mode() & 0o7777
        )));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec(value).expect("cache entries serialise");
    write_atomic(path, &bytes, 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(secs: u64) -> Credentials {
        Credentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "secret".into(),
            session_token: "token".into(),
            expiration: SystemTime::now() + Duration::from_secs(secs),
        }
    }

    #[test]
    fn round_trips_and_keys_do_not_collide() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open_at(tmp.path().join("c")).unwrap();
        let admin = Key::new(&["id", "arn:aws:iam::1:role/admin"]);
        let team_admin = Key::new(&["id", "arn:aws:iam::1:role/team/admin"]);
        cache
            .prepare_credentials(&admin, "arn:aws:iam::1:role/admin", &creds(3600))
            .and_then(Pending::commit)
            .unwrap();
        assert!(cache.credentials(&admin).is_some());
        assert!(cache.credentials(&team_admin).is_none());
        let mode = fs::metadata(cache.path(&admin, "creds.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = fs::metadata(cache.dir()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn corrupt_and_foreign_entries_are_misses() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open_at(tmp.path().join("c")).unwrap();
        let key = Key::new(&["a"]);
        fs::write(cache.path(&key, "creds.json"), b"{\"key\": tru").unwrap();
        assert!(cache.credentials(&key).is_none());
        let other = Key::new(&["b"]);
        cache
            .prepare_credentials(&other, "arn", &creds(60))
            .and_then(Pending::commit)
            .unwrap();
        fs::copy(
            cache.path(&other, "creds.json"),
            cache.path(&key, "creds.json"),
        )
        .unwrap();
        assert!(cache.credentials(&key).is_none());
    }

    #[test]
    fn mfa_sessions_are_keyed_private_and_forgotten() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::open_at(tmp.path().join("c")).unwrap();
        let key = Key::new(&["mfa-session", "id", "arn:aws:iam::1:mfa/me"]);
        cache
            .store_mfa_session(&key, "arn:aws:iam::1:mfa/me", &creds(3600))
            .unwrap();
        let session = cache.mfa_session(&key).unwrap();
        assert_eq!(session.serial, "arn:aws:iam::1:mfa/me");
        let path = cache.path(&key, "mfa-session.json");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(
            cache
                .mfa_session(&Key::new(&["mfa-session", "other", "x"]))
                .is_none()
        );
        let copy = Key::new(&["other"]);
        fs::copy(&path, cache.path(&copy, "mfa-session.json")).unwrap();
        assert!(
            cache.mfa_session(&copy).is_none(),
            "a foreign session is a miss"
        );
        fs::write(cache.path(&copy, "mfa-session.json"), b"{").unwrap();
        assert!(
            cache.mfa_session(&copy).is_none(),
            "a corrupt session is a miss"
        );
        assert_eq!(cache.mfa_sessions().len(), 1);

        let role = Key::new(&["id", "arn:aws:iam::1:role/admin"]);
        cache
            .prepare_credentials(&role, "arn:aws:iam::1:role/admin", &creds(3600))
            .and_then(Pending::commit)
            .unwrap();
        let forgotten = cache.forget().unwrap();
        assert_eq!(
            forgotten.mfa_sessions,
            ["(unreadable entry)", "arn:aws:iam::1:mfa/me"]
        );
        assert_eq!(forgotten.roles, ["arn:aws:iam::1:role/admin"]);
        assert!(cache.mfa_session(&key).is_none());
        assert!(cache.credentials(&role).is_none());
        assert!(cache.role_arns().is_empty());
    }

    #[test]
    fn loose_folder_permissions_are_fixed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("c");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        Cache::open_at(dir.clone()).unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
    }

    #[test]
    fn freshness_respects_the_margin() {
        assert!(creds(3600).fresh(Duration::from_secs(900)));
        assert!(!creds(600).fresh(Duration::from_secs(900)));
    }

    #[test]
    fn debug_hides_secrets() {
        let text = format!("{:?}", creds(10));
        assert!(
            !text.contains("secret") && !text.contains("token"),
            "{text}"
        );
    }
}
