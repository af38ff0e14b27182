//! `IntoResponse` for [`ApiError`] (feature `axum`).

use axum_core::body::Body;
use axum_core::response::{IntoResponse, Response};

use crate::ApiError;

/// Renders problem+json. The request id is added by `shieldwall-axum`'s
/// outermost layer, which finds the [`Problem`](crate::Problem) in the
/// response extensions and renders the body again with it.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.to_response(None).map(Body::from)
    }
}
