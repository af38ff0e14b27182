//! HTML sanitizing beside `ammonia::clean`, in the same run.
//!
//! `cargo bench -p shieldwall-sanitize --bench html`
#![allow(clippy::unwrap_used, missing_docs, reason = "benchmark")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use shieldwall_sanitize::HtmlPolicy;

/// 10 KiB of prose without markup.
fn plain_text() -> String {
    let sentence =
        "The quick brown fox jumps over the lazy dog, then naps in the warm afternoon sun. ";
    sentence
        .repeat(10 * 1024 / sentence.len() + 1)
        .chars()
        .take(10 * 1024)
        .collect()
}

/// About 10 KiB of the rich text a comment or profile holds: paragraphs,
/// emphasis, links, lists, and the usual junk (attributes, a script, an image).
fn real_html() -> String {
    let block = r#"<p>Thanks for the <b>quick</b> reply! I tried the <a href="https://example.com/docs?page=2" title="docs" target="_blank">steps in the docs</a> and it <em>mostly</em> worked.</p>
<ul><li>Step one: <code>cargo build</code></li><li>Step two &amp; three: restart</li></ul>
<p style="color: red" class="note" onclick="track()">Still seeing <strong>errors</strong> on <i>staging</i> though.<br>Any ideas?</p>
<blockquote>Quoted text from the <u>previous</u> answer, with an <img src="https://example.com/x.png" alt="image"> inline.</blockquote>
<script>console.log("tracking")</script>
"#;
    block.repeat(10 * 1024 / block.len() + 1)
}

fn plain(c: &mut Criterion) {
    let text = plain_text();
    let policy = HtmlPolicy::basic_formatting();
    let mut group = c.benchmark_group("html/10 KiB plain text");
    group.bench_function("ammonia::clean", |b| {
        b.iter(|| black_box(ammonia::clean(black_box(&text))))
    });
    group.bench_function("shieldwall HtmlPolicy::clean", |b| {
        b.iter(|| black_box(policy.clean(black_box(&text))))
    });
    group.finish();
}

fn html(c: &mut Criterion) {
    let text = real_html();
    let policy = HtmlPolicy::basic_formatting();
    let mut group = c.benchmark_group("html/10 KiB rich text");
    group.bench_function("ammonia::clean", |b| {
        b.iter(|| black_box(ammonia::clean(black_box(&text))))
    });
    group.bench_function("shieldwall HtmlPolicy::clean", |b| {
        b.iter(|| black_box(policy.clean(black_box(&text))))
    });
    group.finish();
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
    targets = plain, html
}
criterion_main!(benches);
