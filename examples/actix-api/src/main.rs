//! The shieldwall demo API on actix-web. See DEMO_API.md for the contract.

use std::process::ExitCode;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use example_demo::{Auth, LoginRequest, Me, TokenResponse};
use shieldwall_actix::{ApiError, Authenticated, GuardMiddleware, Json, Shieldwall, resource};

async fn health() -> Json<serde_json::Value> {
    Json(example_demo::health())
}

async fn unmatched(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(example_demo::unmatched(request.uri().path()))
}

async fn login(
    auth: web::Data<Auth>,
    Json(body): Json<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    auth.login(body).await.map(Json)
}

async fn logout(
    auth: web::Data<Auth>,
    Authenticated(principal): Authenticated,
) -> Result<HttpResponse, ApiError> {
    auth.logout(&principal)
        .await
        .map(|()| HttpResponse::NoContent().finish())
}

async fn me(
    auth: web::Data<Auth>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Me>, ApiError> {
    auth.me(&principal).map(Json)
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
    let auth = web::Data::from(std::sync::Arc::clone(&demo.auth));
    let bearer = demo.auth.bearer();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(auth.clone())
            .service(resource("/health").get(health))
            .service(resource("/api/v1/auth/login").post(login))
            .service(
                resource("/api/v1/auth/logout")
                    .post(logout)
                    .wrap_routes(GuardMiddleware::new(bearer.clone())),
            )
            .service(
                resource("/api/v1/protected/me")
                    .get(me)
                    .wrap_routes(GuardMiddleware::new(bearer.clone())),
            )
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
