//! Bad input: every classic attack on JWT verification is refused with the
//! right code, and no answer quotes the token or a library's error text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use futures_util::FutureExt;
use serde_json::{Value, json};
use shieldwall_core::{Decision, Guard, ManualClock, ScopeError, Scopes, Secret, Step};
use shieldwall_errors::{ErrorCode, Rejection};
use shieldwall_tokens::{
    Algorithm, BearerGuard, KeySet, MemoryRevocations, RevocationStore, SigningKey,
    TokenConfigError, TokenErrorKind, Verifier, VerifyingKey,
};

const NOW: u64 = 1_800_000_000;
const ISS: &str = "https://auth.example";
const AUD: &str = "api.example";

fn secret() -> Secret {
    Secret::from(vec![0x42_u8; 32])
}

fn hs256() -> SigningKey {
    SigningKey::hmac(Algorithm::HS256, &secret()).unwrap()
}

fn claims() -> Value {
    json!({"sub": "user-1", "jti": "jti-1", "iat": NOW - 5, "exp": NOW + 600, "iss": ISS, "aud": AUD, "scope": "users:read"})
}

fn sign(key: &SigningKey, header: &Value, claims: &Value) -> String {
    key.sign_raw(header.to_string().as_bytes(), claims.to_string().as_bytes())
        .unwrap()
}

fn hs_verifier() -> Verifier {
    verifier(KeySet::new([VerifyingKey::hmac(Algorithm::HS256, &secret()).unwrap()]).unwrap())
}

fn verifier(keys: KeySet) -> Verifier {
    Verifier::builder(keys, MemoryRevocations::new())
        .issuer(ISS)
        .audience(AUD)
        .clock(ManualClock::at_unix_seconds(NOW))
        .cache_capacity(0)
        .build()
        .unwrap()
}

fn check(verifier: &Verifier, token: &str) -> Result<(), TokenErrorKind> {
    let result = verifier.verify(token).now_or_never().unwrap();
    if let Err(rejection) = &result {
        // No answer quotes the token or a library's error text.
        let api = rejection.clone().into_api_error();
        let response = api.to_response(Some("rid"));
        let text = format!(
            "{:?} {}",
            response.headers(),
            String::from_utf8_lossy(response.body())
        );
        assert!(!text.contains(token.get(..20).unwrap_or(token)), "{text}");
        for leak in [
            "InvalidSignature",
            "Base64",
            "serde",
            "jsonwebtoken",
            "Error(",
        ] {
            assert!(!text.contains(leak), "{text}");
        }
    }
    result.map(|_| ()).map_err(|e| e.kind())
}

fn header(alg: &str) -> Value {
    json!({"alg": alg, "typ": "JWT"})
}

#[test]
fn a_well_formed_token_passes() {
    assert_eq!(
        check(&hs_verifier(), &sign(&hs256(), &header("HS256"), &claims())),
        Ok(())
    );
}

#[test]
fn alg_none_in_every_casing_with_or_without_a_signature() {
    let v = hs_verifier();
    let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
    for alg in ["none", "None", "NONE", "nOnE"] {
        let head = URL_SAFE_NO_PAD.encode(header(alg).to_string());
        assert!(
            check(&v, &format!("{head}.{payload}.")).is_err(),
            "{alg} stripped"
        );
        let with_sig = format!("{head}.{payload}.{}", URL_SAFE_NO_PAD.encode(b"x"));
        assert_eq!(
            check(&v, &with_sig),
            Err(TokenErrorKind::Algorithm),
            "{alg}"
        );
    }
}

#[test]
fn hs_rs_key_confusion_is_refused() {
    let public_pem = include_bytes!("keys/rsa-public.pem");
    let rsa = VerifyingKey::rsa_pem(Algorithm::RS256, public_pem).unwrap();
    // The attacker signs with HS256, using the RSA public key as the secret.
    let confused = SigningKey::hmac(Algorithm::HS256, &Secret::from(public_pem.to_vec())).unwrap();
    let token = sign(&confused, &header("HS256"), &claims());
    // Only RS256 allowed (the default: the keys' algorithms).
    assert_eq!(
        check(&verifier(KeySet::new([rsa.clone()]).unwrap()), &token),
        Err(TokenErrorKind::Algorithm)
    );
    // Even with HS256 allowed, the RSA key is bound to RS256.
    let lax = Verifier::builder(KeySet::new([rsa]).unwrap(), MemoryRevocations::new())
        .allow_algorithms([Algorithm::RS256, Algorithm::HS256])
        .issuer(ISS)
        .audience(AUD)
        .clock(ManualClock::at_unix_seconds(NOW))
        .build()
        .unwrap();
    assert_eq!(check(&lax, &token), Err(TokenErrorKind::Algorithm));
}

#[test]
fn real_asymmetric_tokens_pass_and_psychic_signatures_fail() {
    let es = verifier(
        KeySet::new([VerifyingKey::ec_pem(
            Algorithm::ES256,
            include_bytes!("keys/es256-public.pem"),
        )
        .unwrap()])
        .unwrap(),
    );
    let es_key =
        SigningKey::ec_pem(Algorithm::ES256, include_bytes!("keys/es256-private.pem")).unwrap();
    let good = sign(&es_key, &header("ES256"), &claims());
    assert_eq!(check(&es, &good), Ok(()));
    let (input, _) = good.rsplit_once('.').unwrap();
    // r = s = 0 (CVE-2022-21449), and other degenerate signatures.
    for signature in [
        vec![0_u8; 64],
        vec![0xff; 64],
        vec![0_u8; 32],
        Vec::new(),
        vec![1_u8; 65],
    ] {
        let forged = format!("{input}.{}", URL_SAFE_NO_PAD.encode(&signature));
        assert!(check(&es, &forged).is_err(), "{} bytes", signature.len());
    }

    let ed = verifier(
        KeySet::new([VerifyingKey::ed_pem(include_bytes!("keys/ed25519-public.pem")).unwrap()])
            .unwrap(),
    );
    let ed_key = SigningKey::ed_pem(include_bytes!("keys/ed25519-private.pem")).unwrap();
    let good = sign(&ed_key, &header("EdDSA"), &claims());
    assert_eq!(check(&ed, &good), Ok(()));
    let (input, _) = good.rsplit_once('.').unwrap();
    assert_eq!(
        check(
            &ed,
            &format!("{input}.{}", URL_SAFE_NO_PAD.encode([0_u8; 64]))
        ),
        Err(TokenErrorKind::Signature)
    );

    let rs = verifier(
        KeySet::new([VerifyingKey::rsa_pem(
            Algorithm::PS256,
            include_bytes!("keys/rsa-public.pem"),
        )
        .unwrap()])
        .unwrap(),
    );
    let rs_key =
        SigningKey::rsa_pem(Algorithm::PS256, include_bytes!("keys/rsa-private.pem")).unwrap();
    assert_eq!(
        check(&rs, &sign(&rs_key, &header("PS256"), &claims())),
        Ok(())
    );
    // Signed by another RSA key.
    let other =
        SigningKey::rsa_pem(Algorithm::PS256, include_bytes!("keys/rsa2-private.pem")).unwrap();
    assert_eq!(
        check(&rs, &sign(&other, &header("PS256"), &claims())),
        Err(TokenErrorKind::Signature)
    );
}

#[test]
fn stripped_tampered_and_re_encoded_tokens_fail() {
    let v = hs_verifier();
    let good = sign(&hs256(), &header("HS256"), &claims());
    let (h, rest) = good.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    assert_eq!(
        check(&v, &format!("{h}.{p}.")),
        Err(TokenErrorKind::Malformed)
    );
    assert_eq!(
        check(&v, &format!("{h}.{p}")),
        Err(TokenErrorKind::Malformed)
    );
    // Payload changed to another subject, signature kept.
    let mut admin = claims();
    admin["sub"] = json!("admin");
    let tampered = format!("{h}.{}.{s}", URL_SAFE_NO_PAD.encode(admin.to_string()));
    assert_eq!(check(&v, &tampered), Err(TokenErrorKind::Signature));
    // The same bytes in padded or standard base64.
    let signature = URL_SAFE_NO_PAD.decode(s).unwrap();
    let padded = format!("{h}.{p}.{}", URL_SAFE.encode(&signature));
    let standard = format!("{h}.{p}.{}", STANDARD.encode(&signature));
    if padded != good {
        assert_eq!(check(&v, &padded), Err(TokenErrorKind::Malformed));
    }
    if standard != good && standard != padded {
        assert_eq!(check(&v, &standard), Err(TokenErrorKind::Malformed));
    }
    let padded_header = format!(
        "{}.{p}.{s}",
        URL_SAFE.encode(URL_SAFE_NO_PAD.decode(h).unwrap())
    );
    if !h.len().is_multiple_of(4) {
        assert_eq!(check(&v, &padded_header), Err(TokenErrorKind::Malformed));
    }
}

#[test]
fn kid_traversal_and_injection_find_no_key() {
    let keys = KeySet::new([
        VerifyingKey::hmac(Algorithm::HS256, &secret())
            .unwrap()
            .with_kid("k1")
            .unwrap(),
        VerifyingKey::hmac(Algorithm::HS256, &Secret::from(vec![7_u8; 32]))
            .unwrap()
            .with_kid("k2")
            .unwrap(),
    ])
    .unwrap();
    let v = verifier(keys);
    for kid in [
        "../../../../dev/null",
        "k1' OR '1'='1",
        "k1\u{0}",
        "K1",
        " k1",
        "/etc/passwd",
        "k1/../k2",
        "*",
    ] {
        let token = sign(&hs256(), &json!({"alg": "HS256", "kid": kid}), &claims());
        assert_eq!(
            check(&v, &token),
            Err(TokenErrorKind::UnknownKey),
            "{kid:?}"
        );
    }
    // No kid with two keys: no fallback to either.
    assert_eq!(
        check(&v, &sign(&hs256(), &header("HS256"), &claims())),
        Err(TokenErrorKind::UnknownKey)
    );
    // The right kid works.
    assert_eq!(
        check(
            &v,
            &sign(&hs256(), &json!({"alg": "HS256", "kid": "k1"}), &claims())
        ),
        Ok(())
    );
}

#[test]
fn headers_that_bring_their_own_keys_are_refused_even_when_signed() {
    let v = hs_verifier();
    for (name, value) in [
        ("jku", json!("https://evil.example/jwks.json")),
        ("x5u", json!("https://evil.example/cert.pem")),
        ("jwk", json!({"kty": "oct", "k": "AAAA"})),
        ("x5c", json!(["MIIB"])),
        ("crit", json!(["exp"])),
    ] {
        let token = sign(&hs256(), &json!({"alg": "HS256", name: value}), &claims());
        assert_eq!(check(&v, &token), Err(TokenErrorKind::Malformed), "{name}");
    }
}

fn with(change: &[(&str, Value)]) -> Value {
    let mut c = claims();
    for (name, value) in change {
        if value.is_null() {
            c.as_object_mut().unwrap().remove(*name);
        } else {
            c[*name] = value.clone();
        }
    }
    c
}

#[test]
fn time_claims_at_the_leeway_boundary() {
    let v = hs_verifier();
    let t = |c: &Value| check(&v, &sign(&hs256(), &header("HS256"), c));
    assert_eq!(t(&with(&[("exp", json!(NOW - 30))])), Ok(()));
    assert_eq!(
        t(&with(&[("exp", json!(NOW - 31))])),
        Err(TokenErrorKind::Expired)
    );
    assert_eq!(t(&with(&[("nbf", json!(NOW + 30))])), Ok(()));
    assert_eq!(
        t(&with(&[("nbf", json!(NOW + 31))])),
        Err(TokenErrorKind::NotYetValid)
    );
    assert_eq!(
        t(&with(&[("iat", json!(NOW + 31))])),
        Err(TokenErrorKind::NotYetValid)
    );
    assert_eq!(
        t(&with(&[("iat", json!(NOW - 2 * 86_400))])),
        Err(TokenErrorKind::Expired)
    );
}

#[test]
fn issuer_audience_types_and_duplicates() {
    let v = hs_verifier();
    let t = |c: &Value| check(&v, &sign(&hs256(), &header("HS256"), c));
    for change in [
        [("aud", json!("other.example"))],
        [("aud", Value::Null)],
        [("iss", json!("https://evil.example"))],
        [("iss", Value::Null)],
        [("exp", json!("1900000000"))],
        [("sub", json!(["user-1"]))],
        [("jti", Value::Null)],
    ] {
        assert_eq!(t(&with(&change)), Err(TokenErrorKind::Claims), "{change:?}");
    }
    // Duplicate claims, signed: two parsers could read two subjects.
    let payload = format!(
        r#"{{"sub":"user-1","sub":"admin","jti":"j","iat":{},"exp":{},"iss":"{ISS}","aud":"{AUD}"}}"#,
        NOW,
        NOW + 60
    );
    let token = hs256()
        .sign_raw(br#"{"alg":"HS256"}"#, payload.as_bytes())
        .unwrap();
    assert_eq!(check(&v, &token), Err(TokenErrorKind::Claims));
    let dup_header = hs256()
        .sign_raw(
            br#"{"alg":"HS256","alg":"none"}"#,
            claims().to_string().as_bytes(),
        )
        .unwrap();
    assert_eq!(check(&v, &dup_header), Err(TokenErrorKind::Malformed));
}

#[test]
fn huge_tokens_are_refused_before_decoding() {
    let v = hs_verifier();
    let mut big = claims();
    big["pad"] = json!("x".repeat(9 * 1024));
    assert_eq!(
        check(&v, &sign(&hs256(), &header("HS256"), &big)),
        Err(TokenErrorKind::Malformed)
    );
    let megabyte = format!("{}.{}.{}", "a".repeat(1 << 20), "b", "c");
    assert_eq!(check(&v, &megabyte), Err(TokenErrorKind::Malformed));
}

#[test]
fn revoked_tokens_are_refused_after_the_signature_verified() {
    let revocations = MemoryRevocations::with_clock(ManualClock::at_unix_seconds(NOW));
    let v = Verifier::builder(
        KeySet::new([VerifyingKey::hmac(Algorithm::HS256, &secret()).unwrap()]).unwrap(),
        revocations,
    )
    .issuer(ISS)
    .audience(AUD)
    .clock(ManualClock::at_unix_seconds(NOW))
    .build()
    .unwrap();
    let token = sign(&hs256(), &header("HS256"), &claims());
    let verified = v.verify(&token).now_or_never().unwrap().unwrap();
    // Verified once: now in the cache too.
    v.revoke(&verified).now_or_never().unwrap().unwrap();
    assert_eq!(check(&v, &token), Err(TokenErrorKind::Revoked));
    // A forged token with the revoked jti but a bad signature is INVALID, not REVOKED.
    let (input, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{input}.{}", URL_SAFE_NO_PAD.encode([0_u8; 32]));
    assert_eq!(check(&v, &forged), Err(TokenErrorKind::Signature));
    assert!(
        v.revocations()
            .is_revoked("jti-1")
            .now_or_never()
            .unwrap()
            .unwrap()
    );
}

fn guard_decide(guard: &BearerGuard<MemoryRevocations>, headers: &[(&str, &str)]) -> Decision {
    let mut builder = http::Request::builder().uri("/x?access_token=abc");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = builder.body(()).unwrap();
    match guard.extract(&request) {
        Step::Decide(token) => guard.decide(token).now_or_never().unwrap(),
        Step::Done(decision) => decision,
    }
}

fn rejected(decision: &Decision) -> (ErrorCode, Option<String>) {
    match decision {
        Decision::Reject(e) => (
            e.code(),
            e.headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap().to_owned()),
        ),
        other => panic!("not rejected: {other:?}"),
    }
}

#[test]
fn the_guard_reads_one_bearer_header_and_answers_per_rfc_6750() {
    let guard = BearerGuard::new(hs_verifier())
        .require_scopes(["users:read"])
        .unwrap();
    let token = sign(&hs256(), &header("HS256"), &claims());
    let bearer = format!("Bearer {token}");
    assert!(matches!(
        guard_decide(&guard, &[("authorization", &bearer)]),
        Decision::Continue(_)
    ));
    let lower = format!("bearer {token}");
    assert!(matches!(
        guard_decide(&guard, &[("authorization", &lower)]),
        Decision::Continue(_)
    ));

    // No credentials (the query string is never read): no `error` attribute.
    assert_eq!(
        rejected(&guard_decide(&guard, &[])),
        (ErrorCode::BearerTokenRequired, Some("Bearer".into()))
    );
    assert_eq!(
        rejected(&guard_decide(
            &guard,
            &[("authorization", "Basic dXNlcjpwYXNz")]
        )),
        (ErrorCode::BearerTokenRequired, Some("Bearer".into()))
    );
    assert_eq!(
        rejected(&guard_decide(
            &guard,
            &[("authorization", &bearer), ("authorization", &bearer)]
        )),
        (
            ErrorCode::MalformedRequest,
            Some("Bearer error=\"invalid_request\"".into())
        )
    );
    assert_eq!(
        rejected(&guard_decide(
            &guard,
            &[("authorization", "Bearer not.a.token")]
        )),
        (
            ErrorCode::InvalidToken,
            Some("Bearer error=\"invalid_token\"".into())
        )
    );
    let expired = format!(
        "Bearer {}",
        sign(
            &hs256(),
            &header("HS256"),
            &with(&[("exp", json!(NOW - 100))])
        )
    );
    assert_eq!(
        rejected(&guard_decide(&guard, &[("authorization", &expired)])),
        (
            ErrorCode::TokenExpired,
            Some("Bearer error=\"invalid_token\"".into())
        )
    );
    let no_scope = format!(
        "Bearer {}",
        sign(
            &hs256(),
            &header("HS256"),
            &with(&[("scope", json!("other"))])
        )
    );
    assert_eq!(
        rejected(&guard_decide(&guard, &[("authorization", &no_scope)])),
        (
            ErrorCode::InsufficientScope,
            Some("Bearer error=\"insufficient_scope\", scope=\"users:read\"".into())
        )
    );
}

#[test]
fn scopes_are_core_scopes_named_sorted_in_the_challenge() {
    // Refused when built, naming the scope.
    match BearerGuard::new(hs_verifier()).require_scopes(["users:read", "users read"]) {
        Err(TokenConfigError::Scope(ScopeError::NotAScopeToken(bad))) => {
            assert_eq!(bad, "users read")
        }
        other => panic!("expected a scope error, got {other:?}"),
    }
    // Order and repeats do not matter; the challenge lists every required scope, sorted.
    let guard = BearerGuard::new(hs_verifier())
        .require_scopes(["users:write", "users:read", "users:write"])
        .unwrap();
    assert_eq!(guard.required_scopes().as_str(), "users:read users:write");
    let reader = format!("Bearer {}", sign(&hs256(), &header("HS256"), &claims()));
    assert_eq!(
        rejected(&guard_decide(&guard, &[("authorization", &reader)])),
        (
            ErrorCode::InsufficientScope,
            Some("Bearer error=\"insufficient_scope\", scope=\"users:read users:write\"".into())
        )
    );
    let both = format!(
        "Bearer {}",
        sign(
            &hs256(),
            &header("HS256"),
            &with(&[("scope", json!("users:write admin users:read"))])
        )
    );
    assert!(matches!(
        guard_decide(&guard, &[("authorization", &both)]),
        Decision::Continue(_)
    ));
    // The same `Scopes` configures the API key guard (shieldwall-keys) and this one.
    let required: Scopes = "users:read".parse().unwrap();
    let guard = BearerGuard::new(hs_verifier())
        .require_scopes(&required)
        .unwrap();
    assert_eq!(guard.required_scopes(), &required);
}

/// A cached token is answered at `extract` (no future for the adapter to
/// box), with every check `decide` makes: revocation, expiry, scopes.
#[test]
fn a_cached_token_is_answered_at_once_with_the_same_checks() {
    let clock = ManualClock::at_unix_seconds(NOW);
    let verifier = Verifier::builder(
        KeySet::new([VerifyingKey::hmac(Algorithm::HS256, &secret()).unwrap()]).unwrap(),
        MemoryRevocations::with_clock(clock.clone()),
    )
    .issuer(ISS)
    .audience(AUD)
    .clock(clock.clone())
    .build()
    .unwrap();
    let guard = BearerGuard::new(verifier.clone())
        .require_scopes(["users:read"])
        .unwrap();
    let extract = |token: &str| {
        let request = http::Request::builder()
            .header("authorization", format!("Bearer {token}"))
            .body(())
            .unwrap();
        guard.extract(&request)
    };
    let token = sign(&hs256(), &header("HS256"), &claims());
    // Not yet cached: verified by `decide`, which caches it.
    let Step::Decide(input) = extract(&token) else {
        panic!("an unseen token must be verified");
    };
    assert!(matches!(
        guard.decide(input).now_or_never().unwrap(),
        Decision::Continue(_)
    ));
    // Cached: answered at once, with the principal.
    match extract(&token) {
        Step::Done(Decision::Continue(grant)) => {
            assert_eq!(grant.principal.unwrap().id(), "user-1");
        }
        other => panic!("a cached token must be answered at once: {other:?}"),
    }
    // Lacking the scope: refused at once, with the challenge.
    let no_scope = sign(
        &hs256(),
        &header("HS256"),
        &with(&[("scope", json!("other")), ("jti", json!("jti-2"))]),
    );
    let _ = verifier.verify(&no_scope).now_or_never().unwrap().unwrap();
    match extract(&no_scope) {
        Step::Done(decision) => assert_eq!(
            rejected(&decision),
            (
                ErrorCode::InsufficientScope,
                Some("Bearer error=\"insufficient_scope\", scope=\"users:read\"".into())
            )
        ),
        Step::Decide(_) => panic!("a cached token must be answered at once"),
    }
    // Revoked after it was cached: refused at once.
    let verified = verifier.verify(&token).now_or_never().unwrap().unwrap();
    verifier.revoke(&verified).now_or_never().unwrap().unwrap();
    match extract(&token) {
        Step::Done(decision) => assert_eq!(rejected(&decision).0, ErrorCode::TokenRevoked),
        Step::Decide(_) => panic!("a cached token must be answered at once"),
    }
    // Past its expiry and leeway, still in the cache: refused at once.
    clock.advance(Duration::from_secs(600 + 301));
    match extract(&no_scope) {
        Step::Done(decision) => assert_eq!(rejected(&decision).0, ErrorCode::TokenExpired),
        Step::Decide(_) => panic!("a cached token must be answered at once"),
    }
}
