//! Attacker's input through `parse_body` and `parse_query`: every
//! refusal is a problem+json 400/413 with a stable code, and nothing the
//! client sent is echoed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use shieldwall_core::BodyPolicy;
use shieldwall_errors::{ApiError, ErrorCode};
use shieldwall_sanitize::{HtmlPolicy, clean_identifier_in_place};
use shieldwall_validate::{KeyPolicy, Sanitize, Validate, parse_body, parse_query};

#[derive(Debug, serde::Deserialize, Validate)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CreateUser {
    #[validate(email, length(max = 255))]
    email: String,
    #[validate(length(min = 1, max = 100))]
    display_name: String,
    #[validate(range(max = 150))]
    age: Option<u8>,
    #[validate(length(max = 10000))]
    bio: Option<String>,
    #[validate(nested)]
    address: Option<Address>,
}

#[derive(Debug, serde::Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
struct Address {
    #[validate(length(min = 5, max = 10))]
    postal_code: String,
}

impl Sanitize for Address {}

impl Sanitize for CreateUser {
    fn sanitize(&mut self) -> bool {
        let markup = HtmlPolicy::strip_all().clean_in_place(&mut self.display_name);
        let invisible = clean_identifier_in_place(&mut self.display_name);
        let bio = self
            .bio
            .as_mut()
            .is_some_and(|bio| HtmlPolicy::basic_formatting().clean_in_place(bio));
        markup | invisible | bio
    }
}

fn parse(body: &str) -> Result<CreateUser, ApiError> {
    parse_body(&BodyPolicy::default(), body.as_bytes())
}

fn refused(body: &str) -> (ErrorCode, Vec<(String, String)>, String) {
    let err = parse(body).expect_err(body);
    let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
    let fields = err
        .problem()
        .errors
        .iter()
        .map(|e| (e.field.to_string(), e.code.to_string()))
        .collect();
    (err.code(), fields, rendered)
}

fn field(f: &str, c: &str) -> (String, String) {
    (f.to_owned(), c.to_owned())
}

#[test]
fn a_valid_body_is_read_validated_and_cleaned() {
    let user = parse(
        r#"{"email":"ada@example.com","displayName":"<b>Ada</b>\u200b","age":36,
            "bio":"<p onclick=\"x()\">Hi <script>alert(1)</script><a href=\"javascript:alert(1)\">me</a></p>"}"#,
    )
    .unwrap();
    assert_eq!(user.display_name, "Ada");
    assert_eq!(
        user.bio.as_deref(),
        Some(r#"<p>Hi <a rel="noopener noreferrer nofollow">me</a></p>"#)
    );
}

#[test]
fn markup_only_names_are_empty_after_cleaning_and_refused() {
    let (code, fields, _) =
        refused(r#"{"email":"a@example.com","displayName":"<script>x</script>"}"#);
    assert_eq!(code, ErrorCode::ValidationFailed);
    assert_eq!(fields, [field("displayName", "length")]);
}

#[test]
fn wrong_types_ranges_and_overflow_name_the_field_and_echo_nothing() {
    let cases = [
        (
            r#"{"email":"a@example.com","displayName":"A","age":"36"}"#,
            field("age", "invalid_type"),
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","age":151}"#,
            field("age", "range"),
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","age":256}"#,
            field("age", "invalid_value"),
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","age":-1}"#,
            field("age", "invalid_value"),
        ),
        // Past u64, JSON numbers are read as floats: the wrong type for an integer.
        (
            r#"{"email":"a@example.com","displayName":"A","age":99999999999999999999999}"#,
            field("age", "invalid_type"),
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","age":1.5}"#,
            field("age", "invalid_type"),
        ),
        (
            r#"{"email":"hunter2","displayName":"A"}"#,
            field("email", "email"),
        ),
        (
            r#"{"email":"a@example.com","displayName":""}"#,
            field("displayName", "length"),
        ),
        (
            r#"{"email":"a@example.com"}"#,
            field("displayName", "missing"),
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","address":{"postalCode":"1"}}"#,
            field("address.postalCode", "length"),
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","address":{"postalCode":7}}"#,
            field("address.postalCode", "invalid_type"),
        ),
        // A password pasted into the wrong field.
        (
            r#"{"email":"a@example.com","displayName":"A","age":"Tr0ub4dor&3-hunter2"}"#,
            field("age", "invalid_type"),
        ),
    ];
    for (body, expected) in cases {
        let (code, fields, rendered) = refused(body);
        assert_eq!(code, ErrorCode::ValidationFailed, "{body}");
        assert_eq!(fields, [expected], "{body}");
        for secret in [
            "hunter2",
            "Tr0ub4dor",
            "151",
            "256",
            "99999",
            "1.5",
            "\"36\"",
        ] {
            assert!(!rendered.contains(secret), "{body}: {rendered}");
        }
    }
}

#[test]
fn unknown_and_duplicate_keys_at_any_depth() {
    let (code, fields, rendered) =
        refused(r#"{"email":"a@example.com","displayName":"A","isAdmin":true}"#);
    // The unknown key is named (a key, never a value), as serde found it.
    assert_eq!(
        (code, fields),
        (
            ErrorCode::ValidationFailed,
            vec![field("isAdmin", "unknown_field")]
        )
    );
    assert!(!rendered.contains("true"));
    for body in [
        r#"{"email":"a@example.com","email":"b@example.com","displayName":"A"}"#,
        r#"{"email":"a@example.com","displayName":"A","address":{"postalCode":"12345","postalCode":"54321"}}"#,
        r#"{"email":"a@example.com","displayName":"A","displayN\u0061me":"B"}"#,
    ] {
        assert_eq!(refused(body).0, ErrorCode::MalformedRequest, "{body}");
    }
}

#[test]
fn operator_dotted_and_prototype_keys_at_any_depth_even_escaped() {
    for (body, at) in [
        (r#"{"email":{"$gt":""},"displayName":"A"}"#, "email"),
        (
            r#"{"email":"a@example.com","displayName":"A","$where":"sleep(1000)"}"#,
            "",
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","address":{"postalCode":{"$regex":".*"}}}"#,
            "address.postalCode",
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","address":{"a.b":1}}"#,
            "address",
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","\u0024where":"1"}"#,
            "",
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","__proto__":{"isAdmin":true}}"#,
            "",
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","address":{"constructor":{"prototype":{}}}}"#,
            "address",
        ),
    ] {
        let (code, fields, rendered) = refused(body);
        assert_eq!(code, ErrorCode::ValidationFailed, "{body}");
        assert_eq!(fields, [field(at, "forbidden_key")], "{body}");
        for key in ["$gt", "$where", "$regex", "__proto__", "constructor", "a.b"] {
            assert!(!rendered.contains(key), "{body}: {rendered}");
        }
    }
    // Strip instead: the keys go, the rest is read (and validated).
    let strip = BodyPolicy::builder()
        .keys(KeyPolicy::Strip)
        .build()
        .unwrap();
    let user: CreateUser = parse_body(
        &strip,
        br#"{"email":"a@example.com","displayName":"A","address":{"postalCode":"12345"}}"#,
    )
    .unwrap();
    assert_eq!(user.address.unwrap().postal_code, "12345");
    let err =
        parse_body::<CreateUser>(&strip, br#"{"email":{"$gt":""},"displayName":"A"}"#).unwrap_err();
    assert_eq!(err.problem().errors[0].field, "email");
}

#[test]
fn size_depth_encoding_and_shape() {
    let small = BodyPolicy::builder().limit(64).build().unwrap();
    let big = format!(
        r#"{{"email":"a@example.com","displayName":"{}"}}"#,
        "A".repeat(100)
    );
    assert_eq!(
        parse_body::<CreateUser>(&small, big.as_bytes())
            .unwrap_err()
            .code(),
        ErrorCode::PayloadTooLarge
    );

    let deep = format!(
        r#"{{"email":"a@example.com","displayName":"A","bio":"x","address":{}{}}}"#,
        "{\"a\":".repeat(40),
        "1".to_owned() + &"}".repeat(40)
    );
    assert_eq!(refused(&deep).0, ErrorCode::MalformedRequest);

    let invalid_utf8 = b"{\"email\":\"a@example.com\",\"displayName\":\"\xc0\xaf\"}";
    assert_eq!(
        parse_body::<CreateUser>(&BodyPolicy::default(), invalid_utf8)
            .unwrap_err()
            .code(),
        ErrorCode::MalformedRequest
    );
    for body in [
        r#"["a@example.com","A"]"#,
        "",
        "null",
        "{",
        r#"{"email":"a@example.com","displayName":"A"} {}"#,
    ] {
        assert_eq!(refused(body).0, ErrorCode::MalformedRequest, "{body}");
    }
}

#[test]
fn each_setting_set_holds_when_the_body_is_read() {
    // The limit, then the depth, then the limit again: both hold (a setter
    // used to rebuild the JSON rules from the defaults).
    let policy = BodyPolicy::builder()
        .limit(64)
        .max_depth(3)
        .limit(128)
        .build()
        .unwrap();
    assert_eq!((policy.limit(), policy.max_depth()), (128, 3));
    let padded = |len: usize, extra: &str| {
        let head = format!(r#"{{"email":"a@example.com","displayName":"{extra}"#);
        format!(r#"{head}{}"}}"#, "A".repeat(len - head.len() - 2))
    };
    // 100 bytes: over the first limit, within the last.
    let user: CreateUser = parse_body(&policy, padded(100, "").as_bytes()).unwrap();
    assert!(user.display_name.len() > 40, "{}", user.display_name);
    let err = parse_body::<CreateUser>(&policy, padded(129, "").as_bytes()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PayloadTooLarge);
    // Three levels pass, four do not (the screen runs before serde).
    let nested = |levels: usize| {
        format!(
            r#"{{"email":"a@example.com","displayName":"A","bio":"x","x":{}1{}}}"#,
            "[".repeat(levels - 1),
            "]".repeat(levels - 1)
        )
    };
    let err = parse_body::<CreateUser>(&policy, nested(3).as_bytes()).unwrap_err();
    assert_eq!(err.problem().errors[0].code, "unknown_field");
    let err = parse_body::<CreateUser>(&policy, nested(4).as_bytes()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::MalformedRequest);

    // Out of range: refused when built, never clamped.
    for (builder, setting) in [
        (BodyPolicy::builder().limit(0), "limit"),
        (BodyPolicy::builder().max_depth(0), "max_depth"),
        (BodyPolicy::builder().max_depth(129), "max_depth"),
    ] {
        assert_eq!(builder.build().unwrap_err().setting(), setting);
    }
}

#[derive(Debug, serde::Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct Filters {
    #[validate(range(min = 1, max = 10))]
    level: Option<u8>,
    archived: Option<bool>,
    #[validate(length(max = 20))]
    q: Option<String>,
    #[validate(range(min = 0.0, max = 100.0))]
    price: Option<f64>,
}

impl Sanitize for Filters {}

#[test]
fn queries_are_coerced_and_refused_like_bodies() {
    let f: Filters =
        parse_query(Some("level=3&archived=true&q=caf%C3%A9+au+lait&price=9.5")).unwrap();
    assert_eq!(f.price, Some(9.5));
    assert_eq!(
        (f.level, f.archived, f.q.as_deref()),
        (Some(3), Some(true), Some("café au lait"))
    );
    let f: Filters = parse_query(Some("")).unwrap();
    assert_eq!((f.level, f.archived), (None, None));
    for (query, expected) in [
        ("level=11", field("level", "range")),
        ("level=300", field("level", "invalid_value")),
        ("level=abc", field("level", "invalid_value")),
        ("archived=yes", field("archived", "invalid_value")),
        ("q=hunter2hunter2hunter2hunter2", field("q", "length")),
        ("level=1&level=2", field("level", "duplicate")),
        // NaN would pass every range rule; infinities are not numbers a client means.
        ("price=NaN", field("price", "invalid_value")),
        ("price=inf", field("price", "invalid_value")),
        ("price=-infinity", field("price", "invalid_value")),
        ("price=100.5", field("price", "range")),
        ("isAdmin=true", field("isAdmin", "unknown_field")),
    ] {
        let err = parse_query::<Filters>(Some(query)).unwrap_err();
        let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
        let fields: Vec<_> = err
            .problem()
            .errors
            .iter()
            .map(|e| (e.field.to_string(), e.code.to_string()))
            .collect();
        assert_eq!(fields, [expected], "{query}");
        assert!(
            !rendered.contains("hunter2") && !rendered.contains("300"),
            "{rendered}"
        );
    }
}

#[test]
fn client_chosen_names_are_shown_only_when_plain_identifiers() {
    const PLACEHOLDER: &str = shieldwall_core::UNNAMED_FIELD;
    let strip = BodyPolicy::builder()
        .keys(KeyPolicy::Strip)
        .build()
        .unwrap();
    let markup = "<img src=x onerror=alert(1)>";
    let bodies = [
        // An unknown member, as sent and spelled with escapes.
        (
            format!(r#"{{"email":"a@example.com","displayName":"A","{markup}":1}}"#),
            field(PLACEHOLDER, "unknown_field"),
        ),
        (
            r#"{"email":"a@example.com","displayName":"A","\u003cimg src=x onerror=alert(1)\u003e":1}"#
                .to_owned(),
            field(PLACEHOLDER, "unknown_field"),
        ),
        // An operator key under a member named with markup: the path names the member.
        (
            format!(r#"{{"email":"a@example.com","displayName":"A","{markup}":{{"$gt":1}}}}"#),
            field(PLACEHOLDER, "forbidden_key"),
        ),
    ];
    for (body, expected) in &bodies {
        let (code, fields, rendered) = refused(body);
        assert_eq!(code, ErrorCode::ValidationFailed, "{body}");
        assert_eq!(fields, std::slice::from_ref(expected), "{body}");
        assert!(
            !rendered.contains("<img") && !rendered.contains("onerror"),
            "{body}: {rendered}"
        );
    }
    // Stripping operator keys, the unknown member is still refused, unnamed.
    let err = parse_body::<CreateUser>(&strip, bodies[0].0.as_bytes()).unwrap_err();
    assert_eq!(err.problem().errors[0].field, PLACEHOLDER);
    // A query parameter's name is the client's too.
    for query in [
        "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E=1",
        "level=1&%22%3E%3Cscript%3E=1",
    ] {
        let err = parse_query::<Filters>(Some(query)).unwrap_err();
        let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
        assert_eq!(err.problem().errors[0].field, PLACEHOLDER, "{query}");
        assert_eq!(err.problem().errors[0].code, "unknown_field", "{query}");
        assert!(
            !rendered.contains('<') && !rendered.contains("onerror"),
            "{rendered}"
        );
    }
    // A plain name is still named.
    let err = parse_query::<Filters>(Some("is_admin=1")).unwrap_err();
    assert_eq!(err.problem().errors[0].field, "is_admin");
}
