//! The guard on plain `http::Request`s: one header, every bad-input case, one
//! answer for every invalid key, scopes; and no key in any log line or answer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use shieldwall_core::{CredentialGuard, Decision, Guard, ScopeError, Scopes, Step};
use shieldwall_errors::ErrorCode;
use shieldwall_keys::{
    ApiKeyGuard, ApiKeys, CreateError, KeyConfigError, KeyFormat, MemoryKeyStore, NewKey,
};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn decide(guard: &ApiKeyGuard<MemoryKeyStore>, headers: &[(&str, &[u8])], uri: &str) -> Decision {
    let mut builder = http::Request::builder().uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, http::HeaderValue::from_bytes(value).unwrap());
    }
    let request = builder.body(()).unwrap();
    match guard.extract(&request) {
        Step::Decide(parsed) => guard.decide(parsed).now_or_never().unwrap(),
        Step::Done(decision) => decision,
    }
}

fn code(decision: &Decision) -> Option<ErrorCode> {
    match decision {
        Decision::Reject(e) => Some(e.code()),
        _ => None,
    }
}

#[test]
fn every_bad_key_gets_one_safe_answer_and_no_key_reaches_the_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let keys = ApiKeys::builder(MemoryKeyStore::new(), KeyFormat::new("sk").unwrap())
        .flush_last_used_every(None)
        .build();
    let created = runtime
        .block_on(keys.create(NewKey::new("owner-1", "ci", ["users:read"])))
        .unwrap();
    let created_key = created.key.reveal();
    let revoked = runtime
        .block_on(keys.create(NewKey::new("owner-1", "old", ["users:read"])))
        .unwrap();
    let revoked_key = revoked.key.reveal();
    runtime
        .block_on(keys.revoke("owner-1", &revoked.record.id))
        .unwrap();
    let guard = ApiKeyGuard::new(keys.clone())
        .require_scopes(["users:read"])
        .unwrap();
    let key = std::str::from_utf8(created_key.as_bytes())
        .unwrap()
        .to_owned();
    let secret_part = key[15..58].to_owned();

    // The good key passes, with its principal.
    match decide(&guard, &[("x-api-key", key.as_bytes())], "/") {
        Decision::Continue(grant) => {
            let p = grant.principal.unwrap();
            assert_eq!(
                (p.id(), p.key_id()),
                ("owner-1", Some(created.record.id.as_str()))
            );
        }
        other => panic!("{other:?}"),
    }

    let mut flipped = key.clone().into_bytes();
    let i = (15..58)
        .find(|i| flipped[*i].is_ascii_alphabetic())
        .unwrap();
    flipped[i] ^= 0x20;
    let huge = vec![b'a'; 1 << 20];
    let (stranger, _) = keys.format().generate();
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("leading space", format!(" {key}").into_bytes()),
        ("trailing space", format!("{key} ").into_bytes()),
        (
            "zero-width space",
            format!("{}\u{200b}{}", &key[..20], &key[20..]).into_bytes(),
        ),
        ("case changed", flipped),
        ("upper-cased", key.to_uppercase().into_bytes()),
        ("wrong prefix", key.replacen("sk_", "pk_", 1).into_bytes()),
        (
            "bad checksum",
            format!("{}AAAAAA", &key[..key.len() - 6]).into_bytes(),
        ),
        ("1 MiB", huge),
        (
            "not UTF-8",
            [&key.as_bytes()[..20], &[0xc3, 0x28], &key.as_bytes()[22..]].concat(),
        ),
        ("well-formed stranger", stranger.expose().to_vec()),
        ("revoked", revoked_key.as_bytes().to_vec()),
        (
            "Bearer scheme in front",
            format!("Bearer {key}").into_bytes(),
        ),
    ];
    for (name, value) in &bad {
        let d = decide(&guard, &[("x-api-key", value)], "/");
        assert_eq!(code(&d), Some(ErrorCode::InvalidApiKey), "{name}");
        if let Decision::Reject(e) = d {
            let response = e.to_response(Some("rid"));
            let text = format!(
                "{:?} {}",
                response.headers(),
                String::from_utf8_lossy(response.body())
            );
            assert!(!text.contains(&secret_part), "{name}: {text}");
        }
    }

    assert_eq!(
        code(&decide(&guard, &[], "/")),
        Some(ErrorCode::ApiKeyRequired)
    );
    assert_eq!(
        code(&decide(
            &guard,
            &[],
            &format!("/?api_key={key}&x-api-key={key}")
        )),
        Some(ErrorCode::ApiKeyRequired),
        "the query string is never read"
    );
    assert_eq!(
        code(&decide(
            &guard,
            &[("x-api-key", key.as_bytes()), ("x-api-key", key.as_bytes())],
            "/"
        )),
        Some(ErrorCode::MalformedRequest)
    );
    assert_eq!(
        code(&decide(
            &guard,
            &[("authorization", format!("Bearer {key}").as_bytes())],
            "/"
        )),
        Some(ErrorCode::ApiKeyRequired)
    );

    // Scopes.
    let writer_guard = ApiKeyGuard::new(keys.clone())
        .require_scopes(["users:write"])
        .unwrap();
    assert_eq!(
        code(&decide(
            &writer_guard,
            &[("x-api-key", key.as_bytes())],
            "/"
        )),
        Some(ErrorCode::InsufficientScope)
    );
    // Another header name.
    let custom = ApiKeyGuard::new(keys.clone())
        .header("X-Service-Key")
        .unwrap();
    assert!(matches!(
        decide(&custom, &[("x-service-key", key.as_bytes())], "/"),
        Decision::Continue(_)
    ));
    assert_eq!(
        code(&decide(&custom, &[("x-api-key", key.as_bytes())], "/")),
        Some(ErrorCode::ApiKeyRequired)
    );
    assert!(ApiKeyGuard::new(keys).header("bad header").is_err());

    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        logged.contains("INVALID_API_KEY"),
        "the capture works: {logged}"
    );
    assert!(
        !logged.contains(&secret_part),
        "a log line holds the key:\n{logged}"
    );
    assert!(!logged.contains(&key), "a log line holds the key");
}

#[test]
fn scopes_are_core_scopes_for_creation_and_for_the_guard() {
    let keys = ApiKeys::builder(MemoryKeyStore::new(), KeyFormat::new("sk").unwrap())
        .flush_last_used_every(None)
        .build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let bad = ScopeError::NotAScopeToken("users read".to_owned());
    match runtime.block_on(keys.create(NewKey::new("o", "k", ["users:read", "users read"]))) {
        Err(CreateError::Config(KeyConfigError::Scope(error))) => assert_eq!(error, bad),
        other => panic!("expected a scope error, got {other:?}"),
    }
    assert_eq!(
        ApiKeyGuard::new(keys.clone())
            .require_scopes(["users read"])
            .unwrap_err(),
        KeyConfigError::Scope(bad)
    );
    // One `Scopes` value, sorted and deduplicated, configures the guard.
    let required = Scopes::new(["users:write", "users:read", "users:write"]).unwrap();
    let guard = ApiKeyGuard::new(keys.clone())
        .require_scopes(&required)
        .unwrap();
    assert_eq!(guard.required_scopes().as_str(), "users:read users:write");
    let reader = runtime
        .block_on(keys.create(NewKey::new("o", "r", ["users:read"])))
        .unwrap()
        .key
        .reveal();
    let both = runtime
        .block_on(keys.create(NewKey::new("o", "b", ["users:write", "users:read"])))
        .unwrap()
        .key
        .reveal();
    assert_eq!(
        code(&decide(&guard, &[("x-api-key", reader.as_bytes())], "/")),
        Some(ErrorCode::InsufficientScope)
    );
    assert!(matches!(
        decide(&guard, &[("x-api-key", both.as_bytes())], "/"),
        Decision::Continue(_)
    ));
}

#[test]
fn a_request_carries_the_key_when_it_has_the_header_at_all() {
    let keys = ApiKeys::builder(MemoryKeyStore::new(), KeyFormat::new("sk").unwrap())
        .flush_last_used_every(None)
        .build();
    let guard = ApiKeyGuard::new(keys).header("X-Service-Key").unwrap();
    let presented = |headers: &[(&str, &str)]| {
        let mut request = http::Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        guard.is_presented(&request.body(()).unwrap())
    };
    assert!(!presented(&[]));
    assert!(!presented(&[
        ("x-api-key", "sk_x"),
        ("authorization", "Bearer x")
    ]));
    assert!(presented(&[("x-service-key", "")]));
    assert!(presented(&[
        ("X-Service-Key", "junk"),
        ("x-service-key", "junk")
    ]));
}

/// A memory store finds the record in this process: the guard answers at
/// `extract` (no future for the adapter to box), with `decide`'s checks.
#[test]
fn a_memory_store_is_answered_at_once_with_the_same_checks() {
    let keys = keys_in_memory();
    let created = create(&keys, "owner-1");
    let key = created.key.reveal();
    let extract = |guard: &ApiKeyGuard<MemoryKeyStore>, value: &str| {
        let request = http::Request::builder()
            .header("x-api-key", value)
            .body(())
            .unwrap();
        match guard.extract(&request) {
            Step::Done(decision) => decision,
            Step::Decide(_) => panic!("a memory store must be answered at once"),
        }
    };
    let reader = ApiKeyGuard::new(keys.clone())
        .require_scopes(["users:read"])
        .unwrap();
    let writer = ApiKeyGuard::new(keys.clone())
        .require_scopes(["users:write"])
        .unwrap();
    match extract(&reader, &key) {
        Decision::Continue(grant) => assert_eq!(grant.principal.unwrap().id(), "owner-1"),
        other => panic!("a valid key must pass: {other:?}"),
    }
    assert_eq!(
        code(&extract(&writer, &key)),
        Some(ErrorCode::InsufficientScope)
    );
    // A well-formed key this store never made: unknown.
    let stranger = create(&keys_in_memory(), "owner-2");
    assert_eq!(
        code(&extract(&reader, &stranger.key.reveal())),
        Some(ErrorCode::InvalidApiKey)
    );
    keys.revoke("owner-1", &created.record.id)
        .now_or_never()
        .unwrap()
        .unwrap();
    assert_eq!(
        code(&extract(&reader, &key)),
        Some(ErrorCode::InvalidApiKey)
    );
}

fn keys_in_memory() -> ApiKeys<MemoryKeyStore> {
    ApiKeys::builder(MemoryKeyStore::new(), KeyFormat::new("sk").unwrap())
        .flush_last_used_every(None)
        .build()
}

/// A `users:read` key of `owner`.
fn create(keys: &ApiKeys<MemoryKeyStore>, owner: &str) -> shieldwall_keys::CreatedKey {
    keys.create(NewKey::new(owner, "ci", ["users:read"]))
        .now_or_never()
        .unwrap()
        .unwrap()
}
