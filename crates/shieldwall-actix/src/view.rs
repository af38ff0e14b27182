//! `RequestView` over actix-web's request.

use std::net::SocketAddr;

use actix_web::HttpMessage;
use actix_web::HttpRequest;
use shieldwall_core::{Attachments, Principal, RequestContext, RequestView, TlsConnection};

/// An actix-web request seen through shieldwall's [`RequestView`].
// Exhaustive on purpose: a newtype users build around a request.
#[allow(clippy::exhaustive_structs)]
#[derive(Clone, Copy, Debug)]
pub struct ActixView<'a>(pub &'a HttpRequest);

impl<'v> RequestView for ActixView<'v> {
    fn method(&self) -> &str {
        self.0.method().as_str()
    }

    fn path(&self) -> &str {
        self.0.uri().path()
    }

    fn query(&self) -> Option<&str> {
        self.0.uri().query()
    }

    fn authority(&self) -> Option<&str> {
        match self.0.uri().authority() {
            Some(authority) => Some(authority.as_str()),
            None => self
                .single_header("host")
                .ok()
                .flatten()
                .and_then(|host| std::str::from_utf8(host).ok()),
        }
    }

    // Captures exactly what the trait captures (`'b` and `Self`, that is `'v`);
    // spelled with the named lifetime because `Self` cannot be named here.
    #[allow(refining_impl_trait)]
    fn header_values<'b>(&'b self, name: &str) -> impl Iterator<Item = &'b [u8]> + use<'b, 'v> {
        self.0
            .headers()
            .get_all(name)
            .map(actix_web::http::header::HeaderValue::as_bytes)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.0.peer_addr()
    }

    fn context(&self) -> Option<RequestContext> {
        self.0.extensions().get::<RequestContext>().cloned()
    }

    fn principal(&self) -> Option<Principal> {
        self.0.extensions().get::<Principal>().cloned()
    }

    /// TLS on actix-web's own listener (`HttpServer::listen_rustls*`), or a
    /// [`TlsConnection`] a connection hook inserted.
    fn arrived_over_tls(&self) -> bool {
        self.0.app_config().secure() || self.0.conn_data::<TlsConnection>().is_some()
    }

    fn attachments(&self) -> Option<Attachments> {
        self.0.extensions().get::<Attachments>().cloned()
    }
}
