//! The signature base (RFC 9421 section 2.5): one line per covered
//! component, `"@signature-params"` last (its value serialized by
//! `params.rs`).

use std::ops::Range;

use shieldwall_core::RequestView;

use crate::Scheme;
use crate::component::Component;
use crate::params::push_identifier;

/// Why a base could not be built; the index is the component's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BaseError {
    MissingHeader(usize),
    MissingAuthority,
    InvalidValue(usize),
}

/// Visible ASCII, space and tab: what a signature base may hold. (A fold
/// rather than `all`: no early exit, so the compiler can vectorize it.)
fn is_base_text(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |ok, &b| {
        ok & (b == b'\t' || (0x20..=0x7e).contains(&b))
    })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// Pushes `bytes` onto `out` when they are base text; `false` otherwise.
fn push_text(out: &mut String, bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(text) if is_base_text(bytes) => {
            out.push_str(text);
            true
        }
        _ => false,
    }
}

/// Where the target URI's scheme and authority come from.
pub(crate) struct Target<'a> {
    pub(crate) scheme: Scheme,
    /// Normalized; `None` when unknown (only an error if a component needs it).
    pub(crate) authority: Option<&'a str>,
}

/// A built signature base, and where the value of the captured component is in it.
pub(crate) struct Base {
    pub(crate) text: String,
    pub(crate) captured: Option<Range<usize>>,
}

/// Builds the signature base of `components` over `request`, ending with
/// `signature_params` (the serialized value of `@signature-params`), noting
/// where the value of component `capture` is.
pub(crate) fn build<R: RequestView + ?Sized>(
    request: &R,
    target: &Target<'_>,
    components: &[Component<'_>],
    signature_params: &str,
    capture: Option<usize>,
) -> Result<Base, BaseError> {
    let mut out = String::with_capacity(512);
    let mut captured = None;
    for (index, component) in components.iter().enumerate() {
        match component.line_start() {
            Some(start) => out.push_str(start),
            None => {
                push_identifier(&mut out, component.name());
                out.push_str(": ");
            }
        }
        let start = out.len();
        push_value(&mut out, request, target, component, index)?;
        if capture == Some(index) {
            captured = Some(start..out.len());
        }
        out.push('\n');
    }
    out.push_str("\"@signature-params\": ");
    out.push_str(signature_params);
    Ok(Base {
        text: out,
        captured,
    })
}

fn push_value<R: RequestView + ?Sized>(
    out: &mut String,
    request: &R,
    target: &Target<'_>,
    component: &Component<'_>,
    index: usize,
) -> Result<(), BaseError> {
    let path = || match request.path() {
        "" => "/",
        path => path,
    };
    let start = out.len();
    match component {
        Component::Method => out.push_str(request.method()),
        Component::Scheme => out.push_str(target.scheme.as_str()),
        Component::Authority => out.push_str(target.authority.ok_or(BaseError::MissingAuthority)?),
        Component::TargetUri => {
            out.push_str(target.scheme.as_str());
            out.push_str("://");
            out.push_str(target.authority.ok_or(BaseError::MissingAuthority)?);
            out.push_str(path());
            if let Some(query) = request.query() {
                out.push('?');
                out.push_str(query);
            }
        }
        Component::Path => out.push_str(path()),
        Component::Query => {
            out.push('?');
            out.push_str(request.query().unwrap_or_default());
        }
        Component::RequestTarget => {
            out.push_str(path());
            if let Some(query) = request.query() {
                out.push('?');
                out.push_str(query);
            }
        }
        Component::Header(name) => {
            let mut lines = request.header_values(name);
            let first = lines.next().ok_or(BaseError::MissingHeader(index))?;
            for (n, line) in std::iter::once(first).chain(lines).enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                if !push_text(out, trim(line)) {
                    return Err(BaseError::InvalidValue(index));
                }
            }
            return Ok(());
        }
    }
    // Derived values come from the method and URI: checked all the same.
    if is_base_text(out.get(start..).unwrap_or_default().as_bytes()) {
        Ok(())
    } else {
        Err(BaseError::InvalidValue(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_combined_and_ascii() {
        assert_eq!(trim(b"  a b \t"), b"a b");
        assert_eq!(trim(b"   "), b"");
        let request = http::Request::builder()
            .uri("/p?q=1")
            .header("x-a", " one ")
            .header("x-a", "two")
            .header("x-b", &b"caf\xc3\xa9"[..])
            .body(())
            .unwrap();
        let target = Target {
            scheme: Scheme::Https,
            authority: Some("example.com"),
        };
        let components = [
            Component::parse("x-a").unwrap(),
            Component::Query,
            Component::RequestTarget,
            Component::TargetUri,
        ];
        let params = r#"("x-a" "@query" "@request-target" "@target-uri")"#;
        let base = build(&request, &target, &components, params, Some(1)).unwrap();
        assert_eq!(&base.text[base.captured.clone().unwrap()], "?q=1");
        assert_eq!(
            base.text,
            "\"x-a\": one, two\n\"@query\": ?q=1\n\"@request-target\": /p?q=1\n\
             \"@target-uri\": https://example.com/p?q=1\n\
             \"@signature-params\": (\"x-a\" \"@query\" \"@request-target\" \"@target-uri\")"
        );
        assert_eq!(
            build(
                &request,
                &target,
                &[Component::parse("x-b").unwrap()],
                "",
                None
            )
            .map(|b| b.text),
            Err(BaseError::InvalidValue(0))
        );
        assert_eq!(
            build(
                &request,
                &target,
                &[Component::parse("x-c").unwrap()],
                "",
                None
            )
            .map(|b| b.text),
            Err(BaseError::MissingHeader(0))
        );
        let unknown = Target {
            scheme: Scheme::Https,
            authority: None,
        };
        assert_eq!(
            build(&request, &unknown, &[Component::Authority], "", None).map(|b| b.text),
            Err(BaseError::MissingAuthority)
        );
    }
}
