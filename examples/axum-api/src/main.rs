//! The shieldwall demo API on axum. See DEMO_API.md for the contract.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use example_demo::{Auth, LoginRequest, Me, TokenResponse};
use http::StatusCode;
use shieldwall_axum::{ApiError, Authenticated, GuardLayer, Json, ShieldwallLayer};

async fn health() -> Json<serde_json::Value> {
    Json(example_demo::health())
}

async fn unmatched(uri: http::Uri) -> ApiError {
    example_demo::unmatched(uri.path())
}

async fn login(
    State(auth): State<Arc<Auth>>,
    Json(body): Json<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    auth.login(body).await.map(Json)
}

async fn logout(
    State(auth): State<Arc<Auth>>,
    Authenticated(principal): Authenticated,
) -> Result<StatusCode, ApiError> {
    auth.logout(&principal)
        .await
        .map(|()| StatusCode::NO_CONTENT)
}

async fn me(
    State(auth): State<Arc<Auth>>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Me>, ApiError> {
    auth.me(&principal).map(Json)
}

#[tokio::main]
async fn main() -> ExitCode {
    let demo = match example_demo::prepare().await {
        Ok(demo) => demo,
        Err(code) => return code,
    };
    // `MethodRouter::route_layer`: the guard wraps the routes, not the 405
    // answer, so a wrong method is told apart before authentication.
    let bearer = GuardLayer::new(demo.auth.bearer());
    let app = Router::new()
        .route("/health", get(health))
        .route("/api/v1/auth/login", post(login))
        .route(
            "/api/v1/auth/logout",
            post(logout).route_layer(bearer.clone()),
        )
        .route("/api/v1/protected/me", get(me).route_layer(bearer))
        .fallback(unmatched)
        .with_state(Arc::clone(&demo.auth))
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
