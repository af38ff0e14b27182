//! Problem responses: `application/problem+json` bodies with their headers,
//! and how a refusal joins the responses an operation already documents.

use std::collections::btree_map::Entry;

use shieldwall_errors::{ErrorCode, PROBLEM_JSON};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{Ref, RefOr, Response, ResponseBuilder};

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

/// One way a layer refuses: the code and when.
pub(crate) type Cause = (ErrorCode, String);

/// The refusals of one status: its causes and the headers they send.
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) causes: Vec<Cause>,
    pub(crate) headers: Vec<(&'static str, Header)>,
}

impl Refusal {
    /// ``Too Many Requests. `RATE_LIMITED`: why.`` and its headers.
    fn response(&self) -> Response {
        let mut response = problem_response(describe(self.status, &self.causes));
        for (name, header) in &self.headers {
            response.headers.insert((*name).to_owned(), header.clone());
        }
        response
    }

    /// Writes the refusal onto `operation`: a status it lacks gets the
    /// whole problem response; a problem response it documents for that
    /// status gains each `` `CODE`: why. `` its description lacks and the
    /// headers it lacks; any other response it documents for that status
    /// (the application's own words) keeps its description and gains the
    /// headers. Applying twice changes nothing.
    pub(crate) fn add_to(&self, operation: &mut Operation) {
        match operation.responses.responses.entry(self.status.to_string()) {
            Entry::Vacant(vacant) => {
                vacant.insert(RefOr::T(self.response()));
            }
            Entry::Occupied(mut occupied) => {
                // A reference is described where it is defined.
                let RefOr::T(own) = occupied.get_mut() else {
                    return;
                };
                if own.content.contains_key(PROBLEM_JSON) {
                    for sentence in sentences(&self.causes) {
                        if !own.description.contains(&sentence) {
                            own.description.push(' ');
                            own.description.push_str(&sentence);
                        }
                    }
                }
                for (name, header) in &self.headers {
                    own.headers
                        .entry((*name).to_owned())
                        .or_insert_with(|| header.clone());
                }
            }
        }
    }
}

/// Adds the header `name` (made by `make`) to every response of
/// `operation` that lacks it.
pub(crate) fn add_to_every_response(operation: &mut Operation, name: &str, make: fn() -> Header) {
    for response in operation.responses.responses.values_mut() {
        // A reference is described where it is defined.
        let RefOr::T(response) = response else {
            continue;
        };
        response.headers.entry(name.to_owned()).or_insert_with(make);
    }
}

/// `` `CODE`: why; or why. `` for each code, in the order first given.
fn sentences(causes: &[Cause]) -> Vec<String> {
    let mut codes: Vec<(ErrorCode, Vec<&str>)> = Vec::new();
    for (code, cause) in causes {
        match codes.iter_mut().find(|(seen, _)| seen == code) {
            Some((_, whys)) => whys.push(cause),
            None => codes.push((*code, vec![cause])),
        }
    }
    codes
        .into_iter()
        .map(|(code, whys)| format!("`{}`: {}.", code.as_str(), whys.join("; or ")))
        .collect()
}

/// ``Too Many Requests. `RATE_LIMITED`: why. `CODE`: why; or why.``
fn describe(status: u16, causes: &[Cause]) -> String {
    let reason = shieldwall_errors::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Refused");
    let mut text = format!("{reason}.");
    for sentence in sentences(causes) {
        text.push(' ');
        text.push_str(&sentence);
    }
    text
}
