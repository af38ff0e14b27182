//! What a guard decision's span costs: without a subscriber it must be
//! nothing measurable next to the same decision without a span (the
//! anchor, `run_guard`); with a subscriber listening, it is what recording
//! the span costs. `cargo bench -p shieldwall-core --bench spans`.
#![allow(clippy::unwrap_used, reason = "a benchmark")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::FutureExt;
use shieldwall_core::telemetry::{GuardInfo, GuardSpan, record_answer, request_span};
use shieldwall_core::{Decision, Grant, Guard, Perimeter, Principal, RequestView, Step, run_guard};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A guard that reads a header and lets the request through as a user.
struct Header;

impl Guard for Header {
    type Input = usize;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<usize> {
        match request.header_values("x-user").next() {
            Some(user) => Step::Decide(user.len()),
            None => Step::Done(Decision::reject(shieldwall_core::ErrorCode::ApiKeyRequired)),
        }
    }

    async fn decide(&self, length: usize) -> Decision {
        Decision::allow(Grant::new().with_principal(Principal::user(length.to_string())))
    }

    fn describe(&self) -> GuardInfo<'_> {
        GuardInfo::new("header").with_policy("bench")
    }
}

/// Listens to everything and keeps nothing: what a span costs to build and
/// record when a subscriber wants it, without any exporter's own cost.
struct Listening;

impl Subscriber for Listening {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn with_span(guard: &Header, request: &http::Request<()>) -> Decision {
    let span = GuardSpan::of(guard);
    match span.extract(guard, request) {
        Step::Decide(input) => span.decide(guard, input).now_or_never().unwrap(),
        Step::Done(decision) => decision,
    }
}

fn spans(c: &mut Criterion) {
    let request = http::Request::get("/x")
        .header("x-user", "alice")
        .body(())
        .unwrap();
    let guard = Header;
    let mut group = c.benchmark_group("guard_decision");
    group.bench_function("anchor_no_span", |b| {
        b.iter(|| {
            run_guard(black_box(&guard), black_box(&request))
                .now_or_never()
                .unwrap()
        });
    });
    group.bench_function("span_no_subscriber", |b| {
        b.iter(|| with_span(black_box(&guard), black_box(&request)));
    });
    tracing::subscriber::with_default(Listening, || {
        group.bench_function("span_listening", |b| {
            b.iter(|| with_span(black_box(&guard), black_box(&request)));
        });
    });
    group.finish();

    let perimeter = Perimeter::new();
    let context = perimeter.begin(&request, Some(([127, 0, 0, 1], 4000).into()));
    let mut group = c.benchmark_group("request_span");
    group.bench_function("no_subscriber", |b| {
        b.iter(|| {
            let span = request_span(black_box(&context), "GET");
            record_answer(&span, 200, Some("/x"));
            span
        });
    });
    tracing::subscriber::with_default(Listening, || {
        group.bench_function("listening", |b| {
            b.iter(|| {
                let span = request_span(black_box(&context), "GET");
                record_answer(&span, 200, Some("/x"));
                span
            });
        });
    });
    let fmt = tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(fmt, || {
        group.bench_function("fmt_subscriber", |b| {
            b.iter(|| {
                let span = request_span(black_box(&context), "GET");
                for _ in 0..8 {
                    let _entered = span.enter();
                }
                record_answer(&span, 200, Some("/x"));
                span
            });
        });
    });
    group.finish();
}

criterion_group!(benches, spans);
criterion_main!(benches);
