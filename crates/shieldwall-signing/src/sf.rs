//! RFC 9651 dictionaries read with `sfv`'s visitors into plain vectors that
//! keep every member and parameter in order, repeats included, so that the
//! caller can refuse a repeated label or parameter (RFC 9651 would silently
//! keep the last one, which could let a second, weaker entry win).

use std::convert::Infallible;

use sfv::visitor::{
    DictionaryVisitor, EntryVisitor, InnerListVisitor, ItemVisitor, ParameterVisitor,
};
use sfv::{BareItemFromInput, KeyRef};

/// Parameters in order, repeats kept.
pub(crate) type Params<'de> = Vec<(&'de KeyRef, BareItemFromInput<'de>)>;

/// An item and its parameters.
#[derive(Debug)]
pub(crate) struct RawItem<'de> {
    pub(crate) value: BareItemFromInput<'de>,
    pub(crate) params: Params<'de>,
}

/// A dictionary member's value.
#[derive(Debug)]
pub(crate) enum RawMember<'de> {
    Item(RawItem<'de>),
    InnerList {
        items: Vec<RawItem<'de>>,
        params: Params<'de>,
    },
}

/// A dictionary's members in order, repeats kept.
pub(crate) type RawDictionary<'de> = Vec<(&'de KeyRef, RawMember<'de>)>;

/// Parses `input` as a dictionary. Syntax errors are errors; repeats are not.
pub(crate) fn parse_dictionary(input: &[u8]) -> Result<RawDictionary<'_>, sfv::Error> {
    sfv::Parser::new(input).parse_dictionary_with_visitor(Dictionary(Vec::with_capacity(2)))
}

/// Whether some key appears twice among `keys` (few keys: a quadratic scan
/// costs less than a set).
pub(crate) fn has_repeats<'a>(keys: impl Iterator<Item = &'a str> + Clone) -> bool {
    keys.clone()
        .enumerate()
        .any(|(i, key)| keys.clone().skip(i + 1).any(|other| other == key))
}

struct Dictionary<'de>(RawDictionary<'de>);

impl<'de> DictionaryVisitor<'de> for Dictionary<'de> {
    type Out = RawDictionary<'de>;
    type Error = Infallible;

    fn entry(&mut self, key: &'de KeyRef) -> Result<impl EntryVisitor<'de>, Self::Error> {
        Ok(Entry {
            members: &mut self.0,
            key,
        })
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        Ok(self.0)
    }
}

struct Entry<'a, 'de> {
    members: &'a mut RawDictionary<'de>,
    key: &'de KeyRef,
}

impl<'de> EntryVisitor<'de> for Entry<'_, 'de> {
    type Error = Infallible;

    fn item(self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        Ok(Item {
            sink: Sink::Member(self.members, self.key),
        })
    }

    fn inner_list(self) -> Result<impl InnerListVisitor<'de>, Self::Error> {
        Ok(InnerList {
            members: self.members,
            key: self.key,
            items: Vec::with_capacity(8),
        })
    }
}

/// Where a finished item goes.
enum Sink<'a, 'de> {
    Member(&'a mut RawDictionary<'de>, &'de KeyRef),
    List(&'a mut Vec<RawItem<'de>>),
}

struct Item<'a, 'de> {
    sink: Sink<'a, 'de>,
}

impl<'de> ItemVisitor<'de> for Item<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn bare_item(
        self,
        value: BareItemFromInput<'de>,
    ) -> Result<impl ParameterVisitor<'de, Out = Self::Out>, Self::Error> {
        Ok(ItemParams {
            sink: self.sink,
            value,
            params: Vec::new(),
        })
    }
}

struct ItemParams<'a, 'de> {
    sink: Sink<'a, 'de>,
    value: BareItemFromInput<'de>,
    params: Params<'de>,
}

impl<'de> ParameterVisitor<'de> for ItemParams<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn parameter(
        &mut self,
        key: &'de KeyRef,
        value: BareItemFromInput<'de>,
    ) -> Result<(), Self::Error> {
        self.params.push((key, value));
        Ok(())
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        let item = RawItem {
            value: self.value,
            params: self.params,
        };
        match self.sink {
            Sink::Member(members, key) => members.push((key, RawMember::Item(item))),
            Sink::List(items) => items.push(item),
        }
        Ok(())
    }
}

struct InnerList<'a, 'de> {
    members: &'a mut RawDictionary<'de>,
    key: &'de KeyRef,
    items: Vec<RawItem<'de>>,
}

impl<'de> InnerListVisitor<'de> for InnerList<'_, 'de> {
    type Error = Infallible;

    fn item(&mut self) -> Result<impl ItemVisitor<'de>, Self::Error> {
        Ok(Item {
            sink: Sink::List(&mut self.items),
        })
    }

    fn finish(self) -> Result<impl ParameterVisitor<'de>, Self::Error> {
        Ok(ListParams {
            members: self.members,
            key: self.key,
            items: self.items,
            // `created`, `expires`, `nonce`, `keyid`, `alg`, `tag`: one allocation.
            params: Vec::with_capacity(6),
        })
    }
}

struct ListParams<'a, 'de> {
    members: &'a mut RawDictionary<'de>,
    key: &'de KeyRef,
    items: Vec<RawItem<'de>>,
    params: Params<'de>,
}

impl<'de> ParameterVisitor<'de> for ListParams<'_, 'de> {
    type Out = ();
    type Error = Infallible;

    fn parameter(
        &mut self,
        key: &'de KeyRef,
        value: BareItemFromInput<'de>,
    ) -> Result<(), Self::Error> {
        self.params.push((key, value));
        Ok(())
    }

    fn finish(self) -> Result<Self::Out, Self::Error> {
        self.members.push((
            self.key,
            RawMember::InnerList {
                items: self.items,
                params: self.params,
            },
        ));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_and_parameters_keep_order_and_repeats() {
        let dict = parse_dictionary(br#"a=("x" "y";p=1);q=2;q=3, b=:AAE=:, a=?1"#).unwrap();
        let keys: Vec<&str> = dict.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "a"]);
        assert!(has_repeats(keys.iter().copied()));
        match &dict[0].1 {
            RawMember::InnerList { items, params } => {
                assert_eq!(items.len(), 2);
                assert_eq!(items[1].params.len(), 1);
                assert_eq!(params.len(), 2);
            }
            RawMember::Item(_) => panic!("an inner list"),
        }
        match &dict[1].1 {
            RawMember::Item(item) => assert_eq!(item.value.as_byte_sequence(), Some(&[0, 1][..])),
            RawMember::InnerList { .. } => panic!("an item"),
        }
    }

    #[test]
    fn syntax_errors_are_errors() {
        for input in [&b"a=("[..], b"a=:!!:", b"A=1", b"a=1,", b"a=\"\x01\""] {
            assert!(parse_dictionary(input).is_err(), "{input:?}");
        }
        assert!(!has_repeats(["a", "b"].into_iter()));
    }
}
