//! Reading variables: one error type that names the variable.

use std::fmt;

/// A bad value in the environment or in the `SHIELDWALL_CONFIG` file;
/// printed as one line naming the variable, or the file and its key.
#[derive(Debug, PartialEq, Eq)]
pub struct EnvError {
    /// The variable (`SHIELDWALL_CONFIG` for a problem in the file).
    pub var: &'static str,
    /// The file, for a problem in it, as `SHIELDWALL_CONFIG` names it.
    pub file: Option<String>,
    /// The file's key at fault, when there is one.
    pub key: Option<&'static str>,
    /// What is wrong, without repeating a secret value.
    pub problem: String,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.key) {
            (Some(file), Some(key)) => write!(f, "{} ({file}): {key}: {}", self.var, self.problem),
            (Some(file), None) => write!(f, "{} ({file}): {}", self.var, self.problem),
            (None, _) => write!(f, "{}: {}", self.var, self.problem),
        }
    }
}

impl std::error::Error for EnvError {}

/// Where values come from: the process environment, or a list in tests.
pub trait Source {
    /// The value of `var`, if set (an empty value counts as unset); an error
    /// when it is not valid UTF-8.
    fn get(&self, var: &'static str) -> Result<Option<String>, EnvError>;
}

/// The process environment.
#[derive(Clone, Copy, Debug)]
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, var: &'static str) -> Result<Option<String>, EnvError> {
        match std::env::var(var) {
            Ok(value) => Ok(Some(value).filter(|v| !v.is_empty())),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(bad(var, "is not valid UTF-8")),
        }
    }
}

impl Source for [(&str, &str)] {
    fn get(&self, var: &'static str) -> Result<Option<String>, EnvError> {
        Ok(self
            .iter()
            .find(|(k, _)| *k == var)
            .map(|(_, v)| (*v).to_owned())
            .filter(|v| !v.is_empty()))
    }
}

/// An error for `var`.
pub(crate) fn bad(var: &'static str, problem: impl Into<String>) -> EnvError {
    EnvError {
        var,
        file: None,
        key: None,
        problem: problem.into(),
    }
}
