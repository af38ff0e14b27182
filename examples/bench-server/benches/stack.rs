//! One request through each axum stack of the bench server, in process
//! (tower `oneshot`, no network): what each layer costs, beside the bare
//! route and the anchor stack, without the noise of a load generator
//! sharing the machine. `cargo bench -p example-bench-server --bench stack`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark")]

use axum::Router;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

use example_bench_server::{Stack, axum_server};

fn stacks(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The audit stack spawns its writer on this runtime; every iteration
    // yields once after its request, so that the writer's share (formatting,
    // handing batches to the file) is inside the measured time of the stack
    // that causes it, and the same yield is in every stack's time.
    let _entered = runtime.enter();
    let mut group = c.benchmark_group("axum_one_request");
    for stack in [
        Stack::Bare,
        Stack::Floor,
        Stack::Perimeter,
        Stack::Headers,
        Stack::Cors,
        Stack::Shieldwall,
        Stack::Anchor,
        Stack::Audit,
    ] {
        let app: Router = runtime.block_on(axum_server::app(stack, None)).unwrap();
        group.bench_function(format!("{stack:?}").to_lowercase(), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let response = app
                        .clone()
                        .oneshot(axum_server::hello_request())
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 200);
                    tokio::task::yield_now().await;
                    response
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, stacks);
criterion_main!(benches);
