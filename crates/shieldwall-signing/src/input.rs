//! One `Signature-Input` entry: its covered components and its signature
//! parameters (RFC 9421 sections 2.3 and 4.1), checked for shape as it is
//! read (`sf.rs` feeds it) and against the policy in `select.rs`.

use std::borrow::Cow;

use sfv::{BareItemFromInput, KeyRef, RefBareItem};

use crate::component::Component;
use crate::few::Few;
use crate::params;
use crate::sf::has_repeats;
use crate::{Algorithm, Reason};

/// The shortest nonce accepted (a random 96-bit value in base64url has 16 characters).
pub const MIN_NONCE_LEN: usize = 16;
/// The longest nonce accepted.
pub const MAX_NONCE_LEN: usize = 128;

/// The most components one signature may cover.
const MAX_COMPONENTS: usize = 64;

/// Components and parameter names held without an allocation (more spill to the heap).
const INLINE: usize = 8;

/// The registered parameters.
#[derive(Debug, Default)]
struct Registered<'de> {
    created: Option<i64>,
    expires: Option<i64>,
    key_id: Option<Cow<'de, str>>,
    nonce: Option<Cow<'de, str>>,
    alg: Option<Cow<'de, str>>,
    tag: Option<Cow<'de, str>>,
}

/// A `Signature-Input` entry as read: its components, its registered
/// parameters, and the value of `@signature-params` (the inner list and
/// every parameter, serialized as they are read). Borrows from the header.
///
/// Its shape is checked as it is read, in this order: an inner list (of at
/// most 64 items) of distinct, supported component names as strings without
/// parameters; then registered parameters of the registered types, none
/// twice. The first problem is kept ([`SignatureInput::problem`]).
#[derive(Debug)]
pub(crate) struct SignatureInput<'de> {
    pub(crate) label: &'de str,
    components: Few<Component<'de>, INLINE>,
    keys: Few<&'de str, INLINE>,
    registered: Registered<'de>,
    signature_params: String,
    items: usize,
    problem: Option<Reason>,
    ill_typed: bool,
}

/// Sets `slot` to `value`: whether the parameter had its registered type.
fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    *slot = value;
    slot.is_some()
}

/// A string parameter's value, borrowed unless it had escapes.
fn string<'de>(value: BareItemFromInput<'de>) -> Option<Cow<'de, str>> {
    match value {
        BareItemFromInput::String(Cow::Borrowed(text)) => Some(Cow::Borrowed(text.as_str())),
        BareItemFromInput::String(Cow::Owned(text)) => Some(Cow::Owned(text.into())),
        _ => None,
    }
}

impl<'de> SignatureInput<'de> {
    /// A member `label` not read yet: not an inner list until
    /// [`SignatureInput::start_list`].
    pub(crate) fn new(label: &'de KeyRef) -> Self {
        Self {
            label: label.as_str(),
            components: Few::new(&Component::Method),
            keys: Few::new(&""),
            registered: Registered::default(),
            signature_params: String::new(),
            items: 0,
            problem: Some(Reason::MalformedSignatureInput),
            ill_typed: false,
        }
    }

    /// The member is an inner list.
    pub(crate) fn start_list(&mut self) {
        self.problem = None;
        self.signature_params = String::with_capacity(192);
        self.signature_params.push('(');
    }

    /// The next item of the list: `name` when it is a string without
    /// escapes, and whether it has parameters (`;sf`, `;key`, `;bs`, `;req`,
    /// `;tr`, `;name`: not derived here).
    pub(crate) fn push_component(&mut self, name: Option<&'de str>, has_params: bool) {
        self.items = self.items.saturating_add(1);
        if self.problem.is_some() || self.items > MAX_COMPONENTS {
            return;
        }
        let Some(name) = name else {
            self.problem = Some(Reason::MalformedSignatureInput);
            return;
        };
        if has_params {
            self.problem = Some(Reason::UnsupportedComponent);
            return;
        }
        match Component::parse(name) {
            Err(not) => self.problem = Some(not.into()),
            Ok(component) if self.components.as_slice().contains(&component) => {
                self.problem = Some(Reason::DuplicateComponent);
            }
            Ok(component) => {
                if self.items > 1 {
                    self.signature_params.push(' ');
                }
                params::push_identifier(&mut self.signature_params, component.name());
                self.components.push(component);
            }
        }
    }

    /// The items are read; the parameters follow.
    pub(crate) fn end_items(&mut self) {
        self.signature_params.push(')');
    }

    /// The next parameter of the list.
    pub(crate) fn push_param(&mut self, key: &'de KeyRef, value: BareItemFromInput<'de>) {
        if self.problem.is_some() {
            return;
        }
        params::push_param(&mut self.signature_params, key, RefBareItem::from(&value));
        self.keys.push(key.as_str());
        let registered = &mut self.registered;
        let integer = || value.as_integer().map(i64::from).filter(|i| *i >= 0);
        let well_typed = match key.as_str() {
            "created" => set(&mut registered.created, integer()),
            "expires" => set(&mut registered.expires, integer()),
            "keyid" => set(&mut registered.key_id, string(value)),
            "nonce" => set(&mut registered.nonce, string(value)),
            "alg" => set(&mut registered.alg, string(value)),
            "tag" => set(&mut registered.tag, string(value)),
            // Unregistered parameters are signed like the others.
            _ => true,
        };
        self.ill_typed |= !well_typed;
    }

    /// The list and its parameters are read: checks the count and the parameters.
    pub(crate) fn finish_list(&mut self) {
        if self.items > MAX_COMPONENTS {
            self.problem = Some(Reason::MalformedSignatureInput);
        }
        if self.problem.is_none()
            && (self.ill_typed || has_repeats(self.keys.as_slice().iter().copied()))
        {
            self.problem = Some(Reason::MalformedSignatureInput);
        }
    }

    /// The first problem of shape, if any.
    pub(crate) fn problem(&self) -> Result<(), Reason> {
        self.problem.map_or(Ok(()), Err)
    }

    /// The covered components, in their order.
    pub(crate) fn components(&self) -> &[Component<'de>] {
        self.components.as_slice()
    }

    /// The value of `@signature-params`: `("@method" ...);created=...`.
    pub(crate) fn signature_params(&self) -> &str {
        &self.signature_params
    }

    /// `created`, in seconds since the epoch.
    pub(crate) fn created(&self) -> Option<i64> {
        self.registered.created
    }

    /// `expires`, in seconds since the epoch.
    pub(crate) fn expires(&self) -> Option<i64> {
        self.registered.expires
    }

    /// `keyid`.
    pub(crate) fn key_id(&self) -> Option<&str> {
        self.registered.key_id.as_deref()
    }

    /// `nonce`.
    pub(crate) fn nonce(&self) -> Option<&str> {
        self.registered.nonce.as_deref()
    }

    /// `tag`.
    pub(crate) fn tag(&self) -> Option<&str> {
        self.registered.tag.as_deref()
    }

    /// `alg`: `Ok(None)` when absent, `Err` when present and not one of ours.
    pub(crate) fn algorithm(&self) -> Result<Option<Algorithm>, Reason> {
        match self.registered.alg.as_deref() {
            None => Ok(None),
            Some(name) => Algorithm::from_name(name)
                .map(Some)
                .ok_or(Reason::WrongAlgorithm),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sf::{Inputs, parse_inputs};

    fn parse(text: &str) -> Result<SignatureInput<'_>, Reason> {
        let mut inputs = Inputs::default();
        parse_inputs(text.as_bytes(), &mut inputs).unwrap();
        let input = inputs.into_iter().next().unwrap();
        input.problem().map(|()| input)
    }

    #[test]
    fn a_well_formed_entry_reads_back() {
        let input = parse(
            r#"sig1=("@method" "content-type");created=1;expires=2;keyid="k";nonce="n";alg="ed25519";tag="t";x=?1"#,
        )
        .unwrap();
        assert_eq!(input.label, "sig1");
        assert_eq!(input.components().len(), 2);
        assert_eq!(input.created(), Some(1));
        assert_eq!(input.expires(), Some(2));
        assert_eq!(input.key_id(), Some("k"));
        assert_eq!(input.nonce(), Some("n"));
        assert_eq!(input.tag(), Some("t"));
        assert_eq!(input.algorithm(), Ok(Some(Algorithm::Ed25519)));
        assert_eq!(
            input.signature_params(),
            r#"("@method" "content-type");created=1;expires=2;keyid="k";nonce="n";alg="ed25519";tag="t";x"#
        );
    }

    #[test]
    fn many_components_and_parameters_spill_in_order() {
        let names: Vec<String> = (0..20).map(|i| format!("\"x-{i}\"")).collect();
        let params: String = (0..20).map(|i| format!(";p{i}={i}")).collect();
        let text = format!("sig1=({}){params};nonce=\"n\"", names.join(" "));
        let input = parse(&text).unwrap();
        let got: Vec<&str> = input.components().iter().map(Component::name).collect();
        let want: Vec<String> = (0..20).map(|i| format!("x-{i}")).collect();
        assert_eq!(got, want);
        assert_eq!(
            input.signature_params(),
            text.strip_prefix("sig1=").unwrap()
        );
        assert_eq!(input.nonce(), Some("n"));
        let escaped = parse(r#"sig1=();keyid="a\\b";nonce="c\"d""#).unwrap();
        assert_eq!(escaped.key_id(), Some(r"a\b"));
        assert_eq!(escaped.nonce(), Some(r#"c"d"#));
        assert_eq!(
            escaped.signature_params(),
            r#"();keyid="a\\b";nonce="c\"d""#
        );
        let too_many: Vec<String> = (0..65).map(|i| format!("\"x-{i}\"")).collect();
        assert_eq!(
            parse(&format!("sig1=({} \"@status\")", too_many.join(" "))).unwrap_err(),
            Reason::MalformedSignatureInput
        );
    }

    #[test]
    fn shapes_outside_the_rfc_are_refused_with_their_reason() {
        for (text, reason) in [
            (r#"sig1="@method""#, Reason::MalformedSignatureInput),
            (r#"sig1"#, Reason::MalformedSignatureInput),
            (r#"sig1=(method)"#, Reason::MalformedSignatureInput),
            (r#"sig1=(1)"#, Reason::MalformedSignatureInput),
            (r#"sig1=("a\\b")"#, Reason::MalformedSignatureInput),
            (r#"sig1=("@method" "@method")"#, Reason::DuplicateComponent),
            (r#"sig1=("content-type";sf)"#, Reason::UnsupportedComponent),
            (r#"sig1=("@status")"#, Reason::UnsupportedComponent),
            (r#"sig1=("@status" 1)"#, Reason::UnsupportedComponent),
            (r#"sig1=(1 "@status")"#, Reason::MalformedSignatureInput),
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
