//! The AWS side: who the base identity is (`base`, `base_env`), the calls
//! to STS (`sts`, the only module that builds an SDK client), MFA codes
//! (`mfa`), console sign-in (`signin`) and the credential endpoint a served
//! command reads (`serve`). Uses `store`, `config`, `resolve` and `util`.

pub mod base;
pub mod base_env;
pub mod mfa;
pub mod serve;
pub mod signin;
pub mod sts;
