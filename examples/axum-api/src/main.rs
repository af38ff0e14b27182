//! The shieldwall demo API on axum. See DEMO_API.md for the contract.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Router;
use axum::routing::get;
use shieldwall_axum::{ApiError, Json, ShieldwallLayer};

async fn health() -> Json<serde_json::Value> {
    Json(example_demo::health())
}

async fn unmatched(uri: http::Uri) -> ApiError {
    example_demo::unmatched(uri.path())
}

#[tokio::main]
async fn main() -> ExitCode {
    let demo = match example_demo::prepare().await {
        Ok(demo) => demo,
        Err(code) => return code,
    };
    let app = Router::new()
        .route("/health", get(health))
        .fallback(unmatched)
        .layer(ShieldwallLayer::with_perimeter(demo.perimeter()));

    let listener = match tokio::net::TcpListener::bind(demo.config.addr).await {
        Ok(listener) => listener,
        Err(err) => return example_demo::cannot_listen(demo.config.addr, &err),
    };
    let addr = listener.local_addr().unwrap_or(demo.config.addr);
    example_demo::announce(&demo, "axum", addr);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
