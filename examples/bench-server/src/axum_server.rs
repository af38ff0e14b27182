//! The axum variants.

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use http::{HeaderName, HeaderValue, Method};
use shieldwall_axum::{GuardLayer, ShieldwallLayer};
use shieldwall_core::Perimeter;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_layer::Layer;

use crate::{
    ALLOW_HEADERS, EXPOSE_HEADERS, FLOOR_HEADERS, MAX_AGE, METHODS, ORIGIN, SECURITY_HEADERS, Stack,
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

/// The app of `stack`: the layers go around the whole router (before
/// routing), as in the demo.
pub fn app(stack: Stack) -> Result<Router, String> {
    let routes = Router::new().route("/hello", get(|| async { "hello" }));
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
        Stack::Perimeter => Router::new()
            .fallback_service(ShieldwallLayer::with_perimeter(Perimeter::new()).layer(routes)),
        Stack::Shieldwall => Router::new().fallback_service(
            ShieldwallLayer::with_perimeter(Perimeter::new().response_headers(crate::headers()?))
                .layer(GuardLayer::new(crate::cors()?).layer(routes)),
        ),
        Stack::Anchor => anchor(routes)?,
        Stack::Audit => Router::new().fallback_service(
            ShieldwallLayer::with_perimeter(crate::audited_perimeter()?).layer(routes),
        ),
    })
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
        let app = app(stack)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| e.to_string())?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        println!("listening on http://{local}");
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .map_err(|e| e.to_string())
    })
}
