//! The names a client knows fields by: serde's, after `rename` and
//! `rename_all`, which validator's errors do not follow.

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The serde names of `T`'s fields, in declaration order, read from its
/// `Deserialize` impl (what it passes to `deserialize_struct`). Empty for a
/// type that is not a plain struct.
pub(crate) fn serde_fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut tracer = Tracer { fields: &[] };
    let _ = T::deserialize(&mut tracer);
    tracer.fields
}

struct Tracer {
    fields: &'static [&'static str],
}

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Self
    }
}

impl<'de> Deserializer<'de> for &mut Tracer {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        self.fields = fields;
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// Letters and digits only, lowercased: `full_name`, `fullName` and
/// `FULL-NAME` are one name.
fn folded(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
}

/// The spellings serde's `rename_all` gives the Rust field `rust`.
fn renamings(rust: &str) -> [String; 8] {
    let words: Vec<&str> = rust.split('_').filter(|w| !w.is_empty()).collect();
    let capitalized = |w: &&str| {
        let mut chars = w.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_ascii_uppercase().to_string() + chars.as_str()
        })
    };
    let pascal: String = words.iter().map(capitalized).collect();
    let camel = words.first().map_or_else(String::new, |first| {
        (*first).to_owned() + &words.iter().skip(1).map(capitalized).collect::<String>()
    });
    [
        rust.to_owned(),
        rust.to_ascii_lowercase(),
        rust.to_ascii_uppercase(),
        camel,
        pascal,
        rust.to_ascii_uppercase(),
        rust.replace('_', "-"),
        rust.replace('_', "-").to_ascii_uppercase(),
    ]
}

/// The name a client uses for the Rust field `rust`. Among the type's own
/// serde names (`declared`, trusted: they come from the type), the one that
/// differs only by case convention; else among the keys the client sent
/// (`sent`, not trusted), one that is exactly a `rename_all` spelling of
/// it, so a client-chosen key is never named unless the type could have
/// named it so; else `rust` itself.
pub(crate) fn client_name<'a>(rust: &'a str, declared: &[&'a str], sent: &[&'a str]) -> &'a str {
    if declared.contains(&rust) || sent.contains(&rust) {
        return rust;
    }
    let mut matches = declared.iter().filter(|k| folded(k).eq(folded(rust)));
    if let (Some(only), None) = (matches.next(), matches.next()) {
        return only;
    }
    let spellings = renamings(rust);
    sent.iter()
        .find(|key| spellings.iter().any(|s| s == **key))
        .copied()
        .unwrap_or(rust)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Member {
        full_name: String,
        #[serde(rename = "e-mail")]
        email: String,
        #[serde(skip)]
        internal: u8,
    }

    #[test]
    fn reads_serde_names_and_matches_rust_names_to_them() {
        let fields = serde_fields::<Member>();
        assert_eq!(fields, ["fullName", "e-mail"]);
        assert_eq!(client_name("full_name", fields, &[]), "fullName");
        assert_eq!(client_name("e-mail", fields, &[]), "e-mail");
        assert_eq!(client_name("unknown", fields, &[]), "unknown");
        // Keys the client sent name a field only when they are a rename_all spelling of it.
        let sent = ["zipCode", "ZIP<svg onload=x>CODE", "POSTAL-CODE"];
        assert_eq!(client_name("zip_code", &[], &sent), "zipCode");
        assert_eq!(client_name("postal_code", &[], &sent), "POSTAL-CODE");
        assert_eq!(client_name("zip_code", &[], &sent[1..]), "zip_code");
        assert!(serde_fields::<u32>().is_empty());
        assert!(serde_fields::<std::collections::HashMap<String, u8>>().is_empty());
    }
}
