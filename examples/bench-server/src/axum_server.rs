//! The axum variants.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use http::{HeaderName, HeaderValue, Method};
use shieldwall_axum::{GuardLayer, ShieldwallLayer};
use shieldwall_core::{Guard, Perimeter, Principal};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_layer::Layer;

use crate::anchor_limit::AnchorLimiter;
use crate::{
    ALLOW_HEADERS, EXPOSE_HEADERS, FLOOR_HEADERS, Fixture, MAX_AGE, METHODS, ORIGIN,
    SECURITY_HEADERS, Stack,
};

fn anchor(routes: Router) -> Result<Router, String> {
    let bad = |e: &dyn std::fmt::Display| e.to_string();
    let methods = METHODS
        .iter()
        .map(|m| Method::from_bytes(m.as_bytes()).map_err(|e| bad(&e)))
        .collect::<Result<Vec<_>, _>>()?;
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list([HeaderValue::from_static(ORIGIN)]))
        .allow_methods(methods)
        .allow_headers(ALLOW_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSE_HEADERS.map(HeaderName::from_static))
        .allow_credentials(true)
        .max_age(MAX_AGE);
    let mut app = routes.layer(cors);
    for (name, value) in SECURITY_HEADERS {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    Ok(app)
}

/// The demo's routes with the same handler work as the demo's and no
/// shieldwall layer: plain axum extractors, the caller fixed (the bearer
/// guard's principal, without the guard).
fn handlers(fixture: &Fixture) -> Router {
    use axum::Json;
    use axum::extract::{Query, State};
    use axum::response::{IntoResponse, Response};
    use example_demo::{Demo, Pagination, TransferRequest};

    type App = State<(Arc<Demo>, Principal)>;
    async fn health() -> Json<serde_json::Value> {
        Json(example_demo::health())
    }
    async fn me(State((demo, user)): App) -> Response {
        match demo.auth.me(&user) {
            Ok(me) => Json(me).into_response(),
            Err(_) => http::StatusCode::UNAUTHORIZED.into_response(),
        }
    }
    async fn users(State((demo, _)): App, Query(pagination): Query<Pagination>) -> Response {
        match demo.directory.list(pagination) {
            Ok(page) => (example_demo::page_headers(&page), Json(page)).into_response(),
            Err(_) => http::StatusCode::BAD_REQUEST.into_response(),
        }
    }
    async fn transfer(State((demo, _)): App, Json(body): Json<TransferRequest>) -> Response {
        (http::StatusCode::CREATED, Json(demo.transfers.record(body))).into_response()
    }
    Router::new()
        .route("/health", get(health))
        .route("/api/v1/protected/me", get(me))
        .route("/api/v1/users", get(users))
        .route("/api/v1/transfers", axum::routing::post(transfer))
        .with_state((Arc::clone(&fixture.demo), fixture.user.clone()))
}

/// The per-address limit of `limit-anchor`: tower_governor on memory, the
/// hand-written Redis window on Redis.
async fn limit_anchor(routes: Router) -> Result<Router, String> {
    match AnchorLimiter::from_env().await? {
        AnchorLimiter::Memory(_) => {
            let config = tower_governor::governor::GovernorConfigBuilder::default()
                .per_nanosecond(1)
                .burst_size(crate::anchor_limit::LIMIT)
                .finish()
                .ok_or("tower_governor refused the quota")?;
            Ok(routes.layer(tower_governor::GovernorLayer::new(config)))
        }
        redis @ AnchorLimiter::Redis(_) => Ok(routes.layer(axum::middleware::from_fn(
            move |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                  request: axum::extract::Request,
                  next: axum::middleware::Next| {
                let limiter = redis.clone();
                async move {
                    if limiter.allow(peer.ip()).await {
                        next.run(request).await
                    } else {
                        axum::response::IntoResponse::into_response(
                            http::StatusCode::TOO_MANY_REQUESTS,
                        )
                    }
                }
            },
        ))),
    }
}

/// The perimeter (request id, error rendering) around one guard.
fn guarded<G: Guard + Send + Sync + 'static>(guard: G, routes: Router) -> Router {
    Router::new().fallback_service(
        ShieldwallLayer::with_perimeter(Perimeter::new())
            .layer(GuardLayer::new(guard).layer(routes)),
    )
}

/// The app of `stack`: the layers go around the whole router (before
/// routing), as in the demo. The stacks built from the demo need its
/// [`Fixture`].
pub async fn app(stack: Stack, fixture: Option<&Fixture>) -> Result<Router, String> {
    let routes = Router::new().route("/hello", get(|| async { "hello" }));
    let perimeter = |perimeter: Perimeter, routes: Router| {
        Router::new().fallback_service(ShieldwallLayer::with_perimeter(perimeter).layer(routes))
    };
    Ok(match stack {
        Stack::Bare => routes,
        Stack::Floor => Router::new().route(
            "/hello",
            get(|| async {
                let mut headers = http::HeaderMap::with_capacity(FLOOR_HEADERS.len() + 2);
                for (name, value) in FLOOR_HEADERS {
                    headers.insert(
                        HeaderName::from_static(name),
                        HeaderValue::from_static(value),
                    );
                }
                (headers, "hello")
            }),
        ),
        Stack::Perimeter => perimeter(Perimeter::new(), routes),
        Stack::Headers => perimeter(Perimeter::new().response_headers(crate::headers()?), routes),
        Stack::Cors => guarded(crate::cors()?, routes),
        Stack::Shieldwall => Router::new().fallback_service(
            ShieldwallLayer::with_perimeter(Perimeter::new().response_headers(crate::headers()?))
                .layer(GuardLayer::new(crate::cors()?).layer(routes)),
        ),
        Stack::Anchor => anchor(routes)?,
        Stack::Audit => perimeter(crate::audited_perimeter()?, routes),
        Stack::IpLimit => guarded(
            Fixture::of(fixture, stack)?.demo.limits.auth.clone(),
            routes,
        ),
        Stack::LimitAnchor => limit_anchor(routes).await?,
        Stack::ApiKey => guarded(Fixture::of(fixture, stack)?.demo.keys.users_read(), routes),
        Stack::Bearer => guarded(Fixture::of(fixture, stack)?.demo.auth.bearer(), routes),
        Stack::Handlers => handlers(Fixture::of(fixture, stack)?),
    })
}

/// The request the in-process benches send: `GET /hello` with the allowed
/// `Origin`, from a loopback peer.
pub fn hello_request() -> http::Request<axum::body::Body> {
    let mut request = http::Request::new(axum::body::Body::empty());
    *request.uri_mut() = http::Uri::from_static("/hello");
    request
        .headers_mut()
        .insert(http::header::ORIGIN, HeaderValue::from_static(ORIGIN));
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
    request
}

/// Serves `stack` on `addr` until killed.
pub fn run(addr: SocketAddr, stack: Stack) -> Result<(), String> {
    // One worker: `cargo xtask load` pins the server to one core and wrk to the other.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let fixture = Fixture::prepare(stack).await?;
        let app = app(stack, fixture.as_ref()).await?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| e.to_string())?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        crate::announce(fixture.as_ref(), local);
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .map_err(|e| e.to_string())
    })
}
