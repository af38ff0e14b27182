//! [`RedisStreamSink`]: each event an entry of a Redis stream.

use std::collections::HashMap;
use std::num::NonZeroUsize;

use shieldwall_redis::Redis;
use shieldwall_redis::redis;

use crate::{AuditConfigError, AuditEvent, AuditSink, Batch, ChainLink, SinkError};

const DEFAULT_MAX_LEN: NonZeroUsize = match NonZeroUsize::new(100_000) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// Appends each event to a Redis stream:
/// `XADD <prefix>:<stream> MAXLEN ~ <max_len> * time … request_id … …`,
/// one field per event field (absent ones left out, numbers in decimal),
/// a batch in one `MULTI`/`EXEC` round trip on the multiplexed connection,
/// under the connection's command timeout.
///
/// - `MAXLEN ~` (the default) lets Redis trim whole nodes, so the stream may
///   hold somewhat more than `max_len` entries (up to one node, 100 entries
///   by default); [`RedisStreamSink::trim_exactly`] trims to the entry, at
///   a higher cost per write.
/// - Read it with `XRANGE`/`XREAD` (or a consumer group); a chain in it is
///   verified with [`ChainVerifier::push_fields`](crate::ChainVerifier::push_fields).
/// - When the chain is on, the writer continues it from the stream's last
///   entry. Give every instance its own stream then: two writers on one
///   stream interleave two chains, which verify as broken.
#[derive(Clone, Debug)]
pub struct RedisStreamSink {
    redis: Redis,
    key: String,
    max_len: NonZeroUsize,
    exact: bool,
}

impl RedisStreamSink {
    /// The stream `<prefix>:<stream>` (see [`Redis::key`]): `stream` is 1
    /// to 64 printable ASCII characters without spaces. `MAXLEN ~ 100000`.
    pub fn new(redis: Redis, stream: &str) -> Result<Self, AuditConfigError> {
        let ok = !stream.is_empty()
            && stream.len() <= 64
            && stream.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(AuditConfigError::InvalidStreamName);
        }
        let key = redis.key(&[stream]);
        Ok(Self {
            redis,
            key,
            max_len: DEFAULT_MAX_LEN,
            exact: false,
        })
    }

    /// How many entries the stream keeps (about; see the type docs).
    #[must_use]
    pub fn max_len(mut self, max_len: NonZeroUsize) -> Self {
        self.max_len = max_len;
        self
    }

    /// Trims to exactly `max_len` entries (`MAXLEN` without `~`).
    #[must_use]
    pub fn trim_exactly(mut self) -> Self {
        self.exact = true;
        self
    }

    /// The stream's key.
    #[must_use]
    pub fn key(&self) -> &str {
        &self.key
    }

    fn xadd(&self, pipe: &mut redis::Pipeline, event: &AuditEvent) {
        let command = pipe.cmd("XADD").arg(&self.key).arg("MAXLEN");
        if !self.exact {
            command.arg("~");
        }
        command.arg(self.max_len.get()).arg("*");
        let status = event.status().to_string();
        let latency = event.latency_us().to_string();
        let client_ip = event.client_ip().map(|ip| ip.to_string());
        let seq = event.seq().map(|seq| seq.to_string());
        let fields = [
            ("time", Some(event.time())),
            ("request_id", Some(event.request_id())),
            ("method", Some(event.method())),
            ("route", event.route()),
            ("status", Some(status.as_str())),
            ("latency_us", Some(latency.as_str())),
            ("client_ip", client_ip.as_deref()),
            ("principal", event.principal()),
            ("principal_kind", event.principal_kind()),
            ("key_id", event.key_id()),
            ("outcome", Some(event.outcome().as_str())),
            ("reason", event.reason()),
            ("user_agent", event.user_agent()),
            ("seq", seq.as_deref()),
            ("hash", event.hash()),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                command.arg(name).arg(value);
            }
        }
        command.ignore();
    }
}

impl AuditSink for RedisStreamSink {
    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for event in batch.events() {
            self.xadd(&mut pipe, event);
        }
        let mut connection = self.redis.connection();
        // Background work, outside the circuit breaker: an audit batch does
        // not open it for the requests, and is not refused (and lost) while
        // request-path commands have it open; the writer retries a batch
        // that fails.
        self.redis
            .with_timeout_outside_breaker(pipe.query_async::<()>(&mut connection))
            .await?;
        Ok(())
    }

    async fn last_link(&mut self) -> Result<Option<ChainLink>, SinkError> {
        let mut connection = self.redis.connection();
        let entries: Vec<(String, HashMap<String, String>)> = self
            .redis
            .with_timeout_outside_breaker(
                redis::cmd("XREVRANGE")
                    .arg(&self.key)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut connection),
            )
            .await?;
        Ok(entries.first().and_then(|(_, fields)| {
            let seq = fields.get("seq")?.parse().ok()?;
            ChainLink::parse(seq, fields.get("hash")?)
        }))
    }

    fn wants_json_lines(&self) -> bool {
        false
    }
}
