//! Which `Signature-Input` entry is verified, and the policy checks that
//! need no store.

use crate::input::{MAX_NONCE_LEN, MIN_NONCE_LEN, SignatureInput};
use crate::sf::{self, RawMember, has_repeats};
use crate::{Reason, SignaturePolicy};

/// Parses a dictionary of signatures and refuses a label given twice.
pub(crate) fn parse_labels(
    value: &[u8],
    malformed: Reason,
) -> Result<sf::RawDictionary<'_>, Reason> {
    let entries = sf::parse_dictionary(value).map_err(|_| malformed)?;
    if entries.is_empty() {
        return Err(malformed);
    }
    if has_repeats(entries.iter().map(|(k, _)| k.as_str())) {
        return Err(Reason::DuplicateLabel);
    }
    Ok(entries)
}

/// The entry to verify: the configured label's; else the only one; else the
/// one entry, among several, that meets the policy.
pub(crate) fn select<'de>(
    inputs: sf::RawDictionary<'de>,
    policy: &SignaturePolicy,
    now: i64,
) -> Result<SignatureInput<'de>, Reason> {
    if let Some(label) = policy.label.as_deref() {
        let (key, member) = inputs
            .into_iter()
            .find(|(k, _)| k.as_str() == label)
            .ok_or(Reason::LabelMissing)?;
        let input = SignatureInput::from_raw(key, member)?;
        check_policy(&input, policy, now)?;
        return Ok(input);
    }
    if inputs.len() == 1 {
        let mut inputs = inputs;
        let (key, member) = inputs.pop().ok_or(Reason::MalformedSignatureInput)?;
        let input = SignatureInput::from_raw(key, member)?;
        check_policy(&input, policy, now)?;
        return Ok(input);
    }
    let mut chosen = None;
    for (key, member) in inputs {
        let Ok(input) = SignatureInput::from_raw(key, member) else {
            continue;
        };
        if check_policy(&input, policy, now).is_ok() {
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
        .all(|required| input.components.contains(required))
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
pub(crate) fn signature_of(
    signatures: sf::RawDictionary<'_>,
    label: &str,
) -> Result<Vec<u8>, Reason> {
    let (_, member) = signatures
        .into_iter()
        .find(|(k, _)| k.as_str() == label)
        .ok_or(Reason::MalformedSignature)?;
    match member {
        RawMember::Item(item) => match item.value {
            sfv::GenericBareItem::ByteSequence(bytes) => Ok(bytes),
            _ => Err(Reason::MalformedSignature),
        },
        RawMember::InnerList { .. } => Err(Reason::MalformedSignature),
    }
}
