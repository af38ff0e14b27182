//! The actix-web variants.

use std::net::SocketAddr;

use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use shieldwall_actix::{GuardMiddleware, Shieldwall};
use shieldwall_core::Perimeter;

use crate::{
    ALLOW_HEADERS, EXPOSE_HEADERS, FLOOR_HEADERS, MAX_AGE, METHODS, ORIGIN, SECURITY_HEADERS, Stack,
};

async fn hello() -> &'static str {
    "hello"
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

/// Serves `stack` on `addr` until killed.
pub fn run(addr: SocketAddr, stack: Stack) -> Result<(), String> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let listener = std::net::TcpListener::bind(addr).map_err(|e| e.to_string())?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let route = || web::resource("/hello").route(web::get().to(hello));
        // Each variant builds its own App: nothing unused sits in front of the route.
        let server = match stack {
            Stack::Bare => HttpServer::new(move || App::new().service(route()))
                .workers(1)
                .listen(listener)
                .map(HttpServer::run),
            Stack::Floor => HttpServer::new(|| {
                App::new().service(web::resource("/hello").route(web::get().to(hello_with_headers)))
            })
            .workers(1)
            .listen(listener)
            .map(HttpServer::run),
            Stack::Perimeter => {
                let perimeter = Perimeter::new();
                HttpServer::new(move || {
                    App::new()
                        .service(route())
                        .wrap(Shieldwall::with_perimeter(perimeter.clone()))
                })
                .workers(1)
                .listen(listener)
                .map(HttpServer::run)
            }
            Stack::Shieldwall => {
                let secured = Perimeter::new().response_headers(crate::headers()?);
                let cors = GuardMiddleware::new(crate::cors()?);
                HttpServer::new(move || {
                    App::new()
                        .service(route())
                        .wrap(cors.clone())
                        .wrap(Shieldwall::with_perimeter(secured.clone()))
                })
                .workers(1)
                .listen(listener)
                .map(HttpServer::run)
            }
            Stack::Audit => {
                let audited = crate::audited_perimeter()?;
                HttpServer::new(move || {
                    App::new()
                        .service(route())
                        .wrap(Shieldwall::with_perimeter(audited.clone()))
                })
                .workers(1)
                .listen(listener)
                .map(HttpServer::run)
            }
            Stack::Anchor => HttpServer::new(move || {
                App::new()
                    .service(route())
                    .wrap(anchor_headers())
                    .wrap(anchor_cors())
            })
            .workers(1)
            .listen(listener)
            .map(HttpServer::run),
        }
        .map_err(|e| e.to_string())?;
        println!("listening on http://{local}");
        server.await.map_err(|e| e.to_string())
    })
}
