//! Query strings and path parameters into typed, validated values.

use std::borrow::Cow;

use serde::de::value::MapDeserializer;
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde_json::{Map, Value};
use serde_path_to_error::Path;
use shieldwall_core::field_error;
use shieldwall_errors::{ApiError, ErrorCode};
use shieldwall_sanitize::Sanitize;
use validator::Validate;

use crate::check::check;

/// Reads a query string into `T`: values coerced from text to the field's
/// type (`page=2` into a `u32`, `archived=true` into a `bool`), serde's
/// defaults for what is absent, then validated and cleaned. A parameter
/// given twice for one field is refused; others are ignored unless `T` has
/// `#[serde(deny_unknown_fields)]`. Errors name the parameter, never its
/// value.
///
/// ```
/// use shieldwall_validate::{Pagination, SortOrder, parse_query};
///
/// let page: Pagination = parse_query(Some("page=2&limit=50&sort=asc")).unwrap();
/// assert_eq!((page.page, page.limit, page.sort), (2, 50, SortOrder::Asc));
/// let err = parse_query::<Pagination>(Some("limit=1000")).unwrap_err();
/// assert_eq!(err.problem().errors[0].field, "limit");
/// ```
pub fn parse_query<T>(query: Option<&str>) -> Result<T, ApiError>
where
    T: DeserializeOwned + Validate + Sanitize,
{
    let query = query.unwrap_or_default();
    let mut value: T = from_pairs(form_urlencoded::parse(query.as_bytes()))
        .map_err(|(path, message)| rejected(&path, &message))?;
    check(&mut value, || {
        Some(as_object(form_urlencoded::parse(query.as_bytes())))
    })?;
    Ok(value)
}

/// Reads path parameters (name and raw value, as the router matched them)
/// into `T` the way [`parse_query`] reads a query, then validates and cleans
/// it. A value of the wrong type is 404 `NOT_FOUND` (no such resource, as the
/// adapters' `Path` answers); a value that breaks a rule is 400.
pub fn parse_path<'a, T>(params: &[(&'a str, &'a str)]) -> Result<T, ApiError>
where
    T: DeserializeOwned + Validate + Sanitize,
{
    let pairs = params
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)));
    let mut value: T = from_pairs(pairs).map_err(|(_, message)| {
        ApiError::new(ErrorCode::NotFound).with_source(PlainError(message))
    })?;
    check(&mut value, || {
        Some(Value::Object(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
                .collect(),
        ))
    })?;
    Ok(value)
}

/// `T` from text pairs, each value parsed into the type of its field;
/// on error, the field's path (parameter names are the client's: shown
/// through [`field_error`], only when plain) and serde's message.
fn from_pairs<'a, T: DeserializeOwned>(
    pairs: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
) -> Result<T, (Path, String)> {
    let deserializer =
        MapDeserializer::<_, serde::de::value::Error>::new(pairs.map(|(k, v)| (k, Coerce(v))));
    serde_path_to_error::deserialize(deserializer)
        .map_err(|err| (err.path().clone(), err.inner().to_string()))
}

fn rejected(path: &Path, message: &str) -> ApiError {
    let mut field = field_error(path, message);
    if field.code == "duplicate_field" {
        field.code = "duplicate".into();
    }
    ApiError::new(ErrorCode::ValidationFailed)
        .with_detail("the query has invalid parameters")
        .with_field_error(field)
}

fn as_object<'a>(pairs: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>) -> Value {
    let mut map = Map::new();
    for (key, value) in pairs {
        map.entry(key.into_owned())
            .or_insert(Value::String(value.into_owned()));
    }
    Value::Object(map)
}

/// A text value that becomes the type asked for.
struct Coerce<'a>(Cow<'a, str>);

impl<'de, 'a> IntoDeserializer<'de, serde::de::value::Error> for Coerce<'a> {
    type Deserializer = coerce::Text<'a>;

    fn into_deserializer(self) -> Self::Deserializer {
        coerce::Text(self.0)
    }
}

/// Kept for the logs only: serde's text may quote the value.
#[derive(Debug)]
struct PlainError(String);

impl std::fmt::Display for PlainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PlainError {}

mod coerce {
    //! A value deserializer that parses text into what is asked for.

    use std::borrow::Cow;

    use serde::de::{self, Visitor, value::Error};
    use serde::forward_to_deserialize_any;

    pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

    macro_rules! parsed {
        ($($method:ident => $visit:ident),* $(,)?) => {
            $(
                fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                    match self.0.parse() {
                        Ok(value) => visitor.$visit(value),
                        Err(_) => Err(de::Error::invalid_value(de::Unexpected::Other("text"), &visitor)),
                    }
                }
            )*
        };
    }

    /// A finite number: Rust reads `NaN`, `inf` and `infinity` as floats, and
    /// NaN passes every range rule (each comparison with it is false).
    fn finite(text: &str) -> Option<f64> {
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    impl<'de> de::Deserializer<'de> for Text<'_> {
        type Error = Error;

        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.0 {
                Cow::Borrowed(text) => visitor.visit_str(text),
                Cow::Owned(text) => visitor.visit_string(text),
            }
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.visit_some(self)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Error> {
            visitor.visit_enum(de::value::StrDeserializer::<Error>::new(&self.0))
        }

        parsed! {
            deserialize_bool => visit_bool,
            deserialize_i8 => visit_i8,
            deserialize_i16 => visit_i16,
            deserialize_i32 => visit_i32,
            deserialize_i64 => visit_i64,
            deserialize_u8 => visit_u8,
            deserialize_u16 => visit_u16,
            deserialize_u32 => visit_u32,
            deserialize_u64 => visit_u64,
        }

        fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match finite(&self.0) {
                // Narrowing a finite f64 that fits f32 is what parsing as f32 does.
                #[allow(clippy::cast_possible_truncation, reason = "range checked")]
                Some(value) if value.abs() <= f64::from(f32::MAX) => {
                    visitor.visit_f32(value as f32)
                }
                _ => Err(de::Error::invalid_value(
                    de::Unexpected::Other("text"),
                    &visitor,
                )),
            }
        }

        fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match finite(&self.0) {
                Some(value) => visitor.visit_f64(value),
                None => Err(de::Error::invalid_value(
                    de::Unexpected::Other("text"),
                    &visitor,
                )),
            }
        }

        forward_to_deserialize_any! {
            i128 u128 char str string bytes byte_buf unit unit_struct newtype_struct seq tuple
            tuple_struct map struct identifier ignored_any
        }
    }
}
