//! The key format: `<prefix>_<id><secret><checksum>`.

use std::fmt;

use rand::RngExt;
use shieldwall_core::Secret;
use zeroize::Zeroizing;

use crate::KeyConfigError;
use crate::crc32::crc32;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters of the public key id.
pub const ID_LEN: usize = 12;
/// Characters of the secret: 43 base62 characters are 256.03 bits.
pub const SECRET_LEN: usize = 43;
/// Characters of the checksum: CRC-32 in base62 (62^6 > 2^32).
pub const CHECKSUM_LEN: usize = 6;
const BODY_LEN: usize = ID_LEN + SECRET_LEN + CHECKSUM_LEN;

/// The value of each byte in base62, or 255 for a byte outside the alphabet.
// Evaluated at compile time: an index out of range would fail the build.
#[allow(clippy::indexing_slicing, reason = "const evaluation")]
static BASE62_VALUE: [u8; 256] = {
    let mut table = [255_u8; 256];
    let mut i = 0;
    while i < 62 {
        table[BASE62[i] as usize] = i as u8;
        i += 1;
    }
    table
};

fn base62_value(b: u8) -> u8 {
    BASE62_VALUE.get(usize::from(b)).copied().unwrap_or(255)
}

fn random_base62(len: usize) -> String {
    let mut rng = rand::rng();
    // `random_range` samples uniformly (no modulo bias).
    (0..len)
        .map(|_| char::from(*BASE62.get(rng.random_range(0..62)).unwrap_or(&b'0')))
        .collect()
}

fn checksum(text: &str) -> String {
    let mut value = crc32(text.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = *BASE62.get((value % 62) as usize).unwrap_or(&b'0');
        value /= 62;
    }
    out.iter().map(|b| char::from(*b)).collect()
}

/// The shape of this service's keys: `<prefix>_` then 61 base62 characters
/// (12 of public id, 43 of secret, 6 of CRC-32 over everything before it).
///
/// - The prefix makes keys recognizable to secret scanners and to people
///   (`sk_live_...` in a log or a repository is plainly a key).
/// - The checksum lets a typo or junk be refused without touching the store.
/// - The id is public: it names the key in listings and logs, and is how a
///   key is looked up; only the secret is hashed.
/// - Base62 and `_` survive URLs and double-click selection.
///
/// ```
/// use shieldwall_keys::KeyFormat;
///
/// let format = KeyFormat::new("sk")?;
/// let (key, id) = format.generate();
/// let parsed = format.parse(key.expose()).unwrap();
/// assert_eq!(parsed.id(), id);
/// assert!(format.parse(b"sk_not-a-key").is_err());
/// # Ok::<(), shieldwall_keys::KeyConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct KeyFormat {
    prefix: String,
}

/// A presented key that has the right shape and checksum, held on the stack
/// (the secret is wiped when dropped). Its `Debug` shows the id only.
pub struct ParsedKey {
    id: [u8; ID_LEN],
    secret: Zeroizing<[u8; SECRET_LEN]>,
}

impl fmt::Debug for ParsedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedKey")
            .field("id", &self.id())
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

impl ParsedKey {
    /// The public id.
    #[must_use]
    pub fn id(&self) -> &str {
        // Only base62 bytes are ever stored.
        std::str::from_utf8(&self.id).unwrap_or_default()
    }

    /// The secret part. Keep the borrow short and never log it.
    #[must_use]
    pub fn secret(&self) -> &[u8] {
        self.secret.as_slice()
    }
}

/// Why a presented key does not have the shape of a key. Never carries the key.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// Not this service's prefix.
    #[error("wrong prefix")]
    Prefix,
    /// Not the right length.
    #[error("wrong length")]
    Length,
    /// A character outside base62 (space, invisible character, `-`...).
    #[error("character outside the alphabet")]
    Alphabet,
    /// The checksum does not match: a typo, or not a key at all.
    #[error("checksum mismatch")]
    Checksum,
}

impl KeyFormat {
    /// Keys beginning `<prefix>_`. The prefix is 1 to 16 characters of
    /// `a-z 0-9 _`, starting with a letter (`sk`, `sk_live`, `myapp_test`).
    pub fn new(prefix: &str) -> Result<Self, KeyConfigError> {
        let ok = (1..=16).contains(&prefix.len())
            && prefix
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !prefix.ends_with('_');
        if !ok {
            return Err(KeyConfigError::Prefix);
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    /// The prefix.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The length of every key of this format.
    #[must_use]
    pub fn key_len(&self) -> usize {
        self.prefix.len() + 1 + BODY_LEN
    }

    /// A new key from the OS-seeded CSPRNG, and its public id.
    #[must_use]
    pub fn generate(&self) -> (Secret, String) {
        let (key, id) = self.generate_text();
        (Secret::from(key.as_str()), id)
    }

    /// [`KeyFormat::generate`], the key as text (wiped when dropped).
    pub(crate) fn generate_text(&self) -> (Zeroizing<String>, String) {
        let id = random_base62(ID_LEN);
        let secret = Zeroizing::new(random_base62(SECRET_LEN));
        let mut key = Zeroizing::new(String::with_capacity(self.key_len()));
        key.push_str(&self.prefix);
        key.push('_');
        key.push_str(&id);
        key.push_str(&secret);
        let sum = checksum(&key);
        key.push_str(&sum);
        (key, id)
    }

    /// Checks prefix, length, alphabet and checksum, in that order; touches
    /// no store and allocates nothing. Case matters: a key with its case
    /// changed fails the checksum.
    pub fn parse(&self, presented: &[u8]) -> Result<ParsedKey, Malformed> {
        let prefix = self.prefix.as_bytes();
        if presented.len() != self.key_len() {
            return Err(Malformed::Length);
        }
        let (head, body) = presented.split_at(prefix.len() + 1);
        if head.get(..prefix.len()) != Some(prefix) || head.last() != Some(&b'_') {
            return Err(Malformed::Prefix);
        }
        if body.iter().any(|b| base62_value(*b) == 255) {
            return Err(Malformed::Alphabet);
        }
        let (signed, sum) = presented.split_at(presented.len() - CHECKSUM_LEN);
        let presented_sum = sum
            .iter()
            .fold(0_u64, |acc, b| acc * 62 + u64::from(base62_value(*b)));
        if presented_sum != u64::from(crc32(signed)) {
            return Err(Malformed::Checksum);
        }
        let mut id = [0_u8; ID_LEN];
        id.copy_from_slice(body.get(..ID_LEN).ok_or(Malformed::Length)?);
        let mut secret = Zeroizing::new([0_u8; SECRET_LEN]);
        secret.copy_from_slice(
            body.get(ID_LEN..ID_LEN + SECRET_LEN)
                .ok_or(Malformed::Length)?,
        );
        Ok(ParsedKey { id, secret })
    }

    /// The display prefix of a key: `<prefix>_<id>` (public, for listings).
    #[must_use]
    pub fn display_prefix(&self, id: &str) -> String {
        format!("{}_{id}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format() -> KeyFormat {
        KeyFormat::new("sk").unwrap()
    }

    #[test]
    fn generated_keys_parse_and_are_distinct() {
        let f = format();
        let (a, id_a) = f.generate();
        let (b, _) = f.generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), f.key_len());
        assert!(std::str::from_utf8(a.expose()).unwrap().starts_with("sk_"));
        let parsed = f.parse(a.expose()).unwrap();
        assert_eq!(parsed.id(), id_a);
        assert_eq!(parsed.secret().len(), SECRET_LEN);
        assert!(!format!("{parsed:?}").contains(std::str::from_utf8(parsed.secret()).unwrap()));
    }

    #[test]
    fn bad_keys_are_refused_for_the_right_reason() {
        let f = format();
        let (key, _) = f.generate();
        let key = std::str::from_utf8(key.expose()).unwrap().to_owned();
        let mut changed = key.clone().into_bytes();
        // Flip the case of one letter of the secret.
        let start = "sk_".len() + ID_LEN;
        let i = (start..start + SECRET_LEN)
            .find(|j| changed[*j].is_ascii_alphabetic())
            .unwrap();
        changed[i] ^= 0x20;
        let cases: Vec<(Vec<u8>, Malformed)> = vec![
            (changed, Malformed::Checksum),
            (
                key.replacen("sk_", "pk_", 1).into_bytes(),
                Malformed::Prefix,
            ),
            (
                key.replacen("sk_", "SK_", 1).into_bytes(),
                Malformed::Prefix,
            ),
            (format!(" {}", &key[1..]).into_bytes(), Malformed::Prefix),
            (format!("{key} ").into_bytes(), Malformed::Length),
            (key.as_bytes()[..key.len() - 1].to_vec(), Malformed::Length),
            (
                format!("{}\u{200b}", &key[..key.len() - 3]).into_bytes(),
                Malformed::Alphabet,
            ),
            (
                format!("{}-{}", &key[..10], &key[11..]).into_bytes(),
                Malformed::Alphabet,
            ),
            (
                [&key.as_bytes()[..10], &[0xff], &key.as_bytes()[11..]].concat(),
                Malformed::Alphabet,
            ),
            (vec![b'a'; 1 << 20], Malformed::Length),
            (Vec::new(), Malformed::Length),
        ];
        for (bad, why) in cases {
            assert_eq!(
                f.parse(&bad).unwrap_err(),
                why,
                "{:?}",
                String::from_utf8_lossy(&bad)
            );
        }
    }

    #[test]
    fn keys_made_before_the_checksum_moved_to_crc32fast_still_verify() {
        // Generated by the hand-written CRC-32 that crc32fast replaced.
        for (prefix, key, id) in [
            (
                "sk",
                "sk_qCfI7ucgQwyu1xl264wW2O6Ptfxgb6ldf1DBkoq0NirNj7fYx4MIpRM3TxIkQ",
                "qCfI7ucgQwyu",
            ),
            (
                "sk_live",
                "sk_live_9UCsMrzh45PXUejenMIAoGmYdKqMmOsxKJRAA5p8FQUu45PbCAQrqVd4B0CKl",
                "9UCsMrzh45PX",
            ),
        ] {
            let format = KeyFormat::new(prefix).unwrap();
            assert_eq!(format.parse(key.as_bytes()).unwrap().id(), id, "{key}");
            let signed = &key[..key.len() - CHECKSUM_LEN];
            assert_eq!(checksum(signed), key[key.len() - CHECKSUM_LEN..], "{key}");
        }
    }

    #[test]
    fn prefixes_are_checked() {
        for ok in ["sk", "sk_live", "a1", "myapp_test"] {
            assert!(KeyFormat::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "SK",
            "1sk",
            "sk_",
            "s-k",
            "sk live",
            "abcdefghijklmnopq",
        ] {
            assert!(KeyFormat::new(bad).is_err(), "{bad}");
        }
        // A longer prefix sharing the start is still another prefix.
        let (live, _) = KeyFormat::new("sk_live").unwrap().generate();
        assert!(KeyFormat::new("sk").unwrap().parse(live.expose()).is_err());
    }
}
