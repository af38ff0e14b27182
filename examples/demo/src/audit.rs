//! Audit events per `SHIELDWALL_AUDIT` (DEMO_API.md): one JSON line per
//! request on standard output or in a file, or an entry of a Redis stream.

use shieldwall_audit::{Auditor, JsonLinesSink, RedisStreamSink};
use shieldwall_redis::Redis;

use crate::AuditTarget;

/// The Redis stream of `SHIELDWALL_AUDIT=redis` (under the store's key prefix).
pub const AUDIT_STREAM: &str = "audit";

/// The auditor of `target`; `None` for `off`. Spawns its writer on the
/// current Tokio runtime.
pub(crate) fn auditor(
    target: &AuditTarget,
    redis: Option<&Redis>,
) -> Result<Option<Auditor>, String> {
    let bad = |e: &dyn std::fmt::Display| format!("SHIELDWALL_AUDIT: {e}");
    let built = match target {
        AuditTarget::Off => return Ok(None),
        AuditTarget::Stdout => Auditor::builder().sink(JsonLinesSink::stdout()).build(),
        AuditTarget::File(path) => Auditor::builder()
            .sink(JsonLinesSink::open(path).map_err(|e| bad(&e))?)
            .build(),
        AuditTarget::Redis => {
            let redis =
                redis.ok_or("SHIELDWALL_AUDIT: `redis` needs REDIS_URL or REDIS_CLUSTER_NODES")?;
            Auditor::builder()
                .sink(RedisStreamSink::new(redis.clone(), AUDIT_STREAM).map_err(|e| bad(&e))?)
                .build()
        }
    };
    built.map(Some).map_err(|e| bad(&e))
}
