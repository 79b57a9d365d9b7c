//! Time as assume-role reads and writes it: RFC 3339 timestamps and
//! Go-style durations.

use std::time::Duration;

/// Parses Go-style durations (`90s`, `15m`, `1h30m`) and bare seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text)
        .map_err(|_| format!("{text:?} is not a duration; write it like 90s, 15m or 1h30m"))
}

/// RFC 3339 timestamps, as `AWS_CREDENTIAL_EXPIRATION` and awscli use them.
pub mod rfc3339 {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn format(time: SystemTime) -> String {
        humantime::format_rfc3339_seconds(time).to_string()
    }

    pub fn parse(text: &str) -> Option<SystemTime> {
        humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).ok()
    }

    pub fn serialize<S: Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*time))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| serde::de::Error::custom("bad timestamp"))
    }

    /// To the nanosecond, for a time compared with the clock (the cache's
    /// `credentials_since`): to the second, a refresh finished in the
    /// second a waiter started would look older than the waiter.
    pub mod precise {
        use std::time::SystemTime;

        use serde::Serializer;

        pub use super::deserialize;

        pub fn serialize<S: Serializer>(time: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&humantime::format_rfc3339_nanos(*time).to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("3600"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn timestamps_round_trip() {
        let t = rfc3339::parse("2026-01-02T03:04:05Z").unwrap();
        assert_eq!(rfc3339::format(t), "2026-01-02T03:04:05Z");
    }
}
