//! Changed, duplicated, malformed and oversized requests: each refused with
//! its reason (memory stores, manual clock).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

mod common;

use common::*;
use shieldwall_core::TlsConnection;
use shieldwall_signing::{Reason, SignaturePolicy};

#[tokio::test]
async fn body_tampering_is_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    let request = signed(&hmac_signer(&clock));
    let tampered = br#"{"to":"eve","amount":5,"currency":"EUR"}"#;
    assert_eq!(
        refusal(&verifier, &request, tampered).await,
        Reason::DigestMismatch
    );
    assert_eq!(
        refusal(&verifier, &request, b"").await,
        Reason::DigestMismatch
    );
    // A new digest for the new body breaks the signature instead.
    let mut redigested = request.clone();
    let other = signed(&hmac_signer(&clock));
    let mut with_new_digest = transfer();
    hmac_signer(&clock)
        .sign(&mut with_new_digest, tampered)
        .unwrap();
    set(
        &mut redigested,
        "content-digest",
        &header(&with_new_digest, "content-digest"),
    );
    assert_eq!(
        refusal(&verifier, &redigested, tampered).await,
        Reason::BadSignature
    );
    assert!(verifier.verify(&other, BODY).await.is_ok());
}

#[tokio::test]
async fn path_query_method_scheme_and_authority_changes_are_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    let signer = hmac_signer(&clock);
    type Change = fn(&mut http::Request<()>);
    let changes: [(&str, Change); 8] = [
        ("path", |r| {
            *r.uri_mut() = "https://api.example.com/api/v1/transfers/other?dry_run=0"
                .parse()
                .unwrap();
        }),
        ("query", |r| {
            *r.uri_mut() = "https://api.example.com/api/v1/transfers?dry_run=1"
                .parse()
                .unwrap();
        }),
        ("query removed", |r| {
            *r.uri_mut() = "https://api.example.com/api/v1/transfers".parse().unwrap();
        }),
        ("method", |r| *r.method_mut() = http::Method::PUT),
        // The target's own authority (HTTP/2 `:authority`, absolute form)
        // is the one signed; `Host` only when the target has none.
        ("authority", |r| {
            *r.uri_mut() = "https://evil.example.com/api/v1/transfers?dry_run=0"
                .parse()
                .unwrap();
        }),
        ("host of an origin-form target", |r| {
            *r.uri_mut() = "/api/v1/transfers?dry_run=0".parse().unwrap();
            set(r, "host", "evil.example.com");
        }),
        ("content type", |r| set(r, "content-type", "text/plain")),
        ("scheme", |r| {
            r.extensions_mut().remove::<TlsConnection>();
        }),
    ];
    for (what, change) in changes {
        let mut request = signed(&signer);
        change(&mut request);
        assert_eq!(
            refusal(&verifier, &request, BODY).await,
            Reason::BadSignature,
            "{what}"
        );
    }
}

#[tokio::test]
async fn duplicate_or_competing_signatures_cannot_let_a_weak_one_pass() {
    let clock = clock();
    let verifier = verifier(&clock);
    let strong = signed(&hmac_signer(&clock));
    let strong_input = header(&strong, "signature-input");
    let strong_signature = header(&strong, "signature");
    // A weak signature (it covers only @method), genuinely signed by the key.
    let weak_signer = hmac_signer(&clock).components(["@method"]).unwrap();
    let weak = signed(&weak_signer);
    let weak_input = header(&weak, "signature-input");
    let weak_signature = header(&weak, "signature");

    // The same label twice, in one line or across lines, in either header.
    let mut request = strong.clone();
    set(
        &mut request,
        "signature",
        &format!("{weak_signature}, {strong_signature}"),
    );
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::DuplicateLabel
    );
    let mut request = strong.clone();
    request
        .headers_mut()
        .append("signature", weak_signature.parse().unwrap());
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::DuplicateLabel
    );
    let mut request = weak.clone();
    request
        .headers_mut()
        .append("signature-input", strong_input.parse().unwrap());
    request
        .headers_mut()
        .append("signature", "sig2=:AAAA:".parse().unwrap());
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::DuplicateLabel
    );

    // Two labels: the weak one never meets the policy, so the strong one is
    // the one verified (here with a broken signature: refused).
    let renamed_weak_input = weak_input.replacen("sig1=", "sig2=", 1);
    let renamed_weak_signature = weak_signature.replacen("sig1=", "sig2=", 1);
    let mut request = strong.clone();
    set(
        &mut request,
        "signature-input",
        &format!("{strong_input}, {renamed_weak_input}"),
    );
    set(
        &mut request,
        "signature",
        &format!("sig1=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:, {renamed_weak_signature}"),
    );
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::BadSignature
    );
    // With the genuine strong signature, it passes.
    let mut request = strong.clone();
    set(
        &mut request,
        "signature-input",
        &format!("{renamed_weak_input}, {strong_input}"),
    );
    set(
        &mut request,
        "signature",
        &format!("{renamed_weak_signature}, {strong_signature}"),
    );
    assert!(verifier.verify(&request, BODY).await.is_ok());
    // Only weak ones: none is acceptable.
    let mut request = weak.clone();
    set(
        &mut request,
        "signature-input",
        &format!("{weak_input}, {renamed_weak_input}"),
    );
    set(
        &mut request,
        "signature",
        &format!("{weak_signature}, {renamed_weak_signature}"),
    );
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::NoAcceptableSignature
    );
    // Two acceptable ones and no label configured: ambiguous.
    let other = signed(&hmac_signer(&clock));
    let mut request = strong.clone();
    set(
        &mut request,
        "signature-input",
        &format!(
            "{strong_input}, {}",
            header(&other, "signature-input").replacen("sig1=", "sig2=", 1)
        ),
    );
    set(
        &mut request,
        "signature",
        &format!(
            "{strong_signature}, {}",
            header(&other, "signature").replacen("sig1=", "sig2=", 1)
        ),
    );
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::AmbiguousSignature
    );

    // A configured label picks its entry, whatever else is there.
    let labelled = verifier_with(
        SignaturePolicy::builder().label("sig2").build().unwrap(),
        &clock,
    );
    assert!(labelled.verify(&request, BODY).await.is_ok());
    let mut request = strong.clone();
    set(
        &mut request,
        "signature-input",
        &format!("{strong_input}, {renamed_weak_input}"),
    );
    set(
        &mut request,
        "signature",
        &format!("{strong_signature}, {renamed_weak_signature}"),
    );
    assert_eq!(
        refusal(&labelled, &request, BODY).await,
        Reason::ComponentsMissing
    );
    assert_eq!(
        refusal(&labelled, &strong, BODY).await,
        Reason::LabelMissing
    );
}

#[tokio::test]
async fn malformed_structured_fields_are_refused() {
    let clock = clock();
    let verifier = verifier(&clock);
    for (name, value, reason) in [
        ("signature-input", "sig1", Reason::MalformedSignatureInput),
        ("signature-input", "sig1=(", Reason::MalformedSignatureInput),
        (
            "signature-input",
            "sig1=\"@method\"",
            Reason::MalformedSignatureInput,
        ),
        (
            "signature-input",
            "Sig1=()",
            Reason::MalformedSignatureInput,
        ),
        (
            "signature-input",
            "sig1=(\"@method\");created=1;created=2",
            Reason::MalformedSignatureInput,
        ),
        (
            "signature-input",
            "sig1=(\"@method\");created=\"now\"",
            Reason::MalformedSignatureInput,
        ),
        (
            "signature-input",
            "sig1=(\"@method\" \"@method\")",
            Reason::DuplicateComponent,
        ),
        (
            "signature-input",
            "sig1=(\"content-type\";sf)",
            Reason::UnsupportedComponent,
        ),
        (
            "signature-input",
            "sig1=(\"@query-param\";name=\"a\")",
            Reason::UnsupportedComponent,
        ),
        (
            "signature-input",
            "sig1=(\"@status\")",
            Reason::UnsupportedComponent,
        ),
        ("signature-input", "", Reason::MalformedSignatureInput),
        ("signature", "sig1", Reason::MalformedSignature),
        (
            "signature",
            "sig1=:not base64!:",
            Reason::MalformedSignature,
        ),
        ("signature", "sig1=\"text\"", Reason::MalformedSignature),
        ("signature", "sig1=(:AAAA:)", Reason::MalformedSignature),
        ("signature", "sig2=:AAAA:", Reason::MalformedSignature),
        ("signature", "sig1=:AAAA:", Reason::BadSignature),
        ("content-digest", "sha-256=:AAAA:", Reason::MalformedDigest),
        ("content-digest", "sha-256", Reason::MalformedDigest),
        ("content-digest", "sha-256=:(:", Reason::MalformedDigest),
        ("content-digest", "md5=:AAAA:", Reason::UnsupportedDigest),
    ] {
        let mut request = signed(&hmac_signer(&clock));
        set(&mut request, name, value);
        assert_eq!(
            refusal(&verifier, &request, BODY).await,
            reason,
            "{name}: {value}"
        );
    }
    // Not even a valid header value for `http`: bytes outside visible ASCII.
    let mut request = signed(&hmac_signer(&clock));
    request.headers_mut().insert(
        "signature-input",
        http::HeaderValue::from_bytes(b"sig1=(\"\xff\")").unwrap(),
    );
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::MalformedSignatureInput
    );
}

#[tokio::test]
async fn mebibyte_signature_headers_are_refused_quickly() {
    let clock = clock();
    let verifier = verifier(&clock);
    let huge_input = format!("sig1=(\"{}\")", "a".repeat(1 << 20));
    let huge_signature = format!("sig1=:{}:", "A".repeat(1 << 20));
    let many_lines: Vec<String> = (0..10_000).map(|i| format!("s{i}=:AAAA:")).collect();
    let cases: [(&str, Vec<String>); 3] = [
        ("signature-input", vec![huge_input]),
        ("signature", vec![huge_signature]),
        ("signature", many_lines),
    ];
    for (name, lines) in cases {
        let mut request = signed(&hmac_signer(&clock));
        request.headers_mut().remove(name);
        for line in &lines {
            request.headers_mut().append(name, line.parse().unwrap());
        }
        // Refused by its size, before any parsing (the reason says which
        // check answered; speed is the benchmarks' to measure).
        let precheck = verifier.precheck(&request).unwrap_err();
        let reason = refusal(&verifier, &request, BODY).await;
        assert_eq!(precheck.reason(), Reason::HeaderTooLarge, "{name}");
        assert_eq!(reason, Reason::HeaderTooLarge, "{name}");
    }
    // A huge covered header is the server's limit to enforce; a huge
    // Content-Digest is refused like the others.
    let mut request = signed(&hmac_signer(&clock));
    set(
        &mut request,
        "content-digest",
        &format!("sha-256=:{}:", "A".repeat(1 << 20)),
    );
    assert_eq!(
        refusal(&verifier, &request, BODY).await,
        Reason::HeaderTooLarge
    );
}
