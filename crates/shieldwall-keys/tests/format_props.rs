//! The API key format on keys of any shape: every key it makes parses back
//! to its id; any one byte changed, added or dropped fails before a store is
//! asked; any bytes at all never panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use proptest::prelude::*;
use shieldwall_keys::KeyFormat;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    #[test]
    fn a_made_key_parses_and_any_one_change_fails(
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        kind in 0_u8..3,
    ) {
        let format = KeyFormat::new("sk").unwrap();
        let (secret, id) = format.generate();
        let key = secret.expose().to_vec();
        let parsed = format.parse(&key).unwrap();
        prop_assert_eq!(parsed.id(), id.as_str());
        let mut changed = key.clone();
        let i = at.index(changed.len());
        match kind {
            0 => {
                prop_assume!(changed[i] != byte);
                changed[i] = byte;
            }
            1 => changed.insert(i, byte),
            _ => {
                changed.remove(i);
            }
        }
        prop_assert!(format.parse(&changed).is_err(), "{:?}", String::from_utf8_lossy(&changed));
    }

    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..96)) {
        let format = KeyFormat::new("sk").unwrap();
        let _ = format.parse(&bytes);
    }
}
