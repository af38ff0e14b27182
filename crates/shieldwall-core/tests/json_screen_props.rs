//! The JSON body screen against serde_json, on generated and mutated
//! bodies: the screen is a second parser of attacker bytes, so it must never
//! panic, never pass a body whose objects serde_json reads with a duplicate
//! or forbidden key, and never refuse a body serde_json reads without one.
//!
//! The reference is serde_json itself, read through a visitor that lists
//! every object's keys as serde unescapes them. Generated bodies draw keys
//! from a small set with escaped spellings of the same key (`a` and
//! `\u0061`, `$where` and `\u0024where`), so that duplicates and forbidden
//! keys hide behind escapes; mutated bodies flip, insert and drop bytes
//! (invalid UTF-8 included). `PROPTEST_CASES` raises the case count
//! (`cargo xtask fuzz` does).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::cell::RefCell;
use std::fmt;

use proptest::prelude::*;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use shieldwall_core::BodyPolicy;
use shieldwall_sanitize::is_forbidden_key;

/// Every object's keys, as serde_json reads them.
struct Keys<'a>(&'a RefCell<Vec<Vec<String>>>);

impl<'de> DeserializeSeed<'de> for Keys<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Keys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Keys(self.0))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            keys.push(key);
            map.next_value_seed(Keys(self.0))?;
        }
        self.0.borrow_mut().push(keys);
        Ok(())
    }
}

/// serde_json's reading: every object's keys, or `None` when it refuses
/// the body.
fn reference(body: &[u8]) -> Option<Vec<Vec<String>>> {
    let objects = RefCell::new(Vec::new());
    let mut de = serde_json::Deserializer::from_slice(body);
    Keys(&objects).deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(objects.into_inner())
}

fn has_duplicate(objects: &[Vec<String>]) -> bool {
    objects.iter().any(|keys| {
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        sorted.windows(2).any(|w| w[0] == w[1])
    })
}

fn has_forbidden(objects: &[Vec<String>]) -> bool {
    objects.iter().flatten().any(|k| is_forbidden_key(k))
}

/// Keys with escaped spellings of one another and of forbidden keys.
const KEYS: [&str; 16] = [
    "a",
    "\\u0061",
    "b",
    "\\u0062",
    "$where",
    "\\u0024where",
    "__proto__",
    "\\u005f_proto__",
    "a.b",
    "a\\u002eb",
    "é",
    "\\u00e9",
    "😀",
    "\\ud83d\\ude00",
    "price$",
    "",
];

fn space() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "\n", "\t ", "\r\n"])
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("0".to_owned()),
        Just("-12.5e3".to_owned()),
        Just("123456789012345678901234567890".to_owned()),
        Just("\"\"".to_owned()),
        Just("\"a \\\" b \\\\ \\n \\u00e9 é\"".to_owned()),
        Just("\"\\ud83d\\ude00\"".to_owned()),
        "[a-z0-9 ]{0,8}".prop_map(|s| format!("\"{s}\"")),
    ]
}

fn json() -> impl Strategy<Value = String> {
    scalar().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            (
                prop::collection::vec((inner.clone(), space()), 0..5),
                space()
            )
                .prop_map(|(items, pad)| {
                    let items: Vec<String> = items
                        .into_iter()
                        .map(|(v, s)| format!("{s}{v}{s}"))
                        .collect();
                    format!("[{pad}{}{pad}]", items.join(","))
                }),
            (
                prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner, space()), 0..5),
                space()
            )
                .prop_map(|(members, pad)| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(k, v, s)| format!("{s}\"{k}\"{s}:{s}{v}"))
                        .collect();
                    format!("{{{pad}{}{pad}}}", members.join(","))
                }),
        ]
    })
}

/// A generated body, then a few byte edits.
fn mutated() -> impl Strategy<Value = Vec<u8>> {
    (
        json(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0_u8..3), 1..4),
    )
        .prop_map(|(text, edits)| {
            let mut bytes = text.into_bytes();
            for (at, byte, kind) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => {
                        bytes.remove(i);
                    }
                }
            }
            bytes
        })
}

fn policy() -> BodyPolicy {
    // Deep enough that generated bodies never reach it; depth has its own test.
    BodyPolicy::builder()
        .max_depth(32)
        .allow_non_object_bodies()
        .build()
        .unwrap()
}

/// The screen and serde_json agree on every body serde_json reads.
fn agrees(body: &[u8]) -> Result<(), TestCaseError> {
    let policy = policy();
    let plain = policy.screen(body, None);
    let checked = policy.screen(body, Some(&is_forbidden_key));
    let Some(objects) = reference(body) else {
        // serde_json refuses it: whatever the screen says, serde runs next
        // and refuses it too. Only: no panic (reaching here).
        return Ok(());
    };
    let duplicate = has_duplicate(&objects);
    let forbidden = has_forbidden(&objects);
    prop_assert_eq!(
        plain.is_ok(),
        !duplicate,
        "duplicates: serde_json read {:?}; screen {:?}",
        objects,
        plain.as_ref().err().map(ToString::to_string)
    );
    prop_assert_eq!(
        checked.is_ok(),
        !duplicate && !forbidden,
        "forbidden keys: serde_json read {:?}; screen {:?}",
        objects,
        checked.as_ref().err().map(ToString::to_string)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn generated_bodies_are_read_alike(body in json()) {
        agrees(body.as_bytes())?;
    }

    #[test]
    fn mutated_bodies_are_read_alike_or_refused(body in mutated()) {
        agrees(&body)?;
    }

    #[test]
    fn any_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..256)) {
        agrees(&body)?;
    }
}

#[test]
fn escaped_spellings_are_the_same_key() {
    let policy = policy();
    for body in [
        r#"{"a":1,"\u0061":2}"#,
        r#"{"\u00e9":1,"é":2}"#,
        r#"{"😀":1,"\ud83d\ude00":2}"#,
    ] {
        assert!(reference(body.as_bytes()).is_some_and(|o| has_duplicate(&o)));
        assert!(policy.screen(body.as_bytes(), None).is_err(), "{body}");
    }
    let forbidden = br#"{"x":{"\u0024where":1}}"#;
    assert!(policy.screen(forbidden, Some(&is_forbidden_key)).is_err());
}

#[test]
fn nesting_past_the_limit_is_refused_by_both() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(policy().screen(deep.as_bytes(), None).is_err());
    assert!(
        reference(deep.as_bytes()).is_none(),
        "serde_json's own limit is 128"
    );
}
