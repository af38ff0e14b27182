//! The policy as a guard: decided entirely in `extract`.

use http::header::VARY;
use shieldwall_core::{Decision, Grant, Guard, RequestView, Step, Version};
use shieldwall_errors::Rejection;

use crate::VersionPolicy;

impl VersionPolicy {
    /// The decision for `request`, without the guard machinery:
    ///
    /// - a supported version: continue, with the [`Version`] attached, the
    ///   deprecation headers of a deprecated version, and `Vary` under a
    ///   header or media type source;
    /// - a path source and an unversioned path: continue untouched;
    /// - otherwise: the [`VersionRejected`](crate::VersionRejected) as a
    ///   problem+json rejection.
    #[must_use]
    pub fn decision_for<R: RequestView + ?Sized>(&self, request: &R) -> Decision {
        match self.resolve(request) {
            Ok(Some(version)) => Decision::allow(self.grant(version)),
            Ok(None) => Decision::pass(),
            Err(rejected) => Decision::Reject(rejected.into_api_error()),
        }
    }

    fn grant(&self, version: Version) -> Grant {
        let mut grant = Grant::new().with_attachment(version);
        if let Some(entry) = self.entry(version) {
            for (name, value) in &entry.headers {
                grant = grant.with_header(name.clone(), value.clone());
            }
        }
        if let Some(vary) = self.vary() {
            grant = grant.with_header(VARY, vary.clone());
        }
        grant
    }
}

impl Guard for VersionPolicy {
    fn describe(&self) -> shieldwall_core::telemetry::GuardInfo<'_> {
        shieldwall_core::telemetry::GuardInfo::new("version")
    }

    type Input = ();

    fn extract<R: RequestView + ?Sized>(&self, request: &R) -> Step<()> {
        Step::Done(self.decision_for(request))
    }

    /// Never reached: [`Guard::extract`] always decides.
    async fn decide(&self, _input: ()) -> Decision {
        Decision::pass()
    }
}
