use std::collections::BTreeSet;

use serde_json::{Value, json};
use shieldwall_errors::{CustomCode, ErrorCode};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::{Info, OpenApi, PathsBuilder, ResponseBuilder};

use crate::{
    CORS_PREFLIGHT_DESCRIPTION, OpenApiConfigError, Protection, SharedResponses, install,
    install_with_codes, problem_response,
};

fn document(method: HttpMethod, own: &[(&str, &str)]) -> OpenApi {
    let mut operation = OperationBuilder::new();
    for (status, description) in own {
        operation = operation.response(*status, ResponseBuilder::new().description(*description));
    }
    OpenApi::new(
        Info::new("test", "0.0.0"),
        PathsBuilder::new().path("/op", PathItem::new(method, operation.build())),
    )
}

fn protect(protection: &Protection, own: &[(&str, &str)]) -> Value {
    let mut openapi = document(HttpMethod::Post, own);
    protection
        .apply_to(&mut openapi, HttpMethod::Post, "/op")
        .unwrap();
    let json: Value = serde_json::from_str(&openapi.to_json().unwrap()).unwrap();
    json["paths"]["/op"]["post"].clone()
}

fn statuses(operation: &Value) -> Vec<String> {
    operation["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn headers(operation: &Value, status: &str) -> BTreeSet<String> {
    operation["responses"][status]["headers"]
        .as_object()
        .map(|h| h.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn the_problem_schema_names_every_error_code_and_nothing_else() {
    let mut openapi = document(HttpMethod::Get, &[]);
    install(&mut openapi);
    let json: Value = serde_json::from_str(&openapi.to_json().unwrap()).unwrap();
    let problem = &json["components"]["schemas"]["Problem"];
    let codes: Vec<&str> = problem["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let expected: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes, expected);
    assert_eq!(codes.len(), 22);
    assert!(codes.contains(&"RATE_LIMITED") && codes.contains(&"INSUFFICIENT_SCOPE"));
    assert_eq!(
        problem["required"],
        json!(["type", "title", "status", "code", "request_id"])
    );
    assert_eq!(
        problem["properties"]["errors"]["items"]["$ref"],
        "#/components/schemas/FieldError"
    );
    assert_eq!(
        json["components"]["schemas"]["FieldError"]["required"],
        json!(["field", "code", "message"])
    );
}

#[test]
fn an_applications_own_codes_join_the_enumeration() {
    let conflict = CustomCode::new(409, "ORDER_CONFLICT", "Order conflict").unwrap();
    let mut openapi = document(HttpMethod::Get, &[]);
    install_with_codes(&mut openapi, [conflict]);
    let json: Value = serde_json::from_str(&openapi.to_json().unwrap()).unwrap();
    let codes = json["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(codes.len(), ErrorCode::ALL.len() + 1);
    assert_eq!(codes.last().unwrap(), "ORDER_CONFLICT");
}

#[test]
fn the_security_schemes_are_the_api_key_header_and_a_jwt_bearer() {
    let mut openapi = document(HttpMethod::Get, &[]);
    install(&mut openapi);
    let json: Value = serde_json::from_str(&openapi.to_json().unwrap()).unwrap();
    let schemes = &json["components"]["securitySchemes"];
    assert_eq!(schemes["api_key"]["type"], "apiKey");
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
}

#[test]
fn a_key_protected_rate_limited_json_operation_gets_exactly_its_refusals_and_headers() {
    let protection = Protection::new()
        .api_key(["users:write"])
        .unwrap()
        .rate_limited()
        .json_body();
    assert_eq!(protection.statuses(), [400, 401, 403, 413, 415, 429, 503]);
    let operation = protect(&protection, &[("201", "Created.")]);
    assert_eq!(
        statuses(&operation),
        ["201", "400", "401", "403", "413", "415", "429", "503"]
    );
    assert_eq!(
        operation["security"],
        json!([{ "api_key": ["users:write"] }])
    );
    let every = ["X-Request-Id", "RateLimit", "RateLimit-Policy"];
    for status in ["201", "400", "401", "403", "413", "415"] {
        assert_eq!(headers(&operation, status), set(&every), "{status}");
    }
    assert_eq!(
        headers(&operation, "429"),
        set(&[&every[..], &["Retry-After"]].concat())
    );
    assert_eq!(
        headers(&operation, "503"),
        set(&[&every[..], &["Retry-After"]].concat())
    );
    for status in ["400", "401", "403", "413", "415", "429", "503"] {
        let response = &operation["responses"][status];
        assert_eq!(
            response["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{status}"
        );
        assert_eq!(response["content"].as_object().unwrap().len(), 1);
    }
    assert!(operation["responses"]["201"]["content"].is_null());
    let described = |status: &str| operation["responses"][status]["description"].clone();
    assert!(
        described("401")
            .as_str()
            .unwrap()
            .contains("`INVALID_API_KEY`")
    );
    assert!(described("403").as_str().unwrap().contains("`users:write`"));
    assert!(
        described("415")
            .as_str()
            .unwrap()
            .contains("`UNSUPPORTED_MEDIA_TYPE`")
    );
    assert_eq!(
        operation["responses"]["429"]["headers"]["Retry-After"]["schema"]["type"],
        "integer"
    );
}

#[test]
fn a_bearer_operation_without_scopes_has_no_403_and_its_401_says_www_authenticate() {
    let protection = Protection::new().bearer(Vec::<String>::new()).unwrap();
    let operation = protect(&protection, &[("204", "Done.")]);
    assert_eq!(statuses(&operation), ["204", "400", "401", "503"]);
    assert_eq!(operation["security"], json!([{ "bearer": [] }]));
    assert_eq!(
        headers(&operation, "401"),
        set(&["X-Request-Id", "WWW-Authenticate"])
    );
    assert_eq!(
        headers(&operation, "400"),
        set(&["X-Request-Id", "WWW-Authenticate"])
    );
    // Not rate limited: no quota headers; a store down sends no Retry-After.
    assert_eq!(headers(&operation, "503"), set(&["X-Request-Id"]));
    assert_eq!(headers(&operation, "204"), set(&["X-Request-Id"]));
}

#[test]
fn an_api_key_401_has_no_www_authenticate_and_a_scoped_bearer_403_has_one() {
    let key = protect(&Protection::new().api_key(["a"]).unwrap(), &[]);
    assert_eq!(headers(&key, "401"), set(&["X-Request-Id"]));
    assert_eq!(headers(&key, "403"), set(&["X-Request-Id"]));
    let bearer = protect(&Protection::new().bearer(["a"]).unwrap(), &[]);
    assert_eq!(
        headers(&bearer, "403"),
        set(&["X-Request-Id", "WWW-Authenticate"])
    );
}

#[test]
fn a_key_or_a_token_is_two_alternatives() {
    let protection = Protection::new()
        .api_key(["users:read"])
        .unwrap()
        .bearer(["users:read"])
        .unwrap();
    let operation = protect(&protection, &[]);
    assert_eq!(
        operation["security"],
        json!([{ "api_key": ["users:read"] }, { "bearer": ["users:read"] }])
    );
}

#[test]
fn a_public_operation_says_so_and_gets_only_the_request_id() {
    let operation = protect(&Protection::new(), &[("200", "Fine.")]);
    assert_eq!(operation["security"], json!([]));
    assert_eq!(statuses(&operation), ["200"]);
    assert_eq!(headers(&operation, "200"), set(&["X-Request-Id"]));
}

#[test]
fn a_signed_operation_requires_the_signature_headers() {
    let operation = protect(&Protection::new().signed(), &[]);
    assert_eq!(statuses(&operation), ["401", "413", "503"]);
    let parameters: Vec<(String, String, bool)> = operation["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["in"].as_str().unwrap().to_owned(),
                p["required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        parameters,
        [
            ("Signature".to_owned(), "header".to_owned(), true),
            ("Signature-Input".to_owned(), "header".to_owned(), true),
            ("Content-Digest".to_owned(), "header".to_owned(), true),
        ]
    );
    let described = operation["responses"]["401"]["description"]
        .as_str()
        .unwrap();
    assert!(
        described.contains("`SIGNATURE_REQUIRED`") && described.contains("`INVALID_SIGNATURE`")
    );
}

#[test]
fn a_status_the_operation_documents_keeps_its_description_and_gains_the_headers() {
    let protection = Protection::new().rate_limited();
    let own = [("200", "Fine."), ("429", "Slow down, in our words.")];
    let operation = protect(&protection, &own);
    assert_eq!(
        operation["responses"]["429"]["description"],
        "Slow down, in our words."
    );
    assert_eq!(
        headers(&operation, "429"),
        set(&[
            "X-Request-Id",
            "RateLimit",
            "RateLimit-Policy",
            "Retry-After"
        ])
    );
    // Applying twice changes nothing.
    let mut openapi = document(HttpMethod::Post, &own);
    protection
        .apply_to(&mut openapi, HttpMethod::Post, "/op")
        .unwrap();
    let once = openapi.to_json().unwrap();
    protection
        .apply_to(&mut openapi, HttpMethod::Post, "/op")
        .unwrap();
    assert_eq!(openapi.to_json().unwrap(), once);
}

#[test]
fn an_applications_own_refusal_is_a_problem_with_the_request_id() {
    let response = serde_json::to_value(problem_response("`NOT_FOUND`: no such key.")).unwrap();
    assert_eq!(
        response["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    assert!(response["headers"]["X-Request-Id"].is_object());
}

#[test]
fn bad_scopes_and_missing_operations_are_refused_when_built() {
    for scope in [
        "",
        "two words",
        "quote\"",
        "back\\slash",
        "é",
        &"x".repeat(129),
    ] {
        assert_eq!(
            Protection::new().api_key([scope]),
            Err(OpenApiConfigError::Scope(scope.to_owned())),
            "{scope:?}"
        );
        assert!(Protection::new().bearer([scope]).is_err(), "{scope:?}");
    }
    assert!(
        Protection::new()
            .api_key(["users:read", "a-b_c.d/e"])
            .is_ok()
    );
    let mut openapi = document(HttpMethod::Post, &[]);
    let err = Protection::new()
        .apply_to(&mut openapi, HttpMethod::Get, "/op")
        .unwrap_err();
    assert_eq!(
        err,
        OpenApiConfigError::NoSuchOperation {
            method: "GET",
            path: "/op".to_owned()
        }
    );
    assert_eq!(err.to_string(), "the document has no operation GET /op");
    assert!(
        Protection::new()
            .apply_to(&mut openapi, HttpMethod::Post, "/nope")
            .is_err()
    );
    // Nothing was added to a document that was refused.
    assert!(openapi.components.is_none());
}

fn shared_then(shared: &SharedResponses, protection: &Protection, own: &[(&str, &str)]) -> Value {
    let mut openapi = document(HttpMethod::Post, own);
    shared.apply_to_all(&mut openapi);
    protection
        .apply_to(&mut openapi, HttpMethod::Post, "/op")
        .unwrap();
    serde_json::from_str(&openapi.to_json().unwrap()).unwrap()
}

#[test]
fn every_operation_gets_the_405_with_allow_and_the_500() {
    let shared = SharedResponses::new();
    assert_eq!(shared.statuses(), [405, 500]);
    let json = shared_then(&shared, &Protection::new(), &[("200", "Fine.")]);
    let operation = &json["paths"]["/op"]["post"];
    assert_eq!(statuses(operation), ["200", "405", "500"]);
    assert_eq!(headers(operation, "405"), set(&["X-Request-Id", "Allow"]));
    assert_eq!(headers(operation, "500"), set(&["X-Request-Id"]));
    for status in ["405", "500"] {
        assert_eq!(
            operation["responses"][status]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem"
        );
    }
    let described = |status: &str| {
        operation["responses"][status]["description"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(described("405").contains("`METHOD_NOT_ALLOWED`"));
    assert!(described("500").contains("`INTERNAL_ERROR`"));
    // Neither HTTPS nor CORS was stated: nothing of theirs is said.
    assert!(!json["paths"].to_string().contains("HTTPS_REQUIRED"));
    assert!(json["info"]["description"].is_null());
}

#[test]
fn https_required_is_a_403_on_every_operation_merged_with_a_scope_refusal() {
    let shared = SharedResponses::new().https_required(true);
    assert!(shared.is_https_required());
    assert_eq!(shared.statuses(), [403, 405, 500]);
    let public = shared_then(&shared, &Protection::new(), &[]);
    let forbidden = &public["paths"]["/op"]["post"]["responses"]["403"]["description"];
    assert!(forbidden.as_str().unwrap().contains("`HTTPS_REQUIRED`"));

    // Either order: one 403 naming both codes, each once.
    let scoped = Protection::new().bearer(["users:write"]).unwrap();
    let shared_first = shared_then(&shared, &scoped, &[]);
    let mut openapi = document(HttpMethod::Post, &[]);
    scoped
        .apply_to(&mut openapi, HttpMethod::Post, "/op")
        .unwrap();
    shared.apply_to_all(&mut openapi);
    let protection_first: Value = serde_json::from_str(&openapi.to_json().unwrap()).unwrap();
    for json in [&shared_first, &protection_first] {
        let operation = &json["paths"]["/op"]["post"];
        let text = operation["responses"]["403"]["description"]
            .as_str()
            .unwrap();
        assert_eq!(text.matches("`HTTPS_REQUIRED`").count(), 1, "{text}");
        assert_eq!(text.matches("`INSUFFICIENT_SCOPE`").count(), 1, "{text}");
        assert!(text.starts_with("Forbidden. "), "{text}");
        assert_eq!(
            headers(operation, "403"),
            set(&["X-Request-Id", "WWW-Authenticate"])
        );
    }
}

#[test]
fn shared_answers_applied_first_get_a_rate_limited_protections_headers() {
    let shared = SharedResponses::new();
    let json = shared_then(&shared, &Protection::new().rate_limited(), &[]);
    let operation = &json["paths"]["/op"]["post"];
    assert_eq!(
        headers(operation, "405"),
        set(&["X-Request-Id", "Allow", "RateLimit", "RateLimit-Policy"])
    );
}

#[test]
fn the_cors_preflight_is_described_once_and_is_no_operation() {
    let shared = SharedResponses::new().cors_preflight();
    let mut openapi = document(HttpMethod::Get, &[("200", "Fine.")]);
    openapi.info.description = Some("Our API.".to_owned());
    shared.apply_to_all(&mut openapi);
    let once = openapi.to_json().unwrap();
    shared.apply_to_all(&mut openapi);
    assert_eq!(
        openapi.to_json().unwrap(),
        once,
        "applying twice changes nothing"
    );
    let json: Value = serde_json::from_str(&once).unwrap();
    assert_eq!(
        json["info"]["description"],
        format!("Our API.\n\n{CORS_PREFLIGHT_DESCRIPTION}")
    );
    assert!(CORS_PREFLIGHT_DESCRIPTION.contains("`CORS_FORBIDDEN`"));
    assert_eq!(
        json["paths"]["/op"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["get"]
    );
    let wrong_method = json["paths"]["/op"]["get"]["responses"]["405"]["description"]
        .as_str()
        .unwrap();
    assert!(wrong_method.contains("CORS preflight"), "{wrong_method}");
}

#[test]
fn an_applications_own_words_are_kept_and_its_own_problems_gain_the_codes() {
    let shared = SharedResponses::new();
    let mut operation = OperationBuilder::new()
        .response("405", ResponseBuilder::new().description("Not here."))
        .response("500", problem_response("Internal Server Error. Ours."))
        .build();
    shared.apply(&mut operation);
    let once = serde_json::to_value(&operation).unwrap();
    shared.apply(&mut operation);
    assert_eq!(serde_json::to_value(&operation).unwrap(), once);
    assert_eq!(once["responses"]["405"]["description"], "Not here.");
    assert!(once["responses"]["405"]["headers"]["Allow"].is_object());
    let internal = once["responses"]["500"]["description"].as_str().unwrap();
    assert!(
        internal.starts_with("Internal Server Error. Ours. `INTERNAL_ERROR`: "),
        "{internal}"
    );
}
