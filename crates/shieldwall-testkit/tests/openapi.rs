//! End to end: the OpenAPI document both example servers serve at
//! `GET /openapi.json`, checked against the routes each server actually has.
//!
//! The document must list exactly the route table of DEMO_API.md (written
//! out here, not read from the document), every operation it lists must be
//! routed (not the router's 404, not a 405), every other method of a
//! documented path must be a 405, undocumented paths must be 404, and what
//! it says of the answers (a bearer 401's `WWW-Authenticate`, the rate-limit
//! headers, a 405's `Allow`) must be what the server sends. The request
//! schemas' bounds (`minimum`, `maximum`, lengths, `minItems`, `enum`,
//! `additionalProperties: false`) must be where each server starts refusing,
//! 403 `HTTPS_REQUIRED` must be listed exactly when the server requires
//! HTTPS, and the CORS preflight the description tells of must be what the
//! server answers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::collections::BTreeSet;

use serde_json::{Value, json};
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
                    check_wrong_method_matches_document(name, &document, path, &answer);
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

/// A 405 on `path`: every operation the document lists there says 405 with
/// `Allow`, the server's `Allow` names exactly those methods (and `HEAD`
/// beside `GET`), and the rate-limit headers are where the document says.
fn check_wrong_method_matches_document(
    name: &str,
    document: &Value,
    path: &str,
    answer: &Observed,
) {
    let what = format!("{name}: 405 on {path}");
    assert_eq!(
        answer.json().map(|body| body["code"].clone()),
        Some(json!("METHOD_NOT_ALLOWED")),
        "{what}: {}",
        answer.text()
    );
    let item = document["paths"][path].as_object().expect("a path item");
    let mut documented: BTreeSet<String> = item.keys().map(|m| m.to_ascii_uppercase()).collect();
    if documented.contains("GET") {
        documented.insert("HEAD".to_owned());
    }
    let allow: BTreeSet<String> = answer
        .header("allow")
        .unwrap_or_else(|| panic!("{what}: no Allow"))
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect();
    assert_eq!(allow, documented, "{what}: Allow");
    for (method, operation) in item {
        let response = &operation["responses"]["405"];
        let described = response["description"].as_str().unwrap_or_default();
        assert!(
            described.contains("`METHOD_NOT_ALLOWED`"),
            "{what}: {method} does not list the 405"
        );
        assert!(response["headers"]["Allow"].is_object(), "{what}: {method}");
        for header in ["RateLimit", "RateLimit-Policy"] {
            assert_eq!(
                answer.header(header).is_some(),
                response["headers"][header].is_object(),
                "{what}: {method} {header}"
            );
        }
    }
}

/// What the server answered a body: refused (400 `VALIDATION_FAILED`
/// naming `field`), accepted (2xx), or something else.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Refused,
    Accepted,
    Other(u16),
}

fn verdict(answer: &Observed, field: &str) -> Verdict {
    let named = answer.json().is_some_and(|body| {
        body["code"] == "VALIDATION_FAILED"
            && body["errors"].as_array().is_some_and(|errors| {
                errors.iter().any(|e| {
                    e["field"]
                        .as_str()
                        .is_some_and(|f| f == field || f.starts_with(&format!("{field}[")))
                })
            })
    });
    match answer.status {
        400 if named => Verdict::Refused,
        200..=299 => Verdict::Accepted,
        status => Verdict::Other(status),
    }
}

/// An answer, briefly: its status, and a problem's code and errors (never
/// an echoed body).
fn summary(answer: &Observed) -> String {
    let body = answer.json().unwrap_or_default();
    format!("{} {} {}", answer.status, body["code"], body["errors"])
}

/// A request body route: its schema's name, a valid body, and how to send one.
struct BodyRoute<'a> {
    schema: &'a str,
    valid: Value,
    send: &'a dyn Fn(&Value) -> Observed,
    /// Whether a valid body is answered 2xx (a login with made-up
    /// credentials is 401: only refusals are checked there).
    accepts: bool,
}

/// Every bound the schema states on a property, tried at the bound and one
/// past it: past it is refused naming the field, at it is accepted.
fn check_bounds(name: &str, document: &Value, route: &BodyRoute<'_>) {
    let schema = &document["components"]["schemas"][route.schema];
    let properties = schema["properties"].as_object().expect("properties");
    let try_with = |field: &str, value: Value, refused: bool| {
        let mut body = route.valid.clone();
        body[field] = value.clone();
        let answer = (route.send)(&body);
        let got = verdict(&answer, field);
        let shown = match value.as_str() {
            Some(text) if text.len() > 16 => format!("{} characters", text.chars().count()),
            _ => value.to_string(),
        };
        let what = format!("{name}: {} {field} = {shown}", route.schema);
        if refused {
            assert_eq!(got, Verdict::Refused, "{what}: {}", summary(&answer));
        } else if route.accepts {
            assert_eq!(got, Verdict::Accepted, "{what}: {}", summary(&answer));
        } else {
            assert_ne!(got, Verdict::Refused, "{what}: {}", summary(&answer));
        }
    };
    for (field, property) in properties {
        if let Some(minimum) = property["minimum"].as_i64() {
            try_with(field, json!(minimum), false);
            try_with(field, json!(minimum - 1), true);
        }
        if let Some(maximum) = property["maximum"].as_u64().filter(|m| *m < u64::MAX) {
            try_with(field, json!(maximum), false);
            try_with(field, json!(maximum + 1), true);
        }
        // Lengths of free text (a format or a pattern needs more than `n`s).
        let free_text = (property["format"].is_null() || property["format"] == "password")
            && property["pattern"].is_null();
        if let Some(min) = property["minLength"].as_u64().filter(|_| free_text) {
            let min = usize::try_from(min).expect("a length");
            try_with(field, json!("n".repeat(min)), false);
            if min > 0 {
                try_with(field, json!("n".repeat(min - 1)), true);
            }
        }
        if let Some(max) = property["maxLength"].as_u64().filter(|_| free_text) {
            let max = usize::try_from(max).expect("a length");
            try_with(field, json!("n".repeat(max)), false);
            try_with(field, json!("n".repeat(max + 1)), true);
        }
        if let Some(min_items) = property["minItems"].as_u64().filter(|m| *m > 0) {
            let allowed = property["items"]["enum"]
                .as_array()
                .expect("an enum of items");
            let min_items = usize::try_from(min_items).expect("a count");
            try_with(field, json!(allowed[..min_items - 1].to_vec()), true);
            for item in allowed {
                try_with(field, json!([item]), false);
            }
            try_with(field, json!(allowed), false);
            try_with(field, json!(["not-listed"]), true);
        }
    }
    // `additionalProperties: false` exactly where an unknown field is refused.
    let mut body = route.valid.clone();
    body["not_a_field"] = json!(1);
    let unknown = verdict(&(route.send)(&body), "not_a_field");
    assert_eq!(
        schema["additionalProperties"] == json!(false),
        unknown == Verdict::Refused,
        "{name}: {} additionalProperties ({unknown:?})",
        route.schema
    );
}

#[test]
fn the_request_schemas_bounds_are_where_both_servers_start_refusing() {
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), &[]).unwrap_or_else(|e| panic!("{e}"));
        let (_, document) = fetch_document(&server);
        let schemas = &document["components"]["schemas"];
        // What DEMO_API.md and keys.rs say, stated here as well as tried below.
        let key = &schemas["CreateKeyRequest"]["properties"];
        assert_eq!(key["expires_in_days"]["minimum"], 1, "{name}");
        assert_eq!(key["expires_in_days"]["maximum"], 365, "{name}");
        assert_eq!(key["scopes"]["minItems"], 1, "{name}");
        assert_eq!(
            key["scopes"]["items"]["enum"],
            json!(["users:read", "users:write", "transfers:write"]),
            "{name}"
        );
        for schema in [
            "LoginRequest",
            "CreateKeyRequest",
            "CreateUserRequest",
            "TransferRequest",
        ] {
            assert_eq!(
                schemas[schema]["additionalProperties"], false,
                "{name}: {schema}"
            );
        }

        let bearer = server
            .bearer("alice@example.com", "alice-password-1")
            .unwrap_or_else(|e| panic!("{e}"));
        let post = |path: &str, body: &Value, credential: (&str, &str)| {
            server
                .send(
                    &TestRequest::post(path)
                        .header(credential.0, credential.1)
                        .json(&body.to_string()),
                )
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let create_key =
            |body: &Value| post("/api/v1/protected/keys", body, ("authorization", &bearer));
        // The answers at the bounds, for the record: 0 and 366 days are refused.
        for days in [0, 366] {
            let answer = create_key(&json!({ "expires_in_days": days }));
            assert_eq!(
                verdict(&answer, "expires_in_days"),
                Verdict::Refused,
                "{name}: {days}"
            );
        }
        check_bounds(
            name,
            &document,
            &BodyRoute {
                schema: "CreateKeyRequest",
                valid: json!({}),
                send: &create_key,
                accepts: true,
            },
        );

        let writer = create_key(&json!({ "scopes": ["users:write"] }));
        let api_key = writer.json().expect("a created key")["key"]
            .as_str()
            .expect("the key")
            .to_owned();
        let create_user = |body: &Value| post("/api/v1/users", body, ("x-api-key", &api_key));
        check_bounds(
            name,
            &document,
            &BodyRoute {
                schema: "CreateUserRequest",
                valid: json!({ "email": "new@example.com", "name": "New" }),
                send: &create_user,
                accepts: true,
            },
        );

        // The query of `GET /api/v1/users`: each integer parameter at its
        // bounds and one past them.
        let reader = create_key(&json!({ "scopes": ["users:read"] }));
        let read_key = reader.json().expect("a created key")["key"]
            .as_str()
            .expect("the key")
            .to_owned();
        let parameters = document["paths"]["/api/v1/users"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        for parameter in parameters {
            let field = parameter["name"].as_str().expect("a name");
            let schema = &parameter["schema"];
            let (Some(minimum), Some(maximum)) =
                (schema["minimum"].as_u64(), schema["maximum"].as_u64())
            else {
                continue;
            };
            for (value, refused) in [(minimum, false), (maximum, false), (maximum + 1, true)]
                .into_iter()
                .chain((minimum > 0).then_some((minimum - 1, true)))
            {
                let answer = server
                    .send(
                        &TestRequest::get(&format!("/api/v1/users?{field}={value}"))
                            .header("x-api-key", &read_key),
                    )
                    .unwrap_or_else(|e| panic!("{e}"));
                let expected = if refused {
                    Verdict::Refused
                } else {
                    Verdict::Accepted
                };
                assert_eq!(
                    verdict(&answer, field),
                    expected,
                    "{name}: ?{field}={value}: {}",
                    answer.text()
                );
            }
        }

        let login = |body: &Value| {
            server
                .send(&TestRequest::post("/api/v1/auth/login").json(&body.to_string()))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        check_bounds(
            name,
            &document,
            &BodyRoute {
                schema: "LoginRequest",
                valid: json!({ "email": "nobody@example.com", "password": "wrong" }),
                send: &login,
                accepts: false,
            },
        );
    }
}

#[test]
fn https_required_is_documented_exactly_when_the_server_requires_it() {
    let mut documents = Vec::new();
    for name in SERVERS {
        let plain = ServerProcess::start(&binary(name), &[]).unwrap_or_else(|e| panic!("{e}"));
        let (_, document) = fetch_document(&plain);
        assert!(
            !document["paths"].to_string().contains("HTTPS_REQUIRED"),
            "{name}: HTTPS_REQUIRED listed while HTTP is allowed"
        );

        // Behind a trusted proxy that says the request came over HTTPS.
        let server = ServerProcess::start(
            &binary(name),
            &[
                ("SHIELDWALL_REQUIRE_HTTPS", "true"),
                ("SHIELDWALL_TRUSTED_PROXIES", "127.0.0.1/32"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let answer = server
            .send(&TestRequest::get("/openapi.json").header("x-forwarded-proto", "https"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status, 200, "{name}: {}", answer.text());
        let document: Value = serde_json::from_slice(&answer.body).expect("JSON");
        for (method, path) in documented(&document) {
            let forbidden =
                &document["paths"][&path][method.to_ascii_lowercase()]["responses"]["403"];
            let described = forbidden["description"].as_str().unwrap_or_default();
            assert!(
                described.contains("`HTTPS_REQUIRED`"),
                "{name}: {method} {path} does not list 403 HTTPS_REQUIRED"
            );
            // Over plain HTTP, every route answers it: /health and this document too.
            let answer = server
                .send(&TestRequest::new(&method, &concrete(&path)))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(answer.status, 403, "{name}: {method} {path}");
            assert_eq!(
                answer.json().map(|body| body["code"].clone()),
                Some(json!("HTTPS_REQUIRED")),
                "{name}: {method} {path}"
            );
        }
        documents.push(answer.body);
    }
    assert!(
        documents[0] == documents[1],
        "the servers' documents differ"
    );
}

#[test]
fn cors_preflights_are_described_not_listed_and_answered_as_described() {
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), &[]).unwrap_or_else(|e| panic!("{e}"));
        let (_, document) = fetch_document(&server);
        let description = document["info"]["description"].as_str().unwrap_or_default();
        for said in ["preflight", "204", "`CORS_FORBIDDEN`", "405"] {
            assert!(
                description.contains(said),
                "{name}: the description lacks {said}"
            );
        }
        for (path, item) in document["paths"].as_object().expect("paths") {
            assert!(item["options"].is_null(), "{name}: OPTIONS {path} listed");
            let preflight = |origin: &str| {
                server
                    .send(
                        &TestRequest::new("OPTIONS", &concrete(path))
                            .header("origin", origin)
                            .header("access-control-request-method", "GET"),
                    )
                    .unwrap_or_else(|e| panic!("{e}"))
            };
            let allowed = preflight("https://myapp.com");
            assert_eq!(allowed.status, 204, "{name}: {path}: {}", allowed.text());
            assert_eq!(
                allowed.header("access-control-allow-origin").as_deref(),
                Some("https://myapp.com"),
                "{name}: {path}"
            );
            let refused = preflight("https://evil.example");
            assert_eq!(refused.status, 403, "{name}: {path}");
            assert_eq!(
                refused.json().map(|body| body["code"].clone()),
                Some(json!("CORS_FORBIDDEN")),
                "{name}: {path}"
            );
            assert_eq!(
                refused.header("access-control-allow-origin"),
                None,
                "{name}"
            );
            // Not a preflight: a method the path lacks, which the document lists.
            let plain = server
                .send(&TestRequest::new("OPTIONS", &concrete(path)))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(plain.status, 405, "{name}: {path}");
            check_wrong_method_matches_document(name, &document, path, &plain);
        }
        // Any other request from an origin not allowed is answered, without CORS headers.
        let answer = server
            .send(&TestRequest::get("/health").header("origin", "https://evil.example"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(answer.status, 200, "{name}");
        assert_eq!(answer.header("access-control-allow-origin"), None, "{name}");
    }
}
