//! `Heartbeat`: tells a subscription that went silent from a quiet one.

use std::time::{Duration, Instant};

use crate::Redis;

/// Each follower of a channel publishes a beat on it every
/// [`Heartbeat::INTERVAL`], and hears its own beats and everyone else's. A
/// subscription that hears nothing for [`Heartbeat::SILENCE`] is taken for
/// broken: a network that drops packets, or a cluster node cut off from the
/// others (which relay every `PUBLISH`), closes no connection, and a
/// follower trusting it would miss every message. The follower then
/// subscribes again ([`Redis::pubsub`] goes to the next node).
#[derive(Debug)]
pub struct Heartbeat {
    heard: Instant,
    beat: Option<Instant>,
}

impl Heartbeat {
    /// How often a beat is published, and how long a follower waits for a
    /// message before it looks at the clock again.
    pub const INTERVAL: Duration = Duration::from_secs(1);
    /// How long without any message a subscription is trusted.
    pub const SILENCE: Duration = Duration::from_secs(3);
    /// A beat's payload: followers skip it.
    pub const BEAT: &'static str = "beat";

    /// A heartbeat for a subscription that starts now (its first beat is
    /// due at once).
    #[must_use]
    pub fn new() -> Self {
        Self {
            heard: Instant::now(),
            beat: None,
        }
    }

    /// Publishes a beat on `channel` when one is due: under the command
    /// timeout, outside the circuit breaker. A beat lost or late is not an
    /// error here: the silence tells.
    pub async fn beat_if_due(&mut self, redis: &Redis, channel: &str) {
        if self.beat.is_some_and(|at| at.elapsed() < Self::INTERVAL) {
            return;
        }
        self.beat = Some(Instant::now());
        let mut publish = redis::cmd("PUBLISH");
        publish.arg(channel).arg(Self::BEAT);
        let _: Result<i64, _> = redis
            .with_timeout_outside_breaker(async {
                let mut connection = redis.connection();
                publish.query_async(&mut connection).await
            })
            .await;
    }

    /// Something arrived (a beat or a message), or Redis proved it answers.
    pub fn heard(&mut self) {
        self.heard = Instant::now();
    }

    /// Nothing heard for [`Heartbeat::SILENCE`].
    #[must_use]
    pub fn is_silent(&self) -> bool {
        self.heard.elapsed() >= Self::SILENCE
    }
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self::new()
    }
}
