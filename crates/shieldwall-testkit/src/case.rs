//! A case: a request, and what the answer must be.

use std::net::SocketAddr;

/// A request to send, through an adapter in process or over a socket.
#[derive(Clone, Debug)]
pub struct TestRequest {
    /// Method.
    pub method: String,
    /// Request target: path and query.
    pub target: String,
    /// Headers, in order; repeated names are sent repeatedly.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// The socket peer the in-process runners pretend to be.
    pub peer: SocketAddr,
    /// Send the body without `Content-Length` (chunked over a socket), so
    /// that only the limit applied while reading can stop it.
    pub chunked: bool,
}

/// The peer the in-process runners use unless a case says otherwise.
pub const DEFAULT_PEER: &str = "203.0.113.10:40000";

impl TestRequest {
    /// A request with this method and target.
    pub fn new(method: &str, target: &str) -> Self {
        Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            peer: DEFAULT_PEER
                .parse()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 40000))),
            chunked: false,
        }
    }

    /// Sends the body without `Content-Length`.
    #[must_use]
    pub fn chunked(mut self) -> Self {
        self.chunked = true;
        self
    }

    /// `GET target`.
    pub fn get(target: &str) -> Self {
        Self::new("GET", target)
    }

    /// `POST target`.
    pub fn post(target: &str) -> Self {
        Self::new("POST", target)
    }

    /// Adds a header (raw bytes allowed).
    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Sets the body and `Content-Type: application/json`.
    #[must_use]
    pub fn json(self, body: &str) -> Self {
        self.header("content-type", "application/json").body(body)
    }

    /// Sets the body.
    #[must_use]
    pub fn body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.body = body.as_ref().to_vec();
        self
    }

    /// Sets the pretended socket peer.
    #[must_use]
    pub fn peer(mut self, peer: &str) -> Self {
        if let Ok(peer) = peer.parse() {
            self.peer = peer;
        }
        self
    }
}

/// What came back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercase, in the order received.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Observed {
    /// Every value of a header.
    pub fn header_all(&self, name: &str) -> Vec<&[u8]> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .collect()
    }

    /// The one value of a header, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.header_all(name)
            .first()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A form for comparing two adapters: header names sorted, `date` and
    /// `content-length` dropped (a HEAD or chunked answer may lack it), and a
    /// generated request id (32 hex digits) replaced by a placeholder in the
    /// header and the body, and the counts of `RateLimit` (`r`, `t`: they
    /// depend on what else the test sent) replaced by `n`.
    pub fn normalized(&self) -> Self {
        let generated = self
            .header("x-request-id")
            .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()));
        let mut headers: Vec<(String, Vec<u8>)> = self
            .headers
            .iter()
            .filter(|(n, _)| n != "date" && n != "content-length")
            .map(|(n, v)| {
                let v = match &generated {
                    Some(id) if n == "x-request-id" && v == id.as_bytes() => {
                        b"<generated>".to_vec()
                    }
                    _ if n.eq_ignore_ascii_case("ratelimit") => without_counts(v),
                    _ => v.clone(),
                };
                (n.to_ascii_lowercase(), v)
            })
            .collect();
        headers.sort();
        let body = match &generated {
            Some(id) => String::from_utf8_lossy(&self.body)
                .replace(id.as_str(), "<generated>")
                .into_bytes(),
            None => self.body.clone(),
        };
        Self {
            status: self.status,
            headers,
            body,
        }
    }
}

/// `"name";r=12;t=30` as `"name";r=n;t=n`.
fn without_counts(value: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(value)
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((key, _)) if matches!(key.trim(), "r" | "t") => format!("{key}=n"),
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
        .into_bytes()
}

/// What a header must be.
#[derive(Clone, Debug)]
pub enum HeaderExpect {
    /// Exactly this value (the first value when repeated).
    Equals(String),
    /// Absent.
    Absent,
    /// Present, any value.
    Present,
    /// Exactly these values, in this order.
    All(Vec<String>),
}

/// What the request id of the answer must be.
#[derive(Clone, Debug, Default)]
pub enum RequestIdExpect {
    /// Newly generated: 32 lowercase hex digits.
    #[default]
    Generated,
    /// The one the request sent.
    Echo(String),
}

/// What an answer must be.
#[derive(Clone, Debug)]
pub struct Expect {
    /// The status.
    pub status: u16,
    /// For an error: the problem `code` (then the body must be problem+json).
    pub code: Option<String>,
    /// Headers that must equal a value, be present, or be absent.
    pub headers: Vec<(String, HeaderExpect)>,
    /// The body must be this JSON.
    pub json: Option<serde_json::Value>,
    /// Strings that must not appear anywhere in the answer (submitted secrets).
    pub never: Vec<String>,
    /// The request id rule.
    pub request_id: RequestIdExpect,
    /// A problem's `errors`, as (field, code), in order.
    pub fields: Option<Vec<(String, String)>>,
}

impl Expect {
    /// An answer with this status.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            code: None,
            headers: Vec::new(),
            json: None,
            never: Vec::new(),
            request_id: RequestIdExpect::Generated,
            fields: None,
        }
    }

    /// A problem+json answer with this status and code.
    pub fn problem(status: u16, code: &str) -> Self {
        Self {
            code: Some(code.to_owned()),
            ..Self::status(status)
        }
    }

    /// The body must be this JSON.
    #[must_use]
    pub fn json(mut self, json: serde_json::Value) -> Self {
        self.json = Some(json);
        self
    }

    /// A header must have this value.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_owned(), HeaderExpect::Equals(value.to_owned())));
        self
    }

    /// A header must be absent.
    #[must_use]
    pub fn no_header(mut self, name: &str) -> Self {
        self.headers.push((name.to_owned(), HeaderExpect::Absent));
        self
    }

    /// A header must have exactly these values, in order.
    #[must_use]
    pub fn header_values(mut self, name: &str, values: &[&str]) -> Self {
        self.headers.push((
            name.to_owned(),
            HeaderExpect::All(values.iter().map(|v| (*v).to_owned()).collect()),
        ));
        self
    }

    /// A header must be present.
    #[must_use]
    pub fn has_header(mut self, name: &str) -> Self {
        self.headers.push((name.to_owned(), HeaderExpect::Present));
        self
    }

    /// `text` must appear nowhere in the answer.
    #[must_use]
    pub fn never(mut self, text: &str) -> Self {
        self.never.push(text.to_owned());
        self
    }

    /// The problem's `errors` must be exactly these (field, code) pairs.
    #[must_use]
    pub fn fields(mut self, fields: &[(&str, &str)]) -> Self {
        self.fields = Some(
            fields
                .iter()
                .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
                .collect(),
        );
        self
    }

    /// The answer must carry this request id.
    #[must_use]
    pub fn request_id(mut self, id: &str) -> Self {
        self.request_id = RequestIdExpect::Echo(id.to_owned());
        self
    }

    /// Every way `observed` breaks this expectation; empty when it meets it.
    pub fn failures(&self, observed: &Observed) -> Vec<String> {
        let mut failures = Vec::new();
        if observed.status != self.status {
            failures.push(format!(
                "status {} instead of {}",
                observed.status, self.status
            ));
        }
        let request_id = observed.header("x-request-id");
        match (&self.request_id, &request_id) {
            (_, None) => failures.push("no X-Request-Id".to_owned()),
            (RequestIdExpect::Echo(want), Some(got)) if want != got => {
                failures.push(format!("X-Request-Id {got:?} instead of {want:?}"));
            }
            (RequestIdExpect::Generated, Some(got))
                if got.len() != 32 || !got.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                failures.push(format!("X-Request-Id {got:?} is not a generated id"));
            }
            _ => {}
        }
        if let Some(code) = &self.code {
            failures.extend(problem_failures(observed, code, request_id.as_deref()));
        }
        for (name, rule) in &self.headers {
            let got = observed.header(name);
            match (rule, &got) {
                (HeaderExpect::Equals(want), Some(got)) if want == got => {}
                (HeaderExpect::Equals(want), _) => {
                    failures.push(format!("header {name}: {got:?} instead of {want:?}"));
                }
                (HeaderExpect::Absent, Some(got)) => {
                    failures.push(format!("header {name} should be absent, is {got:?}"));
                }
                (HeaderExpect::Present, None) => failures.push(format!("header {name} missing")),
                (HeaderExpect::All(want), _) => {
                    let all: Vec<String> = observed
                        .header_all(name)
                        .iter()
                        .map(|v| String::from_utf8_lossy(v).into_owned())
                        .collect();
                    if &all != want {
                        failures.push(format!("header {name}: {all:?} instead of {want:?}"));
                    }
                }
                _ => {}
            }
        }
        if let Some(want) = &self.fields {
            let got: Vec<(String, String)> = observed
                .json()
                .and_then(|body| body["errors"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|e| {
                    let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                    (text("field"), text("code"))
                })
                .collect();
            if &got != want {
                failures.push(format!("errors {got:?} instead of {want:?}"));
            }
        }
        if let Some(want) = &self.json {
            match observed.json() {
                Some(got) if &got == want => {}
                got => failures.push(format!("body {got:?} instead of {want}")),
            }
        }
        let mut everything = observed.text();
        for (name, value) in &observed.headers {
            everything.push_str(&format!("\n{name}: {}", String::from_utf8_lossy(value)));
        }
        // A generated request id is 32 random hex digits: it may hold any
        // short number by chance ("300"), which is no echo of the request.
        if matches!(self.request_id, RequestIdExpect::Generated)
            && let Some(id) = observed.header("x-request-id")
            && !id.is_empty()
        {
            everything = everything.replace(&id, "<request-id>");
        }
        for secret in &self.never {
            if everything.contains(secret.as_str()) {
                failures.push(format!("answer contains {secret:?}"));
            }
        }
        failures
    }
}

fn problem_failures(observed: &Observed, code: &str, request_id: Option<&str>) -> Vec<String> {
    let mut failures = Vec::new();
    match observed.header("content-type").as_deref() {
        Some("application/problem+json") => {}
        other => failures.push(format!(
            "content-type {other:?} instead of application/problem+json"
        )),
    }
    let Some(body) = observed.json() else {
        failures.push(format!("body is not JSON: {:?}", observed.text()));
        return failures;
    };
    if body["code"] != code {
        failures.push(format!("code {} instead of {code}", body["code"]));
    }
    if body["status"] != observed.status {
        failures.push(format!(
            "body status {} differs from {}",
            body["status"], observed.status
        ));
    }
    for member in ["type", "title"] {
        if !body[member].is_string() {
            failures.push(format!("problem member {member} missing"));
        }
    }
    if body["request_id"].as_str() != request_id {
        failures.push(format!(
            "body request_id {} differs from X-Request-Id {request_id:?}",
            body["request_id"]
        ));
    }
    failures
}

/// A named case.
#[derive(Clone, Debug)]
pub struct Case {
    /// Name, shown on failure.
    pub name: &'static str,
    /// The request.
    pub request: TestRequest,
    /// The answer it must get.
    pub expect: Expect,
}

impl Case {
    /// A case.
    pub fn new(name: &'static str, request: TestRequest, expect: Expect) -> Self {
        Self {
            name,
            request,
            expect,
        }
    }
}

/// Checks every case against each runner's answers, and the runners' answers
/// against each other; panics with every failure listed.
pub fn assert_cases(runs: &[(&str, Vec<Observed>)], cases: &[Case]) {
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let mut first: Option<(&str, Observed)> = None;
        for (runner, observed) in runs {
            let Some(observed) = observed.get(index) else {
                failures.push(format!("{}: {runner} gave no answer", case.name));
                continue;
            };
            for failure in case.expect.failures(observed) {
                failures.push(format!("{} [{runner}]: {failure}", case.name));
            }
            let normalized = observed.normalized();
            match &first {
                None => first = Some((runner, normalized)),
                Some((other, theirs)) if theirs != &normalized => failures.push(format!(
                    "{}: {other} and {runner} differ\n  {other}: {theirs:?}\n  {runner}: {normalized:?}\n  {other} body: {}\n  {runner} body: {}",
                    case.name,
                    theirs.text(),
                    normalized.text()
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(headers: &[(&str, &str)], body: &str) -> Observed {
        Observed {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn never_sees_secrets_in_headers_and_body() {
        let expect = Expect::status(200).never("hunter2");
        assert!(
            expect
                .failures(&observed(&[("x-request-id", ID)], "fine"))
                .is_empty()
        );
        let in_header = observed(&[("x-request-id", ID), ("x-debug", "pw=hunter2")], "fine");
        assert_eq!(expect.failures(&in_header).len(), 1);
        let in_body = observed(&[("x-request-id", ID)], "pw=hunter2");
        assert_eq!(expect.failures(&in_body).len(), 1);
    }

    #[test]
    fn every_rule_can_fail() {
        let o = observed(&[("x-request-id", ID), ("a", "1"), ("a", "2")], "{}");
        assert!(Expect::status(201).failures(&o).len() == 1);
        assert!(Expect::status(200).header("a", "2").failures(&o).len() == 1);
        assert!(
            Expect::status(200)
                .header_values("a", &["1"])
                .failures(&o)
                .len()
                == 1
        );
        assert!(
            Expect::status(200)
                .header_values("a", &["1", "2"])
                .failures(&o)
                .is_empty()
        );
        assert!(Expect::status(200).no_header("a").failures(&o).len() == 1);
        assert!(Expect::status(200).has_header("b").failures(&o).len() == 1);
        assert!(
            Expect::status(200)
                .json(serde_json::json!([]))
                .failures(&o)
                .len()
                == 1
        );
        assert!(Expect::status(200).request_id("other").failures(&o).len() == 1);
        // A problem expectation on a plain JSON body fails on type, code, members.
        assert!(!Expect::problem(200, "NOT_FOUND").failures(&o).is_empty());
        // No request id at all.
        assert!(!Expect::status(200).failures(&observed(&[], "")).is_empty());
    }
}
