//! The environment over the `SHIELDWALL_CONFIG` file, key by key, and the
//! readers every setting goes through: a value from either place is parsed
//! by the same code (the library crates' `Deserialize` impls for quotas,
//! trusted proxies, failure modes, the Redis configuration and secrets), and
//! an error names the variable or the file's key it came from. No reader
//! quotes a value of the wrong type.

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Value;

use crate::config::Origin;
use crate::env::{EnvError, Source, bad};
use crate::file::{CONFIG_VAR, ConfigFile};

/// One setting's raw value, and where it came from.
enum Raw<'a> {
    Env(String),
    File(&'a Value),
}

/// The environment, then the file.
pub(crate) struct Layers<'a, S: Source + ?Sized> {
    env: &'a S,
    file: Option<ConfigFile>,
}

impl<'a, S: Source + ?Sized> Layers<'a, S> {
    /// The environment, over the file `SHIELDWALL_CONFIG` names (read now).
    pub(crate) fn from_env(env: &'a S) -> Result<Self, EnvError> {
        let file = env
            .get(CONFIG_VAR)?
            .map(|path| ConfigFile::load(&path))
            .transpose()?;
        Ok(Self { env, file })
    }

    /// The environment over `file`.
    #[cfg(test)]
    pub(crate) fn with_file(env: &'a S, file: Option<ConfigFile>) -> Self {
        Self { env, file }
    }

    fn raw(&self, var: &'static str) -> Result<Option<Raw<'_>>, EnvError> {
        if let Some(value) = self.env.get(var)? {
            return Ok(Some(Raw::Env(value)));
        }
        // An empty string is unset, as an empty variable is.
        Ok(self
            .file
            .as_ref()
            .and_then(|f| f.value(var))
            .filter(|v| v.as_str() != Some(""))
            .map(Raw::File))
    }

    /// An error about `var`'s value, wherever it came from.
    fn error(&self, var: &'static str, raw: &Raw<'_>, problem: impl Into<String>) -> EnvError {
        match (raw, &self.file) {
            (Raw::File(_), Some(file)) => file.error(var, problem),
            _ => bad(var, problem),
        }
    }

    /// Where `var`'s value comes from (`Origin::Default` when unset).
    pub(crate) fn origin(&self, var: &'static str) -> Result<Origin, EnvError> {
        Ok(match self.raw(var)? {
            Some(Raw::Env(_)) => Origin::Environment,
            Some(Raw::File(_)) => Origin::File,
            None => Origin::Default,
        })
    }

    /// Re-attributes an error about `var` to the file's key when the value
    /// came from the file (an error made by code that only knows the
    /// variable, such as the TLS files').
    pub(crate) fn blame(&self, err: EnvError) -> EnvError {
        if err.file.is_some() {
            return err;
        }
        match (self.raw(err.var), &self.file) {
            (Ok(Some(Raw::File(_))), Some(file)) => file.error(err.var, err.problem),
            _ => err,
        }
    }

    /// A value written as text.
    pub(crate) fn text(&self, var: &'static str) -> Result<Option<String>, EnvError> {
        match self.raw(var)? {
            None => Ok(None),
            Some(Raw::Env(text)) => Ok(Some(text)),
            Some(Raw::File(Value::String(text))) => Ok(Some(text.clone())),
            Some(raw) => Err(self.error(var, &raw, "must be a string")),
        }
    }

    /// A value read by `T`'s `Deserialize`: a variable's text as a string,
    /// the file's value as it is written.
    pub(crate) fn typed<T: DeserializeOwned>(
        &self,
        var: &'static str,
    ) -> Result<Option<T>, EnvError> {
        let Some(raw) = self.raw(var)? else {
            return Ok(None);
        };
        let read = match &raw {
            Raw::Env(text) => {
                let text: serde::de::value::StringDeserializer<serde::de::value::Error> =
                    text.clone().into_deserializer();
                T::deserialize(text).map_err(|e| e.to_string())
            }
            Raw::File(value) => {
                T::deserialize((*value).clone()).map_err(|e| e.message().to_owned())
            }
        };
        read.map(Some)
            .map_err(|problem| self.error(var, &raw, problem))
    }

    /// [`Layers::typed`] for a setting written as a string in the file (a
    /// secret, a quota, a mode): any other TOML value (a number, a date) is
    /// refused, never turned into text.
    pub(crate) fn typed_text<T: DeserializeOwned>(
        &self,
        var: &'static str,
    ) -> Result<Option<T>, EnvError> {
        if let Some(raw @ Raw::File(value)) = self.raw(var)?
            && !matches!(value, Value::String(_))
        {
            return Err(self.error(var, &raw, "must be a string"));
        }
        self.typed(var)
    }

    /// `true` or `false` (any case in a variable, a boolean in the file).
    pub(crate) fn flag(&self, var: &'static str) -> Result<Option<bool>, EnvError> {
        let Some(raw) = self.raw(var)? else {
            return Ok(None);
        };
        let flag = match &raw {
            Raw::Env(text) => match text.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            Raw::File(value) => value.as_bool(),
        };
        flag.map(Some)
            .ok_or_else(|| self.error(var, &raw, "must be true or false"))
    }

    /// A whole number (digits in a variable, an integer in the file).
    pub(crate) fn number(&self, var: &'static str) -> Result<Option<u64>, EnvError> {
        let Some(raw) = self.raw(var)? else {
            return Ok(None);
        };
        let number = match &raw {
            Raw::Env(text) => text.trim().parse::<u64>().ok(),
            Raw::File(value) => value.as_integer().and_then(|n| u64::try_from(n).ok()),
        };
        number
            .map(Some)
            .ok_or_else(|| self.error(var, &raw, "must be a whole number, 0 or more"))
    }

    /// A list: comma-separated in a variable; in the file, an array of
    /// strings (or one comma-separated string, as in the variable).
    pub(crate) fn entries(&self, var: &'static str) -> Result<Option<Vec<String>>, EnvError> {
        let Some(raw) = self.raw(var)? else {
            return Ok(None);
        };
        let split = |text: &str| text.split(',').map(|e| e.trim().to_owned()).collect();
        let entries = match &raw {
            Raw::Env(text) => Some(split(text)),
            Raw::File(Value::String(text)) => Some(split(text)),
            Raw::File(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(|e| e.trim().to_owned()))
                .collect(),
            Raw::File(_) => None,
        };
        entries
            .map(Some)
            .ok_or_else(|| self.error(var, &raw, "must be a list of strings"))
    }

    /// An error about `var`, which is unset while `partner` is set: in the
    /// file's terms when `partner` came from the file.
    pub(crate) fn bad_beside(
        &self,
        var: &'static str,
        partner: &'static str,
        problem: impl Into<String>,
    ) -> EnvError {
        match (self.raw(partner), &self.file) {
            (Ok(Some(Raw::File(_))), Some(file)) => file.error(var, problem),
            _ => bad(var, problem),
        }
    }
}
