//! Before the body is read: the media type and a declared length.

use shieldwall_errors::{ApiError, ErrorCode};

use super::{BodyPolicy, malformed};
use crate::RequestView;

impl BodyPolicy {
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

    /// [`BodyPolicy::check_head`] for a route whose body is optional: a request
    /// without `Content-Type` passes (its body must then be empty, see
    /// [`BodyPolicy::parse_optional`]).
    pub fn check_head_optional<R: RequestView + ?Sized>(
        &self,
        request: &R,
    ) -> Result<bool, ApiError> {
        match request.single_header("content-type") {
            Ok(None) => Ok(false),
            _ => self.check_head(request).map(|()| true),
        }
    }
}

pub(super) fn unsupported() -> ApiError {
    ApiError::new(ErrorCode::UnsupportedMediaType)
        .with_detail("the request body must be sent as application/json")
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let rules = BodyPolicy::builder().limit(10).build().unwrap();
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
            code(rules.parse::<serde_json::Value>(&[b' '; 11]).map(|_| ())),
            Some(ErrorCode::PayloadTooLarge)
        );
    }
}
