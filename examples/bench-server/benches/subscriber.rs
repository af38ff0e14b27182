//! What the demo's logging costs one request through the perimeter and
//! CORS when it wants nothing of shieldwall (`SHIELDWALL_LOG=warn`: `fmt`
//! with a `Targets` filter), in process: the same app before and after the
//! subscriber is installed; and the bearer guard's share beside it.
//! `SHIELDWALL_LOG=warn cargo bench -p example-bench-server --bench
//! subscriber` (`cargo xtask bench` sets it).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark")]

use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

use example_bench_server::{Stack, axum_server};

fn subscriber(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = runtime
        .block_on(axum_server::app(Stack::Shieldwall, None))
        .unwrap();
    let mut group = c.benchmark_group("axum_shieldwall_stack");
    let one = |group: &mut criterion::BenchmarkGroup<'_, _>, name: &str| {
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let response = app
                        .clone()
                        .oneshot(axum_server::hello_request())
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                    response
                })
            });
        });
    };
    one(&mut group, "anchor_no_subscriber");
    // The demo's own logging (SHIELDWALL_LOG from the environment).
    let fixture = runtime
        .block_on(example_bench_server::Fixture::prepare(Stack::Bearer))
        .unwrap()
        .unwrap();
    one(&mut group, "demo_logging");
    let bearer = runtime
        .block_on(axum_server::app(Stack::Bearer, Some(&fixture)))
        .unwrap();
    let header = fixture.header.clone().unwrap();
    let (name, value) = header.split_once(": ").unwrap();
    let (name, value) = (name.to_owned(), value.to_owned());
    group.bench_function("bearer_demo_logging", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let mut r = axum_server::hello_request();
                r.headers_mut().insert(
                    http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    http::HeaderValue::from_str(&value).unwrap(),
                );
                let response = bearer.clone().oneshot(r).await.unwrap();
                assert_eq!(response.status(), 200);
                response
            })
        });
    });
    group.finish();
}

criterion_group!(benches, subscriber);
criterion_main!(benches);
