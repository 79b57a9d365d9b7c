//! Storage: what assume-role keeps on disk between calls (the cache and the
//! trust store) and the AWS files it reads and updates (~/.aws/config,
//! ~/.aws/credentials). Uses only `util`.

pub mod aws_files;
pub mod cache;
pub mod trust;
