//! Optional authentication and "an API key or a bearer token", on both
//! adapters: one app on axum and on actix-web, one case table.
//!
//! `/hello` is the optional-auth route of the adapter READMEs: a handler
//! taking `Option<Authenticated>` behind
//! `ApiKeyGuard.or(BearerGuard).or_anonymous()`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::sync::OnceLock;

use serde_json::json;
use shieldwall_core::{CredentialGuard, OneOf, OrAnonymous, Perimeter, Principal, Secret};
use shieldwall_keys::{ApiKeyGuard, ApiKeys, KeyFormat, MemoryKeyStore, NewKey};
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};
use shieldwall_tokens::{
    Algorithm, BearerGuard, Issuer, KeySet, MemoryRevocations, SigningKey, Verifier, VerifyingKey,
};

type KeyGuard = ApiKeyGuard<MemoryKeyStore>;
type TokenGuard = BearerGuard<MemoryRevocations>;

const TOKEN_SECRET: &[u8] = b"optional-auth-secret-of-32-bytes-or-more";

#[derive(serde::Deserialize)]
struct TenantClaims {
    tenant: String,
}

/// The guards of the app, and the credentials of the cases.
struct Fixture {
    /// `/hello`: a key or a token, or neither.
    optional: OrAnonymous<OneOf<KeyGuard, TokenGuard>>,
    /// `/either`: a key or a token with `users:read`.
    either: OneOf<KeyGuard, TokenGuard>,
    /// `/either-bearer-first`: the same, the token first.
    bearer_first: OneOf<TokenGuard, KeyGuard>,
    /// A key of `owner-1` with `users:read`.
    reader_key: String,
    reader_key_id: String,
    /// A key of `owner-2` with `users:write` only.
    writer_key: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let keys = ApiKeys::builder(MemoryKeyStore::new(), KeyFormat::new("sk_test").unwrap())
            .flush_last_used_every(None)
            .build();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let reader = runtime
            .block_on(keys.create(NewKey::new("owner-1", "reader", ["users:read"])))
            .unwrap();
        let writer = runtime
            .block_on(keys.create(NewKey::new("owner-2", "writer", ["users:write"])))
            .unwrap();
        let key_guard = ApiKeyGuard::new(keys.clone());
        let token_guard = bearer_guard();
        let read_key = key_guard.clone().require_scopes(["users:read"]).unwrap();
        let read_token = token_guard.clone().require_scopes(["users:read"]).unwrap();
        Fixture {
            optional: key_guard.or(token_guard).or_anonymous(),
            either: read_key.clone().or(read_token.clone()),
            bearer_first: read_token.or(read_key),
            reader_key_id: reader.record.id.clone(),
            reader_key: reader.key.reveal(),
            writer_key: writer.key.reveal(),
        }
    })
}

fn bearer_guard() -> TokenGuard {
    let key = VerifyingKey::hmac(Algorithm::HS256, &Secret::from(TOKEN_SECRET)).unwrap();
    BearerGuard::new(
        Verifier::builder(KeySet::new([key]).unwrap(), MemoryRevocations::new())
            .build()
            .unwrap(),
    )
}

fn mint(scopes: &[&str], tenant: Option<&str>) -> String {
    let key = SigningKey::hmac(Algorithm::HS256, &Secret::from(TOKEN_SECRET)).unwrap();
    let mut extra = serde_json::Map::new();
    if let Some(tenant) = tenant {
        extra.insert("tenant".into(), json!(tenant));
    }
    Issuer::builder(key)
        .build()
        .unwrap()
        .issue_with("user-9", scopes, extra)
        .unwrap()
        .token()
        .to_owned()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// What `/either` answers: who, by which credential, and a claim.
fn identity(
    principal: &Principal,
    key: Option<&Principal>,
    tenant: Option<String>,
) -> serde_json::Value {
    json!({
        "id": principal.id(),
        "key_id": key.and_then(Principal::key_id),
        "tenant": tenant,
    })
}

mod axum_app {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use shieldwall_axum::{ApiKey, Authenticated, Claims, GuardLayer, Json, ShieldwallLayer};

    // The handler of the adapter README.
    async fn hello(user: Option<Authenticated>) -> String {
        match user {
            Some(Authenticated(principal)) => format!("hello, {}", principal.id()),
            None => "hello, stranger".to_owned(),
        }
    }

    async fn either(
        Authenticated(principal): Authenticated,
        key: Option<ApiKey>,
        claims: Option<Claims<TenantClaims>>,
    ) -> Json<serde_json::Value> {
        let key = key.map(|ApiKey(key)| key);
        let tenant = claims.map(|Claims(claims)| claims.tenant);
        Json(identity(&principal, key.as_ref(), tenant))
    }

    async fn claims_without_guard(claims: Option<Claims<TenantClaims>>) -> String {
        format!("{:?}", claims.map(|Claims(c)| c.tenant))
    }

    pub(super) fn app() -> Router {
        let f = fixture();
        Router::new()
            .route(
                "/hello",
                get(hello).route_layer(GuardLayer::new(f.optional.clone())),
            )
            .route("/hello-unguarded", get(hello))
            .route(
                "/either",
                get(either).route_layer(GuardLayer::new(f.either.clone())),
            )
            .route(
                "/either-bearer-first",
                get(either).route_layer(GuardLayer::new(f.bearer_first.clone())),
            )
            .route("/claims-unguarded", get(claims_without_guard))
            .layer(ShieldwallLayer::with_perimeter(Perimeter::new()))
    }
}

mod actix_app {
    use super::*;
    use actix_web::App;
    use shieldwall_actix::{
        ApiKey, Authenticated, Claims, GuardMiddleware, Json, Shieldwall, resource,
    };

    // The handler of the adapter README.
    async fn hello(user: Option<Authenticated>) -> String {
        match user {
            Some(Authenticated(principal)) => format!("hello, {}", principal.id()),
            None => "hello, stranger".to_owned(),
        }
    }

    async fn either(
        Authenticated(principal): Authenticated,
        key: Option<ApiKey>,
        claims: Option<Claims<TenantClaims>>,
    ) -> Json<serde_json::Value> {
        let key = key.map(|ApiKey(key)| key);
        let tenant = claims.map(|Claims(claims)| claims.tenant);
        Json(identity(&principal, key.as_ref(), tenant))
    }

    async fn claims_without_guard(claims: Option<Claims<TenantClaims>>) -> String {
        format!("{:?}", claims.map(|Claims(c)| c.tenant))
    }

    pub(super) fn answers(cases: &[Case]) -> Vec<Observed> {
        let f = fixture();
        let app = App::new()
            .service(
                resource("/hello")
                    .get(hello)
                    .wrap_routes(GuardMiddleware::new(f.optional.clone())),
            )
            .service(resource("/hello-unguarded").get(hello))
            .service(
                resource("/either")
                    .get(either)
                    .wrap_routes(GuardMiddleware::new(f.either.clone())),
            )
            .service(
                resource("/either-bearer-first")
                    .get(either)
                    .wrap_routes(GuardMiddleware::new(f.bearer_first.clone())),
            )
            .service(resource("/claims-unguarded").get(claims_without_guard))
            .wrap(Shieldwall::with_perimeter(Perimeter::new()));
        through_actix(app, cases)
    }
}

/// A problem body, as both adapters render it for request id `rid`.
fn problem(status: u16, code: &str, title: &str, detail: &str) -> serde_json::Value {
    json!({
        "type": "about:blank",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "request_id": "rid",
    })
}

const BOTH_DETAILS: &str = "send an API key in the X-API-Key header, \
    or send an access token as `Authorization: Bearer <token>`";
const AMBIGUOUS: &str = "the credentials are ambiguous: send one kind of credential, not several";

#[allow(clippy::too_many_lines, reason = "a case table")]
fn cases() -> Vec<Case> {
    let f = fixture();
    let token = mint(&["users:read"], Some("acme"));
    let token_without_tenant = mint(&["users:read"], None);
    let token_without_scope = mint(&["users:write"], Some("acme"));
    vec![
        // The optional-auth route.
        Case::new(
            "optional: no credentials, anonymous",
            TestRequest::get("/hello"),
            Expect::status(200).never("owner").never("user-9"),
        ),
        Case::new(
            "optional: a valid key",
            TestRequest::get("/hello").header("x-api-key", &f.reader_key),
            Expect::status(200).never(&f.reader_key),
        ),
        Case::new(
            "optional: a valid token",
            TestRequest::get("/hello").header("authorization", bearer(&token)),
            Expect::status(200),
        ),
        Case::new(
            "optional: a key lacking scopes is still a key (the route requires none)",
            TestRequest::get("/hello").header("x-api-key", &f.writer_key),
            Expect::status(200),
        ),
        Case::new(
            "optional: a wrong key is refused, never taken for anonymous",
            TestRequest::get("/hello").header("x-api-key", "sk_test_hunter2"),
            Expect::problem(401, "INVALID_API_KEY").never("hunter2"),
        ),
        Case::new(
            "optional: an empty key header is refused",
            TestRequest::get("/hello").header("x-api-key", ""),
            Expect::problem(401, "INVALID_API_KEY"),
        ),
        Case::new(
            "optional: a forged token is refused",
            TestRequest::get("/hello").header("authorization", bearer("aGVsbG8.d29ybGQ.hunter2")),
            Expect::problem(401, "INVALID_TOKEN")
                .header("www-authenticate", "Bearer error=\"invalid_token\"")
                .never("hunter2"),
        ),
        Case::new(
            "optional: another scheme is refused, never ignored",
            TestRequest::get("/hello").header("authorization", "Basic dXNlcjpodW50ZXIy"),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED").header("www-authenticate", "Bearer"),
        ),
        Case::new(
            "optional: two keys are ambiguous",
            TestRequest::get("/hello")
                .header("x-api-key", &f.reader_key)
                .header("x-api-key", &f.reader_key),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "optional: a key and a token are ambiguous",
            TestRequest::get("/hello")
                .header("x-request-id", "rid")
                .header("x-api-key", &f.reader_key)
                .header("authorization", bearer(&token)),
            Expect::problem(400, "MALFORMED_REQUEST")
                .request_id("rid")
                .json(problem(
                    400,
                    "MALFORMED_REQUEST",
                    "Malformed request",
                    AMBIGUOUS,
                ))
                .no_header("www-authenticate"),
        ),
        // No guard: the extractors read what a guard attached, nothing else.
        Case::new(
            "unguarded: a valid token is not read by Option<Authenticated>",
            TestRequest::get("/hello-unguarded").header("authorization", bearer(&token)),
            Expect::status(200),
        ),
        Case::new(
            "unguarded: a forged token is not read either",
            TestRequest::get("/hello-unguarded").header("authorization", "Bearer hunter2"),
            Expect::status(200).never("hunter2"),
        ),
        Case::new(
            "unguarded: Option<Claims<T>> is None with a valid token",
            TestRequest::get("/claims-unguarded").header("authorization", bearer(&token)),
            Expect::status(200).never("acme"),
        ),
        // A key or a token, required, scope users:read.
        Case::new(
            "either: neither sent names both ways in",
            TestRequest::get("/either").header("x-request-id", "rid"),
            Expect::problem(401, "API_KEY_REQUIRED")
                .request_id("rid")
                .header_values("www-authenticate", &["Bearer"])
                .json(problem(
                    401,
                    "API_KEY_REQUIRED",
                    "API key required",
                    BOTH_DETAILS,
                )),
        ),
        Case::new(
            "either, token first: neither sent leads with the token's code",
            TestRequest::get("/either-bearer-first").header("x-request-id", "rid"),
            Expect::problem(401, "BEARER_TOKEN_REQUIRED")
                .request_id("rid")
                .header_values("www-authenticate", &["Bearer"])
                .json(problem(
                    401,
                    "BEARER_TOKEN_REQUIRED",
                    "Bearer token required",
                    "send an access token as `Authorization: Bearer <token>`, \
                     or send an API key in the X-API-Key header",
                )),
        ),
        Case::new(
            "either: a key, Option<ApiKey> is Some and Option<Claims<T>> None",
            TestRequest::get("/either").header("x-api-key", &f.reader_key),
            Expect::status(200).json(json!({
                "id": "owner-1", "key_id": f.reader_key_id, "tenant": null,
            })),
        ),
        Case::new(
            "either: a token, Option<ApiKey> is None and Option<Claims<T>> Some",
            TestRequest::get("/either").header("authorization", bearer(&token)),
            Expect::status(200).json(json!({"id": "user-9", "key_id": null, "tenant": "acme"})),
        ),
        Case::new(
            "either: a token lacking the claim T needs: Option<Claims<T>> is None on both",
            TestRequest::get("/either").header("authorization", bearer(&token_without_tenant)),
            Expect::status(200).json(json!({"id": "user-9", "key_id": null, "tenant": null})),
        ),
        Case::new(
            "either: a key without the scope",
            TestRequest::get("/either")
                .header("x-request-id", "rid")
                .header("x-api-key", &f.writer_key),
            Expect::problem(403, "INSUFFICIENT_SCOPE")
                .request_id("rid")
                .no_header("www-authenticate")
                .json(problem(
                    403,
                    "INSUFFICIENT_SCOPE",
                    "Insufficient scope",
                    "the API key lacks a scope this route requires",
                )),
        ),
        Case::new(
            "either: a token without the scope",
            TestRequest::get("/either").header("authorization", bearer(&token_without_scope)),
            Expect::problem(403, "INSUFFICIENT_SCOPE").header(
                "www-authenticate",
                "Bearer error=\"insufficient_scope\", scope=\"users:read\"",
            ),
        ),
        Case::new(
            "either: a wrong key is refused, not passed over for the token",
            TestRequest::get("/either").header("x-api-key", "sk_test_hunter2"),
            Expect::problem(401, "INVALID_API_KEY").never("hunter2"),
        ),
        Case::new(
            "either: both sent, even both valid",
            TestRequest::get("/either")
                .header("x-api-key", &f.reader_key)
                .header("authorization", bearer(&token)),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
    ]
}

#[test]
fn optional_auth_and_key_or_token_answer_alike_on_both_adapters() {
    let cases = cases();
    let axum = through_axum(axum_app::app(), &cases);
    let actix = actix_app::answers(&cases);
    // The greetings, which the case table checks only as alike.
    let greetings = [
        ("optional: no credentials, anonymous", "hello, stranger"),
        ("optional: a valid key", "hello, owner-1"),
        ("optional: a valid token", "hello, user-9"),
        (
            "optional: a key lacking scopes is still a key (the route requires none)",
            "hello, owner-2",
        ),
        (
            "unguarded: a valid token is not read by Option<Authenticated>",
            "hello, stranger",
        ),
        (
            "unguarded: a forged token is not read either",
            "hello, stranger",
        ),
        (
            "unguarded: Option<Claims<T>> is None with a valid token",
            "None",
        ),
    ];
    for (name, greeting) in greetings {
        let index = cases.iter().position(|c| c.name == name).unwrap();
        for (runner, observed) in [("axum", &axum), ("actix", &actix)] {
            assert_eq!(observed[index].text(), greeting, "{name} [{runner}]");
        }
    }
    assert_cases(&[("axum", axum), ("actix", actix)], &cases);
}
