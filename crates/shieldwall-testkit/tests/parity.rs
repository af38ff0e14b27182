//! Adapter parity: one app, built on axum and on actix-web, one case table.
//! Every answer must meet its case's expectation, and the two adapters'
//! answers must be equal (status, headers, body), request ids aside.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use shieldwall_core::{
    ClientIpResolver, Decision, Grant, Guard, Perimeter, Principal, RequestView, Step,
};
use shieldwall_errors::{ApiError, ErrorCode};
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};

const SECRET: &str = "hunter2";

/// A guard that lets `X-Demo-Key: open-sesame` through.
struct DemoGuard;

impl Guard for DemoGuard {
    type Input = bool;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<bool> {
        match request.single_header("x-demo-key") {
            Ok(Some(key)) => Step::Decide(key == b"open-sesame"),
            Ok(None) => Step::Done(Decision::reject(ErrorCode::ApiKeyRequired)),
            Err(_) => Step::Done(Decision::reject(
                ApiError::new(ErrorCode::MalformedRequest)
                    .with_detail("send one X-Demo-Key header"),
            )),
        }
    }

    async fn decide(&self, ok: bool) -> Decision {
        if ok {
            Decision::allow(
                Grant::new()
                    .with_principal(Principal::user("demo"))
                    .with_header(
                        http::HeaderName::from_static("x-guard"),
                        http::HeaderValue::from_static("passed"),
                    ),
            )
        } else {
            Decision::reject(ErrorCode::InvalidApiKey)
        }
    }
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Echo {
    name: String,
    age: Option<u8>,
}

#[derive(serde::Deserialize)]
struct Search {
    #[allow(dead_code)]
    n: u32,
}

/// What `ValidPath` reads from `/valid/{slug}/{n}`.
#[derive(serde::Deserialize, serde::Serialize, shieldwall_validate::Validate)]
struct Slug {
    #[validate(
        length(min = 3, max = 10),
        custom(function = "shieldwall_validate::rules::visible")
    )]
    slug: String,
    #[validate(range(min = 1, max = 5))]
    n: u8,
}

impl shieldwall_validate::Sanitize for Slug {}

/// What `Valid<Json<Note>>` reads.
#[derive(serde::Deserialize, serde::Serialize, shieldwall_validate::Validate)]
#[serde(deny_unknown_fields)]
struct Note {
    #[validate(length(min = 1, max = 20))]
    title: String,
    body: Option<String>,
}

impl shieldwall_validate::Sanitize for Note {
    fn sanitize(&mut self) -> bool {
        let title = shieldwall_sanitize::HtmlPolicy::strip_all().clean_in_place(&mut self.title);
        let body = self
            .body
            .as_mut()
            .is_some_and(|b| shieldwall_sanitize::HtmlPolicy::basic_formatting().clean_in_place(b));
        title | body
    }
}

fn stripping() -> shieldwall_core::BodyPolicy {
    shieldwall_core::BodyPolicy::builder()
        .keys(shieldwall_core::KeyPolicy::Strip)
        .build()
        .unwrap()
}

const TOKEN_SECRET: &[u8] = b"parity-secret-of-at-least-32-bytes!!";

#[derive(serde::Deserialize, serde::Serialize)]
struct TenantClaims {
    sub: String,
    tenant: String,
}

fn bearer_guard() -> shieldwall_tokens::BearerGuard<shieldwall_tokens::MemoryRevocations> {
    use shieldwall_tokens::{
        Algorithm, BearerGuard, KeySet, MemoryRevocations, Verifier, VerifyingKey,
    };
    let key = VerifyingKey::hmac(
        Algorithm::HS256,
        &shieldwall_core::Secret::from(TOKEN_SECRET),
    )
    .unwrap();
    BearerGuard::new(
        Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
            .build()
            .unwrap(),
    )
}

fn mint(tenant: Option<&str>) -> String {
    use shieldwall_tokens::{Algorithm, Issuer, SigningKey};
    let key = SigningKey::hmac(
        Algorithm::HS256,
        &shieldwall_core::Secret::from(TOKEN_SECRET),
    )
    .unwrap();
    let mut extra = serde_json::Map::new();
    if let Some(tenant) = tenant {
        extra.insert("tenant".into(), serde_json::json!(tenant));
    }
    Issuer::builder(key)
        .build()
        .unwrap()
        .issue_with("user-9", &["b", "a"], extra)
        .unwrap()
        .token()
        .to_owned()
}

fn perimeter() -> Perimeter {
    Perimeter::new().client_ip_resolver(
        ClientIpResolver::builder()
            .trusted_proxies("10.0.0.0/8".parse().unwrap())
            .build(),
    )
}

fn leaky_error() -> ApiError {
    ApiError::internal(std::io::Error::other(format!("password={SECRET}")))
}

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::extract::Query;
    use axum::routing::get;
    use shieldwall_axum::{
        Authenticated, Claims, ClientIp, GuardLayer, Json, Path, RequestId, ShieldwallLayer, Valid,
        ValidPath, ValidQuery,
    };

    pub(super) fn app() -> Router {
        Router::new()
            .route(
                "/health",
                get(|| async { Json(serde_json::json!({"status": "ok"})) }),
            )
            .route(
                "/echo",
                axum::routing::post(|Json(echo): Json<Echo>| async move { Json(echo) }),
            )
            .route(
                "/panic",
                get(|| async { panic!("{}", SECRET) as &'static str }),
            )
            .route("/fail", get(|| async { Err::<(), _>(leaky_error()) }))
            .route(
                "/plain-500",
                get(|| async {
                    (
                        http::StatusCode::INTERNAL_SERVER_ERROR,
                        format!("db password {SECRET}"),
                    )
                }),
            )
            .route(
                "/client-ip",
                get(|ClientIp(ip): ClientIp| async move {
                    Json(serde_json::json!({"ip": ip.to_string()}))
                }),
            )
            .route(
                "/request-id",
                get(|RequestId(id): RequestId| async move {
                    Json(serde_json::json!({"id": id.as_str()}))
                }),
            )
            .route(
                "/search",
                get(|Query(_): Query<Search>| async { Json(serde_json::json!({"ok": true})) }),
            )
            .route(
                "/guarded",
                get(
                    |axum::Extension(p): axum::Extension<Principal>| async move {
                        (
                            [("x-guard", "handler")],
                            Json(serde_json::json!({"principal": p.id()})),
                        )
                    },
                )
                .layer(GuardLayer::new(DemoGuard)),
            )
            .route(
                "/token",
                get(
                    |Claims(claims): Claims<TenantClaims>, Authenticated(p): Authenticated| async move {
                        Json(serde_json::json!({"claims": claims, "scopes": p.scopes()}))
                    },
                )
                .route_layer(GuardLayer::new(bearer_guard())),
            )
            .route(
                "/claims-without-guard",
                get(|Claims(claims): Claims<TenantClaims>| async move { Json(claims) }),
            )
            .route(
                "/guarded-fail",
                get(|| async { Err::<(), _>(ApiError::new(ErrorCode::NotFound)) })
                    .layer(GuardLayer::new(DemoGuard)),
            )
            .route(
                "/items/{id}",
                get(|Path(id): Path<u32>| async move { Json(serde_json::json!({"id": id})) })
                    .put(|Path(id): Path<u32>| async move { Json(serde_json::json!({"id": id})) }),
            )
            .route(
                "/valid/{slug}/{n}",
                get(|ValidPath(slug): ValidPath<Slug>| async move { Json(slug) }),
            )
            .route(
                "/valid-query",
                get(|ValidQuery(page): ValidQuery<shieldwall_validate::Pagination>| async move {
                    Json(page)
                }),
            )
            .route(
                "/valid-body",
                axum::routing::post(|Valid(Json(note)): Valid<Json<Note>>| async move { Json(note) }),
            )
            .route(
                "/valid-body-stripped",
                axum::routing::post(|Valid(Json(note)): Valid<Json<Note>>| async move { Json(note) })
                    .layer(axum::Extension(stripping())),
            )
            .layer(ShieldwallLayer::with_perimeter(perimeter()))
    }
}

mod actix_app {
    use super::*;
    use actix_web::{App, HttpResponse, web};
    use shieldwall_actix::{
        Authenticated, Claims, ClientIp, GuardMiddleware, Json, Path, RequestId, Shieldwall, Valid,
        ValidPath, ValidQuery, resource,
    };

    async fn guarded(request: actix_web::HttpRequest) -> HttpResponse {
        let id = shieldwall_actix::ActixView(&request)
            .principal()
            .map(|p| p.id().to_owned());
        HttpResponse::Ok()
            .insert_header(("x-guard", "handler"))
            .json(serde_json::json!({"principal": id}))
    }

    /// The same app as axum's, and its answers to `cases`.
    pub(super) fn answers(cases: &[Case]) -> Vec<Observed> {
        let app =
                App::new()
                    .service(
                        resource("/health")
                            .get(|| async { Json(serde_json::json!({"status": "ok"})) }),
                    )
                    .service(
                        resource("/echo").post(|Json(echo): Json<Echo>| async move { Json(echo) }),
                    )
                    .service(
                        resource("/panic").get(|| async { panic!("{}", SECRET) as &'static str }),
                    )
                    .service(
                        resource("/fail").get(|| async { Err::<HttpResponse, _>(leaky_error()) }),
                    )
                    .service(resource("/plain-500").get(|| async {
                        HttpResponse::InternalServerError().body(format!("db password {SECRET}"))
                    }))
                    .service(
                        resource("/client-ip").get(|ClientIp(ip): ClientIp| async move {
                            Json(serde_json::json!({"ip": ip.to_string()}))
                        }),
                    )
                    .service(
                        resource("/request-id").get(|RequestId(id): RequestId| async move {
                            Json(serde_json::json!({"id": id.as_str()}))
                        }),
                    )
                    .service(resource("/search").get(|_: web::Query<Search>| async {
                        Json(serde_json::json!({"ok": true}))
                    }))
                    .service(
                        resource("/guarded")
                            .get(guarded)
                            .into_inner()
                            .wrap(GuardMiddleware::new(DemoGuard)),
                    )
                    .service(
                        resource("/token")
                            .get(
                                |Claims(claims): Claims<TenantClaims>,
                                 Authenticated(p): Authenticated| async move {
                                    Json(
                                        serde_json::json!({"claims": claims, "scopes": p.scopes()}),
                                    )
                                },
                            )
                            .wrap_routes(GuardMiddleware::new(bearer_guard())),
                    )
                    .service(
                        resource("/claims-without-guard").get(
                            |Claims(claims): Claims<TenantClaims>| async move { Json(claims) },
                        ),
                    )
                    .service(
                        resource("/guarded-fail")
                            .get(|| async {
                                Err::<HttpResponse, _>(ApiError::new(ErrorCode::NotFound))
                            })
                            .into_inner()
                            .wrap(GuardMiddleware::new(DemoGuard)),
                    )
                    .service(
                        resource("/items/{id}")
                            .get(|Path(id): Path<u32>| async move {
                                Json(serde_json::json!({"id": id}))
                            })
                            .put(|Path(id): Path<u32>| async move {
                                Json(serde_json::json!({"id": id}))
                            }),
                    )
                    .service(
                        resource("/valid/{slug}/{n}")
                            .get(|ValidPath(slug): ValidPath<Slug>| async move { Json(slug) }),
                    )
                    .service(resource("/valid-query").get(
                        |ValidQuery(page): ValidQuery<shieldwall_validate::Pagination>| async move {
                            Json(page)
                        },
                    ))
                    .service(
                        resource("/valid-body")
                            .post(|Valid(Json(note)): Valid<Json<Note>>| async move { Json(note) }),
                    )
                    .service(
                        web::scope("/valid-body-stripped")
                            .app_data(stripping())
                            .service(resource("").post(
                                |Valid(Json(note)): Valid<Json<Note>>| async move { Json(note) },
                            )),
                    )
                    .wrap(Shieldwall::with_perimeter(perimeter()));
        through_actix(app, cases)
    }
}

fn cases() -> Vec<Case> {
    let big = format!("{{\"name\":\"{}\"}}", "a".repeat(70 * 1024));
    let id128 = "a".repeat(128);
    let id129 = "a".repeat(129);
    vec![
        Case::new("health", TestRequest::get("/health"), Expect::status(200).json(serde_json::json!({"status": "ok"}))),
        Case::new(
            "request id kept",
            TestRequest::get("/health").header("x-request-id", "abc-123_x.y:z"),
            Expect::status(200).request_id("abc-123_x.y:z"),
        ),
        Case::new(
            "request id of 128 kept",
            TestRequest::get("/health").header("x-request-id", &id128),
            Expect::status(200).request_id(&id128),
        ),
        Case::new(
            "request id of 129 replaced",
            TestRequest::get("/health").header("x-request-id", &id129),
            Expect::status(200).never(&id129),
        ),
        Case::new(
            "request id with a space replaced",
            TestRequest::get("/health").header("x-request-id", "bad id"),
            Expect::status(200).never("bad id"),
        ),
        Case::new(
            "request id with markup replaced",
            TestRequest::get("/health").header("x-request-id", "<script>"),
            Expect::status(200).never("<script>"),
        ),
        Case::new(
            "request id reaches the handler",
            TestRequest::get("/request-id").header("x-request-id", "rid-7"),
            Expect::status(200).request_id("rid-7").json(serde_json::json!({"id": "rid-7"})),
        ),
        Case::new(
            "error body carries the request id",
            TestRequest::get("/nope").header("x-request-id", "rid-404"),
            Expect::problem(404, "NOT_FOUND").request_id("rid-404"),
        ),
        Case::new("unknown path", TestRequest::get("/nope/deeper?x=1"), Expect::problem(404, "NOT_FOUND")),
        Case::new(
            "wrong method",
            TestRequest::post("/health"),
            Expect::problem(405, "METHOD_NOT_ALLOWED").header("allow", "GET,HEAD"),
        ),
        Case::new(
            "wrong method on a resource with two",
            TestRequest::new("DELETE", "/items/3"),
            Expect::problem(405, "METHOD_NOT_ALLOWED").header("allow", "GET,HEAD,PUT"),
        ),
        Case::new("path parameter", TestRequest::get("/items/3"), Expect::status(200).json(serde_json::json!({"id": 3}))),
        Case::new(
            "bad path parameter",
            TestRequest::get("/items/hunter2"),
            Expect::problem(404, "NOT_FOUND").never(SECRET),
        ),
        Case::new(
            "framework query rejection",
            TestRequest::get("/search?n=hunter2"),
            Expect::problem(400, "MALFORMED_REQUEST").never(SECRET),
        ),
        Case::new(
            "panic",
            TestRequest::get("/panic"),
            Expect::problem(500, "INTERNAL_ERROR").never(SECRET),
        ),
        Case::new("serving after a panic", TestRequest::get("/health"), Expect::status(200)),
        Case::new(
            "internal error",
            TestRequest::get("/fail"),
            Expect::problem(500, "INTERNAL_ERROR").never(SECRET).never("password"),
        ),
        Case::new(
            "plain 500 replaced",
            TestRequest::get("/plain-500"),
            Expect::problem(500, "INTERNAL_ERROR").never(SECRET),
        ),
        Case::new(
            "json body",
            TestRequest::post("/echo").json(r#"{"name":"Ada","age":36}"#),
            Expect::status(200).json(serde_json::json!({"name": "Ada", "age": 36})),
        ),
        Case::new(
            "json body without content type",
            TestRequest::post("/echo").body(r#"{"name":"Ada"}"#),
            Expect::problem(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        Case::new(
            "json body as text/plain",
            TestRequest::post("/echo").header("content-type", "text/plain").body(r#"{"name":"Ada"}"#),
            Expect::problem(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        Case::new(
            "invalid json",
            TestRequest::post("/echo").json(r#"{"name":"hunter2"#),
            Expect::problem(400, "MALFORMED_REQUEST").never(SECRET),
        ),
        Case::new(
            "json that is not an object",
            TestRequest::post("/echo").json(r#""hunter2""#),
            Expect::problem(400, "MALFORMED_REQUEST").never(SECRET),
        ),
        Case::new(
            "invalid utf-8",
            TestRequest::post("/echo").header("content-type", "application/json").body(b"{\"name\":\"\xff\xfe\"}"),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "wrong json type names the field, not the value",
            TestRequest::post("/echo").json(r#"{"name":["hunter2"]}"#),
            Expect::problem(400, "VALIDATION_FAILED")
                .never(SECRET)
                .json(serde_json::json!({
                    "type": "about:blank",
                    "title": "Validation failed",
                    "status": 400,
                    "code": "VALIDATION_FAILED",
                    "detail": "the request has invalid fields",
                    "errors": [{"field": "name", "code": "invalid_type", "message": "has the wrong type"}],
                    "request_id": "rid-v",
                }))
                .request_id("rid-v"),
        )
        .with_request_id("rid-v"),
        Case::new(
            "out of range number",
            TestRequest::post("/echo").json(r#"{"name":"a","age":99999}"#),
            Expect::problem(400, "VALIDATION_FAILED").never("99999"),
        ),
        Case::new(
            "body over 64 KiB",
            TestRequest::post("/echo").json(&big),
            Expect::problem(413, "PAYLOAD_TOO_LARGE"),
        ),
        Case::new(
            "declared length over 64 KiB",
            TestRequest::post("/echo").json("{}").header("content-length", "999999"),
            Expect::problem(413, "PAYLOAD_TOO_LARGE"),
        ),
        Case::new(
            "client ip is the peer",
            TestRequest::get("/client-ip"),
            Expect::status(200).json(serde_json::json!({"ip": "203.0.113.10"})),
        ),
        Case::new(
            "spoofed forwarded-for from an untrusted peer is ignored",
            TestRequest::get("/client-ip").header("x-forwarded-for", "6.6.6.6"),
            Expect::status(200).json(serde_json::json!({"ip": "203.0.113.10"})),
        ),
        Case::new(
            "forwarded-for from a trusted proxy, read right to left",
            TestRequest::get("/client-ip")
                .peer("10.0.0.1:1234")
                .header("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            Expect::status(200).json(serde_json::json!({"ip": "198.51.100.7"})),
        ),
        Case::new(
            "garbage forwarded-for falls back to the peer",
            TestRequest::get("/client-ip")
                .peer("10.0.0.1:1234")
                .header("x-forwarded-for", "1.2.3.4, garbage"),
            Expect::status(200).json(serde_json::json!({"ip": "10.0.0.1"})),
        ),
        Case::new(
            "ipv4-mapped peer folds to ipv4",
            TestRequest::get("/client-ip").peer("[::ffff:203.0.113.10]:1"),
            Expect::status(200).json(serde_json::json!({"ip": "203.0.113.10"})),
        ),
        Case::new(
            "guard without credentials",
            TestRequest::get("/guarded"),
            Expect::problem(401, "API_KEY_REQUIRED").no_header("x-guard"),
        ),
        // A HEAD answer is the GET answer's head without its body, whoever made
        // it: a guard's refusal, a rendered framework error, a caught panic.
        Case::new(
            "HEAD to a guarded route without credentials",
            TestRequest::new("HEAD", "/guarded"),
            Expect::status(401).header("content-type", "application/problem+json").never("API_KEY_REQUIRED"),
        ),
        Case::new(
            "HEAD to an unknown path",
            TestRequest::new("HEAD", "/nope"),
            Expect::status(404).header("content-type", "application/problem+json").never("NOT_FOUND"),
        ),
        Case::new(
            "HEAD to a route that panics",
            TestRequest::new("HEAD", "/panic"),
            Expect::status(500).header("content-type", "application/problem+json").never("INTERNAL_ERROR").never(SECRET),
        ),
        Case::new(
            "guard with two credentials",
            TestRequest::get("/guarded").header("x-demo-key", "open-sesame").header("x-demo-key", "x"),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "guard with wrong credentials",
            TestRequest::get("/guarded").header("x-demo-key", "hunter2"),
            Expect::problem(401, "INVALID_API_KEY").never(SECRET),
        ),
        Case::new(
            "guard lets through, attaches the principal and adds headers",
            TestRequest::get("/guarded").header("x-demo-key", "open-sesame"),
            Expect::status(200)
                .header_values("x-guard", &["handler", "passed"])
                .json(serde_json::json!({"principal": "demo"})),
        ),
        Case::new(
            "bearer token: Claims<T> and Authenticated",
            TestRequest::get("/token").header("authorization", format!("Bearer {}", mint(Some("acme")))),
            Expect::status(200).json(serde_json::json!({"claims": {"sub": "user-9", "tenant": "acme"}, "scopes": ["a", "b"]})),
        ),
        Case::new(
            "bearer token lacking a claim the route reads",
            TestRequest::get("/token").header("authorization", format!("Bearer {}", mint(None))),
            Expect::problem(401, "INVALID_TOKEN"),
        ),
        Case::new(
            "bearer route without a token",
            TestRequest::get("/token"),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED").header("www-authenticate", "Bearer"),
        ),
        Case::new(
            "bearer route, wrong method: 405 before authentication",
            TestRequest::post("/token"),
            Expect::problem(405, "METHOD_NOT_ALLOWED").header("allow", "GET,HEAD").no_header("www-authenticate"),
        ),
        Case::new(
            "Claims<T> on a route without its guard is a server mistake",
            TestRequest::get("/claims-without-guard").header("authorization", format!("Bearer {}", mint(Some("acme")))),
            Expect::problem(500, "INTERNAL_ERROR").never("acme"),
        ),
        Case::new(
            "guard headers reach error answers too",
            TestRequest::get("/guarded-fail").header("x-demo-key", "open-sesame"),
            Expect::problem(404, "NOT_FOUND").header_values("x-guard", &["passed"]),
        ),
        Case::new(
            "encoded unreserved characters in the path",
            TestRequest::get("/heal%74h"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "encoded dots in the path",
            TestRequest::get("/items/%2e%2e/3"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "streamed body over 64 KiB, no content-length",
            TestRequest::post("/echo")
                .header("content-type", "application/json")
                .body(format!("{{\"name\":\"{}\"}}", "a".repeat(70 * 1024)))
                .chunked(),
            Expect::problem(413, "PAYLOAD_TOO_LARGE"),
        ),
        Case::new(
            "streamed body within the limit",
            TestRequest::post("/echo").json(r#"{"name":"Ada"}"#).chunked(),
            Expect::status(200).json(serde_json::json!({"name": "Ada", "age": null})),
        ),
        Case::new(
            "json array where an object belongs",
            TestRequest::post("/echo").json(r#"["hunter2", 3]"#),
            Expect::problem(400, "MALFORMED_REQUEST").never(SECRET),
        ),
        Case::new(
            "duplicate keys",
            TestRequest::post("/echo").json(r#"{"name":"a","name":"b"}"#),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "valid path",
            TestRequest::get("/valid/abc/3"),
            Expect::status(200).json(serde_json::json!({"slug": "abc", "n": 3})),
        ),
        Case::new(
            "path of the wrong type",
            TestRequest::get("/valid/abc/x"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "path breaking its rules",
            TestRequest::get("/valid/ab/9"),
            Expect::problem(400, "VALIDATION_FAILED").fields(&[("n", "range"), ("slug", "length")]),
        ),
        Case::new(
            "path with a zero-width space",
            TestRequest::get("/valid/ab%E2%80%8Bc/3"),
            Expect::problem(400, "VALIDATION_FAILED").fields(&[("slug", "invisible_character")]),
        ),
        Case::new(
            "valid query",
            TestRequest::get("/valid-query?page=2&sort=asc"),
            Expect::status(200).json(serde_json::json!({"page": 2, "limit": 20, "sort": "asc"})),
        ),
        Case::new(
            "query breaking its rules",
            TestRequest::get("/valid-query?limit=0&page=hunter2"),
            Expect::problem(400, "VALIDATION_FAILED").fields(&[("page", "invalid_value")]).never(SECRET),
        ),
        Case::new(
            "valid body, cleaned",
            TestRequest::post("/valid-body").json(r#"{"title":"<i>Hi</i>","body":"<p onclick=x>ok</p>"}"#),
            Expect::status(200).json(serde_json::json!({"title": "Hi", "body": "<p>ok</p>"})),
        ),
        Case::new(
            "body with an operator key",
            TestRequest::post("/valid-body").json(r#"{"title":"a","body":null,"x":{"$ne":1}}"#),
            Expect::problem(400, "VALIDATION_FAILED").fields(&[("x", "forbidden_key")]),
        ),
        Case::new(
            "body with a member named with markup",
            TestRequest::post("/valid-body").json(r#"{"title":"a","<img src=x onerror=alert(1)>":1}"#),
            Expect::problem(400, "VALIDATION_FAILED")
                .fields(&[("(unknown)", "unknown_field")])
                .never("<img")
                .never("onerror"),
        ),
        Case::new(
            "body with an operator key under a member named with markup",
            TestRequest::post("/valid-body").json(r#"{"title":"a","<svg onload=x>":{"$ne":1}}"#),
            Expect::problem(400, "VALIDATION_FAILED").fields(&[("(unknown)", "forbidden_key")]).never("<svg"),
        ),
        Case::new(
            "stripping route, member named with markup",
            TestRequest::post("/valid-body-stripped").json(r#"{"title":"a","<img src=x onerror=alert(1)>":{"$ne":1}}"#),
            Expect::problem(400, "VALIDATION_FAILED")
                .fields(&[("(unknown)", "unknown_field")])
                .never("<img")
                .never("onerror"),
        ),
        Case::new(
            "body whose title is plain text after cleaning",
            TestRequest::post("/valid-body").json(r#"{"title":"<b>Tom</b> & Jerry"}"#),
            Expect::status(200).json(serde_json::json!({"title": "Tom & Jerry", "body": null})),
        ),
        Case::new(
            "body whose title is only markup",
            TestRequest::post("/valid-body").json(r#"{"title":"<script>hunter2</script>"}"#),
            Expect::problem(400, "VALIDATION_FAILED").fields(&[("title", "length")]).never(SECRET),
        ),
        Case::new(
            "body not JSON by media type",
            TestRequest::post("/valid-body").header("content-type", "text/plain").body("{}"),
            Expect::problem(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        Case::new(
            "route that strips operator keys",
            TestRequest::post("/valid-body-stripped").json(r#"{"title":"a","$where":"1","__proto__":{}}"#),
            Expect::status(200).json(serde_json::json!({"title": "a", "body": null})),
        ),

    ]
}

trait WithRequestId {
    fn with_request_id(self, id: &str) -> Self;
}

impl WithRequestId for Case {
    fn with_request_id(mut self, id: &str) -> Self {
        self.request = self.request.header("x-request-id", id);
        self
    }
}

#[test]
fn both_adapters_answer_every_case_alike() {
    let cases = cases();
    let axum = through_axum(axum_app::app(), &cases);
    let actix = actix_app::answers(&cases);
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}

/// A client-ip preset (Cloudflare's header from its ranges only), alike on
/// both adapters: the perimeter is the outermost layer, so it gets an app of
/// its own.
#[test]
fn a_client_ip_preset_resolves_alike_on_both_adapters() {
    fn perimeter() -> Perimeter {
        Perimeter::new().client_ip_resolver(
            ClientIpResolver::behind_cloudflare("104.16.0.0/13, 2606:4700::/32".parse().unwrap())
                .unwrap(),
        )
    }
    let ip = |ip: &str| Expect::status(200).json(serde_json::json!({ "ip": ip }));
    let cases = vec![
        Case::new(
            "cf-connecting-ip from a cloudflare peer",
            TestRequest::get("/client-ip")
                .peer("104.16.0.9:443")
                .header("cf-connecting-ip", "2001:db8::7"),
            ip("2001:db8::7"),
        ),
        Case::new(
            "cf-connecting-ip from anyone else is ignored",
            TestRequest::get("/client-ip").header("cf-connecting-ip", "6.6.6.6"),
            ip("203.0.113.10"),
        ),
        Case::new(
            "cf-connecting-ip sent twice is ignored",
            TestRequest::get("/client-ip")
                .peer("104.16.0.9:443")
                .header("cf-connecting-ip", "6.6.6.6")
                .header("cf-connecting-ip", "198.51.100.7"),
            ip("104.16.0.9"),
        ),
        Case::new(
            "cf-connecting-ip with a port is ignored",
            TestRequest::get("/client-ip")
                .peer("104.16.0.9:443")
                .header("cf-connecting-ip", "198.51.100.7:1234"),
            ip("104.16.0.9"),
        ),
        Case::new(
            "x-forwarded-for from a cloudflare peer is not read",
            TestRequest::get("/client-ip")
                .peer("104.16.0.9:443")
                .header("x-forwarded-for", "6.6.6.6"),
            ip("104.16.0.9"),
        ),
    ];
    let axum = {
        use axum::routing::get;
        use shieldwall_axum::{ClientIp, Json, ShieldwallLayer};
        let app = axum::Router::new()
            .route(
                "/client-ip",
                get(|ClientIp(ip): ClientIp| async move {
                    Json(serde_json::json!({"ip": ip.to_string()}))
                }),
            )
            .layer(ShieldwallLayer::with_perimeter(perimeter()));
        through_axum(app, &cases)
    };
    let actix = {
        use shieldwall_actix::{ClientIp, Json, Shieldwall, resource};
        let app = actix_web::App::new()
            .service(
                resource("/client-ip").get(|ClientIp(ip): ClientIp| async move {
                    Json(serde_json::json!({"ip": ip.to_string()}))
                }),
            )
            .wrap(Shieldwall::with_perimeter(perimeter()));
        through_actix(app, &cases)
    };
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}
