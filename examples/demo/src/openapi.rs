//! The demo's OpenAPI 3.1 document, served at `GET /openapi.json` by both
//! servers: every route of DEMO_API.md with what protects it (stated with
//! `shieldwall_openapi::Protection`, beside the guard stacks of `stacks.rs`),
//! its request and its answers, and what every route answers whatever
//! protects it (`shieldwall_openapi::SharedResponses`: 405, 500, and 403
//! `HTTPS_REQUIRED` when the configuration requires HTTPS; CORS preflights
//! in the description, since they are no operation of the API).

use bytes::Bytes;
use shieldwall_openapi::utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use shieldwall_openapi::utoipa::openapi::request_body::RequestBodyBuilder;
use shieldwall_openapi::utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use shieldwall_openapi::utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, RefOr, Required,
    ResponseBuilder,
};
use shieldwall_openapi::{
    OpenApiConfigError, Protection, SharedResponses, install, problem_response,
};

use crate::DemoConfig;
use schemas::{schemas, string};

mod schemas;

/// Where the servers serve the document (outside `/api`: no
/// authentication, not rate limited).
pub const OPENAPI_PATH: &str = "/openapi.json";

/// The document as JSON, serialized once at start-up; each request clones
/// the handle, never the bytes.
#[derive(Clone, Debug)]
pub struct OpenApiJson(Bytes);

impl OpenApiJson {
    /// Builds and serializes [`document`] for `config`.
    pub fn build(config: &DemoConfig) -> Result<Self, String> {
        let document = document(config).map_err(|e| format!("OpenAPI document: {e}"))?;
        let json = document
            .to_json()
            .map_err(|e| format!("OpenAPI document: {e}"))?;
        Ok(Self(Bytes::from(json)))
    }

    /// The `application/json` body of `GET /openapi.json`.
    #[must_use]
    pub fn body(&self) -> Bytes {
        self.0.clone()
    }
}

/// What every route answers under `config`, whatever protects it: the
/// router's 405, the perimeter's 500 (and its 403 `HTTPS_REQUIRED` when
/// `SHIELDWALL_REQUIRE_HTTPS=true`, on `/health` and this document too),
/// and the CORS policy in front of every path (`web::cors`).
fn shared(config: &DemoConfig) -> SharedResponses {
    SharedResponses::new()
        .https_required(config.require_https)
        .cors_preflight()
}

/// The demo's OpenAPI 3.1 document for `config`.
pub fn document(config: &DemoConfig) -> Result<OpenApi, OpenApiConfigError> {
    let shared = shared(config);
    let mut paths = Paths::new();
    for (method, path, mut operation, protection) in operations()? {
        // Shared answers first: a rate-limited protection then adds its
        // headers to them too (the public limit counts a wrong method).
        shared.apply(&mut operation);
        protection.apply(&mut operation);
        paths.add_path_operation(path, vec![method], operation);
    }
    let mut openapi = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("shieldwall demo API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The demo API of shieldwall (docs/DEMO_API.md), served alike by \
                     example-axum-api and example-actix-api. Every error is \
                     `application/problem+json`; every answer carries `X-Request-Id`.",
                )),
        )
        .paths(paths)
        .components(Some(schemas()))
        .build();
    install(&mut openapi);
    // The operations have theirs already; this adds the CORS paragraph.
    shared.apply_to_all(&mut openapi);
    Ok(openapi)
}

type Described = (HttpMethod, &'static str, Operation, Protection);

/// Every route of DEMO_API.md, with its protection: the same layers, in
/// words, as `Demo::route_guards` puts in front of it (the public limit
/// counts everything under `/api`).
fn operations() -> Result<Vec<Described>, OpenApiConfigError> {
    let public_api = Protection::new().rate_limited();
    let signed_in = Protection::new().bearer(NO_SCOPES)?.rate_limited();
    Ok(vec![
        (
            HttpMethod::Get,
            "/health",
            operation("health", "Liveness", "meta")
                .response("200", json_response("The server is up.", schema("Health")))
                .build(),
            Protection::new(),
        ),
        (
            HttpMethod::Get,
            OPENAPI_PATH,
            operation("openapi", "This document", "meta")
                .response(
                    "200",
                    json_response(
                        "The OpenAPI 3.1 document.",
                        ObjectBuilder::new().schema_type(Type::Object).into(),
                    ),
                )
                .build(),
            Protection::new(),
        ),
        (
            HttpMethod::Post,
            "/api/v1/auth/login",
            operation("login", "Sign in with email and password", "auth")
                .request_body(Some(json_body(schema("LoginRequest"), true)))
                .response(
                    "200",
                    json_response("An access token.", schema("TokenResponse")),
                )
                .response(
                    "401",
                    problem_response(
                        "Unauthorized. `INVALID_CREDENTIALS`: a wrong email or password (one \
                         answer for both).",
                    ),
                )
                .build(),
            // The public limit, then the login limit (both per client IP).
            public_api.clone().json_body(),
        ),
        (
            HttpMethod::Post,
            "/api/v1/auth/logout",
            operation("logout", "Revoke this access token", "auth")
                .response(
                    "204",
                    ResponseBuilder::new()
                        .description("The token's `jti` is revoked until its `exp`."),
                )
                .build(),
            signed_in.clone(),
        ),
        (
            HttpMethod::Get,
            "/api/v1/protected/me",
            operation("me", "Who the token belongs to", "auth")
                .response("200", json_response("The signed-in user.", schema("Me")))
                .build(),
            signed_in.clone(),
        ),
        (
            HttpMethod::Post,
            "/api/v1/protected/keys",
            operation("createKey", "Create an API key", "keys")
                .request_body(Some(json_body(schema("CreateKeyRequest"), false)))
                .response(
                    "201",
                    json_response("The key, shown only here.", schema("CreatedKeyResponse")),
                )
                .build(),
            signed_in.clone().json_body(),
        ),
        (
            HttpMethod::Get,
            "/api/v1/protected/keys",
            operation("listKeys", "List your API keys", "keys")
                .response(
                    "200",
                    json_response(
                        "Your keys, without secrets.",
                        ArrayBuilder::new()
                            .items(Ref::from_schema_name("KeyView"))
                            .into(),
                    ),
                )
                .build(),
            signed_in.clone(),
        ),
        (
            HttpMethod::Delete,
            "/api/v1/protected/keys/{id}",
            operation("deleteKey", "Revoke one of your API keys", "keys")
                .parameter(
                    ParameterBuilder::new()
                        .name("id")
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .description(Some("The key's id."))
                        .schema(Some(string("The key's id."))),
                )
                .response("204", ResponseBuilder::new().description("Revoked."))
                .response(
                    "404",
                    problem_response(
                        "Not Found. `NOT_FOUND`: no key of yours has this id (another user's \
                         key is not found either).",
                    ),
                )
                .build(),
            signed_in,
        ),
        (
            HttpMethod::Get,
            "/api/v1/users",
            operation("listUsers", "List users, a page at a time", "users")
                .parameter(query(
                    "page",
                    "Page number, from 1 (default 1).",
                    (1, u64::from(u32::MAX)),
                    1,
                ))
                .parameter(query(
                    "limit",
                    "Page size, 1 to 100 (default 20).",
                    (1, 100),
                    20,
                ))
                .parameter(
                    ParameterBuilder::new()
                        .name("sort")
                        .parameter_in(ParameterIn::Query)
                        .required(Required::False)
                        .description(Some("By creation time (default `desc`)."))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some(["asc", "desc"]))
                                .default(Some("desc".into())),
                        )),
                )
                .response(
                    "200",
                    ResponseBuilder::new()
                        .description("A page of users.")
                        .content("application/json", content(schema("UserPage")))
                        .header("X-Total-Count", count_header("Users in all pages."))
                        .header("X-Page-Count", count_header("Pages at this limit.")),
                )
                .build(),
            Protection::new()
                .api_key(["users:read"])?
                .rate_limited()
                .validated_query(),
        ),
        (
            HttpMethod::Post,
            "/api/v1/users",
            operation("createUser", "Add a user", "users")
                .request_body(Some(json_body(schema("CreateUserRequest"), true)))
                .response(
                    "201",
                    json_response(
                        "The stored user: `name` as plain text, `bio` as sanitized HTML.",
                        schema("User"),
                    ),
                )
                .build(),
            Protection::new()
                .api_key(["users:write"])?
                .rate_limited()
                .json_body(),
        ),
        (
            HttpMethod::Post,
            "/api/v1/transfers",
            operation("createTransfer", "Record a signed transfer", "transfers")
                .description(Some(
                    "Needs an RFC 9421 signature by a signing key of the API key's owner.",
                ))
                .request_body(Some(json_body(schema("TransferRequest"), true)))
                .response(
                    "201",
                    json_response("The recorded transfer.", schema("Transfer")),
                )
                .build(),
            Protection::new()
                .api_key(["transfers:write"])?
                .rate_limited()
                .signed()
                .json_body(),
        ),
    ])
}

const NO_SCOPES: [&str; 0] = [];

fn operation(id: &str, summary: &str, tag: &str) -> OperationBuilder {
    OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(summary))
        .tag(tag)
}

fn schema(name: &str) -> RefOr<Schema> {
    Ref::from_schema_name(name).into()
}

fn content(schema: RefOr<Schema>) -> shieldwall_openapi::utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn json_response(description: &str, schema: RefOr<Schema>) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", content(schema))
}

fn json_body(
    schema: RefOr<Schema>,
    required: bool,
) -> shieldwall_openapi::utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .content("application/json", content(schema))
        .required(Some(if required {
            Required::True
        } else {
            Required::False
        }))
        .build()
}

/// An optional integer query parameter: `(minimum, maximum)` and its
/// default (`Pagination`'s rules; unknown parameters are ignored).
fn query(
    name: &str,
    description: &str,
    (minimum, maximum): (u64, u64),
    default: u64,
) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(minimum))
                .maximum(Some(maximum))
                .default(Some(default.into())),
        ))
}

fn count_header(description: &str) -> shieldwall_openapi::utoipa::openapi::header::Header {
    let mut header = shieldwall_openapi::utoipa::openapi::header::Header::new(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(0)),
    );
    header.description = Some(description.to_owned());
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(vars: &[(&str, &str)]) -> serde_json::Value {
        let config = DemoConfig::from_source(vars).unwrap();
        serde_json::from_slice(&OpenApiJson::build(&config).unwrap().body()).unwrap()
    }

    fn responses(json: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
        let mut all = Vec::new();
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                all.push((
                    format!("{} {path}", method.to_uppercase()),
                    operation["responses"].clone(),
                ));
            }
        }
        all
    }

    #[test]
    fn the_document_lists_every_route_with_its_scheme_and_refusals() {
        let json = built(&[]);
        assert_eq!(json["openapi"], "3.1.0");
        assert_eq!(json["info"]["version"], env!("CARGO_PKG_VERSION"));
        let mut operations = Vec::new();
        for (path, item) in json["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                operations.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        operations.sort();
        assert_eq!(
            operations,
            [
                "DELETE /api/v1/protected/keys/{id}",
                "GET /api/v1/protected/keys",
                "GET /api/v1/protected/me",
                "GET /api/v1/users",
                "GET /health",
                "GET /openapi.json",
                "POST /api/v1/auth/login",
                "POST /api/v1/auth/logout",
                "POST /api/v1/protected/keys",
                "POST /api/v1/transfers",
                "POST /api/v1/users",
            ]
        );
        let op = |method: &str, path: &str| json["paths"][path][method].clone();
        let statuses = |method: &str, path: &str| -> Vec<String> {
            op(method, path)["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(op("get", "/health")["security"], serde_json::json!([]));
        assert_eq!(statuses("get", "/health"), ["200", "405", "500"]);
        assert_eq!(statuses("get", "/openapi.json"), ["200", "405", "500"]);
        assert_eq!(
            op("post", "/api/v1/transfers")["security"],
            serde_json::json!([{ "api_key": ["transfers:write"] }])
        );
        assert_eq!(
            statuses("post", "/api/v1/transfers"),
            [
                "201", "400", "401", "403", "405", "413", "415", "429", "500", "503"
            ]
        );
        assert_eq!(
            op("get", "/api/v1/protected/me")["security"],
            serde_json::json!([{ "bearer": [] }])
        );
        assert_eq!(
            statuses("get", "/api/v1/protected/me"),
            ["200", "400", "401", "405", "429", "500", "503"]
        );
        assert!(
            op("get", "/api/v1/protected/me")["responses"]["401"]["headers"]["WWW-Authenticate"]
                .is_object()
        );
        assert_eq!(
            statuses("post", "/api/v1/auth/login"),
            [
                "200", "400", "401", "405", "413", "415", "429", "500", "503"
            ]
        );
        assert_eq!(
            statuses("delete", "/api/v1/protected/keys/{id}"),
            ["204", "400", "401", "404", "405", "429", "500", "503"]
        );
        // Every `$ref` names a component the document holds.
        let text = json.to_string();
        for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = reference.split('"').next().unwrap();
            assert!(json["components"]["schemas"][name].is_object(), "{name}");
        }
    }

    #[test]
    fn every_documented_scope_is_one_a_key_may_hold() {
        let json = built(&[]);
        for item in json["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                for requirement in operation["security"].as_array().unwrap() {
                    for scope in requirement["api_key"].as_array().into_iter().flatten() {
                        assert!(
                            crate::ALLOWED_SCOPES.contains(&scope.as_str().unwrap()),
                            "{scope}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_operation_lists_the_405_and_the_500_and_https_only_when_required() {
        let plain = built(&[]);
        for (operation, responses) in responses(&plain) {
            let wrong = &responses["405"];
            assert!(wrong["headers"]["Allow"].is_object(), "{operation}");
            assert!(
                wrong["description"]
                    .as_str()
                    .unwrap()
                    .contains("`METHOD_NOT_ALLOWED`"),
                "{operation}"
            );
            assert!(
                responses["500"]["description"]
                    .as_str()
                    .unwrap()
                    .contains("`INTERNAL_ERROR`"),
                "{operation}"
            );
        }
        // The public limit counts a wrong method under /api, not elsewhere.
        let wrong = |json: &serde_json::Value, path: &str, method: &str| {
            json["paths"][path][method]["responses"]["405"]["headers"].clone()
        };
        assert!(wrong(&plain, "/api/v1/users", "get")["RateLimit"].is_object());
        assert!(wrong(&plain, "/health", "get")["RateLimit"].is_null());
        assert!(!plain["paths"].to_string().contains("HTTPS_REQUIRED"));

        let https = built(&[("SHIELDWALL_REQUIRE_HTTPS", "true")]);
        for (operation, responses) in responses(&https) {
            let forbidden = responses["403"]["description"].as_str().unwrap_or_default();
            assert_eq!(
                forbidden.matches("`HTTPS_REQUIRED`").count(),
                1,
                "{operation}: {forbidden}"
            );
        }
        let users = https["paths"]["/api/v1/users"]["post"]["responses"]["403"]["description"]
            .as_str()
            .unwrap();
        assert!(users.contains("`INSUFFICIENT_SCOPE`"), "{users}");
    }

    #[test]
    fn cors_preflights_are_described_not_listed() {
        let json = built(&[]);
        let description = json["info"]["description"].as_str().unwrap();
        assert!(description.contains(shieldwall_openapi::CORS_PREFLIGHT_DESCRIPTION));
        assert!(!json["paths"].to_string().contains("\"options\""));
    }

    #[test]
    fn request_schemas_state_the_bounds_the_types_enforce() {
        let json = built(&[]);
        let schema = |name: &str| json["components"]["schemas"][name].clone();
        let key = schema("CreateKeyRequest");
        let days = &key["properties"]["expires_in_days"];
        assert_eq!(
            (days["minimum"].clone(), days["maximum"].clone()),
            (1.into(), 365.into())
        );
        let scopes = &key["properties"]["scopes"];
        assert_eq!(scopes["minItems"], 1);
        assert!(
            scopes["maxItems"].is_null(),
            "a scope given twice is stored once"
        );
        assert_eq!(
            scopes["items"]["enum"],
            serde_json::json!(crate::ALLOWED_SCOPES)
        );
        assert_eq!(scopes["default"], serde_json::json!(crate::DEFAULT_SCOPES));
        let login = schema("LoginRequest");
        assert_eq!(login["properties"]["email"]["maxLength"], 255);
        assert_eq!(login["properties"]["password"]["maxLength"], 1024);
        let transfer = schema("TransferRequest");
        assert_eq!(transfer["properties"]["amount"]["minimum"], 1);
        assert_eq!(transfer["properties"]["amount"]["maximum"], u64::MAX);
        let users = &json["paths"]["/api/v1/users"]["get"]["parameters"];
        let page = users
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "page")
            .unwrap();
        assert_eq!(page["schema"]["maximum"], u32::MAX);

        // additionalProperties: false exactly where serde refuses an unknown field.
        fn refuses_unknown<T: serde::de::DeserializeOwned>(body: &str) -> bool {
            serde_json::from_str::<T>(body).is_err_and(|e| e.to_string().contains("unknown field"))
        }
        let closed = [
            (
                "LoginRequest",
                refuses_unknown::<crate::LoginRequest>(r#"{"email":"a","password":"b","x":1}"#),
            ),
            (
                "CreateKeyRequest",
                refuses_unknown::<crate::CreateKeyRequest>(r#"{"x":1}"#),
            ),
            (
                "CreateUserRequest",
                refuses_unknown::<crate::CreateUserRequest>(r#"{"email":"a","name":"b","x":1}"#),
            ),
            (
                "TransferRequest",
                refuses_unknown::<crate::TransferRequest>(
                    r#"{"to":"a","amount":1,"currency":"EUR","x":1}"#,
                ),
            ),
        ];
        for (name, refuses) in closed {
            assert!(refuses, "{name}");
            assert_eq!(schema(name)["additionalProperties"], false, "{name}");
        }
    }
}
