//! HTML through ammonia, with a fast path for text that holds no markup.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

/// How HTML in a field is cleaned.
///
/// Both policies parse the input as browsers do (html5ever, through
/// ammonia) and write back only what the policy allows, so entity tricks,
/// broken tags, `javascript:` URLs hidden by entities or whitespace, event
/// handlers, SVG and MathML payloads and CSS do not survive. Text that holds
/// neither `<` nor `&` cannot contain markup and comes back borrowed,
/// untouched, without parsing (a `>` in it stays `>`, where a parse would
/// write `&gt;`; a NUL stays, where a parse would drop it).
///
/// ```
/// use shieldwall_sanitize::HtmlPolicy;
///
/// let rich = HtmlPolicy::basic_formatting();
/// assert_eq!(rich.clean("<b>hi</b><img src=x onerror=alert(1)>"), "<b>hi</b>");
/// assert_eq!(HtmlPolicy::strip_all().clean("<i>Ada</i> & co"), "Ada &amp; co");
/// assert!(matches!(rich.clean("plain words"), std::borrow::Cow::Borrowed(_)));
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HtmlPolicy {
    /// No tags at all (plain-text fields: names, titles): tags are removed,
    /// the content of `script` and `style` too, text is kept, escaped.
    StripAll,
    /// Rich text: `p br b strong i em u s code pre blockquote ul ol li a`;
    /// links only to `http`, `https` and `mailto`, with
    /// `rel="noopener noreferrer nofollow"`; no attributes but `href`, no
    /// styles, no images, no comments.
    BasicFormatting,
}

static STRIP_ALL: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .clean_content_tags(HashSet::from(["script", "style"]))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::new());
    builder
});

static BASIC_FORMATTING: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from([
            "p",
            "br",
            "b",
            "strong",
            "i",
            "em",
            "u",
            "s",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "a",
        ]))
        .clean_content_tags(HashSet::from(["script", "style"]))
        .generic_attributes(HashSet::new())
        .tag_attributes([("a", HashSet::from(["href"]))].into_iter().collect())
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        // Relative and protocol-relative links (`//elsewhere.example`) are
        // dropped: only absolute links with the schemes above are kept.
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer nofollow"));
    builder
});

impl HtmlPolicy {
    /// [`HtmlPolicy::StripAll`].
    #[must_use]
    pub const fn strip_all() -> Self {
        Self::StripAll
    }

    /// [`HtmlPolicy::BasicFormatting`].
    #[must_use]
    pub const fn basic_formatting() -> Self {
        Self::BasicFormatting
    }

    /// Cleans `input`: borrowed when it holds nothing HTML could act on.
    #[must_use]
    pub fn clean<'a>(&self, input: &'a str) -> Cow<'a, str> {
        if !needs_parsing(input) {
            return Cow::Borrowed(input);
        }
        let builder = match self {
            Self::StripAll => &STRIP_ALL,
            Self::BasicFormatting => &BASIC_FORMATTING,
        };
        Cow::Owned(builder.clean(input).to_string())
    }

    /// Cleans a field in place; true when it changed.
    pub fn clean_in_place(&self, field: &mut String) -> bool {
        match self.clean(field) {
            Cow::Borrowed(_) => false,
            Cow::Owned(cleaned) if cleaned == *field => false,
            Cow::Owned(cleaned) => {
                *field = cleaned;
                true
            }
        }
    }
}

/// Whether text can hold markup: a tag or a comment needs `<`, a character
/// reference `&`. One pass. (What else a parse changes is not markup: it
/// writes `>` as `&gt;` and drops NUL; the fast path leaves both as they are.
/// Control characters are `clean_identifier`'s to remove where they matter.)
fn needs_parsing(input: &str) -> bool {
    memchr::memchr2(b'<', b'&', input.as_bytes()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_agrees_with_ammonia_on_text_without_markup() {
        for text in [
            "",
            "plain words",
            "quotes \" and ' and = and / stay",
            "ünïcödé, emoji 🎉, tabs\tand\nnewlines",
            "javascript:alert(1)",
        ] {
            assert!(!needs_parsing(text));
            assert_eq!(STRIP_ALL.clean(text).to_string(), text, "{text:?}");
            assert_eq!(BASIC_FORMATTING.clean(text).to_string(), text, "{text:?}");
        }
    }

    #[test]
    fn strip_all_leaves_text_only() {
        let p = HtmlPolicy::strip_all();
        assert_eq!(
            p.clean("<b>Ada</b> <script>alert(1)</script>Lovelace"),
            "Ada Lovelace"
        );
        assert_eq!(p.clean("Tom & Jerry"), "Tom &amp; Jerry");
        // `>` alone is not markup: the fast path leaves it; with markup around, a parse escapes it.
        assert_eq!(p.clean("a > b"), "a > b");
        assert_eq!(p.clean("<i>a</i> > b"), "a &gt; b");
        assert_eq!(p.clean("&lt;script&gt;"), "&lt;script&gt;");
    }

    #[test]
    fn basic_formatting_keeps_formatting_and_safe_links_only() {
        let p = HtmlPolicy::basic_formatting();
        assert_eq!(
            p.clean(r#"<p>Hi <a href="https://example.com" onclick="x()">there</a></p>"#),
            r#"<p>Hi <a href="https://example.com" rel="noopener noreferrer nofollow">there</a></p>"#
        );
        assert_eq!(
            p.clean(r#"<a href="javascript:alert(1)">x</a>"#),
            r#"<a rel="noopener noreferrer nofollow">x</a>"#
        );
        assert_eq!(
            p.clean(r#"<p style="color:red" class="x">t</p>"#),
            "<p>t</p>"
        );
    }
}
