//! The safe, renderable part of an error: what a client may see.

use std::borrow::Cow;

use bytes::Bytes;
use serde::Serialize;

use crate::{ErrorCode, ProblemTypes};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field that broke a rule, as listed in a `VALIDATION_FAILED` body.
///
/// `message` is a fixed template chosen by the library; it never holds the
/// submitted value.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's path in the request, following serde renames: `address.zip`, `items[2].qty`.
    pub field: Cow<'static, str>,
    /// A stable rule code such as `length` or `invalid_type`.
    pub code: Cow<'static, str>,
    /// A fixed, human-readable explanation.
    pub message: Cow<'static, str>,
}

impl FieldError {
    /// A field error; `message` must not contain the submitted value.
    #[must_use]
    pub fn new(
        field: impl Into<Cow<'static, str>>,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// The client-visible part of an [`ApiError`](crate::ApiError).
///
/// It holds only the code, a safe detail and field errors. Adapters keep a
/// copy in the response's extensions so that the outermost layer can render
/// the body again with the request id.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The stable code; it fixes status, title and type.
    pub code: ErrorCode,
    /// A safe explanation for this occurrence.
    pub detail: Option<Cow<'static, str>>,
    /// Field errors (validation).
    pub errors: Vec<FieldError>,
    /// Why, in one fixed lowercase word (`nonce_replayed`, `unknown_key`):
    /// for the audit log, **never rendered**. A refusal that gives the client
    /// one answer for many causes (`INVALID_SIGNATURE`) keeps the cause here.
    pub reason: Option<&'static str>,
}

#[derive(Serialize)]
struct Body<'a> {
    #[serde(rename = "type")]
    type_uri: &'a str,
    title: &'static str,
    status: u16,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
}

impl Problem {
    /// A problem with only a code.
    #[must_use]
    pub const fn new(code: ErrorCode) -> Self {
        Self {
            code,
            detail: None,
            errors: Vec::new(),
            reason: None,
        }
    }

    /// The RFC 9457 JSON body, with `request_id` when one is known, its
    /// `type` `about:blank` (see [`Problem::to_json_with`]).
    #[must_use]
    pub fn to_json(&self, request_id: Option<&str>) -> Bytes {
        self.to_json_with(&ProblemTypes::about_blank(), request_id)
    }

    /// The RFC 9457 JSON body, its `type` written by `types`, with
    /// `request_id` when one is known.
    #[must_use]
    pub fn to_json_with(&self, types: &ProblemTypes, request_id: Option<&str>) -> Bytes {
        let type_uri = types.uri_of(self.code);
        // A 5xx never carries a detail or field errors, however this
        // problem was made (`ApiError::problem` drops them too).
        let server_error = self.code.status().is_server_error();
        let body = Body {
            type_uri: &type_uri,
            title: self.code.title(),
            status: self.code.status().as_u16(),
            code: self.code.as_str(),
            detail: self.detail.as_deref().filter(|_| !server_error),
            errors: if server_error { &[] } else { &self.errors },
            request_id,
        };
        match serde_json::to_vec(&body) {
            Ok(json) => Bytes::from(json),
            // Serializing plain strings and integers into a Vec cannot fail; should
            // it ever, the client still gets a valid problem body.
            Err(_) => Bytes::from_static(
                br#"{"type":"about:blank","title":"Internal server error","status":500,"code":"INTERNAL_ERROR"}"#,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_body_has_the_rfc_9457_members_and_the_code() {
        let json: serde_json::Value =
            serde_json::from_slice(&Problem::new(ErrorCode::NotFound).to_json(None)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "about:blank",
                "title": "Not found",
                "status": 404,
                "code": "NOT_FOUND",
            })
        );
    }

    #[test]
    fn full_body_lists_detail_errors_and_request_id() {
        let problem = Problem {
            code: ErrorCode::ValidationFailed,
            detail: Some("one field is invalid".into()),
            errors: vec![FieldError::new(
                "email",
                "email",
                "must be an email address",
            )],
            reason: Some("never_rendered"),
        };
        let json: serde_json::Value =
            serde_json::from_slice(&problem.to_json(Some("req-1"))).unwrap();
        assert_eq!(json["detail"], "one field is invalid");
        assert_eq!(
            json["errors"],
            serde_json::json!([{"field": "email", "code": "email", "message": "must be an email address"}])
        );
        assert_eq!(json["request_id"], "req-1");
        let text = String::from_utf8(problem.to_json(None).to_vec()).unwrap();
        assert!(!text.contains("never_rendered") && !text.contains("reason"));
    }
}
