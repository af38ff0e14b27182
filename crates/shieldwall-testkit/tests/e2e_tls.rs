//! End to end over TLS: both example servers started with
//! `SHIELDWALL_TLS_CERT` / `SHIELDWALL_TLS_KEY` (a throwaway certificate made
//! with `openssl` for 127.0.0.1), driven with `curl --cacert` over HTTP/1.1
//! and HTTP/2; plain HTTP on the TLS port, a client that never completes its
//! handshake, a client that completes it and then sends nothing, `HEAD` over
//! HTTP/2, signed transfers over both (HTTP/2 sends `:authority`, not
//! `Host`), and the start-up refusals of bad TLS settings.
//!
//! Needs `openssl` (the tests that need a certificate are skipped, saying so,
//! without it) and `curl` with HTTP/2 (`.ci/run` installs both).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use shieldwall_testkit::client;
use shieldwall_testkit::server::{ServerProcess, binary, run_to_exit};
use shieldwall_testkit::tls::self_signed;
use shieldwall_testkit::{TempDir, TestRequest};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const CERT: &str = "SHIELDWALL_TLS_CERT";
const KEY: &str = "SHIELDWALL_TLS_KEY";

fn tls_env<'a>(cert: &'a Path, key: &'a Path) -> [(&'static str, &'a str); 2] {
    [(CERT, cert.to_str().unwrap()), (KEY, key.to_str().unwrap())]
}

/// What curl saw.
#[derive(Debug)]
struct CurlAnswer {
    /// 0 when no HTTP answer came.
    status: u16,
    /// `1.1` or `2`.
    version: String,
    /// The response head as received (lowercase names on HTTP/2).
    headers: String,
    body: String,
    /// curl's error message, if any.
    #[allow(dead_code, reason = "shown by the assertions' Debug output")]
    error: String,
}

/// `curl --cacert CA [ARGS] URL`, which must run; its answer.
fn curl(dir: &TempDir, ca: &Path, args: &[&str], url: &str) -> CurlAnswer {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let (head, body) = (
        dir.path(&format!("head-{n}")),
        dir.path(&format!("body-{n}")),
    );
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "30", "--cacert"])
        .arg(ca)
        .arg("--dump-header")
        .arg(&head)
        .arg("--output")
        .arg(&body)
        .args(["--write-out", "%{http_code} %{http_version}"])
        .args(args)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("cannot run curl ({e}): install curl (`.ci/run` does)"));
    let written = String::from_utf8_lossy(&out.stdout).into_owned();
    let (status, version) = written.split_once(' ').unwrap_or((written.as_str(), ""));
    let answer = CurlAnswer {
        status: status.trim().parse().unwrap_or(0),
        version: version.trim().to_owned(),
        headers: std::fs::read_to_string(&head).unwrap_or_default(),
        body: std::fs::read_to_string(&body).unwrap_or_default(),
        error: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    };
    // curl fails exactly when no HTTP answer came.
    assert_eq!(
        out.status.success(),
        answer.status != 0,
        "curl {args:?} {url}: {answer:?}"
    );
    answer
}

/// The JSON body of a curl answer.
fn json_of(answer: &CurlAnswer) -> serde_json::Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {answer:?}"))
}

fn start(name: &str, env: &[(&str, &str)]) -> ServerProcess {
    ServerProcess::start(&binary(name), env).unwrap()
}

#[test]
fn both_servers_answer_health_over_https_with_http1_and_http2() {
    let dir = TempDir::new("e2e-tls-health");
    let Some((cert, key)) = self_signed(&dir, "") else {
        return;
    };
    for name in SERVERS {
        // HTTPS required: TLS on the server's own listener counts as HTTPS on both frameworks.
        let mut env = tls_env(&cert, &key).to_vec();
        env.push(("SHIELDWALL_REQUIRE_HTTPS", "true"));
        let server = start(name, &env);
        assert_eq!(server.scheme(), "https", "{name}: {:?}", server.output());
        assert!(
            server.output().iter().any(|l| l.starts_with("tls: on")),
            "{name}: {:?}",
            server.output()
        );
        let url = server.url("/health");
        for (flag, version) in [("--http1.1", "1.1"), ("--http2", "2")] {
            let answer = curl(&dir, &cert, &[flag], &url);
            assert_eq!(answer.status, 200, "{name} {flag}: {answer:?}");
            assert_eq!(answer.version, version, "{name} {flag}: {answer:?}");
            let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
            assert_eq!(json, serde_json::json!({"status": "ok"}), "{name} {flag}");
            // Over TLS on the server's own listener: HSTS, with the other security headers.
            let head = answer.headers.to_ascii_lowercase();
            assert!(
                head.contains("strict-transport-security: max-age=31536000; includesubdomains"),
                "{name} {flag}: {answer:?}"
            );
            assert!(
                head.contains("x-content-type-options: nosniff"),
                "{name} {flag}"
            );
        }
        // An API route goes through the whole stack over TLS too.
        let answer = curl(&dir, &cert, &["--http2"], &server.url("/api/v2/users"));
        assert_eq!(answer.status, 404, "{name}: {answer:?}");
        assert!(
            answer
                .headers
                .to_ascii_lowercase()
                .contains("strict-transport-security: max-age=31536000"),
            "{name}: HSTS on an error over TLS too: {answer:?}"
        );
        assert!(
            answer.body.contains("UNSUPPORTED_VERSION"),
            "{name}: {answer:?}"
        );
    }
}

#[test]
fn plain_http_on_the_tls_port_gets_no_successful_answer() {
    let dir = TempDir::new("e2e-tls-plain");
    let Some((cert, key)) = self_signed(&dir, "") else {
        return;
    };
    for name in SERVERS {
        let mut server = start(name, &tls_env(&cert, &key));
        // The raw client refuses to talk plain HTTP to an HTTPS server...
        assert!(server.send(&TestRequest::get("/health")).is_err(), "{name}");
        // ...so send the bytes directly: the TLS handshake fails.
        match client::send(server.addr(), &TestRequest::get("/health")) {
            Err(_) => {}
            Ok(answer) => assert_ne!(answer.status, 200, "{name}: {answer:?}"),
        }
        let plain = format!("http://{}/health", server.addr());
        let answer = curl(&dir, &cert, &["--http1.1"], &plain);
        assert_ne!(answer.status, 200, "{name}: {answer:?}");
        assert!(!answer.body.contains("\"ok\""), "{name}: {answer:?}");
        // The failed handshakes stopped nothing.
        assert!(server.is_running(), "{name}");
        let answer = curl(&dir, &cert, &[], &server.url("/health"));
        assert_eq!(answer.status, 200, "{name}: {answer:?}");
    }
}

#[test]
fn a_client_that_never_completes_its_handshake_is_dropped() {
    let dir = TempDir::new("e2e-tls-silent");
    let Some((cert, key)) = self_signed(&dir, "") else {
        return;
    };
    let servers: Vec<ServerProcess> = SERVERS
        .iter()
        .map(|name| start(name, &tls_env(&cert, &key)))
        .collect();
    let silent: Vec<(String, TcpStream)> = servers
        .iter()
        .map(|server| {
            let stream = TcpStream::connect(server.addr()).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            (server.name().to_owned(), stream)
        })
        .collect();
    let started = Instant::now();
    for (name, mut stream) in silent {
        // The server closes (or resets) the connection: EOF or an error,
        // never the read timeout. axum's limit is 10 s, actix-web's 3 s.
        let mut buf = [0_u8; 64];
        let read = stream.read(&mut buf);
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_secs(20),
            "{name}: still open after {waited:?} ({read:?})"
        );
        if let Ok(n) = read {
            assert_eq!(n, 0, "{name}: sent {:?}", &buf[..n]);
        }
    }
    for mut server in servers {
        let answer = curl(&dir, &cert, &[], &server.url("/health"));
        let running = server.is_running();
        assert_eq!(
            answer.status,
            200,
            "{} (running: {running}): {answer:?}\n{}",
            server.name(),
            server.output().join("\n")
        );
    }
}

/// Accepts the server's certificate when it is the test's one (webpki, unlike
/// curl, refuses a self-signed CA certificate as the server's own).
#[derive(Debug)]
struct TestCertificate {
    cert: CertificateDer<'static>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for TestCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("not the test certificate".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client that accepts the certificate in `cert` and offers `alpn`
/// (nothing when empty).
fn client_config(cert: &Path, alpn: &str) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(TestCertificate {
        cert: CertificateDer::from_pem_file(cert).unwrap(),
        provider: Arc::clone(&provider),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    if !alpn.is_empty() {
        config.alpn_protocols = vec![alpn.as_bytes().to_vec()];
    }
    Arc::new(config)
}

/// How an idle connection ended.
#[derive(Debug)]
struct Idle {
    /// The protocol the handshake negotiated by ALPN.
    alpn: Option<String>,
    /// From the end of the handshake to the close; `None` when still open
    /// after the limit.
    closed_after: Option<Duration>,
    /// What the server sent meanwhile (HTTP/2 SETTINGS, a 408...).
    #[allow(dead_code, reason = "shown by the assertions' Debug output")]
    received: usize,
}

/// Completes a TLS handshake with `addr`, then sends nothing and reads until
/// the server closes the connection, for at most `limit`.
fn idle_connection(addr: SocketAddr, config: Arc<rustls::ClientConfig>, limit: Duration) -> Idle {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut conn = rustls::ClientConnection::new(config, name).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp).unwrap();
    }
    while conn.wants_write() {
        conn.write_tls(&mut tcp).unwrap();
    }
    let alpn = conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    let started = Instant::now();
    tcp.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let mut buf = [0_u8; 4096];
    let mut received = 0;
    let closed_after = loop {
        if started.elapsed() > limit {
            break None;
        }
        match tls.read(&mut buf) {
            // close_notify, then FIN.
            Ok(0) => break Some(started.elapsed()),
            Ok(n) => received += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // FIN without close_notify, or a reset.
            Err(_) => break Some(started.elapsed()),
        }
    };
    Idle {
        alpn,
        closed_after,
        received,
    }
}

#[test]
fn a_client_that_completes_its_handshake_and_sends_nothing_is_dropped() {
    // axum closes after 10 s (`TLS_REQUEST_HEAD_TIMEOUT`), actix-web after
    // 5 s (its request timeout); the limit leaves a wide margin: the point is
    // that the connection is closed, not how fast.
    const LIMIT: Duration = Duration::from_secs(40);
    let dir = TempDir::new("e2e-tls-idle");
    let Some((cert, key)) = self_signed(&dir, "") else {
        return;
    };
    let servers: Vec<ServerProcess> = SERVERS
        .iter()
        .map(|name| start(name, &tls_env(&cert, &key)))
        .collect();
    // No ALPN, HTTP/1.1 and HTTP/2 by ALPN, all at once.
    let clients: Vec<_> = servers
        .iter()
        .flat_map(|server| {
            ["", "http/1.1", "h2"].map(|alpn| {
                let (name, addr) = (server.name().to_owned(), server.addr());
                let config = client_config(&cert, alpn);
                let idle = std::thread::spawn(move || idle_connection(addr, config, LIMIT));
                (name, alpn, idle)
            })
        })
        .collect();
    let ended: Vec<_> = clients
        .into_iter()
        .map(|(name, alpn, idle)| (name, alpn, idle.join().unwrap()))
        .collect();
    for (name, alpn, idle) in &ended {
        eprintln!("{name} ALPN {alpn:?}: {idle:?}");
    }
    for (name, alpn, idle) in ended {
        let want = (!alpn.is_empty()).then(|| alpn.to_owned());
        assert_eq!(idle.alpn, want, "{name}");
        assert!(
            idle.closed_after.is_some(),
            "{name} ALPN {alpn:?}: still open after {LIMIT:?}: {idle:?}"
        );
    }
    // Closing them stopped nothing.
    for server in servers {
        let answer = curl(&dir, &cert, &["--http2"], &server.url("/health"));
        assert_eq!(answer.status, 200, "{}: {answer:?}", server.name());
    }
}

/// The value of a header in a response head as curl saved it.
fn header_value(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

#[test]
fn head_requests_get_the_head_without_a_body_over_http2_and_http1() {
    let dir = TempDir::new("e2e-tls-head");
    let Some((cert, key)) = self_signed(&dir, "") else {
        return;
    };
    for name in SERVERS {
        let server = start(name, &tls_env(&cert, &key));
        // A guard's refusal, an unknown path, a handler's answer.
        for (path, status) in [("/api/v1/users", 401), ("/nope", 404), ("/health", 200)] {
            let url = server.url(path);
            for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
                let get = curl(&dir, &cert, &[flag], &url);
                assert_eq!(get.status, status, "{name} GET {path} {flag}: {get:?}");
                // Over HTTP/2, a body after a HEAD answer is a protocol error.
                let head = curl(&dir, &cert, &[flag, "--head"], &url);
                assert_eq!(head.status, status, "{name} HEAD {path} {flag}: {head:?}");
                assert_eq!(head.version, version, "{name} HEAD {path} {flag}");
                // The head of the GET answer, Content-Length included.
                assert_eq!(
                    header_value(&head.headers, "content-length"),
                    Some(get.body.len().to_string()),
                    "{name} HEAD {path} {flag}: {head:?}"
                );
                assert_eq!(
                    header_value(&head.headers, "content-type"),
                    header_value(&get.headers, "content-type"),
                    "{name} HEAD {path} {flag}"
                );
            }
        }
    }
}

/// Runs every server with `env` and checks it exits 2 with one line that
/// starts with `var: `.
fn refused(env: &[(&str, &str)], var: &str) {
    for name in SERVERS {
        let (code, output) = run_to_exit(&binary(name), env).unwrap();
        assert_eq!(code, Some(2), "{name} {env:?}: {output}");
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 1, "{name} {env:?}: {output}");
        assert!(
            lines[0].starts_with(&format!("{var}: ")),
            "{name} {env:?}: {output}"
        );
    }
}

#[test]
fn bad_tls_settings_stop_start_up_naming_the_variable() {
    let dir = TempDir::new("e2e-tls-refusals");
    let missing = dir.path("missing.pem");
    let missing = missing.to_str().unwrap();
    let text = dir.file("text.pem", "this is not PEM\n");
    let text = text.to_str().unwrap();

    // One of the pair alone: the other is named.
    refused(&[(CERT, text)], KEY);
    refused(&[(KEY, text)], CERT);
    // A missing file, a file that is not PEM.
    refused(&[(CERT, missing), (KEY, text)], CERT);
    refused(&[(CERT, text), (KEY, text)], CERT);

    let Some((cert, key)) = self_signed(&dir, "") else {
        return;
    };
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    refused(&[(CERT, cert), (KEY, missing)], KEY);
    refused(&[(CERT, cert), (KEY, text)], KEY);
    // Each file in the other's place.
    refused(&[(CERT, key), (KEY, cert)], CERT);
    refused(&[(CERT, cert), (KEY, cert)], KEY);
    // A key that is not the certificate's.
    let (_, other_key) = self_signed(&dir, "other-").unwrap();
    refused(&[(CERT, cert), (KEY, other_key.to_str().unwrap())], KEY);
}

#[test]
fn signed_transfers_pass_over_http2_and_http1_1() {
    use base64::Engine as _;

    const SECRET: &[u8; 32] = b"alice-transfer-signing-secret-32";
    const BODY: &str = r#"{"to":"bob","amount":5,"currency":"EUR"}"#;
    let dir = TempDir::new("e2e-tls-signed");
    let Some((cert, key)) = self_signed(&dir, "") else {
        return;
    };
    let keys = format!(
        "alice-key:alice@example.com:{}",
        base64::engine::general_purpose::STANDARD.encode(SECRET)
    );
    let signer = shieldwall_signing::Signer::hmac_sha256(
        "alice-key",
        shieldwall_core::Secret::new(SECRET.to_vec()),
    )
    .unwrap();
    for name in SERVERS {
        let mut env = tls_env(&cert, &key).to_vec();
        env.extend([
            ("SHIELDWALL_SIGNING_KEYS", keys.as_str()),
            ("SHIELDWALL_AUDIT", "off"),
        ]);
        let server = start(name, &env);
        let json = ["-H", "content-type: application/json", "--data"];
        let login = curl(
            &dir,
            &cert,
            &[
                &json[..],
                &[r#"{"email":"alice@example.com","password":"alice-password-1"}"#],
            ]
            .concat(),
            &server.url("/api/v1/auth/login"),
        );
        let bearer = format!(
            "authorization: Bearer {}",
            json_of(&login)["access_token"].as_str().unwrap()
        );
        let created = curl(
            &dir,
            &cert,
            &[
                &["-H", bearer.as_str()],
                &json[..],
                &[r#"{"name":"tls","scopes":["transfers:write"]}"#],
            ]
            .concat(),
            &server.url("/api/v1/protected/keys"),
        );
        let api_key = format!("x-api-key: {}", json_of(&created)["key"].as_str().unwrap());
        for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
            let url = server.url("/api/v1/transfers");
            let mut head = http::Request::post(url.as_str())
                .header("content-type", "application/json")
                .body(())
                .unwrap();
            signer.sign(&mut head, BODY.as_bytes()).unwrap();
            let lines: Vec<String> = head
                .headers()
                .iter()
                .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
                .collect();
            let mut args: Vec<&str> = vec![flag, "-H", api_key.as_str()];
            for line in &lines {
                args.extend(["-H", line.as_str()]);
            }
            args.extend(["--data-binary", BODY]);
            let answer = curl(&dir, &cert, &args, &url);
            assert_eq!(answer.status, 201, "{name} {flag}: {answer:?}");
            assert_eq!(answer.version, version, "{name} {flag}");
            // The same signature again: a replay, whatever the protocol.
            let again = curl(&dir, &cert, &args, &url);
            assert_eq!(again.status, 401, "{name} {flag}: {again:?}");
            assert!(
                again.body.contains("INVALID_SIGNATURE"),
                "{name} {flag}: {again:?}"
            );
        }
    }
}
