//! Message text: escaping what is shown to the user, and the usage error.

use std::fmt;

/// A usage error found after parsing: exit status 2, like clap's own.
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// `text` with its control characters (C0, DEL, C1), line and paragraph
/// separators and Unicode bidi controls escaped visibly: `\n`, `\x1b`,
/// `\u{202e}`.
pub fn escape(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0'..='\x1f' | '\x7f' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{80}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text from elsewhere (an AWS message) on one line: line breaks become
/// spaces.
pub fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_are_escaped_visibly() {
        assert_eq!(escape("plain /a b/é"), "plain /a b/é");
        assert_eq!(escape("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
        assert_eq!(escape("\x1b[2J\n"), "\\x1b[2J\\n");
        assert_eq!(escape("a\u{9b}b\x7f"), "a\\u{9b}b\\x7f");
        assert_eq!(
            escape("\u{202e}txt.exe\u{2066}"),
            "\\u{202e}txt.exe\\u{2066}"
        );
        assert_eq!(escape("\r\t\0"), "\\r\\t\\x00");
    }
}
