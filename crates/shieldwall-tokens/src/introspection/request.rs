//! One call to the introspection endpoint (RFC 7662 section 2.1): `POST`,
//! `token=...&token_type_hint=access_token` form-encoded, HTTP Basic client
//! authentication, within the client's timeout and a body size, following
//! no redirect.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use shieldwall_core::Secret;

/// The largest answer read. Providers answer a few hundred bytes; the
/// cache holds each answer, so this also bounds its memory per entry.
pub(crate) const MAX_ANSWER: usize = 16 * 1024;

/// The endpoint, its client, and the `Authorization` value made once.
pub(crate) struct Endpoint {
    url: reqwest::Url,
    client: reqwest::Client,
    /// `Basic base64(id:secret)`, the two form-encoded first (RFC 6749
    /// section 2.3.1).
    authorization: Secret,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

/// Appends `bytes` form-encoded (`application/x-www-form-urlencoded`):
/// `*-._` and alphanumerics kept, space as `+`, every other byte `%XX`.
pub(crate) fn form_encode(bytes: &[u8], out: &mut Vec<u8>) {
    let hex = |n: u8| if n < 10 { b'0' + n } else { b'A' + (n - 10) };
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(&[b'%', hex(b >> 4), hex(b & 0x0f)]),
        }
    }
}

impl Endpoint {
    pub(crate) fn new(
        url: reqwest::Url,
        client: reqwest::Client,
        id: &str,
        secret: &Secret,
    ) -> Self {
        // Held in `Secret`s so that every copy of the secret is wiped on drop.
        let mut pair = Vec::with_capacity(id.len() + secret.len() * 3 + 1);
        form_encode(id.as_bytes(), &mut pair);
        pair.push(b':');
        form_encode(secret.expose(), &mut pair);
        let pair = Secret::from(pair);
        // Sized once, so that no copy is left behind by a reallocation.
        let encoded = base64::encoded_len(pair.len(), true).unwrap_or(0);
        let mut value = String::with_capacity(encoded.saturating_add(6));
        value.push_str("Basic ");
        STANDARD.encode_string(pair.expose(), &mut value);
        Self {
            url,
            client,
            authorization: Secret::from(value),
        }
    }

    pub(crate) fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The answer's body, or why there is none. The reason never holds the
    /// token, the secret, or what the endpoint sent.
    pub(crate) async fn call(&self, token: &str) -> Result<Vec<u8>, String> {
        let mut form = b"token=".to_vec();
        form_encode(token.as_bytes(), &mut form);
        form.extend_from_slice(b"&token_type_hint=access_token");
        // Base64 and an ASCII prefix: always a valid header value.
        let mut authorization = HeaderValue::from_bytes(self.authorization.expose())
            .map_err(|_| "the client credentials do not make a header".to_owned())?;
        authorization.set_sensitive(true);
        let mut response = self
            .client
            .post(self.url.clone())
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(form)
            .send()
            .await
            .map_err(describe)?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            let hint = match status.as_u16() {
                300..=399 => " (redirects are not followed)",
                401 | 403 => " (are the client id and secret right?)",
                _ => "",
            };
            return Err(format!("status {}{hint}", status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_ANSWER as u64)
        {
            return Err("an answer larger than 16 KiB".to_owned());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len().saturating_add(chunk.len()) > MAX_ANSWER {
                return Err("an answer larger than 16 KiB".to_owned());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer within the timeout".to_owned()
    } else if error.is_connect() {
        "cannot connect".to_owned()
    } else {
        // reqwest's errors hold neither headers nor the body; the URL is
        // ours, and taken off anyway.
        format!("request failed: {}", error.without_url())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_keeps_only_the_safe_bytes() {
        let mut out = Vec::new();
        form_encode(b"aZ09*-._ +/=~%&:\xff", &mut out);
        assert_eq!(out, b"aZ09*-._+%2B%2F%3D%7E%25%26%3A%FF");
    }

    #[test]
    fn basic_credentials_are_form_encoded_then_base64() {
        let url = reqwest::Url::parse("https://login.example/introspect").unwrap();
        let endpoint = Endpoint::new(
            url,
            reqwest::Client::new(),
            "my api",
            &Secret::from("s3:cr%t"),
        );
        // base64("my+api:s3%3Acr%25t")
        assert_eq!(
            endpoint.authorization.expose(),
            format!("Basic {}", STANDARD.encode("my+api:s3%3Acr%25t")).as_bytes()
        );
        assert!(!format!("{endpoint:?}").contains("s3"));
    }
}
