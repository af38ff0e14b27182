//! [`Secret`] from a configuration file: a string, whose UTF-8 bytes are the
//! secret. No error says what was written there.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::Secret;

/// The one message for a secret of the wrong type: serde's own would quote
/// a number or a boolean.
const NOT_A_STRING: &str = "a secret must be a string (its value is not repeated)";

impl<'de> Deserialize<'de> for Secret {
    /// A string (or bytes, where the format has them); its bytes are the
    /// secret. Any other type is refused with a message that does not repeat
    /// the value.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecretText;

        impl Visitor<'_> for SecretText {
            type Value = Secret;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Secret, E> {
                Ok(Secret::from(text))
            }

            fn visit_string<E: de::Error>(self, text: String) -> Result<Secret, E> {
                Ok(Secret::from(text))
            }

            fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Secret, E> {
                Ok(Secret::from(bytes))
            }

            fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Secret, E> {
                Ok(Secret::new(bytes))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
                Err(E::custom(NOT_A_STRING))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Secret, E> {
                Err(E::custom(NOT_A_STRING))
            }

            fn visit_i128<E: de::Error>(self, _: i128) -> Result<Secret, E> {
                Err(E::custom(NOT_A_STRING))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Secret, E> {
                Err(E::custom(NOT_A_STRING))
            }

            fn visit_u128<E: de::Error>(self, _: u128) -> Result<Secret, E> {
                Err(E::custom(NOT_A_STRING))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
                Err(E::custom(NOT_A_STRING))
            }

            fn visit_char<E: de::Error>(self, _: char) -> Result<Secret, E> {
                Err(E::custom(NOT_A_STRING))
            }
        }

        // `deserialize_any`: the visitor sees every type, so no error the
        // format makes itself quotes a value.
        deserializer.deserialize_any(SecretText)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        #[allow(dead_code)]
        secret: Secret,
    }

    #[test]
    fn a_string_becomes_a_secret_and_nothing_else_is_repeated() {
        let s: Settings = serde_json::from_str(r#"{"secret": "hunter2-hunter2"}"#).unwrap();
        assert!(s.secret.ct_eq(b"hunter2-hunter2"));
        assert!(!format!("{s:?}").contains("hunter2"));
        for text in [
            r#"{"secret": 424242424242}"#,
            r#"{"secret": -424242424242}"#,
            r#"{"secret": 4242.4242}"#,
            r#"{"secret": true}"#,
            r#"{"secret": ["4242"]}"#,
            r#"{"secret": {"v": "4242"}}"#,
        ] {
            let err = serde_json::from_str::<Settings>(text)
                .unwrap_err()
                .to_string();
            assert!(!err.contains("4242") && !err.contains("true"), "{err}");
        }
        let err = serde_json::from_str::<Settings>(r#"{"secret": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("a secret must be a string"), "{err}");
    }
}
