//! One request through each axum stack of the bench server, in process
//! (tower `oneshot`, no network): what each layer costs, beside the bare
//! route and the anchor stack, without the noise of a load generator
//! sharing the machine. `cargo bench -p example-bench-server --bench stack`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a benchmark")]

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

use example_bench_server::{ORIGIN, Stack, axum_server};

fn request() -> http::Request<axum::body::Body> {
    let mut request = http::Request::get("/hello")
        .header("origin", ORIGIN)
        .body(axum::body::Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    request
}

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
        Stack::Shieldwall,
        Stack::Anchor,
        Stack::Audit,
    ] {
        let app: Router = axum_server::app(stack).unwrap();
        group.bench_function(format!("{stack:?}").to_lowercase(), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let response = app.clone().oneshot(request()).await.unwrap();
                    assert_eq!(response.status(), 200);
                    tokio::task::yield_now().await;
                    response
                })
            });
        });
    }
    let routes = || Router::new().route("/hello", axum::routing::get(|| async { "hello" }));
    let parts: [(&str, Router); 2] =
        [
            (
                "perimeter_and_headers",
                Router::new().fallback_service(tower_layer::Layer::layer(
                    &shieldwall_axum::ShieldwallLayer::with_perimeter(
                        shieldwall_core::Perimeter::new()
                            .response_headers(example_bench_server::headers().unwrap()),
                    ),
                    routes(),
                )),
            ),
            (
                "perimeter_and_cors",
                Router::new().fallback_service(tower_layer::Layer::layer(
                    &shieldwall_axum::ShieldwallLayer::with_perimeter(
                        shieldwall_core::Perimeter::new(),
                    ),
                    tower_layer::Layer::layer(
                        &shieldwall_axum::GuardLayer::new(example_bench_server::cors().unwrap()),
                        routes(),
                    ),
                )),
            ),
        ];
    for (name, app) in parts {
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let response = app.clone().oneshot(request()).await.unwrap();
                    assert_eq!(response.status(), 200);
                    response
                })
            });
        });
    }
    group.finish();
}

criterion_group!(benches, stacks);
criterion_main!(benches);
