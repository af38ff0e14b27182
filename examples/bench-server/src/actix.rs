//! The actix-web variants.

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::Service;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use shieldwall_actix::{GuardMiddleware, Shieldwall};
use shieldwall_core::Perimeter;

use crate::anchor_limit::AnchorLimiter;
use crate::{
    ALLOW_HEADERS, EXPOSE_HEADERS, FLOOR_HEADERS, Fixture, MAX_AGE, METHODS, ORIGIN,
    SECURITY_HEADERS, Stack,
};

async fn hello() -> &'static str {
    "hello"
}

fn route() -> actix_web::Resource {
    web::resource("/hello").route(web::get().to(hello))
}

async fn hello_with_headers() -> actix_web::HttpResponse {
    let mut response = actix_web::HttpResponse::Ok();
    for header in FLOOR_HEADERS {
        response.insert_header(header);
    }
    response
        .content_type("text/plain; charset=utf-8")
        .body("hello")
}

fn anchor_cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allowed_origin(ORIGIN)
        .allowed_methods(METHODS)
        .allowed_headers(ALLOW_HEADERS)
        .expose_headers(EXPOSE_HEADERS)
        .supports_credentials()
        .max_age(usize::try_from(MAX_AGE.as_secs()).ok())
}

fn anchor_headers() -> DefaultHeaders {
    SECURITY_HEADERS
        .iter()
        .fold(DefaultHeaders::new(), |headers, (name, value)| {
            headers.add((*name, *value))
        })
}

/// The demo's routes with the same handler work as the demo's and no
/// shieldwall layer: plain actix-web extractors, the caller fixed (the
/// bearer guard's principal, without the guard).
mod handlers {
    use std::sync::Arc;

    use actix_web::{HttpResponse, web};
    use example_demo::{Demo, Pagination, TransferRequest};
    use shieldwall_core::Principal;

    pub(super) type App = web::Data<(Arc<Demo>, Principal)>;

    pub(super) async fn health() -> HttpResponse {
        HttpResponse::Ok().json(example_demo::health())
    }

    pub(super) async fn me(app: App) -> HttpResponse {
        match app.0.auth.me(&app.1) {
            Ok(me) => HttpResponse::Ok().json(me),
            Err(_) => HttpResponse::Unauthorized().finish(),
        }
    }

    pub(super) async fn users(app: App, pagination: web::Query<Pagination>) -> HttpResponse {
        match app.0.directory.list(pagination.into_inner()) {
            Ok(page) => {
                let mut response = HttpResponse::Ok();
                for header in example_demo::page_headers(&page) {
                    response.insert_header(header);
                }
                response.json(page)
            }
            Err(_) => HttpResponse::BadRequest().finish(),
        }
    }

    pub(super) async fn transfer(app: App, body: web::Json<TransferRequest>) -> HttpResponse {
        HttpResponse::Created().json(app.0.transfers.record(body.into_inner()))
    }

    pub(super) fn routes(config: &mut web::ServiceConfig) {
        config
            .route("/health", web::get().to(health))
            .route("/api/v1/protected/me", web::get().to(me))
            .route("/api/v1/users", web::get().to(users))
            .route("/api/v1/transfers", web::post().to(transfer));
    }
}

/// One worker on `listener`, each worker's app built by the closure.
macro_rules! serve {
    ($listener:expr, $app:expr) => {
        HttpServer::new($app)
            .workers(1)
            .listen($listener)
            .map(HttpServer::run)
    };
}

/// The route behind a perimeter.
macro_rules! with_perimeter {
    ($listener:expr, $perimeter:expr) => {{
        let perimeter = $perimeter;
        serve!($listener, move || {
            App::new()
                .service(route())
                .wrap(Shieldwall::with_perimeter(perimeter.clone()))
        })
    }};
}

/// The perimeter (request id, error rendering) around one guard.
macro_rules! guarded {
    ($listener:expr, $guard:expr) => {{
        let guard = GuardMiddleware::new($guard);
        serve!($listener, move || {
            App::new()
                .service(route())
                .wrap(guard.clone())
                .wrap(Shieldwall::with_perimeter(Perimeter::new()))
        })
    }};
}

/// Serves `stack` on `addr` until killed.
pub fn run(addr: SocketAddr, stack: Stack) -> Result<(), String> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let listener = std::net::TcpListener::bind(addr).map_err(|e| e.to_string())?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let fixture = Fixture::prepare(stack).await?;
        // Each variant builds its own App: nothing unused sits in front of the route.
        let server = match stack {
            Stack::Bare => serve!(listener, move || App::new().service(route())),
            Stack::Floor => serve!(listener, || {
                App::new().service(web::resource("/hello").route(web::get().to(hello_with_headers)))
            }),
            Stack::Perimeter => with_perimeter!(listener, Perimeter::new()),
            Stack::Headers => with_perimeter!(
                listener,
                Perimeter::new().response_headers(crate::headers()?)
            ),
            Stack::Audit => with_perimeter!(listener, crate::audited_perimeter()?),
            Stack::Cors => guarded!(listener, crate::cors()?),
            Stack::Shieldwall => {
                let secured = Perimeter::new().response_headers(crate::headers()?);
                let cors = GuardMiddleware::new(crate::cors()?);
                serve!(listener, move || {
                    App::new()
                        .service(route())
                        .wrap(cors.clone())
                        .wrap(Shieldwall::with_perimeter(secured.clone()))
                })
            }
            Stack::Anchor => serve!(listener, move || {
                App::new()
                    .service(route())
                    .wrap(anchor_headers())
                    .wrap(anchor_cors())
            }),
            Stack::IpLimit => {
                guarded!(
                    listener,
                    Fixture::of(fixture.as_ref(), stack)?
                        .demo
                        .limits
                        .auth
                        .clone()
                )
            }
            Stack::ApiKey => {
                guarded!(
                    listener,
                    Fixture::of(fixture.as_ref(), stack)?.demo.keys.users_read()
                )
            }
            Stack::Bearer => {
                guarded!(
                    listener,
                    Fixture::of(fixture.as_ref(), stack)?.demo.auth.bearer()
                )
            }
            Stack::LimitAnchor => {
                let limiter = AnchorLimiter::from_env().await?;
                serve!(listener, move || {
                    let limiter = limiter.clone();
                    App::new()
                        .service(route())
                        .wrap_fn(move |request, service| {
                            let limiter = limiter.clone();
                            let peer = request.peer_addr().map(|a| a.ip());
                            let call = service.call(request);
                            async move {
                                match peer {
                                    Some(ip) if limiter.allow(ip).await => call.await,
                                    _ => Err(actix_web::error::ErrorTooManyRequests("slow down")),
                                }
                            }
                        })
                })
            }
            Stack::Handlers => {
                let fixture = Fixture::of(fixture.as_ref(), stack)?;
                let state = web::Data::new((Arc::clone(&fixture.demo), fixture.user.clone()));
                serve!(listener, move || {
                    App::new()
                        .app_data(state.clone())
                        .configure(handlers::routes)
                })
            }
        }
        .map_err(|e| e.to_string())?;
        crate::announce(fixture.as_ref(), local);
        server.await.map_err(|e| e.to_string())
    })
}
