//! `RequestView`: what a concern may read of a request, on any framework.

use std::net::SocketAddr;

use crate::{Attachments, Principal, RequestContext};

/// The socket peer of a connection, as a request extension.
///
/// Adapters insert it from the framework's connection info; tests insert it
/// by hand.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

impl PeerAddr {
    /// Wraps a socket address.
    #[must_use]
    pub const fn new(addr: SocketAddr) -> Self {
        Self(addr)
    }
}

/// Marks a request that arrived over TLS on this server's own listener, as a
/// request extension. A server that terminates TLS itself inserts it (the
/// demo servers do); behind a TLS-terminating proxy, the perimeter reads the
/// trusted proxy's `X-Forwarded-Proto` instead.
// A marker that servers construct: exhaustive on purpose.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlsConnection;

/// A read-only, framework-free view of a request.
///
/// Implemented here for `http::Request<B>` and `http::request::Parts`, and
/// by the actix adapter for actix-web's request. Header names are given in
/// lowercase; values are raw bytes, because a header from the network need not
/// be UTF-8.
pub trait RequestView {
    /// The method, such as `GET`.
    fn method(&self) -> &str;

    /// The path, percent-encoded as received.
    fn path(&self) -> &str;

    /// The query string without `?`, if any.
    fn query(&self) -> Option<&str>;

    /// Every value of header `name`, in the order received.
    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a, Self>;

    /// The socket peer, when the server told us.
    fn peer_addr(&self) -> Option<SocketAddr>;

    /// What the outermost shieldwall layer established (request id, client IP).
    fn context(&self) -> Option<RequestContext>;

    /// The principal an earlier guard attached, if any.
    fn principal(&self) -> Option<Principal>;

    /// Whether the request arrived over TLS on this server's own listener
    /// (not what a header claims).
    fn arrived_over_tls(&self) -> bool;

    /// What earlier guards attached, if anything.
    fn attachments(&self) -> Option<Attachments>;

    /// The authority the request was sent to: the request target's own
    /// (HTTP/2 `:authority`, an absolute-form target), else the one `Host`
    /// header. `None` when neither is there, `Host` is repeated or is not
    /// text. Client-chosen: compare it, never trust it for routing.
    fn authority(&self) -> Option<&str> {
        host_of(self)
    }

    /// The value of type `T` an earlier guard attached.
    fn attachment<T: std::any::Any + Send + Sync>(&self) -> Option<std::sync::Arc<T>> {
        self.attachments()?.get::<T>()
    }

    /// The one value of header `name`: `Ok(None)` when absent,
    /// `Err(Ambiguous)` when it was sent more than once.
    fn single_header(&self, name: &str) -> Result<Option<&[u8]>, Ambiguous> {
        let mut values = self.header_values(name);
        let first = values.next();
        match values.next() {
            Some(_) => Err(Ambiguous),
            None => Ok(first),
        }
    }
}

/// The one `Host` header, as text.
pub(crate) fn host_of<R: RequestView + ?Sized>(request: &R) -> Option<&str> {
    request
        .single_header("host")
        .ok()
        .flatten()
        .and_then(|host| std::str::from_utf8(host).ok())
}

/// A header that must appear once appeared more than once.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("header sent more than once")]
pub struct Ambiguous;

fn header_values_of<'a>(
    headers: &'a http::HeaderMap,
    name: &str,
) -> impl Iterator<Item = &'a [u8]> + use<'a> {
    // By `&str`: looked up without making a `HeaderName` (which allocates
    // for a name the `http` crate does not know); an invalid name finds
    // nothing.
    headers
        .get_all(name)
        .into_iter()
        .map(http::HeaderValue::as_bytes)
}

fn peer_of(extensions: &http::Extensions) -> Option<SocketAddr> {
    extensions.get::<PeerAddr>().map(|p| p.0).or_else(|| {
        extensions
            .get::<RequestContext>()
            .and_then(RequestContext::peer)
    })
}

impl<B> RequestView for http::Request<B> {
    fn method(&self) -> &str {
        self.method().as_str()
    }

    fn path(&self) -> &str {
        self.uri().path()
    }

    fn query(&self) -> Option<&str> {
        self.uri().query()
    }

    fn authority(&self) -> Option<&str> {
        match self.uri().authority() {
            Some(authority) => Some(authority.as_str()),
            None => host_of(self),
        }
    }

    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a, B> {
        header_values_of(self.headers(), name)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        peer_of(self.extensions())
    }

    fn context(&self) -> Option<RequestContext> {
        self.extensions().get::<RequestContext>().cloned()
    }

    fn principal(&self) -> Option<Principal> {
        self.extensions().get::<Principal>().cloned()
    }

    fn arrived_over_tls(&self) -> bool {
        self.extensions().get::<TlsConnection>().is_some()
    }

    fn attachments(&self) -> Option<Attachments> {
        self.extensions().get::<Attachments>().cloned()
    }
}

impl RequestView for http::request::Parts {
    fn method(&self) -> &str {
        self.method.as_str()
    }

    fn path(&self) -> &str {
        self.uri.path()
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }

    fn authority(&self) -> Option<&str> {
        match self.uri.authority() {
            Some(authority) => Some(authority.as_str()),
            None => host_of(self),
        }
    }

    fn header_values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a [u8]> + use<'a> {
        header_values_of(&self.headers, name)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        peer_of(&self.extensions)
    }

    fn context(&self) -> Option<RequestContext> {
        self.extensions.get::<RequestContext>().cloned()
    }

    fn principal(&self) -> Option<Principal> {
        self.extensions.get::<Principal>().cloned()
    }

    fn arrived_over_tls(&self) -> bool {
        self.extensions.get::<TlsConnection>().is_some()
    }

    fn attachments(&self) -> Option<Attachments> {
        self.extensions.get::<Attachments>().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> http::Request<()> {
        let mut req = http::Request::builder()
            .method("POST")
            .uri("/api/v1/users?page=2")
            .header("x-api-key", "a")
            .header("x-api-key", "b")
            .header("content-type", "application/json")
            .body(())
            .unwrap();
        req.extensions_mut()
            .insert(PeerAddr::new("192.0.2.1:4000".parse().unwrap()));
        req
    }

    #[test]
    fn views_of_request_and_parts_agree() {
        let req = request();
        let (parts, ()) = request().into_parts();
        fn summary(
            v: &impl RequestView,
        ) -> (
            String,
            String,
            Option<String>,
            Vec<Vec<u8>>,
            Option<SocketAddr>,
        ) {
            (
                v.method().to_owned(),
                v.path().to_owned(),
                v.query().map(str::to_owned),
                v.header_values("x-api-key").map(<[u8]>::to_vec).collect(),
                v.peer_addr(),
            )
        }
        assert_eq!(summary(&req), summary(&parts));
        assert_eq!(summary(&req).3, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(summary(&req).4, Some("192.0.2.1:4000".parse().unwrap()));
    }

    #[test]
    fn the_authority_is_the_targets_then_the_one_host() {
        let origin_form = http::Request::get("/x")
            .header("host", "api.example.com")
            .body(())
            .unwrap();
        assert_eq!(origin_form.authority(), Some("api.example.com"));
        // HTTP/2 (`:authority`) and absolute-form targets carry their own.
        let absolute = http::Request::get("https://api.example.com:8443/x")
            .header("host", "other.example")
            .body(())
            .unwrap();
        assert_eq!(absolute.authority(), Some("api.example.com:8443"));
        let (parts, ()) = absolute.into_parts();
        assert_eq!(parts.authority(), Some("api.example.com:8443"));
        let two_hosts = http::Request::get("/x")
            .header("host", "a.example")
            .header("host", "b.example")
            .body(())
            .unwrap();
        assert_eq!(two_hosts.authority(), None);
        assert_eq!(http::Request::get("/x").body(()).unwrap().authority(), None);
    }

    #[test]
    fn single_header_tells_absent_one_and_many_apart() {
        let req = request();
        assert_eq!(req.single_header("x-api-key"), Err(Ambiguous));
        assert_eq!(
            req.single_header("content-type"),
            Ok(Some(&b"application/json"[..]))
        );
        assert_eq!(req.single_header("authorization"), Ok(None));
        // A name that is not a valid header name is simply absent.
        assert_eq!(req.single_header("bad name"), Ok(None));
    }
}
