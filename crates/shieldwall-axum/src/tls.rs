//! [`serve_tls`]: an axum [`Router`] served over TLS by this process
//! (feature `tls`).

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use shieldwall_core::TlsConnection;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower_service::Service;

/// How long a client may take to complete the TLS handshake before its
/// connection is dropped.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` over TLS on `listener` until `shutdown` completes.
///
/// What `axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())`
/// does for plain HTTP, over TLS:
///
/// - each accepted connection completes its TLS handshake within
///   [`TLS_HANDSHAKE_TIMEOUT`], or is dropped; a failed or timed-out handshake
///   is logged at `debug` and never stops the accept loop (nor does a failed
///   `accept`: the loop waits a second and goes on);
/// - HTTP/1.1 and HTTP/2 on the same port: offer both by ALPN in `tls`
///   (`alpn_protocols = [b"h2", b"http/1.1"]`); HTTP/1 upgrades work; an
///   HTTP/1 request head must arrive within hyper's header-read timeout (30 s);
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
    let acceptor = TlsAcceptor::from(tls);
    let mut builder = Builder::new(TokioExecutor::new());
    // hyper enforces its HTTP/1 header-read timeout only when it has a timer.
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    // Tells tasks still in their handshake to give up at shutdown.
    let (stop_handshakes, stop) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
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
            builder: builder.clone(),
            app: app.clone(),
            watcher: graceful.watcher(),
            stop: stop.clone(),
        }));
    }
    drop(listener);
    // Every task holds a clone of `stop`; ours is not needed to send.
    drop(stop);
    let _ = stop_handshakes.send(());
    tracing::debug!("TLS server shutting down: waiting for open connections");
    graceful.shutdown().await;
    Ok(())
}

/// What a connection's task needs.
struct Connection {
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    builder: Builder<TokioExecutor>,
    app: Router,
    watcher: Watcher,
    stop: watch::Receiver<()>,
}

async fn connection(conn: Connection) {
    let Connection {
        tcp,
        peer,
        acceptor,
        builder,
        app,
        watcher,
        mut stop,
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
    let service = hyper::service::service_fn(move |request| handle(app.clone(), peer, request));
    let served = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    if let Err(err) = watcher.watch(served.into_owned()).await {
        tracing::debug!(%peer, error = %err, "connection closed with an error");
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
