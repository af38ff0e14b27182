//! `ApiError`: every rejection of every shieldwall crate ends up as one.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use crate::{ErrorCode, FieldError, PROBLEM_JSON, Problem};

/// The detail of every `VALIDATION_FAILED` ([`ApiError::invalid_fields`]).
const INVALID_FIELDS: &str = "the request has invalid fields";

/// The internal cause of an error: logged, never rendered.
pub type Source = Box<dyn StdError + Send + Sync + 'static>;

/// An error answer: a code, a safe detail, field errors, extra response
/// headers, and an internal source that is logged and never sent.
///
/// The status, title and type follow from the [`ErrorCode`], so an `ApiError`
/// cannot claim one code with the status of another. A 5xx response never
/// carries a detail or field errors, whatever was set: internals stay inside.
///
/// ```
/// use shieldwall_errors::{ApiError, ErrorCode};
///
/// let err = ApiError::new(ErrorCode::RateLimited)
///     .with_detail("try again later")
///     .with_header(http::header::RETRY_AFTER, http::HeaderValue::from_static("30"));
/// let response = err.to_response(Some("req-42"));
/// assert_eq!(response.status(), 429);
/// assert_eq!(response.headers()["retry-after"], "30");
/// assert_eq!(response.headers()["content-type"], "application/problem+json");
/// ```
pub struct ApiError(Box<Inner>);

// Boxed: an error is the slow path, and a small `Result<_, ApiError>` keeps
// the fast path small.
struct Inner {
    problem: Problem,
    headers: HeaderMap,
    source: Option<Source>,
    extensions: http::Extensions,
}

impl ApiError {
    /// An error with only a code.
    #[must_use]
    pub fn new(code: ErrorCode) -> Self {
        Self(Box::new(Inner {
            problem: Problem::new(code),
            headers: HeaderMap::new(),
            source: None,
            extensions: http::Extensions::new(),
        }))
    }

    /// 400 `VALIDATION_FAILED` with the one detail every invalid request
    /// gets, whichever part of it (body, query, path) broke a rule: the
    /// field errors say where. Add them with
    /// [`ApiError::with_field_errors`].
    #[must_use]
    pub fn invalid_fields() -> Self {
        Self::new(ErrorCode::ValidationFailed).with_detail(INVALID_FIELDS)
    }

    /// An error with an application's own code (409 `ORDER_CONFLICT`, 403
    /// `QUOTA_EXCEEDED`): rendered like shieldwall's, detail, field errors,
    /// headers and request id included; a 5xx one loses its detail and
    /// field errors like any other.
    #[must_use]
    pub fn custom(code: crate::CustomCode) -> Self {
        Self::new(ErrorCode::Custom(code))
    }

    /// 500 `INTERNAL_ERROR` with an internal cause that is logged, never sent.
    #[must_use]
    pub fn internal(source: impl Into<Source>) -> Self {
        Self::new(ErrorCode::InternalError).with_source(source)
    }

    /// Sets a safe, human-readable detail. It must not contain submitted
    /// values or secrets; it is dropped from 5xx responses.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<Cow<'static, str>>) -> Self {
        self.0.problem.detail = Some(detail.into());
        self
    }

    /// Adds a field error (for `VALIDATION_FAILED`).
    #[must_use]
    pub fn with_field_error(mut self, error: FieldError) -> Self {
        self.0.problem.errors.push(error);
        self
    }

    /// Adds field errors.
    #[must_use]
    pub fn with_field_errors(mut self, errors: impl IntoIterator<Item = FieldError>) -> Self {
        self.0.problem.errors.extend(errors);
        self
    }

    /// Adds a response header such as `WWW-Authenticate`, `Retry-After` or `Allow`.
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.0.headers.append(name, value);
        self
    }

    /// Adds response headers.
    #[must_use]
    pub fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.0.headers.extend(headers);
        self
    }

    /// Sets the reason: one fixed lowercase word (`nonce_replayed`,
    /// `unknown_key`) that the audit log records and no client sees. Use it
    /// where one public code stands for several causes.
    #[must_use]
    pub fn with_reason(mut self, reason: &'static str) -> Self {
        self.0.problem.reason = Some(reason);
        self
    }

    /// The reason for the audit log, if one was set.
    #[must_use]
    pub fn reason(&self) -> Option<&'static str> {
        self.0.problem.reason
    }

    /// Puts `value` in the extensions of the rendered answer, never in its
    /// head or body: what the layers outside read of a refusal (the
    /// principal a guard identified before it refused, for the audit log).
    #[must_use]
    pub fn with_extension<T: Clone + Send + Sync + 'static>(mut self, value: T) -> Self {
        self.0.extensions.insert(value);
        self
    }

    /// The values for the rendered answer's extensions.
    #[must_use]
    pub fn extensions(&self) -> &http::Extensions {
        &self.0.extensions
    }

    /// Attaches the internal cause: logged by [`ApiError::report`], never rendered.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// The code.
    #[must_use]
    pub fn code(&self) -> ErrorCode {
        self.0.problem.code
    }

    /// The HTTP status (fixed by the code).
    #[must_use]
    pub fn status(&self) -> http::StatusCode {
        self.0.problem.code.status()
    }

    /// The extra response headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The internal cause, for logs.
    #[must_use]
    pub fn internal_source(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.0.source.as_deref()
    }

    /// The client-visible part. For a 5xx code it has neither detail nor field errors.
    #[must_use]
    pub fn problem(&self) -> Problem {
        if self.status().is_server_error() {
            let mut problem = Problem::new(self.0.problem.code);
            problem.reason = self.0.problem.reason;
            problem
        } else {
            self.0.problem.clone()
        }
    }

    /// Logs the error once: 5xx at `error` level with the internal cause, 4xx
    /// and 503 `SERVICE_UNAVAILABLE` at `debug` (a store that is down or a
    /// server shedding load fails every request: the store logs its own line
    /// once per interval, and a flood must not become a flood of log lines).
    /// The adapters run every request in a span that carries its request id,
    /// so the line can be matched to the response.
    pub fn report(&self) {
        let code = self.0.problem.code.as_str();
        let loud =
            self.status().is_server_error() && self.0.problem.code != ErrorCode::ServiceUnavailable;
        match (&self.0.source, loud) {
            (Some(source), true) => {
                tracing::error!(code, error = %DisplayChain(source.as_ref()), "request failed");
            }
            (None, true) => tracing::error!(code, "request failed"),
            (Some(source), false) => {
                tracing::debug!(code, error = %DisplayChain(source.as_ref()), "request rejected");
            }
            (None, false) => tracing::debug!(code, "request rejected"),
        }
    }

    /// Renders the problem+json response (status, extra headers, body) and
    /// logs the error with [`ApiError::report`].
    #[must_use]
    pub fn to_response(&self, request_id: Option<&str>) -> http::Response<Bytes> {
        self.report();
        let mut response = render(self.problem(), self.0.headers.clone(), request_id);
        response.extensions_mut().extend(self.0.extensions.clone());
        response
    }
}

/// Builds a problem+json response: `headers` are kept, the content headers are set.
#[must_use]
pub fn render(
    problem: Problem,
    headers: HeaderMap,
    request_id: Option<&str>,
) -> http::Response<Bytes> {
    let mut response = http::Response::new(problem.to_json(request_id));
    *response.status_mut() = problem.code.status();
    *response.headers_mut() = headers;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response.extensions_mut().insert(problem);
    response
}

struct DisplayChain<'a>(&'a (dyn StdError + 'static));

impl fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.0.problem.code)
            .field("detail", &self.0.problem.detail)
            .field("errors", &self.0.problem.errors)
            .field("headers", &self.0.headers)
            .field("source", &self.0.source)
            .finish()
    }
}

/// Shows the code and safe detail only: the `Display` of an `ApiError` is safe
/// to send, because it never holds the internal source.
impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let problem = self.problem();
        match &problem.detail {
            Some(detail) => write!(f, "{}: {detail}", problem.code),
            None => write!(f, "{}", problem.code),
        }
    }
}

impl StdError for ApiError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(response: &http::Response<Bytes>) -> serde_json::Value {
        serde_json::from_slice(response.body()).unwrap()
    }

    #[test]
    fn extensions_travel_on_the_answer_and_never_into_it() {
        #[derive(Clone, Debug, PartialEq)]
        struct Who(&'static str);
        let err = ApiError::new(ErrorCode::InsufficientScope)
            .with_reason("scope_missing")
            .with_extension(Who("usr_7"));
        let response = err.to_response(Some("req-1"));
        assert_eq!(response.extensions().get::<Who>(), Some(&Who("usr_7")));
        assert_eq!(
            response.extensions().get::<Problem>().map(|p| p.reason),
            Some(Some("scope_missing"))
        );
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(
            !text.contains("usr_7") && !text.contains("scope_missing"),
            "{text}"
        );
        assert!(
            response
                .headers()
                .values()
                .all(|v| !v.as_bytes().windows(5).any(|w| w == b"usr_7"))
        );
    }

    #[test]
    fn every_code_renders_its_status_and_body_shape() {
        for code in ErrorCode::ALL {
            let response = ApiError::new(code).to_response(Some("rid"));
            assert_eq!(response.status(), code.status(), "{code}");
            assert_eq!(response.headers()[CONTENT_TYPE], PROBLEM_JSON);
            let json = body_of(&response);
            let members: Vec<&str> = json
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(
                members,
                ["code", "request_id", "status", "title", "type"],
                "{code}"
            );
            assert_eq!(json["code"], code.as_str());
            assert_eq!(json["status"], code.status().as_u16());
            assert_eq!(json["title"], code.title());
            assert_eq!(json["type"], "about:blank");
            assert_eq!(json["request_id"], "rid");
        }
    }

    #[derive(Debug)]
    struct Leaky;
    impl fmt::Display for Leaky {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection to redis://:hunter2@10.0.0.7 refused")
        }
    }
    impl StdError for Leaky {}

    #[test]
    fn a_5xx_body_never_holds_the_source_detail_or_field_errors() {
        for code in ErrorCode::ALL
            .into_iter()
            .filter(|c| c.status().is_server_error())
        {
            let err = ApiError::new(code)
                .with_source(Leaky)
                .with_detail("hunter2 detail")
                .with_field_error(FieldError::new("password", "x", "hunter2"));
            let response = err.to_response(None);
            let text = std::str::from_utf8(response.body()).unwrap();
            assert!(!text.contains("hunter2"), "{text}");
            assert!(!text.contains("redis"), "{text}");
            assert!(!err.to_string().contains("hunter2"));
            // The source is still there for the logs.
            assert!(
                err.internal_source()
                    .unwrap()
                    .to_string()
                    .contains("refused")
            );
        }
    }

    #[test]
    fn a_4xx_body_keeps_its_detail_and_extra_headers_but_not_its_source() {
        let err = ApiError::new(ErrorCode::InvalidToken)
            .with_detail("the token signature is invalid")
            .with_header(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            )
            .with_source(Leaky);
        let response = err.to_response(None);
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()[http::header::WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\""
        );
        let json = body_of(&response);
        assert_eq!(json["detail"], "the token signature is invalid");
        assert!(json.get("request_id").is_none());
        assert!(!String::from_utf8_lossy(response.body()).contains("hunter2"));
        assert_eq!(
            response.extensions().get::<Problem>().map(|p| p.code),
            Some(ErrorCode::InvalidToken)
        );
    }

    #[test]
    fn display_is_safe() {
        assert_eq!(ApiError::internal(Leaky).to_string(), "INTERNAL_ERROR");
        assert_eq!(
            ApiError::new(ErrorCode::NotFound)
                .with_detail("no such key")
                .to_string(),
            "NOT_FOUND: no such key"
        );
    }
}
