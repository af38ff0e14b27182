//! The shieldwall demo API on actix-web. See DEMO_API.md for the contract.

use std::process::ExitCode;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use shieldwall_actix::{ApiError, Json, Shieldwall, resource};

async fn health() -> Json<serde_json::Value> {
    Json(example_demo::health())
}

async fn unmatched(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(example_demo::unmatched(request.uri().path()))
}

#[actix_web::main]
async fn main() -> ExitCode {
    let demo = match example_demo::prepare().await {
        Ok(demo) => demo,
        Err(code) => return code,
    };
    let listener = match std::net::TcpListener::bind(demo.config.addr) {
        Ok(listener) => listener,
        Err(err) => return example_demo::cannot_listen(demo.config.addr, &err),
    };
    let addr = listener.local_addr().unwrap_or(demo.config.addr);
    let perimeter = demo.perimeter();
    let server = HttpServer::new(move || {
        App::new()
            .service(resource("/health").get(health))
            .default_service(web::to(unmatched))
            .wrap(Shieldwall::with_perimeter(perimeter.clone()))
    })
    .listen(listener);
    let server = match server {
        Ok(server) => server,
        Err(err) => return example_demo::cannot_listen(addr, &err),
    };
    example_demo::announce(&demo, "actix-web", addr);
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
