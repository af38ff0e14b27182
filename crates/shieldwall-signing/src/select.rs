//! Which `Signature-Input` entry is verified, and the policy checks that
//! need no store.

use crate::input::{MAX_NONCE_LEN, MIN_NONCE_LEN, SignatureInput};
use crate::sf::{self, ByteMembers, Inputs, has_repeats};
use crate::{Reason, SignaturePolicy};

/// Parses `Signature-Input` into `inputs` and refuses a label given twice.
pub(crate) fn parse_inputs<'de>(value: &'de [u8], inputs: &mut Inputs<'de>) -> Result<(), Reason> {
    sf::parse_inputs(value, inputs).map_err(|_| Reason::MalformedSignatureInput)?;
    if inputs.is_empty() {
        return Err(Reason::MalformedSignatureInput);
    }
    if has_repeats(inputs.iter().map(|input| input.label)) {
        return Err(Reason::DuplicateLabel);
    }
    Ok(())
}

/// Parses `Signature` and refuses a label given twice.
pub(crate) fn parse_signatures(value: &[u8]) -> Result<ByteMembers<'_>, Reason> {
    let signatures = sf::parse_byte_members(value).map_err(|_| Reason::MalformedSignature)?;
    if signatures.is_empty() {
        return Err(Reason::MalformedSignature);
    }
    if has_repeats(signatures.iter().map(|(k, _)| k.as_str())) {
        return Err(Reason::DuplicateLabel);
    }
    Ok(signatures)
}

/// The entry to verify: the configured label's; else the only one; else the
/// one entry, among several, that meets the policy.
pub(crate) fn select<'a, 'de>(
    inputs: &'a Inputs<'de>,
    policy: &SignaturePolicy,
    now: i64,
) -> Result<&'a SignatureInput<'de>, Reason> {
    if let Some(label) = policy.label.as_deref() {
        let input = inputs
            .iter()
            .find(|input| input.label == label)
            .ok_or(Reason::LabelMissing)?;
        input.problem()?;
        check_policy(input, policy, now)?;
        return Ok(input);
    }
    if inputs.len() == 1 {
        let input = inputs
            .iter()
            .next()
            .ok_or(Reason::MalformedSignatureInput)?;
        input.problem()?;
        check_policy(input, policy, now)?;
        return Ok(input);
    }
    let mut chosen = None;
    for input in inputs.iter() {
        if input.problem().is_ok() && check_policy(input, policy, now).is_ok() {
            if chosen.is_some() {
                return Err(Reason::AmbiguousSignature);
            }
            chosen = Some(input);
        }
    }
    chosen.ok_or(Reason::NoAcceptableSignature)
}

/// The policy checks that need no store.
fn check_policy(
    input: &SignatureInput<'_>,
    policy: &SignaturePolicy,
    now: i64,
) -> Result<(), Reason> {
    if !policy
        .required
        .iter()
        .all(|required| input.components().contains(required))
    {
        return Err(Reason::ComponentsMissing);
    }
    let created = input.created().ok_or(Reason::MissingCreated)?;
    let window = i64::try_from(policy.window.as_secs()).unwrap_or(i64::MAX);
    if now.saturating_sub(created) > window {
        return Err(Reason::CreatedTooOld);
    }
    if created.saturating_sub(now) > window {
        return Err(Reason::CreatedInFuture);
    }
    if let Some(expires) = input.expires() {
        if expires <= now {
            return Err(Reason::Expired);
        }
        if expires < created {
            return Err(Reason::MalformedSignatureInput);
        }
    }
    if input.key_id().is_none_or(str::is_empty) {
        return Err(Reason::MissingKeyId);
    }
    let nonce = input.nonce().ok_or(Reason::MissingNonce)?;
    if !(MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len()) {
        return Err(Reason::MalformedNonce);
    }
    if let Some(algorithm) = input.algorithm()?
        && !policy.allows(algorithm)
    {
        return Err(Reason::WrongAlgorithm);
    }
    if let Some(tag) = policy.tag.as_deref()
        && input.tag() != Some(tag)
    {
        return Err(Reason::WrongTag);
    }
    Ok(())
}

/// The signature bytes of `label`.
pub(crate) fn signature_of(signatures: ByteMembers<'_>, label: &str) -> Result<Vec<u8>, Reason> {
    signatures
        .into_iter()
        .find(|(k, _)| k.as_str() == label)
        .and_then(|(_, bytes)| bytes)
        .ok_or(Reason::MalformedSignature)
}
