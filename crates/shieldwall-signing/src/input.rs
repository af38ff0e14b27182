//! One `Signature-Input` entry: its covered components and its signature
//! parameters (RFC 9421 sections 2.3 and 4.1), checked for shape here and
//! against the policy in `verify.rs`.

use std::borrow::Cow;

use sfv::{BareItemFromInput, KeyRef, RefBareItem};

use crate::component::Component;
use crate::sf::{Params, RawMember, has_repeats};
use crate::{Algorithm, Reason};

/// The shortest nonce accepted (a random 96-bit value in base64url has 16 characters).
pub const MIN_NONCE_LEN: usize = 16;
/// The longest nonce accepted.
pub const MAX_NONCE_LEN: usize = 128;

/// The most components one signature may cover.
const MAX_COMPONENTS: usize = 64;

/// A parsed `Signature-Input` entry; parameters borrow from the header.
#[derive(Debug)]
pub(crate) struct SignatureInput<'de> {
    pub(crate) label: &'de str,
    pub(crate) components: Vec<Component<'de>>,
    params: Params<'de>,
}

fn string<'a>(value: &'a BareItemFromInput<'_>) -> Option<&'a str> {
    value.as_string().map(sfv::StringRef::as_str)
}

impl<'de> SignatureInput<'de> {
    /// Checks the shape of an entry: an inner list of distinct, supported
    /// component names without parameters; registered parameters of the
    /// registered types, none twice.
    pub(crate) fn from_raw(label: &'de KeyRef, member: RawMember<'de>) -> Result<Self, Reason> {
        let RawMember::InnerList { items, params } = member else {
            return Err(Reason::MalformedSignatureInput);
        };
        if items.len() > MAX_COMPONENTS {
            return Err(Reason::MalformedSignatureInput);
        }
        let mut components: Vec<Component<'de>> = Vec::with_capacity(items.len());
        for item in items {
            let name = match item.value {
                BareItemFromInput::String(Cow::Borrowed(name)) => name.as_str(),
                // An escape (`\\` or `\"`) is never in a component name.
                BareItemFromInput::String(Cow::Owned(_)) => {
                    return Err(Reason::MalformedSignatureInput);
                }
                _ => return Err(Reason::MalformedSignatureInput),
            };
            if !item.params.is_empty() {
                // `;sf`, `;key`, `;bs`, `;req`, `;tr`, `;name`: not derived here.
                return Err(Reason::UnsupportedComponent);
            }
            let component = Component::parse(name).map_err(Reason::from)?;
            if components.contains(&component) {
                return Err(Reason::DuplicateComponent);
            }
            components.push(component);
        }
        if has_repeats(params.iter().map(|(k, _)| k.as_str())) {
            return Err(Reason::MalformedSignatureInput);
        }
        for (key, value) in &params {
            let well_typed = match key.as_str() {
                "created" | "expires" => value.as_integer().is_some_and(|i| i64::from(i) >= 0),
                "keyid" | "nonce" | "alg" | "tag" => value.as_string().is_some(),
                // Unregistered parameters are signed like the others.
                _ => true,
            };
            if !well_typed {
                return Err(Reason::MalformedSignatureInput);
            }
        }
        Ok(Self {
            label: label.as_str(),
            components,
            params,
        })
    }

    fn param(&self, name: &str) -> Option<&BareItemFromInput<'de>> {
        self.params
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v)
    }

    /// `created`, in seconds since the epoch.
    pub(crate) fn created(&self) -> Option<i64> {
        self.param("created")?.as_integer().map(i64::from)
    }

    /// `expires`, in seconds since the epoch.
    pub(crate) fn expires(&self) -> Option<i64> {
        self.param("expires")?.as_integer().map(i64::from)
    }

    /// `keyid`.
    pub(crate) fn key_id(&self) -> Option<&str> {
        self.param("keyid").and_then(string)
    }

    /// `nonce`.
    pub(crate) fn nonce(&self) -> Option<&str> {
        self.param("nonce").and_then(string)
    }

    /// `tag`.
    pub(crate) fn tag(&self) -> Option<&str> {
        self.param("tag").and_then(string)
    }

    /// `alg`: `Ok(None)` when absent, `Err` when present and not one of ours.
    pub(crate) fn algorithm(&self) -> Result<Option<Algorithm>, Reason> {
        match self.param("alg").and_then(string) {
            None => Ok(None),
            Some(name) => Algorithm::from_name(name)
                .map(Some)
                .ok_or(Reason::WrongAlgorithm),
        }
    }

    /// The parameters, in their order, for serialization.
    pub(crate) fn params(&self) -> impl Iterator<Item = (&KeyRef, RefBareItem<'_>)> {
        self.params
            .iter()
            .map(|(key, value)| (*key, RefBareItem::from(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sf::parse_dictionary;

    fn parse(text: &str) -> Result<SignatureInput<'_>, Reason> {
        let mut dict = parse_dictionary(text.as_bytes()).unwrap();
        let (label, member) = dict.remove(0);
        SignatureInput::from_raw(label, member)
    }

    #[test]
    fn a_well_formed_entry_reads_back() {
        let input = parse(
            r#"sig1=("@method" "content-type");created=1;expires=2;keyid="k";nonce="n";alg="ed25519";tag="t";x=?1"#,
        )
        .unwrap();
        assert_eq!(input.label, "sig1");
        assert_eq!(input.components.len(), 2);
        assert_eq!(input.created(), Some(1));
        assert_eq!(input.expires(), Some(2));
        assert_eq!(input.key_id(), Some("k"));
        assert_eq!(input.nonce(), Some("n"));
        assert_eq!(input.tag(), Some("t"));
        assert_eq!(input.algorithm(), Ok(Some(Algorithm::Ed25519)));
        assert_eq!(input.params().count(), 7);
    }

    #[test]
    fn shapes_outside_the_rfc_are_refused_with_their_reason() {
        for (text, reason) in [
            (r#"sig1="@method""#, Reason::MalformedSignatureInput),
            (r#"sig1=(method)"#, Reason::MalformedSignatureInput),
            (r#"sig1=(1)"#, Reason::MalformedSignatureInput),
            (r#"sig1=("@method" "@method")"#, Reason::DuplicateComponent),
            (r#"sig1=("content-type";sf)"#, Reason::UnsupportedComponent),
            (r#"sig1=("@status")"#, Reason::UnsupportedComponent),
            (r#"sig1=("Content-Type")"#, Reason::MalformedSignatureInput),
            (
                r#"sig1=();created=1;created=2"#,
                Reason::MalformedSignatureInput,
            ),
            (r#"sig1=();created="1""#, Reason::MalformedSignatureInput),
            (r#"sig1=();created=-1"#, Reason::MalformedSignatureInput),
            (r#"sig1=();keyid=k"#, Reason::MalformedSignatureInput),
        ] {
            assert_eq!(parse(text).unwrap_err(), reason, "{text}");
        }
        assert_eq!(
            parse(r#"sig1=();alg="rsa-pss-sha512""#)
                .unwrap()
                .algorithm(),
            Err(Reason::WrongAlgorithm)
        );
    }
}
