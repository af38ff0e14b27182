//! The spans of a request and of each guard decision, the same on both
//! adapters: OpenTelemetry's HTTP field names, the client address resolved
//! behind a trusted proxy, each guard's kind, policy, outcome and principal
//! kind, and never a credential, a principal's id or an extension method.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use shieldwall_core::{ClientIpResolver, Guards, Perimeter, TrustedProxies};
use shieldwall_keys::{ApiKeyGuard, ApiKeys, KeyFormat, MemoryKeyStore, NewKey};
use shieldwall_ratelimit::{Policy, RateLimiter};
use shieldwall_testkit::adapters::{through_actix, through_axum};
use shieldwall_testkit::{Case, Expect, TestRequest};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A span's name and fields, as text.
type Seen = (String, BTreeMap<String, String>);

/// Keeps every span with its fields, recorded at creation or later.
#[derive(Default)]
struct Spans {
    next: AtomicU64,
    spans: Mutex<BTreeMap<u64, Seen>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

struct Capture(Arc<Spans>);

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "shieldwall"
    }
    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = BTreeMap::new();
        attributes.record(&mut Fields(&mut fields));
        self.0
            .spans
            .lock()
            .unwrap()
            .insert(id, (attributes.metadata().name().to_owned(), fields));
        Id::from_u64(id)
    }
    fn record(&self, id: &Id, values: &Record<'_>) {
        if let Some((_, fields)) = self.0.spans.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn spans() -> &'static Arc<Spans> {
    static SPANS: OnceLock<Arc<Spans>> = OnceLock::new();
    SPANS.get_or_init(|| {
        let spans = Arc::new(Spans::default());
        tracing::subscriber::set_global_default(Capture(Arc::clone(&spans))).unwrap();
        spans
    })
}

/// Every span recorded since the last call.
fn take() -> Vec<Seen> {
    std::mem::take(&mut *spans().spans.lock().unwrap())
        .into_values()
        .collect()
}

fn perimeter() -> Perimeter {
    // The in-process runners' peer is a trusted proxy here.
    Perimeter::new().client_ip_resolver(
        ClientIpResolver::builder()
            .trusted_proxies("203.0.113.10/32".parse::<TrustedProxies>().unwrap())
            .build(),
    )
}

const BAD_KEY: &str = "sk_test_this-is-not-a-key-at-all";

fn cases(key: &str) -> Vec<Case> {
    vec![
        Case::new(
            "a bad key",
            TestRequest::get("/items")
                .header("x-forwarded-for", "198.51.100.7")
                .header("x-api-key", BAD_KEY),
            Expect::problem(401, "INVALID_API_KEY"),
        ),
        Case::new(
            "a good key",
            TestRequest::get("/items")
                .header("x-forwarded-for", "198.51.100.8")
                .header("x-api-key", key),
            Expect::status(200),
        ),
        Case::new(
            "an extension method",
            TestRequest::new("BREW", "/items").header("x-forwarded-for", "198.51.100.9"),
            Expect::status(405),
        ),
    ]
}

/// The spans, with the request ids (random) left out, sorted.
fn normalized(seen: Vec<Seen>) -> Vec<Seen> {
    let mut seen: Vec<Seen> = seen
        .into_iter()
        .map(|(name, mut fields)| {
            fields.remove("request_id");
            (name, fields)
        })
        .collect();
    seen.sort();
    seen
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn requests_and_guard_decisions_have_the_same_spans_on_both_adapters() {
    let _ = spans();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let keys = ApiKeys::builder(MemoryKeyStore::new(), KeyFormat::new("sk_test").unwrap())
        .flush_last_used_every(None)
        .build();
    let created = runtime
        .block_on(keys.create(NewKey::new("owner-1", "reader", ["items:read"])))
        .unwrap();
    let key = created.key.reveal();
    let guards = || {
        Guards::new()
            .then(RateLimiter::memory(
                Policy::builder("public", "100/1m".parse().unwrap())
                    .build()
                    .unwrap(),
            ))
            .then(ApiKeyGuard::new(keys.clone()))
    };
    let cases = cases(&key);

    let axum_app = {
        use axum::routing::get;
        use shieldwall_axum::{GuardsLayer, RouteTemplates, ShieldwallLayer};
        axum::Router::new()
            .route(
                "/items",
                get(|| async { "items" }).route_layer(GuardsLayer::new(guards())),
            )
            .layer(RouteTemplates)
            .layer(ShieldwallLayer::with_perimeter(perimeter()))
    };
    let axum = through_axum(axum_app, &cases);
    let axum_spans = take();
    let actix = {
        use shieldwall_actix::{GuardsMiddleware, Shieldwall, resource};
        let app = actix_web::App::new()
            .service(
                resource("/items")
                    .get(|| async { "items" })
                    .wrap_routes(GuardsMiddleware::new(guards())),
            )
            .wrap(Shieldwall::with_perimeter(perimeter()));
        through_actix(app, &cases)
    };
    let actix_spans = take();
    shieldwall_testkit::assert_cases(&[("axum", axum), ("actix", actix)], &cases);

    for (framework, seen) in [("axum", &axum_spans), ("actix", &actix_spans)] {
        let text = format!("{seen:?}");
        for secret in [BAD_KEY, key.as_str(), "owner-1", "BREW"] {
            assert!(
                !text.contains(secret),
                "{framework}: `{secret}` in a span: {text}"
            );
        }
        let requests: Vec<&Seen> = seen.iter().filter(|(name, _)| name == "request").collect();
        assert_eq!(requests.len(), 3, "{framework}: {text}");
        for (_, fields) in &requests {
            assert!(
                fields.get("request_id").is_some_and(|id| !id.is_empty()),
                "{framework}"
            );
        }
    }
    let axum_spans = normalized(axum_spans);
    let expected = normalized(vec![
        (
            "guard".to_owned(),
            fields(&[
                ("shieldwall.guard", "rate_limit"),
                ("shieldwall.policy", "public"),
                ("shieldwall.outcome", "allow"),
            ]),
        ),
        (
            "guard".to_owned(),
            fields(&[
                ("shieldwall.guard", "rate_limit"),
                ("shieldwall.policy", "public"),
                ("shieldwall.outcome", "allow"),
            ]),
        ),
        (
            "guard".to_owned(),
            fields(&[
                ("shieldwall.guard", "api_key"),
                ("shieldwall.outcome", "reject"),
                ("error.type", "INVALID_API_KEY"),
            ]),
        ),
        (
            "guard".to_owned(),
            fields(&[
                ("shieldwall.guard", "api_key"),
                ("shieldwall.outcome", "allow"),
                ("shieldwall.principal.kind", "api_key"),
            ]),
        ),
        (
            "request".to_owned(),
            fields(&[
                ("http.request.method", "GET"),
                ("client.address", "198.51.100.7"),
                ("http.route", "/items"),
                ("http.response.status_code", "401"),
            ]),
        ),
        (
            "request".to_owned(),
            fields(&[
                ("http.request.method", "GET"),
                ("client.address", "198.51.100.8"),
                ("http.route", "/items"),
                ("http.response.status_code", "200"),
            ]),
        ),
        (
            "request".to_owned(),
            fields(&[
                ("http.request.method", "_OTHER"),
                ("client.address", "198.51.100.9"),
                ("http.route", "/items"),
                ("http.response.status_code", "405"),
            ]),
        ),
    ]);
    assert_eq!(axum_spans, expected, "axum");
    assert_eq!(normalized(actix_spans), expected, "actix-web");
}
