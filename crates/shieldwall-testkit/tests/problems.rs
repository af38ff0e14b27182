//! An application's own errors through both adapters: custom problem codes
//! rendered like shieldwall's (request id, the perimeter's `type`), an
//! application's JSON 4xx bodies kept by default and replaced when the
//! perimeter is strict, framework text and every 5xx body replaced always.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use shieldwall_core::Perimeter;
use shieldwall_errors::{ApiError, CustomCode, ProblemTypes, custom_code};
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::{Case, Expect, TestRequest, assert_cases};

const ORDER_CONFLICT: CustomCode = custom_code!(409, "ORDER_CONFLICT", "Order conflict");
const STORAGE_FULL: CustomCode = custom_code!(507, "STORAGE_FULL", "Storage full");
const SECRET: &str = "hunter2";
const TYPES: &str = "https://api.example.com/problems/";

fn conflict() -> ApiError {
    ApiError::custom(ORDER_CONFLICT)
        .with_detail("the order was already confirmed")
        .with_header(
            http::header::HeaderName::from_static("x-order-version"),
            http::HeaderValue::from_static("7"),
        )
}

fn storage_full() -> ApiError {
    ApiError::custom(STORAGE_FULL)
        .with_detail(format!("volume /srv/{SECRET} is full"))
        .with_source(std::io::Error::other(format!("ENOSPC on {SECRET}")))
}

fn perimeter(strict: bool) -> Perimeter {
    let perimeter = Perimeter::new().problem_types(ProblemTypes::base(TYPES).unwrap());
    if strict {
        perimeter.replace_json_error_bodies()
    } else {
        perimeter
    }
}

fn order_json() -> serde_json::Value {
    serde_json::json!({"error": "order 42 not found"})
}

fn axum_app(strict: bool) -> axum::Router {
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use shieldwall_axum::{Json, ShieldwallLayer};

    axum::Router::new()
        .route(
            "/orders/42",
            get(|| async { (StatusCode::NOT_FOUND, Json(order_json())) }),
        )
        .route(
            "/orders/42/confirm",
            post(|| async { Err::<(), _>(conflict()) }),
        )
        .route(
            "/orders/42/archive",
            post(|| async { Err::<(), _>(storage_full()) }),
        )
        .route(
            "/text-404",
            get(|| async { (StatusCode::NOT_FOUND, format!("no order {SECRET}")) }),
        )
        .route(
            "/json-500",
            get(|| async {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(serde_json::json!({"error": format!("db {SECRET}")})),
                )
            }),
        )
        .layer(ShieldwallLayer::with_perimeter(perimeter(strict)))
}

fn actix_answers(strict: bool, cases: &[Case]) -> Vec<shieldwall_testkit::Observed> {
    use actix_web::{App, HttpResponse, http::StatusCode};
    use shieldwall_actix::{Shieldwall, resource};

    let app = App::new()
        .service(
            resource("/orders/42")
                .get(|| async { HttpResponse::build(StatusCode::NOT_FOUND).json(order_json()) }),
        )
        .service(
            resource("/orders/42/confirm").post(|| async { Err::<HttpResponse, _>(conflict()) }),
        )
        .service(
            resource("/orders/42/archive")
                .post(|| async { Err::<HttpResponse, _>(storage_full()) }),
        )
        .service(resource("/text-404").get(|| async {
            HttpResponse::build(StatusCode::NOT_FOUND)
                .content_type("text/plain")
                .body(format!("no order {SECRET}"))
        }))
        .service(resource("/json-500").get(|| async {
            HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR)
                .json(serde_json::json!({"error": format!("db {SECRET}")}))
        }))
        .wrap(Shieldwall::with_perimeter(perimeter(strict)));
    through_actix(app, cases)
}

fn problem(status: u16, code: &str, title: &str, slug: &str, id: &str) -> Expect {
    Expect::problem(status, code)
        .request_id(id)
        .json(serde_json::json!({
            "type": format!("{TYPES}{slug}"),
            "title": title,
            "status": status,
            "code": code,
            "request_id": id,
        }))
}

/// The cases both perimeters answer alike.
fn common() -> Vec<Case> {
    vec![
        Case::new(
            "a custom 409 problem, with its detail, header and request id",
            TestRequest::post("/orders/42/confirm").header("x-request-id", "req-conflict"),
            Expect::problem(409, "ORDER_CONFLICT")
                .request_id("req-conflict")
                .header("x-order-version", "7")
                .header("content-type", "application/problem+json")
                .json(serde_json::json!({
                    "type": format!("{TYPES}order-conflict"),
                    "title": "Order conflict",
                    "status": 409,
                    "code": "ORDER_CONFLICT",
                    "detail": "the order was already confirmed",
                    "request_id": "req-conflict",
                })),
        ),
        Case::new(
            "a custom 5xx problem loses its detail; its source stays in the logs",
            TestRequest::post("/orders/42/archive").header("x-request-id", "req-full"),
            problem(
                507,
                "STORAGE_FULL",
                "Storage full",
                "storage-full",
                "req-full",
            )
            .never(SECRET)
            .never("ENOSPC"),
        ),
        Case::new(
            "a handler's plain-text 404 is replaced",
            TestRequest::get("/text-404").header("x-request-id", "req-text"),
            problem(404, "NOT_FOUND", "Not found", "not-found", "req-text").never(SECRET),
        ),
        Case::new(
            "a handler's JSON 500 is replaced",
            TestRequest::get("/json-500").header("x-request-id", "req-500"),
            problem(
                500,
                "INTERNAL_ERROR",
                "Internal server error",
                "internal-error",
                "req-500",
            )
            .never(SECRET),
        ),
        Case::new(
            "the framework's own 404 is shieldwall's, with the perimeter's type",
            TestRequest::get("/nope").header("x-request-id", "req-nope"),
            problem(404, "NOT_FOUND", "Not found", "not-found", "req-nope"),
        ),
        Case::new(
            "the framework's 405 too",
            TestRequest::get("/orders/42/confirm").header("x-request-id", "req-405"),
            problem(
                405,
                "METHOD_NOT_ALLOWED",
                "Method not allowed",
                "method-not-allowed",
                "req-405",
            ),
        ),
    ]
}

#[test]
fn by_default_an_applications_json_error_is_kept() {
    let mut cases = common();
    cases.push(Case::new(
        "a handler's own JSON 404 goes out as written, with a request id",
        TestRequest::get("/orders/42").header("x-request-id", "req-order"),
        Expect::status(404)
            .request_id("req-order")
            .header("content-type", "application/json")
            .json(order_json()),
    ));
    let axum = through_axum(axum_app(false), &cases);
    let actix = actix_answers(false, &cases);
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}

#[test]
fn a_strict_perimeter_replaces_it() {
    let mut cases = common();
    cases.push(Case::new(
        "a handler's own JSON 404 becomes NOT_FOUND",
        TestRequest::get("/orders/42").header("x-request-id", "req-order"),
        problem(404, "NOT_FOUND", "Not found", "not-found", "req-order").never("order 42"),
    ));
    let axum = through_axum(axum_app(true), &cases);
    let actix = actix_answers(true, &cases);
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}

#[test]
fn without_a_base_the_type_is_about_blank() {
    let cases = [Case::new(
        "about:blank names no library and no version",
        TestRequest::post("/confirm").header("x-request-id", "req-blank"),
        Expect::problem(409, "ORDER_CONFLICT")
            .request_id("req-blank")
            .never("docs.rs")
            .never("shieldwall"),
    )];
    let axum = through_axum(
        axum::Router::new()
            .route(
                "/confirm",
                axum::routing::post(|| async { Err::<(), _>(conflict()) }),
            )
            .layer(shieldwall_axum::ShieldwallLayer::new()),
        &cases,
    );
    let actix = through_actix(
        actix_web::App::new()
            .service(
                shieldwall_actix::resource("/confirm")
                    .post(|| async { Err::<actix_web::HttpResponse, _>(conflict()) }),
            )
            .wrap(shieldwall_actix::Shieldwall::new()),
        &cases,
    );
    for (name, observed) in [("axum", &axum[0]), ("actix", &actix[0])] {
        assert_eq!(observed.json().unwrap()["type"], "about:blank", "{name}");
    }
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}
