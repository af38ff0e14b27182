//! The hash chain: each event's `hash` covers the event (its `seq`
//! included) and the hash before it, so a changed, removed, reordered or
//! inserted line breaks every link after it.
//!
//! `hash[n] = HMAC-SHA256(key, hash[n-1] || canonical JSON of event n
//! without its hash)`, with `hash[-1]` 32 zero bytes; SHA-256 instead of the
//! HMAC when the chain is unkeyed.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use shieldwall_core::Secret;

use crate::AuditConfigError;
#[cfg(test)]
use crate::event::AuditEvent;
#[cfg(test)]
use crate::json::write_event;

/// How the chain is hashed: keyed (HMAC-SHA256) or not (SHA-256).
///
/// Keyed is the one to use: without the key, whoever can edit the log cannot
/// forge a chain that verifies. Unkeyed, anyone who edits the log can also
/// recompute every hash after the edit; it only catches accidents and
/// edits by someone who does not bother.
///
/// ```
/// use shieldwall_audit::Chain;
/// use shieldwall_core::Secret;
///
/// let chain = Chain::hmac(&Secret::from(vec![7_u8; 32]))?;
/// assert!(chain.is_keyed());
/// assert!(Chain::hmac(&Secret::from(vec![7_u8; 16])).is_err());
/// # Ok::<(), shieldwall_audit::AuditConfigError>(())
/// ```
#[derive(Clone)]
pub struct Chain {
    mac: Option<Hmac<Sha256>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("keyed", &self.is_keyed())
            .finish()
    }
}

impl Chain {
    /// HMAC-SHA256 with `key` (at least 32 bytes; keep it out of the log's
    /// reach: a secret store, not the log host).
    pub fn hmac(key: &Secret) -> Result<Self, AuditConfigError> {
        if key.len() < 32 {
            return Err(AuditConfigError::WeakChainKey { len: key.len() });
        }
        let mac = Hmac::<Sha256>::new_from_slice(key.expose())
            .map_err(|_| AuditConfigError::WeakChainKey { len: key.len() })?;
        Ok(Self { mac: Some(mac) })
    }

    /// Plain SHA-256: detects accidents, not an attacker who can write the
    /// log (see the type docs).
    #[must_use]
    pub fn unkeyed_insecure() -> Self {
        Self { mac: None }
    }

    /// Whether the chain is keyed.
    #[must_use]
    pub fn is_keyed(&self) -> bool {
        self.mac.is_some()
    }

    /// The hash of `body` after `prev`.
    pub(crate) fn link(&self, prev: &[u8; 32], body: &[u8]) -> [u8; 32] {
        let mut out = [0_u8; 32];
        match &self.mac {
            Some(mac) => {
                let mut mac = mac.clone();
                mac.update(prev);
                mac.update(body);
                out.copy_from_slice(&mac.finalize().into_bytes());
            }
            None => {
                let mut digest = Sha256::new();
                digest.update(prev);
                digest.update(body);
                out.copy_from_slice(&digest.finalize());
            }
        }
        out
    }

    /// Gives `event` the place after `head` and appends its JSON (no
    /// newline) to `out`, sealed (see [`Chain::seal_line`]).
    #[cfg(test)]
    pub(crate) fn seal(
        &self,
        head: Option<ChainLink>,
        event: &mut AuditEvent,
        out: &mut Vec<u8>,
    ) -> ChainLink {
        event.seq = Some(next_seq(head));
        event.hash = None;
        let start = out.len();
        write_event(out, event, false);
        let link = self.seal_line(head, out, start);
        event.hash = Some(hex_digits(&link.hash));
        link
    }

    /// Seals the event whose canonical JSON (with `seq`, the one after
    /// `head`) is `out[start..]`: hashes it after `head` and splices
    /// `,"hash":"…"` in before its closing brace.
    pub(crate) fn seal_line(
        &self,
        head: Option<ChainLink>,
        out: &mut Vec<u8>,
        start: usize,
    ) -> ChainLink {
        let prev = head.map_or([0_u8; 32], |head| head.hash);
        let hash = self.link(&prev, out.get(start..).unwrap_or_default());
        // The JSON of an event ends with `}`.
        out.pop();
        out.extend_from_slice(b",\"hash\":\"");
        out.extend_from_slice(&hex_digits(&hash));
        out.extend_from_slice(b"\"}");
        ChainLink {
            seq: next_seq(head),
            hash,
        }
    }
}

/// The `seq` after `head` (0 first).
pub(crate) fn next_seq(head: Option<ChainLink>) -> u64 {
    head.map_or(0, |head| head.seq.saturating_add(1))
}

/// A place in the chain: an event's `seq` and `hash`.
///
/// Keep the last one somewhere the log's writer cannot change (another
/// host, a ticket, a signed note) to catch a log cut short at its end, and
/// to verify a rotated file with [`ChainVerifier::after`](crate::ChainVerifier::after).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainLink {
    /// The event's place, from 0.
    pub seq: u64,
    /// The event's hash.
    pub hash: [u8; 32],
}

impl ChainLink {
    /// A link from its parts.
    #[must_use]
    pub fn new(seq: u64, hash: [u8; 32]) -> Self {
        Self { seq, hash }
    }

    /// A link from `seq` and the hash as 64 hex digits (as in the log).
    #[must_use]
    pub fn parse(seq: u64, hex: &str) -> Option<Self> {
        from_hex(hex).map(|hash| Self { seq, hash })
    }

    /// The hash as 64 lowercase hex digits.
    #[must_use]
    pub fn hash_hex(&self) -> String {
        to_hex(&self.hash)
    }

    pub(crate) fn hash_digits(&self) -> [u8; 64] {
        hex_digits(&self.hash)
    }
}

/// 64 lowercase hex digits.
fn hex_digits(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0_u8; 64];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(bytes) {
        for (slot, nibble) in pair.iter_mut().zip([byte >> 4, byte & 0x0f]) {
            *slot = DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
        }
    }
    hex
}

fn to_hex(bytes: &[u8; 32]) -> String {
    hex_digits(bytes)
        .iter()
        .map(|&digit| char::from(digit))
        .collect()
}

fn from_hex(hex: &str) -> Option<[u8; 32]> {
    fn nibble(digit: u8) -> Option<u8> {
        match digit {
            b'0'..=b'9' => Some(digit - b'0'),
            b'a'..=b'f' => Some(digit - b'a' + 10),
            _ => None,
        }
    }
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0_u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let [high, low] = pair else { return None };
        *byte = nibble(*high)? << 4 | nibble(*low)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Summary;

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        let hash = Chain::unkeyed_insecure().link(&[0; 32], b"x");
        let link = ChainLink::new(3, hash);
        assert_eq!(ChainLink::parse(3, &link.hash_hex()), Some(link));
        assert_eq!(ChainLink::parse(3, &link.hash_hex().to_uppercase()), None);
        assert_eq!(ChainLink::parse(3, "ab"), None);
        assert_eq!(ChainLink::parse(3, &"g".repeat(64)), None);
    }

    #[test]
    fn keyed_and_unkeyed_hashes_differ_and_depend_on_the_key() {
        let a = Chain::hmac(&Secret::from(vec![1_u8; 32])).unwrap();
        let b = Chain::hmac(&Secret::from(vec![2_u8; 32])).unwrap();
        let plain = Chain::unkeyed_insecure();
        let prev = [0; 32];
        assert_ne!(a.link(&prev, b"e"), b.link(&prev, b"e"));
        assert_ne!(a.link(&prev, b"e"), plain.link(&prev, b"e"));
        assert_eq!(a.link(&prev, b"e"), a.link(&prev, b"e"));
        assert_ne!(a.link(&prev, b"e"), a.link(&[1; 32], b"e"));
        assert_eq!(format!("{a:?}"), "Chain { keyed: true }");
        assert!(matches!(
            Chain::hmac(&Secret::from(vec![1_u8; 31])),
            Err(AuditConfigError::WeakChainKey { len: 31 })
        ));
    }

    #[test]
    fn a_sealed_line_is_the_canonical_json_with_the_hash_last() {
        let chain = Chain::unkeyed_insecure();
        let mut event = crate::testing::event(&Summary::new("r", "GET", 200));
        let mut out = Vec::new();
        let first = chain.seal(None, &mut event, &mut out);
        assert_eq!(first.seq, 0);
        // Splicing gives what serializing the sealed event gives.
        assert_eq!(out, serde_json::to_vec(&event).unwrap());
        let mut next = event.clone();
        out.clear();
        let second = chain.seal(Some(first), &mut next, &mut out);
        assert_eq!(second.seq, 1);
        assert_ne!(second.hash, first.hash);
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["seq"], 1);
        assert_eq!(value["hash"], second.hash_hex());
    }
}
