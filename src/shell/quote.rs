//! Quoting values and checking names for the shell code that users `eval`.
//!
//! Every quoter always emits a single-quoted literal, even when the value
//! looks harmless, so the output never depends on which characters happen to
//! be special in a given shell.

/// Whether `name` can be used as an environment variable name in every
/// supported shell: `[A-Za-z_][A-Za-z0-9_]*`.
///
/// Names are written into the generated code unquoted, so anything else
/// (including non-ASCII letters, which some shells accept) is rejected.
pub fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// Quotes `value` as one word for POSIX shells (bash, zsh, dash, ksh).
///
/// Inside single quotes nothing is special, not even `\`, but a `'` cannot
/// appear at all; each one is written as `'\''` (close the quotes, an escaped
/// quote, reopen). The output never contains `''` inside a quoted run, so it
/// also parses the same under zsh's `RC_QUOTES` option.
pub fn posix(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Quotes `value` as one word for fish.
///
/// fish single quotes treat `\\` and `\'` as escapes (any other `\` is
/// literal), so both `\` and `'` are backslash-escaped. [`posix`] quoting is
/// not safe here: fish reads its `'\\'` (for `\\`) as one backslash, and
/// its `'\'\'''` (for `\'`) has unbalanced quotes.
pub fn fish(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if matches!(c, '\\' | '\'') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// Quotes `value` as a PowerShell single-quoted (verbatim) string.
///
/// PowerShell accepts `'` and the typographic quotes U+2018 `‘`, U+2019 `’`,
/// U+201A `‚` and U+201B `‛` interchangeably as single quotes; inside the
/// string a quote character is escaped by doubling it. Nothing else (not `$`,
/// not the backtick) is special in a verbatim string.
pub fn powershell(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}'..='\u{201B}') {
            quoted.push(c);
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    //! Known adversarial cases. bash, zsh and fish are additionally exercised
    //! end to end by `tests/it/shell_quote.rs`; PowerShell is not installable in
    //! the test environment, so the `powershell` cases here are its coverage.

    use super::*;

    #[test]
    fn valid_names() {
        for name in ["AWS_PROFILE", "_x", "a1", "_", "A", "z9_Z"] {
            assert!(valid_name(name), "{name:?} should be valid");
        }
    }

    #[test]
    fn invalid_names() {
        for name in [
            "", "1A", "A-B", "A B", "A=B", "$A", "é", "Aé", "A\n", "A;B", "A'",
        ] {
            assert!(!valid_name(name), "{name:?} should be invalid");
        }
    }

    #[test]
    fn posix_cases() {
        let cases = [
            ("", "''"),
            ("plain", "'plain'"),
            ("a b  c", "'a b  c'"),
            ("'", r"''\'''"),
            ("''", r"''\'''\'''"),
            ("it's", r"'it'\''s'"),
            (r"\", r"'\'"),
            (r"\'", r"'\'\'''"),
            (r"a\", r"'a\'"),
            (r"\n", r"'\n'"),
            ("$(id)", "'$(id)'"),
            ("`id`", "'`id`'"),
            ("$HOME", "'$HOME'"),
            (";rm -rf /", "';rm -rf /'"),
            ("a\nb\n", "'a\nb\n'"),
            ("!!", "'!!'"),
            ("!$ !-1", "'!$ !-1'"),
            ("*", "'*'"),
            ("?[a]", "'?[a]'"),
            ("{a,b}", "'{a,b}'"),
            ("~", "'~'"),
            ("a\tb", "'a\tb'"),
            ("\x01\x1b[31m\x7f", "'\x01\x1b[31m\x7f'"),
            ("\r\n", "'\r\n'"),
            ("é 日本 🦀", "'é 日本 🦀'"),
            ("\u{2018}\u{2019}", "'\u{2018}\u{2019}'"),
            (r#""$x""#, r#"'"$x"'"#),
        ];
        for (value, expected) in cases {
            assert_eq!(posix(value), expected, "value {value:?}");
        }
    }

    #[test]
    fn fish_cases() {
        let cases = [
            ("", "''"),
            ("plain", "'plain'"),
            ("a b  c", "'a b  c'"),
            ("'", r"'\''"),
            ("''", r"'\'\''"),
            ("it's", r"'it\'s'"),
            (r"\", r"'\\'"),
            (r"\\", r"'\\\\'"),
            (r"\'", r"'\\\''"),
            (r"a\", r"'a\\'"),
            (r"\n", r"'\\n'"),
            (r"'\''", r"'\'\\\'\''"),
            ("$(id)", "'$(id)'"),
            ("(id)", "'(id)'"),
            ("`id`", "'`id`'"),
            ("$HOME", "'$HOME'"),
            (";rm -rf /", "';rm -rf /'"),
            ("a\nb\n", "'a\nb\n'"),
            ("!!", "'!!'"),
            ("*", "'*'"),
            ("**/?", "'**/?'"),
            ("{a,b}", "'{a,b}'"),
            ("~", "'~'"),
            ("a\tb", "'a\tb'"),
            ("\x01\x1b[31m\x7f", "'\x01\x1b[31m\x7f'"),
            ("\r\n", "'\r\n'"),
            ("é 日本 🦀", "'é 日本 🦀'"),
            (r#""$x""#, r#"'"$x"'"#),
        ];
        for (value, expected) in cases {
            assert_eq!(fish(value), expected, "value {value:?}");
        }
    }

    #[test]
    fn powershell_cases() {
        let cases = [
            ("", "''"),
            ("plain", "'plain'"),
            ("a b  c", "'a b  c'"),
            ("'", "''''"),
            ("''", "''''''"),
            ("it's", "'it''s'"),
            (r"\", r"'\'"),
            (r"\'", r"'\'''"),
            (r"a\", r"'a\'"),
            (r"\n", r"'\n'"),
            ("\u{2018}", "'\u{2018}\u{2018}'"),
            ("\u{2019}", "'\u{2019}\u{2019}'"),
            ("\u{201A}", "'\u{201A}\u{201A}'"),
            ("\u{201B}", "'\u{201B}\u{201B}'"),
            (
                "a\u{2018}b\u{2019}'c\u{201A}\u{201B}",
                "'a\u{2018}\u{2018}b\u{2019}\u{2019}''c\u{201A}\u{201A}\u{201B}\u{201B}'",
            ),
            // Double quotes, including the typographic ones, are not special.
            ("\"\u{201C}\u{201D}\u{201E}", "'\"\u{201C}\u{201D}\u{201E}'"),
            ("$(id)", "'$(id)'"),
            ("$env:HOME", "'$env:HOME'"),
            ("`n`$", "'`n`$'"),
            (";rm -rf /", "';rm -rf /'"),
            ("a\nb\n", "'a\nb\n'"),
            ("!!", "'!!'"),
            ("*", "'*'"),
            ("{a,b}", "'{a,b}'"),
            ("@(1)", "'@(1)'"),
            ("a\tb", "'a\tb'"),
            ("\x01\x1b[31m\x7f", "'\x01\x1b[31m\x7f'"),
            ("\r\n", "'\r\n'"),
            ("é 日本 🦀", "'é 日本 🦀'"),
        ];
        for (value, expected) in cases {
            assert_eq!(powershell(value), expected, "value {value:?}");
        }
    }
}
