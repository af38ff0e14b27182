//! Lines on stdout, for scripts: a closed pipe is a failure, never a panic.

use std::io::Write as _;

use crate::failure::Failure;

/// Writes `text` and a line break to stdout.
pub(crate) fn line(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Failure::caused("cannot write to stdout", &e))
}
