//! MFA codes: from `--mfa-token`/`ASSUME_ROLE_MFA_TOKEN`, or asked on the
//! terminal (`/dev/tty`, never stdin or stdout, so `eval "$(…)"` still works),
//! typed without echo.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};

use anyhow::{Context, Result, bail};

/// Why a code is asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    First,
    /// The last code was not accepted.
    Retry,
    /// A role refused the MFA session: it wants a more recent code.
    Fresher,
}

/// Where a code comes from.
pub enum CodeSource {
    /// Given up front; it cannot be retyped.
    Given(String),
    Terminal,
}

/// Six digits, as AWS wants them.
pub fn check_code(code: &str) -> Result<()> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        bail!("an MFA code is 6 digits")
    }
}

impl CodeSource {
    pub fn new(given: Option<&str>) -> Result<CodeSource> {
        match given {
            Some(code) => {
                let code = code.trim();
                check_code(code).context("--mfa-token / ASSUME_ROLE_MFA_TOKEN")?;
                Ok(CodeSource::Given(code.to_owned()))
            }
            None => Ok(CodeSource::Terminal),
        }
    }

    pub fn can_retype(&self) -> bool {
        matches!(self, CodeSource::Terminal)
    }

    /// The code for `serial`: the given one, or one typed at the terminal
    /// (asked again until it is 6 digits).
    pub fn code(&self, serial: &str, ask: Ask) -> Result<String> {
        match self {
            CodeSource::Given(code) => Ok(code.clone()),
            CodeSource::Terminal => {
                // Opened first, for a clear message when there is none.
                drop(Tty::open(serial)?);
                let mut prompt = match ask {
                    Ask::First => format!("MFA code for {serial}: "),
                    Ask::Retry => format!("That code was not accepted. MFA code for {serial}: "),
                    Ask::Fresher => {
                        format!("The role wants a more recent MFA code. MFA code for {serial}: ")
                    }
                };
                loop {
                    let answer = match rpassword::prompt_password(&prompt) {
                        Ok(answer) => answer.trim().to_owned(),
                        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                            bail!("no MFA code was typed")
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                            bail!("interrupted while asking for an MFA code")
                        }
                        Err(e) => {
                            return Err(e).context("cannot read an MFA code from the terminal");
                        }
                    };
                    if check_code(&answer).is_ok() {
                        return Ok(answer);
                    }
                    prompt = "An MFA code is 6 digits; try again: ".to_owned();
                }
            }
        }
    }
}

/// Asks which of several MFA devices to use.
pub fn choose_device(devices: &[String]) -> Result<String> {
    let mut tty = Tty::open(&devices[0])?;
    let mut list = String::from("You have several MFA devices:\n");
    for (i, device) in devices.iter().enumerate() {
        list.push_str(&format!("  {}) {device}\n", i + 1));
    }
    tty.say(&list)?;
    loop {
        let answer = tty.ask(&format!("Which one [1-{}]: ", devices.len()))?;
        if let Some(device) = answer
            .parse::<usize>()
            .ok()
            .and_then(|n| devices.get(n.wrapping_sub(1)))
        {
            return Ok(device.clone());
        }
    }
}

struct Tty {
    reader: BufReader<File>,
    writer: File,
}

impl Tty {
    fn open(serial: &str) -> Result<Tty> {
        let open = || -> std::io::Result<Tty> {
            let file = File::options().read(true).write(true).open("/dev/tty")?;
            Ok(Tty {
                writer: file.try_clone()?,
                reader: BufReader::new(file),
            })
        };
        open().map_err(|_| {
            anyhow::anyhow!(
                "an MFA code for {serial} is needed but there is no terminal to ask on: \
                 pass --mfa-token CODE or set ASSUME_ROLE_MFA_TOKEN"
            )
        })
    }

    fn say(&mut self, text: &str) -> Result<()> {
        self.writer.write_all(text.as_bytes())?;
        self.writer.flush()?;
        Ok(())
    }

    fn ask(&mut self, prompt: &str) -> Result<String> {
        self.say(prompt)?;
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            bail!("no MFA code was typed");
        }
        Ok(line.trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert!(check_code("123456").is_ok());
        for bad in ["", "12345", "1234567", "12345a", " 123456", "１２３４５６"] {
            assert!(check_code(bad).is_err(), "{bad:?}");
        }
        assert!(CodeSource::new(Some(" 654321\n")).is_ok());
        assert!(CodeSource::new(Some("abc")).is_err());
    }
}
