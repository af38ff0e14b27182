//! RFC 9651 dictionaries read with `sfv`'s visitors, straight into what the
//! verifier needs, keeping every member and every parameter key in order,
//! repeats included, so that the caller can refuse a repeated label or
//! parameter (RFC 9651 would silently keep the last one, which could let a
//! second, weaker entry win). For the usual single member, nothing is
//! allocated but the byte sequences `sfv` decodes and the serialized
//! `@signature-params` of a `Signature-Input` entry.

use std::borrow::Cow;
use std::convert::Infallible;

use sfv::visitor::{
    DictionaryVisitor, EntryVisitor, Ignored, InnerListVisitor, ItemVisitor, ParameterVisitor,
};
use sfv::{BareItemFromInput, KeyRef};

use crate::few::OneOrMore;
use crate::input::SignatureInput;

/// A dictionary whose members should be byte sequences (`Signature`,
/// `Content-Digest`): each key with its bytes, or `None` when the member is
/// anything else (another type, an inner list). Parameters are ignored.
pub(crate) type ByteMembers<'de> = OneOrMore<(&'de KeyRef, Option<Vec<u8>>)>;

/// The members of `Signature-Input`, each read and checked for shape.
pub(crate) type Inputs<'de> = OneOrMore<SignatureInput<'de>>;

/// Parses `input` as a dictionary of byte sequences. Syntax errors are
/// errors; repeats and other types are not.
pub(crate) fn parse_byte_members(input: &[u8]) -> Result<ByteMembers<'_>, sfv::Error> {
    sfv::Parser::new(input).parse_dictionary_with_visitor(Bytes(OneOrMore::default()))
}

/// Parses `input` as `Signature-Input` into `inputs` (in place: an input is
/// large). Syntax errors are errors; a member of the wrong shape is kept
/// with its problem (see [`SignatureInput`]).
pub(crate) fn parse_inputs<'de>(
    input: &'de [u8],
    inputs: &mut Inputs<'de>,
) -> Result<(), sfv::Error> {
    sfv::Parser::new(input).parse_dictionary_with_visitor(InputsVisitor(inputs))
}

/// Whether some key appears twice among `keys` (few keys: a quadratic scan
/// costs less than a set).
pub(crate) fn has_repeats<'a>(keys: impl Iterator<Item = &'a str> + Clone) -> bool {
    keys.clone()
        .enumerate()
        .any(|(i, key)| keys.clone().skip(i + 1).any(|other| other == key))
}

struct Bytes<'de>(ByteMembers<'de>);

impl<'de> DictionaryVisitor<'de> for Bytes<'de> {
    type Out = ByteMembers<'de>;
    type Error = Infallible;

    fn entry(&mut self, key: &'de KeyRef) -> Result<impl EntryVisitor<'de>, Self::Error> {
        self.0.push((key, None));
        Ok(self.0.last_mut().map(|(_, value)| BytesEntry(value)))
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        Ok(self.0)
    }
}

struct BytesEntry<'a>(&'a mut Option<Vec<u8>>);

impl<'de> EntryVisitor<'de> for BytesEntry<'_> {
    type Error = Infallible;

    fn item(self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        Ok(self)
    }

    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Self::Error> {
        Ok(Ignored)
    }
}

impl<'de> ItemVisitor<'de> for BytesEntry<'_> {
    type Out = ();
    type Error = Infallible;

    fn bare_item(
        self,
        value: BareItemFromInput<'de>,
    ) -> Result<impl ParameterVisitor<'de, Out = Self::Out>, Self::Error> {
        if let BareItemFromInput::ByteSequence(bytes) = value {
            *self.0 = Some(bytes);
        }
        Ok(Ignored)
    }
}

struct InputsVisitor<'a, 'de>(&'a mut Inputs<'de>);

impl<'de> DictionaryVisitor<'de> for InputsVisitor<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn entry(&mut self, key: &'de KeyRef) -> Result<impl EntryVisitor<'de>, Self::Error> {
        self.0.push(SignatureInput::new(key));
        Ok(self.0.last_mut().map(Input))
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        Ok(())
    }
}

/// The member being read.
struct Input<'a, 'de>(&'a mut SignatureInput<'de>);

impl<'de> EntryVisitor<'de> for Input<'_, 'de> {
    type Error = Infallible;

    fn item(self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        // Not an inner list: the member keeps its problem.
        Ok(Ignored)
    }

    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Self::Error> {
        self.0.start_list();
        Ok(self)
    }
}

impl<'de> InnerListVisitor<'de> for Input<'_, 'de> {
    type Error = Infallible;

    fn item(&mut self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        Ok(ComponentItem {
            input: &mut *self.0,
            name: None,
            has_params: false,
        })
    }

    fn finish(self) -> Result<impl ParameterVisitor<'de>, Self::Error> {
        self.0.end_items();
        Ok(self)
    }
}

impl<'de> ParameterVisitor<'de> for Input<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn parameter(
        &mut self,
        key: &'de KeyRef,
        value: BareItemFromInput<'de>,
    ) -> Result<(), Self::Error> {
        self.0.push_param(key, value);
        Ok(())
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        self.0.finish_list();
        Ok(())
    }
}

/// A component identifier being read: its name when it is a string without
/// escapes (an escape, `\\` or `\"`, is never in a component name), and
/// whether it has parameters.
struct ComponentItem<'a, 'de> {
    input: &'a mut SignatureInput<'de>,
    name: Option<&'de str>,
    has_params: bool,
}

impl<'de> ItemVisitor<'de> for ComponentItem<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn bare_item(
        mut self,
        value: BareItemFromInput<'de>,
    ) -> Result<impl ParameterVisitor<'de, Out = Self::Out>, Self::Error> {
        if let BareItemFromInput::String(Cow::Borrowed(name)) = value {
            self.name = Some(name.as_str());
        }
        Ok(self)
    }
}

impl<'de> ParameterVisitor<'de> for ComponentItem<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn parameter(
        &mut self,
        _key: &'de KeyRef,
        _value: BareItemFromInput<'de>,
    ) -> Result<(), Self::Error> {
        self.has_params = true;
        Ok(())
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        self.input.push_component(self.name, self.has_params);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_members_keep_order_and_repeats() {
        let dict = parse_byte_members(br#"a=:AAE=:;p=1, b=("x"), c=1, a=:AA==:, d"#).unwrap();
        let keys: Vec<&str> = dict.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c", "a", "d"]);
        assert!(has_repeats(keys.iter().copied()));
        let values: Vec<Option<&[u8]>> = dict.iter().map(|(_, v)| v.as_deref()).collect();
        assert_eq!(
            values,
            [Some(&[0, 1][..]), None, None, Some(&[0][..]), None]
        );
    }

    #[test]
    fn inputs_keep_order_and_repeats() {
        let mut inputs = Inputs::default();
        parse_inputs(
            br#"a=("x" "y");q=2;q=3, b=:AAE=:, a=("z");created=1"#,
            &mut inputs,
        )
        .unwrap();
        let labels: Vec<&str> = inputs.iter().map(|i| i.label).collect();
        assert_eq!(labels, ["a", "b", "a"]);
        assert_eq!(inputs.len(), 3);
    }

    #[test]
    fn syntax_errors_are_errors() {
        for input in [&b"a=("[..], b"a=:!!:", b"A=1", b"a=1,", b"a=\"\x01\""] {
            assert!(parse_byte_members(input).is_err(), "{input:?}");
            assert!(
                parse_inputs(input, &mut Inputs::default()).is_err(),
                "{input:?}"
            );
        }
        assert!(!has_repeats(["a", "b"].into_iter()));
    }
}
