//! Parsing a body already read in full: the screen (size, shape, UTF-8,
//! depth, duplicate and forbidden keys), then serde, with errors that name
//! the field by its JSON name and never echo a value.

use serde::de::DeserializeOwned;
use serde_json::Value;
use shieldwall_errors::{ApiError, ErrorCode, FieldError};
use shieldwall_sanitize::{KeyPolicy, is_forbidden_key, strip_forbidden_keys};

use super::head::unsupported;
use super::{BodyPolicy, malformed};
use crate::field::{cap_path, classify, field_error};
use crate::json_scan::{self, ScanError};

impl BodyPolicy {
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

    /// Parses a body already read in full (and no longer than the limit),
    /// reading its keys as data: what the adapters' `Json<T>` runs.
    ///
    /// Before serde sees it, one pass checks the body is UTF-8 throughout,
    /// nested at most `max_depth` deep, and has no key twice in any object
    /// (compared after unescaping); see [`BodyPolicy::parse_with_key_rule`]
    /// for the policy's key rule too.
    ///
    /// ```
    /// use shieldwall_core::BodyPolicy;
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Login { email: String }
    ///
    /// let policy = BodyPolicy::default();
    /// let login: Login = policy.parse(br#"{"email":"a@example.com"}"#).unwrap();
    /// assert_eq!(login.email, "a@example.com");
    /// let err = policy.parse::<Login>(br#"{"email": 42}"#).unwrap_err();
    /// assert_eq!(err.code().as_str(), "VALIDATION_FAILED");
    /// assert!(!err.to_string().contains("42"));
    /// ```
    pub fn parse<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, ApiError> {
        self.screen(body, None)?;
        self.deserialize(body)
    }

    /// [`BodyPolicy::parse`] under the policy's key rule too
    /// ([`BodyPolicy::keys`]): a NoSQL operator, dotted or prototype key at any
    /// depth (after unescaping) is refused with 400 `VALIDATION_FAILED` naming
    /// the object that holds it, never the key ([`KeyPolicy::Reject`], the
    /// default), removed with its value ([`KeyPolicy::Strip`]), or read as
    /// data ([`KeyPolicy::Allow`]). What `Valid<Json<T>>` runs before `T`'s
    /// own rules.
    ///
    /// ```
    /// use shieldwall_core::{BodyPolicy, KeyPolicy};
    ///
    /// #[derive(Debug, serde::Deserialize)]
    /// struct Search { name: serde_json::Value }
    ///
    /// let body = br#"{"name": {"$ne": null}}"#;
    /// let err = BodyPolicy::default().parse_with_key_rule::<Search>(body).unwrap_err();
    /// assert_eq!(err.code().as_str(), "VALIDATION_FAILED");
    ///
    /// let strip = BodyPolicy::builder().keys(KeyPolicy::Strip).build()?;
    /// let search: Search = strip.parse_with_key_rule(body).unwrap();
    /// assert_eq!(search.name, serde_json::json!({}));
    /// # Ok::<(), shieldwall_core::BodyConfigError>(())
    /// ```
    pub fn parse_with_key_rule<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, ApiError> {
        match self.keys {
            KeyPolicy::Allow => self.parse(body),
            KeyPolicy::Strip => {
                self.screen(body, None)?;
                let mut tree: Value = serde_json::from_slice(body)
                    .map_err(|e| malformed("the request body is not valid JSON").with_source(e))?;
                strip_forbidden_keys(&mut tree);
                from_tree(tree)
            }
            // Reject, and whatever a later version adds: the safe answer.
            _ => self.parse_checking_keys(body, &is_forbidden_key),
        }
    }

    /// [`BodyPolicy::parse`], refusing any key, at any depth, for which
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

/// A value from a tree already screened, with the field named on error.
fn from_tree<T: DeserializeOwned>(tree: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(tree).map_err(|err| {
        let message = err.inner().to_string();
        ApiError::invalid_fields().with_field_error(field_error(err.path(), &message))
    })
}

fn is_json(body: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
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
        BodyPolicy::default()
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
        let err = BodyPolicy::default()
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
        let any = BodyPolicy::builder()
            .allow_non_object_bodies()
            .build()
            .unwrap();
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
            a: Value,
        }
        let rules = BodyPolicy::default();
        let deep = format!("{{\"a\": {}1{}}}", "[".repeat(31), "]".repeat(31));
        assert!(rules.parse::<Loose>(deep.as_bytes()).is_ok());
        let deeper = format!("{{\"a\": {}1{}}}", "[".repeat(32), "]".repeat(32));
        let err = rules.parse::<Loose>(deeper.as_bytes()).unwrap_err();
        assert_eq!(err.code(), ErrorCode::MalformedRequest);
        let shallow = BodyPolicy::builder().max_depth(2).build().unwrap();
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
    fn the_key_rule_is_the_policys_own() {
        #[derive(Debug, Deserialize)]
        struct Loose {
            a: Value,
        }
        let body = br#"{"a": {"b": [{"\u0024where": 1, "ok": 2}]}}"#;
        // `parse` reads keys as data, whatever the key rule.
        assert!(BodyPolicy::default().parse::<Loose>(body).is_ok());
        // The default key rule refuses, naming the object that holds the key.
        let err = BodyPolicy::default()
            .parse_with_key_rule::<Loose>(body)
            .unwrap_err();
        assert_eq!(fields(&err), [("a.b[0]".into(), "forbidden_key".into())]);
        let strip = BodyPolicy::builder()
            .keys(KeyPolicy::Strip)
            .build()
            .unwrap();
        let loose: Loose = strip.parse_with_key_rule(body).unwrap();
        assert_eq!(loose.a, serde_json::json!({"b": [{"ok": 2}]}));
        let allow = BodyPolicy::builder()
            .keys(KeyPolicy::Allow)
            .build()
            .unwrap();
        assert!(allow.parse_with_key_rule::<Loose>(body).is_ok());
        // Under every key rule the rest of the policy still holds.
        for keys in [KeyPolicy::Reject, KeyPolicy::Strip, KeyPolicy::Allow] {
            let policy = BodyPolicy::builder()
                .keys(keys)
                .limit(40)
                .max_depth(2)
                .build()
                .unwrap();
            let code = |body: &[u8]| {
                policy
                    .parse_with_key_rule::<Loose>(body)
                    .unwrap_err()
                    .code()
            };
            assert_eq!(code(&[b' '; 41]), ErrorCode::PayloadTooLarge, "{keys:?}");
            assert_eq!(
                code(br#"{"a": [[1]]}"#),
                ErrorCode::MalformedRequest,
                "{keys:?}"
            );
            assert_eq!(
                code(br#"[{"a": 1}]"#),
                ErrorCode::MalformedRequest,
                "{keys:?}"
            );
            assert_eq!(
                code(br#"{"a": 1, "a": 2}"#),
                ErrorCode::MalformedRequest,
                "{keys:?}"
            );
        }
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
        let err = BodyPolicy::default()
            .parse::<Tags>(body.as_bytes())
            .unwrap_err();
        assert_eq!(
            fields(&err),
            [("tags.a.(unknown)".into(), "invalid_type".into())]
        );
        // Plain names, too many of them: the path is cut at a segment boundary.
        let (a, b, c) = ("a".repeat(60), "b".repeat(60), "c".repeat(60));
        let body = format!(r#"{{"tags": {{"{a}": {{"{b}": {{"{c}": "x"}}}}}}}}"#);
        let err = BodyPolicy::default()
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
        let rules = BodyPolicy::default();
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
}
