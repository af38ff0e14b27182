//! Reading JSON objects without building a map: keys are borrowed from the
//! input where they can be, unknown values are skipped, and a key seen twice
//! is refused (serde_json would keep the last one silently; two parsers could
//! then read two different subjects from one token).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A string, borrowed from the input when it holds no escapes.
pub(crate) struct Text<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(Cow::Owned(v)))
    }
}

/// A JSON value whose type is checked rather than assumed: a string, a
/// number, an array of strings, or something else (skipped).
pub(crate) enum Any<'de> {
    Text(Cow<'de, str>),
    Number(serde_json::Number),
    Texts(Vec<Cow<'de, str>>),
    Other,
}

impl<'de> Deserialize<'de> for Any<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnyVisitor)
    }
}

struct AnyVisitor;

impl<'de> Visitor<'de> for AnyVisitor {
    type Value = Any<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Any::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Any::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Any::Text(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Any::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Any::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Any::Other, Any::Number))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Any::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Any::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut texts = Vec::new();
        let mut all_text = true;
        while let Some(item) = seq.next_element::<Any<'de>>()? {
            match item {
                Any::Text(text) if all_text => texts.push(text),
                _ => all_text = false,
            }
        }
        Ok(if all_text {
            Any::Texts(texts)
        } else {
            Any::Other
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Any::Other)
    }
}

/// The keys of one object seen so far.
pub(crate) struct SeenKeys<'de> {
    small: Vec<Cow<'de, str>>,
    large: HashSet<Cow<'de, str>>,
}

impl<'de> SeenKeys<'de> {
    pub(crate) fn new() -> Self {
        Self {
            small: Vec::new(),
            large: HashSet::new(),
        }
    }

    /// Records `key`; false when it was seen before.
    // A `Cow`, not `&str`: a borrowed key is kept without copying it.
    #[allow(clippy::ptr_arg, reason = "the Cow itself is stored")]
    pub(crate) fn insert(&mut self, key: &Cow<'de, str>) -> bool {
        if self.large.is_empty() {
            if self.small.iter().any(|k| k == key) {
                return false;
            }
            self.small.push(key.clone());
            if self.small.len() > 32 {
                self.large.extend(self.small.drain(..));
            }
            true
        } else {
            self.large.insert(key.clone())
        }
    }
}

pub(crate) fn duplicate<E: de::Error>() -> E {
    E::custom("duplicate key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_keys_find_duplicates_small_and_large() {
        let mut seen = SeenKeys::new();
        for i in 0..100 {
            assert!(seen.insert(&Cow::Owned(format!("k{i}"))));
        }
        assert!(!seen.insert(&Cow::Borrowed("k3")));
        assert!(!seen.insert(&Cow::Borrowed("k99")));
        assert!(seen.insert(&Cow::Borrowed("k100")));
    }

    #[test]
    fn any_tells_types_apart() {
        fn parse(s: &str) -> Any<'_> {
            serde_json::from_str(s).unwrap()
        }
        assert!(matches!(parse(r#""a""#), Any::Text(_)));
        assert!(matches!(parse("1.5"), Any::Number(_)));
        assert!(matches!(parse(r#"["a","b"]"#), Any::Texts(v) if v.len() == 2));
        assert!(matches!(parse(r#"["a",1]"#), Any::Other));
        assert!(matches!(parse(r#"{"a":[1]}"#), Any::Other));
        assert!(matches!(parse("null"), Any::Other));
    }
}
