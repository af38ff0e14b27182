//! Every answer of the policy, on plain `http::Request` values.

use std::time::{Duration, UNIX_EPOCH};

use http::HeaderValue;
use shieldwall_core::{Attachments, Decision, Grant, Guard, Step, Version, run_guard};
use shieldwall_errors::ErrorCode;

use crate::{Deprecation, VersionConfigError, VersionPolicy, VersionRejectedKind, utc_date};

/// Header fields to send, in order.
type Headers<'a> = Vec<(&'a str, &'a [u8])>;

fn request(path: &str, headers: &[(&str, &[u8])]) -> http::Request<()> {
    let mut builder = http::Request::get(path);
    for (name, value) in headers {
        builder = builder.header(*name, HeaderValue::from_bytes(value).unwrap());
    }
    builder.body(()).unwrap()
}

fn get(path: &str) -> http::Request<()> {
    request(path, &[])
}

fn deprecation() -> Deprecation {
    Deprecation::since(UNIX_EPOCH + Duration::from_secs(1_688_169_599))
        .sunset(utc_date(2030, 1, 1).unwrap())
        .successor("https://api.example.com/v2/")
}

fn by_path() -> VersionPolicy {
    VersionPolicy::from_path("/api")
        .deprecated(1, deprecation())
        .supports(2)
        .build()
        .unwrap()
}

/// What a decision amounts to, for comparing.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// Continue with nothing attached and no header.
    Pass,
    /// Continue with this version and these headers.
    Version(u32, Vec<(String, String)>),
    /// Reject with this status, code and headers.
    Reject(u16, ErrorCode, Vec<(String, String)>),
}

fn pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
        .collect()
}

fn grant_version(grant: &Grant) -> Option<u32> {
    let mut attachments = Attachments::default();
    attachments.extend(grant.attachments.clone());
    attachments.get::<Version>().map(|v| v.major())
}

fn answer(policy: &VersionPolicy, request: &http::Request<()>) -> Answer {
    let Step::Done(decision) = policy.extract(request) else {
        panic!("the versioning guard always decides in extract");
    };
    match decision {
        Decision::Continue(grant) => match grant_version(&grant) {
            None => {
                assert!(grant.headers.is_empty() && grant.principal.is_none());
                Answer::Pass
            }
            Some(major) => Answer::Version(major, pairs(&grant.headers)),
        },
        Decision::Reject(error) => {
            let response = error.to_response(None);
            let body = String::from_utf8(response.body().to_vec()).unwrap();
            assert!(body.contains(error.code().as_str()), "{body}");
            let mut headers = pairs(error.headers());
            headers.retain(|(n, _)| n != "content-type");
            Answer::Reject(response.status().as_u16(), error.code(), headers)
        }
        Decision::Respond(_) => panic!("the versioning guard never responds itself"),
    }
}

fn deprecated_headers() -> Vec<(String, String)> {
    [
        ("deprecation", "@1688169599"),
        ("sunset", "Tue, 01 Jan 2030 00:00:00 GMT"),
        (
            "link",
            "<https://api.example.com/v2/>; rel=\"successor-version\"",
        ),
    ]
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .to_vec()
}

fn unsupported(vary: Option<&str>) -> Answer {
    let headers = vary
        .map(|v| vec![("vary".to_owned(), v.to_owned())])
        .unwrap_or_default();
    Answer::Reject(404, ErrorCode::UnsupportedVersion, headers)
}

#[test]
fn path_source_answers() {
    let policy = by_path();
    let v2 = || Answer::Version(2, Vec::new());
    for (path, want) in [
        ("/api/v1/things", Answer::Version(1, deprecated_headers())),
        ("/api/v1", Answer::Version(1, deprecated_headers())),
        ("/api/v2/things/3?x=1", v2()),
        ("/api/v2", v2()),
        ("/api/v2/", v2()),
        ("/api/v2//things", v2()),
        ("/api/v3/things", unsupported(None)),
        ("/api/v0/things", unsupported(None)),
        ("/api/v12", unsupported(None)),
        ("/api/v999999999/x", unsupported(None)),
        // Not versions: the router answers (404 NOT_FOUND).
        ("/api/v01/things", Answer::Pass),
        ("/api/V1/things", Answer::Pass),
        ("/api/v1%2F", Answer::Pass),
        ("/api/v1%2Fthings", Answer::Pass),
        ("/api/%761/things", Answer::Pass),
        ("/api/v/things", Answer::Pass),
        ("/api/vx/things", Answer::Pass),
        ("/api/v1;x/things", Answer::Pass),
        ("/api/v1.0/things", Answer::Pass),
        ("/api/v99999999999/things", Answer::Pass),
        ("/api/v4294967296", Answer::Pass),
        ("/api//v1/things", Answer::Pass),
        // Outside the prefix.
        ("/api", Answer::Pass),
        ("/api/", Answer::Pass),
        ("/apis/v1", Answer::Pass),
        ("/api%2Fv1", Answer::Pass),
        ("/v1/things", Answer::Pass),
        ("/health", Answer::Pass),
        ("/", Answer::Pass),
    ] {
        assert_eq!(answer(&policy, &get(path)), want, "{path}");
    }
}

#[test]
fn a_root_prefix_and_version_zero() {
    let policy = VersionPolicy::from_path("/").supports(0).build().unwrap();
    assert_eq!(
        answer(&policy, &get("/v0/x")),
        Answer::Version(0, Vec::new())
    );
    assert_eq!(answer(&policy, &get("/v1/x")), unsupported(None));
    assert_eq!(answer(&policy, &get("/health")), Answer::Pass);
    let nested = VersionPolicy::from_path("/svc/api/").supports(1).build();
    assert!(nested.is_err(), "a trailing slash is refused, as by Scoped");
    let nested = VersionPolicy::from_path("/svc/api")
        .supports(1)
        .build()
        .unwrap();
    assert_eq!(nested.paths("/x"), ["/svc/api/v1/x"]);
    assert_eq!(
        answer(&nested, &get("/svc/api/v1/x")),
        Answer::Version(1, Vec::new())
    );
}

#[test]
fn header_source_answers() {
    let policy = VersionPolicy::from_header("API-Version")
        .deprecated(1, deprecation())
        .supports(2)
        .default_version(2)
        .build()
        .unwrap();
    let vary = || ("vary".to_owned(), "api-version".to_owned());
    let v2 = || Answer::Version(2, vec![vary()]);
    let mut v1 = deprecated_headers();
    v1.push(vary());
    let malformed = || Answer::Reject(400, ErrorCode::MalformedRequest, vec![vary()]);
    let long = "9".repeat(4096);
    let cases: Vec<(Headers<'_>, Answer)> = vec![
        (vec![], v2()),
        (vec![("api-version", b"2")], v2()),
        (vec![("API-Version", b"v2")], v2()),
        (vec![("api-version", b"1")], Answer::Version(1, v1)),
        (
            vec![("api-version", b"3")],
            unsupported(Some("api-version")),
        ),
        (
            vec![("api-version", b"0")],
            unsupported(Some("api-version")),
        ),
        (
            vec![("api-version", b"2"), ("api-version", b"2")],
            malformed(),
        ),
        (
            vec![("api-version", b"1"), ("api-version", b"2")],
            malformed(),
        ),
        (vec![("api-version", b"\xff\xfe")], malformed()),
        (vec![("api-version", b"2\x80")], malformed()),
        (vec![("api-version", b"")], malformed()),
        (vec![("api-version", b"02")], malformed()),
        (vec![("api-version", b"2.0")], malformed()),
        (vec![("api-version", b"1, 2")], malformed()),
        (vec![("api-version", b"<script>")], malformed()),
        (vec![("api-version", b"99999999999")], malformed()),
        (vec![("api-version", long.as_bytes())], malformed()),
    ];
    for (headers, want) in cases {
        // The path plays no part under a header source.
        let got = answer(&policy, &request("/anything", &headers));
        assert_eq!(got, want, "{headers:?}");
    }
}

#[test]
fn without_a_default_a_version_is_required() {
    let policy = VersionPolicy::from_header("x-api-version")
        .supports(1)
        .build()
        .unwrap();
    let rejected = policy.resolve(&get("/")).unwrap_err();
    assert_eq!(rejected.kind(), VersionRejectedKind::Missing);
    assert_eq!(rejected.status(), 400);
    assert_eq!(
        answer(&policy, &request("/", &[("x-api-version", b"1")])),
        Answer::Version(1, vec![("vary".into(), "x-api-version".into())])
    );
}

#[test]
fn media_type_source_answers() {
    let policy = VersionPolicy::from_media_type_param("Version")
        .supports(1)
        .supports(2)
        .default_version(1)
        .build()
        .unwrap();
    let vary = || vec![("vary".to_owned(), "accept".to_owned())];
    let accept = |value: &[u8]| request("/x", &[("accept", value)]);
    assert_eq!(answer(&policy, &get("/x")), Answer::Version(1, vary()));
    assert_eq!(
        answer(&policy, &accept(b"application/json; version=2")),
        Answer::Version(2, vary())
    );
    assert_eq!(
        answer(&policy, &accept(b"application/json")),
        Answer::Version(1, vary())
    );
    assert_eq!(
        answer(&policy, &accept(b"application/json; version=5")),
        unsupported(Some("accept"))
    );
    for bad in [
        &b"application/json; version=2, */*; version=1"[..],
        b"application/json; version=x",
        b"application/json; version=\"2",
        b"application/json; version=\xff",
    ] {
        assert_eq!(
            answer(&policy, &accept(bad)),
            Answer::Reject(400, ErrorCode::MalformedRequest, vary()),
            "{bad:?}"
        );
    }
    let mut many = b"application/json".to_vec();
    for i in 0..5_000 {
        many.extend_from_slice(format!(";p{i}=1").as_bytes());
    }
    many.extend_from_slice(b";version=2");
    assert_eq!(answer(&policy, &accept(&many)), Answer::Version(2, vary()));
    let two_fields = request(
        "/x",
        &[
            ("accept", b"text/html"),
            ("accept", b"application/json;version=2"),
        ],
    );
    assert_eq!(answer(&policy, &two_fields), Answer::Version(2, vary()));
}

#[test]
fn rejections_never_echo_the_request() {
    let policy = VersionPolicy::from_header("api-version")
        .supports(1)
        .build()
        .unwrap();
    for value in [&b"<script>alert(1)</script>"[..], b"777", b"hunter2"] {
        let Step::Done(Decision::Reject(error)) =
            policy.extract(&request("/", &[("api-version", value)]))
        else {
            panic!("rejected");
        };
        let body = error.to_response(Some("rid")).into_body();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains(&*String::from_utf8_lossy(value)), "{text}");
    }
    let Step::Done(Decision::Reject(error)) = by_path().extract(&get("/api/v777/%3Cb%3E")) else {
        panic!("rejected");
    };
    let text = String::from_utf8(error.to_response(None).into_body().to_vec()).unwrap();
    assert!(!text.contains("777") && !text.contains("%3Cb"), "{text}");
    assert!(text.contains("this API version is not supported"), "{text}");
}

#[test]
fn headers_are_made_once_and_shared() {
    let policy = by_path();
    let grant = |path| match policy.extract(&get(path)) {
        Step::Done(Decision::Continue(grant)) => grant,
        other => panic!("{other:?}"),
    };
    let (a, b) = (grant("/api/v1/a"), grant("/api/v1/b"));
    for name in ["deprecation", "sunset", "link"] {
        // The same bytes, not a copy made for this request.
        assert_eq!(
            a.headers[name].as_bytes().as_ptr(),
            b.headers[name].as_bytes().as_ptr(),
            "{name}"
        );
    }
}

#[test]
fn the_guard_trait_agrees() {
    let policy = by_path();
    let run = |path| futures_util::FutureExt::now_or_never(run_guard(&policy, &get(path)));
    assert!(matches!(run("/api/v9"), Some(Decision::Reject(_))));
    assert!(matches!(run("/api/v2"), Some(Decision::Continue(_))));
    let unused = futures_util::FutureExt::now_or_never(Guard::decide(&policy, ()));
    assert!(matches!(unused, Some(Decision::Continue(_))));
}

#[test]
fn queries_about_the_policy() {
    let policy = by_path();
    assert_eq!(
        policy.versions().collect::<Vec<_>>(),
        [Version::new(1), Version::new(2)]
    );
    assert!(policy.is_deprecated(Version::new(1)) && !policy.is_deprecated(Version::new(2)));
    assert!(policy.is_supported(Version::new(2)) && !policy.is_supported(Version::new(3)));
    assert!(!policy.is_deprecated(Version::new(3)));
    assert_eq!(policy.default_version(), None);
    assert_eq!(
        policy.paths("things/{id}"),
        ["/api/v1/things/{id}", "/api/v2/things/{id}"]
    );
    assert_eq!(policy.paths(""), ["/api/v1", "/api/v2"]);
    let header = VersionPolicy::from_header("v")
        .supports(3)
        .supports(1)
        .build()
        .unwrap();
    assert_eq!(header.paths("/things"), ["/things"]);
    assert_eq!(header.paths("things"), ["/things"]);
    assert_eq!(header.paths(""), ["/"]);
    assert_eq!(
        header.versions().map(Version::major).collect::<Vec<_>>(),
        [1, 3]
    );
}

#[test]
fn configuration_is_checked_when_built() {
    use VersionConfigError as E;
    let err = |b: crate::VersionPolicyBuilder| b.build().unwrap_err();
    for prefix in ["", "api", "/api/", "/a//b", "/a b", "/a%2F", "/../a"] {
        assert_eq!(
            err(VersionPolicy::from_path(prefix).supports(1)),
            E::InvalidPrefix(prefix.into())
        );
    }
    for name in ["", "api version", "api:version", "é"] {
        assert_eq!(
            err(VersionPolicy::from_header(name).supports(1)),
            E::InvalidHeaderName(name.into())
        );
    }
    for param in ["", "q", "Q", "ver sion", "v=1", "v;", "\"v\""] {
        assert_eq!(
            err(VersionPolicy::from_media_type_param(param).supports(1)),
            E::InvalidParameter(param.into())
        );
    }
    assert_eq!(err(VersionPolicy::from_path("/api")), E::NoVersions);
    assert_eq!(
        err(VersionPolicy::from_path("/api").supports(1).supports(1)),
        E::DuplicateVersion(1)
    );
    assert_eq!(
        err(VersionPolicy::from_path("/api")
            .supports(1)
            .deprecated(1, deprecation())),
        E::DuplicateVersion(1)
    );
    assert_eq!(
        err(VersionPolicy::from_path("/api").supports(1_000_000_000)),
        E::VersionTooLarge(1_000_000_000)
    );
    assert_eq!(
        err(VersionPolicy::from_path("/api")
            .supports(1)
            .default_version(1)),
        E::DefaultWithPath
    );
    assert_eq!(
        err(VersionPolicy::from_header("v")
            .supports(1)
            .default_version(2)),
        E::DefaultNotSupported(2)
    );
    let backwards = Deprecation::since(utc_date(2030, 1, 1).unwrap()).sunset(UNIX_EPOCH);
    assert_eq!(
        err(VersionPolicy::from_path("/api").deprecated(4, backwards)),
        E::SunsetBeforeDeprecation { version: 4 }
    );
    let bad_link = Deprecation::since(UNIX_EPOCH).successor("</v2>; rel=\"x\"");
    assert!(matches!(
        err(VersionPolicy::from_path("/api").deprecated(4, bad_link)),
        E::InvalidLink { version: 4, .. }
    ));
    // Each error names what was wrong.
    assert!(E::DuplicateVersion(7).to_string().contains('7'));
}
