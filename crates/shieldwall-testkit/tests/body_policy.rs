//! `Json` and `Valid<Json<T>>` read one `BodyPolicy`, from one place, on
//! both adapters: a limit or a depth set for the route holds for both (`Json`
//! used to read another type and ignore the route's policy); `T`'s rules and
//! the key rule are `Valid`'s only. One case table, both frameworks.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use shieldwall_core::BodyPolicy;
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};
use shieldwall_validate::{Sanitize, Validate};

/// Derived through the re-export of `validator`.
#[derive(serde::Deserialize, Validate)]
#[validate(crate = "shieldwall_validate::validator")]
#[allow(dead_code)]
struct Note {
    title: serde_json::Value,
    #[validate(range(max = 10))]
    n: Option<u8>,
}

impl Sanitize for Note {}

fn axum_answers(policy: Option<BodyPolicy>, cases: &[Case]) -> Vec<Observed> {
    use axum::routing::post;
    use http::StatusCode;
    use shieldwall_axum::{Json, Valid};

    let app = axum::Router::new()
        .route(
            "/plain",
            post(|Json(_): Json<serde_json::Value>| async { StatusCode::OK }),
        )
        .route(
            "/valid",
            post(|Valid(Json(_)): Valid<Json<Note>>| async { StatusCode::OK }),
        );
    let app = match policy {
        Some(policy) => app.layer(axum::Extension(policy)),
        None => app,
    };
    through_axum(app.layer(shieldwall_axum::ShieldwallLayer::new()), cases)
}

fn actix_answers(policy: Option<BodyPolicy>, cases: &[Case]) -> Vec<Observed> {
    use actix_web::{App, HttpResponse, web};
    use shieldwall_actix::{Json, Valid};

    async fn plain(_: Json<serde_json::Value>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    async fn valid(_: Valid<Json<Note>>) -> HttpResponse {
        HttpResponse::Ok().finish()
    }
    let mut app = App::new();
    if let Some(policy) = policy {
        app = app.app_data(policy);
    }
    let app = app
        .route("/plain", web::post().to(plain))
        .route("/valid", web::post().to(valid))
        .wrap(shieldwall_actix::Shieldwall::new());
    through_actix(app, cases)
}

fn post(path: &str, body: &str) -> TestRequest {
    TestRequest::post(path).json(body)
}

fn both(policy: Option<BodyPolicy>, cases: &[Case]) {
    let axum = axum_answers(policy, cases);
    let actix = actix_answers(policy, cases);
    assert_cases(&[("axum", axum), ("actix", actix)], cases);
}

#[test]
fn every_json_extractor_reads_the_routes_one_policy() {
    let long = format!(r#"{{"title": "{}"}}"#, "a".repeat(40));
    let deep = r#"{"title": [[1]]}"#;
    let mut defaults = Vec::new();
    for path in ["/plain", "/valid"] {
        defaults.push(Case::new(
            "defaults: 40 bytes pass",
            post(path, &long),
            Expect::status(200),
        ));
        defaults.push(Case::new(
            "defaults: depth 3 passes",
            post(path, deep),
            Expect::status(200),
        ));
    }
    both(None, &defaults);

    let policy = BodyPolicy::builder()
        .limit(32)
        .max_depth(2)
        .build()
        .unwrap();
    let mut strict = Vec::new();
    for path in ["/plain", "/valid"] {
        strict.push(Case::new(
            "the route's limit holds",
            post(path, &long),
            Expect::problem(413, "PAYLOAD_TOO_LARGE"),
        ));
        strict.push(Case::new(
            "the route's depth holds",
            post(path, deep),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ));
        strict.push(Case::new(
            "within both",
            post(path, r#"{"title": [1]}"#),
            Expect::status(200),
        ));
    }
    // `T`'s own rules are `Valid`'s only.
    let out_of_range = r#"{"title": 1, "n": 11}"#;
    strict.push(Case::new(
        "Json: no rules",
        post("/plain", out_of_range),
        Expect::status(200),
    ));
    strict.push(Case::new(
        "Valid: T's rules",
        post("/valid", out_of_range),
        Expect::problem(400, "VALIDATION_FAILED"),
    ));
    // The key rule is `Valid`'s: `Json` reads keys as data.
    let operator = r#"{"title": {"$gt": ""}}"#;
    strict.push(Case::new(
        "Json: keys are data",
        post("/plain", operator),
        Expect::status(200),
    ));
    strict.push(Case::new(
        "Valid: operator keys refused",
        post("/valid", operator),
        Expect::problem(400, "VALIDATION_FAILED"),
    ));
    both(Some(policy), &strict);
}
