//! Login work for a right password, a wrong password and an unknown email:
//! the three must cost the same, so that timing does not tell which emails
//! exist. `cargo bench -p example-demo --bench login`.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    missing_docs,
    reason = "benchmark"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use example_demo::{DemoUser, Users};
use shieldwall_core::Secret;

fn login(c: &mut Criterion) {
    let users = Users::hash(&[DemoUser {
        email: "alice@example.com".into(),
        password: Secret::from("alice-password-1"),
    }])
    .unwrap();
    let mut group = c.benchmark_group("demo/login");
    group.sample_size(20);
    group.bench_function("right_password", |b| {
        b.iter(|| {
            assert!(
                users
                    .authenticate(black_box("alice@example.com"), b"alice-password-1")
                    .is_some()
            )
        });
    });
    group.bench_function("wrong_password", |b| {
        b.iter(|| {
            assert!(
                users
                    .authenticate(black_box("alice@example.com"), b"alice-password-2")
                    .is_none()
            )
        });
    });
    group.bench_function("unknown_email", |b| {
        b.iter(|| {
            assert!(
                users
                    .authenticate(black_box("mallory@example.com"), b"alice-password-1")
                    .is_none()
            )
        });
    });
    group.finish();
}

criterion_group!(benches, login);
criterion_main!(benches);
