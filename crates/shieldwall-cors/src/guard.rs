//! The CORS decision, as a guard both adapters run.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, VARY,
};
use http::{HeaderName, HeaderValue, StatusCode};
use shieldwall_core::{Decision, Grant, Guard, RequestView, Step, is_cors_preflight};
use shieldwall_errors::{ApiError, ErrorCode};

use crate::CorsPolicy;

const REQUEST_PRIVATE_NETWORK: &str = "access-control-request-private-network";
const ALLOW_PRIVATE_NETWORK: HeaderName =
    HeaderName::from_static("access-control-allow-private-network");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const ORIGIN: HeaderValue = HeaderValue::from_static("origin");

/// Why a preflight was refused (for the logs; the answer is one 403).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    Origin,
    Method,
    Headers,
    PrivateNetwork,
}

impl CorsPolicy {
    /// The one `Origin` value, when there is exactly one.
    fn origin_of<R: RequestView + ?Sized>(request: &R) -> Option<&[u8]> {
        request.single_header("origin").ok().flatten()
    }

    /// The answer to a preflight: 204 with the allow headers, or why not.
    pub(crate) fn preflight<R: RequestView + ?Sized>(
        &self,
        request: &R,
    ) -> Result<http::Response<Bytes>, Refusal> {
        let allow_origin = Self::origin_of(request)
            .and_then(|origin| self.allowed_origin_value(origin))
            .ok_or(Refusal::Origin)?;
        let method = request
            .single_header("access-control-request-method")
            .ok()
            .flatten()
            .ok_or(Refusal::Method)?;
        if !self.methods.iter().any(|m| m.as_str().as_bytes() == method) {
            return Err(Refusal::Method);
        }
        if !self.requested_headers_allowed(request) {
            return Err(Refusal::Headers);
        }
        let private_network = match request.single_header(REQUEST_PRIVATE_NETWORK) {
            Ok(None) => false,
            Ok(Some(value)) if value.eq_ignore_ascii_case(b"true") && self.private_network => true,
            _ => return Err(Refusal::PrivateNetwork),
        };
        let mut response = http::Response::new(Bytes::new());
        *response.status_mut() = StatusCode::NO_CONTENT;
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        if self.credentials {
            headers.insert(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            self.values.allow_methods.clone(),
        );
        if let Some(allowed) = &self.values.allow_headers {
            headers.insert(ACCESS_CONTROL_ALLOW_HEADERS, allowed.clone());
        }
        if let Some(max_age) = &self.values.max_age {
            headers.insert(ACCESS_CONTROL_MAX_AGE, max_age.clone());
        }
        if private_network {
            headers.insert(ALLOW_PRIVATE_NETWORK, TRUE);
        }
        headers.insert(VARY, self.values.vary_preflight.clone());
        Ok(response)
    }

    /// Every name of every `Access-Control-Request-Headers` value is allowed
    /// (names compare case-insensitively; empty elements are skipped).
    fn requested_headers_allowed<R: RequestView + ?Sized>(&self, request: &R) -> bool {
        request
            .header_values("access-control-request-headers")
            .all(|value| {
                value
                    .split(|b| *b == b',')
                    .map(<[u8]>::trim_ascii)
                    .filter(|name| !name.is_empty())
                    .all(|name| {
                        self.allowed_headers
                            .iter()
                            .any(|allowed| allowed.as_str().as_bytes().eq_ignore_ascii_case(name))
                    })
            })
    }

    /// The headers every other answer carries: `Vary: Origin` always, and
    /// the allow headers when the origin is allowed.
    pub(crate) fn actual<R: RequestView + ?Sized>(&self, request: &R) -> Grant {
        let Some(origin) = Self::origin_of(request) else {
            return Grant::new().with_shared_headers(Arc::clone(&self.values.vary_only));
        };
        // An exactly listed origin: headers made when the policy was built.
        if let Some(prepared) = self.prepared_for(origin) {
            return Grant::new().with_shared_headers(Arc::clone(prepared));
        }
        let Some(allow_origin) = self.allowed_origin_value(origin) else {
            return Grant::new().with_shared_headers(Arc::clone(&self.values.vary_only));
        };
        let mut grant = Grant::new().with_header(VARY, ORIGIN);
        grant = grant.with_header(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        if self.credentials {
            grant = grant.with_header(ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        if let Some(exposed) = &self.values.expose_headers {
            grant = grant.with_header(ACCESS_CONTROL_EXPOSE_HEADERS, exposed.clone());
        }
        grant
    }
}

impl Guard for CorsPolicy {
    fn describe(&self) -> shieldwall_core::telemetry::GuardInfo<'_> {
        shieldwall_core::telemetry::GuardInfo::new("cors")
    }

    type Input = ();

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<()> {
        if !is_cors_preflight(request) {
            return Step::Done(Decision::Continue(self.actual(request)));
        }
        Step::Done(match self.preflight(request) {
            Ok(response) => Decision::Respond(response),
            Err(refusal) => Decision::Reject(
                ApiError::new(ErrorCode::CorsForbidden)
                    .with_detail("this cross-origin request is not allowed")
                    .with_header(VARY, self.values.vary_preflight.clone())
                    .with_source(format!("preflight refused: {refusal:?}")),
            ),
        })
    }

    async fn decide(&self, (): ()) -> Decision {
        Decision::pass()
    }
}
