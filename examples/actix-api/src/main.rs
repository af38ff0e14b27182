//! The shieldwall demo API on actix-web. See DEMO_API.md for the contract.

use std::process::ExitCode;

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use example_demo::{
    CreateKeyRequest, CreateUserRequest, Demo, LoginRequest, Pagination, TransferRequest,
};
use shieldwall_actix::{
    ApiError, Authenticated, GuardsMiddleware, Json, OptionalJson, Path, Shieldwall, Valid,
    ValidQuery, resource,
};

type DemoData = web::Data<Demo>;

async fn health() -> Json<serde_json::Value> {
    Json(example_demo::health())
}

async fn openapi(demo: DemoData) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(demo.openapi.body())
}

async fn unmatched(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(example_demo::unmatched(request.uri().path()))
}

async fn login(demo: DemoData, Json(body): Json<LoginRequest>) -> Result<HttpResponse, ApiError> {
    let token = demo.auth.login(body).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(token))
}

async fn logout(
    demo: DemoData,
    Authenticated(principal): Authenticated,
) -> Result<HttpResponse, ApiError> {
    demo.auth
        .logout(&principal)
        .await
        .map(|()| HttpResponse::NoContent().finish())
}

async fn me(
    demo: DemoData,
    Authenticated(principal): Authenticated,
) -> Result<HttpResponse, ApiError> {
    demo.auth
        .me(&principal)
        .map(|me| HttpResponse::Ok().json(me))
}

async fn create_key(
    demo: DemoData,
    Authenticated(principal): Authenticated,
    OptionalJson(body): OptionalJson<CreateKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = demo
        .keys
        .create(demo.auth.user_id(&principal)?, body)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(created))
}

async fn list_keys(
    demo: DemoData,
    Authenticated(principal): Authenticated,
) -> Result<HttpResponse, ApiError> {
    demo.keys
        .list(demo.auth.user_id(&principal)?)
        .await
        .map(|keys| HttpResponse::Ok().json(keys))
}

async fn delete_key(
    demo: DemoData,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<HttpResponse, ApiError> {
    demo.keys
        .delete(demo.auth.user_id(&principal)?, &id)
        .await
        .map(|()| HttpResponse::NoContent().finish())
}

async fn list_users(
    demo: DemoData,
    ValidQuery(pagination): ValidQuery<Pagination>,
) -> Result<HttpResponse, ApiError> {
    let page = demo.directory.list(pagination)?;
    let mut response = HttpResponse::Ok();
    for header in example_demo::page_headers(&page) {
        response.insert_header(header);
    }
    Ok(response.json(page))
}

async fn create_user(
    demo: DemoData,
    Valid(Json(body)): Valid<Json<CreateUserRequest>>,
) -> Result<HttpResponse, ApiError> {
    demo.directory
        .create(body)
        .map(|user| HttpResponse::Created().json(user))
}

async fn create_transfer(
    demo: DemoData,
    Valid(Json(body)): Valid<Json<TransferRequest>>,
) -> HttpResponse {
    HttpResponse::Created().json(demo.transfers.record(body))
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
    // Each route's guards in their order, stated once for both servers
    // (example_demo::RouteGuards), built here, once, and cloned into every
    // worker: one count per limit whatever the number of workers.
    let guards = demo.route_guards();
    let demo = web::Data::new(demo);
    let data = demo.clone();
    // Outermost the perimeter (request id, security headers, HTTPS), then
    // the guards of every path. Route guards wrap the routes
    // (`wrap_routes`, `wrap_last`), not the 405 answer: a wrong method is
    // told apart before authentication.
    let server = HttpServer::new(move || {
        let signed_in = GuardsMiddleware::new(guards.signed_in.clone());
        App::new()
            .app_data(data.clone())
            .service(resource("/health").get(health))
            .service(resource(example_demo::OPENAPI_PATH).get(openapi))
            .service(
                resource("/api/v1/auth/login")
                    .post(login)
                    .wrap_routes(GuardsMiddleware::new(guards.login.clone())),
            )
            .service(
                resource("/api/v1/auth/logout")
                    .post(logout)
                    .wrap_routes(GuardsMiddleware::new(guards.logout.clone())),
            )
            .service(
                resource("/api/v1/protected/me")
                    .get(me)
                    .wrap_routes(signed_in.clone()),
            )
            .service(
                resource("/api/v1/protected/keys")
                    .post(create_key)
                    .get(list_keys)
                    .wrap_routes(signed_in.clone()),
            )
            .service(
                resource("/api/v1/protected/keys/{id}")
                    .delete(delete_key)
                    .wrap_routes(signed_in),
            )
            .service(
                resource("/api/v1/users")
                    .get(list_users)
                    .wrap_last(GuardsMiddleware::new(guards.users_read.clone()))
                    .post(create_user)
                    .wrap_last(GuardsMiddleware::new(guards.users_write.clone())),
            )
            .service(
                resource("/api/v1/transfers")
                    .post(create_transfer)
                    .wrap_routes(GuardsMiddleware::new(guards.transfer.clone())),
            )
            .default_service(web::to(unmatched))
            .wrap(GuardsMiddleware::new(guards.api.clone()))
            .wrap(Shieldwall::with_perimeter(perimeter.clone()))
    });
    let server = match &demo.config.tls {
        Some(tls) => {
            let mut tls = (**tls).clone();
            // actix-web offers h2 and http/1.1 by ALPN itself, ahead of these.
            tls.alpn_protocols.clear();
            server.listen_rustls_0_23(listener, tls)
        }
        None => server.listen(listener),
    };
    let server = match server {
        Ok(server) => server,
        Err(err) => return example_demo::cannot_listen(addr, &err),
    };
    if let Err(code) = example_demo::serve_metrics(&demo).await {
        return code;
    }
    example_demo::announce(&demo, "actix-web", addr);
    let served = server.run().await;
    // What the audit queue and the keys' last-use times still hold is
    // written before exit.
    example_demo::shutdown(&demo).await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
