//! Reading ~/.aws/config, and updating ~/.aws/credentials without touching
//! anything outside the managed section.

use std::collections::HashMap;
use std::env;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

/// One profile's keys.
pub type Profile = HashMap<String, String>;

fn aws_path(var: &str, default: &str) -> PathBuf {
    match env::var_os(var).filter(|v| !v.is_empty()) {
        Some(path) => expand_tilde(PathBuf::from(path)),
        None => dirs::home_dir()
            .unwrap_or_default()
            .join(".aws")
            .join(default),
    }
}

fn expand_tilde(path: PathBuf) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => dirs::home_dir().unwrap_or_default().join(rest),
        Err(_) => path,
    }
}

/// `AWS_CONFIG_FILE`, else ~/.aws/config.
pub fn config_path() -> PathBuf {
    aws_path("AWS_CONFIG_FILE", "config")
}

/// `AWS_SHARED_CREDENTIALS_FILE`, else ~/.aws/credentials.
pub fn credentials_path() -> PathBuf {
    aws_path("AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

/// The profiles of ~/.aws/config by name (`[profile X]` → X, `[default]`).
pub fn config_profiles() -> Result<HashMap<String, Profile>> {
    let mut profiles = read_ini(&config_path())?;
    Ok(profiles
        .drain()
        .map(|(section, keys)| {
            let name = section
                .strip_prefix("profile ")
                .map(str::trim)
                .unwrap_or(&section);
            (name.to_owned(), keys)
        })
        .collect())
}

/// The sections of ~/.aws/credentials by name.
pub fn credentials_profiles() -> Result<HashMap<String, Profile>> {
    read_ini(&credentials_path())
}

/// Whether `[profile]` of the credentials file holds `access_key_id`.
pub fn profile_holds(profile: &str, access_key_id: &str) -> bool {
    credentials_profiles()
        .ok()
        .and_then(|mut p| p.remove(profile))
        .and_then(|mut keys| keys.remove("aws_access_key_id"))
        .is_some_and(|key| key == access_key_id)
}

fn read_ini(path: &Path) -> Result<HashMap<String, Profile>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let options = ini::ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        enabled_indented_mutiline_value: true,
        ..ini::ParseOption::default()
    };
    let parsed = ini::Ini::load_from_str_opt(&text, options)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(parsed
        .iter()
        .filter_map(|(section, props)| {
            let keys = props
                .iter()
                .map(|(k, v)| (k.to_owned(), v.trim().to_owned()))
                .collect();
            section.map(|s| (s.trim().to_owned(), keys))
        })
        .collect())
}

/// A credentials file update, prepared and holding the file's lock until it
/// is committed or dropped.
pub struct CredentialsUpdate {
    pending: Pending,
    _lock: File,
}

impl CredentialsUpdate {
    pub fn commit(self) -> Result<()> {
        self.pending.commit()
    }
}

/// Prepares setting `pairs` in `[section]` of the credentials file. Keys
/// already there are replaced in place, others are added at the section's
/// end; every other byte of the file stays as it was. A symlinked file is
/// edited at its target; a new file is created 0600. `lock` serialises
/// writers across processes, so that concurrent updates lose no section.
/// `None` when the file already says so.
pub fn prepare_credentials(
    section: &str,
    pairs: &[(&str, &str)],
    lock: &Path,
) -> Result<Option<CredentialsUpdate>> {
    if section.is_empty() || section.contains(['[', ']', '\r', '\n']) {
        anyhow::bail!("refusing to write the profile {section:?} to the credentials file");
    }
    let guard = crate::cache::lock(lock)?;
    let path = credentials_path();
    let target = match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(&path)
            .with_context(|| format!("{} is a dangling symlink", path.display()))?,
        _ => path.clone(),
    };
    let (old, mode) = match fs::read_to_string(&target) {
        Ok(text) => (text, fs::metadata(&target)?.permissions().mode() & 0o7777),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), 0o600),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", target.display())),
    };
    let new = upsert_section(&old, section, pairs);
    if new == old {
        return Ok(None);
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(Some(CredentialsUpdate {
        pending: Pending::write(&target, new.as_bytes(), mode)?,
        _lock: guard,
    }))
}

/// A file written in full to a temporary file beside its destination and
/// synced, not yet in place. Dropping it removes the temporary file.
pub struct Pending {
    tmp: NamedTempFile,
    path: PathBuf,
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
        })
    }

    /// Renames the file into place: readers see the old file or the new
    /// one, never a torn one.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        self.tmp
            .persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
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

/// The text of an INI file with `pairs` set in `[section]`.
///
/// Within the section a key line is `key = value` or `key: value`; a line
/// indented deeper than the key line before it (blank lines between
/// allowed) continues that key's value, as in awscli's parser. A managed key keeps its first
/// place and loses its continuation lines and any duplicates.
pub fn upsert_section(text: &str, section: &str, pairs: &[(&str, &str)]) -> String {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    let header = format!("[{section}]");
    let is_header = |line: &str| line.trim_start().starts_with('[');

    let Some(start) = lines.iter().position(|l| l.trim() == header) else {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(eol);
        }
        if !out.is_empty() && !out.ends_with(&format!("{eol}{eol}")) {
            out.push_str(eol);
        }
        out.push_str(&header);
        out.push_str(eol);
        for (key, value) in pairs {
            out.push_str(&format!("{key} = {value}{eol}"));
        }
        return out;
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| is_header(l))
        .map_or(lines.len(), |i| start + 1 + i);

    // Which managed key each line of the section belongs to, if any.
    let mut owner: Option<&str> = None;
    // The indentation of the key line whose value is open, if any: a line
    // indented deeper continues that value.
    let mut value_indent: Option<usize> = None;
    let mut missing: Vec<&(&str, &str)> = pairs.iter().collect();
    let mut remove = Vec::new();
    for (i, line) in lines.iter_mut().enumerate().take(end).skip(start + 1) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if value_indent.is_some_and(|key| indent > key) {
            if owner.is_some() {
                remove.push(i);
            }
            continue;
        }
        if trimmed.starts_with(['#', ';']) {
            value_indent = None;
            continue;
        }
        let key = trimmed.split(['=', ':']).next().unwrap_or("").trim();
        value_indent = Some(indent);
        owner = pairs.iter().find(|(k, _)| *k == key).map(|(k, _)| *k);
        let Some(key) = owner else { continue };
        match missing.iter().position(|(k, _)| *k == key) {
            Some(pos) => {
                let (k, v) = missing.remove(pos);
                let ending = if line.ends_with('\n') {
                    line_ending(line)
                } else {
                    ""
                };
                *line = format!("{k} = {v}{ending}");
            }
            None => remove.push(i),
        }
    }
    for i in remove.into_iter().rev() {
        lines.remove(i);
    }
    if !missing.is_empty() {
        let end = lines[start + 1..]
            .iter()
            .position(|l| is_header(l))
            .map_or(lines.len(), |i| start + 1 + i);
        let last = (start..end)
            .rev()
            .find(|&i| !lines[i].trim().is_empty())
            .unwrap_or(start);
        if !lines[last].ends_with('\n') {
            lines[last].push_str(eol);
        }
        let added = missing.iter().map(|(k, v)| format!("{k} = {v}{eol}"));
        lines.splice(last + 1..last + 1, added);
    }
    lines.concat()
}

fn line_ending(line: &str) -> &'static str {
    if line.ends_with("\r\n") { "\r\n" } else { "\n" }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[(&str, &str)] = &[
        ("aws_access_key_id", "ASIANEW"),
        ("aws_secret_access_key", "s/n+w"),
    ];

    #[test]
    fn adds_a_section_to_an_empty_file() {
        assert_eq!(
            upsert_section("", "1-admin", KEYS),
            "[1-admin]\naws_access_key_id = ASIANEW\naws_secret_access_key = s/n+w\n"
        );
    }

    #[test]
    fn appends_after_a_file_without_final_newline() {
        let text = "[default]\naws_access_key_id = AKIA";
        assert_eq!(
            upsert_section(text, "x", &KEYS[..1]),
            "[default]\naws_access_key_id = AKIA\n\n[x]\naws_access_key_id = ASIANEW\n"
        );
    }

    #[test]
    fn replaces_in_place_and_keeps_every_other_byte() {
        let text = "# my creds ; keep\n[default]\naws_access_key_id = AKIA # inline\n\
                    aws_secret_access_key = a#b;c\n\n[1-admin]\n# note\nregion = eu-west-1\n\
                    aws_access_key_id = OLD\naws_access_key_id = DUP\n\n[other]\ns3 =\n  \
                    max_concurrent_requests = 20\n";
        let out = upsert_section(text, "1-admin", KEYS);
        assert_eq!(
            out,
            "# my creds ; keep\n[default]\naws_access_key_id = AKIA # inline\n\
             aws_secret_access_key = a#b;c\n\n[1-admin]\n# note\nregion = eu-west-1\n\
             aws_access_key_id = ASIANEW\naws_secret_access_key = s/n+w\n\n[other]\ns3 =\n  \
             max_concurrent_requests = 20\n"
        );
        assert_eq!(upsert_section(&out, "1-admin", KEYS), out, "idempotent");
    }

    #[test]
    fn keeps_crlf_files_crlf() {
        let text = "[a]\r\nx = 1\r\n";
        assert_eq!(
            upsert_section(text, "a", &[("y", "2")]),
            "[a]\r\nx = 1\r\ny = 2\r\n"
        );
    }

    #[test]
    fn nested_keys_are_not_ours() {
        let text = "[a]\ns3 =\n  aws_access_key_id = nested\n";
        let out = upsert_section(text, "a", &KEYS[..1]);
        assert_eq!(
            out,
            "[a]\ns3 =\n  aws_access_key_id = nested\naws_access_key_id = ASIANEW\n"
        );
    }

    #[test]
    fn equally_indented_keys_are_keys_not_continuations() {
        let text = "[a]\n  region = x\n  aws_access_key_id = OLD\n  output = json\n";
        let out = upsert_section(text, "a", &KEYS[..1]);
        assert_eq!(
            out,
            "[a]\n  region = x\naws_access_key_id = ASIANEW\n  output = json\n"
        );
    }

    #[test]
    fn colon_keys_indented_keys_and_continuations_are_replaced_whole() {
        let text = "[a]\n  aws_access_key_id: OLD\n    OLD-2\n\n    OLD-3\nregion = x\n";
        let out = upsert_section(text, "a", &KEYS[..1]);
        assert_eq!(out, "[a]\naws_access_key_id = ASIANEW\n\nregion = x\n");
    }
}
