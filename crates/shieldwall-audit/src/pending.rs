//! [`Pending`]: what `observe` queues. A raw copy of the request's facts in
//! one allocation: escaping, formatting and serializing wait for the writer
//! task, off the request path.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use shieldwall_core::{MAX_REQUEST_ID_LEN, Principal, Refusal};

use crate::summary::Summary;

/// The longest method kept (an extension method can be any token).
pub(crate) const MAX_METHOD: usize = 32;
/// The longest route template kept.
pub(crate) const MAX_ROUTE: usize = 512;
/// The longest principal id, key id or reason kept.
pub(crate) const MAX_ID: usize = 256;
/// The longest request id kept (core keeps at most this many anyway).
pub(crate) const MAX_REQUEST_ID: usize = MAX_REQUEST_ID_LEN;

/// One request's facts, waiting for the writer.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) started: SystemTime,
    pub(crate) latency: Duration,
    pub(crate) status: u16,
    pub(crate) client_ip: Option<IpAddr>,
    /// A clone of the request's principal: one reference count.
    pub(crate) principal: Option<Principal>,
    pub(crate) refusal: Option<Refusal>,
    /// Request id, method, route and user agent, back to back, each cut to
    /// one byte past its bound (which is all that escaping can look at).
    raw: Box<[u8]>,
    ends: [u16; 4],
    has_route: bool,
    has_user_agent: bool,
    pub(crate) user_agent_limit: u16,
}

/// At most `limit + 1` bytes of `text`.
fn head(text: &[u8], limit: usize) -> &[u8] {
    text.get(..limit.saturating_add(1)).unwrap_or(text)
}

/// A length that fits in `u16`: every part is cut to at most 4097 bytes.
fn end(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

impl Pending {
    /// Copies what the event needs of `summary`; `user_agent_limit` is at
    /// most 4096 (checked by the builder).
    pub(crate) fn capture(summary: &Summary<'_>, user_agent_limit: usize) -> Self {
        let parts = [
            head(summary.request_id.as_bytes(), MAX_REQUEST_ID),
            head(summary.method.as_bytes(), MAX_METHOD),
            head(summary.route.unwrap_or_default().as_bytes(), MAX_ROUTE),
            head(summary.user_agent.unwrap_or_default(), user_agent_limit),
        ];
        let total = parts.iter().map(|part| part.len()).sum();
        let mut raw = Vec::with_capacity(total);
        let mut ends = [0_u16; 4];
        for (part, end_of) in parts.iter().zip(ends.iter_mut()) {
            raw.extend_from_slice(part);
            *end_of = end(raw.len());
        }
        Self {
            started: summary.started,
            latency: summary.latency,
            status: summary.status,
            client_ip: summary.client_ip,
            principal: summary.principal.cloned(),
            refusal: summary.refusal,
            raw: raw.into_boxed_slice(),
            ends,
            has_route: summary.route.is_some(),
            has_user_agent: summary.user_agent.is_some(),
            user_agent_limit: end(user_agent_limit),
        }
    }

    fn part(&self, index: usize) -> &[u8] {
        let start = match index.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(index).copied().unwrap_or(0);
        self.raw
            .get(usize::from(start)..usize::from(end))
            .unwrap_or_default()
    }

    pub(crate) fn request_id(&self) -> &[u8] {
        self.part(0)
    }

    pub(crate) fn method(&self) -> &[u8] {
        self.part(1)
    }

    pub(crate) fn route(&self) -> Option<&[u8]> {
        self.has_route.then(|| self.part(2))
    }

    pub(crate) fn user_agent(&self) -> Option<&[u8]> {
        self.has_user_agent.then(|| self.part(3))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_copied_and_cut_one_past_their_bound() {
        let long_route = "r".repeat(600);
        let agent = "a".repeat(300);
        let mut summary = Summary::new("req-1", "GET", 200);
        summary.route = Some(&long_route);
        summary.user_agent = Some(agent.as_bytes());
        let pending = Pending::capture(&summary, 256);
        assert_eq!(pending.request_id(), b"req-1");
        assert_eq!(pending.method(), b"GET");
        assert_eq!(pending.route().unwrap().len(), MAX_ROUTE + 1);
        assert_eq!(pending.user_agent().unwrap().len(), 257);

        let bare = Pending::capture(&Summary::new("r", "GET", 200), 256);
        assert_eq!((bare.route(), bare.user_agent()), (None, None));
        let mut empty = Summary::new("r", "GET", 200);
        empty.route = Some("");
        empty.user_agent = Some(b"");
        let empty = Pending::capture(&empty, 256);
        assert_eq!(
            (empty.route(), empty.user_agent()),
            (Some(&b""[..]), Some(&b""[..]))
        );
    }
}
