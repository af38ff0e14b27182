//! What the audit log costs a request (`observe`: copy the facts, offer them
//! to the queue) and what it costs the writer per event (escape, format,
//! render the JSON line, seal).
//! `cargo bench -p shieldwall-audit --bench observe`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use shieldwall_audit::testing::{self, Summary};
use shieldwall_audit::{AuditSink, Auditor, Batch, Chain, SinkError};
use shieldwall_core::{ErrorCode, Principal, Refusal, Secret};
use shieldwall_errors::Problem;

/// Events per timed run of `observe`: the queue never fills inside one.
const CHUNK: usize = 10_000;
/// Events per timed run of the writer: one full batch, as under load.
const BATCH: usize = 1024;

/// Takes the rendered lines (as the file sink does) and does nothing else.
struct NullSink;

impl AuditSink for NullSink {
    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        black_box(batch.json_lines());
        Ok(())
    }

    fn wants_events(&self) -> bool {
        false
    }
}

fn typical<'a>(principal: &'a Principal) -> Summary<'a> {
    let mut summary = Summary::new("6f1c2b7a9d3e4f5a8b0c1d2e3f4a5b6c", "GET", 200);
    summary.latency = Duration::from_micros(412);
    summary.route = Some("/api/v1/users/{id}");
    summary.client_ip = Some("203.0.113.7".parse().unwrap());
    summary.principal = Some(principal);
    summary.user_agent = Some(
        b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    );
    summary
}

fn capacity(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

fn observe(c: &mut Criterion) {
    let principal = Principal::api_key("user-7", "3kV9qLz0Wm1T");
    let summary = typical(&principal);
    let mut refused = typical(&principal);
    refused.status = 401;
    refused.refusal = Some(Refusal::of(&Problem::new(ErrorCode::InvalidApiKey)));

    let mut group = c.benchmark_group("audit");
    // What the writer does per event, alone: escape and format the copy
    // into an `AuditEvent` (with its allocation).
    group.bench_function("build_event", |b| {
        b.iter(|| testing::event(black_box(&summary)));
    });
    // `observe` on a queue with room (the writer is not running): what a
    // request pays, a raw copy of the facts and one `try_send`.
    // The writer runs on a runtime of its own, driven only between timed
    // runs (to empty the queue), as a busy service's writer runs between
    // requests: the queue's memory is reused, as in a long-running service.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (name, summary) in [("observe_allowed", &summary), ("observe_refused", &refused)] {
        let (auditor, writer) = Auditor::builder()
            .sink(NullSink)
            .queue_capacity(capacity(CHUNK + 1))
            .build_with_writer();
        runtime.spawn(writer.run());
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = usize::try_from(iters).unwrap();
                while left > 0 {
                    let n = left.min(CHUNK);
                    let started = Instant::now();
                    for _ in 0..n {
                        testing::observe(&auditor, black_box(summary));
                    }
                    total += started.elapsed();
                    runtime.block_on(auditor.flush()).unwrap();
                    left -= n;
                }
                assert_eq!(auditor.dropped(), 0);
                total
            });
        });
        runtime.block_on(auditor.shutdown()).unwrap();
    }
    group.bench_function("observe_queue_full", |b| {
        let (auditor, _writer) = Auditor::builder()
            .queue_capacity(capacity(1))
            .build_with_writer();
        testing::observe(&auditor, &summary);
        b.iter(|| testing::observe(&auditor, black_box(&summary)));
    });
    group.finish();
}

/// The writer's work per event: take it off the queue, serialize it (and
/// seal it), hand the batch to a sink that does nothing.
fn writer(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let principal = Principal::api_key("user-7", "3kV9qLz0Wm1T");
    let summary = typical(&principal);
    let key = Secret::from(vec![7_u8; 32]);

    let mut group = c.benchmark_group("audit_writer");
    let chains = [
        ("per_event_json_lines", None),
        (
            "per_event_json_lines_hmac_chain",
            Some(Chain::hmac(&key).unwrap()),
        ),
    ];
    for (name, chain) in chains {
        // One long-lived writer, as in a service: its buffers are reused.
        let mut builder = Auditor::builder()
            .sink(NullSink)
            .queue_capacity(capacity(BATCH + 1));
        if let Some(chain) = chain {
            builder = builder.chain(chain);
        }
        let (auditor, writer) = builder.build_with_writer();
        runtime.spawn(writer.run());
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = usize::try_from(iters).unwrap();
                while left > 0 {
                    let n = left.min(BATCH);
                    for _ in 0..n {
                        testing::observe(&auditor, &summary);
                    }
                    let started = Instant::now();
                    runtime.block_on(auditor.flush()).unwrap();
                    total += started.elapsed();
                    left -= n;
                }
                total
            });
        });
        runtime.block_on(auditor.shutdown()).unwrap();
    }
    group.finish();
}

criterion_group!(benches, observe, writer);
criterion_main!(benches);
