//! An introspection answer (RFC 7662 section 2.2): read strictly, then
//! judged. What the endpoint should have said but did not (not a JSON
//! object, no boolean `active`, a member of the wrong type) is the endpoint
//! failing; what it said about the token (not active, expired, another
//! audience or issuer) is the token being refused.

use serde::Deserialize;

use crate::claims::MAX_JTI_LEN;
use crate::{NumericDate, TokenErrorKind, TokenRejection};

/// What is required of an active token, beside `active` itself.
#[derive(Clone, Debug)]
pub(crate) struct Rules {
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
    /// Whether an answer without `iss` or `aud` passes the configured
    /// checks (RFC 7662 makes both optional); one that has them is checked.
    pub(crate) allow_missing: bool,
    pub(crate) require_sub: bool,
}

/// The first reading: `active` alone, so that an inactive answer is
/// inactive whatever else it holds.
#[derive(Deserialize)]
struct Head {
    active: bool,
}

/// A string, or an array of strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `cnf` (RFC 7800): only `jkt` (RFC 9449) is read.
#[derive(Deserialize)]
struct Confirmation {
    jkt: Option<String>,
}

/// The members read from an active answer; each, when present and not
/// `null`, must be of its type. A member named twice is refused (serde's
/// derive); the others are skipped, and stay in the claims text.
#[derive(Deserialize)]
struct Raw {
    sub: Option<String>,
    scope: Option<String>,
    scp: Option<OneOrMany>,
    exp: Option<NumericDate>,
    iat: Option<NumericDate>,
    aud: Option<OneOrMany>,
    iss: Option<String>,
    #[allow(
        dead_code,
        reason = "read for its type; handlers read it from the claims"
    )]
    client_id: Option<String>,
    jti: Option<String>,
    cnf: Option<Confirmation>,
}

/// An active token's claims, judged.
#[derive(Debug)]
pub(crate) struct Active {
    pub(crate) sub: Option<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) exp: Option<i64>,
    pub(crate) iat: Option<i64>,
    pub(crate) jti: Option<String>,
    /// `cnf.jkt`: the DPoP key the token is bound to.
    pub(crate) jkt: Option<Box<str>>,
}

/// What the endpoint said.
#[derive(Debug)]
pub(crate) enum Answer {
    /// `active: false`.
    Inactive,
    /// `active: true`, its claims of their types (not yet judged).
    Active(Box<RawActive>),
}

/// An active answer, read but not judged.
pub(crate) struct RawActive(Raw);

impl std::fmt::Debug for RawActive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawActive").finish_non_exhaustive()
    }
}

fn reading_error(error: &serde_json::Error) -> String {
    if error.is_syntax() || error.is_eof() {
        "not JSON".to_owned()
    } else {
        // serde_json names the member and the type; it may quote a value the
        // endpoint sent, so keep it short.
        error.to_string().chars().take(160).collect()
    }
}

/// Reads a body: a JSON object with a boolean `active`.
pub(crate) fn parse(body: &[u8]) -> Result<Answer, String> {
    // The derive would also read a struct from an array: only an object is taken.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("not a JSON object".to_owned());
    }
    let head: Head = serde_json::from_slice(body).map_err(|e| reading_error(&e))?;
    if !head.active {
        return Ok(Answer::Inactive);
    }
    let raw: Raw = serde_json::from_slice(body).map_err(|e| reading_error(&e))?;
    Ok(Answer::Active(Box::new(RawActive(raw))))
}

fn invalid(reason: &'static str) -> TokenRejection {
    TokenRejection::new(TokenErrorKind::Claims, reason)
}

/// Judges an active answer at `now` (Unix seconds): `exp` in the future,
/// `iss` and `aud` as configured, `sub` when required, `jti` short enough to
/// be a store key, scopes from `scope` or `scp` (never both).
pub(crate) fn judge(raw: RawActive, rules: &Rules, now: i64) -> Result<Active, TokenRejection> {
    let raw = raw.0;
    let exp = raw.exp.map(NumericDate::unix_seconds);
    if exp.is_some_and(|exp| exp <= now) {
        return Err(TokenRejection::new(
            TokenErrorKind::Expired,
            "exp is in the past",
        ));
    }
    if let Some(issuer) = &rules.issuer {
        let holds = match &raw.iss {
            Some(iss) => iss == issuer,
            None => rules.allow_missing,
        };
        if !holds {
            return Err(invalid("iss is missing or not the configured issuer"));
        }
    }
    if let Some(audience) = &rules.audience {
        let holds = match &raw.aud {
            Some(OneOrMany::One(aud)) => aud == audience,
            Some(OneOrMany::Many(auds)) => auds.iter().any(|aud| aud == audience),
            None => rules.allow_missing,
        };
        if !holds {
            return Err(invalid("aud is missing or does not hold the audience"));
        }
    }
    if rules.require_sub && raw.sub.as_deref().is_none_or(str::is_empty) {
        return Err(invalid("no sub"));
    }
    if raw
        .jti
        .as_ref()
        .is_some_and(|jti| jti.is_empty() || jti.len() > MAX_JTI_LEN)
    {
        return Err(invalid("jti is empty or too long"));
    }
    // A bound token must never pass as an unbound one because its binding
    // is misspelt.
    let jkt = match raw.cnf.and_then(|cnf| cnf.jkt) {
        Some(jkt) if crate::confirmation::is_thumbprint(&jkt) => Some(Box::from(jkt)),
        Some(_) => return Err(invalid("cnf.jkt is not a base64url SHA-256 thumbprint")),
        None => None,
    };
    let split = |s: &str| -> Vec<String> {
        s.split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let scopes = match (raw.scope, raw.scp) {
        (Some(_), Some(_)) => return Err(invalid("both scope and scp")),
        (Some(scope), None) | (None, Some(OneOrMany::One(scope))) => split(&scope),
        (None, Some(OneOrMany::Many(items))) => {
            if items
                .iter()
                .any(|item| item.is_empty() || item.contains(' '))
            {
                return Err(invalid("scp holds an empty item or one with a space"));
            }
            items
        }
        (None, None) => Vec::new(),
    };
    Ok(Active {
        sub: raw.sub,
        scopes,
        exp,
        iat: raw.iat.map(NumericDate::unix_seconds),
        jti: raw.jti,
        jkt,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;
    const JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    fn rules() -> Rules {
        Rules {
            issuer: Some("https://login.example".into()),
            audience: Some("api".into()),
            allow_missing: false,
            require_sub: true,
        }
    }

    fn judged(answer: &serde_json::Value) -> Result<Active, TokenErrorKind> {
        match parse(answer.to_string().as_bytes()).unwrap() {
            Answer::Active(raw) => judge(*raw, &rules(), NOW).map_err(|e| e.kind()),
            Answer::Inactive => panic!("inactive"),
        }
    }

    fn good() -> serde_json::Value {
        json!({"active": true, "sub": "u1", "scope": "a  b", "exp": NOW + 60, "iat": NOW,
               "aud": ["other", "api"], "iss": "https://login.example", "client_id": "c",
               "cnf": {"jkt": JKT}, "username": "x"})
    }

    #[test]
    fn an_active_answer_with_its_scopes() {
        let active = judged(&good()).unwrap();
        assert_eq!(active.sub.as_deref(), Some("u1"));
        assert_eq!(active.scopes, ["a", "b"]);
        assert_eq!(active.exp, Some(NOW + 60));
        assert_eq!(active.jkt.as_deref(), Some(JKT));
        let mut scp = good();
        scp.as_object_mut().unwrap().remove("scope");
        scp["scp"] = json!(["x", "y:z"]);
        assert_eq!(judged(&scp).unwrap().scopes, ["x", "y:z"]);
    }

    #[test]
    fn an_inactive_answer_is_inactive_whatever_else_it_holds() {
        for body in [
            json!({"active": false}),
            json!({"active": false, "exp": "soon"}),
        ] {
            assert!(matches!(
                parse(body.to_string().as_bytes()),
                Ok(Answer::Inactive)
            ));
        }
    }

    #[test]
    fn what_the_endpoint_should_not_have_said_is_a_failure() {
        for body in [
            &b"<html>"[..],
            b"",
            b"[true]",
            b"null",
            br#"{"active": "true"}"#,
            br#"{"active": 1}"#,
            br#"{"sub": "u1"}"#,
            br#"{"active": true, "active": false}"#,
            br#"{"active": true, "exp": "tomorrow"}"#,
            br#"{"active": true, "scope": ["a"]}"#,
            br#"{"active": true, "aud": 7}"#,
            br#"{"active": true, "cnf": {"jkt": 1}}"#,
            br#"{"active": true, "sub": 1}"#,
            br#"{"active": true} x"#,
        ] {
            assert!(parse(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn what_it_said_about_the_token_is_checked() {
        use TokenErrorKind::{Claims, Expired};
        let with = |name: &str, value: serde_json::Value| {
            let mut answer = good();
            if value.is_null() {
                answer.as_object_mut().unwrap().remove(name);
            } else {
                answer[name] = value;
            }
            judged(&answer).err()
        };
        assert_eq!(with("exp", json!(NOW)), Some(Expired));
        assert_eq!(with("exp", serde_json::Value::Null), None);
        assert_eq!(with("aud", json!("other")), Some(Claims));
        assert_eq!(with("aud", serde_json::Value::Null), Some(Claims));
        assert_eq!(with("iss", json!("https://login.example/")), Some(Claims));
        assert_eq!(with("sub", json!("")), Some(Claims));
        assert_eq!(with("jti", json!("j".repeat(257))), Some(Claims));
        assert_eq!(with("scp", json!(["a"])), Some(Claims), "scope and scp");
        assert_eq!(with("cnf", json!({"jkt": "abc"})), Some(Claims));
        assert_eq!(with("cnf", json!({"x5t#S256": "abc"})), None);
    }

    #[test]
    fn missing_iss_and_aud_pass_only_when_allowed_and_wrong_ones_never() {
        let lenient = Rules {
            allow_missing: true,
            ..rules()
        };
        let judged_by =
            |rules: &Rules, answer: &serde_json::Value| match parse(answer.to_string().as_bytes())
                .unwrap()
            {
                Answer::Active(raw) => judge(*raw, rules, NOW).map(|_| ()).map_err(|e| e.kind()),
                Answer::Inactive => panic!("inactive"),
            };
        let mut neither = good();
        neither.as_object_mut().unwrap().remove("iss");
        neither.as_object_mut().unwrap().remove("aud");
        assert_eq!(judged_by(&rules(), &neither), Err(TokenErrorKind::Claims));
        assert_eq!(judged_by(&lenient, &neither), Ok(()));
        for (name, value) in [
            ("aud", json!("other")),
            ("aud", json!(["other"])),
            ("iss", json!("https://elsewhere.example")),
        ] {
            let mut answer = good();
            answer[name] = value;
            assert_eq!(judged_by(&lenient, &answer), Err(TokenErrorKind::Claims));
        }
    }
}
