//! CORS in a real browser: headless Chromium loads a page from an allowed
//! origin and one from a disallowed origin, and each page calls both example
//! servers with `fetch`.
//!
//! Origins are loopback ports: each page is served by a tiny HTTP server of
//! this test (`http://127.0.0.1:PORT`), and only the first page's origin is in
//! `SHIELDWALL_CORS_ORIGINS`. The browser reaches the API through a recording
//! TCP proxy, so the test also sees what the browser sent (preflights, and
//! whether the request behind a refused preflight ever went out) and what the
//! server answered.
//!
//! - The allowed page logs in (`Content-Type: application/json`, so a
//!   preflight), calls `/api/v1/protected/me` with `credentials: 'include'`
//!   and `Authorization`, creates an API key, lists users with `X-API-Key`,
//!   and reads the exposed `RateLimit`, `RateLimit-Policy`, `X-Request-Id`,
//!   `X-Total-Count` and `X-Page-Count` (and cannot read the unexposed
//!   `X-Frame-Options`).
//! - The disallowed page makes the same calls (with a valid token and key the
//!   test made for it) and a simple credentialed `GET`: the browser blocks
//!   every one (`TypeError`), sends nothing behind a refused preflight, and the
//!   server's answers carry no `Access-Control-Allow-Origin`.
//!
//! The browser is Debian's `chromium` (`.ci/run` installs it), or the program
//! named by `SHIELDWALL_CHROMIUM`. Driven with `--headless --dump-dom`: the
//! page writes its results as JSON into `<pre id="out">` and Chromium prints
//! the final DOM. Each run is killed after [`BROWSER_TIMEOUT`]. The tests are
//! skipped, saying why on stderr, only when the browser cannot start at all.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{TempDir, TestRequest};

/// A browser run that takes longer is killed (with its child processes).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);
/// Virtual time the page gets after loading; it does not advance while a
/// fetch is pending, so the page's calls all finish first.
const VIRTUAL_TIME_BUDGET_MS: u32 = 15_000;
const EMAIL: &str = "alice@example.com";
const PASSWORD: &str = "alice-password-1";

/// A loopback listener whose accept loop runs in a thread until dropped.
struct Listener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let serve = Arc::new(serve);
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let serve = Arc::clone(&serve);
                        std::thread::spawn(move || serve(stream));
                    }
                }
            })
        };
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A page origin: serves its page (set once the API address is known) for
/// `GET /` and 404 for anything else, one request per connection.
struct PageServer {
    listener: Listener,
    html: Arc<Mutex<String>>,
}

impl PageServer {
    fn start() -> Self {
        let html: Arc<Mutex<String>> = Arc::default();
        let listener = {
            let html = Arc::clone(&html);
            Listener::start(move |stream| serve_page(stream, &html))
        };
        Self { listener, html }
    }

    fn origin(&self) -> String {
        self.listener.origin()
    }

    fn set(&self, html: String) {
        *self.html.lock().unwrap() = html;
    }
}

fn serve_page(mut stream: TcpStream, html: &Mutex<String>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0_u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let (status, content_type, body) = if head.starts_with(b"GET / ") {
        (
            "200 OK",
            "text/html; charset=utf-8",
            html.lock().unwrap().clone(),
        )
    } else {
        ("404 Not Found", "text/plain", "not found".to_owned())
    };
    let answer = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
}

/// What passed one way through one proxied connection.
type Transcript = Arc<Mutex<Vec<u8>>>;

/// A TCP proxy in front of `upstream` that keeps every byte each way.
struct Proxy {
    listener: Listener,
    /// `(browser to server, server to browser)` per connection.
    connections: Arc<Mutex<Vec<(Transcript, Transcript)>>>,
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Self {
        let connections: Arc<Mutex<Vec<(Transcript, Transcript)>>> = Arc::default();
        let listener = {
            let connections = Arc::clone(&connections);
            Listener::start(move |client| {
                let Ok(server) = TcpStream::connect(upstream) else {
                    return;
                };
                let sent = Transcript::default();
                let answered = Transcript::default();
                connections
                    .lock()
                    .unwrap()
                    .push((Arc::clone(&sent), Arc::clone(&answered)));
                let (client2, server2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let up = std::thread::spawn(move || pipe(client, server, &sent));
                pipe(server2, client2, &answered);
                let _ = up.join();
            })
        };
        Self {
            listener,
            connections,
        }
    }

    fn origin(&self) -> String {
        self.listener.origin()
    }

    /// The request lines the browser sent (`METHOD TARGET`), in order per connection.
    fn requests(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for (sent, _) in self.connections.lock().unwrap().iter() {
            lines.extend(request_lines(&sent.lock().unwrap()));
        }
        lines
    }

    /// Everything the server answered, lowercased, connections one after another.
    fn answers(&self) -> String {
        let mut all = String::new();
        for (_, answered) in self.connections.lock().unwrap().iter() {
            all.push_str(&String::from_utf8_lossy(&answered.lock().unwrap()).to_ascii_lowercase());
            all.push('\n');
        }
        all
    }
}

/// Copies `from` to `to` until `from` ends, keeping a copy in `log`.
fn pipe(mut from: TcpStream, mut to: TcpStream, log: &Mutex<Vec<u8>>) {
    let mut buf = [0_u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                log.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// `METHOD TARGET` of each HTTP/1.1 request in a browser's byte stream (the
/// browser sends bodies with `Content-Length`).
fn request_lines(mut bytes: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut head_lines = head.split("\r\n");
        let request_line = head_lines.next().unwrap_or_default();
        lines.push(
            request_line
                .rsplit_once(' ')
                .map_or(request_line, |(line, _version)| line)
                .to_owned(),
        );
        let length = head_lines
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        bytes = bytes.get(end + 4 + length..).unwrap_or_default();
    }
    lines
}

/// The page: calls the API at `api` and writes what it could read into
/// `<pre id="out">` as JSON. `token` and `key` stand in when the page's own
/// login or key creation is blocked.
fn page(api: &str, token: Option<&str>, key: Option<&str>) -> String {
    let config =
        json!({"api": api, "email": EMAIL, "password": PASSWORD, "token": token, "key": key});
    // `<` in a <script> must not close it: the JSON escapes it.
    let config = config.to_string().replace('<', "\\u003c");
    format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8"><title>shieldwall browser CORS test</title></head>
<body><pre id="out">not run</pre>
<script>
const CONFIG = {config};
const out = {{origin: location.origin, steps: {{}}, done: false}};
function show() {{
  // No `<`, `>` or `&` in the text, so the dumped DOM holds it unescaped.
  document.getElementById('out').textContent = JSON.stringify(out)
    .replace(/[<>&]/g, c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}}
async function step(name, url, init) {{
  const result = {{}};
  let body = null;
  try {{
    const response = await fetch(CONFIG.api + url, Object.assign({{credentials: 'include'}}, init));
    result.status = response.status;
    result.headers = {{}};
    for (const name of ['RateLimit', 'RateLimit-Policy', 'X-Request-Id', 'X-Total-Count',
                        'X-Page-Count', 'X-Frame-Options', 'Content-Type']) {{
      result.headers[name.toLowerCase()] = response.headers.get(name);
    }}
    const text = await response.text();
    try {{ body = JSON.parse(text); }} catch (e) {{ body = null; }}
    result.fields = body && typeof body === 'object' ? Object.keys(body).sort() : null;
  }} catch (e) {{
    result.error = e.name;
    result.message = String(e.message);
  }}
  out.steps[name] = result;
  show();
  return body;
}}
(async () => {{
  const json = {{'Content-Type': 'application/json'}};
  const login = await step('login', '/api/v1/auth/login', {{
    method: 'POST', headers: json,
    body: JSON.stringify({{email: CONFIG.email, password: CONFIG.password}}),
  }});
  const token = (login && login.access_token) || CONFIG.token;
  const bearer = {{Authorization: 'Bearer ' + token}};
  const me = await step('me', '/api/v1/protected/me', {{headers: bearer}});
  out.me_email = me && me.email;
  const created = await step('key', '/api/v1/protected/keys', {{
    method: 'POST', headers: Object.assign({{}}, bearer, json),
    body: JSON.stringify({{name: 'browser test'}}),
  }});
  const key = (created && created.key) || CONFIG.key;
  const users = await step('users', '/api/v1/users?limit=1', {{headers: {{'X-API-Key': key}}}});
  out.users_total = users && users.total;
  // A simple request: no preflight, the browser sends it and then decides.
  await step('anonymous', '/api/v1/users?page=1', {{}});
  out.done = true;
  show();
}})().catch(e => {{ out.failure = String(e); show(); }});
</script>
</body></html>
"#
    )
}

/// The browser to drive, found and tried once.
struct Browser {
    program: PathBuf,
}

/// The browser, or `None` when it cannot start at all (the reason is printed each time).
fn browser() -> Option<&'static Browser> {
    static BROWSER: OnceLock<Result<Browser, String>> = OnceLock::new();
    match BROWSER.get_or_init(find_browser) {
        Ok(browser) => Some(browser),
        Err(reason) => {
            eprintln!("skipped: {reason}");
            None
        }
    }
}

fn find_browser() -> Result<Browser, String> {
    let candidates: Vec<PathBuf> = match std::env::var_os("SHIELDWALL_CHROMIUM") {
        Some(program) => vec![PathBuf::from(program)],
        None => vec!["chromium".into(), "chromium-browser".into()],
    };
    let mut reasons = Vec::new();
    for program in candidates {
        let browser = Browser { program };
        match browser.dump_dom("data:text/html,<p>shieldwall-probe</p>") {
            Ok(run) if run.dom.contains("<p>shieldwall-probe</p>") => return Ok(browser),
            Ok(run) => reasons.push(format!(
                "`{}` started but printed no page ({}); stderr:\n{}",
                browser.program.display(),
                run.status,
                run.stderr_tail()
            )),
            Err(e) => reasons.push(e),
        }
    }
    Err(format!(
        "no headless Chromium can start ({}); `.ci/run` installs Debian's `chromium`",
        reasons.join("; ")
    ))
}

/// One browser run.
struct Run {
    status: String,
    dom: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn stderr_tail(&self) -> String {
        tail(&self.stderr)
    }
}

/// The last lines of a browser's stderr, without the noise of a machine that
/// has no D-Bus.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.contains("dbus"))
        .collect();
    if lines.is_empty() {
        return "(nothing)".to_owned();
    }
    lines[lines.len().saturating_sub(20)..].join("\n")
}

impl Browser {
    /// Loads `url` in a fresh profile and returns the DOM Chromium prints
    /// once the page's work is done; an error when the program cannot be
    /// started or runs past [`BROWSER_TIMEOUT`].
    fn dump_dom(&self, url: &str) -> Result<Run, String> {
        let profile = TempDir::new("browser-cors-profile");
        let started = Instant::now();
        let mut command = Command::new(&self.program);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-breakpad",
                "--disable-dev-shm-usage",
                "--disable-features=Translate,MediaRouter,OptimizationHints",
            ])
            .arg(format!("--user-data-dir={}", profile.dir().display()))
            .arg(format!("--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}"))
            .arg("--dump-dom")
            .arg(url)
            // Nothing of the developer's profile is read or written.
            .env("HOME", profile.dir())
            .env("XDG_CONFIG_HOME", profile.path("config"))
            .env("XDG_CACHE_HOME", profile.path("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that a timeout ends its helpers too.
            .process_group(0);
        let mut child = command.spawn().map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                format!("`{}` is not installed", self.program.display())
            } else {
                format!("cannot start `{}`: {e}", self.program.display())
            }
        })?;
        let read = |stream: Option<Box<dyn Read + Send>>| {
            let (tx, rx) = mpsc::channel();
            let text = Arc::new(Mutex::new(Vec::new()));
            if let Some(mut stream) = stream {
                let text = Arc::clone(&text);
                std::thread::spawn(move || {
                    let mut buf = [0_u8; 8192];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        text.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = tx.send(());
                });
            }
            (text, rx)
        };
        let (stdout, stdout_done) = read(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        let (stderr, stderr_done) = read(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break status;
            }
            if started.elapsed() > BROWSER_TIMEOUT {
                // Not reaped yet, so the group id is still this browser's.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.kill();
                let _ = child.wait();
                let stderr = String::from_utf8_lossy(&stderr.lock().unwrap()).into_owned();
                return Err(format!(
                    "`{}` did not finish {url} within {BROWSER_TIMEOUT:?}; stderr:\n{}",
                    self.program.display(),
                    tail(&stderr)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // A helper process that outlives the browser could hold the pipes.
        let _ = stdout_done.recv_timeout(Duration::from_secs(5));
        let _ = stderr_done.recv_timeout(Duration::from_secs(1));
        let dom = String::from_utf8_lossy(&stdout.lock().unwrap()).into_owned();
        let stderr = String::from_utf8_lossy(&stderr.lock().unwrap()).into_owned();
        Ok(Run {
            status: status.to_string(),
            dom,
            stderr,
            elapsed: started.elapsed(),
        })
    }

    /// Loads the page of `page_server` and returns what it wrote into `<pre id="out">`.
    fn results(&self, page_server: &PageServer, what: &str) -> (Value, Duration) {
        let url = format!("{}/", page_server.origin());
        let run = self
            .dump_dom(&url)
            .unwrap_or_else(|e| panic!("{what}: the browser failed: {e}"));
        let out = run
            .dom
            .split_once("<pre id=\"out\">")
            .and_then(|(_, rest)| rest.split_once("</pre>"))
            .map(|(out, _)| out)
            .unwrap_or_else(|| {
                panic!(
                    "{what}: the browser ({}) printed no result; stdout:\n{}\nstderr:\n{}",
                    run.status,
                    run.dom,
                    run.stderr_tail()
                )
            });
        let results: Value = serde_json::from_str(out).unwrap_or_else(|e| {
            panic!(
                "{what}: the page did not finish ({e}): {out}\nstderr:\n{}",
                run.stderr_tail()
            )
        });
        assert_eq!(
            results["done"],
            true,
            "{what}: the page did not finish: {results}\nstderr:\n{}",
            run.stderr_tail()
        );
        (results, run.elapsed)
    }
}

/// A header the page read: present and not empty.
fn readable<'a>(results: &'a Value, step: &str, header: &str) -> &'a str {
    let value = results["steps"][step]["headers"][header].as_str();
    assert!(
        value.is_some_and(|v| !v.is_empty()),
        "{step}: the page could not read `{header}`: {results}"
    );
    value.unwrap()
}

fn assert_status(results: &Value, step: &str, status: u16) {
    assert_eq!(
        results["steps"][step]["status"], status,
        "{step}: the page did not read status {status}: {results}"
    );
}

/// A token and an API key of alice's, made without the browser.
fn credentials(server: &ServerProcess) -> (String, String) {
    let bearer = server.bearer(EMAIL, PASSWORD).unwrap();
    let created = server
        .send(
            &TestRequest::post("/api/v1/protected/keys")
                .header("authorization", &bearer)
                .json(r#"{"name":"for the disallowed page"}"#),
        )
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text());
    let key = created.json().unwrap()["key"].as_str().unwrap().to_owned();
    (bearer.trim_start_matches("Bearer ").to_owned(), key)
}

fn browser_cors(name: &str) {
    let Some(browser) = browser() else {
        return;
    };
    // The page origins first: the allowed one is the server's setting. Each
    // page is written once the proxy's address is known.
    let allowed = PageServer::start();
    let disallowed = PageServer::start();
    let server = ServerProcess::start(
        &binary(name),
        &[("SHIELDWALL_CORS_ORIGINS", &allowed.origin())],
    )
    .unwrap_or_else(|e| panic!("{e}"));

    // Allowed origin: everything readable.
    let proxy = Proxy::start(server.addr());
    allowed.set(page(&proxy.origin(), None, None));
    let what = format!("{name}, page from allowed {}", allowed.origin());
    let (results, elapsed) = browser.results(&allowed, &what);
    assert_eq!(results["origin"], allowed.origin(), "{what}: {results}");
    assert_status(&results, "login", 200);
    assert_eq!(
        results["steps"]["login"]["fields"],
        json!(["access_token", "expires_in", "token_type"]),
        "{what}: {results}"
    );
    readable(&results, "login", "ratelimit");
    assert_status(&results, "me", 200);
    assert_eq!(results["me_email"], EMAIL, "{what}: {results}");
    let limit = readable(&results, "me", "ratelimit");
    assert!(limit.contains(";r="), "{what}: RateLimit {limit:?}");
    readable(&results, "me", "ratelimit-policy");
    readable(&results, "me", "x-request-id");
    assert_eq!(
        results["steps"]["me"]["headers"]["x-frame-options"],
        Value::Null,
        "{what}: a header that is not exposed was readable: {results}"
    );
    assert_status(&results, "key", 201);
    assert_status(&results, "users", 200);
    let total = readable(&results, "users", "x-total-count");
    let total: u64 = total
        .parse()
        .unwrap_or_else(|_| panic!("{what}: X-Total-Count {total:?} is not a number"));
    assert!(total >= 1, "{what}: X-Total-Count {total}");
    assert_eq!(results["users_total"], total, "{what}: {results}");
    readable(&results, "users", "x-page-count");
    readable(&results, "users", "x-request-id");
    readable(&results, "users", "ratelimit");
    // A 401 to an allowed origin is readable too.
    assert_status(&results, "anonymous", 401);
    readable(&results, "anonymous", "x-request-id");
    let sent = proxy.requests();
    for request in [
        "OPTIONS /api/v1/auth/login",
        "POST /api/v1/auth/login",
        "GET /api/v1/protected/me",
        "POST /api/v1/protected/keys",
        "GET /api/v1/users?limit=1",
    ] {
        assert!(
            sent.iter().any(|r| r == request),
            "{what}: the browser did not send {request}: {sent:?}"
        );
    }
    eprintln!(
        "{what}: login, me, key, users read in {:.1}s; RateLimit {limit:?}, X-Total-Count {total}",
        elapsed.as_secs_f64()
    );
    drop(proxy);

    // Disallowed origin (another port), holding a valid token and key: blocked.
    let (token, key) = credentials(&server);
    let proxy = Proxy::start(server.addr());
    disallowed.set(page(&proxy.origin(), Some(&token), Some(&key)));
    let what = format!("{name}, page from disallowed {}", disallowed.origin());
    let (results, elapsed) = browser.results(&disallowed, &what);
    assert_eq!(results["origin"], disallowed.origin(), "{what}: {results}");
    for step in ["login", "me", "key", "users", "anonymous"] {
        let result = &results["steps"][step];
        assert_eq!(
            result["error"], "TypeError",
            "{what}: {step} was not blocked: {results}"
        );
        assert_eq!(result["status"], Value::Null, "{what}: {step}: {results}");
    }
    assert_eq!(results["me_email"], Value::Null, "{what}: {results}");
    assert_eq!(results["users_total"], Value::Null, "{what}: {results}");
    let sent = proxy.requests();
    for request in [
        "OPTIONS /api/v1/auth/login",
        "OPTIONS /api/v1/protected/me",
        "OPTIONS /api/v1/protected/keys",
        "OPTIONS /api/v1/users?limit=1",
        // The simple request goes out; the server answers without CORS headers.
        "GET /api/v1/users?page=1",
    ] {
        assert!(
            sent.iter().any(|r| r == request),
            "{what}: the browser did not send {request}: {sent:?}"
        );
    }
    for request in [
        "POST /api/v1/auth/login",
        "GET /api/v1/protected/me",
        "POST /api/v1/protected/keys",
        "GET /api/v1/users?limit=1",
    ] {
        assert!(
            !sent.iter().any(|r| r == request),
            "{what}: the browser sent {request} after its preflight: {sent:?}"
        );
    }
    let answers = proxy.answers();
    // (`Vary` names `access-control-request-*`: only header lines count.)
    assert!(
        !answers
            .lines()
            .any(|line| line.starts_with("access-control-")),
        "{what}: the server answered with CORS headers:\n{answers}"
    );
    assert_eq!(
        answers.matches("http/1.1 403 ").count(),
        4,
        "{what}: the four preflights were not refused:\n{answers}"
    );
    assert!(
        answers.contains("\"code\":\"cors_forbidden\""),
        "{what}:\n{answers}"
    );
    assert_eq!(
        answers.matches("http/1.1 401 ").count(),
        1,
        "{what}:\n{answers}"
    );
    eprintln!(
        "{what}: all five calls blocked (TypeError) in {:.1}s; sent {sent:?}",
        elapsed.as_secs_f64()
    );
}

#[test]
fn axum_cors_in_a_real_browser() {
    browser_cors("example-axum-api");
}

#[test]
fn actix_cors_in_a_real_browser() {
    browser_cors("example-actix-api");
}
