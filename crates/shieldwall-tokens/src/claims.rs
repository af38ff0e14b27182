//! The registered claims: types, presence, time and audience rules.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::NumericDate;
use crate::confirmation::{self, Confirmation};
use crate::json::{Any, SeenKeys, Text, duplicate};
use crate::{TokenErrorKind, TokenRejection};

/// The longest `jti` accepted (it becomes a store key).
pub const MAX_JTI_LEN: usize = 256;

#[derive(Clone, Debug)]
pub(crate) struct Rules {
    pub(crate) leeway: i64,
    pub(crate) issuers: Vec<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) max_age: Option<i64>,
    pub(crate) require_iat: bool,
    pub(crate) require_jti: bool,
    pub(crate) require_sub: bool,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            leeway: 30,
            issuers: Vec::new(),
            audiences: Vec::new(),
            max_age: Some(24 * 3600),
            require_iat: true,
            require_jti: true,
            require_sub: true,
        }
    }
}

/// The registered claims of a payload, their JSON types not yet judged; the
/// other claims are skipped (they stay in the payload text for handlers).
#[derive(Default)]
pub(crate) struct RawClaims<'de> {
    exp: Option<Any<'de>>,
    nbf: Option<Any<'de>>,
    iat: Option<Any<'de>>,
    sub: Option<Any<'de>>,
    jti: Option<Any<'de>>,
    iss: Option<Any<'de>>,
    aud: Option<Any<'de>>,
    scope: Option<Any<'de>>,
    scp: Option<Any<'de>>,
    cnf: Option<Confirmation<'de>>,
}

impl<'de> Deserialize<'de> for RawClaims<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ClaimsVisitor)
    }
}

struct ClaimsVisitor;

impl<'de> Visitor<'de> for ClaimsVisitor {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut claims = RawClaims::default();
        let mut seen = SeenKeys::new();
        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
            if !seen.insert(&key) {
                return Err(duplicate());
            }
            let slot = match key.as_ref() {
                "exp" => &mut claims.exp,
                "nbf" => &mut claims.nbf,
                "iat" => &mut claims.iat,
                "sub" => &mut claims.sub,
                "jti" => &mut claims.jti,
                "iss" => &mut claims.iss,
                "aud" => &mut claims.aud,
                "scope" => &mut claims.scope,
                "scp" => &mut claims.scp,
                "cnf" => {
                    claims.cnf = Some(map.next_value()?);
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(claims)
    }
}

/// What the claims established.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) sub: Option<String>,
    pub(crate) jti: Option<String>,
    pub(crate) exp: i64,
    pub(crate) iat: Option<i64>,
    pub(crate) scopes: Vec<String>,
    /// `cnf.jkt`: the thumbprint of the DPoP key the token is bound to.
    pub(crate) jkt: Option<Box<str>>,
}

fn invalid(reason: &'static str) -> TokenRejection {
    TokenRejection::new(TokenErrorKind::Claims, reason)
}

fn date(value: Option<&Any<'_>>, reason: &'static str) -> Result<Option<i64>, TokenRejection> {
    match value {
        None => Ok(None),
        Some(Any::Number(n)) => NumericDate::from_number(n)
            .map(|d| Some(d.unix_seconds()))
            .ok_or_else(|| invalid(reason)),
        Some(_) => Err(invalid(reason)),
    }
}

fn string<'a>(
    value: Option<&'a Any<'_>>,
    reason: &'static str,
) -> Result<Option<&'a str>, TokenRejection> {
    match value {
        None => Ok(None),
        Some(Any::Text(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(reason)),
    }
}

/// Checks the claims at time `now`. Every registered claim present must have
/// its type (a wrong type is never treated as absent); then expiry, validity
/// start, age, presence, issuer and audience, in that order.
pub(crate) fn check(
    claims: &RawClaims<'_>,
    rules: &Rules,
    now: i64,
) -> Result<Checked, TokenRejection> {
    let exp = date(claims.exp.as_ref(), "exp is not a NumericDate")?;
    let nbf = date(claims.nbf.as_ref(), "nbf is not a NumericDate")?;
    let iat = date(claims.iat.as_ref(), "iat is not a NumericDate")?;
    let sub = string(claims.sub.as_ref(), "sub is not a string")?;
    let jti = string(claims.jti.as_ref(), "jti is not a string")?;
    let iss = string(claims.iss.as_ref(), "iss is not a string")?;
    let scopes = scopes(claims.scope.as_ref(), claims.scp.as_ref())?;
    let jkt = confirmation::jkt(claims.cnf.as_ref())?;
    let audiences: Option<Vec<&str>> = match claims.aud.as_ref() {
        None => None,
        Some(Any::Text(aud)) => Some(vec![aud.as_ref()]),
        Some(Any::Texts(items)) if !items.is_empty() => {
            Some(items.iter().map(AsRef::as_ref).collect())
        }
        Some(_) => {
            return Err(invalid(
                "aud is not a string or a non-empty array of strings",
            ));
        }
    };

    let exp = exp.ok_or_else(|| invalid("no exp"))?;
    if now > exp.saturating_add(rules.leeway) {
        return Err(TokenRejection::new(
            TokenErrorKind::Expired,
            "exp is in the past",
        ));
    }
    if let Some(nbf) = nbf
        && now.saturating_add(rules.leeway) < nbf
    {
        return Err(TokenRejection::new(
            TokenErrorKind::NotYetValid,
            "nbf is in the future",
        ));
    }
    match iat {
        Some(iat) if now.saturating_add(rules.leeway) < iat => {
            return Err(TokenRejection::new(
                TokenErrorKind::NotYetValid,
                "iat is in the future",
            ));
        }
        Some(iat) => {
            if let Some(max_age) = rules.max_age
                && now.saturating_sub(iat) > max_age.saturating_add(rules.leeway)
            {
                return Err(TokenRejection::new(
                    TokenErrorKind::Expired,
                    "older than the maximum age",
                ));
            }
        }
        None if rules.require_iat => return Err(invalid("no iat")),
        None => {}
    }
    if rules.require_sub && sub.is_none_or(str::is_empty) {
        return Err(invalid("no sub"));
    }
    match jti {
        Some(jti) if jti.is_empty() || jti.len() > MAX_JTI_LEN => {
            return Err(invalid("jti is empty or too long"));
        }
        None if rules.require_jti => return Err(invalid("no jti")),
        _ => {}
    }
    if !rules.issuers.is_empty() && !iss.is_some_and(|iss| rules.issuers.iter().any(|i| i == iss)) {
        return Err(invalid("iss is missing or not accepted"));
    }
    if !rules.audiences.is_empty()
        && !audiences
            .is_some_and(|auds| auds.iter().any(|a| rules.audiences.iter().any(|r| r == a)))
    {
        return Err(invalid("aud is missing or not accepted"));
    }
    Ok(Checked {
        sub: sub.map(str::to_owned),
        jti: jti.map(str::to_owned),
        exp,
        iat,
        scopes,
        jkt,
    })
}

/// The scopes of `scope` (a space-separated string, RFC 9068) or of `scp`
/// (an array of scope tokens, or a space-separated string as some providers
/// write it). A token that carries both is refused (which one holds cannot
/// be told), as is one whose claim is of another type, or whose `scp` array
/// holds an empty item or one with a space.
fn scopes(scope: Option<&Any<'_>>, scp: Option<&Any<'_>>) -> Result<Vec<String>, TokenRejection> {
    let split = |s: &str| {
        s.split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    match (scope, scp) {
        (None, None) => Ok(Vec::new()),
        (Some(_), Some(_)) => Err(invalid("both scope and scp")),
        (Some(Any::Text(s)), None) | (None, Some(Any::Text(s))) => Ok(split(s)),
        (Some(_), None) => Err(invalid("scope is not a string")),
        (None, Some(Any::Texts(items))) => items
            .iter()
            .map(|item| {
                if item.is_empty() || item.contains(' ') {
                    Err(invalid("scp holds an empty item or one with a space"))
                } else {
                    Ok(item.to_string())
                }
            })
            .collect(),
        (None, Some(_)) => Err(invalid("scp is not an array of strings or a string")),
    }
}

/// Calls `f` with the `iss` a compact JWS's payload claims, unverified:
/// only to choose which issuer's verifier checks the token (that verifier
/// then checks the signature and every claim, `iss` included, and refuses a
/// payload with duplicate names). `None` when there is no string `iss`.
pub(crate) fn with_unverified_issuer<T>(
    token: &str,
    max_len: usize,
    f: impl FnOnce(&str) -> T,
) -> Option<T> {
    /// Only `iss`; every other member is skipped unread.
    #[derive(serde::Deserialize)]
    struct Issuer<'a> {
        #[serde(borrow)]
        iss: Option<std::borrow::Cow<'a, str>>,
    }
    if token.len() > max_len {
        return None;
    }
    // Exactly three parts: anything else is no compact JWS (an opaque token
    // with dots stays the outer verifier's, for introspection).
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = crate::compact::decode(payload).ok()?;
    let issuer: Issuer<'_> = serde_json::from_slice(&bytes).ok()?;
    issuer.iss.map(|iss| f(&iss))
}

/// Reads a payload (JSON object with unique names).
pub(crate) fn read(payload: &[u8]) -> Result<RawClaims<'_>, TokenRejection> {
    serde_json::from_slice(payload)
        .map_err(|_| invalid("the claims are not a JSON object with unique names"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const NOW: i64 = 1_700_000_000;

    fn rules() -> Rules {
        Rules {
            issuers: vec!["iss-a".into()],
            audiences: vec!["api".into()],
            ..Rules::default()
        }
    }

    fn good() -> Value {
        json!({"sub": "u1", "jti": "j1", "iat": NOW - 10, "exp": NOW + 600, "iss": "iss-a", "aud": "api", "scope": "a b"})
    }

    fn with(change: &[(&str, Value)]) -> String {
        let mut claims = good().as_object().unwrap().clone();
        for (name, value) in change {
            if value.is_null() {
                claims.remove(*name);
            } else {
                claims.insert((*name).to_owned(), value.clone());
            }
        }
        Value::Object(claims).to_string()
    }

    fn kind(change: &[(&str, Value)]) -> Option<TokenErrorKind> {
        let json = with(change);
        check(&read(json.as_bytes()).unwrap(), &rules(), NOW)
            .err()
            .map(|e| e.kind())
    }

    #[test]
    fn a_good_token_passes_with_its_scopes() {
        let json = with(&[]);
        let checked = check(&read(json.as_bytes()).unwrap(), &rules(), NOW).unwrap();
        assert_eq!(checked.scopes, ["a", "b"]);
        assert_eq!(checked.sub.as_deref(), Some("u1"));
        assert_eq!(checked.exp, NOW + 600);
    }

    #[test]
    fn wrong_types_are_refused_never_ignored() {
        use TokenErrorKind::Claims;
        for (name, value) in [
            ("exp", json!("9999999999")),
            ("nbf", json!("0")),
            ("iat", json!(true)),
            ("sub", json!(42)),
            ("jti", json!(["j"])),
            ("iss", json!({"iss": "iss-a"})),
            ("aud", json!([])),
            ("aud", json!(["api", 3])),
            ("aud", json!(7)),
            ("scope", json!(["a"])),
        ] {
            assert_eq!(
                kind(&[(name, value.clone())]),
                Some(Claims),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn time_rules_at_the_leeway_boundary() {
        use TokenErrorKind::{Expired, NotYetValid};
        assert_eq!(kind(&[("exp", json!(NOW - 30))]), None); // within 30 s leeway
        assert_eq!(kind(&[("exp", json!(NOW - 31))]), Some(Expired));
        assert_eq!(kind(&[("exp", json!(NOW as f64 - 30.5))]), Some(Expired));
        assert_eq!(kind(&[("nbf", json!(NOW + 30))]), None);
        assert_eq!(kind(&[("nbf", json!(NOW + 31))]), Some(NotYetValid));
        assert_eq!(kind(&[("iat", json!(NOW + 30))]), None);
        assert_eq!(kind(&[("iat", json!(NOW + 31))]), Some(NotYetValid));
        assert_eq!(kind(&[("iat", json!(NOW - 24 * 3600 - 30))]), None);
        assert_eq!(kind(&[("iat", json!(NOW - 24 * 3600 - 31))]), Some(Expired));
        assert_eq!(kind(&[("exp", json!(u64::MAX))]), None);
        assert_eq!(kind(&[("exp", json!(1e300))]), None);
    }

    #[test]
    fn required_claims_issuer_and_audience() {
        use TokenErrorKind::Claims;
        for name in ["exp", "iat", "jti", "sub", "iss", "aud"] {
            assert_eq!(kind(&[(name, Value::Null)]), Some(Claims), "{name}");
        }
        assert_eq!(kind(&[("sub", json!(""))]), Some(Claims));
        assert_eq!(kind(&[("jti", json!(""))]), Some(Claims));
        assert_eq!(kind(&[("jti", json!("j".repeat(257)))]), Some(Claims));
        assert_eq!(kind(&[("iss", json!("ISS-A"))]), Some(Claims));
        assert_eq!(kind(&[("iss", json!("iss-a "))]), Some(Claims));
        assert_eq!(kind(&[("aud", json!("API"))]), Some(Claims));
        assert_eq!(kind(&[("aud", json!(["other", "api"]))]), None);
        assert_eq!(kind(&[("aud", json!(["other"]))]), Some(Claims));
        let relaxed = Rules {
            require_iat: false,
            require_jti: false,
            require_sub: false,
            ..Rules::default()
        };
        let json = json!({"exp": NOW + 1}).to_string();
        assert!(check(&read(json.as_bytes()).unwrap(), &relaxed, NOW).is_ok());
        assert!(read(br#"{"exp":1,"exp":2}"#).is_err());
        assert!(read(br#"[1]"#).is_err());
    }

    #[test]
    fn scopes_from_scope_or_scp_never_both() {
        fn scopes_of(change: &[(&str, Value)]) -> Result<Vec<String>, TokenErrorKind> {
            let json = with(change);
            check(&read(json.as_bytes()).unwrap(), &rules(), NOW)
                .map(|c| c.scopes)
                .map_err(|e| e.kind())
        }
        let no_scope = ("scope", Value::Null);
        assert_eq!(
            scopes_of(&[no_scope.clone(), ("scp", json!(["a", "b:c"]))]).unwrap(),
            ["a", "b:c"]
        );
        assert_eq!(
            scopes_of(&[no_scope.clone(), ("scp", json!("a  b"))]).unwrap(),
            ["a", "b"]
        );
        assert!(
            scopes_of(&[no_scope.clone(), ("scp", json!([]))])
                .unwrap()
                .is_empty()
        );
        assert!(
            scopes_of(std::slice::from_ref(&no_scope))
                .unwrap()
                .is_empty()
        );
        for bad in [
            json!([""]),
            json!(["a b"]),
            json!([["a"]]),
            json!(["a", 1]),
            json!(7),
            json!({"a": true}),
            json!(false),
        ] {
            assert_eq!(
                scopes_of(&[no_scope.clone(), ("scp", bad.clone())]),
                Err(TokenErrorKind::Claims),
                "{bad}"
            );
        }
        assert_eq!(
            scopes_of(&[("scp", json!(["a"]))]),
            Err(TokenErrorKind::Claims),
            "scope and scp"
        );
    }
}
