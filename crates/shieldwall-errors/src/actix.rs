//! `ResponseError` for [`ApiError`] and the one conversion from an `http` 1
//! response to an actix-web response (feature `actix`).
//!
//! actix-web 4 speaks `http` 0.2; every shieldwall decision produces `http` 1
//! values. The conversion lives here, once, and `shieldwall-actix` uses it.

use actix_web::HttpResponse;
use actix_web::body::BoxBody;
use actix_web::http::StatusCode as ActixStatus;
use actix_web::http::header::{
    HeaderMap as ActixHeaderMap, HeaderName as ActixName, HeaderValue as ActixValue,
};
use bytes::Bytes;

use crate::{ApiError, Problem};

/// Converts a status; an impossible value becomes 500.
#[must_use]
pub fn status_to_actix(status: http::StatusCode) -> ActixStatus {
    ActixStatus::from_u16(status.as_u16()).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR)
}

/// Appends `http` 1 headers to an actix-web header map.
///
/// Both crates validate names and values with the same rules, so no header
/// is lost; one that were refused would be skipped, not panicked on.
pub fn append_headers(from: &http::HeaderMap, to: &mut ActixHeaderMap) {
    for (name, value) in from {
        if let (Ok(name), Ok(value)) = (
            ActixName::from_bytes(name.as_str().as_bytes()),
            ActixValue::from_bytes(value.as_bytes()),
        ) {
            to.append(name, value);
        }
    }
}

/// Converts a rendered `http` 1 response into an actix-web response, keeping
/// the [`Problem`] extension.
#[must_use]
pub fn response_to_actix(response: http::Response<Bytes>) -> HttpResponse<BoxBody> {
    let (parts, body) = response.into_parts();
    let mut out =
        HttpResponse::with_body(status_to_actix(parts.status), body).map_into_boxed_body();
    append_headers(&parts.headers, out.headers_mut());
    if let Some(problem) = parts.extensions.get::<Problem>() {
        out.extensions_mut().insert(problem.clone());
    }
    out
}

/// Renders problem+json. The request id is added by `shieldwall-actix`'s
/// outermost middleware, which finds the [`Problem`] in the response
/// extensions and renders the body again with it.
impl actix_web::ResponseError for ApiError {
    fn status_code(&self) -> ActixStatus {
        status_to_actix(self.status())
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        response_to_actix(self.to_response(None))
    }
}
