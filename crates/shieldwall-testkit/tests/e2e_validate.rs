//! End to end, `/api/v1/users` with attacker's input on both servers as
//! processes: `Valid<Json<CreateUserRequest>>` and `ValidQuery<Pagination>`
//! answer every bad body and query with the same problem+json on axum and
//! actix-web, naming fields (a client-chosen name only when it is a plain
//! identifier) and never echoing values or markup; good bodies are stored
//! cleaned (`name` as plain text without markup, `bio` as safe HTML).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use shieldwall_testkit::server::{ServerProcess, binary};
use shieldwall_testkit::{Case, Expect, Observed, TestRequest, assert_cases};

const SERVERS: [&str; 2] = ["example-axum-api", "example-actix-api"];
const USERS: &str = "/api/v1/users";

/// A key with both user scopes, created for alice on `server`.
fn key(server: &ServerProcess) -> String {
    let bearer = server
        .bearer("alice@example.com", "alice-password-1")
        .unwrap();
    let created = server
        .send(&TestRequest::post("/api/v1/protected/keys").header("authorization", &bearer))
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text());
    created.json().unwrap()["key"].as_str().unwrap().to_owned()
}

fn post(body: impl AsRef<[u8]>) -> TestRequest {
    TestRequest::post(USERS)
        .header("content-type", "application/json")
        .body(body)
}

fn invalid(fields: &[(&str, &str)]) -> Expect {
    Expect::problem(400, "VALIDATION_FAILED").fields(fields)
}

/// Bodies and queries every server must refuse alike. `KEY` is replaced by
/// each server's key.
fn cases() -> Vec<Case> {
    let ok = |extra: &str| format!(r#"{{"email":"eve@example.com","name":"Eve"{extra}}}"#);
    let deep = format!(
        r#"{{"email":"eve@example.com","name":"Eve","bio":{}"x"{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    vec![
        Case::new(
            // Declared, not sent: a server that answers 413 and closes while
            // the client is still sending may reset the connection before the
            // answer is read (the in-process parity cases stream real bodies).
            "oversized body",
            post("").header("content-length", (70 * 1024).to_string()),
            Expect::problem(413, "PAYLOAD_TOO_LARGE"),
        ),
        Case::new(
            "deeply nested body",
            post(deep),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "text/plain",
            TestRequest::post(USERS)
                .header("content-type", "text/plain")
                .body(ok("")),
            Expect::problem(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        Case::new(
            "no content type",
            TestRequest::post(USERS).body(ok("")),
            Expect::problem(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        Case::new(
            "form body",
            TestRequest::post(USERS)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("email=a&name=b"),
            Expect::problem(415, "UNSUPPORTED_MEDIA_TYPE"),
        ),
        Case::new(
            "a number as a string",
            post(ok(r#","age":"36""#)),
            invalid(&[("age", "invalid_type")]).never("\"36\""),
        ),
        Case::new(
            "age out of range",
            post(ok(r#","age":151"#)),
            invalid(&[("age", "range")]).never("151"),
        ),
        Case::new(
            "age over u8",
            post(ok(r#","age":300"#)),
            invalid(&[("age", "invalid_value")]).never("300"),
        ),
        Case::new(
            "age negative",
            post(ok(r#","age":-1"#)),
            invalid(&[("age", "invalid_value")]),
        ),
        Case::new(
            "age overflowing u64",
            post(ok(r#","age":184467440737095516160"#)),
            invalid(&[("age", "invalid_type")]).never("1844674407"),
        ),
        Case::new(
            "age as a float",
            post(ok(r#","age":36.5"#)),
            invalid(&[("age", "invalid_type")]).never("36.5"),
        ),
        Case::new(
            "a password in the age field",
            post(ok(r#","age":"Tr0ub4dor&3-hunter2""#)),
            invalid(&[("age", "invalid_type")])
                .never("hunter2")
                .never("Tr0ub4dor"),
        ),
        Case::new(
            "not an email",
            post(r#"{"email":"hunter2","name":"Eve"}"#),
            invalid(&[("email", "email")]).never("hunter2"),
        ),
        Case::new(
            "an email with a zero-width space",
            post(r#"{"email":"ev\u200be@example.com","name":"Eve"}"#),
            invalid(&[("email", "email"), ("email", "invisible_character")]),
        ),
        Case::new(
            "a name that is only markup",
            post(r#"{"email":"eve@example.com","name":"<img src=x onerror=alert(1)>"}"#),
            invalid(&[("name", "length")]).never("onerror"),
        ),
        Case::new(
            "an empty name",
            post(r#"{"email":"eve@example.com","name":""}"#),
            invalid(&[("name", "length")]),
        ),
        Case::new(
            "a name too long",
            post(format!(
                r#"{{"email":"eve@example.com","name":"{}"}}"#,
                "n".repeat(101)
            )),
            invalid(&[("name", "length")]),
        ),
        Case::new(
            "a bio too long",
            post(ok(&format!(r#","bio":"{}""#, "b".repeat(10_001)))),
            invalid(&[("bio", "length")]),
        ),
        Case::new(
            "a missing field",
            post(r#"{"email":"eve@example.com"}"#),
            invalid(&[("name", "missing")]),
        ),
        Case::new(
            "an unknown field",
            post(ok(r#","isAdmin":true"#)),
            invalid(&[("isAdmin", "unknown_field")]),
        ),
        Case::new(
            "an unknown member named with markup",
            post(ok(r#","<img src=x onerror=alert(1)>":1"#)),
            invalid(&[("(unknown)", "unknown_field")])
                .never("<img")
                .never("onerror"),
        ),
        Case::new(
            "an unknown member named with escaped markup",
            post(ok(r#","\u003cimg src=x onerror=alert(1)\u003e":1"#)),
            invalid(&[("(unknown)", "unknown_field")])
                .never("<img")
                .never("u003c")
                .never("onerror"),
        ),
        Case::new(
            "an operator key under a member named with markup",
            post(ok(r#","<svg onload=alert(1)>":{"$where":"1"}"#)),
            invalid(&[("(unknown)", "forbidden_key")])
                .never("<svg")
                .never("onload"),
        ),
        Case::new(
            "a duplicate key",
            post(r#"{"email":"eve@example.com","name":"Eve","name":"Mallory"}"#),
            Expect::problem(400, "MALFORMED_REQUEST").never("Mallory"),
        ),
        Case::new(
            "a duplicate key, escaped",
            post(r#"{"email":"eve@example.com","name":"Eve","n\u0061me":"Mallory"}"#),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "$gt in a field",
            post(r#"{"email":{"$gt":""},"name":"Eve"}"#),
            invalid(&[("email", "forbidden_key")]).never("$gt"),
        ),
        Case::new(
            "$where at the top",
            post(ok(r#","$where":"sleep(5000)""#)),
            invalid(&[("", "forbidden_key")]).never("sleep"),
        ),
        Case::new(
            "an escaped $where",
            post(ok(r#","\u0024where":"1""#)),
            invalid(&[("", "forbidden_key")]),
        ),
        Case::new(
            "a dotted key",
            post(ok(r#","profile.role":"admin""#)),
            invalid(&[("", "forbidden_key")]).never("admin"),
        ),
        Case::new(
            "__proto__",
            post(ok(r#","__proto__":{"isAdmin":true}"#)),
            invalid(&[("", "forbidden_key")]),
        ),
        Case::new(
            "constructor.prototype deep down",
            post(r#"{"email":"eve@example.com","name":{"a":[{"constructor":{"prototype":1}}]}}"#),
            invalid(&[("name.a[0]", "forbidden_key")]),
        ),
        Case::new(
            "invalid UTF-8",
            post(b"{\"email\":\"eve@example.com\",\"name\":\"\xc3\x28\"}"),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "an array body",
            post(r#"["eve@example.com","Eve"]"#),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "not JSON",
            post("{email: eve}"),
            Expect::problem(400, "MALFORMED_REQUEST"),
        ),
        Case::new(
            "page 0",
            TestRequest::get(&format!("{USERS}?page=0")),
            invalid(&[("page", "range")]),
        ),
        Case::new(
            "limit 101",
            TestRequest::get(&format!("{USERS}?limit=101")),
            invalid(&[("limit", "range")]),
        ),
        Case::new(
            "limit in exponent form",
            TestRequest::get(&format!("{USERS}?limit=1e2")),
            invalid(&[("limit", "invalid_value")]),
        ),
        Case::new(
            "page not a number",
            TestRequest::get(&format!("{USERS}?page=hunter2")),
            invalid(&[("page", "invalid_value")]).never("hunter2"),
        ),
        Case::new(
            "page overflowing",
            TestRequest::get(&format!("{USERS}?page=99999999999")),
            invalid(&[("page", "invalid_value")]),
        ),
        Case::new(
            "sort sideways",
            TestRequest::get(&format!("{USERS}?sort=sideways")),
            invalid(&[("sort", "invalid_value")]).never("sideways"),
        ),
        Case::new(
            "page twice",
            TestRequest::get(&format!("{USERS}?page=1&page=2")),
            invalid(&[("page", "duplicate")]),
        ),
        Case::new(
            "a page of one, oldest first, unknown parameters ignored",
            TestRequest::get(&format!("{USERS}?limit=1&sort=asc&page=2&utm_source=x")),
            Expect::status(200)
                .header("x-total-count", "2")
                .header("x-page-count", "2"),
        ),
        Case::new(
            "the defaults",
            TestRequest::get(USERS),
            Expect::status(200)
                .header("x-total-count", "2")
                .header("x-page-count", "1"),
        ),
    ]
}

/// A listing with its creation times replaced: the two servers start in
/// different seconds.
fn without_times(mut observed: Observed) -> Observed {
    if let Some(mut json) = observed.json()
        && let Some(users) = json["data"].as_array_mut()
    {
        for user in users {
            user["created_at"] = serde_json::Value::from("<time>");
        }
        observed.body = json.to_string().into_bytes();
    }
    observed
}

#[test]
fn bad_bodies_and_queries_are_refused_alike_on_both_servers() {
    let cases = cases();
    let mut runs = Vec::new();
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), &[]).unwrap();
        let key = key(&server);
        let answers = cases
            .iter()
            .map(|case| {
                without_times(
                    server
                        .send(&case.request.clone().header("x-api-key", &key))
                        .unwrap(),
                )
            })
            .collect();
        runs.push((name, answers));
    }
    assert_cases(&runs, &cases);
}

#[test]
fn names_are_stored_as_plain_text() {
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), &[]).unwrap();
        let key = key(&server);
        for (sent, stored) in [
            ("<b>Tom</b> & Jerry", "Tom & Jerry"),
            ("Tom &amp; Jerry", "Tom & Jerry"),
            ("Tom & Jerry", "Tom & Jerry"),
        ] {
            let body = serde_json::json!({"email": "tom@example.com", "name": sent});
            let created = server
                .send(&post(body.to_string()).header("x-api-key", &key))
                .unwrap();
            assert_eq!(created.status, 201, "{name}: {}", created.text());
            assert_eq!(created.json().unwrap()["name"], stored, "{name}: {sent:?}");
        }
    }
}

#[test]
fn good_bodies_are_stored_cleaned() {
    for name in SERVERS {
        let server = ServerProcess::start(&binary(name), &[]).unwrap();
        let key = key(&server);
        let body = serde_json::json!({
            "email": "ada@example.com",
            "name": " <b>Ada</b>\u{202e} <script>alert(1)</script>Lovelace ",
            "age": 36,
            "bio": "<p onclick=\"steal()\">Analyst &amp; <a href=\"javascript:alert(1)\">poet</a>, \
                    <a href=\"https://example.com/ada\">page</a><img src=x onerror=alert(1)>\
                    <svg onload=alert(1)></svg><style>*{}</style></p>"
        });
        let created = server
            .send(&post(body.to_string()).header("x-api-key", &key))
            .unwrap();
        assert_eq!(created.status, 201, "{name}: {}", created.text());
        let user = created.json().unwrap();
        assert_eq!(user["name"], "Ada Lovelace", "{name}");
        assert_eq!(user["age"], 36);
        assert_eq!(
            user["bio"],
            "<p>Analyst &amp; <a rel=\"noopener noreferrer nofollow\">poet</a>, \
             <a href=\"https://example.com/ada\" rel=\"noopener noreferrer nofollow\">page</a></p>",
            "{name}"
        );
        // What was stored is what a listing shows.
        let listed = server
            .send(&TestRequest::get(&format!("{USERS}?limit=1")).header("x-api-key", &key))
            .unwrap();
        assert_eq!(
            listed.json().unwrap()["data"][0]["name"],
            "Ada Lovelace",
            "{name}"
        );
        assert_eq!(listed.header("x-total-count").as_deref(), Some("3"));
    }
}
