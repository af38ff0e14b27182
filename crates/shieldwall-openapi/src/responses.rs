//! Problem responses: `application/problem+json` bodies with their headers.

use shieldwall_errors::PROBLEM_JSON;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::{Ref, Response, ResponseBuilder};

use crate::headers;
use crate::schema::PROBLEM_SCHEMA;

/// A response whose body is a problem ([`PROBLEM_SCHEMA`], as
/// `application/problem+json`) with `X-Request-Id`: for a refusal of the
/// application's own (a 404 of a handler, a login's 401), beside the ones a
/// [`Protection`](crate::Protection) adds.
///
/// ```
/// use shieldwall_openapi::problem_response;
///
/// let response = problem_response("`NOT_FOUND`: no key of yours has this id.");
/// assert!(response.content.contains_key("application/problem+json"));
/// assert!(response.headers.contains_key("X-Request-Id"));
/// ```
#[must_use]
pub fn problem_response(description: impl Into<String>) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(PROBLEM_SCHEMA)))
                .build(),
        )
        .header(headers::REQUEST_ID, headers::request_id())
        .build()
}
