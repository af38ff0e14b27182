#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod auditor;
mod batch;
mod builder;
mod chain;
mod code;
mod error;
mod escape;
mod event;
mod fields;
mod json;
mod pending;
mod sink;
mod summary;
pub mod testing;
mod time;
mod verify;
mod writer;

pub use auditor::{AuditStats, Auditor};
pub use batch::Batch;
pub use builder::{
    AuditorBuilder, DEFAULT_BATCH_DELAY, DEFAULT_BATCH_SIZE, DEFAULT_QUEUE_CAPACITY,
    DEFAULT_RETRIES, DEFAULT_USER_AGENT_LIMIT,
};
pub use chain::{Chain, ChainLink};
pub use error::{AuditConfigError, SinkError, WriterStopped};
pub use event::{AuditEvent, Outcome};
#[cfg(feature = "redis")]
pub use sink::RedisStreamSink;
pub use sink::{AUDIT_TARGET, AuditSink, JsonLinesSink, TracingSink};
pub use verify::{BreakKind, BrokenLink, ChainVerifier, verify_chain};
pub use writer::AuditWriter;
