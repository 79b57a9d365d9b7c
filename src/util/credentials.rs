//! Temporary AWS credentials, as STS returns them and the cache keeps them.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::time::rfc3339;

/// Temporary credentials. `Debug` never shows the secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    #[serde(with = "rfc3339")]
    pub expiration: SystemTime,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &rfc3339::format(self.expiration))
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Usable while `now < expiration − margin`.
    pub fn fresh(&self, margin: Duration) -> bool {
        SystemTime::now()
            .checked_add(margin)
            .is_some_and(|t| t < self.expiration)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_key_and_never_the_secrets() {
        let c = Credentials {
            access_key_id: "ASIAKEYID".into(),
            secret_access_key: "very-secret".into(),
            session_token: "session-token".into(),
            expiration: SystemTime::UNIX_EPOCH,
        };
        let shown = format!("{c:?}");
        assert!(
            shown.contains("ASIAKEYID") && shown.contains("1970-01-01T00:00:00Z"),
            "{shown}"
        );
        assert!(
            !shown.contains("very-secret") && !shown.contains("session-token"),
            "{shown}"
        );
    }
}
