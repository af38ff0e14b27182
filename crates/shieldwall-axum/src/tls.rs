//! [`serve_tls`] and [`TlsServer`]: an axum [`Router`] served over TLS by
//! this process (feature `tls`).

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use shieldwall_core::TlsConnection;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

/// How long a client may take to complete the TLS handshake before its
/// connection is dropped.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may wait for a complete request head: from the end
/// of the handshake to its first request (HTTP/1 and HTTP/2), and on HTTP/1
/// for each following request (hyper's header-read timeout, which covers a
/// keep-alive connection left idle). Past it, the connection is closed.
pub const TLS_REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How many connections [`serve_tls`] keeps open at once (handshakes
/// included) unless [`TlsServer::max_connections`] says otherwise: 512, the
/// default `worker_connections` of nginx, half the soft open-file limit of
/// many systems (1024), which leaves room for the program's other files.
pub const TLS_MAX_CONNECTIONS: NonZeroUsize = match NonZeroUsize::new(512) {
    Some(max) => max,
    // Evaluated at compile time: a zero here would fail the build.
    None => unreachable!(),
};

/// How often an HTTP/2 connection pings its client, and how long it waits for
/// the answer before closing: a client that vanished without a FIN (a NAT
/// that dropped the mapping, a power cut) frees its connection.
const HTTP2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);
const HTTP2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves `app` over TLS on `listener` until `shutdown` completes, with the
/// default limits: `TlsServer::new(tls).serve(listener, app, shutdown)`.
///
/// What `axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())`
/// does for plain HTTP, over TLS:
///
/// - at most [`TLS_MAX_CONNECTIONS`] connections are open at once (handshakes
///   included): at the limit, the loop stops accepting until one closes, and
///   new clients wait in the listener's backlog;
/// - each accepted connection completes its TLS handshake within
///   [`TLS_HANDSHAKE_TIMEOUT`], or is dropped; a failed or timed-out handshake
///   is logged at `debug` and never stops the accept loop (nor does a failed
///   `accept`: the loop waits a second and goes on);
/// - the protocol is the one the handshake negotiated by ALPN: HTTP/2 for
///   `h2`, HTTP/1.1 otherwise (no ALPN, `http/1.1`); offer both in `tls`
///   (`alpn_protocols = [b"h2", b"http/1.1"]`). HTTP/1 upgrades work;
/// - a connection that sends no complete request head within
///   [`TLS_REQUEST_HEAD_TIMEOUT`] of its handshake is closed; so is an HTTP/1
///   connection idle for that long between requests. HTTP/2 connections are
///   pinged every 20 s and closed when a ping goes unanswered for 20 s;
/// - every request carries [`ConnectInfo<SocketAddr>`](ConnectInfo) (the TCP
///   peer, read by [`ShieldwallLayer`](crate::ShieldwallLayer) and by axum's
///   `ConnectInfo` extractor) and [`TlsConnection`] in its extensions, so that
///   the perimeter knows the request arrived over TLS;
/// - when `shutdown` completes, no new connection is accepted, handshakes in
///   progress are dropped, open connections finish their requests in flight
///   (HTTP/1 closes after the current response, HTTP/2 sends `GOAWAY`), and
///   the function returns once they are all closed.
///
/// The crypto provider, certificates, protocol versions and ALPN are `tls`'s:
/// this function adds no policy of its own.
///
/// # Errors
///
/// None at present; the `io::Result` keeps the signature of `axum::serve`.
///
/// # Example
///
/// ```rust,no_run
/// use std::sync::Arc;
///
/// use axum::{Router, routing::get};
///
/// async fn run(tls: rustls::ServerConfig) -> std::io::Result<()> {
///     let app = Router::new().route("/health", get(|| async { "ok" }));
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
///     let shutdown = async {
///         // e.g. `let _ = tokio::signal::ctrl_c().await;`
///         std::future::pending::<()>().await
///     };
///     shieldwall_axum::serve_tls(listener, Arc::new(tls), app, shutdown).await
/// }
/// ```
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    TlsServer::new(tls).serve(listener, app, shutdown).await
}

/// [`serve_tls`] with limits of your own.
///
/// ```rust,no_run
/// use std::num::NonZeroUsize;
/// use std::sync::Arc;
///
/// use axum::{Router, routing::get};
/// use shieldwall_axum::TlsServer;
///
/// async fn run(tls: Arc<rustls::ServerConfig>) -> std::io::Result<()> {
///     let app = Router::new().route("/health", get(|| async { "ok" }));
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
///     // Checked at compile time.
///     const MAX: NonZeroUsize = NonZeroUsize::new(10_000).unwrap();
///     TlsServer::new(tls)
///         .max_connections(MAX)
///         .serve(listener, app, std::future::pending())
///         .await
/// }
/// ```
#[derive(Clone, Debug)]
pub struct TlsServer {
    tls: Arc<rustls::ServerConfig>,
    max_connections: NonZeroUsize,
}

impl TlsServer {
    /// A server with this TLS configuration and the default limits.
    #[must_use]
    pub fn new(tls: Arc<rustls::ServerConfig>) -> Self {
        Self {
            tls,
            max_connections: TLS_MAX_CONNECTIONS,
        }
    }

    /// How many connections may be open at once, handshakes included
    /// (default [`TLS_MAX_CONNECTIONS`]). Keep it below the process's
    /// open-file limit (`ulimit -n`) minus the files the program needs
    /// besides: at the limit the server waits, past the file limit `accept`
    /// fails.
    #[must_use]
    pub fn max_connections(mut self, max: NonZeroUsize) -> Self {
        self.max_connections = max;
        self
    }

    /// Serves `app` on `listener` until `shutdown` completes; see [`serve_tls`].
    ///
    /// # Errors
    ///
    /// None at present; the `io::Result` keeps the signature of `axum::serve`.
    pub async fn serve(
        self,
        listener: TcpListener,
        app: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        let acceptor = TlsAcceptor::from(self.tls);
        let protocols = Arc::new(Protocols::new());
        // More permits than tokio's maximum could never be used: no process
        // holds that many sockets.
        let permits = self.max_connections.get().min(Semaphore::MAX_PERMITS);
        let slots = Arc::new(Semaphore::new(permits));
        // Tells the connections to stop; every task holds a receiver, so the
        // sender sees when the last connection has closed.
        let (stop_all, stop) = watch::channel(());
        let mut shutdown = pin!(shutdown);
        let mut full = false;
        loop {
            let slot = match Arc::clone(&slots).try_acquire_owned() {
                Ok(slot) => {
                    full = false;
                    Ok(slot)
                }
                Err(_) => {
                    if !full {
                        tracing::warn!(
                            max = permits,
                            "TLS connection limit reached: accepting again when one closes"
                        );
                    }
                    full = true;
                    tokio::select! {
                        () = shutdown.as_mut() => break,
                        slot = Arc::clone(&slots).acquire_owned() => slot,
                    }
                }
            };
            // The semaphore is never closed, so this is always `Ok`.
            let Ok(slot) = slot else { break };
            let accepted = tokio::select! {
                () = shutdown.as_mut() => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, peer) = match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            };
            tokio::spawn(connection(Connection {
                tcp,
                peer,
                acceptor: acceptor.clone(),
                protocols: Arc::clone(&protocols),
                app: app.clone(),
                stop: stop.clone(),
                _slot: slot,
            }));
        }
        drop(listener);
        drop(stop);
        let _ = stop_all.send(());
        tracing::debug!("TLS server shutting down: waiting for open connections");
        stop_all.closed().await;
        Ok(())
    }
}

/// The HTTP/1 and HTTP/2 connection settings, made once.
struct Protocols {
    http1: http1::Builder,
    http2: http2::Builder<TokioExecutor>,
}

impl Protocols {
    fn new() -> Self {
        let mut http1 = http1::Builder::new();
        // hyper enforces its header-read timeout only when it has a timer.
        http1
            .timer(TokioTimer::new())
            .header_read_timeout(TLS_REQUEST_HEAD_TIMEOUT);
        let mut http2 = http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .keep_alive_interval(HTTP2_KEEP_ALIVE_INTERVAL)
            .keep_alive_timeout(HTTP2_KEEP_ALIVE_TIMEOUT);
        Self { http1, http2 }
    }
}

/// What a connection's task needs.
struct Connection {
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    protocols: Arc<Protocols>,
    app: Router,
    stop: watch::Receiver<()>,
    /// Held until the connection closes.
    _slot: OwnedSemaphorePermit,
}

async fn connection(conn: Connection) {
    let Connection {
        tcp,
        peer,
        acceptor,
        protocols,
        app,
        mut stop,
        _slot,
    } = conn;
    let handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp));
    let stream = tokio::select! {
        // A shutdown (or a dropped sender) ends the handshake.
        _ = stop.changed() => return,
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => {
                tracing::debug!(%peer, error = %err, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        },
    };
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
    let requested = Arc::new(AtomicBool::new(false));
    let service = {
        let requested = Arc::clone(&requested);
        hyper::service::service_fn(move |request| {
            requested.store(true, Ordering::Relaxed);
            handle(app.clone(), peer, request)
        })
    };
    let io = TokioIo::new(stream);
    let served = if h2 {
        let conn = protocols.http2.serve_connection(io, service);
        drive(conn, |c| c.graceful_shutdown(), &requested, &mut stop).await
    } else {
        let conn = protocols
            .http1
            .serve_connection(io, service)
            .with_upgrades();
        drive(conn, |c| c.graceful_shutdown(), &requested, &mut stop).await
    };
    match served {
        Some(Ok(())) => {}
        Some(Err(err)) => tracing::debug!(%peer, error = %err, "connection closed with an error"),
        None => tracing::debug!(%peer, "no request within the request-head timeout: closed"),
    }
}

/// Runs `conn` to its end, shutting it down gracefully when `stop` changes;
/// `None` when it was dropped because no request arrived within
/// [`TLS_REQUEST_HEAD_TIMEOUT`] (`requested` is set by the service).
async fn drive<C>(
    conn: C,
    graceful_shutdown: impl Fn(Pin<&mut C>),
    requested: &AtomicBool,
    stop: &mut watch::Receiver<()>,
) -> Option<Result<(), hyper::Error>>
where
    C: Future<Output = Result<(), hyper::Error>>,
{
    let mut conn = pin!(conn);
    let mut first_request = pin!(tokio::time::sleep(TLS_REQUEST_HEAD_TIMEOUT));
    let (mut waiting, mut stopping) = (true, false);
    loop {
        tokio::select! {
            biased;
            served = conn.as_mut() => return Some(served),
            // A shutdown (or a dropped sender).
            _ = stop.changed(), if !stopping => {
                stopping = true;
                graceful_shutdown(conn.as_mut());
            }
            () = first_request.as_mut(), if waiting => {
                if !requested.load(Ordering::Relaxed) {
                    return None;
                }
                waiting = false;
            }
        }
    }
}

/// Marks the request as axum's connect-info service and a TLS listener would,
/// then runs the router.
async fn handle(
    mut app: Router,
    peer: SocketAddr,
    mut request: http::Request<Incoming>,
) -> Result<Response, Infallible> {
    let extensions = request.extensions_mut();
    extensions.insert(ConnectInfo(peer));
    extensions.insert(TlsConnection);
    let request = request.map(Body::new);
    poll_fn(|cx| Service::<http::Request<Body>>::poll_ready(&mut app, cx)).await?;
    app.call(request).await
}

/// Per-connection failures (the peer reset before `accept`) are skipped; any
/// other (too many open files) is logged and waited out, as `axum::serve` does.
async fn accept_failed(err: &io::Error) {
    if matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %err, "accept failed; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Has no certificate: every handshake fails.
    #[derive(Debug)]
    struct NoCertificate;

    impl rustls::server::ResolvesServerCert for NoCertificate {
        fn resolve(
            &self,
            _: rustls::server::ClientHello<'_>,
        ) -> Option<Arc<rustls::sign::CertifiedKey>> {
            None
        }
    }

    fn config() -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(NoCertificate));
        Arc::new(config)
    }

    /// Whether the server answers or closes `stream` within `wait`.
    async fn heard_within(stream: &mut TcpStream, wait: Duration) -> bool {
        let mut buf = [0_u8; 64];
        tokio::time::timeout(wait, stream.read(&mut buf))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_connection_past_the_limit_waits_until_one_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = TlsServer::new(config()).max_connections(NonZeroUsize::MIN);
        let served = tokio::spawn(server.serve(listener, Router::new(), async {
            let _ = stopped.await;
        }));

        // Takes the only slot: accepted first, it never starts its handshake.
        let first = TcpStream::connect(addr).await.unwrap();
        // Not TLS: once accepted, its handshake fails and the server closes it.
        let mut second = TcpStream::connect(addr).await.unwrap();
        second.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
        assert!(
            !heard_within(&mut second, Duration::from_secs(1)).await,
            "accepted past the limit"
        );
        drop(first);
        assert!(
            heard_within(&mut second, Duration::from_secs(10)).await,
            "still waiting after the slot was freed"
        );

        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), served)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}
