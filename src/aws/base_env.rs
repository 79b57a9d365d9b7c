//! The environment that names the base identity.
//!
//! `assume-role` never assumes a role from credentials it put into a shell
//! or a child itself: no accidental role chaining. The shell integration
//! hands the environment from before the first `ar` to the binary in
//! `__AR_ORIG`; without it, credentials marked by `ASSUME_ROLE_ARN` are set
//! aside so that the standard chain finds the user's own identity.

use std::collections::BTreeMap;
use std::env;

/// Every variable that switching a role sets or clears.
pub const MANAGED: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    ROLE_VAR,
];

/// The credentials and what names them: a switch and every refresh set
/// these, whatever the shell holds. The other managed variables a refresh
/// leaves to the user once the user has changed them.
pub const CREDENTIALS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    ROLE_VAR,
];

/// Names the role whose credentials are in the environment.
pub const ROLE_VAR: &str = "ASSUME_ROLE_ARN";

/// Carries the saved environment from the shell function to the binary.
pub const SAVED_VAR: &str = "__AR_ORIG";

/// The managed variables' values (`None`: unset), as saved before a switch.
pub type Saved = BTreeMap<String, Option<String>>;

/// The current values of the managed variables. A value that is not UTF-8
/// could not be restored exactly, so it is refused.
pub fn snapshot() -> anyhow::Result<Saved> {
    MANAGED
        .iter()
        .map(|&name| {
            let value = env::var_os(name).map(|v| v.into_string()).transpose().map_err(|_| {
                anyhow::anyhow!("{name} is not valid UTF-8 and could not be restored exactly; fix or unset it")
            })?;
            Ok((name.to_owned(), value))
        })
        .collect()
}

pub fn encode(saved: &Saved) -> String {
    serde_json::to_string(saved).expect("strings serialise")
}

pub fn decode(text: &str) -> Option<Saved> {
    let saved: Saved = serde_json::from_str(text).ok()?;
    saved
        .keys()
        .all(|k| MANAGED.contains(&k.as_str()))
        .then_some(saved)
}

/// The saved environment handed over by the shell, if any and valid.
pub fn handed_over() -> Option<Saved> {
    env::var(SAVED_VAR).ok().and_then(|text| decode(&text))
}

/// Puts this process's environment back to the base identity's. Must run
/// before any thread starts.
pub fn prepare() {
    let apply = |name: &str, value: Option<&str>| {
        // SAFETY: called from `main` before any other thread exists.
        unsafe {
            match value {
                Some(value) => env::set_var(name, value),
                None => env::remove_var(name),
            }
        }
    };
    crate::aws::serve::restore_saved();
    if let Some(saved) = handed_over() {
        for name in MANAGED {
            apply(name, saved.get(*name).and_then(|v| v.as_deref()));
        }
    }
    if let Ok(role) = env::var(ROLE_VAR) {
        // The profile written for that role is the role's too, whichever
        // keys another process has put in it since.
        if env::var("AWS_PROFILE").is_ok_and(|profile| is_role_profile(&profile, &role)) {
            apply("AWS_PROFILE", None);
        }
        for name in CREDENTIALS {
            apply(name, None);
        }
    }
    apply(SAVED_VAR, None);
}

/// Whether `profile` is the awscli profile written for `role`: its name
/// under the default prefix or the configured one, or it holds the keys in
/// the environment.
fn is_role_profile(profile: &str, role: &str) -> bool {
    let Ok(arn) = crate::util::names::parse_role_arn(role) else {
        return false;
    };
    let config = env::current_dir()
        .ok()
        .and_then(|dir| crate::config::Config::load(&dir, None).ok())
        .unwrap_or_default();
    let default = crate::config::Config::default();
    let names = [&config, &default].map(|c| crate::resolve::profile_name(c, &arn).ok());
    names.iter().flatten().any(|name| name == profile)
        || env::var("AWS_ACCESS_KEY_ID")
            .is_ok_and(|key| crate::store::aws_files::profile_holds(profile, &key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_environment_round_trips_and_rejects_foreign_names() {
        let mut saved = Saved::new();
        saved.insert("AWS_PROFILE".into(), Some("it's \"odd\"\n".into()));
        saved.insert("AWS_REGION".into(), None);
        assert_eq!(decode(&encode(&saved)), Some(saved));
        assert_eq!(decode(r#"{"PATH":"/evil"}"#), None);
        assert_eq!(decode("not json"), None);
    }
}
