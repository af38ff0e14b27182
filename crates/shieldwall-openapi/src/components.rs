//! The reusable parts: the problem schemas and the two security schemes.

use shieldwall_errors::CustomCode;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::schema::{FIELD_ERROR_SCHEMA, PROBLEM_SCHEMA, field_error_schema, problem_schema};

/// The name of the API key scheme under `components/securitySchemes`.
pub const API_KEY_SCHEME: &str = "api_key";
/// The name of the bearer token scheme under `components/securitySchemes`.
pub const BEARER_SCHEME: &str = "bearer";

/// An API key in the `X-API-Key` header (`shieldwall-keys`).
#[must_use]
pub fn api_key_scheme() -> SecurityScheme {
    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
        "X-API-Key",
        "An API key, sent once in the `X-API-Key` header; never in the query string or the body. \
         A key sent twice is 400 `MALFORMED_REQUEST`.",
    )))
}

/// A JWT bearer token in `Authorization: Bearer` (RFC 6750, `shieldwall-tokens`).
#[must_use]
pub fn bearer_scheme() -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A JWT access token, sent once as `Authorization: Bearer <token>`; never in the \
                 query string or the body. A 401 carries `WWW-Authenticate: Bearer` (RFC 6750).",
            ))
            .build(),
    )
}

/// Puts the problem schemas ([`PROBLEM_SCHEMA`], [`FIELD_ERROR_SCHEMA`])
/// and both security schemes ([`API_KEY_SCHEME`], [`BEARER_SCHEME`]) under
/// the document's `components`, replacing parts of the same names.
pub fn install(openapi: &mut OpenApi) {
    install_with_codes(openapi, []);
}

/// [`install`], with an application's own codes added to the problem's
/// `code` enumeration.
pub fn install_with_codes<I>(openapi: &mut OpenApi, custom: I)
where
    I: IntoIterator<Item = CustomCode>,
{
    let components = openapi.components.get_or_insert_with(Default::default);
    components
        .schemas
        .insert(PROBLEM_SCHEMA.to_owned(), problem_schema(custom).into());
    components
        .schemas
        .insert(FIELD_ERROR_SCHEMA.to_owned(), field_error_schema().into());
    components
        .security_schemes
        .insert(API_KEY_SCHEME.to_owned(), api_key_scheme());
    components
        .security_schemes
        .insert(BEARER_SCHEME.to_owned(), bearer_scheme());
}

/// [`install`], keeping what the document already holds under those names.
pub(crate) fn install_missing(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    components
        .schemas
        .entry(PROBLEM_SCHEMA.to_owned())
        .or_insert_with(|| problem_schema([]).into());
    components
        .schemas
        .entry(FIELD_ERROR_SCHEMA.to_owned())
        .or_insert_with(|| field_error_schema().into());
    components
        .security_schemes
        .entry(API_KEY_SCHEME.to_owned())
        .or_insert_with(api_key_scheme);
    components
        .security_schemes
        .entry(BEARER_SCHEME.to_owned())
        .or_insert_with(bearer_scheme);
}
