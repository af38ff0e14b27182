//! A `Guards` stack runs in the order it was written, on both adapters:
//! the first guard sees the request first, a later one sees what an earlier
//! one attached, and the answer is the same on axum and actix-web.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use http::{HeaderName, HeaderValue};
use shieldwall_core::{Decision, Grant, Guard, Guards, Principal, RequestView, Step};
use shieldwall_errors::ErrorCode;
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::{Case, Expect, TestRequest, assert_cases};

/// Identifies the caller from `X-User` (refusing without one) and notes its
/// turn in `X-Order`.
struct Identify;

impl Guard for Identify {
    type Input = String;

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<String> {
        match request.single_header("x-user") {
            Ok(Some(user)) => Step::Decide(String::from_utf8_lossy(user).into_owned()),
            _ => Step::Done(Decision::reject(ErrorCode::ApiKeyRequired)),
        }
    }

    async fn decide(&self, user: String) -> Decision {
        Decision::allow(
            Grant::new()
                .with_principal(Principal::user(user))
                .with_header(order(), HeaderValue::from_static("identify")),
        )
    }
}

/// Lets through only a request an earlier guard identified as `alice`.
struct OnlyAlice;

impl Guard for OnlyAlice {
    type Input = ();

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<()> {
        match request.principal().as_ref().map(Principal::id) {
            Some("alice") => Step::Decide(()),
            Some(_) => Step::Done(Decision::reject(ErrorCode::InsufficientScope)),
            None => Step::Done(Decision::reject(ErrorCode::InternalError)),
        }
    }

    async fn decide(&self, (): ()) -> Decision {
        Decision::allow(Grant::new().with_header(order(), HeaderValue::from_static("only-alice")))
    }
}

fn order() -> HeaderName {
    HeaderName::from_static("x-order")
}

fn axum_app() -> axum::Router {
    use axum::routing::get;
    use shieldwall_axum::{GuardsLayer, ShieldwallLayer};

    let right = GuardsLayer::new(Guards::new().then(Identify).then(OnlyAlice));
    let wrong = GuardsLayer::new(Guards::new().then(OnlyAlice).then(Identify));
    axum::Router::new()
        .route("/right", get(|| async { "in" }).route_layer(right))
        .route("/wrong", get(|| async { "in" }).route_layer(wrong))
        .layer(ShieldwallLayer::new())
}

fn actix_answers(cases: &[Case]) -> Vec<shieldwall_testkit::Observed> {
    use shieldwall_actix::{GuardsMiddleware, Shieldwall, resource};

    let right = GuardsMiddleware::new(Guards::new().then(Identify).then(OnlyAlice));
    let wrong = GuardsMiddleware::new(Guards::new().then(OnlyAlice).then(Identify));
    let app = actix_web::App::new()
        .service(resource("/right").get(|| async { "in" }).wrap_routes(right))
        .service(resource("/wrong").get(|| async { "in" }).wrap_routes(wrong))
        .wrap(Shieldwall::new());
    through_actix(app, cases)
}

#[test]
fn a_stack_runs_in_the_order_it_was_written() {
    let cases = [
        Case::new(
            "identified, then checked: alice is let in; each guard's header on the answer, the inner one first",
            TestRequest::get("/right").header("x-user", "alice"),
            Expect::status(200).header_values("x-order", &["only-alice", "identify"]),
        ),
        Case::new(
            "identified, then checked: bob is refused by the second guard; the first one's grant headers are on the refusal too",
            TestRequest::get("/right").header("x-user", "bob"),
            Expect::problem(403, "INSUFFICIENT_SCOPE").header_values("x-order", &["identify"]),
        ),
        Case::new(
            "the first guard refuses before the second runs",
            TestRequest::get("/right"),
            Expect::problem(401, "API_KEY_REQUIRED"),
        ),
        Case::new(
            "the same guards the other way round: the check runs before anyone is identified",
            TestRequest::get("/wrong").header("x-user", "alice"),
            Expect::problem(500, "INTERNAL_ERROR"),
        ),
        Case::new(
            "a wrong method is told apart before any guard",
            TestRequest::post("/right"),
            Expect::problem(405, "METHOD_NOT_ALLOWED"),
        ),
    ];
    let axum = through_axum(axum_app(), &cases);
    let actix = actix_answers(&cases);
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}

#[test]
fn a_stack_counts_its_guards() {
    let stack = Guards::new().then(Identify).then(OnlyAlice);
    assert_eq!(stack.len(), 2);
    assert!(Guards::new().is_empty());
}
