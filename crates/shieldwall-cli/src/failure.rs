//! `Failure`: why a command failed, as the one line printed on stderr.

use std::fmt;

/// A command's failure. Its `Display` is one line (line breaks in the
/// message become spaces) and never holds a secret: messages name the
/// argument or variable at fault, not its value.
#[derive(Debug)]
pub(crate) struct Failure(String);

impl Failure {
    /// A failure saying `message`.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// A failure saying `context`, then `error` and its sources.
    pub(crate) fn caused(context: &str, error: &dyn std::error::Error) -> Self {
        let mut message = format!("{context}: {error}");
        let mut source = error.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.ends_with(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        Self(message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, line) in self.0.lines().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(line.trim())?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::Failure;

    #[test]
    fn a_failure_is_one_line() {
        let failure = Failure::new("first\nsecond\r\nthird");
        assert_eq!(failure.to_string(), "first second third");
        let io = std::io::Error::other("disk on fire");
        assert_eq!(
            Failure::caused("--body", &io).to_string(),
            "--body: disk on fire"
        );
    }
}
