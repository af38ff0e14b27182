//! The value of `@signature-params` (RFC 9421 section 2.3): the inner list
//! of component identifiers with the signature parameters, serialized as
//! RFC 9651 section 4.1 says. Strings without escapes and integers are
//! written directly; every other bare item is `sfv`'s serialization.

use sfv::{KeyRef, RefBareItem};

use crate::component::Component;

/// Pushes `"name"`: component names are lowercase field names or `@`
/// names, so their sf-string serialization is the name between quotes.
pub(crate) fn push_identifier(out: &mut String, name: &str) {
    out.push('"');
    out.push_str(name);
    out.push('"');
}

/// Pushes the decimal digits of `value` (RFC 9651 section 4.1.4).
fn push_integer(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    out.push_str(shieldwall_core::Decimal::new(value.unsigned_abs()).as_str());
}

/// Whether a string holds `"` or `\\`, which its serialization escapes.
fn needs_escapes(text: &str) -> bool {
    // A fold rather than `any`: no early exit, so the compiler can vectorize it.
    text.bytes()
        .fold(false, |found, b| found | (b == b'"') | (b == b'\\'))
}

/// Serializes a bare item onto `out` (RFC 9651 section 4.1.3.1).
fn push_bare_item(out: &mut String, value: RefBareItem<'_>) {
    match value {
        RefBareItem::String(text) if !needs_escapes(text.as_str()) => {
            out.push('"');
            out.push_str(text.as_str());
            out.push('"');
        }
        RefBareItem::Integer(integer) => push_integer(out, i64::from(integer)),
        other => {
            let _ = sfv::ItemSerializer::with_buffer(out).bare_item(other);
        }
    }
}

/// Pushes one parameter: `;key`, or `;key=value` (RFC 9651 section 4.1.1.2).
pub(crate) fn push_param(out: &mut String, key: &KeyRef, value: RefBareItem<'_>) {
    out.push(';');
    out.push_str(key.as_str());
    if !matches!(value, RefBareItem::Boolean(true)) {
        out.push('=');
        push_bare_item(out, value);
    }
}

/// Serializes `("a" "b");p=1` (the inner list of components with the
/// signature parameters, RFC 9651 sections 4.1.1.1 and 4.1.1.2) onto `out`.
pub(crate) fn serialize_params<'p>(
    out: &mut String,
    components: &[Component<'_>],
    params: impl IntoIterator<Item = (&'p KeyRef, RefBareItem<'p>)>,
) {
    out.push('(');
    for (index, component) in components.iter().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        push_identifier(out, component.name());
    }
    out.push(')');
    for (key, value) in params {
        push_param(out, key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfv::{Decimal, Integer, StringRef, TokenRef};

    #[test]
    fn signature_params_serialize_as_sfv_does() {
        let components = [Component::Method, Component::parse("content-type").unwrap()];
        let params: Vec<(&KeyRef, RefBareItem<'_>)> = vec![
            (
                sfv::key_ref("created"),
                RefBareItem::Integer(Integer::constant(1_618_884_473)),
            ),
            (
                sfv::key_ref("keyid"),
                RefBareItem::String(StringRef::from_str("k-1").unwrap()),
            ),
            (
                sfv::key_ref("q"),
                RefBareItem::String(StringRef::from_str(r#"a"b\c"#).unwrap()),
            ),
            (
                sfv::key_ref("t"),
                RefBareItem::Token(TokenRef::from_str("tok/1").unwrap()),
            ),
            (sfv::key_ref("b"), RefBareItem::Boolean(true)),
            (sfv::key_ref("f"), RefBareItem::Boolean(false)),
            (
                sfv::key_ref("d"),
                RefBareItem::Decimal(Decimal::try_from(1.5).unwrap()),
            ),
            (sfv::key_ref("x"), RefBareItem::ByteSequence(&[1, 2, 3])),
            (
                sfv::key_ref("e"),
                RefBareItem::String(StringRef::from_str("").unwrap()),
            ),
            (
                sfv::key_ref("n"),
                RefBareItem::Integer(Integer::constant(-42)),
            ),
            (
                sfv::key_ref("z"),
                RefBareItem::Integer(Integer::constant(0)),
            ),
        ];
        let mut ours = String::new();
        serialize_params(&mut ours, &components, params.iter().copied());
        let mut list = sfv::ListSerializer::new();
        {
            let mut inner = list.inner_list();
            for component in &components {
                let _ = inner.bare_item(StringRef::from_str(component.name()).unwrap());
            }
            let _ = inner.finish().parameters(params.iter().copied());
        }
        assert_eq!(ours, list.finish().unwrap());
        assert_eq!(
            ours,
            r#"("@method" "content-type");created=1618884473;keyid="k-1";q="a\"b\\c";t=tok/1;b;f=?0;d=1.5;x=:AQID:;e="";n=-42;z=0"#
        );
    }

    #[test]
    fn integers_serialize_as_sfv_does() {
        for value in [
            0_i64,
            7,
            -7,
            10,
            1_700_000_000,
            999_999_999_999_999,
            -999_999_999_999_999,
        ] {
            let mut ours = String::new();
            push_integer(&mut ours, value);
            let integer = Integer::try_from(value).unwrap();
            let theirs = sfv::ItemSerializer::new()
                .bare_item(integer)
                .parameters(std::iter::empty::<(&KeyRef, RefBareItem<'_>)>())
                .finish();
            assert_eq!(ours, theirs, "{value}");
        }
    }
}
