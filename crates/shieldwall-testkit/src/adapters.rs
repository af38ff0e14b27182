//! A case table through axum and actix-web in process (feature `adapters`):
//! each [`TestRequest`] sent to the app as the framework's own test tools
//! send it (tower `oneshot`, `actix_web::test`), each answer read into an
//! [`Observed`] for [`assert_cases`](crate::assert_cases).
//!
//! The request is the same on both: method, target, headers in order (a
//! repeated name sent repeatedly), body, and the socket peer (axum's
//! `ConnectInfo<SocketAddr>`, actix-web's `peer_addr`). `Content-Length`: the
//! case's own when it sets one; none when the case is
//! [`chunked`](TestRequest::chunked); else the body's length (on axum only
//! when there is a body, on actix-web always, `0` for none, as its test
//! request has it).
//!
//! ```no_run
//! use shieldwall_testkit::adapters::{through_actix, through_axum};
//! use shieldwall_testkit::{Case, Expect, TestRequest, assert_cases};
//!
//! let cases = [Case::new("unknown path", TestRequest::get("/nope"), Expect::status(404))];
//! let axum = through_axum(axum::Router::new(), &cases);
//! let actix = through_actix(actix_web::App::new(), &cases);
//! assert_cases(&[("axum", axum), ("actix", actix)], &cases);
//! ```

use std::net::SocketAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::{Case, Observed, TestRequest};

/// Every case's answer from `app`, in order (tower `oneshot` on a clone of
/// `app` each time, on a tokio runtime of its own).
///
/// The body is the one `app` gives, `HEAD` or not: emptying a `HEAD` answer's
/// body is the app's outermost layer's job (`ShieldwallLayer` does it), and
/// is checked here rather than done.
pub fn through_axum(app: axum::Router, cases: &[Case]) -> Vec<Observed> {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let mut out = Vec::with_capacity(cases.len());
        for case in cases {
            let response = app
                .clone()
                .oneshot(axum_request(&case.request))
                .await
                .expect("a Router never fails");
            let status = response.status().as_u16();
            let headers = header_list(response.headers().iter());
            let body = response
                .into_body()
                .collect()
                .await
                .expect("the body of an in-process answer")
                .to_bytes()
                .to_vec();
            out.push(Observed {
                status,
                headers,
                body,
            });
        }
        out
    })
}

/// Every case's answer from `app`, in order (`actix_web::test`, in an actix
/// system of its own).
///
/// An error that leaves the service is answered with its `error_response`,
/// as the server would; an answer to `HEAD` has no body, as actix-http's
/// dispatcher sends none (the app's body is read, then dropped).
pub fn through_actix<T, B>(app: actix_web::App<T>, cases: &[Case]) -> Vec<Observed>
where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    actix_rt::System::new().block_on(async {
        let app = actix_web::test::init_service(app).await;
        let mut out = Vec::with_capacity(cases.len());
        for case in cases {
            let mut request = actix_request(&case.request).to_request();
            if case.request.chunked {
                request
                    .headers_mut()
                    .remove(actix_web::http::header::CONTENT_LENGTH);
            }
            let response = match actix_web::test::try_call_service(&app, request).await {
                Ok(response) => response.into_parts().1.map_into_boxed_body(),
                Err(error) => error.error_response(),
            };
            let status = response.status().as_u16();
            let headers = header_list(response.headers().iter());
            let body = actix_web::body::to_bytes(response.into_body())
                .await
                .expect("the body of an in-process answer")
                .to_vec();
            // actix-http's dispatcher sends no body in answer to HEAD; do the
            // same here.
            let body = if case.request.method == "HEAD" {
                Vec::new()
            } else {
                body
            };
            out.push(Observed {
                status,
                headers,
                body,
            });
        }
        out
    })
}

fn axum_request(r: &TestRequest) -> http::Request<axum::body::Body> {
    let mut builder = http::Request::builder()
        .method(r.method.as_str())
        .uri(r.target.as_str());
    if !r.chunked && !r.body.is_empty() && !r.headers.iter().any(|(n, _)| n == "content-length") {
        builder = builder.header("content-length", r.body.len());
    }
    for (name, value) in &r.headers {
        let value = http::HeaderValue::from_bytes(value).expect("a valid header value");
        builder = builder.header(name.as_str(), value);
    }
    let mut request = builder
        .body(axum::body::Body::from(r.body.clone()))
        .expect("a case's method, target and header names are valid");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo::<SocketAddr>(r.peer));
    request
}

fn actix_request(r: &TestRequest) -> actix_web::test::TestRequest {
    let mut request = actix_web::test::TestRequest::default()
        .method(actix_web::http::Method::from_bytes(r.method.as_bytes()).expect("a valid method"))
        .uri(&r.target)
        .peer_addr(r.peer)
        .set_payload(r.body.clone());
    // `set_payload` sets Content-Length; a case's own value replaces it.
    for (name, value) in &r.headers {
        let value =
            actix_web::http::header::HeaderValue::from_bytes(value).expect("a valid header value");
        if name == "content-length" {
            request = request.insert_header((name.as_str(), value));
        } else {
            request = request.append_header((name.as_str(), value));
        }
    }
    request
}

/// The headers of an answer, in order.
fn header_list<'a, N, V>(headers: impl Iterator<Item = (&'a N, &'a V)>) -> Vec<(String, Vec<u8>)>
where
    N: AsRef<str> + 'a,
    V: AsRef<[u8]> + 'a,
{
    headers
        .map(|(n, v)| (n.as_ref().to_owned(), v.as_ref().to_vec()))
        .collect()
}
