//! The HTML sanitizer on any text: never a panic; with the HTML policy,
//! cleaning what it cleaned changes nothing, and no script element, event
//! handler or `javascript:` link survives. (`StripAll` makes plain text, its
//! character references decoded: `&lt;b&gt;` becomes the text `<b>`, for
//! whoever renders it to escape, so these HTML properties are not its.)
#![cfg(feature = "html")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use proptest::prelude::*;
use shieldwall_sanitize::HtmlPolicy;

/// Text made of markup pieces, entities and plain words.
fn markup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<b>".to_owned()),
        Just("</b>".to_owned()),
        Just("<script>alert(1)</script>".to_owned()),
        Just("<a href=\"javascript:alert(1)\">x</a>".to_owned()),
        Just("<a href=\"https://example.com\">y</a>".to_owned()),
        Just("<img src=x onerror=alert(1)>".to_owned()),
        Just("<p onclick=\"x()\">".to_owned()),
        Just("&lt;script&gt;".to_owned()),
        Just("&amp;".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("<".to_owned()),
        Just(">".to_owned()),
        Just("\"".to_owned()),
        Just("<svg><script>1</script></svg>".to_owned()),
        "[a-z &;<>/=\"']{0,10}",
    ];
    prop::collection::vec(piece, 0..10).prop_map(|p| p.concat())
}

/// No tag in `cleaned` is a script, carries an event handler or a
/// `javascript:` link (text between tags is text: its `<` are escaped).
fn safe(cleaned: &str) -> bool {
    let lower = cleaned.to_lowercase();
    lower.split('<').skip(1).all(|rest| {
        let tag = rest.split('>').next().unwrap_or_default();
        !tag.starts_with("script") && !tag.contains("javascript:") && !tag.contains(" on")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn cleaned_markup_is_safe_and_stable(text in markup()) {
        let policy = HtmlPolicy::basic_formatting();
        let once = policy.clean(&text).into_owned();
        prop_assert!(safe(&once), "{text:?} -> {once:?}");
        let twice = policy.clean(&once).into_owned();
        prop_assert_eq!(&twice, &once, "not stable on {:?}", text);
    }

    #[test]
    fn any_text_never_panics(text in any::<String>()) {
        for policy in [HtmlPolicy::strip_all(), HtmlPolicy::basic_formatting()] {
            let _ = policy.clean(&text);
        }
    }
}
