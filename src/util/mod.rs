//! The bottom layer: helpers every other module may use, which use nothing
//! else of the crate. Files written safely, time, AWS's naming rules, the
//! credentials type, message text, and the supervision of a child process.

pub mod credentials;
pub mod fs;
pub mod names;
pub mod supervise;
pub mod text;
pub mod time;
pub mod warnings;

pub use credentials::Credentials;
pub use text::{Usage, escape, one_line};
pub use warnings::Warnings;
