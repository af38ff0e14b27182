//! OpenID Connect Discovery against a local authorization server (the test
//! kit's, a real HTTP peer on loopback): good ES256 and RS256 tokens, a
//! mix-up, a `jwks_uri` on another host, another audience, `alg: none`, HS256
//! keyed with the public key, a rotated key, `scope` and `scp`, and
//! discovery answers that are not what they should be.
#![cfg(feature = "oidc")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use serde_json::json;
use shieldwall_testkit::auth_server::{AuthServer, DiscoveryAnswer, KeyAlg};
use shieldwall_tokens::oidc::{DiscoveredIssuer, Discovery, DiscoveryError};
use shieldwall_tokens::{Algorithm, MemoryRevocations, TokenErrorKind, Verifier};

const AUDIENCE: &str = shieldwall_testkit::auth_server::AUDIENCE;

async fn discover(server: &AuthServer) -> Result<DiscoveredIssuer, DiscoveryError> {
    Discovery::new(server.issuer(), AUDIENCE)?
        .timeout(Duration::from_secs(1))?
        .load()
        .await
}

fn verifier(issuer: &DiscoveredIssuer) -> Verifier {
    issuer.verifier(MemoryRevocations::new()).build().unwrap()
}

async fn refused(verifier: &Verifier, token: &str) -> TokenErrorKind {
    verifier.verify(token).await.unwrap_err().kind()
}

#[tokio::test]
async fn good_es256_and_rs256_tokens_are_accepted() {
    let server = AuthServer::start();
    let issuer = discover(&server).await.unwrap();
    assert_eq!(issuer.issuer(), server.issuer());
    assert_eq!(issuer.jwks_uri(), server.url("/jwks"));
    assert_eq!(issuer.algorithms(), [Algorithm::ES256, Algorithm::RS256]);
    let verifier = verifier(&issuer);
    for (kid, alg) in [("es256-1", Algorithm::ES256), ("rs256-1", Algorithm::RS256)] {
        let token = server.token(kid).subject("user-7").mint();
        let verified = verifier.verify(&token).await.unwrap();
        assert_eq!(verified.subject(), "user-7");
        assert_eq!(verified.algorithm(), Some(alg));
        assert_eq!(verified.kid(), Some(kid));
    }
    assert_eq!(server.discovery_hits(), 1);
    assert_eq!(server.jwks_hits(), 1);
}

#[tokio::test]
async fn iss_and_aud_are_required_and_exact() {
    let server = AuthServer::start();
    let verifier = verifier(&discover(&server).await.unwrap());
    for token in [
        server.token("es256-1").audience("another-api").mint(),
        server.token("es256-1").without("aud").mint(),
        server
            .token("es256-1")
            .claim("aud", json!(["another-api"]))
            .mint(),
        server
            .token("es256-1")
            .claim("iss", json!("https://elsewhere.example"))
            .mint(),
        server
            .token("es256-1")
            .claim("iss", json!(format!("{}/", server.issuer())))
            .mint(),
        server.token("es256-1").without("iss").mint(),
    ] {
        assert_eq!(refused(&verifier, &token).await, TokenErrorKind::Claims);
    }
    let token = server
        .token("rs256-1")
        .claim("aud", json!(["another-api", AUDIENCE]))
        .mint();
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_a_mix_up() {
    let server = AuthServer::start();
    for other in [
        "https://elsewhere.example".to_owned(),
        format!("{}/", server.issuer()),
        server.issuer().to_uppercase(),
    ] {
        let mut document = server.discovery_document();
        document["issuer"] = json!(other);
        server.set_discovery(DiscoveryAnswer::Json(document));
        let err = discover(&server).await.unwrap_err();
        assert!(
            matches!(err, DiscoveryError::IssuerMismatch { .. }),
            "{other}: {err}"
        );
        assert!(err.to_string().contains("must be equal exactly"), "{err}");
    }
    assert_eq!(server.jwks_hits(), 0, "no key was fetched");
}

#[tokio::test]
async fn a_jwks_uri_on_another_host_is_refused_unless_allowed() {
    let server = AuthServer::start();
    let port = server.addr().port();
    let mut document = server.discovery_document();
    // The same server under another name: only the host differs.
    document["jwks_uri"] = json!(format!("http://localhost:{port}/jwks"));
    server.set_discovery(DiscoveryAnswer::Json(document));
    let err = discover(&server).await.unwrap_err();
    assert!(matches!(err, DiscoveryError::JwksHost { .. }), "{err}");
    assert!(err.to_string().contains("allow_jwks_host"), "{err}");
    assert_eq!(server.jwks_hits(), 0);

    let issuer = Discovery::new(server.issuer(), AUDIENCE)
        .unwrap()
        .allow_jwks_host("LocalHost")
        .unwrap()
        .load()
        .await
        .unwrap();
    let token = server.token("es256-1").mint();
    assert!(verifier(&issuer).verify(&token).await.is_ok());

    for (jwks_uri, what) in [
        ("http://keys.example/jwks", "http:// off loopback"),
        ("ftp://127.0.0.1/jwks", "another scheme"),
        ("/jwks", "a relative URL"),
        ("http://user@127.0.0.1/jwks", "user information"),
    ] {
        let mut document = server.discovery_document();
        document["jwks_uri"] = json!(jwks_uri);
        server.set_discovery(DiscoveryAnswer::Json(document));
        let err = discover(&server).await.unwrap_err();
        assert!(
            matches!(err, DiscoveryError::JwksUri { .. }),
            "{what}: {err}"
        );
    }
}

#[tokio::test]
async fn alg_none_and_hs256_keyed_with_the_public_key_are_refused() {
    let server = AuthServer::start();
    let verifier = verifier(&discover(&server).await.unwrap());
    let unsigned = server.token("es256-1").unsigned().mint();
    assert!(verifier.verify(&unsigned).await.is_err());
    for kid in ["es256-1", "rs256-1"] {
        let pem = server.public_key_pem(kid);
        let jwk = server.public_jwk(kid).to_string();
        for secret in [pem.as_bytes(), pem.trim_end().as_bytes(), jwk.as_bytes()] {
            let forged = server.token(kid).hs256_with(secret).mint();
            assert_eq!(refused(&verifier, &forged).await, TokenErrorKind::Algorithm);
        }
    }
}

#[tokio::test]
async fn none_and_hs_in_the_document_are_never_taken() {
    let server = AuthServer::start();
    let mut document = server.discovery_document();
    document["id_token_signing_alg_values_supported"] = json!(["none", "HS256", "HS512"]);
    server.set_discovery(DiscoveryAnswer::Json(document));
    let err = discover(&server).await.unwrap_err();
    assert!(matches!(err, DiscoveryError::NoAlgorithm(_)), "{err}");

    // Only ES256 listed: an RS256 token of the same issuer is refused.
    let mut document = server.discovery_document();
    document["id_token_signing_alg_values_supported"] = json!(["ES256", "HS256", "none"]);
    server.set_discovery(DiscoveryAnswer::Json(document));
    let issuer = discover(&server).await.unwrap();
    assert_eq!(issuer.algorithms(), [Algorithm::ES256]);
    let verifier = verifier(&issuer);
    assert!(
        verifier
            .verify(&server.token("es256-1").mint())
            .await
            .is_ok()
    );
    let rs = server.token("rs256-1").mint();
    assert_eq!(refused(&verifier, &rs).await, TokenErrorKind::Algorithm);

    // And the user may narrow the list, never widen it to HS*.
    server.set_discovery(DiscoveryAnswer::Honest);
    let only_rs = Discovery::new(server.issuer(), AUDIENCE)
        .unwrap()
        .allow_algorithms([Algorithm::RS256])
        .unwrap()
        .load()
        .await
        .unwrap();
    assert_eq!(only_rs.algorithms(), [Algorithm::RS256]);
    for algorithms in [
        vec![Algorithm::HS256],
        vec![Algorithm::ES256, Algorithm::HS384],
        vec![],
    ] {
        let err = Discovery::new(server.issuer(), AUDIENCE)
            .unwrap()
            .allow_algorithms(algorithms)
            .unwrap_err();
        assert!(matches!(err, DiscoveryError::Algorithms(_)), "{err}");
    }
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_through_the_unknown_kid_refetch() {
    let server = AuthServer::start();
    let issuer = Discovery::new(server.issuer(), AUDIENCE)
        .unwrap()
        .unknown_kid_interval(Duration::from_secs(3600))
        .load()
        .await
        .unwrap();
    let verifier = verifier(&issuer);
    assert_eq!(server.jwks_hits(), 1);
    let before = issuer.keys().generation();

    let new_kid = server.add_key(KeyAlg::Es256);
    server.unpublish("es256-1");
    let token = server.token(&new_kid).mint();
    let verified = verifier.verify(&token).await.unwrap();
    assert_eq!(verified.kid(), Some(new_kid.as_str()));
    assert_eq!(server.jwks_hits(), 2, "one fetch for the unknown kid");
    assert!(issuer.keys().generation() > before);

    // The retired key is gone with the new set; another unknown kid within
    // the floor fetches nothing.
    let old = server.token("es256-1").mint();
    assert_eq!(refused(&verifier, &old).await, TokenErrorKind::UnknownKey);
    let unknown = server
        .token(&new_kid)
        .header("kid", json!("never-published"))
        .mint();
    assert_eq!(
        refused(&verifier, &unknown).await,
        TokenErrorKind::UnknownKey
    );
    assert_eq!(server.jwks_hits(), 2, "the refetch floor holds");
}

#[tokio::test]
async fn scopes_come_from_scope_or_scp() {
    let server = AuthServer::start();
    let verifier = verifier(&discover(&server).await.unwrap());
    let by_scope = server
        .token("es256-1")
        .scope("users:read users:write")
        .mint();
    assert_eq!(
        verifier.verify(&by_scope).await.unwrap().scopes(),
        ["users:read", "users:write"]
    );
    let by_scp = server
        .token("rs256-1")
        .claim("scp", json!(["users:read", "transfers:write"]))
        .mint();
    assert_eq!(
        verifier.verify(&by_scp).await.unwrap().scopes(),
        ["transfers:write", "users:read"],
        "as a principal holds them: sorted"
    );
    for bad in [
        server.token("es256-1").claim("scp", json!([1, 2])).mint(),
        server.token("es256-1").claim("scp", json!(["a b"])).mint(),
        server
            .token("es256-1")
            .claim("scope", json!(["users:read"]))
            .mint(),
        server
            .token("es256-1")
            .scope("users:read")
            .claim("scp", json!(["users:write"]))
            .mint(),
    ] {
        assert_eq!(refused(&verifier, &bad).await, TokenErrorKind::Claims);
    }
}

#[test]
fn issuers_that_are_not_https_or_loopback_are_refused_before_any_request() {
    for issuer in [
        "http://login.example",
        "http://10.0.0.7:8080",
        "http://[::2]",
        "http://localhost.example",
        "login.example",
        "https://login.example?tenant=a",
        "https://login.example#x",
        "https://user:pw@login.example",
        "",
    ] {
        let err = Discovery::new(issuer, AUDIENCE).unwrap_err();
        assert!(
            matches!(err, DiscoveryError::IssuerUrl(_)),
            "{issuer}: {err}"
        );
    }
    for issuer in [
        "https://login.example",
        "https://login.example/realms/shop/",
        "http://127.0.0.1:8080",
        "http://[::1]:8080",
        "http://localhost:8080",
    ] {
        assert!(Discovery::new(issuer, AUDIENCE).is_ok(), "{issuer}");
    }
    for audience in ["", "a\nb"] {
        let err = Discovery::new("https://login.example", audience).unwrap_err();
        assert!(matches!(err, DiscoveryError::InvalidValue(_)), "{err}");
    }
    let discovery = Discovery::new("https://login.example", AUDIENCE).unwrap();
    for host in [
        "",
        "keys.example:443",
        "keys.example/x",
        "https://keys.example",
    ] {
        assert!(discovery.clone().allow_jwks_host(host).is_err(), "{host}");
    }
    assert!(discovery.clone().timeout(Duration::ZERO).is_err());
}

#[tokio::test]
async fn bad_discovery_answers_are_build_errors_never_panics() {
    let server = AuthServer::start();
    let raw = |status: u16, body: &[u8]| DiscoveryAnswer::Raw {
        status,
        content_type: "application/json".to_owned(),
        body: body.to_vec(),
    };
    let mut lacks_jwks = server.discovery_document();
    lacks_jwks.as_object_mut().unwrap().remove("jwks_uri");
    let mut lacks_algs = server.discovery_document();
    lacks_algs
        .as_object_mut()
        .unwrap()
        .remove("id_token_signing_alg_values_supported");
    let mut wrong_type = server.discovery_document();
    wrong_type["jwks_uri"] = json!(["http://127.0.0.1/jwks"]);
    let mut algs_not_strings = server.discovery_document();
    algs_not_strings["id_token_signing_alg_values_supported"] = json!("ES256");
    let duplicate = format!(
        r#"{{"issuer": "https://elsewhere.example", {}"#,
        &server.discovery_document().to_string()[1..]
    );
    let huge = format!(r#"{{"pad": "{}"}}"#, "a".repeat(100 * 1024));
    type Check = fn(&DiscoveryError) -> bool;
    let cases: Vec<(&str, DiscoveryAnswer, Check)> = vec![
        (
            "not JSON",
            raw(200, b"<html>hello</html>"),
            |e| matches!(e, DiscoveryError::Document { reason, .. } if reason == "not JSON"),
        ),
        ("empty", raw(200, b""), |e| {
            matches!(e, DiscoveryError::Document { .. })
        }),
        ("an array", raw(200, b"[1, 2]"), |e| {
            matches!(e, DiscoveryError::Document { .. })
        }),
        (
            "lacks jwks_uri",
            DiscoveryAnswer::Json(lacks_jwks),
            |e| matches!(e, DiscoveryError::Document { reason, .. } if reason.contains("jwks_uri")),
        ),
        ("lacks algorithms", DiscoveryAnswer::Json(lacks_algs), |e| {
            matches!(e, DiscoveryError::Document { .. })
        }),
        (
            "jwks_uri not a string",
            DiscoveryAnswer::Json(wrong_type),
            |e| matches!(e, DiscoveryError::Document { .. }),
        ),
        (
            "algorithms not an array",
            DiscoveryAnswer::Json(algs_not_strings),
            |e| matches!(e, DiscoveryError::Document { .. }),
        ),
        (
            "issuer twice",
            raw(200, duplicate.as_bytes()),
            |e| matches!(e, DiscoveryError::Document { reason, .. } if reason.contains("duplicate")),
        ),
        (
            "huge",
            raw(200, huge.as_bytes()),
            |e| matches!(e, DiscoveryError::Fetch { reason, .. } if reason.contains("64 KiB")),
        ),
        (
            "status 500",
            raw(500, b"{}"),
            |e| matches!(e, DiscoveryError::Fetch { reason, .. } if reason == "status 500"),
        ),
        ("status 404", raw(404, b""), |e| {
            matches!(e, DiscoveryError::Fetch { .. })
        }),
        (
            "a redirect to another host",
            DiscoveryAnswer::Redirect(
                "https://elsewhere.example/.well-known/openid-configuration".into(),
            ),
            |e| matches!(e, DiscoveryError::Fetch { reason, .. } if reason.contains("not followed")),
        ),
        ("hangs", DiscoveryAnswer::Hang, |e| {
            matches!(e, DiscoveryError::Fetch { .. })
        }),
    ];
    for (what, answer, expected) in cases {
        server.set_discovery(answer);
        let started = Instant::now();
        let err = discover(&server).await.unwrap_err();
        assert!(expected(&err), "{what}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{what}: bounded in time"
        );
        assert!(err.to_string().len() < 600, "{what}: {err}");
    }
    assert_eq!(server.jwks_hits(), 0);

    // Nothing listens there: a connection error, not a panic.
    let closed = format!("http://127.0.0.1:{}", server.addr().port());
    drop(server);
    let err = Discovery::new(&closed, AUDIENCE)
        .unwrap()
        .timeout(Duration::from_secs(1))
        .unwrap()
        .load()
        .await
        .unwrap_err();
    assert!(matches!(err, DiscoveryError::Fetch { .. }), "{err}");
}

#[tokio::test]
async fn a_jwks_that_cannot_be_loaded_is_a_build_error() {
    let server = AuthServer::start();
    let mut document = server.discovery_document();
    document["jwks_uri"] = json!(server.url("/no-such-path"));
    server.set_discovery(DiscoveryAnswer::Json(document));
    let err = discover(&server).await.unwrap_err();
    assert!(matches!(err, DiscoveryError::Keys(_)), "{err}");
    assert!(err.to_string().contains("status 404"), "{err}");
}
