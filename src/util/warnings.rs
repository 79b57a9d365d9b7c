//! Warnings for the user, as data: library code hands them to a
//! [`Warnings`] and never prints; `cmd/` makes the one that prints.

/// Where library code puts its warnings for the user. The one `cmd/`
/// passes prints each warning as it comes, so that it is on the screen
/// before a lock wait, an MFA prompt or a call to STS that follows it, and
/// is not lost when the user gives up there.
pub struct Warnings<'a> {
    sink: Box<dyn FnMut(String) + 'a>,
}

impl<'a> Warnings<'a> {
    /// Warnings handed to `sink`, one at a time, as they come.
    pub fn new(sink: impl FnMut(String) + 'a) -> Self {
        Warnings {
            sink: Box::new(sink),
        }
    }

    /// Warnings nobody shows.
    pub fn ignored() -> Self {
        Warnings::new(drop)
    }

    pub fn push(&mut self, warning: String) {
        (self.sink)(warning)
    }
}

impl Extend<String> for Warnings<'_> {
    fn extend<I: IntoIterator<Item = String>>(&mut self, warnings: I) {
        for warning in warnings {
            self.push(warning);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Warnings;

    #[test]
    fn each_warning_reaches_the_sink_as_it_comes() {
        let mut seen = Vec::new();
        let mut warnings = Warnings::new(|w| seen.push(w));
        warnings.push("a".to_owned());
        warnings.extend(["b".to_owned(), "c".to_owned()]);
        drop(warnings);
        assert_eq!(seen, ["a", "b", "c"]);
    }
}
