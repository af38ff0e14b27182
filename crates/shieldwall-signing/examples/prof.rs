#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, reason = "temporary profile")]
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use shieldwall_core::{ManualClock, Secret, TlsConnection};
use shieldwall_signing::{
    MemoryKeyResolver, MemoryNonceStore, SignaturePolicy, Signer, VerificationKey, Verifier,
};

const SECRET: [u8; 32] = [0x5a; 32];

fn request(signer: &Signer, body: &[u8]) -> http::Request<()> {
    let mut request = http::Request::post("https://api.example.com/api/v1/transfers?dry_run=0")
        .header("host", "api.example.com")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .header("user-agent", "bench-client/1.0")
        .header(
            "x-api-key",
            "sk_live_3kV9qLz0Wm1TXq0J7vD2bH8yRk4Lz1Nf6Pq9Ws3Ty5Ug7Ia0Ob2Cd4Ef1vC5Zq",
        )
        .body(())
        .unwrap();
    signer.sign(&mut request, body).unwrap();
    request.extensions_mut().insert(TlsConnection);
    request
}

fn main() {
    if std::env::var("MICRO").is_ok() { micro(); return; }
    if std::env::var("SFV").is_ok() { sfv_loop(); return; }
    let rounds: usize = std::env::args().nth(1).map_or(300, |a| a.parse().unwrap());
    let clock = ManualClock::at_unix_seconds(1_700_000_000);
    let body: Vec<u8> = (0..1024_u32).map(|i| b'a' + (i % 26) as u8).collect();
    let keys = MemoryKeyResolver::with_keys([VerificationKey::hmac_sha256(
        "key-1",
        "user-7",
        Secret::from(SECRET.to_vec()),
    )
    .unwrap()]);
    let nonces = MemoryNonceStore::new()
        .capacity(NonZeroUsize::new(1_000_000).unwrap())
        .clock(clock.clone());
    let policy = SignaturePolicy::builder().build().unwrap();
    let verifier = Verifier::new(policy, keys, nonces).clock(clock.clone());
    let signer = Signer::hmac_sha256("key-1", Secret::from(SECRET.to_vec()))
        .unwrap()
        .clock(clock.clone());
    let mut total = Duration::ZERO;
    let mut n = 0;
    let mut per_round = Vec::new();
    let mut prep = Duration::ZERO;
    for _ in 0..rounds {
        let requests: Vec<_> = (0..1000)
            .map(|_| {
                clock.advance(Duration::from_millis(10));
                request(&signer, &body)
            })
            .collect();
        let split = std::env::var("SPLIT").is_ok();
        let requests = &requests[..];
        let start = Instant::now();
        let out: Vec<_> = if std::env::var("NOVERIFY").is_ok() { Vec::<u8>::new(); Vec::new() } else if split {
            let pend: Vec<_> = requests.iter().map(|r| verifier.prepare(r, black_box(&body)).unwrap()).collect();
            let mid = Instant::now();
            let o: Vec<_> = pend.into_iter().map(|p| black_box(verifier.finish(p).now_or_never().unwrap().unwrap())).collect();
            prep += mid - start;
            o
        } else {
            requests
            .iter()
            .map(|r| black_box(verifier.verify(r, black_box(&body)).now_or_never().unwrap().unwrap()))
            .collect()
        };
        let t = start.elapsed();
        total += t;
        per_round.push(t.as_nanos() as f64 / 1000.0);
        n += out.len();
        drop(out);
    }
    per_round.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("prepare mean {:.0} ns", prep.as_nanos() as f64 / n as f64);
    println!("mean {:.0} ns/verify, median round {:.0} ns", total.as_nanos() as f64 / n as f64, per_round[per_round.len() / 2]);
}

#[allow(dead_code)]
pub fn micro() {
    let clock = ManualClock::at_unix_seconds(1_700_000_000);
    let body: Vec<u8> = (0..1024_u32).map(|i| b'a' + (i % 26) as u8).collect();
    let signer = Signer::hmac_sha256("key-1", Secret::from(SECRET.to_vec()))
        .unwrap()
        .clock(clock.clone());
    let r = request(&signer, &body);
    for (n, v) in r.headers() { println!("{n}: {} ({} bytes)", v.to_str().unwrap(), v.len()); }
    let n = 1_000_000;
    for name in ["signature-input", "signature", "content-digest"] {
        let v = r.headers().get(name).unwrap().as_bytes();
        let t = Instant::now();
        for _ in 0..n {
            black_box(sfv::Parser::new(black_box(v)).parse_dictionary_with_visitor(sfv::visitor::Ignored).unwrap());
        }
        println!("sfv ignored {name}: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
    }
    use shieldwall_core::RequestView;
    for name in ["signature-input", "signature", "content-digest", "content-type", "host"] {
        let t = Instant::now();
        for _ in 0..n {
            black_box(r.header_values(black_box(name)).next());
        }
        println!("lookup {name}: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
    }
    let t = Instant::now();
    for _ in 0..n { black_box(r.arrived_over_tls()); }
    println!("tls: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
    use sha2::Digest;
    let t = Instant::now();
    for _ in 0..n { black_box(sha2::Sha256::digest(black_box(&body))); }
    println!("sha256 1k: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
}

pub fn sfv_loop() {
    let v = br#"sig1=("@method" "@target-uri" "content-digest" "content-type");created=1700000000;nonce="GkLOe4oRhYERLbKSj6LOhQ";keyid="key-1";alg="hmac-sha256""#;
    let n = 5_000_000;
    let t = Instant::now();
    for _ in 0..n {
        black_box(sfv::Parser::new(black_box(&v[..])).parse_dictionary_with_visitor(sfv::visitor::Ignored).unwrap());
    }
    println!("sfv ignored: {:.1} ns", t.elapsed().as_nanos() as f64 / n as f64);
}
