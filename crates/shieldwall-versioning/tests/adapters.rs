//! The same versioning answers through axum and actix-web (status, headers,
//! body), the `ApiVersion` extractor in handlers, and one operation mounted
//! under every version with its guards attached to it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::{Duration, UNIX_EPOCH};

use shieldwall_core::{Decision, Grant, Guard, Principal, RequestView, Scoped, Step};
use shieldwall_errors::ErrorCode;
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};
use shieldwall_versioning::{Deprecation, VersionPolicy, utc_date};

const KEY: &str = "open-sesame";
const SUNSET: &str = "Tue, 01 Jan 2030 00:00:00 GMT";
const SUCCESSOR: &str = "<https://api.example.com/v2/>; rel=\"successor-version\"";

/// `/api/v1` (deprecated) and `/api/v2` in the path.
fn by_path() -> VersionPolicy {
    VersionPolicy::from_path("/api")
        .deprecated(
            1,
            Deprecation::since(UNIX_EPOCH + Duration::from_secs(1_688_169_599))
                .sunset(utc_date(2030, 1, 1).unwrap())
                .successor("https://api.example.com/v2/"),
        )
        .supports(2)
        .build()
        .unwrap()
}

/// Under `/h`: `API-Version: 1` or `2`, 2 when absent.
fn by_header() -> Scoped<VersionPolicy> {
    let policy = VersionPolicy::from_header("api-version")
        .supports(1)
        .supports(2)
        .default_version(2)
        .build()
        .unwrap();
    Scoped::under("/h", policy).unwrap()
}

/// Under `/m`: `Accept: ...; version=N`, required.
fn by_media_type() -> Scoped<VersionPolicy> {
    let policy = VersionPolicy::from_media_type_param("version")
        .supports(1)
        .supports(2)
        .build()
        .unwrap();
    Scoped::under("/m", policy).unwrap()
}

/// The operation's own check: 401 without `X-Demo-Key: open-sesame`.
struct RequireKey;

impl Guard for RequireKey {
    type Input = ();

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<()> {
        Step::Done(match request.single_header("x-demo-key") {
            Ok(Some(key)) if key == KEY.as_bytes() => {
                Decision::allow(Grant::new().with_principal(Principal::user("demo")))
            }
            Ok(Some(_)) => Decision::reject(ErrorCode::InvalidApiKey),
            Ok(None) => Decision::reject(ErrorCode::ApiKeyRequired),
            Err(_) => Decision::reject(ErrorCode::MalformedRequest),
        })
    }

    async fn decide(&self, _: ()) -> Decision {
        Decision::pass()
    }
}

fn version_json(version: shieldwall_core::Version) -> serde_json::Value {
    serde_json::json!({ "version": version.to_string(), "major": version.major() })
}

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::routing::{MethodRouter, get};
    use shieldwall_axum::{ApiVersion, GuardLayer, Json, ShieldwallLayer};

    async fn show(ApiVersion(version): ApiVersion) -> Json<serde_json::Value> {
        Json(version_json(version))
    }

    pub(super) fn app() -> Router {
        let policy = by_path();
        // One operation, its guard attached to it, mounted under every version.
        let things: MethodRouter = get(show).route_layer(GuardLayer::new(RequireKey));
        let mut router = Router::new();
        for path in policy.paths("/things") {
            router = router.route(&path, things.clone());
        }
        router
            .route("/h/things", get(show))
            .route("/m/things", get(show))
            .route("/unversioned", get(show))
            .layer(GuardLayer::new(by_media_type()))
            .layer(GuardLayer::new(by_header()))
            .layer(GuardLayer::new(policy))
            .layer(ShieldwallLayer::new())
    }
}

mod actix_app {
    use std::sync::Arc;

    use super::*;
    use actix_web::App;
    use shieldwall_actix::{ApiVersion, GuardMiddleware, Json, Shieldwall, resource};

    async fn show(ApiVersion(version): ApiVersion) -> Json<serde_json::Value> {
        Json(version_json(version))
    }

    /// The same app as axum's, and its answers to `cases`.
    pub(super) fn answers(cases: &[Case]) -> Vec<Observed> {
        let policy = by_path();
        let require_key = Arc::new(RequireKey);
        let mut app = App::new();
        // One operation, its guard attached to it, mounted under every version.
        for path in policy.paths("/things") {
            app = app.service(
                resource(&path)
                    .get(show)
                    .wrap_routes(GuardMiddleware::from_arc(Arc::clone(&require_key))),
            );
        }
        let app = app
            .service(resource("/h/things").get(show))
            .service(resource("/m/things").get(show))
            .service(resource("/unversioned").get(show))
            .wrap(GuardMiddleware::new(by_media_type()))
            .wrap(GuardMiddleware::new(by_header()))
            .wrap(GuardMiddleware::new(policy))
            .wrap(Shieldwall::new());
        through_actix(app, cases)
    }
}

/// A deprecated version's three headers.
fn deprecated(expect: Expect) -> Expect {
    expect
        .header_values("deprecation", &["@1688169599"])
        .header_values("sunset", &[SUNSET])
        .header_values("link", &[SUCCESSOR])
}

/// No deprecation headers at all.
fn current(expect: Expect) -> Expect {
    expect
        .no_header("deprecation")
        .no_header("sunset")
        .no_header("link")
}

fn v(major: u32) -> serde_json::Value {
    serde_json::json!({ "version": format!("v{major}"), "major": major })
}

fn cases() -> Vec<Case> {
    let keyed = |path: &str| TestRequest::get(path).header("x-demo-key", KEY);
    let many_params = {
        let mut accept = String::from("application/json");
        for i in 0..200 {
            accept.push_str(&format!("; p{i}=\"a,b;c\""));
        }
        accept.push_str("; version=1");
        accept
    };
    vec![
        Case::new(
            "current version, through its operation's guard",
            keyed("/api/v2/things"),
            current(Expect::status(200).json(v(2))),
        ),
        Case::new(
            "deprecated version: Deprecation, Sunset and successor Link",
            keyed("/api/v1/things"),
            deprecated(Expect::status(200).json(v(1))),
        ),
        Case::new(
            "the old version cannot skip the operation's check",
            TestRequest::get("/api/v1/things"),
            deprecated(Expect::problem(401, "API_KEY_REQUIRED")),
        ),
        Case::new(
            "nor can the new one",
            TestRequest::get("/api/v2/things"),
            current(Expect::problem(401, "API_KEY_REQUIRED")),
        ),
        Case::new(
            "a wrong key on the old version",
            TestRequest::get("/api/v1/things").header("x-demo-key", "hunter2"),
            deprecated(Expect::problem(401, "INVALID_API_KEY")).never("hunter2"),
        ),
        Case::new(
            "unknown version: a fixed answer",
            keyed("/api/v3/things").header("x-request-id", "rid-v3"),
            current(Expect::problem(404, "UNSUPPORTED_VERSION"))
                .request_id("rid-v3")
                .no_header("vary")
                .json(serde_json::json!({
                    "type": "about:blank",
                    "title": ErrorCode::UnsupportedVersion.title(),
                    "status": 404,
                    "code": "UNSUPPORTED_VERSION",
                    "detail": "this API version is not supported",
                    "request_id": "rid-v3",
                })),
        ),
        Case::new(
            "unknown version without credentials: 404 before authentication",
            TestRequest::get("/api/v3/things"),
            Expect::problem(404, "UNSUPPORTED_VERSION"),
        ),
        Case::new(
            "version 0",
            TestRequest::new("DELETE", "/api/v0/things/1"),
            Expect::problem(404, "UNSUPPORTED_VERSION"),
        ),
        Case::new(
            "the largest version number",
            TestRequest::get("/api/v999999999/things"),
            Expect::problem(404, "UNSUPPORTED_VERSION").never("999999999"),
        ),
        Case::new(
            "a number too long to be a version",
            keyed("/api/v99999999999/things"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "encoded slash after the version",
            keyed("/api/v1%2F"),
            Expect::problem(404, "NOT_FOUND").no_header("deprecation"),
        ),
        Case::new(
            "encoded slash inside the path",
            keyed("/api/v1%2Fthings"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "upper-case V",
            keyed("/api/V1/things"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "leading zero",
            keyed("/api/v01/things"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "encoded v",
            keyed("/api/%761/things"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "just v",
            keyed("/api/v/things"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "supported version, unknown route",
            keyed("/api/v2/nothing"),
            Expect::problem(404, "NOT_FOUND"),
        ),
        Case::new(
            "deprecated version, unknown route: the headers still say so",
            keyed("/api/v1/nothing"),
            deprecated(Expect::problem(404, "NOT_FOUND")),
        ),
        Case::new(
            "405 keeps Allow",
            TestRequest::post("/api/v2/things"),
            Expect::problem(405, "METHOD_NOT_ALLOWED").header("allow", "GET,HEAD"),
        ),
        Case::new(
            "ApiVersion on a route no versioning guard covers",
            TestRequest::get("/unversioned"),
            Expect::problem(500, "INTERNAL_ERROR"),
        ),
        Case::new(
            "header: absent, the default",
            TestRequest::get("/h/things"),
            Expect::status(200).json(v(2)).header("vary", "api-version"),
        ),
        Case::new(
            "header: v1",
            TestRequest::get("/h/things").header("api-version", "1"),
            current(Expect::status(200).json(v(1))).header("vary", "api-version"),
        ),
        Case::new(
            "header: unknown version",
            TestRequest::get("/h/things").header("api-version", "7"),
            Expect::problem(404, "UNSUPPORTED_VERSION").header("vary", "api-version"),
        ),
        Case::new(
            "header sent twice",
            TestRequest::get("/h/things")
                .header("api-version", "1")
                .header("api-version", "1"),
            Expect::problem(400, "MALFORMED_REQUEST").header("vary", "api-version"),
        ),
        Case::new(
            "header of non-UTF-8 bytes",
            TestRequest::get("/h/things").header("api-version", b"\xff\xfe1"),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "header of garbage, never echoed",
            TestRequest::get("/h/things").header("api-version", "<svg onload=alert(1)>"),
            Expect::problem(400, "MALFORMED_REQUEST").never("onload"),
        ),
        Case::new(
            "media type parameter",
            TestRequest::get("/m/things").header("accept", "application/json; version=2"),
            Expect::status(200).json(v(2)).header("vary", "accept"),
        ),
        Case::new(
            "media type parameter among many",
            TestRequest::get("/m/things").header("accept", &many_params),
            Expect::status(200).json(v(1)),
        ),
        Case::new(
            "two media ranges naming two versions",
            TestRequest::get("/m/things")
                .header("accept", "application/json; version=1, */*; version=2"),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "no version where one is required",
            TestRequest::get("/m/things").header("accept", "application/json"),
            Expect::problem(400, "MALFORMED_REQUEST").header("vary", "accept"),
        ),
    ]
}

#[test]
fn both_adapters_answer_alike() {
    let cases = cases();
    let axum = through_axum(axum_app::app(), &cases);
    let actix = actix_app::answers(&cases);
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}

/// Security layers attach to the operation: every path the policy mounts
/// the operation at (every supported version, deprecated ones included)
/// runs the same guard stack.
#[test]
fn no_version_of_an_operation_skips_its_guards() {
    let paths = by_path().paths("/things");
    assert_eq!(paths, ["/api/v1/things", "/api/v2/things"]);
    let mut cases = Vec::new();
    for path in &paths {
        cases.push(Case::new(
            "without the key",
            TestRequest::get(path),
            Expect::problem(401, "API_KEY_REQUIRED"),
        ));
        cases.push(Case::new(
            "with the key",
            TestRequest::get(path).header("x-demo-key", KEY),
            Expect::status(200),
        ));
    }
    let axum = through_axum(axum_app::app(), &cases);
    assert_cases(&[("axum", axum)], &cases);
}
