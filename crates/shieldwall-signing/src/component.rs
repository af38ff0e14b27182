//! Component identifiers (RFC 9421 section 2): derived components and header
//! fields by lowercase name.

use std::borrow::Cow;

use crate::Reason;

/// A covered component, without parameters (component parameters such as
/// `;sf` or `;req` are refused). Header names borrow from the header they
/// were parsed from, or are owned by a policy or signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Component<'a> {
    Method,
    TargetUri,
    Authority,
    Scheme,
    Path,
    Query,
    RequestTarget,
    /// A header field, by its lowercase name.
    Header(Cow<'a, str>),
}

/// What an identifier that is not a component of ours is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotComponent {
    /// A derived component we do not derive (`@status`, `@query-param`, ...).
    Unsupported,
    /// Not an identifier at all (uppercase, empty, characters outside a field name).
    Malformed,
}

impl From<NotComponent> for Reason {
    fn from(value: NotComponent) -> Self {
        match value {
            NotComponent::Unsupported => Self::UnsupportedComponent,
            NotComponent::Malformed => Self::MalformedSignatureInput,
        }
    }
}

/// `tchar` of RFC 9110, without uppercase letters.
fn is_lower_tchar(b: u8) -> bool {
    b.is_ascii_lowercase()
        || b.is_ascii_digit()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// The longest header name accepted as a component.
const MAX_NAME: usize = 128;

impl<'a> Component<'a> {
    /// The derived component of `name`, if it is one.
    fn derived(name: &str) -> Option<Self> {
        Some(match name {
            "@method" => Self::Method,
            "@target-uri" => Self::TargetUri,
            "@authority" => Self::Authority,
            "@scheme" => Self::Scheme,
            "@path" => Self::Path,
            "@query" => Self::Query,
            "@request-target" => Self::RequestTarget,
            _ => return None,
        })
    }

    /// Parses a component identifier's name.
    pub(crate) fn parse(name: &'a str) -> Result<Self, NotComponent> {
        if let Some(derived) = Self::derived(name) {
            return Ok(derived);
        }
        if name.starts_with('@') {
            // `@status`, `@query-param`, `@signature-params` and unknown names.
            return Err(NotComponent::Unsupported);
        }
        if name.is_empty() || name.len() > MAX_NAME || !name.bytes().all(is_lower_tchar) {
            return Err(NotComponent::Malformed);
        }
        Ok(Self::Header(Cow::Borrowed(name)))
    }

    /// The same component, owning its name.
    pub(crate) fn into_owned(self) -> Component<'static> {
        match self {
            Self::Method => Component::Method,
            Self::TargetUri => Component::TargetUri,
            Self::Authority => Component::Authority,
            Self::Scheme => Component::Scheme,
            Self::Path => Component::Path,
            Self::Query => Component::Query,
            Self::RequestTarget => Component::RequestTarget,
            Self::Header(name) => Component::Header(Cow::Owned(name.into_owned())),
        }
    }

    /// Whether this is the header field `name`.
    pub(crate) fn is_header(&self, name: &str) -> bool {
        matches!(self, Self::Header(own) if own == name)
    }

    /// The identifier's name, as serialized.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Method => "@method",
            Self::TargetUri => "@target-uri",
            Self::Authority => "@authority",
            Self::Scheme => "@scheme",
            Self::Path => "@path",
            Self::Query => "@query",
            Self::RequestTarget => "@request-target",
            Self::Header(name) => name,
        }
    }

    /// The start of the component's line in a signature base, `"@name": `,
    /// for a derived component (a header's is built from its name).
    pub(crate) fn line_start(&self) -> Option<&'static str> {
        Some(match self {
            Self::Method => "\"@method\": ",
            Self::TargetUri => "\"@target-uri\": ",
            Self::Authority => "\"@authority\": ",
            Self::Scheme => "\"@scheme\": ",
            Self::Path => "\"@path\": ",
            Self::Query => "\"@query\": ",
            Self::RequestTarget => "\"@request-target\": ",
            Self::Header(_) => return None,
        })
    }

    /// Whether the value needs the authority.
    pub(crate) fn needs_authority(&self) -> bool {
        matches!(self, Self::Authority | Self::TargetUri)
    }
}

/// Parses configured component names: valid, derivable, no duplicates.
pub(crate) fn parse_list<I, S>(
    names: I,
) -> Result<Vec<Component<'static>>, crate::SigningConfigError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut components: Vec<Component<'static>> = Vec::new();
    for name in names {
        let name = name.as_ref();
        let component = Component::parse(name)
            .map_err(|_| crate::SigningConfigError::Component(name.to_owned()))?
            .into_owned();
        if components.contains(&component) {
            return Err(crate::SigningConfigError::DuplicateComponent(
                name.to_owned(),
            ));
        }
        components.push(component);
    }
    if components.is_empty() {
        return Err(crate::SigningConfigError::NoComponents);
    }
    Ok(components)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_and_header_names_parse_and_round_trip() {
        for name in [
            "@method",
            "@target-uri",
            "@authority",
            "@scheme",
            "@path",
            "@query",
            "@request-target",
            "content-digest",
            "x-custom_1",
        ] {
            let component = Component::parse(name).unwrap();
            assert_eq!(component.name(), name);
            if let Some(start) = component.line_start() {
                assert_eq!(start, format!("\"{name}\": "));
            }
        }
    }

    #[test]
    fn unsupported_and_malformed_names_are_told_apart() {
        for name in ["@status", "@query-param", "@signature-params", "@foo"] {
            assert_eq!(Component::parse(name), Err(NotComponent::Unsupported));
        }
        for name in ["", "Content-Type", "a b", "x:y", "é"] {
            assert_eq!(Component::parse(name), Err(NotComponent::Malformed));
        }
        assert_eq!(
            Component::parse(&"a".repeat(MAX_NAME + 1)),
            Err(NotComponent::Malformed)
        );
    }

    #[test]
    fn lists_refuse_duplicates_and_emptiness() {
        assert!(parse_list(["@method", "content-type"]).is_ok());
        assert_eq!(
            parse_list(["@method", "@method"]),
            Err(crate::SigningConfigError::DuplicateComponent(
                "@method".into()
            ))
        );
        assert_eq!(
            parse_list(Vec::<&str>::new()),
            Err(crate::SigningConfigError::NoComponents)
        );
        assert_eq!(
            parse_list(["Content-Type"]),
            Err(crate::SigningConfigError::Component("Content-Type".into()))
        );
    }
}
