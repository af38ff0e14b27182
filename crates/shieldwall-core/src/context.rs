//! The outermost layer's decisions: request id, client address, the safety
//! net for error bodies, and the answer to a panic.

use std::any::Any;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::HeaderMap;

use shieldwall_errors::{ApiError, ErrorCode, PROBLEM_JSON, Problem, ProblemTypes};

use crate::{ClientIpResolver, REQUEST_ID_HEADER, RequestId, RequestObserver, RequestView};

/// What the outermost layer established about a request; adapters put it in
/// the request extensions.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// The request id (also sent back as `X-Request-Id`).
    pub request_id: RequestId,
    /// The socket peer, when known.
    pub peer: Option<SocketAddr>,
    /// The client address after trusted-proxy resolution, when the peer is known.
    pub client_ip: Option<IpAddr>,
    /// Whether the request came over HTTPS: TLS on this server's listener,
    /// or a trusted proxy's `X-Forwarded-Proto: https` (never believed from
    /// another peer).
    pub https: bool,
    /// The headers every answer to this request gets where it lacks them
    /// (chosen by the perimeter's [`ResponseHeaderPolicy`]).
    pub response_headers: Option<Arc<HeaderMap>>,
}

/// Headers the perimeter puts on **every** answer (the handler's, a guard's
/// refusal, a framework's error, the answer to a panic), and whether plain
/// HTTP is refused. `shieldwall-headers` implements it; the perimeter owns
/// it, so that no answer leaves without it.
pub trait ResponseHeaderPolicy: Send + Sync + std::fmt::Debug + 'static {
    /// The headers for answers to a request for `path`, over HTTPS or not,
    /// set where the answer has no field of the same name. Made when the
    /// policy is built; the perimeter only picks one.
    fn headers_for(&self, path: &str, https: bool) -> Option<Arc<HeaderMap>>;

    /// Whether a request that did not come over HTTPS is refused with 403
    /// `HTTPS_REQUIRED` before anything else runs.
    fn requires_https(&self) -> bool;
}

impl RequestContext {
    /// The socket peer.
    #[must_use]
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// Whether the request came over HTTPS (see the field).
    #[must_use]
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The client address of `request`, as the outermost layer resolved it.
    ///
    /// A 500 when it is unknown: the outermost layer is missing, or the server
    /// does not pass the peer address (axum: serve with
    /// `into_make_service_with_connect_info::<SocketAddr>()`). Guessing would
    /// put every client into one rate-limit bucket.
    pub fn client_ip_of<R: RequestView + ?Sized>(request: &R) -> Result<IpAddr, ApiError> {
        request
            .context()
            .and_then(|ctx| ctx.client_ip)
            .ok_or_else(|| {
                ApiError::internal(
                    "client address unknown: install the shieldwall outermost layer and pass the peer address",
                )
            })
    }
}

fn has_encoded_unreserved(path: &[u8]) -> bool {
    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    path.windows(3).any(|w| match w {
        [b'%', hi, lo] => match (hex(*hi), hex(*lo)) {
            (Some(hi), Some(lo)) => {
                let byte = hi * 16 + lo;
                byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
            }
            _ => false,
        },
        _ => false,
    })
}

/// Whether a response header describes the body, and so goes when the body
/// is replaced by a problem.
#[must_use]
pub fn is_body_header(name: &str) -> bool {
    [
        "content-type",
        "content-length",
        "content-encoding",
        "transfer-encoding",
        "content-range",
        "etag",
        "last-modified",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(name))
}

/// What to do with a response on its way out.
// Exhaustive by decision: adapters match on it.
#[allow(clippy::exhaustive_enums)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResponsePlan {
    /// Send it as it is (plus `X-Request-Id`).
    Keep,
    /// Replace the body with this problem, rendered with the request id; keep
    /// the other headers (`Allow`, `WWW-Authenticate`, `Retry-After`, ...).
    Render(Problem),
}

/// The policy of the outermost layer, shared by both adapters.
///
/// ```
/// use shieldwall_core::{Perimeter, ResponsePlan};
///
/// let perimeter = Perimeter::new();
/// // A framework's bare 404 becomes problem+json NOT_FOUND...
/// assert!(matches!(perimeter.plan_response(404, Some(b"text/plain"), None), ResponsePlan::Render(_)));
/// // ...a handler's own 200 is left alone.
/// assert_eq!(perimeter.plan_response(200, Some(b"text/plain"), None), ResponsePlan::Keep);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Perimeter {
    resolver: ClientIpResolver,
    error_bodies: ErrorBodies,
    problem_types: ProblemTypes,
    headers: Option<Arc<dyn ResponseHeaderPolicy>>,
    observer: Option<Arc<dyn RequestObserver>>,
}

impl Perimeter {
    /// No trusted proxies; bare error bodies are replaced, an application's
    /// own JSON 4xx bodies kept; problem `type` is `about:blank`.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How the client address is found (trusted proxies).
    #[must_use]
    pub fn client_ip_resolver(mut self, resolver: ClientIpResolver) -> Self {
        self.resolver = resolver;
        self
    }

    /// Sends error responses that are not problem+json as the handler or
    /// framework made them. Insecure: framework rejections can echo submitted
    /// values and 5xx bodies can carry internals.
    #[must_use]
    pub fn keep_error_bodies_insecure(mut self) -> Self {
        self.error_bodies = ErrorBodies::KeepAllInsecure;
        self
    }

    /// Replaces an application's own JSON 4xx bodies too (`404
    /// {"error":"order 42 not found"}` becomes `NOT_FOUND`): for a service
    /// whose every error must be problem+json, or whose handlers might echo
    /// what a client sent into an error. By default they are kept.
    #[must_use]
    pub fn replace_json_error_bodies(mut self) -> Self {
        self.error_bodies = ErrorBodies::ReplaceAll;
        self
    }

    /// How the `type` member of every problem this perimeter renders is
    /// written (default `about:blank`, which names no library or version).
    #[must_use]
    pub fn problem_types(mut self, types: ProblemTypes) -> Self {
        self.problem_types = types;
        self
    }

    /// The problem+json body of `problem` for the request with
    /// `request_id`, its `type` written as this perimeter says: what the
    /// adapters send for [`ResponsePlan::Render`].
    #[must_use]
    pub fn render_problem(&self, problem: &Problem, request_id: &str) -> bytes::Bytes {
        problem.to_json_with(&self.problem_types, Some(request_id))
    }

    /// Headers for every answer, and HTTPS enforcement (`shieldwall-headers`).
    #[must_use]
    pub fn response_headers(mut self, policy: impl ResponseHeaderPolicy) -> Self {
        self.headers = Some(Arc::new(policy));
        self
    }

    /// Tells `observer` about every finished request (`shieldwall-audit`,
    /// `shieldwall-metrics`). Observers added one after another are all
    /// told, in the order they were added.
    #[must_use]
    pub fn observer(mut self, observer: impl RequestObserver) -> Self {
        let added: Arc<dyn RequestObserver> = Arc::new(observer);
        self.observer = Some(match self.observer.take() {
            None => added,
            Some(first) => Arc::new(crate::observe::Fanout(vec![first, added])),
        });
        self
    }

    /// The observer, when one is installed: adapters build a
    /// [`RequestSummary`](crate::RequestSummary) only then.
    #[must_use]
    pub fn request_observer(&self) -> Option<&dyn RequestObserver> {
        self.observer.as_deref()
    }

    /// The resolver.
    #[must_use]
    pub fn resolver(&self) -> &ClientIpResolver {
        &self.resolver
    }

    /// Establishes the request id, the client address and whether the
    /// request came over HTTPS.
    #[must_use]
    pub fn begin<R: RequestView + ?Sized>(
        &self,
        request: &R,
        peer: Option<SocketAddr>,
    ) -> RequestContext {
        let incoming = request.header_values(REQUEST_ID_HEADER.as_str()).next();
        let https = request.arrived_over_tls()
            || peer.is_some_and(|p| self.resolver.forwarded_https(request, p.ip()));
        RequestContext {
            request_id: RequestId::from_incoming(incoming),
            peer,
            client_ip: peer.map(|p| self.resolver.resolve(request, p.ip())),
            https,
            response_headers: self
                .headers
                .as_ref()
                .and_then(|policy| policy.headers_for(request.path(), https)),
        }
    }

    /// Screens what no route should see. A path holding a percent-encoded
    /// unreserved character (`/heal%74h`, `/%61pi`, `%2e%2e`) is 404
    /// `NOT_FOUND`: such a path has a plain spelling, frameworks disagree on
    /// whether to decode it before routing (actix-web does, axum does not),
    /// and a policy written for `/api` must not be walked around with `/%61pi`.
    ///
    /// With a [`ResponseHeaderPolicy`] that requires HTTPS, a request that
    /// did not come over HTTPS (per `context`) is 403 `HTTPS_REQUIRED`: not
    /// a redirect, since its credentials already crossed the network in the
    /// clear.
    pub fn screen<R: RequestView + ?Sized>(
        &self,
        request: &R,
        context: &RequestContext,
    ) -> Result<(), ApiError> {
        if self
            .headers
            .as_ref()
            .is_some_and(|policy| policy.requires_https())
            && !context.https
        {
            return Err(ApiError::new(ErrorCode::HttpsRequired)
                .with_detail("this API is served over HTTPS only; credentials sent over plain HTTP should be replaced"));
        }
        if has_encoded_unreserved(request.path().as_bytes()) {
            return Err(ApiError::new(ErrorCode::NotFound)
                .with_source("path with a percent-encoded unreserved character"));
        }
        Ok(())
    }

    /// Decides what happens to a response: a body shieldwall rendered gets
    /// the request id; a framework's bare error (404, 405, 413, 415, 400,
    /// 422, 429 in plain text, HTML or with no type) and **every** 5xx body
    /// shieldwall did not render (problem+json too) are replaced by the
    /// matching problem, so that no
    /// framework text, submitted value or internal detail leaves. An
    /// application's own JSON 4xx body (`application/json` or `+json`) is
    /// kept, unless [`Perimeter::replace_json_error_bodies`] was chosen.
    #[must_use]
    pub fn plan_response(
        &self,
        status: u16,
        content_type: Option<&[u8]>,
        rendered: Option<&Problem>,
    ) -> ResponsePlan {
        if let Some(problem) = rendered {
            return ResponsePlan::Render(problem.clone());
        }
        if self.error_bodies == ErrorBodies::KeepAllInsecure {
            return ResponsePlan::Keep;
        }
        let essence = content_type.map(media_type);
        let is_problem = essence.is_some_and(|m| m.eq_ignore_ascii_case(PROBLEM_JSON.as_bytes()));
        // A 5xx problem that shieldwall did not render (a handler passing an
        // upstream's answer on) can hold internals in its detail: replaced
        // like any other 5xx body.
        if is_problem && status < 500 {
            return ResponsePlan::Keep;
        }
        let application_json = (400..500).contains(&status)
            && self.error_bodies == ErrorBodies::KeepJson
            && essence.is_some_and(is_json);
        if application_json {
            return ResponsePlan::Keep;
        }
        match http::StatusCode::from_u16(status)
            .ok()
            .and_then(ErrorCode::for_status)
        {
            Some(code) => ResponsePlan::Render(Problem::new(code)),
            None => ResponsePlan::Keep,
        }
    }
}

/// What happens to error bodies that are not problem+json.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum ErrorBodies {
    /// Framework rejections and 5xx replaced, an application's JSON 4xx kept.
    #[default]
    KeepJson,
    /// Every bare error body replaced.
    ReplaceAll,
    /// Nothing replaced.
    KeepAllInsecure,
}

/// The media type of a `Content-Type` value, without parameters or spaces.
fn media_type(value: &[u8]) -> &[u8] {
    let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    value.get(..end).unwrap_or(value).trim_ascii()
}

/// `application/json` or an `application/...+json` type.
fn is_json(media: &[u8]) -> bool {
    const APPLICATION: &[u8] = b"application/";
    let Some((head, subtype)) = media.split_at_checked(APPLICATION.len()) else {
        return false;
    };
    let suffix = subtype
        .len()
        .checked_sub(b"+json".len())
        .and_then(|at| subtype.get(at..));
    head.eq_ignore_ascii_case(APPLICATION)
        && (subtype.eq_ignore_ascii_case(b"json")
            || (subtype.len() > b"+json".len()
                && suffix.is_some_and(|s| s.eq_ignore_ascii_case(b"+json"))))
}

/// The answer to a panic: 500 `INTERNAL_ERROR`, with the panic message as the
/// internal source (logged, never sent).
#[must_use]
pub fn panic_error(payload: &(dyn Any + Send)) -> ApiError {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_owned());
    ApiError::internal(format!("handler panicked: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TrustedProxies;

    #[test]
    fn begin_keeps_a_valid_id_and_resolves_the_client() {
        let perimeter = Perimeter::new().client_ip_resolver(
            ClientIpResolver::builder()
                .trusted_proxies("10.0.0.0/8".parse::<TrustedProxies>().unwrap())
                .build(),
        );
        let req = http::Request::builder()
            .header("x-request-id", "abc-1")
            .header("x-forwarded-for", "198.51.100.4")
            .body(())
            .unwrap();
        let ctx = perimeter.begin(&req, Some("10.0.0.1:5000".parse().unwrap()));
        assert_eq!(ctx.request_id.as_str(), "abc-1");
        assert_eq!(ctx.client_ip, Some("198.51.100.4".parse().unwrap()));

        let bad = http::Request::builder()
            .header("x-request-id", "has space")
            .body(())
            .unwrap();
        let ctx = perimeter.begin(&bad, None);
        assert_eq!(ctx.request_id.as_str().len(), 32);
        assert_eq!(ctx.client_ip, None);
    }

    #[test]
    fn plan_renders_ours_replaces_bare_errors_and_keeps_the_rest() {
        let p = Perimeter::new();
        let ours = Problem::new(ErrorCode::RateLimited);
        assert_eq!(
            p.plan_response(429, Some(b"application/problem+json"), Some(&ours)),
            ResponsePlan::Render(ours)
        );
        assert_eq!(
            p.plan_response(400, Some(b"Application/Problem+JSON; charset=utf-8"), None),
            ResponsePlan::Keep
        );
        assert_eq!(
            p.plan_response(405, None, None),
            ResponsePlan::Render(Problem::new(ErrorCode::MethodNotAllowed))
        );
        assert_eq!(
            p.plan_response(422, Some(b"text/plain"), None),
            ResponsePlan::Render(Problem::new(ErrorCode::ValidationFailed))
        );
        assert_eq!(
            p.plan_response(502, Some(b"text/html"), None),
            ResponsePlan::Render(Problem::new(ErrorCode::InternalError))
        );
        assert_eq!(
            p.plan_response(409, Some(b"text/plain"), None),
            ResponsePlan::Keep
        );
        assert_eq!(
            p.plan_response(201, Some(b"application/json"), None),
            ResponsePlan::Keep
        );
        let lax = Perimeter::new().keep_error_bodies_insecure();
        assert_eq!(
            lax.plan_response(500, Some(b"text/plain"), None),
            ResponsePlan::Keep
        );
    }

    #[test]
    fn an_applications_json_4xx_is_kept_unless_strict_and_a_5xx_never() {
        let p = Perimeter::new();
        let strict = Perimeter::new().replace_json_error_bodies();
        let not_found = || ResponsePlan::Render(Problem::new(ErrorCode::NotFound));
        for json in [
            &b"application/json"[..],
            b"Application/JSON; charset=utf-8",
            b" application/json ;x=1",
            b"application/vnd.acme.order+json",
            b"application/merge-patch+JSON",
        ] {
            assert_eq!(
                p.plan_response(404, Some(json), None),
                ResponsePlan::Keep,
                "{json:?}"
            );
            assert_eq!(
                strict.plan_response(404, Some(json), None),
                not_found(),
                "{json:?}"
            );
            assert_eq!(
                p.plan_response(500, Some(json), None),
                ResponsePlan::Render(Problem::new(ErrorCode::InternalError)),
                "{json:?}"
            );
            assert_eq!(
                p.plan_response(503, Some(json), None),
                ResponsePlan::Render(Problem::new(ErrorCode::ServiceUnavailable))
            );
        }
        // What only looks like JSON is a framework's text.
        for not_json in [
            &b"text/plain"[..],
            b"text/json",
            b"application/+json",
            b"application/jsonx",
            b"application/json-seq",
            b"application/xjson",
            b"json",
            b"",
        ] {
            assert_eq!(
                p.plan_response(404, Some(not_json), None),
                not_found(),
                "{not_json:?}"
            );
        }
        assert_eq!(p.plan_response(404, None, None), not_found());
        // Statuses with no framework meaning stay as they are, in any type.
        assert_eq!(
            strict.plan_response(409, Some(b"application/json"), None),
            ResponsePlan::Keep
        );
        // A 5xx problem+json that shieldwall did not render is replaced too
        // (a handler passing an upstream's answer on); a 4xx one is kept.
        assert_eq!(
            p.plan_response(500, Some(b"application/problem+json"), None),
            ResponsePlan::Render(Problem::new(ErrorCode::InternalError))
        );
        assert_eq!(
            p.plan_response(409, Some(b"application/problem+json"), None),
            ResponsePlan::Keep
        );
        // The option chosen last wins: here the insecure one keeps everything.
        let lax = Perimeter::new()
            .replace_json_error_bodies()
            .keep_error_bodies_insecure();
        assert_eq!(
            lax.plan_response(502, Some(b"application/json"), None),
            ResponsePlan::Keep
        );
    }

    #[test]
    fn paths_with_encoded_unreserved_characters_are_screened_out() {
        let p = Perimeter::new();
        let screen = |path: &str| {
            let req = http::Request::builder().uri(path).body(()).unwrap();
            let context = p.begin(&req, None);
            p.screen(&req, &context).err().map(|e| e.code())
        };
        for bad in [
            "/heal%74h",
            "/%61pi/v1",
            "/%2e%2e/etc",
            "/a%2Eb",
            "/x%7e",
            "/x%5F",
            "/%30",
        ] {
            assert_eq!(screen(bad), Some(ErrorCode::NotFound), "{bad}");
        }
        for ok in ["/health", "/a%2Fb", "/a%20b", "/%zz", "/100%", "/%e2%82%ac"] {
            assert_eq!(screen(ok), None, "{ok}");
        }
    }

    #[test]
    fn panics_become_internal_errors_that_keep_the_message_inside() {
        let err = panic_error(&"db password is hunter2");
        assert_eq!(err.code(), ErrorCode::InternalError);
        assert!(
            err.internal_source()
                .unwrap()
                .to_string()
                .contains("hunter2")
        );
        assert!(!String::from_utf8_lossy(err.to_response(None).body()).contains("hunter2"));
        let err = panic_error(&String::from("boom"));
        assert!(err.internal_source().unwrap().to_string().contains("boom"));
        assert!(panic_error(&42_u8).internal_source().is_some());
    }
}
