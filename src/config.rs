//! `assume-role.yaml` discovery and merging.
//!
//! Files are looked up from the working directory upward to `/`, then
//! `~/.aws/assume-role.yaml`; the nearest file wins key by key.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cli::parse_duration;
use crate::warn;

pub const FILE_NAME: &str = "assume-role.yaml";

const DEFAULT_REFRESH: Duration = Duration::from_secs(15 * 60);

/// One file's keys, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FileConfig {
    role_prefix: Option<String>,
    profile_name_prefix: Option<String>,
    refresh_before_expiry: Option<DurationText>,
    role: Option<String>,
    duration: Option<DurationText>,
    region: Option<String>,
    mfa_serial: Option<String>,
    external_id: Option<String>,
    source_profile: Option<String>,
    write_credentials_file: Option<bool>,
    roles: Option<Vec<String>>,
    serve: Option<bool>,
    #[serde(flatten)]
    unknown: BTreeMap<String, serde_yaml::Value>,
}

/// A duration as YAML gives it: `15m` is a string, `900` a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DurationText {
    Seconds(u64),
    Text(String),
}

impl DurationText {
    fn parse(&self, key: &str, file: &Path) -> Result<Duration> {
        match self {
            Self::Seconds(secs) => Ok(Duration::from_secs(*secs)),
            Self::Text(text) => {
                parse_duration(text).map_err(|e| anyhow::anyhow!("{}: {key}: {e}", file.display()))
            }
        }
    }
}

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
    /// The files read, nearest first.
    pub files: Vec<PathBuf>,
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

    /// Loads `explicit` alone, or every file found from `dir` upward plus
    /// the one in `~/.aws`.
    pub fn load(dir: &Path, explicit: Option<&Path>) -> Result<Config> {
        Config::from_sources(&read_sources(dir, explicit)?, true)
    }

    /// Merges files already read, nearest first. Without `warnings`, for
    /// files not trusted yet, whose content must not reach a message.
    pub fn from_sources(sources: &[Source], warnings: bool) -> Result<Config> {
        let mut config = Config::default();
        for source in sources {
            config.merge_under(source, warnings)?;
        }
        Ok(config)
    }

    /// Adds a file's keys where no nearer file has set them.
    fn merge_under(&mut self, source: &Source, warnings: bool) -> Result<()> {
        let (file, text) = (&source.path, &source.text);
        let parsed: Option<FileConfig> = serde_yaml::from_str(text).map_err(|e| {
            let at = e
                .location()
                .map(|l| format!(" line {} column {}", l.line(), l.column()))
                .unwrap_or_default();
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message);
            anyhow::anyhow!("{}:{at}: {}", file.display(), crate::one_line(message))
        })?;
        let parsed = parsed.unwrap_or_default();
        for key in parsed.unknown.keys().filter(|_| warnings) {
            warn(format_args!(
                "{}: unknown key {key:?} ignored",
                file.display()
            ));
        }

        fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
            if slot.is_none() {
                *slot = value;
            }
        }
        fill(&mut self.role_prefix, parsed.role_prefix);
        fill(&mut self.profile_name_prefix, parsed.profile_name_prefix);
        if let Some(d) = &parsed.refresh_before_expiry {
            fill(
                &mut self.refresh_before_expiry,
                Some(d.parse("refresh_before_expiry", file)?),
            );
        }
        if let Some(d) = &parsed.duration {
            fill(&mut self.duration, Some(d.parse("duration", file)?));
        }
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
        for role in parsed.roles.unwrap_or_default() {
            if !self.roles.contains(&role) {
                self.roles.push(role);
            }
        }
        self.files.push(file.clone());
        Ok(())
    }
}

/// A config file and its text, read once: what is checked for trust is
/// what is parsed.
pub struct Source {
    pub path: PathBuf,
    pub text: String,
}

/// Reads `explicit` alone, or the files that apply in `dir`.
pub fn read_sources(dir: &Path, explicit: Option<&Path>) -> Result<Vec<Source>> {
    let files = match explicit {
        Some(file) if !file.is_file() => bail!("config file {} does not exist", file.display()),
        Some(file) => vec![file.to_path_buf()],
        None => discover(dir),
    };
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok(Source { path, text })
        })
        .collect()
}

/// The config files that apply in `dir`, nearest first.
pub fn discover(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = dir
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .filter(|f| f.is_file())
        .collect();
    if let Some(home) = home_file()
        && home.is_file()
        && !files.contains(&home)
    {
        files.push(home);
    }
    files
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

    #[test]
    fn nearest_file_wins_key_by_key() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(
            root,
            "assume-role.yaml",
            "role_prefix: arn:aws:iam::1:role/\nregion: eu-west-1\nroles: [a]\n",
        );
        write(
            root,
            "p/q/assume-role.yaml",
            "region: us-east-2\nrefresh_before_expiry: 1h30m\nroles: [b, a]\n",
        );
        let config = Config::load(&root.join("p/q"), None).unwrap();
        assert_eq!(config.role_prefix.as_deref(), Some("arn:aws:iam::1:role/"));
        assert_eq!(config.region.as_deref(), Some("us-east-2"));
        assert_eq!(config.refresh_before_expiry(), Duration::from_secs(5400));
        assert_eq!(config.roles, ["b", "a"]);
        assert_eq!(config.files[0], root.join("p/q/assume-role.yaml"));
    }

    #[test]
    fn empty_and_comment_only_files_are_fine() {
        let tmp = tempfile::tempdir().unwrap();
        let file = write(tmp.path(), "assume-role.yaml", "# nothing yet\n");
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
            "refresh_before_expiry: soon\n",
        );
        let err = Config::load(tmp.path(), Some(&file))
            .unwrap_err()
            .to_string();
        assert!(err.contains("refresh_before_expiry"), "{err}");
        assert!(err.contains("assume-role.yaml"), "{err}");
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
}
