//! `POST /introspect`: token introspection (RFC 7662) for opaque tokens a
//! test registers with their answer. The client authenticates with HTTP
//! Basic ([`INTROSPECTION_CLIENT_ID`], [`INTROSPECTION_CLIENT_SECRET`]); a
//! wrong one is `401 {"error": "invalid_client"}`. A token never registered
//! (or revoked) is `{"active": false}`. [`IntrospectionAnswer`] makes the
//! endpoint misbehave: not JSON, no `active`, any status, a body too large,
//! or no answer at all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

use super::token::now;
use super::{AUDIENCE, AuthServer, Shared, json_response};

/// The client id the resource server authenticates with.
pub const INTROSPECTION_CLIENT_ID: &str = "shieldwall-test-api";
/// Its secret.
pub const INTROSPECTION_CLIENT_SECRET: &str = "introspection secret: not a real one";

/// What `POST /introspect` answers.
#[derive(Clone, Debug)]
pub enum IntrospectionAnswer {
    /// The registered answer of the token (client authentication checked).
    Honest,
    /// `200`, `text/html`, a body that is not JSON.
    NotJson,
    /// `200`, a JSON object without `active`.
    NoActive,
    /// This status with a JSON error body.
    Status(u16),
    /// `200`, a JSON object larger than any answer should be (64 KiB).
    TooLarge,
    /// Nothing, ever: the request hangs until the client gives up.
    Hang,
}

/// The endpoint's state.
pub(super) struct Introspection {
    answer: Mutex<IntrospectionAnswer>,
    tokens: Mutex<HashMap<String, Value>>,
    hits: AtomicUsize,
    refused_clients: AtomicUsize,
}

impl Default for Introspection {
    fn default() -> Self {
        Self {
            answer: Mutex::new(IntrospectionAnswer::Honest),
            tokens: Mutex::new(HashMap::new()),
            hits: AtomicUsize::new(0),
            refused_clients: AtomicUsize::new(0),
        }
    }
}

/// An opaque token to register. Starts as an active access token of the
/// server: `active: true`, `iss` (the issuer), `aud`
/// ([`AUDIENCE`](super::AUDIENCE)), `sub` (`user-1`), `client_id`
/// (`some-client`), `token_type` (`Bearer`), `iat` (now), `exp` (now +
/// 600 s). Every member can be changed.
#[must_use]
pub struct OpaqueBuilder {
    shared: Arc<Shared>,
    answer: Map<String, Value>,
}

impl OpaqueBuilder {
    /// Sets a member of the answer (any JSON value), replacing one of that name.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.answer.insert(name.to_owned(), value);
        self
    }

    /// Removes a member.
    pub fn without(mut self, name: &str) -> Self {
        self.answer.remove(name);
        self
    }

    /// `sub`.
    pub fn subject(self, sub: &str) -> Self {
        self.claim("sub", json!(sub))
    }

    /// `aud`.
    pub fn audience(self, aud: &str) -> Self {
        self.claim("aud", json!(aud))
    }

    /// `scope`, space-separated.
    pub fn scope(self, scopes: &str) -> Self {
        self.claim("scope", json!(scopes))
    }

    /// `active: false` (and nothing else, as RFC 7662 section 2.2 advises).
    pub fn inactive(mut self) -> Self {
        self.answer = Map::new();
        self.answer.insert("active".into(), json!(false));
        self
    }

    /// Registers a fresh opaque token (43 random base64url characters, never
    /// a JWS) with this answer, and returns it.
    #[must_use]
    pub fn register(self) -> String {
        let token = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        self.register_as(&token)
    }

    /// Registers `token` (any text: a JWE's five segments, dots and `+`)
    /// with this answer, and returns it.
    #[must_use]
    pub fn register_as(self, token: &str) -> String {
        let token = token.to_owned();
        self.shared
            .introspection
            .tokens
            .lock()
            .expect("tokens")
            .insert(token.clone(), Value::Object(self.answer));
        token
    }
}

impl AuthServer {
    /// `http://127.0.0.1:PORT/introspect`.
    #[must_use]
    pub fn introspection_url(&self) -> String {
        self.url("/introspect")
    }

    /// An opaque token to register (see [`OpaqueBuilder`]).
    pub fn opaque(&self) -> OpaqueBuilder {
        let now = now();
        let mut answer = Map::new();
        answer.insert("active".into(), json!(true));
        answer.insert("iss".into(), json!(self.issuer()));
        answer.insert("aud".into(), json!(AUDIENCE));
        answer.insert("sub".into(), json!("user-1"));
        answer.insert("client_id".into(), json!("some-client"));
        answer.insert("token_type".into(), json!("Bearer"));
        answer.insert("iat".into(), json!(now));
        answer.insert("exp".into(), json!(now + 600));
        OpaqueBuilder {
            shared: Arc::clone(&self.shared),
            answer,
        }
    }

    /// From now on `token` is `{"active": false}` (revoked at the provider).
    pub fn revoke_opaque(&self, token: &str) {
        self.shared
            .introspection
            .tokens
            .lock()
            .expect("tokens")
            .insert(token.to_owned(), json!({ "active": false }));
    }

    /// What the introspection endpoint answers from now on.
    pub fn set_introspection(&self, answer: IntrospectionAnswer) {
        *self.shared.introspection.answer.lock().expect("answer") = answer;
    }

    /// How many introspection requests arrived.
    #[must_use]
    pub fn introspection_hits(&self) -> usize {
        self.shared.introspection.hits.load(Ordering::SeqCst)
    }

    /// How many of them the endpoint refused for their client authentication.
    #[must_use]
    pub fn introspection_client_refusals(&self) -> usize {
        self.shared
            .introspection
            .refused_clients
            .load(Ordering::SeqCst)
    }
}

/// `application/x-www-form-urlencoded` decoding of one name or value.
fn form_decode(text: &str) -> Option<String> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// Whether the `Authorization` header is Basic with the test client.
fn client_is_known(headers: &HeaderMap) -> bool {
    let Some(encoded) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Some(pair) = STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
    else {
        return false;
    };
    let Some((id, secret)) = pair.split_once(':') else {
        return false;
    };
    form_decode(id).as_deref() == Some(INTROSPECTION_CLIENT_ID)
        && form_decode(secret).as_deref() == Some(INTROSPECTION_CLIENT_SECRET)
}

fn error(status: StatusCode, error: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": error }).to_string(),
    )
        .into_response()
}

pub(super) async fn introspect(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let state = &shared.introspection;
    state.hits.fetch_add(1, Ordering::SeqCst);
    let answer = state.answer.lock().expect("answer").clone();
    match answer {
        IntrospectionAnswer::Honest => {}
        IntrospectionAnswer::NotJson => {
            return (
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body>Gateway says hello</body></html>",
            )
                .into_response();
        }
        IntrospectionAnswer::NoActive => return json_response(&json!({ "sub": "user-1" })),
        IntrospectionAnswer::Status(status) => {
            return error(
                StatusCode::from_u16(status).expect("a status code"),
                "server_error",
            );
        }
        IntrospectionAnswer::TooLarge => {
            return json_response(
                &json!({ "active": true, "sub": "user-1", "pad": "x".repeat(64 * 1024) }),
            );
        }
        IntrospectionAnswer::Hang => return std::future::pending().await,
    }
    if !client_is_known(&headers) {
        state.refused_clients.fetch_add(1, Ordering::SeqCst);
        let mut response = error(StatusCode::UNAUTHORIZED, "invalid_client");
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"introspection\""),
        );
        return response;
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/x-www-form-urlencoded");
    let Some(text) = form.then(|| std::str::from_utf8(&body).ok()).flatten() else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let token = text
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "token")
        .and_then(|(_, value)| form_decode(value));
    let Some(token) = token else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let answer = state
        .tokens
        .lock()
        .expect("tokens")
        .get(&token)
        .cloned()
        .unwrap_or_else(|| json!({ "active": false }));
    json_response(&answer)
}
