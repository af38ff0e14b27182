//! The shieldwall demo API on axum. See DEMO_API.md for the contract.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use example_demo::{
    CreateKeyRequest, CreateUserRequest, Demo, LoginRequest, Pagination, TransferRequest,
};
use http::StatusCode;
use http::header::CACHE_CONTROL;
use shieldwall_axum::{
    ApiError, Authenticated, GuardsLayer, Json, OptionalJson, Path, RouteTemplates,
    ShieldwallLayer, Valid, ValidQuery,
};
use tower_layer::Layer;

type App = State<Arc<Demo>>;

async fn health() -> Json<serde_json::Value> {
    Json(example_demo::health())
}

async fn openapi(State(demo): App) -> impl IntoResponse {
    (
        [(http::header::CONTENT_TYPE, "application/json")],
        demo.openapi.body(),
    )
}

async fn unmatched(uri: http::Uri) -> ApiError {
    example_demo::unmatched(uri.path())
}

async fn login(State(demo): App, Json(body): Json<LoginRequest>) -> Result<Response, ApiError> {
    let token = demo.auth.login(body).await?;
    Ok(([(CACHE_CONTROL, "no-store")], Json(token)).into_response())
}

async fn logout(
    State(demo): App,
    Authenticated(principal): Authenticated,
) -> Result<StatusCode, ApiError> {
    demo.auth
        .logout(&principal)
        .await
        .map(|()| StatusCode::NO_CONTENT)
}

async fn me(
    State(demo): App,
    Authenticated(principal): Authenticated,
) -> Result<Response, ApiError> {
    demo.auth.me(&principal).map(|me| Json(me).into_response())
}

async fn create_key(
    State(demo): App,
    Authenticated(principal): Authenticated,
    OptionalJson(body): OptionalJson<CreateKeyRequest>,
) -> Result<Response, ApiError> {
    let created = demo
        .keys
        .create(demo.auth.user_id(&principal)?, body)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(CACHE_CONTROL, "no-store")],
        Json(created),
    )
        .into_response())
}

async fn list_keys(
    State(demo): App,
    Authenticated(principal): Authenticated,
) -> Result<Response, ApiError> {
    demo.keys
        .list(demo.auth.user_id(&principal)?)
        .await
        .map(|keys| Json(keys).into_response())
}

async fn delete_key(
    State(demo): App,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    demo.keys
        .delete(demo.auth.user_id(&principal)?, &id)
        .await
        .map(|()| StatusCode::NO_CONTENT)
}

async fn list_users(
    State(demo): App,
    ValidQuery(pagination): ValidQuery<Pagination>,
) -> Result<Response, ApiError> {
    let page = demo.directory.list(pagination)?;
    let headers = example_demo::page_headers(&page);
    Ok((headers, Json(page)).into_response())
}

async fn create_user(
    State(demo): App,
    Valid(Json(body)): Valid<Json<CreateUserRequest>>,
) -> Result<Response, ApiError> {
    demo.directory
        .create(body)
        .map(|user| (StatusCode::CREATED, Json(user)).into_response())
}

async fn create_transfer(
    State(demo): App,
    Valid(Json(body)): Valid<Json<TransferRequest>>,
) -> Response {
    let transfer = demo.transfers.record(body);
    (StatusCode::CREATED, Json(transfer)).into_response()
}

/// SIGTERM (never, where there is no such signal).
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        term.recv().await;
        return;
    }
    std::future::pending::<()>().await;
}

#[tokio::main]
async fn main() -> ExitCode {
    let demo = match example_demo::prepare().await {
        Ok(demo) => Arc::new(demo),
        Err(code) => return code,
    };
    // Each route's guards in their order, stated once for both servers
    // (example_demo::RouteGuards). Route guards wrap the method routes
    // (`route_layer`, `Handler::layer`), not the 405 answer: a wrong method
    // is told apart before authentication.
    let guards = demo.route_guards();
    let signed_in = GuardsLayer::new(guards.signed_in);
    let app = Router::new()
        .route("/health", get(health))
        .route(example_demo::OPENAPI_PATH, get(openapi))
        .route(
            "/api/v1/auth/login",
            post(login).route_layer(GuardsLayer::new(guards.login)),
        )
        .route(
            "/api/v1/auth/logout",
            post(logout).route_layer(GuardsLayer::new(guards.logout)),
        )
        .route(
            "/api/v1/protected/me",
            get(me).route_layer(signed_in.clone()),
        )
        .route(
            "/api/v1/protected/keys",
            post(create_key)
                .get(list_keys)
                .route_layer(signed_in.clone()),
        )
        .route(
            "/api/v1/protected/keys/{id}",
            delete(delete_key).route_layer(signed_in),
        )
        .route(
            "/api/v1/users",
            get(list_users.layer(GuardsLayer::new(guards.users_read)))
                .post(create_user.layer(GuardsLayer::new(guards.users_write))),
        )
        .route(
            "/api/v1/transfers",
            post(create_transfer.layer(GuardsLayer::new(guards.transfer))),
        )
        .fallback(unmatched)
        // The matched route, for the audit events.
        .layer(RouteTemplates)
        .with_state(Arc::clone(&demo));
    // Outermost the perimeter (request id, security headers, HTTPS), then
    // the guards of every path. `Router::layer` would run these after
    // routing, per method route; they must see every request first, as on
    // actix-web: a router whose only service is the layered routes.
    let app = Router::new().fallback_service(
        ShieldwallLayer::with_perimeter(demo.perimeter())
            .layer(GuardsLayer::new(guards.api).layer(app)),
    );

    let listener = match tokio::net::TcpListener::bind(demo.config.addr).await {
        Ok(listener) => listener,
        Err(err) => return example_demo::cannot_listen(demo.config.addr, &err),
    };
    let addr = listener.local_addr().unwrap_or(demo.config.addr);
    if let Err(code) = example_demo::serve_metrics(&demo).await {
        return code;
    }
    example_demo::announce(&demo, "axum", addr);
    // Ctrl-C, or SIGTERM (how containers and service managers stop a
    // process): in-flight requests finish and the audit queue is written.
    let shutdown = async {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated() => {}
        }
    };
    let served = match demo.config.tls.clone() {
        Some(tls) => shieldwall_axum::serve_tls(listener, tls, app, shutdown).await,
        None => {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await
        }
    };
    // What the audit queue and the keys' last-use times still hold is
    // written before exit.
    example_demo::shutdown(&demo).await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
