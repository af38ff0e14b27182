//! RFC 9421 appendix B.2.5 (hmac-sha256, `test-shared-secret`) and B.2.6
//! (ed25519, `test-key-ed25519`): the signature bases and the signatures,
//! byte for byte, on both sides (signer and verifier).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use shieldwall_core::{ManualClock, Secret};
use shieldwall_signing::{SignaturePolicy, Signer, VerificationKey, signature_base};

/// Appendix B.1.5.
const SHARED_SECRET: &str =
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==";
/// Appendix B.1.4, the PKCS#8 private key (its last 32 bytes are the seed).
const ED25519_PRIVATE: &str = "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF";
/// Appendix B.1.4, the SPKI public key (its last 32 bytes are the key).
const ED25519_PUBLIC: &str = "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=";
const CREATED: u64 = 1_618_884_473;
const BODY: &[u8] = br#"{"hello": "world"}"#;

const B25_INPUT: &str =
    r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#;
const B25_BASE: &str = concat!(
    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n",
    "\"@authority\": example.com\n",
    "\"content-type\": application/json\n",
    "\"@signature-params\": (\"date\" \"@authority\" \"content-type\")",
    ";created=1618884473;keyid=\"test-shared-secret\"",
);
const B25_SIGNATURE: &str = "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:";

const B26_INPUT: &str = concat!(
    r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")"#,
    r#";created=1618884473;keyid="test-key-ed25519""#,
);
const B26_BASE: &str = concat!(
    "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n",
    "\"@method\": POST\n",
    "\"@path\": /foo\n",
    "\"@authority\": example.com\n",
    "\"content-type\": application/json\n",
    "\"content-length\": 18\n",
    "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\")",
    ";created=1618884473;keyid=\"test-key-ed25519\"",
);
const B26_SIGNATURE: &str = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:";

/// The test request of appendix B.2.
fn test_request() -> http::Request<()> {
    http::Request::post("/foo?param=Value&Pet=dog")
        .header("host", "example.com")
        .header("date", "Tue, 20 Apr 2021 02:07:55 GMT")
        .header("content-type", "application/json")
        .header(
            "content-digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        )
        .header("content-length", "18")
        .body(())
        .unwrap()
}

fn decode(b64: &str) -> Vec<u8> {
    STANDARD.decode(b64).unwrap()
}

fn last_32(b64: &str) -> Vec<u8> {
    let bytes = decode(b64);
    bytes[bytes.len() - 32..].to_vec()
}

/// The bytes of `label=:...:`.
fn signature_bytes(header: &str) -> Vec<u8> {
    let (_, value) = header.split_once("=:").unwrap();
    decode(value.strip_suffix(':').unwrap())
}

fn header(request: &http::Request<()>, name: &str) -> String {
    request.headers()[name].to_str().unwrap().to_owned()
}

#[test]
fn b25_hmac_sha256_base_and_signature_verify() {
    let mut request = test_request();
    request
        .headers_mut()
        .insert("signature-input", B25_INPUT.parse().unwrap());
    request
        .headers_mut()
        .insert("signature", B25_SIGNATURE.parse().unwrap());
    let policy = SignaturePolicy::builder().build().unwrap();
    let base = signature_base(&request, &policy, "sig-b25").unwrap();
    assert_eq!(base, B25_BASE);
    let key = VerificationKey::hmac_sha256(
        "test-shared-secret",
        "rfc",
        Secret::from(decode(SHARED_SECRET)),
    )
    .unwrap();
    let signature = signature_bytes(B25_SIGNATURE);
    assert!(key.verify(base.as_bytes(), &signature));
    let mut tampered = signature.clone();
    tampered[0] ^= 1;
    assert!(!key.verify(base.as_bytes(), &tampered));
}

#[test]
fn b25_hmac_sha256_signer_produces_the_published_headers() {
    let mut request = test_request();
    Signer::hmac_sha256("test-shared-secret", Secret::from(decode(SHARED_SECRET)))
        .unwrap()
        .label("sig-b25")
        .unwrap()
        .components(["date", "@authority", "content-type"])
        .unwrap()
        .without_nonce_insecure()
        .without_alg()
        .clock(ManualClock::at_unix_seconds(CREATED))
        .sign(&mut request, BODY)
        .unwrap();
    assert_eq!(header(&request, "signature-input"), B25_INPUT);
    assert_eq!(header(&request, "signature"), B25_SIGNATURE);
    // `content-digest` is not covered: the published sha-512 value stays.
    assert!(header(&request, "content-digest").starts_with("sha-512=:"));
}

#[test]
fn b26_ed25519_base_and_signature_verify() {
    let mut request = test_request();
    request
        .headers_mut()
        .insert("signature-input", B26_INPUT.parse().unwrap());
    request
        .headers_mut()
        .insert("signature", B26_SIGNATURE.parse().unwrap());
    let policy = SignaturePolicy::builder().build().unwrap();
    let base = signature_base(&request, &policy, "sig-b26").unwrap();
    assert_eq!(base, B26_BASE);
    let key =
        VerificationKey::ed25519("test-key-ed25519", "rfc", &last_32(ED25519_PUBLIC)).unwrap();
    let signature = signature_bytes(B26_SIGNATURE);
    assert!(key.verify(base.as_bytes(), &signature));
    assert!(!key.verify(B25_BASE.as_bytes(), &signature));
}

#[test]
fn b26_ed25519_signer_produces_the_published_headers() {
    let mut request = test_request();
    let signer = Signer::ed25519("test-key-ed25519", Secret::from(last_32(ED25519_PRIVATE)))
        .unwrap()
        .label("sig-b26")
        .unwrap()
        .components([
            "date",
            "@method",
            "@path",
            "@authority",
            "content-type",
            "content-length",
        ])
        .unwrap()
        .without_nonce_insecure()
        .without_alg()
        .clock(ManualClock::at_unix_seconds(CREATED));
    assert_eq!(
        signer.ed25519_public_key().unwrap().to_vec(),
        last_32(ED25519_PUBLIC),
        "the seed of B.1.4 gives its public key"
    );
    signer.sign(&mut request, BODY).unwrap();
    assert_eq!(header(&request, "signature-input"), B26_INPUT);
    // Ed25519 is deterministic: the very bytes of the RFC.
    assert_eq!(header(&request, "signature"), B26_SIGNATURE);
}
