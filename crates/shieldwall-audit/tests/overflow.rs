//! A request never waits for the audit log: a stalled sink fills the queue,
//! and what does not fit is dropped and counted, with one warning per
//! interval; a failing sink's events are retried a bounded number of times,
//! then counted as lost, and the writer goes on.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use std::num::NonZeroUsize;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::{Captured, FlakySink, StalledSink, summary};
use shieldwall_audit::Auditor;
use shieldwall_audit::testing;

fn n(value: usize) -> NonZeroUsize {
    NonZeroUsize::new(value).unwrap()
}

#[tokio::test]
async fn a_stalled_sink_fills_the_queue_and_the_rest_is_dropped_and_counted() {
    let captured = Captured::default();
    let _guard = captured.install();
    let sink = StalledSink::default();
    let auditor = Auditor::builder()
        .sink(sink.clone())
        .queue_capacity(n(8))
        .batch_size(n(1))
        .build()
        .unwrap();
    // The writer takes one event and is stuck writing it.
    testing::observe(&auditor, &summary("first", 200));
    tokio::time::timeout(Duration::from_secs(5), sink.started.notified())
        .await
        .unwrap();

    let mut slowest = Duration::ZERO;
    let started = Instant::now();
    for i in 0..10_000 {
        let id = format!("r{i}");
        let one = Instant::now();
        testing::observe(&auditor, &summary(&id, 200));
        slowest = slowest.max(one.elapsed());
    }
    let total = started.elapsed();
    // The sink is stuck for good: an observe that waited on it would never
    // return. The bounds tell "did not wait" from "waited", generously (a
    // loaded machine may pause a thread); speed is the benchmarks' to measure.
    assert!(
        slowest < Duration::from_secs(1),
        "slowest observe {slowest:?}"
    );
    assert!(
        total < Duration::from_secs(10),
        "10 000 observes took {total:?}"
    );
    let stats = auditor.stats();
    assert_eq!(
        (stats.written, stats.dropped, stats.lost, stats.queued),
        (0, 10_000 - 8, 0, 8)
    );
    // One warning, not ten thousand.
    let warnings = captured
        .text()
        .matches("audit events are being dropped")
        .count();
    assert_eq!(warnings, 1, "{}", captured.text());
    assert!(captured.text().contains("dropped_total=1"));

    // Released, the writer writes what it holds and what is queued.
    let flushed = tokio::spawn({
        let auditor = auditor.clone();
        async move { auditor.flush().await }
    });
    while !flushed.is_finished() {
        sink.release.notify_one();
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    flushed.await.unwrap().unwrap();
    let stats = auditor.stats();
    assert_eq!((stats.written, stats.dropped, stats.lost), (9, 9_992, 0));
    assert_eq!(sink.written.load(Ordering::Relaxed), 9);
}

#[tokio::test]
async fn a_writer_that_never_runs_only_costs_drops() {
    let (auditor, _writer) = Auditor::builder().queue_capacity(n(4)).build_with_writer();
    for i in 0..100 {
        testing::observe(&auditor, &summary(&format!("r{i}"), 200));
    }
    let stats = auditor.stats();
    assert_eq!((stats.queued, stats.dropped), (4, 96));
}

#[tokio::test(start_paused = true)]
async fn a_failing_sink_is_retried_a_bounded_number_of_times_then_its_events_are_lost() {
    let captured = Captured::default();
    let _guard = captured.install();
    let sink = FlakySink::default();
    sink.failing.store(true, Ordering::Relaxed);
    let auditor = Auditor::builder()
        .sink(sink.clone())
        .retries(2)
        .build()
        .unwrap();
    for i in 0..3 {
        testing::observe(&auditor, &summary(&format!("r{i}"), 200));
    }
    auditor.flush().await.unwrap();
    assert_eq!(
        sink.attempts.load(Ordering::Relaxed),
        3,
        "one try and two retries"
    );
    assert_eq!(auditor.lost(), 3);

    for i in 0..3 {
        testing::observe(&auditor, &summary(&format!("again{i}"), 200));
        auditor.flush().await.unwrap();
    }
    assert_eq!(auditor.lost(), 6);
    let warnings = captured.text().matches("the audit sink failed").count();
    assert_eq!(warnings, 1, "{}", captured.text());
    assert!(captured.text().contains("disk full"));

    // The sink recovers; the writer never stopped.
    sink.failing.store(false, Ordering::Relaxed);
    testing::observe(&auditor, &summary("after", 200));
    auditor.flush().await.unwrap();
    let stats = auditor.stats();
    assert_eq!((stats.written, stats.lost, stats.dropped), (1, 6, 0));
    let events = sink.events.lock().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].request_id(), "after");
}

#[tokio::test(start_paused = true)]
async fn a_batch_that_succeeds_on_a_retry_is_written_once() {
    let sink = FlakySink::default();
    sink.failing.store(true, Ordering::Relaxed);
    let auditor = Auditor::builder().sink(sink.clone()).build().unwrap();
    testing::observe(&auditor, &summary("r", 200));
    // Let the first attempt fail, then recover before the retry.
    while sink.attempts.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    sink.failing.store(false, Ordering::Relaxed);
    auditor.flush().await.unwrap();
    assert_eq!(sink.attempts.load(Ordering::Relaxed), 2);
    let stats = auditor.stats();
    assert_eq!((stats.written, stats.lost), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn an_idle_writer_gathers_events_for_the_batch_delay_and_writes_them_once() {
    let sink = FlakySink::default();
    let auditor = Auditor::builder()
        .sink(sink.clone())
        .batch_delay(Duration::from_millis(50))
        .build()
        .unwrap();
    for i in 0..5 {
        testing::observe(&auditor, &summary(&format!("r{i}"), 200));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(sink.attempts.load(Ordering::Relaxed), 0, "still gathering");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sink.attempts.load(Ordering::Relaxed), 1, "one write");
    assert_eq!(sink.events.lock().unwrap().len(), 5);
    assert_eq!(auditor.stats().written, 5);
}

#[tokio::test]
async fn a_full_batch_is_written_without_waiting_for_the_delay() {
    let sink = FlakySink::default();
    let auditor = Auditor::builder()
        .sink(sink.clone())
        .batch_size(n(4))
        .batch_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    // Let the writer start waiting on the first event, then fill the batch.
    testing::observe(&auditor, &summary("r0", 200));
    tokio::time::sleep(Duration::from_millis(20)).await;
    for i in 1..4 {
        testing::observe(&auditor, &summary(&format!("r{i}"), 200));
    }
    tokio::time::timeout(Duration::from_secs(5), async {
        while auditor.stats().written < 4 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(sink.attempts.load(Ordering::Relaxed), 1);
}
