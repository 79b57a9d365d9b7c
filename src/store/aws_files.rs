//! Reading ~/.aws/config, and updating ~/.aws/credentials without touching
//! anything outside the managed section.

use std::borrow::Cow;
use std::collections::HashMap;
use std::env;
use std::fs::{self, File};
use std::io::Read;
use std::ops::ControlFlow;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use crate::util::Warnings;
use crate::util::fs::{Pending, euid, lock};

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
    Ok(profiles_in(&read_text(&config_path())?, AwsFile::Config))
}

/// Every profile of an AWS file's `text`, by name: the sections of one name
/// merged in file order, a key's first value winning.
pub fn profiles_in(text: &str, file: AwsFile) -> HashMap<String, Profile> {
    let mut profiles: HashMap<String, Profile> = HashMap::new();
    walk(text, Want::ALL, |section, key, value| {
        let name = match file {
            AwsFile::Config => section.map(profile_name),
            AwsFile::Credentials => section,
        };
        if let Some(name) = name {
            profiles
                .entry(name.to_owned())
                .or_default()
                .entry(key.to_owned())
                .or_insert_with(|| value.into_owned());
        }
        ControlFlow::Continue(())
    });
    profiles
}

/// One profile of ~/.aws/config, read without building the others.
pub fn config_profile(name: &str) -> Result<Option<Profile>> {
    let text = read_text(&config_path())?;
    let mut found: Option<Profile> = None;
    let header = format!("profile {name}");
    let section = if name == "default" {
        "default"
    } else {
        &header
    };
    let want = Want {
        section: Some(section),
        key: None,
    };
    walk(&text, want, |_, key, value| {
        found
            .get_or_insert_default()
            .entry(key.to_owned())
            .or_insert_with(|| value.into_owned());
        ControlFlow::Continue(())
    });
    Ok(found)
}

/// The names of the ~/.aws/config profiles that hold `key` (e.g. `role_arn`).
pub fn config_profiles_with(key: &str) -> Result<Vec<String>> {
    let text = read_text(&config_path())?;
    let mut names: Vec<String> = Vec::new();
    walk(
        &text,
        Want {
            section: None,
            key: Some(key),
        },
        |section, _, _| {
            if let Some(name) = section.map(profile_name)
                && names.last().is_none_or(|last| last != name)
            {
                names.push(name.to_owned());
            }
            ControlFlow::Continue(())
        },
    );
    Ok(names)
}

/// `profile X` → `X`; other section names as they are.
fn profile_name(section: &str) -> &str {
    section
        .strip_prefix("profile ")
        .map(str::trim)
        .unwrap_or(section)
}

/// The two AWS files, whose section names differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AwsFile {
    /// `[profile X]` (or `[X]`, as `[default]`) names profile X.
    Config,
    /// `[X]` names profile X.
    Credentials,
}

/// The text of ~/.aws/config (see [`config_path`]); a missing file is empty.
pub fn config_text() -> Result<Arc<str>> {
    read_text(&config_path())
}

/// The text of ~/.aws/credentials (see [`credentials_path`]).
pub fn credentials_text() -> Result<Arc<str>> {
    read_text(&credentials_path())
}

/// Profile `name` of an AWS file's `text`, as [`profiles_in`] would hold
/// it: every section of that name merged in file order (a key's first
/// value wins); `None` without a key. Only the sections of that name are
/// walked; the others cost a glance at their header lines.
pub fn profile_in(text: &str, file: AwsFile, name: &str) -> Option<Profile> {
    let named = |section: &str| match file {
        AwsFile::Config => profile_name(section) == name,
        AwsFile::Credentials => section == name,
    };
    let mut found: Option<Profile> = None;
    for section in sections(text, named) {
        walk(section, Want::ALL, |_, key, value| {
            found
                .get_or_insert_default()
                .entry(key.to_owned())
                .or_insert_with(|| value.into_owned());
            ControlFlow::Continue(())
        });
    }
    found
}

/// The sections of an INI text whose names (as [`walk`] reads them) `named`
/// accepts, each from its header line up to the next header.
fn sections(text: &str, named: impl Fn(&str) -> bool) -> Vec<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found = Vec::new();
    let mut open: Option<usize> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_start();
        if body.starts_with('[') {
            if let Some(start) = open.take() {
                found.push(&text[start..at]);
            }
            let name = body
                .trim_end()
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .map(str::trim);
            if name.is_some_and(&named) {
                open = Some(at);
            }
        }
        at += line.len();
    }
    if let Some(start) = open {
        found.push(&text[start..]);
    }
    found
}

/// `key` of `[profile]` in the credentials file, found without reading the
/// other sections into memory.
pub fn credentials_value(profile: &str, key: &str) -> Result<Option<String>> {
    let text = read_text(&credentials_path())?;
    Ok(section_value(&text, profile, key))
}

/// Whether `[profile]` of the credentials file holds `access_key_id`.
pub fn profile_holds(profile: &str, access_key_id: &str) -> bool {
    credentials_value(profile, "aws_access_key_id")
        .ok()
        .flatten()
        .is_some_and(|key| key == access_key_id)
}

/// The first value of `key` in `[section]` of an INI text.
pub fn section_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut found = None;
    let want = Want {
        section: Some(section),
        key: Some(key),
    };
    walk(text, want, |_, _, v| {
        found = Some(v.into_owned());
        ControlFlow::Break(())
    });
    found
}

/// The text of an AWS file; a missing file is empty. A file read before by
/// this process and unchanged since (same inode, size and mtime) is not
/// read again: a cache hit reads ~/.aws/credentials once.
fn read_text(path: &Path) -> Result<Arc<str>> {
    type Seen = Option<(PathBuf, (u64, u64, u64, i64, i64), Arc<str>)>;
    static SEEN: Mutex<Seen> = Mutex::new(None);
    let stamp = |meta: &fs::Metadata| {
        (
            meta.dev(),
            meta.ino(),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec(),
        )
    };
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Arc::from("")),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((p, s, text)) = seen.as_ref()
        && p == path
        && *s == stamp(&meta)
    {
        return Ok(text.clone());
    }
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let meta = file.metadata()?;
    let mut text = String::with_capacity(meta.len() as usize);
    file.read_to_string(&mut text)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let text: Arc<str> = Arc::from(text);
    *seen = Some((path.to_path_buf(), stamp(&meta), text.clone()));
    Ok(text)
}

/// Which key lines [`walk`] reports: of one section, of one key, or all.
#[derive(Debug, Clone, Copy)]
pub struct Want<'w> {
    pub section: Option<&'w str>,
    pub key: Option<&'w str>,
}

impl Want<'_> {
    pub const ALL: Want<'static> = Want {
        section: None,
        key: None,
    };
}

/// Walks an INI text as awscli reads it, calling `f(section, key, value)`
/// for each key line `want`ed, in order, until `f` breaks. The line
/// grammar is the one [`upsert_section`] edits by: a line starting with `[`
/// (after blanks) opens a section (named by what is inside `[…]`, trimmed;
/// `None` for a malformed header, and before the first); `#` and `;` lines
/// are comments; a key line is `key = value` or `key: value`; a line
/// indented deeper than the key line before it (blank lines between
/// allowed) continues that key's value (joined with `\n`). Other lines are
/// skipped. Keys and values are trimmed. Lines of sections or keys not
/// wanted cost a glance at their first bytes: a 4 MB file is walked in
/// milliseconds.
pub fn walk<'a>(
    text: &'a str,
    want: Want,
    mut f: impl FnMut(Option<&'a str>, &'a str, Cow<'a, str>) -> ControlFlow<()>,
) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut section: Option<&str> = None;
    let mut in_wanted = want.section.is_none();
    // The indentation of the key line whose value is open, and, when that
    // key is wanted, its key, first value and continuation lines.
    let mut indent_open: Option<usize> = None;
    let mut open: Option<(&str, &str, Vec<&str>)> = None;
    let mut flush = |section: Option<&'a str>,
                     open: &mut Option<(&'a str, &'a str, Vec<&'a str>)>| {
        let Some((key, first, more)) = open.take() else {
            return ControlFlow::Continue(());
        };
        let value = if more.is_empty() {
            Cow::Borrowed(first)
        } else {
            let mut value = first.to_owned();
            for line in more {
                value.push('\n');
                value.push_str(line);
            }
            Cow::Owned(value.trim().to_owned())
        };
        f(section, key, value)
    };
    for line in text.lines() {
        let body = line.trim_start();
        let Some(&first) = body.as_bytes().first() else {
            continue;
        };
        let indent = line.len() - body.len();
        if first == b'[' {
            if flush(section, &mut open).is_break() {
                return;
            }
            indent_open = None;
            if in_wanted && want.section.is_some() {
                // The wanted section is done (only the first of that name
                // is read, as it is the one written).
                return;
            }
            let body = body.trim_end();
            section = body
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .map(str::trim);
            in_wanted = want.section.is_none_or(|w| section == Some(w));
            continue;
        }
        if !in_wanted {
            continue;
        }
        if indent_open.is_some_and(|open| indent > open) {
            if let Some((.., more)) = open.as_mut() {
                more.push(body.trim_end());
            }
            continue;
        }
        if flush(section, &mut open).is_break() {
            return;
        }
        if first == b'#' || first == b';' {
            indent_open = None;
            continue;
        }
        indent_open = Some(indent);
        if let Some(key) = want.key
            && !body.starts_with(key)
        {
            continue;
        }
        let Some(at) = body.find(['=', ':']) else {
            continue;
        };
        let key = body[..at].trim();
        if key.is_empty() || section.is_none() || want.key.is_some_and(|k| k != key) {
            continue;
        }
        open = Some((key, body[at + 1..].trim(), Vec::new()));
    }
    let _ = flush(section, &mut open);
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

/// The comment that marks a section of the credentials file as written by
/// assume-role, so that it may be rewritten (even after a cache wipe).
pub const MARKER: &str = "# managed by assume-role: rewritten at each refresh";

/// Who wrote a section of the credentials file, as far as can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// No such section.
    Absent,
    /// It holds the marker, or only temporary credentials (an `ASIA` key
    /// with a session token, as versions before the marker wrote them):
    /// rewriting it loses nothing long-term.
    Ours,
    /// Anything else: perhaps an IAM user's only copy of its keys.
    Foreign,
}

/// Who wrote the first `[section]` of `text`.
pub fn owner(text: &str, section: &str) -> Owner {
    let header = format!("[{section}]");
    let mut lines = text.lines().map(str::trim);
    if !lines.any(|l| l == header) {
        return Owner::Absent;
    }
    let body = lines.take_while(|l| !l.starts_with('['));
    if body.clone().any(|l| l.starts_with(MARKER_PREFIX)) {
        return Owner::Ours;
    }
    let key = section_value(text, section, "aws_access_key_id");
    let token = section_value(text, section, "aws_session_token");
    match (key, token) {
        (Some(key), Some(token)) if key.starts_with("ASIA") && !token.is_empty() => Owner::Ours,
        _ => Owner::Foreign,
    }
}

/// What identifies the marker, whatever follows it.
const MARKER_PREFIX: &str = "# managed by assume-role";

/// `text` with [`MARKER`] as the first line of `[section]` (an existing
/// section), unless it holds one already.
fn mark(text: &str, section: &str) -> String {
    let header = format!("[{section}]");
    let mut out = String::with_capacity(text.len() + MARKER.len() + 2);
    let mut lines = text.split_inclusive('\n');
    for line in lines.by_ref() {
        out.push_str(line);
        if line.trim() == header {
            let body = text[out.len()..]
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with('['));
            if !body.clone().any(|l| l.starts_with(MARKER_PREFIX)) {
                let eol = if line.ends_with("\r\n") { "\r\n" } else { "\n" };
                if !line.ends_with('\n') {
                    out.push_str(eol);
                }
                out.push_str(MARKER);
                out.push_str(eol);
            }
            break;
        }
    }
    for line in lines {
        out.push_str(line);
    }
    out
}

/// The credentials file's real path (a symlink's target).
fn credentials_target() -> Result<PathBuf> {
    let path = credentials_path();
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(&path)
            .with_context(|| format!("{} is a dangling symlink", path.display())),
        _ => Ok(path),
    }
}

/// Whether `[section]` may be written to the credentials file: the file is
/// the user's own and writable, and the section is absent or ours. Checked
/// before AssumeRole, so that a refusal costs nothing; and again under the
/// lock when writing.
pub fn check_credentials(section: &str) -> Result<()> {
    let target = credentials_target()?;
    let text = read_text(&target)?;
    check_writable(&target, &text, section)
}

fn check_writable(target: &Path, text: &str, section: &str) -> Result<()> {
    let fix = "or set write_credentials_file: false in assume-role.yaml";
    if let Ok(meta) = fs::metadata(target) {
        let me = euid();
        if meta.uid() != me {
            bail!(
                "{} is owned by uid {}, not by you (uid {me}), so assume-role leaves it alone: \
                 chown it to yourself, {fix}",
                target.display(),
                meta.uid()
            );
        }
        if meta.mode() & 0o200 == 0 {
            bail!(
                "{} is read-only (mode {:04o}), so assume-role leaves it alone: make it \
                 writable (chmod u+w), {fix}",
                target.display(),
                meta.mode() & 0o7777
            );
        }
    }
    if owner(text, section) == Owner::Foreign {
        bail!(
            "[{section}] in {} holds credentials assume-role did not write, so it is left \
             alone: set profile_name_prefix to write the role's profile under another name, {fix}",
            target.display()
        );
    }
    Ok(())
}

/// Prepares setting `pairs` in `[section]` of the credentials file. Keys
/// already there are replaced in place, others are added at the section's
/// end; the section gets the [`MARKER`]; every other byte of the file stays
/// as it was. A section assume-role did not write, a file owned by someone
/// else or a read-only one is refused (see [`check_credentials`]). A
/// symlinked file is edited at its target; a new file is created 0600.
/// `lock` serialises writers across processes, so that concurrent updates
/// lose no section (a lock file replaced is said in `warnings`). `None`
/// when the file already says so.
pub fn prepare_credentials(
    section: &str,
    pairs: &[(&str, &str)],
    lock_path: &Path,
    warnings: &mut Warnings,
) -> Result<Option<CredentialsUpdate>> {
    if section.is_empty() || section.contains(['[', ']', '\r', '\n']) {
        anyhow::bail!("refusing to write the profile {section:?} to the credentials file");
    }
    let guard = lock(lock_path, warnings)?;
    let target = credentials_target()?;
    let (old, mode) = match fs::read_to_string(&target) {
        Ok(text) => (text, fs::metadata(&target)?.permissions().mode() & 0o7777),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), 0o600),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", target.display())),
    };
    check_writable(&target, &old, section)?;
    let new = mark(&upsert_section(&old, section, pairs), section);
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

    #[test]
    fn only_marked_or_temporary_sections_are_ours() {
        let text = format!(
            "[a]\n{MARKER}\naws_access_key_id = AKIAX\n[b]\naws_access_key_id = ASIAX\n\
             aws_session_token = t\n[c]\naws_access_key_id = AKIAX\naws_secret_access_key = s\n\
             [d]\naws_access_key_id = ASIAX\n[e]\n"
        );
        assert_eq!(owner(&text, "a"), Owner::Ours);
        assert_eq!(owner(&text, "b"), Owner::Ours);
        assert_eq!(owner(&text, "c"), Owner::Foreign);
        assert_eq!(
            owner(&text, "d"),
            Owner::Foreign,
            "no token: perhaps not ours"
        );
        assert_eq!(owner(&text, "e"), Owner::Foreign);
        assert_eq!(owner(&text, "f"), Owner::Absent);
        // The marker of another section does not count.
        assert_eq!(
            owner(&format!("[x]\n{MARKER}\n[c]\nk = v\n"), "c"),
            Owner::Foreign
        );
    }

    #[test]
    fn the_marker_goes_right_under_the_header_once() {
        let text = "# top\r\n[a]\r\nx = 1\r\n[b]\r\n";
        let marked = mark(text, "a");
        assert_eq!(
            marked,
            format!("# top\r\n[a]\r\n{MARKER}\r\nx = 1\r\n[b]\r\n")
        );
        assert_eq!(mark(&marked, "a"), marked);
        assert_eq!(mark("[a]", "a"), format!("[a]\n{MARKER}\n"));
    }

    #[test]
    fn one_profile_reads_as_the_whole_file_does() {
        let texts = [
            "\u{feff}[default]\nregion = a\n[profile default]\nregion = b\noutput = json\n",
            "k = top\n[profile  x ]\nk = 1\n  [ x ]\nk = 2\nj = 3\n[profile x]\nj = 4\n",
            "[x\n[x]\ns3 =\n  max = 2\n\n  more = 3\n# c\n[y]\r\nk: v\r\n[x]\nk = last",
            "[sso-session corp]\nsso_start_url = u\n[profile p]\n[profile q]\nk = v\n[]\nk = e\n",
            "",
        ];
        let names = [
            "default",
            "x",
            "y",
            "p",
            "q",
            "sso-session corp",
            "",
            "none",
        ];
        for text in texts {
            for file in [AwsFile::Config, AwsFile::Credentials] {
                let all = profiles_in(text, file);
                for name in names {
                    assert_eq!(
                        profile_in(text, file, name).as_ref(),
                        all.get(name),
                        "{file:?} {name:?} in {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn walk_reads_sections_keys_and_continuations() {
        let text = "\u{feff}k = top\n[a]\nx = 1\ns3 =\n  max = 2\n\n  more = 3\n# c\ny: 2\n\
                    junk\n  under-junk = 4\n[ b ]\nx=3\n[a]\nx = 5\n";
        let mut seen = Vec::new();
        walk(text, Want::ALL, |s, k, v| {
            seen.push(format!("{}.{k}={v}", s.unwrap_or("-")));
            ControlFlow::Continue(())
        });
        assert_eq!(
            seen,
            ["a.x=1", "a.s3=max = 2\nmore = 3", "a.y=2", "b.x=3", "a.x=5"]
        );
        assert_eq!(section_value(text, "a", "x").as_deref(), Some("1"));
        assert_eq!(section_value(text, "a", "y").as_deref(), Some("2"));
        assert_eq!(section_value(text, "b", "x").as_deref(), Some("3"));
        assert_eq!(section_value(text, "a", "max"), None, "nested, not a key");
        assert_eq!(section_value(text, "c", "x"), None);
    }
}
