//! `SHIELDWALL_METRICS_ADDR`: the Prometheus recorder, and a listener of its
//! own serving `GET /metrics` (never the API's address). One implementation
//! on tokio and hyper serves both demo servers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use shieldwall_metrics::{CONTENT_TYPE, Prometheus};

/// How long a scraper has to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the exporter's histograms are drained.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);
/// Connections served at once: a scraper needs one; a flood of idle
/// connections to this port must not take the process's descriptors from
/// the API.
const MAX_CONNECTIONS: usize = 8;

/// Installs the Prometheus recorder when metrics are asked for.
pub(crate) fn install(addr: Option<SocketAddr>) -> Result<Option<Prometheus>, String> {
    addr.map(|_| Prometheus::install().map_err(|e| format!("SHIELDWALL_METRICS_ADDR: {e}")))
        .transpose()
}

/// Binds the metrics listener and serves it in the background; prints
/// `metrics on http://ADDR` (the address bound). Nothing without
/// `SHIELDWALL_METRICS_ADDR`.
///
/// # Errors
///
/// The exit code after a one-line message naming the variable, when the
/// address cannot be bound.
pub async fn serve_metrics(demo: &crate::Demo) -> Result<(), ExitCode> {
    let (Some(addr), Some(prometheus)) = (demo.config.metrics_addr, demo.metrics.clone()) else {
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|err| {
        eprintln!("SHIELDWALL_METRICS_ADDR: cannot listen on {addr}: {err}");
        ExitCode::from(2)
    })?;
    let bound = listener.local_addr().unwrap_or(addr);
    println!("metrics on http://{bound}");
    let upkeep = prometheus.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.upkeep();
        }
    });
    tokio::spawn(accept(listener, prometheus));
    Ok(())
}

async fn accept(listener: tokio::net::TcpListener, prometheus: Prometheus) {
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or similar: wait instead of spinning.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        // Over the cap the connection is closed at once.
        let Ok(permit) = std::sync::Arc::clone(&permits).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let prometheus = prometheus.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                std::future::ready(Ok::<_, Infallible>(answer(&prometheus, &request)))
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(permit);
        });
    }
}

fn answer(prometheus: &Prometheus, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match (request.method(), request.uri().path()) {
        (&Method::GET | &Method::HEAD, "/metrics") => (
            StatusCode::OK,
            CONTENT_TYPE,
            Bytes::from(prometheus.render()),
        ),
        (_, "/metrics") => (
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"method not allowed\n"),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"not found: the metrics are at /metrics\n"),
        ),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, value);
    }
    response
}
