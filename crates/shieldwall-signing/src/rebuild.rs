//! The signature base of an entry over a request: the target URI's scheme
//! and authority as the policy says, then `base::build`.

use std::borrow::Cow;

use shieldwall_core::RequestView;

use crate::authority::normalize_authority;
use crate::base::{self, BaseError, Target};
use crate::component::Component;
use crate::input::SignatureInput;
use crate::select::parse_inputs;
use crate::sf::Inputs;
use crate::{Reason, Scheme, SignaturePolicy, SignatureRejection, fields};

fn base_error(error: BaseError) -> Reason {
    match error {
        BaseError::MissingHeader(_) => Reason::CoveredHeaderMissing,
        BaseError::MissingAuthority => Reason::MissingAuthority,
        BaseError::InvalidValue(_) => Reason::InvalidComponentValue,
    }
}

/// The scheme of the target URI: the policy's, else how the request arrived.
fn scheme_of<R: RequestView + ?Sized>(request: &R, policy: &SignaturePolicy) -> Scheme {
    policy.scheme.unwrap_or_else(|| {
        if request.arrived_over_tls() || request.context().is_some_and(|c| c.is_https()) {
            Scheme::Https
        } else {
            Scheme::Http
        }
    })
}

/// The authority: the policy's, else the request's own (HTTP/2
/// `:authority`, an absolute-form target, else the one `Host` header),
/// normalized.
fn authority_of<'a, R: RequestView + ?Sized>(
    request: &'a R,
    policy: &'a SignaturePolicy,
    scheme: Scheme,
) -> Result<Cow<'a, str>, Reason> {
    if let Some(authority) = policy.authority.as_deref() {
        return Ok(Cow::Borrowed(authority));
    }
    match request.authority() {
        Some(authority) => {
            normalize_authority(authority.as_bytes(), scheme).ok_or(Reason::InvalidComponentValue)
        }
        // Absent, repeated or not text.
        None => match request.single_header("host") {
            Ok(None) => Err(Reason::MissingAuthority),
            _ => Err(Reason::InvalidComponentValue),
        },
    }
}

/// The signature base of `input` over `request`, with where the value of
/// component `capture` is.
pub(crate) fn rebuild<R: RequestView + ?Sized>(
    request: &R,
    policy: &SignaturePolicy,
    input: &SignatureInput<'_>,
    capture: Option<usize>,
) -> Result<base::Base, Reason> {
    let scheme = scheme_of(request, policy);
    let authority = if input.components().iter().any(Component::needs_authority) {
        Some(authority_of(request, policy, scheme)?)
    } else {
        None
    };
    let target = Target {
        scheme,
        authority: authority.as_deref(),
    };
    base::build(
        request,
        &target,
        input.components(),
        input.signature_params(),
        capture,
    )
    .map_err(base_error)
}

/// The signature base that entry `label` of the request's `Signature-Input`
/// stands for, rebuilt as the verifier does (scheme and authority as
/// `policy` says), without checking the policy or any signature: for
/// debugging a client ("what did you sign?") and for test vectors.
pub fn signature_base<R: RequestView + ?Sized>(
    request: &R,
    policy: &SignaturePolicy,
    label: &str,
) -> Result<String, SignatureRejection> {
    let limit = policy.max_header_bytes;
    let inputs =
        fields::combined(request, "signature-input", limit)?.ok_or(Reason::SignatureMissing)?;
    let mut parsed = Inputs::default();
    parse_inputs(&inputs, &mut parsed)?;
    let input = parsed
        .iter()
        .find(|input| input.label == label)
        .ok_or(Reason::LabelMissing)?;
    input.problem()?;
    Ok(rebuild(request, policy, input, None)?.text)
}
