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
    ApiError, Authenticated, BodyGuardLayer, GuardLayer, Json, OptionalJson, Path, RouteTemplates,
    ShieldwallLayer, Valid, ValidQuery,
};
use tower_layer::Layer;

type App = State<Arc<Demo>>;

async fn health() -> Json<serde_json::Value> {
    Json(example_demo::health())
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
    let created = demo.keys.create(principal.id(), body).await?;
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
        .list(principal.id())
        .await
        .map(|keys| Json(keys).into_response())
}

async fn delete_key(
    State(demo): App,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    demo.keys
        .delete(principal.id(), &id)
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
    let read = GuardLayer::new(demo.keys.users_read());
    let write = GuardLayer::new(demo.keys.users_write());
    let transfer_key = GuardLayer::new(demo.keys.transfers_write());
    let signed = BodyGuardLayer::from_arc(Arc::clone(&demo.signatures));
    let bearer = GuardLayer::new(demo.auth.bearer());
    let auth = GuardLayer::new(demo.limits.auth.clone());
    let user = GuardLayer::new(demo.limits.user.clone());
    // Outermost the perimeter (request id, security headers, HTTPS), then
    // CORS (preflights answered before anything counts or authenticates
    // them), then the public limit, on the whole application under `/api`,
    // so unknown paths (404) and wrong methods (405) are counted too, then
    // the API version (`/api/vN/`: 404 UNSUPPORTED_VERSION). Route guards wrap
    // the method routes (`route_layer`, `Handler::layer`), not the 405
    // answer: a wrong method is told apart before authentication. The layer
    // added last runs first: the route's limit or credentials, then the
    // per-user limit (which needs the user).
    let app = Router::new()
        .route("/health", get(health))
        .route("/api/v1/auth/login", post(login).route_layer(auth.clone()))
        .route(
            "/api/v1/auth/logout",
            post(logout).route_layer(bearer.clone()).route_layer(auth),
        )
        .route(
            "/api/v1/protected/me",
            get(me)
                .route_layer(user.clone())
                .route_layer(bearer.clone()),
        )
        .route(
            "/api/v1/protected/keys",
            post(create_key)
                .get(list_keys)
                .route_layer(user.clone())
                .route_layer(bearer.clone()),
        )
        .route(
            "/api/v1/protected/keys/{id}",
            delete(delete_key).route_layer(user).route_layer(bearer),
        )
        .route(
            "/api/v1/users",
            get(list_users.layer(read)).post(create_user.layer(write)),
        )
        // The API key first, then the signature (whose key must have the
        // same owner), then the handler.
        .route(
            "/api/v1/transfers",
            post(create_transfer.layer(signed).layer(transfer_key)),
        )
        .fallback(unmatched)
        // The matched route, for the audit events.
        .layer(RouteTemplates)
        .with_state(Arc::clone(&demo));
    // `Router::layer` would run these after routing, per method route; they
    // must see every request first, as on actix-web: a router whose only
    // service is the layered routes.
    let app = Router::new().fallback_service(
        ShieldwallLayer::with_perimeter(demo.perimeter()).layer(
            GuardLayer::new(demo.cors.clone()).layer(
                GuardLayer::new(demo.limits.public.clone())
                    .layer(GuardLayer::new(demo.versions.clone()).layer(app)),
            ),
        ),
    );

    let listener = match tokio::net::TcpListener::bind(demo.config.addr).await {
        Ok(listener) => listener,
        Err(err) => return example_demo::cannot_listen(demo.config.addr, &err),
    };
    let addr = listener.local_addr().unwrap_or(demo.config.addr);
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
    // What the audit queue still holds is written before exit.
    if let Some(auditor) = &demo.auditor {
        let _ = auditor.shutdown().await;
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
