//! Checking a chain: the first link that does not hold, and why.

use std::net::IpAddr;

use serde::Deserialize;

use crate::chain::{Chain, ChainLink};
use crate::event::{AuditEvent, Parts};
use crate::json::write_event;

/// Why a link does not hold.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakKind {
    /// Not an audit event: not JSON, a field missing or of the wrong type,
    /// a field that events do not have, a duplicate field.
    Unreadable,
    /// An event without `seq` or `hash` (written with the chain off).
    Unsealed,
    /// The `seq` is not the next one: an event was removed before it
    /// (greater), or it was moved or repeated (smaller).
    OutOfSequence {
        /// The `seq` the next event should have.
        expected: u64,
    },
    /// The `seq` is right but the hash is not: the event was changed, or
    /// replaced by one made without the key.
    HashMismatch,
}

/// The first link of a chain that does not hold.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the audit chain breaks at line {line} ({kind:?})")]
pub struct BrokenLink {
    /// The line (or entry), from 1, counting empty lines.
    pub line: usize,
    /// The `seq` that line claims, when it could be read.
    pub seq: Option<u64>,
    /// Why.
    pub kind: BreakKind,
}

/// Verifies a whole chain, from `seq` 0, line by line (each line one JSON
/// event as the JSON-lines sink writes it; empty lines are skipped). Returns
/// how many events verified, or the first broken link.
///
/// A log cut short at its end still verifies: compare the last `seq` and
/// hash with a copy kept elsewhere ([`ChainVerifier::last`]).
///
/// ```
/// use shieldwall_audit::{BreakKind, Chain, verify_chain};
///
/// let chain = Chain::unkeyed_insecure();
/// assert_eq!(verify_chain(Vec::<&str>::new(), &chain), Ok(0));
/// let broken = verify_chain(["not json"], &chain).unwrap_err();
/// assert_eq!((broken.line, broken.kind), (1, BreakKind::Unreadable));
/// ```
pub fn verify_chain<I>(lines: I, chain: &Chain) -> Result<usize, BrokenLink>
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut verifier = ChainVerifier::new(chain.clone());
    for line in lines {
        verifier.push_line(line.as_ref())?;
    }
    Ok(verifier.verified())
}

/// Verifies a chain one event at a time: lines of a file, or entries of
/// the Redis stream ([`ChainVerifier::push_fields`]).
#[derive(Debug)]
pub struct ChainVerifier {
    chain: Chain,
    last: Option<ChainLink>,
    line: usize,
    verified: usize,
}

impl ChainVerifier {
    /// A verifier for a chain from its start (`seq` 0).
    #[must_use]
    pub fn new(chain: Chain) -> Self {
        Self {
            chain,
            last: None,
            line: 0,
            verified: 0,
        }
    }

    /// A verifier for a chain that continues after `link` (a rotated file:
    /// `link` is the last event of the file before, or a link kept
    /// elsewhere; a stream trimmed by `MAXLEN`: the entry before the first
    /// one left, if you kept it).
    #[must_use]
    pub fn after(chain: Chain, link: ChainLink) -> Self {
        Self {
            last: Some(link),
            ..Self::new(chain)
        }
    }

    /// Checks the next line; an empty line is skipped.
    pub fn push_line(&mut self, line: &[u8]) -> Result<(), BrokenLink> {
        self.line += 1;
        if line.is_empty() {
            return Ok(());
        }
        let parsed = serde_json::from_slice::<Stored>(line).ok();
        self.check(parsed)
    }

    /// Checks the next entry of the Redis stream, given as its field/value
    /// pairs (as `XRANGE` returns them).
    pub fn push_fields<I, K, V>(&mut self, fields: I) -> Result<(), BrokenLink>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.line += 1;
        let mut object = serde_json::Map::new();
        let mut repeated = false;
        for (name, value) in fields {
            let (name, value) = (name.as_ref(), value.as_ref());
            let number = match name {
                "status" | "latency_us" | "seq" => value.parse::<u64>().ok(),
                _ => None,
            };
            let value =
                number.map_or_else(|| serde_json::Value::from(value), serde_json::Value::from);
            repeated |= object.insert(name.to_owned(), value).is_some();
        }
        let parsed = if repeated {
            None
        } else {
            serde_json::from_value::<Stored>(serde_json::Value::Object(object)).ok()
        };
        self.check(parsed)
    }

    /// How many events verified.
    #[must_use]
    pub fn verified(&self) -> usize {
        self.verified
    }

    /// The last link that verified (or the one given to [`ChainVerifier::after`]).
    #[must_use]
    pub fn last(&self) -> Option<ChainLink> {
        self.last
    }

    fn check(&mut self, parsed: Option<Stored>) -> Result<(), BrokenLink> {
        let broken = |seq, kind| BrokenLink {
            line: self.line,
            seq,
            kind,
        };
        let Some(stored) = parsed else {
            return Err(broken(None, BreakKind::Unreadable));
        };
        let seq = stored.seq;
        let Some(event) = AuditEvent::from_parts(&stored.parts()) else {
            return Err(broken(seq, BreakKind::Unreadable));
        };
        let (Some(seq), Some(hash)) = (seq, stored.hash.as_deref()) else {
            return Err(broken(seq, BreakKind::Unsealed));
        };
        let expected = self.last.map_or(0, |last| last.seq.saturating_add(1));
        if seq != expected {
            return Err(broken(Some(seq), BreakKind::OutOfSequence { expected }));
        }
        let Some(claimed) = ChainLink::parse(seq, hash) else {
            return Err(broken(Some(seq), BreakKind::HashMismatch));
        };
        let prev = self.last.map_or([0; 32], |last| last.hash);
        let mut body = Vec::with_capacity(512);
        write_event(&mut body, &event, false);
        if self.chain.link(&prev, &body) != claimed.hash {
            return Err(broken(Some(seq), BreakKind::HashMismatch));
        }
        self.last = Some(claimed);
        self.verified += 1;
        Ok(())
    }
}

/// An event as read back: the fields of [`AuditEvent`], no others.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    time: String,
    request_id: String,
    method: String,
    route: Option<String>,
    status: u16,
    latency_us: u64,
    client_ip: Option<IpAddr>,
    principal: Option<String>,
    principal_kind: Option<String>,
    key_id: Option<String>,
    outcome: String,
    reason: Option<String>,
    user_agent: Option<String>,
    seq: Option<u64>,
    hash: Option<String>,
}

impl Stored {
    fn parts(&self) -> Parts<'_> {
        Parts {
            time: &self.time,
            request_id: &self.request_id,
            method: &self.method,
            route: self.route.as_deref(),
            status: self.status,
            latency_us: self.latency_us,
            client_ip: self.client_ip,
            principal: self.principal.as_deref(),
            principal_kind: self.principal_kind.as_deref(),
            key_id: self.key_id.as_deref(),
            outcome: &self.outcome,
            reason: self.reason.as_deref(),
            user_agent: self.user_agent.as_deref(),
            seq: self.seq,
        }
    }
}
