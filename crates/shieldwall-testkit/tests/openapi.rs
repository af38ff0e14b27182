//! End to end: the OpenAPI document both example servers serve at
//! `GET /openapi.json`, checked against the routes each server actually has.
//!
//! The document must list exactly the route table of DEMO_API.md (written
//! out here, not read from the document), every operation it lists must be
//! routed (not the router's 404, not a 405), every other method of a
//! documented path must be a 405, undocumented paths must be 404, and what
//! it says of the answers (a bearer 401's `WWW-Authenticate`, the rate-limit
//! headers) must be what the server sends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::collections::BTreeSet;

use serde_json::Value;
use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{Observed, TestRequest};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];

/// DEMO_API.md's route table, with `/openapi.json` itself.
const ROUTES: [(&str, &str); 11] = [
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/protected/me"),
    ("POST", "/api/v1/protected/keys"),
    ("GET", "/api/v1/protected/keys"),
    ("DELETE", "/api/v1/protected/keys/{id}"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("POST", "/api/v1/transfers"),
];

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

fn concrete(path: &str) -> String {
    path.replace("{id}", "key_does_not_exist")
}

fn is_route_miss(answer: &Observed) -> bool {
    answer.status == 404
        && answer
            .json()
            .is_some_and(|body| body["code"] == "NOT_FOUND")
}

fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("a path item").keys() {
            if METHODS.contains(&method.to_ascii_uppercase().as_str()) {
                operations.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    operations
}

fn fetch_document(server: &ServerProcess) -> (Vec<u8>, Value) {
    let answer = server
        .send(&TestRequest::get("/openapi.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let name = server.name();
    assert_eq!(answer.status, 200, "{name}: {}", answer.text());
    let content_type = answer.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{name}: content-type {content_type:?}"
    );
    // Public and uncounted: outside `/api`, like `/health`.
    assert_eq!(answer.header("ratelimit"), None, "{name}");
    assert!(answer.header("x-request-id").is_some(), "{name}");
    let document: Value = serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("{name}: /openapi.json is not JSON: {e}"));
    (answer.body, document)
}

fn check_document_shape(name: &str, document: &Value) {
    let version = document["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3.1."), "{name}: openapi {version:?}");
    assert!(document["info"]["title"].is_string(), "{name}");
    assert!(document["info"]["version"].is_string(), "{name}");
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["in"], "header", "{name}");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key", "{name}");
    assert_eq!(schemes["bearer"]["scheme"], "bearer", "{name}");
    let codes = document["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .expect("the problem codes");
    for code in [
        "RATE_LIMITED",
        "INVALID_API_KEY",
        "TOKEN_REVOKED",
        "INSUFFICIENT_SCOPE",
    ] {
        assert!(codes.iter().any(|c| c == code), "{name}: {code}");
    }
    // Every operation says what secures it, and every error answer is a problem.
    for (method, path) in documented(document) {
        let operation = &document["paths"][&path][method.to_ascii_lowercase()];
        assert!(operation["security"].is_array(), "{name}: {method} {path}");
        for (status, response) in operation["responses"].as_object().expect("responses") {
            assert!(
                response["headers"]["X-Request-Id"].is_object(),
                "{name}: {method} {path} {status}"
            );
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{name}: {method} {path} {status}"
                );
            }
        }
    }
}

/// What the server answers a request without credentials must be what the
/// document says of that operation.
fn check_answer_matches_document(
    name: &str,
    document: &Value,
    method: &str,
    path: &str,
    answer: &Observed,
) {
    let operation = &document["paths"][path][method.to_ascii_lowercase()];
    let what = format!("{name}: {method} {path} answered {}", answer.status);
    let security = operation["security"].as_array().expect("security");
    if security.is_empty() {
        assert_ne!(answer.status, 401, "{what}");
    } else {
        // Behind a key or a token: without one, 401, which the document lists.
        assert_eq!(answer.status, 401, "{what}: {}", answer.text());
        let documented = &operation["responses"]["401"];
        assert!(documented.is_object(), "{what}: 401 not documented");
        assert_eq!(
            answer.header("www-authenticate").is_some(),
            documented["headers"]["WWW-Authenticate"].is_object(),
            "{what}: WWW-Authenticate"
        );
    }
    let status = answer.status.to_string();
    let response = &operation["responses"][&status];
    assert!(response.is_object(), "{what}: {status} not documented");
    for header in ["RateLimit", "RateLimit-Policy"] {
        assert_eq!(
            answer.header(header).is_some(),
            response["headers"][header].is_object(),
            "{what}: {header}"
        );
    }
}

#[test]
fn both_servers_serve_one_document_that_matches_their_routes() {
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    let mut served = Vec::new();
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), &[]).unwrap_or_else(|e| panic!("{e}"));
        let (bytes, document) = fetch_document(&server);
        check_document_shape(name, &document);
        assert_eq!(documented(&document), expected, "{name}");

        let paths: BTreeSet<&str> = ROUTES.iter().map(|(_, path)| *path).collect();
        for path in paths {
            for method in METHODS {
                let answer = server
                    .send(&TestRequest::new(method, &concrete(path)))
                    .unwrap_or_else(|e| panic!("{e}"));
                let what = format!("{name}: {method} {path} answered {}", answer.status);
                if expected.contains(&(method.to_owned(), path.to_owned())) {
                    assert!(!is_route_miss(&answer), "{what}: {}", answer.text());
                    assert_ne!(answer.status, 405, "{what}");
                    check_answer_matches_document(name, &document, method, path, &answer);
                } else {
                    // A method the document does not list is not routed.
                    assert_eq!(answer.status, 405, "{what}: {}", answer.text());
                }
            }
        }

        for path in [
            "/api/v1/nope",
            "/openapi.yaml",
            "/openapi",
            "/api/openapi.json",
            "/api/v1/openapi.json",
            "/api/v1/protected",
            "/api/v1/users/someone",
        ] {
            let answer = server
                .send(&TestRequest::get(path))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                is_route_miss(&answer),
                "{name}: GET {path} answered {} {}",
                answer.status,
                answer.text()
            );
        }
        served.push((name, bytes));
    }
    let (first, first_bytes) = &served[0];
    for (name, bytes) in &served[1..] {
        assert!(
            bytes == first_bytes,
            "{first} and {name} serve different documents"
        );
    }
}
