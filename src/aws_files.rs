//! Reading ~/.aws/config, and updating ~/.aws/credentials without touching
//! anything outside the managed section.

use std::collections::HashMap;
use std::env;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

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

/// Sets `pairs` in `[section]` of the credentials file, atomically. Keys
/// already there are replaced in place, others are added at the section's
/// end; every other byte of the file stays as it was. A symlinked file is
/// edited at its target; a new file is created 0600. `lock` serialises
/// writers across processes, so that concurrent updates lose no section.
pub fn update_credentials(section: &str, pairs: &[(&str, &str)], lock: &Path) -> Result<()> {
    let _guard = crate::cache::lock(lock)?;
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
        return Ok(());
    }
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_atomic(&target, new.as_bytes(), mode)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it
/// over `path`: readers see the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let write = || -> std::io::Result<()> {
        let mut tmp = tempfile::Builder::new()
            .prefix(".assume-role.")
            .permissions(fs::Permissions::from_mode(mode))
            .tempfile_in(dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

/// The text of an INI file with `pairs` set in `[section]`.
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

    let mut missing: Vec<&(&str, &str)> = pairs.iter().collect();
    let mut remove = Vec::new();
    for (i, line) in lines.iter_mut().enumerate().take(end).skip(start + 1) {
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        if indented {
            continue;
        }
        let key = key.trim();
        if let Some(pos) = missing.iter().position(|(k, _)| *k == key) {
            let (k, v) = missing.remove(pos);
            let ending = if line.ends_with('\n') {
                line_ending(line)
            } else {
                ""
            };
            *line = format!("{k} = {v}{ending}");
        } else if pairs.iter().any(|(k, _)| *k == key) {
            remove.push(i);
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
}
