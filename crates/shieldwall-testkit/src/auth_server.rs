//! A local OAuth 2.0 authorization server for tests (feature `auth-server`):
//! a real HTTP server on `127.0.0.1:0`, on a runtime of its own, so that
//! sync and async tests, axum's runtime and actix-web's system all reach it
//! the same way.
//!
//! It serves:
//! - `GET /.well-known/openid-configuration`: its discovery document
//!   (OpenID Connect Discovery 1.0), or whatever a test puts there instead
//!   ([`DiscoveryAnswer`]: another document, bytes that are not JSON, a
//!   redirect, an answer that never comes);
//! - `GET /jwks`: the public keys published now; [`AuthServer::add_key`]
//!   publishes a new one (rotation), [`AuthServer::unpublish`] takes one off;
//! - `POST /introspect`: token introspection (RFC 7662) of opaque tokens
//!   registered with [`AuthServer::opaque`], HTTP Basic client
//!   authentication checked, misbehaviour on demand ([`IntrospectionAnswer`]).
//!
//! Tokens are minted in the test's process with the server's private keys
//! ([`AuthServer::token`]), with any claims and header, `cnf.jkt` included;
//! also unsigned or HS256-keyed with chosen bytes, for attacks. A client's
//! DPoP key ([`DpopKey`]) binds tokens to itself and signs proofs
//! ([`ProofBuilder`]), tampered with on demand.
//!
//! Its issuer is `http://127.0.0.1:PORT` (no trailing slash). An ES256 key
//! `es256-1` and an RS256 key `rs256-1` are published at start.
//!
//! To extend it (DPoP nonces, a token endpoint), add a route
//! in `router`, its state to `Shared`, and the endpoint to
//! [`AuthServer::discovery_document`].
//!
//! ```no_run
//! use shieldwall_testkit::auth_server::{AuthServer, DiscoveryAnswer};
//!
//! let server = AuthServer::start();
//! let token = server.token("es256-1").scope("users:read").mint();
//! let mut other = server.discovery_document();
//! other["issuer"] = "https://elsewhere.example".into();
//! server.set_discovery(DiscoveryAnswer::Json(other));
//! # drop(token);
//! ```

mod dpop;
mod introspect;
mod keys;
mod token;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub use dpop::{DpopKey, ProofBuilder, sha256_b64};
pub use introspect::{
    INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET, IntrospectionAnswer, OpaqueBuilder,
};
use keys::IssuerKey;
pub use keys::KeyAlg;
pub use token::{TokenBuilder, es256_twin};

/// The `aud` of minted tokens unless a test sets another.
pub const AUDIENCE: &str = "shieldwall-test-api";

/// What `GET /.well-known/openid-configuration` answers.
#[derive(Clone, Debug)]
pub enum DiscoveryAnswer {
    /// The server's own document ([`AuthServer::discovery_document`]).
    Honest,
    /// This JSON, status 200.
    Json(Value),
    /// This status, content type and body, as they are.
    Raw {
        /// The status.
        status: u16,
        /// The `Content-Type`.
        content_type: String,
        /// The body.
        body: Vec<u8>,
    },
    /// `302 Found` to this `Location`.
    Redirect(String),
    /// Nothing, ever: the request hangs until the client gives up.
    Hang,
}

struct Shared {
    issuer: String,
    discovery: Mutex<DiscoveryAnswer>,
    /// Every key made, published or not (a retired key still mints).
    keys: Mutex<HashMap<String, Arc<IssuerKey>>>,
    /// The `kid`s in the JWKS, in order.
    published: Mutex<Vec<String>>,
    discovery_hits: AtomicUsize,
    jwks_hits: AtomicUsize,
    introspection: introspect::Introspection,
}

impl Shared {
    fn discovery_document(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{}/jwks", self.issuer),
            "authorization_endpoint": format!("{}/authorize", self.issuer),
            "token_endpoint": format!("{}/token", self.issuer),
            "introspection_endpoint": format!("{}/introspect", self.issuer),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        })
    }

    fn jwks(&self) -> Value {
        let keys = self.keys.lock().expect("keys");
        let published = self.published.lock().expect("published");
        let jwks: Vec<Value> = published
            .iter()
            .filter_map(|kid| keys.get(kid).map(|k| k.jwk.clone()))
            .collect();
        json!({ "keys": jwks })
    }
}

/// The running server; stopped when dropped.
pub struct AuthServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("issuer", &self.shared.issuer)
            .finish_non_exhaustive()
    }
}

impl AuthServer {
    /// Starts the server on `127.0.0.1:0` with `es256-1` and `rs256-1`
    /// published. Callable from sync code and from inside a runtime.
    #[must_use]
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking socket");
        let addr = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            issuer: format!("http://{addr}"),
            discovery: Mutex::new(DiscoveryAnswer::Honest),
            keys: Mutex::new(HashMap::new()),
            published: Mutex::new(Vec::new()),
            discovery_hits: AtomicUsize::new(0),
            jwks_hits: AtomicUsize::new(0),
            introspection: introspect::Introspection::default(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("auth-server")
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let app = router(Arc::clone(&shared));
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            axum::serve(listener, app).await.expect("the auth server");
        });
        let server = Self {
            shared,
            addr,
            runtime: Some(runtime),
        };
        server.add_key_named(KeyAlg::Es256, "es256-1");
        server.add_key_named(KeyAlg::Rs256, "rs256-1");
        server
    }

    /// The socket address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The issuer identifier: `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    /// `http://127.0.0.1:PORT` + `path`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.shared.issuer)
    }

    /// The honest discovery document, to change and serve with
    /// [`AuthServer::set_discovery`].
    #[must_use]
    pub fn discovery_document(&self) -> Value {
        self.shared.discovery_document()
    }

    /// What the discovery endpoint answers from now on.
    pub fn set_discovery(&self, answer: DiscoveryAnswer) {
        *self.shared.discovery.lock().expect("discovery") = answer;
    }

    /// Makes a key pair of `alg`, publishes it in the JWKS, and returns its
    /// `kid`.
    pub fn add_key(&self, alg: KeyAlg) -> String {
        let n = self.shared.keys.lock().expect("keys").len() + 1;
        let kid = format!("{}-{n}", alg.name().to_ascii_lowercase());
        self.add_key_named(alg, &kid);
        kid
    }

    fn add_key_named(&self, alg: KeyAlg, kid: &str) {
        let key = Arc::new(IssuerKey::generate(alg, kid));
        self.shared
            .keys
            .lock()
            .expect("keys")
            .insert(kid.to_owned(), key);
        self.shared
            .published
            .lock()
            .expect("published")
            .push(kid.to_owned());
    }

    /// Takes a key off the JWKS (it still mints).
    pub fn unpublish(&self, kid: &str) {
        self.shared
            .published
            .lock()
            .expect("published")
            .retain(|k| k != kid);
    }

    fn key(&self, kid: &str) -> Arc<IssuerKey> {
        let keys = self.shared.keys.lock().expect("keys");
        Arc::clone(keys.get(kid).unwrap_or_else(|| panic!("no key {kid}")))
    }

    /// The public JWK of `kid`.
    #[must_use]
    pub fn public_jwk(&self, kid: &str) -> Value {
        self.key(kid).jwk.clone()
    }

    /// The public key of `kid` as SPKI PEM.
    #[must_use]
    pub fn public_key_pem(&self, kid: &str) -> String {
        self.key(kid).pem.clone()
    }

    /// A token signed by `kid` (see [`TokenBuilder`] for what it holds).
    pub fn token(&self, kid: &str) -> TokenBuilder {
        TokenBuilder::new(self.key(kid), &self.shared.issuer, AUDIENCE)
    }

    /// How many times the discovery document was asked for.
    #[must_use]
    pub fn discovery_hits(&self) -> usize {
        self.shared.discovery_hits.load(Ordering::SeqCst)
    }

    /// How many times the JWKS was asked for.
    #[must_use]
    pub fn jwks_hits(&self) -> usize {
        self.shared.jwks_hits.load(Ordering::SeqCst)
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        // Not waiting: a hanging answer never ends, and a runtime may not
        // block inside another one.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/introspect", post(introspect::introspect))
        .with_state(shared)
}

fn json_response(value: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let answer = shared.discovery.lock().expect("discovery").clone();
    match answer {
        DiscoveryAnswer::Honest => json_response(&shared.discovery_document()),
        DiscoveryAnswer::Json(value) => json_response(&value),
        DiscoveryAnswer::Raw {
            status,
            content_type,
            body,
        } => {
            let status = StatusCode::from_u16(status).expect("a status code");
            let content_type = HeaderValue::from_str(&content_type).expect("a content type");
            (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
        DiscoveryAnswer::Redirect(location) => {
            let location = HeaderValue::from_str(&location).expect("a location");
            (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
        }
        DiscoveryAnswer::Hang => std::future::pending().await,
    }
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.jwks_hits.fetch_add(1, Ordering::SeqCst);
    json_response(&shared.jwks())
}
