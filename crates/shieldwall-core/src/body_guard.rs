//! Guards that read the request body as well as its head (signatures over
//! `Content-Digest`): the adapters buffer the body up to the guard's limit,
//! run it, and hand the same bytes on to the handler.

use std::future::Future;
use std::num::NonZeroUsize;

use bytes::Bytes;

use crate::{Decision, RequestView, Step};

/// A [`Guard`](crate::Guard) that also sees the raw body bytes.
///
/// The adapters call [`BodyGuard::precheck`] on the head first (a request
/// without the guard's headers is refused before its body is read), then
/// buffer at most [`BodyGuard::body_limit`] bytes (a longer body is 413
/// `PAYLOAD_TOO_LARGE`), call [`BodyGuard::extract`] with the head and the
/// bytes, and run [`BodyGuard::decide`]. The handler gets the very bytes the
/// guard checked.
pub trait BodyGuard: Send + Sync + 'static {
    /// What `extract` hands to `decide`: owned, `Send`.
    type Input: Send + 'static;

    /// The most body bytes buffered for this guard.
    fn body_limit(&self) -> NonZeroUsize;

    /// Answers from the head alone, before any body byte is read (for
    /// example, a missing signature). `None` reads the body.
    fn precheck<R: RequestView + ?Sized>(&self, request: &R) -> Option<Decision> {
        let _ = request;
        None
    }

    /// Reads the head and the body. Synchronous and borrowing.
    fn extract<R: RequestView + ?Sized>(&self, request: &R, body: &Bytes) -> Step<Self::Input>;

    /// Decides (key lookups, replay stores). The future is `Send`.
    fn decide(&self, input: Self::Input) -> impl Future<Output = Decision> + Send;

    /// What this guard is, for the span of its decisions (see
    /// [`Guard::describe`](crate::Guard::describe)).
    fn describe(&self) -> crate::telemetry::GuardInfo<'_> {
        crate::telemetry::GuardInfo::new("custom")
    }
}
