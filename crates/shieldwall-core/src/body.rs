//! JSON request bodies: media type, size and parsing, with errors that never
//! echo the body or serde's message (which quotes submitted values).

use std::num::NonZeroUsize;

use serde::de::DeserializeOwned;
use shieldwall_errors::{ApiError, ErrorCode, FieldError};

use crate::RequestView;
use crate::field::{cap_path, classify, field_error};
use crate::json_scan::{self, ScanError};

/// The default body limit: 64 KiB.
pub const DEFAULT_BODY_LIMIT: NonZeroUsize = match NonZeroUsize::new(64 * 1024) {
    Some(n) => n,
    None => NonZeroUsize::MIN,
};

/// The default nesting limit of JSON bodies: 32 objects or arrays deep.
pub const DEFAULT_MAX_DEPTH: usize = 32;

/// 413 `PAYLOAD_TOO_LARGE` for a body over `limit` bytes.
#[must_use]
pub fn body_too_large(limit: usize) -> ApiError {
    ApiError::new(ErrorCode::PayloadTooLarge)
        .with_detail(format!("the request body is larger than {limit} bytes"))
}

/// 400 `MALFORMED_REQUEST` for a body the connection failed to deliver.
#[must_use]
pub fn body_unreadable(source: impl Into<shieldwall_errors::Source>) -> ApiError {
    ApiError::new(ErrorCode::MalformedRequest)
        .with_detail("the request body could not be read")
        .with_source(source)
}

/// How a JSON body is accepted.
///
/// ```
/// use shieldwall_core::JsonBody;
///
/// #[derive(Debug, serde::Deserialize)]
/// struct Login { email: String }
///
/// let rules = JsonBody::default();
/// let login: Login = rules.parse(br#"{"email":"a@example.com"}"#).unwrap();
/// assert_eq!(login.email, "a@example.com");
/// let err = rules.parse::<Login>(br#"{"email": 42}"#).unwrap_err();
/// assert_eq!(err.code().as_str(), "VALIDATION_FAILED");
/// assert!(!err.to_string().contains("42"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonBody {
    limit: NonZeroUsize,
    objects_only: bool,
    max_depth: usize,
}

impl Default for JsonBody {
    fn default() -> Self {
        Self {
            limit: DEFAULT_BODY_LIMIT,
            objects_only: true,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl JsonBody {
    /// Accepts bodies up to `limit` bytes.
    #[must_use]
    pub fn with_limit(limit: NonZeroUsize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Accepts a top-level array or scalar too. By default only a JSON object
    /// is accepted: serde reads a struct from an array by position, which
    /// would let `["a@example.com","pw"]` pass as a login and slip past every
    /// rule written about key names.
    #[must_use]
    pub fn allow_non_object_bodies(mut self) -> Self {
        self.objects_only = false;
        self
    }

    /// Accepts bodies nested up to `depth` objects or arrays (default 32, at
    /// most 128: serde_json refuses deeper bodies anyway, and the screen's
    /// recursion stays well inside any thread's stack).
    #[must_use]
    pub fn with_max_depth(mut self, depth: NonZeroUsize) -> Self {
        self.max_depth = depth.get().min(128);
        self
    }

    /// The nesting limit.
    #[must_use]
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// The size limit in bytes.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit.get()
    }

    /// 413 `PAYLOAD_TOO_LARGE`.
    #[must_use]
    pub fn too_large(&self) -> ApiError {
        body_too_large(self.limit.get())
    }

    /// Checks what can be checked before reading the body: the media type
    /// (415 unless `application/json` or `application/*+json`, in UTF-8) and
    /// a declared `Content-Length` over the limit (413).
    pub fn check_head<R: RequestView + ?Sized>(&self, request: &R) -> Result<(), ApiError> {
        let content_type = request
            .single_header("content-type")
            .map_err(|_| unsupported())?;
        if !content_type.is_some_and(is_json_media_type) {
            return Err(unsupported());
        }
        let mut lengths = request.header_values("content-length");
        if let Some(length) = lengths.next() {
            let declared = std::str::from_utf8(length)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| malformed("the Content-Length header is invalid"))?;
            if declared > self.limit.get() as u64 {
                return Err(self.too_large());
            }
        }
        Ok(())
    }

    /// [`JsonBody::check_head`] for a route whose body is optional: a request
    /// without `Content-Type` passes (its body must then be empty, see
    /// [`JsonBody::parse_optional`]).
    pub fn check_head_optional<R: RequestView + ?Sized>(
        &self,
        request: &R,
    ) -> Result<bool, ApiError> {
        match request.single_header("content-type") {
            Ok(None) => Ok(false),
            _ => self.check_head(request).map(|()| true),
        }
    }

    /// Parses an optional body: `None` when there is no body and no
    /// `Content-Type`; a body without a JSON `Content-Type` is 415.
    pub fn parse_optional<T: DeserializeOwned>(
        &self,
        has_content_type: bool,
        body: &[u8],
    ) -> Result<Option<T>, ApiError> {
        match (has_content_type, body.is_empty()) {
            (false, true) => Ok(None),
            (false, false) => Err(unsupported()),
            (true, _) => self.parse(body).map(Some),
        }
    }

    /// Parses a body already read in full (and no longer than the limit).
    ///
    /// Before serde sees it, one pass checks the body is UTF-8 throughout,
    /// nested at most `max_depth` deep, and has no key twice in any object
    /// (compared after unescaping); see [`JsonBody::parse_checking_keys`]
    /// to refuse keys too.
    pub fn parse<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, ApiError> {
        self.screen(body, None)?;
        self.deserialize(body)
    }

    /// [`JsonBody::parse`], refusing any key, at any depth, for which
    /// `forbidden` is true (after unescaping): 400 `VALIDATION_FAILED` naming
    /// the object that holds it, never the key.
    pub fn parse_checking_keys<T: DeserializeOwned>(
        &self,
        body: &[u8],
        forbidden: &dyn Fn(&str) -> bool,
    ) -> Result<T, ApiError> {
        self.screen(body, Some(forbidden))?;
        self.deserialize(body)
    }

    /// The checks before serde: size, shape, then the structural pass.
    pub fn screen(
        &self,
        body: &[u8],
        forbidden: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<(), ApiError> {
        if body.len() > self.limit.get() {
            return Err(self.too_large());
        }
        let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
        if self.objects_only && first != Some(b'{') {
            return Err(if is_json(body) {
                malformed("the request body must be a JSON object")
            } else {
                malformed("the request body is not valid JSON")
            });
        }
        json_scan::scan(body, self.max_depth, forbidden).map_err(|err| self.scan_error(&err))
    }

    fn scan_error(&self, err: &ScanError) -> ApiError {
        match err {
            ScanError::Utf8 => malformed("the request body is not valid UTF-8"),
            ScanError::Syntax => malformed("the request body is not valid JSON"),
            ScanError::Depth => ApiError::new(ErrorCode::MalformedRequest).with_detail(format!(
                "the request body is nested deeper than {} levels",
                self.max_depth
            )),
            ScanError::Duplicate(_) => malformed("the request body has a duplicate key"),
            ScanError::Forbidden(_) => {
                ApiError::invalid_fields().with_field_error(FieldError::new(
                    cap_path(err.path()),
                    "forbidden_key",
                    "holds a key that is not allowed (an operator or prototype key)",
                ))
            }
        }
    }

    /// Deserializes a screened body: serde alone on the way through; on an
    /// error, once more with the path tracked, to name the field.
    fn deserialize<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, ApiError> {
        match serde_json::from_slice(body) {
            Ok(value) => Ok(value),
            Err(_) => {
                let mut de = serde_json::Deserializer::from_slice(body);
                let err = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                    Ok(_) => {
                        return Err(malformed("the request body is not valid JSON"));
                    }
                    Err(err) => err,
                };
                Err(from_path_error(body, &err))
            }
        }
    }
}

fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

fn unsupported() -> ApiError {
    ApiError::new(ErrorCode::UnsupportedMediaType)
        .with_detail("the request body must be sent as application/json")
}

fn malformed(detail: &'static str) -> ApiError {
    ApiError::new(ErrorCode::MalformedRequest).with_detail(detail)
}

/// `application/json` or `application/<anything>+json`, optionally with
/// `charset=utf-8`; no other charset.
fn is_json_media_type(value: &[u8]) -> bool {
    let Ok(value) = std::str::from_utf8(value) else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let json = essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json") && sub.len() > "+json".len());
    json && parts.all(|param| match param.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        Some(_) => true,
        None => param.trim().is_empty(),
    })
}

fn from_path_error(body: &[u8], err: &serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = err.inner();
    // A data error can be reported before a syntax error further on; a body
    // that is not JSON at all is malformed, whatever else is wrong with it.
    if !inner.is_data() || !is_json(body) {
        return malformed("the request body is not valid JSON").with_source(DisplayOnly::of(inner));
    }
    let at_root = err.path().iter().len() == 0;
    let message = inner.to_string();
    let (code, _) = classify(&message);
    if code == "duplicate_field" {
        return malformed("the request body has a duplicate key")
            .with_source(DisplayOnly::of(inner));
    }
    let first = body.iter().copied().find(|b| !b.is_ascii_whitespace());
    if at_root && code == "invalid_type" && first != Some(b'{') && first != Some(b'[') {
        return malformed("the request body must be a JSON object")
            .with_source(DisplayOnly::of(inner));
    }
    ApiError::invalid_fields()
        .with_field_error(field_error(err.path(), &message))
        .with_source(DisplayOnly::of(inner))
}

/// An error kept for the logs: serde's text may quote submitted values, so
/// it is logged at debug level only (4xx) and never rendered.
#[derive(Debug)]
struct DisplayOnly(String);

impl DisplayOnly {
    fn of(err: &serde_json::Error) -> Self {
        Self(format!(
            "json body rejected at line {} column {}: {:?}",
            err.line(),
            err.column(),
            err.classify()
        ))
    }
}

impl std::fmt::Display for DisplayOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DisplayOnly {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Address {
        zip: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct User {
        email: String,
        #[serde(rename = "fullName")]
        full_name: String,
        age: Option<u8>,
        address: Option<Address>,
        tags: Option<Vec<u8>>,
    }

    fn fields(err: &ApiError) -> Vec<(String, String)> {
        err.problem()
            .errors
            .iter()
            .map(|e| (e.field.to_string(), e.code.to_string()))
            .collect()
    }

    fn reject(body: &str) -> ApiError {
        JsonBody::default()
            .parse::<User>(body.as_bytes())
            .unwrap_err()
    }

    #[test]
    fn syntax_errors_are_malformed_and_quote_nothing() {
        for body in [
            "",
            "{",
            "{\"email\":\"hunter2",
            "{} trailing",
            "nul",
            "{\"a\":1,}",
        ] {
            let err = reject(body);
            assert_eq!(err.code(), ErrorCode::MalformedRequest, "{body:?}");
            let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
            assert!(!rendered.contains("hunter2"));
        }
        let err = JsonBody::default()
            .parse::<User>(b"{\"email\":\"\xff\"}")
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedRequest);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_malformed() {
        for body in [
            "123",
            "\"hunter2\"",
            "true",
            "null",
            r#"["a@example.com", "hunter2"]"#,
            " [1]",
        ] {
            let err = reject(body);
            assert_eq!(err.code(), ErrorCode::MalformedRequest, "{body}");
            assert!(!String::from_utf8_lossy(err.to_response(None).body()).contains("hunter2"));
        }
        // ...unless the route asks for it.
        let any = JsonBody::default().allow_non_object_bodies();
        assert_eq!(any.parse::<Vec<u8>>(b"[1, 2]").unwrap(), [1, 2]);
    }

    #[test]
    fn duplicate_fields_are_malformed() {
        let err = reject(r#"{"email": "a", "email": "b", "fullName": "c"}"#);
        assert_eq!(err.code(), ErrorCode::MalformedRequest);
    }

    #[test]
    fn nesting_duplicates_at_depth_and_forbidden_keys() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Loose {
            a: serde_json::Value,
        }
        let rules = JsonBody::default();
        let deep = format!("{{\"a\": {}1{}}}", "[".repeat(31), "]".repeat(31));
        assert!(rules.parse::<Loose>(deep.as_bytes()).is_ok());
        let deeper = format!("{{\"a\": {}1{}}}", "[".repeat(32), "]".repeat(32));
        let err = rules.parse::<Loose>(deeper.as_bytes()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedRequest);
        let shallow = rules.with_max_depth(NonZeroUsize::new(2).unwrap());
        assert!(shallow.parse::<Loose>(br#"{"a": {"b": 1}}"#).is_ok());
        assert!(shallow.parse::<Loose>(br#"{"a": {"b": [1]}}"#).is_err());

        // Duplicates inside values serde keeps as a map, or would ignore.
        for body in [
            r#"{"a": {"x": 1, "x": 2}}"#,
            r#"{"a": [{"x": 1, "\u0078": 2}]}"#,
            r#"{"a": 1, "ignored": {"y": 1, "y": 1}}"#,
        ] {
            let err = rules.parse::<Loose>(body.as_bytes()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::MalformedRequest, "{body}");
        }
        // Invalid UTF-8 inside an ignored value, a bad escape in a value.
        assert_eq!(
            rules
                .parse::<Loose>(b"{\"a\": 1, \"b\": \"\xc3\x28\"}")
                .unwrap_err()
                .code(),
            ErrorCode::MalformedRequest
        );
        assert_eq!(
            rules.parse::<Loose>(br#"{"a": "\q"}"#).unwrap_err().code(),
            ErrorCode::MalformedRequest
        );

        let forbidden = |key: &str| key.starts_with('$');
        let err = rules
            .parse_checking_keys::<Loose>(
                br#"{"a": {"b": [{"\u0024where": "hunter2"}]}}"#,
                &forbidden,
            )
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::ValidationFailed);
        assert_eq!(fields(&err), [("a.b[0]".into(), "forbidden_key".into())]);
        let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
        assert!(
            !rendered.contains("where") && !rendered.contains("hunter2"),
            "{rendered}"
        );
        assert!(
            rules
                .parse_checking_keys::<Loose>(br#"{"a": "$where"}"#, &forbidden)
                .is_ok()
        );
    }

    #[test]
    fn long_client_chosen_paths_are_cut() {
        use std::collections::HashMap;
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Tags {
            tags: HashMap<String, HashMap<String, HashMap<String, u8>>>,
        }
        // A name over 64 characters is not shown at all.
        let key = "k".repeat(500);
        let body = format!(r#"{{"tags": {{"a": {{"{key}": "x"}}}}}}"#);
        let err = JsonBody::default()
            .parse::<Tags>(body.as_bytes())
            .unwrap_err();
        assert_eq!(
            fields(&err),
            [("tags.a.(unknown)".into(), "invalid_type".into())]
        );
        // Plain names, too many of them: the path is cut at a segment boundary.
        let (a, b, c) = ("a".repeat(60), "b".repeat(60), "c".repeat(60));
        let body = format!(r#"{{"tags": {{"{a}": {{"{b}": {{"{c}": "x"}}}}}}}}"#);
        let err = JsonBody::default()
            .parse::<Tags>(body.as_bytes())
            .unwrap_err();
        assert_eq!(
            fields(&err),
            [(format!("tags.{a}.{b}"), "invalid_type".into())]
        );
    }

    #[test]
    fn client_chosen_names_holding_markup_are_never_echoed() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Strict {
            email: String,
            name: String,
            labels: Option<std::collections::HashMap<String, u8>>,
        }
        let rules = JsonBody::default();
        let forbidden = |key: &str| key.starts_with('$');
        for (body, field, code) in [
            (
                r#"{"email":"a@example.com","name":"x","<img src=x onerror=alert(1)>":1}"#,
                "(unknown)",
                "unknown_field",
            ),
            (
                r#"{"email":"a@example.com","name":"x","\u003cimg src=x onerror=alert(1)>":1}"#,
                "(unknown)",
                "unknown_field",
            ),
            (
                r#"{"email":"a@example.com","name":"x","labels":{"<img src=x onerror=alert(1)>":"x"}}"#,
                "labels.(unknown)",
                "invalid_type",
            ),
            (
                r#"{"email":"a@example.com","name":"x","labels":{"\"><img src=x onerror=alert(1)>":{"$where":1}}}"#,
                "labels.(unknown)",
                "forbidden_key",
            ),
        ] {
            let err = rules
                .parse_checking_keys::<Strict>(body.as_bytes(), &forbidden)
                .unwrap_err();
            assert_eq!(fields(&err), [(field.into(), code.into())], "{body}");
            let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
            for needle in ["<img", "onerror", "u003c", "&lt;"] {
                assert!(!rendered.contains(needle), "{body}: {rendered}");
            }
        }
    }

    #[test]
    fn data_errors_name_the_field_by_its_json_name_and_never_the_value() {
        let err = reject(r#"{"email": "hunter2@x", "fullName": 12345678}"#);
        assert_eq!(err.code(), ErrorCode::ValidationFailed);
        assert_eq!(fields(&err), [("fullName".into(), "invalid_type".into())]);
        let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
        assert!(!rendered.contains("12345678"), "{rendered}");
        assert!(!rendered.contains("hunter2"), "{rendered}");

        let err = reject(r#"{"email": "a", "fullName": "b", "address": {"zip": "hunter2"}}"#);
        assert_eq!(
            fields(&err),
            [("address.zip".into(), "invalid_type".into())]
        );
        let err = reject(r#"{"email": "a", "fullName": "b", "tags": [1, 2, 300]}"#);
        assert_eq!(fields(&err), [("tags[2]".into(), "invalid_value".into())]);
        let err = reject(r#"{"email": "a", "fullName": "b", "age": -1}"#);
        assert_eq!(fields(&err), [("age".into(), "invalid_value".into())]);
        let err = reject(r#"{"fullName": "b"}"#);
        assert_eq!(fields(&err), [("email".into(), "missing".into())]);
        let err = reject(r#"{"email": "a", "fullName": "b", "address": {}}"#);
        assert_eq!(fields(&err), [("address.zip".into(), "missing".into())]);
    }

    #[test]
    fn media_type_rules() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
            "application/merge-patch+json",
        ] {
            assert!(is_json_media_type(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/jsonx",
            "application/+json",
            "application/json; charset=latin1",
            "multipart/form-data",
            "",
        ] {
            assert!(!is_json_media_type(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn head_checks_media_type_and_declared_length() {
        let rules = JsonBody::with_limit(NonZeroUsize::new(10).unwrap());
        let req = |ct: Option<&str>, len: Option<&str>| {
            let mut b = http::Request::builder();
            if let Some(ct) = ct {
                b = b.header("content-type", ct);
            }
            if let Some(len) = len {
                b = b.header("content-length", len);
            }
            b.body(()).unwrap()
        };
        let code = |r: Result<(), ApiError>| r.err().map(|e| e.code());
        assert_eq!(
            code(rules.check_head(&req(None, None))),
            Some(ErrorCode::UnsupportedMediaType)
        );
        assert_eq!(
            code(rules.check_head(&req(Some("text/plain"), None))),
            Some(ErrorCode::UnsupportedMediaType)
        );
        assert_eq!(
            code(rules.check_head(&req(Some("application/json"), Some("11")))),
            Some(ErrorCode::PayloadTooLarge)
        );
        assert_eq!(
            code(rules.check_head(&req(Some("application/json"), Some("x")))),
            Some(ErrorCode::MalformedRequest)
        );
        assert_eq!(
            code(rules.check_head(&req(Some("application/json"), Some("10")))),
            None
        );
        assert_eq!(
            code(rules.parse::<User>(&[b' '; 11]).map(|_| ())),
            Some(ErrorCode::PayloadTooLarge)
        );
    }
}
