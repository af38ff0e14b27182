//! `parse_body` (what `Valid<Json<T>>` runs once the body is read)
//! beside `serde_json::from_slice` + `validate()` by hand, in the same run.
//!
//! `cargo bench -p shieldwall-validate --bench body`
#![allow(clippy::unwrap_used, missing_docs, reason = "benchmark")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use shieldwall_core::BodyPolicy;
use shieldwall_sanitize::{HtmlPolicy, clean_identifier_in_place};
use shieldwall_validate::{Sanitize, Validate, parse_body};

/// The demo's (and the seed's) `createUser` body.
#[derive(Debug, serde::Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct CreateUser {
    #[validate(email, length(max = 255))]
    email: String,
    #[validate(length(min = 1, max = 100))]
    name: String,
    #[validate(range(max = 150))]
    age: Option<u8>,
    #[validate(length(max = 10000))]
    bio: Option<String>,
}

impl Sanitize for CreateUser {
    fn sanitize(&mut self) -> bool {
        let markup = HtmlPolicy::strip_all().clean_in_place(&mut self.name);
        let invisible = clean_identifier_in_place(&mut self.name);
        let bio = self
            .bio
            .as_mut()
            .is_some_and(|bio| HtmlPolicy::basic_formatting().clean_in_place(bio));
        markup | invisible | bio
    }
}

const PLAIN: &[u8] = br#"{"email":"ada.lovelace@example.com","name":"Ada Lovelace","age":36,"bio":"Mathematician and writer, known for her work on the Analytical Engine."}"#;
const RICH: &[u8] = br#"{"email":"ada.lovelace@example.com","name":"Ada Lovelace","age":36,"bio":"<p>Mathematician and <b>writer</b>, known for her work on the <a href=\"https://example.com/engine\">Analytical Engine</a>.</p>"}"#;

fn create_user(c: &mut Criterion) {
    let policy = BodyPolicy::default();
    for (name, body) in [("plain-text bio", PLAIN), ("bio with markup", RICH)] {
        let mut group = c.benchmark_group(format!("createUser/{name}"));
        group.bench_function("serde_json::from_slice + validate()", |b| {
            b.iter(|| {
                let user: CreateUser = serde_json::from_slice(black_box(body)).unwrap();
                user.validate().unwrap();
                black_box(user)
            });
        });
        group.bench_function("shieldwall parse_body", |b| {
            b.iter(|| black_box(parse_body::<CreateUser>(&policy, black_box(body)).unwrap()));
        });
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = create_user
}
criterion_main!(benches);
