//! `assume-role.yaml` discovery, reading and merging.
//!
//! Files are looked up from the working directory upward to `/`, then
//! `~/.aws/assume-role.yaml`; the nearest file wins key by key.
//!
//! A project file (any `assume-role.yaml` other than `~/.aws/assume-role.yaml`
//! or an explicit `--config`) is read only when it is safe to read, and takes
//! effect only when trusted: a symlink leading outside its repository, a file
//! that is not a regular file, one owned by another user, one larger than
//! [`MAX_FILE_SIZE`] or one that cannot be read is skipped with a warning,
//! and so is one not trusted yet. Nothing here prints: problems are returned
//! as warnings, and no message quotes a file's content.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use serde_yaml::Value;

use crate::store::trust::{self, Trust};
use crate::util::fs::euid;
use crate::util::time::parse_duration;

pub const FILE_NAME: &str = "assume-role.yaml";

/// The most a config file may hold: ours are a few lines, and a bound read
/// before parsing keeps a hostile file from costing time or memory.
pub const MAX_FILE_SIZE: u64 = 64 * 1024;

/// The most `[` and `{` a file may hold (our lists need one each); deeper
/// flow nesting costs the YAML parser time that grows with its square.
const MAX_FLOW_OPENERS: usize = 100;

/// How many unknown keys one warning names.
const UNKNOWN_KEYS_SHOWN: usize = 5;

const DEFAULT_REFRESH: Duration = Duration::from_secs(15 * 60);

/// The keys of a config file.
pub const KEYS: &[&str] = &[
    "role_prefix",
    "profile_name_prefix",
    "refresh_before_expiry",
    "role",
    "duration",
    "region",
    "mfa_serial",
    "external_id",
    "source_profile",
    "write_credentials_file",
    "roles",
    "serve",
    "mfa_session",
    "mfa_session_duration",
];

/// The merged configuration in effect for a directory.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub role_prefix: Option<String>,
    pub profile_name_prefix: Option<String>,
    pub refresh_before_expiry: Option<Duration>,
    /// The role this directory wants, and the file that says so.
    pub role: Option<(String, PathBuf)>,
    pub duration: Option<Duration>,
    pub region: Option<String>,
    pub mfa_serial: Option<String>,
    pub external_id: Option<String>,
    pub source_profile: Option<String>,
    pub write_credentials_file: Option<bool>,
    pub roles: Vec<String>,
    /// Exec mode serves credentials from a loopback endpoint.
    pub serve: Option<bool>,
    /// Whether one MFA code opens a session (GetSessionToken) for every role.
    pub mfa_session: Option<bool>,
    pub mfa_session_duration: Option<Duration>,
    /// The files in effect, nearest first.
    pub files: Vec<PathBuf>,
    /// Project files found but not used, nearest first.
    pub skipped: Vec<Skipped>,
    /// One-line warnings for the user (the caller prints them).
    pub warnings: Vec<String>,
}

/// Where a config file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `~/.aws/assume-role.yaml`: the user's own, trusted by definition.
    Home,
    /// `--config FILE`: chosen by the user, trusted.
    Explicit,
    /// Found from the working directory up: used only when trusted.
    Project,
}

/// A config file and its content, read once: what is checked for trust is
/// what is parsed.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub origin: Origin,
    pub bytes: Vec<u8>,
}

/// A project file that was found but not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Not trusted (never allowed, edited since, or blocked).
    Trust(Trust),
    /// Not read at all: a link out of its repository, not a regular file,
    /// another user's, too large, unreadable.
    Unsafe(String),
}

/// The config files that apply in a directory, read and sorted out.
#[derive(Debug, Default)]
pub struct Sources {
    /// Files to use, nearest first.
    pub files: Vec<Source>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
}

impl Config {
    pub fn refresh_before_expiry(&self) -> Duration {
        self.refresh_before_expiry.unwrap_or(DEFAULT_REFRESH)
    }

    pub fn write_credentials_file(&self) -> bool {
        self.write_credentials_file.unwrap_or(true)
    }

    pub fn serve(&self) -> bool {
        self.serve.unwrap_or(false)
    }

    pub fn mfa_session(&self) -> bool {
        self.mfa_session.unwrap_or(true)
    }

    /// Loads `explicit` alone, or every usable file found from `dir` upward
    /// plus the one in `~/.aws`.
    pub fn load(dir: &Path, explicit: Option<&Path>) -> Result<Config> {
        let sources = read_sources(dir, explicit)?;
        let mut config = Config::from_sources(&sources.files)?;
        config.skipped = sources.skipped;
        config.warnings.splice(0..0, sources.warnings);
        Ok(config)
    }

    /// Merges files already read (and trusted), nearest first.
    pub fn from_sources(sources: &[Source]) -> Result<Config> {
        let mut config = Config::default();
        let mut roles = HashSet::new();
        for source in sources {
            config.merge_under(source, &mut roles)?;
        }
        Ok(config)
    }

    /// Adds a file's keys where no nearer file has set them.
    fn merge_under(&mut self, source: &Source, seen: &mut HashSet<String>) -> Result<()> {
        let file = &source.path;
        let parsed = parse(file, &source.bytes)?;
        if !parsed.unknown.is_empty() {
            self.warnings.push(unknown_keys(file, &parsed.unknown));
        }
        fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
            if slot.is_none() {
                *slot = value;
            }
        }
        fill(&mut self.role_prefix, parsed.role_prefix);
        fill(&mut self.profile_name_prefix, parsed.profile_name_prefix);
        fill(
            &mut self.refresh_before_expiry,
            parsed.refresh_before_expiry,
        );
        fill(&mut self.duration, parsed.duration);
        fill(&mut self.role, parsed.role.map(|r| (r, file.to_path_buf())));
        fill(&mut self.region, parsed.region);
        fill(&mut self.mfa_serial, parsed.mfa_serial);
        fill(&mut self.external_id, parsed.external_id);
        fill(&mut self.source_profile, parsed.source_profile);
        fill(
            &mut self.write_credentials_file,
            parsed.write_credentials_file,
        );
        fill(&mut self.serve, parsed.serve);
        fill(&mut self.mfa_session, parsed.mfa_session);
        fill(&mut self.mfa_session_duration, parsed.mfa_session_duration);
        for role in parsed.roles.unwrap_or_default() {
            if seen.insert(role.clone()) {
                self.roles.push(role);
            }
        }
        self.files.push(file.clone());
        Ok(())
    }
}

/// One warning naming a file's unknown keys (the first few).
fn unknown_keys(file: &Path, keys: &[String]) -> String {
    let shown: Vec<String> = keys
        .iter()
        .take(UNKNOWN_KEYS_SHOWN)
        .map(|k| {
            let short: String = k.chars().take(40).collect();
            format!("{short:?}")
        })
        .collect();
    let more = match keys.len().saturating_sub(UNKNOWN_KEYS_SHOWN) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let noun = if keys.len() == 1 { "key" } else { "keys" };
    format!(
        "{}: unknown {noun} {}{more} ignored",
        file.display(),
        shown.join(", ")
    )
}

/// One file's keys, as written.
#[derive(Debug, Default)]
struct FileConfig {
    role_prefix: Option<String>,
    profile_name_prefix: Option<String>,
    refresh_before_expiry: Option<Duration>,
    role: Option<String>,
    duration: Option<Duration>,
    region: Option<String>,
    mfa_serial: Option<String>,
    external_id: Option<String>,
    source_profile: Option<String>,
    write_credentials_file: Option<bool>,
    roles: Option<Vec<String>>,
    serve: Option<bool>,
    mfa_session: Option<bool>,
    mfa_session_duration: Option<Duration>,
    unknown: Vec<String>,
}

/// Parses a file's content. Errors name the file, the line (and column
/// where the YAML parser gives one) and the kind of problem, never a value.
fn parse(file: &Path, bytes: &[u8]) -> Result<FileConfig> {
    let fail = |at: String, problem: &str| anyhow!("{}:{at}: {problem}", file.display());
    let text = std::str::from_utf8(bytes).map_err(|_| fail(String::new(), "not UTF-8 text"))?;
    prescan(text).map_err(|(line, problem)| fail(format!(" line {line}"), problem))?;
    let value: Value = serde_yaml::from_str(text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        fail(at, &yaml_problem(&e))
    })?;
    let mapping = match value {
        Value::Null => return Ok(FileConfig::default()),
        Value::Mapping(mapping) => mapping,
        _ => {
            return Err(fail(
                String::new(),
                "expected `key: value` settings, found something else",
            ));
        }
    };
    let mut parsed = FileConfig::default();
    for (key, value) in mapping {
        let Value::String(key) = key else {
            return Err(fail(String::new(), "a key is not a name"));
        };
        let wrong = |expected: &str| {
            let at = key_line(text, &key)
                .map(|n| format!(" line {n}"))
                .unwrap_or_default();
            fail(at, &format!("expected {expected} for `{key}`"))
        };
        let string = |value: Value| match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            _ => Err(wrong("a string")),
        };
        let duration = |value: Value| match value {
            Value::Null => Ok(None),
            Value::Number(n) if n.as_u64().is_some() => Ok(n.as_u64().map(Duration::from_secs)),
            Value::String(s) if parse_duration(&s).is_ok() => Ok(parse_duration(&s).ok()),
            _ => Err(wrong("a duration such as 90s, 15m or 1h30m")),
        };
        match key.as_str() {
            "role_prefix" => parsed.role_prefix = string(value)?,
            "profile_name_prefix" => parsed.profile_name_prefix = string(value)?,
            "refresh_before_expiry" => parsed.refresh_before_expiry = duration(value)?,
            "role" => parsed.role = string(value)?,
            "duration" => parsed.duration = duration(value)?,
            "mfa_session_duration" => parsed.mfa_session_duration = duration(value)?,
            "region" => parsed.region = string(value)?,
            "mfa_serial" => parsed.mfa_serial = string(value)?,
            "external_id" => parsed.external_id = string(value)?,
            "source_profile" => parsed.source_profile = string(value)?,
            "write_credentials_file" | "serve" | "mfa_session" => {
                let flag = match value {
                    Value::Null => None,
                    Value::Bool(b) => Some(b),
                    _ => return Err(wrong("true or false")),
                };
                match key.as_str() {
                    "serve" => parsed.serve = flag,
                    "mfa_session" => parsed.mfa_session = flag,
                    _ => parsed.write_credentials_file = flag,
                }
            }
            "roles" => {
                parsed.roles = match value {
                    Value::Null => None,
                    Value::Sequence(items) => Some(
                        items
                            .into_iter()
                            .map(|item| match item {
                                Value::String(s) => Ok(s),
                                _ => Err(wrong("a list of role names")),
                            })
                            .collect::<Result<_>>()?,
                    ),
                    _ => return Err(wrong("a list of role names")),
                }
            }
            _ => parsed.unknown.push(key),
        }
    }
    Ok(parsed)
}

/// The YAML parser's complaint without anything it quotes from the file.
fn yaml_problem(e: &serde_yaml::Error) -> String {
    let message = e.to_string();
    if message.starts_with("recursion limit exceeded") {
        return "nested too deeply".into();
    }
    // libyaml's problems are fixed phrases; serde's messages may quote a
    // value or a key, which starts with a quote of some kind: cut there.
    let message = message.split(" at line ").next().unwrap_or("");
    let plain = message
        .split(['"', '\'', '`'])
        .next()
        .unwrap_or("")
        .trim_end_matches([' ', ':', ',']);
    if plain.is_empty() {
        "not valid YAML".into()
    } else {
        format!("not valid YAML ({plain})")
    }
}

/// The line where `key` (one of ours) is set, for messages.
fn key_line(text: &str, key: &str) -> Option<usize> {
    if !KEYS.contains(&key) {
        return None;
    }
    text.lines()
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|n| n + 1)
}

/// Refuses, before any YAML parser sees the text, what our settings never
/// need and what makes parsing costly: anchors and aliases (`&a`, `*a`:
/// a few kilobytes of them expand to gigabytes) and flow collections
/// nested by the thousand. Conservative: text that merely looks like an
/// anchor (a quoted `" &"`) is refused too; comments are skipped when no
/// quote follows on their line.
fn prescan(text: &str) -> Result<(), (usize, &'static str)> {
    let mut openers = 0;
    for (n, line) in text.split(['\n', '\r']).enumerate() {
        let bytes = line.as_bytes();
        let mut prev: Option<u8> = None;
        for (i, &b) in bytes.iter().enumerate() {
            let after_blank = prev.is_none_or(|p| p == b' ' || p == b'\t');
            match b {
                b'#' if after_blank && !bytes[i..].iter().any(|&c| c == b'"' || c == b'\'') => {
                    break;
                }
                b'&' | b'*'
                    if !prev.is_some_and(|p| {
                        p.is_ascii_alphanumeric() || b"_.-/=+@%~".contains(&p)
                    }) =>
                {
                    return Err((n + 1, "anchors and aliases (`&`, `*`) are not supported"));
                }
                b'[' | b'{' => {
                    openers += 1;
                    if openers > MAX_FLOW_OPENERS {
                        return Err((n + 1, "too many `[` or `{` (nested too deeply)"));
                    }
                }
                _ => {}
            }
            prev = Some(b);
        }
    }
    Ok(())
}

/// Reads `explicit` alone, or the files that apply in `dir`, sorting out
/// the project files that are unsafe to read or not trusted.
pub fn read_sources(dir: &Path, explicit: Option<&Path>) -> Result<Sources> {
    let mut sources = Sources::default();
    if let Some(file) = explicit {
        let bytes = read_own(file)?;
        sources.files.push(Source {
            path: file.to_path_buf(),
            origin: Origin::Explicit,
            bytes,
        });
        return Ok(sources);
    }
    let home = home_file();
    let mut trust = trust::Checker::new();
    for path in dir.ancestors().map(|d| d.join(FILE_NAME)) {
        if Some(&path) == home.as_ref() {
            continue;
        }
        let bytes = match read_project(&path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => continue,
            Err(why) => {
                sources
                    .warnings
                    .push(format!("{} {why}, so it was not read", path.display()));
                sources.skipped.push(Skipped {
                    path,
                    why: Why::Unsafe(why),
                });
                continue;
            }
        };
        match trust.state(&path, &bytes)? {
            Trust::Allowed => sources.files.push(Source {
                path,
                origin: Origin::Project,
                bytes,
            }),
            state => {
                if let Some(warning) = untrusted_warning(&path, state) {
                    sources.warnings.push(warning);
                }
                sources.skipped.push(Skipped {
                    path,
                    why: Why::Trust(state),
                });
            }
        }
    }
    if let Some(home) = home
        && fs::metadata(&home).is_ok()
    {
        let bytes = read_own(&home)?;
        sources.files.push(Source {
            path: home,
            origin: Origin::Home,
            bytes,
        });
    }
    Ok(sources)
}

/// The one line saying that `file` was not used and how to trust it; none
/// for a blocked file (blocked silently).
pub fn untrusted_warning(file: &Path, state: Trust) -> Option<String> {
    let dir = file.parent().unwrap_or(Path::new("/")).to_string_lossy();
    // Quoted where needed, so that the advice can be pasted into a shell.
    let dir = shell_escape::unix::escape(dir);
    let shown = file.display();
    match state {
        Trust::Allowed | Trust::Denied => None,
        Trust::Changed => Some(format!(
            "{shown} changed since it was allowed, so it was not used; \
             review it and run `assume-role allow {dir}` again"
        )),
        Trust::Unknown => Some(format!(
            "{shown} is not trusted, so it was not used; \
             run `assume-role allow {dir}` to trust it"
        )),
    }
}

/// Reads a file the user named or owns (`--config`, `~/.aws`): links are
/// followed; anything wrong is an error.
fn read_own(file: &Path) -> Result<Vec<u8>> {
    let opened = File::open(file).and_then(|f| f.metadata().map(|m| (f, m)));
    let (handle, meta) = match opened {
        Ok(pair) => pair,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            bail!("config file {} does not exist", file.display())
        }
        Err(e) => bail!("cannot read {}: {}", file.display(), io_reason(&e)),
    };
    if !meta.is_file() {
        bail!("config file {} is not a regular file", file.display());
    }
    read_bounded(handle).map_err(|why| anyhow!("{} {why}", file.display()))
}

/// Reads a project file if it is safe to: `Ok(None)` when there is none
/// (a dangling link included), `Err(why)` when it must not be read.
pub fn read_project(path: &Path) -> std::result::Result<Option<Vec<u8>>, String> {
    let link = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot be read ({})", io_reason(&e))),
    };
    let open_path = if link.file_type().is_symlink() {
        let Ok(target) = fs::canonicalize(path) else {
            return Ok(None);
        };
        let root = repository_of(path);
        if !target.starts_with(&root) {
            return Err(format!(
                "is a symlink leading outside its repository ({})",
                root.display()
            ));
        }
        target
    } else {
        path.to_path_buf()
    };
    // Judged before it is opened (another user's file may be a FIFO, or
    // unreadable), and again on what was opened.
    let judge = |meta: &fs::Metadata| {
        if !meta.is_file() {
            return Err("is not a regular file".to_owned());
        }
        if meta.uid() != euid() && meta.uid() != 0 {
            return Err(format!("belongs to another user (uid {})", meta.uid()));
        }
        Ok(())
    };
    let before =
        fs::metadata(&open_path).map_err(|e| format!("cannot be read ({})", io_reason(&e)))?;
    judge(&before)?;
    let handle =
        File::open(&open_path).map_err(|e| format!("cannot be read ({})", io_reason(&e)))?;
    let meta = handle
        .metadata()
        .map_err(|e| format!("cannot be read ({})", io_reason(&e)))?;
    if (meta.dev(), meta.ino()) != (before.dev(), before.ino()) {
        return Err("changed while it was read".into());
    }
    judge(&meta)?;
    read_bounded(handle).map(Some)
}

/// Reads at most [`MAX_FILE_SIZE`] bytes; a larger file is refused.
fn read_bounded(handle: File) -> std::result::Result<Vec<u8>, String> {
    let too_large = || format!("is larger than {} KiB", MAX_FILE_SIZE / 1024);
    if handle.metadata().is_ok_and(|m| m.len() > MAX_FILE_SIZE) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    handle
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read ({})", io_reason(&e)))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The repository holding `link`: the nearest folder at or above the
/// link's own (by real path) that holds `.git`, else the link's folder.
fn repository_of(link: &Path) -> PathBuf {
    let dir = link
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors()
        .find(|d| fs::symlink_metadata(d.join(".git")).is_ok())
        .unwrap_or(&dir)
        .to_path_buf()
}

/// An I/O error's reason, without the OS error number.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::NotFound => "not found".into(),
        _ => {
            let text = e.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_owned()
        }
    }
}

/// `~/.aws/assume-role.yaml`: the user's own file, trusted by definition.
pub fn home_file() -> Option<PathBuf> {
    dirs::home_dir().map(|h| h.join(".aws").join(FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }

    fn source(path: &Path) -> Source {
        Source {
            path: path.to_path_buf(),
            origin: Origin::Explicit,
            bytes: fs::read(path).unwrap(),
        }
    }

    #[test]
    fn nearest_file_wins_key_by_key() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let far = write(
            root,
            "assume-role.yaml",
            "role_prefix: arn:aws:iam::1:role/\nregion: eu-west-1\nroles: [a]\n",
        );
        let near = write(
            root,
            "p/q/assume-role.yaml",
            "region: us-east-2\nrefresh_before_expiry: 1h30m\nroles: [b, a]\n",
        );
        let config = Config::from_sources(&[source(&near), source(&far)]).unwrap();
        assert_eq!(config.role_prefix.as_deref(), Some("arn:aws:iam::1:role/"));
        assert_eq!(config.region.as_deref(), Some("us-east-2"));
        assert_eq!(config.refresh_before_expiry(), Duration::from_secs(5400));
        assert_eq!(config.roles, ["b", "a"]);
        assert_eq!(config.files[0], near);
    }

    #[test]
    fn empty_and_comment_only_files_are_fine() {
        let tmp = tempfile::tempdir().unwrap();
        let file = write(tmp.path(), "assume-role.yaml", "# nothing yet & more\n");
        let config = Config::load(tmp.path(), Some(&file)).unwrap();
        assert_eq!(config.refresh_before_expiry(), DEFAULT_REFRESH);
        assert!(config.write_credentials_file());
    }

    #[test]
    fn bad_yaml_names_file_and_line() {
        let tmp = tempfile::tempdir().unwrap();
        let file = write(
            tmp.path(),
            "assume-role.yaml",
            "role_prefix: a\nregion: [unclosed\n",
        );
        let err = Config::load(tmp.path(), Some(&file))
            .unwrap_err()
            .to_string();
        assert!(err.contains("assume-role.yaml"), "{err}");
        assert!(err.contains("line "), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn bad_duration_names_file_and_key() {
        let tmp = tempfile::tempdir().unwrap();
        let file = write(
            tmp.path(),
            "assume-role.yaml",
            "region: x\nrefresh_before_expiry: soon\n",
        );
        let err = Config::load(tmp.path(), Some(&file))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2: expected a duration"), "{err}");
        assert!(err.contains("`refresh_before_expiry`"), "{err}");
        assert!(err.contains("assume-role.yaml"), "{err}");
        assert!(!err.contains("soon"), "{err}");
    }

    #[test]
    fn wrong_type_is_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let file = write(
            tmp.path(),
            "assume-role.yaml",
            "write_credentials_file: perhaps\n",
        );
        assert!(Config::load(tmp.path(), Some(&file)).is_err());
    }

    /// What a file holds never reaches a message: only the file, the line,
    /// the key and what was expected.
    #[test]
    fn no_error_quotes_the_content() {
        let tmp = tempfile::tempdir().unwrap();
        for text in [
            "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET1\n-----END OPENSSH PRIVATE KEY-----\n",
            "[default]\naws_access_key_id = SECRET1\naws_secret_access_key = SECRET2\n",
            "region: [SECRET1]\n",
            "region: {SECRET1: SECRET2}\n",
            "roles: [ok, [SECRET1]]\n",
            "duration: SECRET1\n",
            "write_credentials_file: SECRET1\n",
            "SECRET1: [unclosed\n",
            "\"SECRET1\": 1\n\"SECRET1\": 2\n",
            "https://user:SECRET1@example.com\n",
            "a: 'SECRET1\n",
            "- SECRET1\n- SECRET2\n",
            "? [SECRET1]\n: x\n",
            "1: SECRET1\n",
        ] {
            let file = write(tmp.path(), "assume-role.yaml", text);
            let err = Config::load(tmp.path(), Some(&file)).unwrap_err();
            let err = format!("{err:#}");
            assert!(!err.contains("SECRET"), "{text:?} gave {err}");
            assert!(err.contains("assume-role.yaml"), "{text:?} gave {err}");
        }
    }

    #[test]
    fn anchors_aliases_and_deep_nesting_are_refused_before_parsing() {
        for text in [
            "a: &x [1]\nb: *x\n",
            "roles: [*x]\n",
            "roles:\n- &x a\n",
            "\u{feff}&x a: 1\n",
            "a: 1\r&x b: 2\n",
            "roles: \"x\" # it's *this*\n",
            &format!("roles: {}{}\n", "[".repeat(200), "]".repeat(200)),
        ] {
            assert!(prescan(text).is_err(), "{text:?}");
        }
        for text in [
            "role_prefix: arn:aws:iam::123456789012:role/\n",
            "# roles & regions *here*\nroles: [a, b]\n",
            "external_id: a&b*c\n",
            "roles:\n  - one\n  - two # and *more*\n",
        ] {
            assert_eq!(prescan(text), Ok(()), "{text:?}");
        }
    }

    #[test]
    fn unknown_keys_are_one_warning() {
        let tmp = tempfile::tempdir().unwrap();
        let text: String = (0..50).map(|i| format!("key{i}: 1\n")).collect();
        let file = write(tmp.path(), "assume-role.yaml", &text);
        let config = Config::load(tmp.path(), Some(&file)).unwrap();
        assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
        assert!(
            config.warnings[0].contains("and 45 more"),
            "{:?}",
            config.warnings
        );
    }
}
