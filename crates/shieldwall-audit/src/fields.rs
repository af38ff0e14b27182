//! [`Fields`]: an event's fields in the order they are written, from an
//! [`AuditEvent`] (text already escaped) or straight from a [`Pending`]
//! request (text escaped as it is written). One derivation of what each
//! field holds, for both.

use std::net::IpAddr;

use shieldwall_core::PrincipalKind;

use crate::event::{AuditEvent, Outcome};
use crate::pending::{MAX_ID, MAX_METHOD, MAX_REQUEST_ID, MAX_ROUTE, Pending};

/// A text field: escaped already, or client bytes to escape with a bound.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Text<'a> {
    Escaped(&'a str),
    Raw(&'a [u8], usize),
}

/// An event's fields, borrowed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields<'a> {
    pub(crate) time: &'a str,
    pub(crate) request_id: Text<'a>,
    pub(crate) method: Text<'a>,
    pub(crate) route: Option<Text<'a>>,
    pub(crate) status: u16,
    pub(crate) latency_us: u64,
    pub(crate) client_ip: Option<IpAddr>,
    pub(crate) principal: Option<Text<'a>>,
    pub(crate) principal_kind: Option<&'a str>,
    pub(crate) key_id: Option<Text<'a>>,
    pub(crate) outcome: Outcome,
    pub(crate) reason: Option<Text<'a>>,
    pub(crate) user_agent: Option<Text<'a>>,
    pub(crate) seq: Option<u64>,
    pub(crate) hash: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// The fields of a request, `time` formatted by the caller.
    pub(crate) fn of_pending(pending: &'a Pending, time: &'a str) -> Self {
        let principal = pending.principal.as_ref();
        let refusal = pending.refusal;
        let outcome = Outcome::of(pending.status, refusal.is_some());
        let reason = match (outcome, refusal) {
            (Outcome::Allowed, _) | (_, None) => None,
            (_, Some(refusal)) => Some(
                refusal
                    .reason
                    .unwrap_or_else(|| crate::code::lowercase(refusal.code)),
            ),
        };
        let raw = |bytes: &'a [u8], limit| Text::Raw(bytes, limit);
        Self {
            time,
            request_id: raw(pending.request_id(), MAX_REQUEST_ID),
            method: raw(pending.method(), MAX_METHOD),
            route: pending.route().map(|route| raw(route, MAX_ROUTE)),
            status: pending.status,
            latency_us: u64::try_from(pending.latency.as_micros()).unwrap_or(u64::MAX),
            client_ip: pending.client_ip,
            principal: principal.map(|p| raw(p.id().as_bytes(), MAX_ID)),
            principal_kind: principal.map(|p| kind_name(p.kind())),
            key_id: principal
                .and_then(|p| p.key_id())
                .map(|id| raw(id.as_bytes(), MAX_ID)),
            outcome,
            reason: reason.map(|reason| raw(reason.as_bytes(), MAX_ID)),
            user_agent: pending
                .user_agent()
                .map(|agent| raw(agent, usize::from(pending.user_agent_limit))),
            seq: None,
            hash: None,
        }
    }

    /// The fields of an event, its hash when `with_hash`.
    pub(crate) fn of_event(event: &'a AuditEvent, with_hash: bool) -> Self {
        let text = |value: &'a str| Text::Escaped(value);
        Self {
            time: event.time(),
            request_id: text(event.request_id()),
            method: text(event.method()),
            route: event.route().map(text),
            status: event.status(),
            latency_us: event.latency_us(),
            client_ip: event.client_ip(),
            principal: event.principal().map(text),
            principal_kind: event.principal_kind(),
            key_id: event.key_id().map(text),
            outcome: event.outcome(),
            reason: event.reason().map(text),
            user_agent: event.user_agent().map(text),
            seq: event.seq(),
            hash: if with_hash { event.hash() } else { None },
        }
    }
}

/// The principal kinds an event names, as written.
pub(crate) const KINDS: [&str; 4] = ["user", "api_key", "service", "other"];

fn kind_name(kind: &PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "user",
        PrincipalKind::ApiKey { .. } => "api_key",
        PrincipalKind::Service => "service",
        _ => "other",
    }
}
