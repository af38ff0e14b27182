#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]

mod attachments;
mod body;
mod body_guard;
mod bulkhead;
mod client_ip;
mod clock;
mod context;
mod credential;
mod de;
mod decimal;
mod field;
mod guard;
mod json_scan;
mod observe;
mod one_of;
mod params;
mod preflight;
mod principal;
mod request_id;
mod scope;
mod scopes;
mod secret;
mod stack;
mod store;
pub mod telemetry;
mod throttle;
mod time;
mod version;
mod view;

pub use attachments::Attachments;
pub use body::{
    BodyConfigError, BodyPolicy, BodyPolicyBuilder, DEFAULT_BODY_LIMIT, DEFAULT_MAX_DEPTH,
    MAX_DEPTH, body_too_large, body_unreadable,
};
pub use body_guard::BodyGuard;
pub use bulkhead::Bulkhead;
pub use client_ip::{
    ClientIpConfigError, ClientIpResolver, ClientIpResolverBuilder, ForwardedHeader, IpGrouping,
    TrustedProxies, normalize as normalize_ip,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use context::{
    Perimeter, RequestContext, ResponseHeaderPolicy, ResponsePlan, is_body_header, panic_error,
};
pub use credential::{CredentialGuard, OrAnonymous};
pub use decimal::Decimal;
pub use field::{MAX_FIELD_NAME, UNNAMED_FIELD, field_error, field_name, field_path};
pub use guard::{
    Completion, Decision, Grant, Guard, Step, append_headers, append_headers_from,
    fill_missing_from, run_guard,
};
pub use observe::{
    Answered, MAX_OBSERVED_USER_AGENT, Observation, Refusal, RequestObserver, RequestSummary,
    RouteTemplate,
};
pub use one_of::{OneOf, OneOfInput};
pub use params::{
    api_key_principal, api_key_principal_of, claims_of, optional_claims_of, path_not_found,
    principal_of,
};
pub use preflight::is_cors_preflight;
pub use principal::{Credential, Principal, PrincipalKind, is_scope_token};
pub use request_id::{MAX_REQUEST_ID_LEN, REQUEST_ID_HEADER, RequestId};
pub use scope::{PathPrefix, ScopeConfigError, Scoped};
pub use scopes::{InsufficientScope, ScopeError, Scopes, ScopesIter};
pub use secret::{MAX_RANDOM_SECRET, MIN_RANDOM_SECRET, RandomSecretError, Secret};
pub use stack::{Guards, Links, Nil, StackLen, Then, ThenBody, Wrapper};
pub use store::StoreError;
pub use throttle::LogThrottle;
pub use time::{civil_from_days, imf_fixdate, rfc3339};
pub use version::Version;
pub use view::{Ambiguous, PeerAddr, RequestView, TlsConnection};

/// What a [`BodyPolicy`] does with NoSQL operator and prototype keys
/// (shieldwall-sanitize's, re-exported).
pub use shieldwall_sanitize::KeyPolicy;

/// The error vocabulary, re-exported.
pub use shieldwall_errors as errors;
pub use shieldwall_errors::{ApiError, ErrorCode};
