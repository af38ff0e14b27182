//! A memory limit holds across actix-web workers. `HttpServer::new` runs its
//! closure once per worker thread, so the limiter is built once, before it,
//! and every worker gets a clone: clones share one count. Two workers, real
//! connections, one request per connection (actix-web hands new connections
//! to its workers in turn).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use shieldwall_actix::{GuardMiddleware, Shieldwall};
use shieldwall_core::Perimeter;
use shieldwall_ratelimit::{Policy, RateLimiter};
use shieldwall_testkit::{TestRequest, client};

const QUOTA: usize = 3;
const WORKERS: usize = 2;

/// The worker thread that answered, so that the test can see both served.
async fn worker() -> String {
    format!("{:?}", thread::current().id())
}

/// Serves `/limited` behind `limit` and `/worker` unlimited on 127.0.0.1:0,
/// with `WORKERS` workers, on a thread of its own.
fn serve(
    limit: GuardMiddleware<RateLimiter<shieldwall_ratelimit::MemoryStore>>,
) -> (SocketAddr, ServerHandle, thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            // The closure runs once per worker: it only clones what was built outside it.
            let server = HttpServer::new(move || {
                App::new()
                    .service(
                        web::resource("/limited")
                            .route(web::get().to(worker))
                            .wrap(limit.clone()),
                    )
                    .route("/worker", web::get().to(worker))
                    .wrap(Shieldwall::with_perimeter(Perimeter::new()))
            })
            .workers(WORKERS)
            .bind(("127.0.0.1", 0))
            .unwrap();
            let addr = server.addrs()[0];
            let server = server.run();
            tx.send((addr, server.handle())).unwrap();
            server.await.unwrap();
        });
    });
    let (addr, handle) = rx.recv().unwrap();
    (addr, handle, thread)
}

#[test]
fn a_memory_limit_built_once_holds_across_two_workers() {
    let policy = Policy::builder("workers", format!("{QUOTA}/1h").parse().unwrap())
        .build()
        .unwrap();
    // Built once, outside `HttpServer::new`: one count for every worker.
    let limit = GuardMiddleware::new(RateLimiter::memory(policy));
    let (addr, handle, server) = serve(limit);

    // The connections really are spread over both workers.
    let workers: HashSet<String> = (0..8)
        .map(|_| {
            client::send(addr, &TestRequest::get("/worker"))
                .unwrap()
                .text()
        })
        .collect();
    assert_eq!(workers.len(), WORKERS, "{workers:?}");

    let answers: Vec<(u16, String)> = (0..QUOTA + 5)
        .map(|_| {
            let answer = client::send(addr, &TestRequest::get("/limited")).unwrap();
            (answer.status, answer.text())
        })
        .collect();
    let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        QUOTA,
        "{statuses:?}"
    );
    assert_eq!(statuses[..QUOTA], [200; QUOTA], "{statuses:?}");
    assert!(statuses[QUOTA..].iter().all(|s| *s == 429), "{statuses:?}");
    // The allowed ones were served by more than one worker.
    let served_by: HashSet<&str> = answers[..QUOTA].iter().map(|(_, w)| w.as_str()).collect();
    assert!(served_by.len() > 1, "{served_by:?}");

    actix_rt::System::new().block_on(handle.stop(true));
    server.join().unwrap();
}
