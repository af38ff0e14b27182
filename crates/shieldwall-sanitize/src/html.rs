//! HTML through ammonia, with a fast path for text that holds no markup.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

/// How HTML in a field is cleaned.
///
/// Both policies parse the input as browsers do (html5ever, through
/// ammonia), so entity tricks, broken tags, `javascript:` URLs hidden by
/// entities or whitespace, event handlers, SVG and MathML payloads and CSS
/// do not survive. What they give back differs in kind:
///
/// - [`HtmlPolicy::StripAll`] gives **plain text**: no tag, no comment,
///   character references decoded, nothing escaped. `<b>Tom</b> & Jerry` is
///   `Tom & Jerry`, `a < b` stays `a < b`, and `&lt;b&gt;` is the text `<b>`
///   (the input spelled out those characters; they are not markup). Plain
///   text is safe nowhere by itself: whoever renders it escapes it for where
///   it goes, and it must not be cleaned again as HTML.
/// - [`HtmlPolicy::BasicFormatting`] gives **sanitized HTML**, safe as HTML
///   content: the allowed tags, text escaped.
///
/// Text that holds neither `<` nor `&` cannot contain markup and comes back
/// borrowed, untouched, without parsing (a NUL stays, where a parse would
/// drop it; for `basic_formatting` a `>` stays `>`, where a parse would
/// write `&gt;`).
///
/// ```
/// use shieldwall_sanitize::HtmlPolicy;
///
/// let rich = HtmlPolicy::basic_formatting();
/// assert_eq!(rich.clean("<b>hi</b><img src=x onerror=alert(1)>"), "<b>hi</b>");
/// assert_eq!(rich.clean("Tom & Jerry"), "Tom &amp; Jerry");
/// assert!(matches!(rich.clean("plain words"), std::borrow::Cow::Borrowed(_)));
///
/// let plain = HtmlPolicy::strip_all();
/// assert_eq!(plain.clean("<i>Ada</i> & co"), "Ada & co");
/// assert_eq!(plain.clean("<b>Tom</b> &amp; Jerry"), "Tom & Jerry");
/// assert_eq!(plain.clean("&lt;b&gt; is bold"), "<b> is bold");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HtmlPolicy {
    /// Plain text (names, titles): tags and comments are removed, with the
    /// content of the elements whose content is not text (`script`, `style`,
    /// the raw-text and RCDATA elements, SVG and MathML); character
    /// references are decoded; nothing is escaped. The output is text, not
    /// HTML: escape it where it is rendered.
    StripAll,
    /// Rich text: `p br b strong i em u s code pre blockquote ul ol li a`;
    /// links only to `http`, `https` and `mailto`, with
    /// `rel="noopener noreferrer nofollow"`; no attributes but `href`, no
    /// styles, no images, no comments.
    BasicFormatting,
}

/// The elements `strip_all` removes with their content: `script` and
/// `style`, and every element whose content the parser does not read as
/// markup (raw text: `xmp`, `iframe`, `noembed`, `noframes`, `noscript`;
/// RCDATA: `title`, `textarea`; `plaintext`; and SVG and MathML, where
/// `<![CDATA[...]]>` is text). Kept, their content would come out as text
/// that looks like tags: `<xmp><b>x</b></xmp>` as `<b>x</b>`.
const STRIPPED_WITH_CONTENT: [&str; 12] = [
    "script",
    "style",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "title",
    "textarea",
    "svg",
    "math",
];

static STRIP_ALL: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .clean_content_tags(HashSet::from(STRIPPED_WITH_CONTENT))
        .generic_attributes(HashSet::new())
        .url_schemes(HashSet::new())
        .strip_comments(true);
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
        Cow::Owned(match self {
            Self::StripAll => unescape_text(&STRIP_ALL.clean(input).to_string()),
            Self::BasicFormatting => BASIC_FORMATTING.clean(input).to_string(),
        })
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
/// drops NUL and turns CR into LF, and `basic_formatting` writes `>` as
/// `&gt;`; the fast path leaves all three as they are. Control characters
/// are `clean_identifier`'s to remove where they matter.)
fn needs_parsing(input: &str) -> bool {
    memchr::memchr2(b'<', b'&', input.as_bytes()).is_some()
}

/// What html5ever's serializer writes for a character of text: in text
/// outside the raw-text elements (none survives `strip_all`), exactly these
/// four (`write_escaped` in html5ever's `serialize/mod.rs`, attribute mode
/// off; `&quot;` is written only in attributes, and `strip_all` keeps none).
const TEXT_ESCAPES: [(&str, char); 4] = [
    ("&amp;", '&'),
    ("&lt;", '<'),
    ("&gt;", '>'),
    ("&nbsp;", '\u{a0}'),
];

/// `strip_all`'s serialized output as plain text: each of the
/// [`TEXT_ESCAPES`] back to its character, in one pass from left to right,
/// so a decoded `&` is never read again (`&amp;lt;` is the text `&lt;`).
/// Every `&` the serializer writes starts one of them; a bare one (which it
/// does not write) is kept as it is.
fn unescape_text(serialized: &str) -> String {
    let mut out = String::with_capacity(serialized.len());
    let mut rest = serialized;
    while let Some(at) = memchr::memchr(b'&', rest.as_bytes()) {
        // `&` is ASCII: `at` is a character boundary.
        let (before, escape) = (
            rest.get(..at).unwrap_or_default(),
            rest.get(at..).unwrap_or_default(),
        );
        out.push_str(before);
        let (len, decoded) = TEXT_ESCAPES
            .iter()
            .find(|(entity, _)| escape.starts_with(entity))
            .map_or((1, '&'), |(entity, c)| (entity.len(), *c));
        out.push(decoded);
        rest = escape.get(len..).unwrap_or_default();
    }
    out.push_str(rest);
    out
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
        // With a `>`, strip_all's parse and its fast path agree too (plain text).
        let text = "a > b";
        assert!(matches!(
            HtmlPolicy::strip_all().clean(text),
            Cow::Borrowed(_)
        ));
        assert_eq!(unescape_text(&STRIP_ALL.clean(text).to_string()), text);
    }

    #[test]
    fn strip_all_gives_plain_text() {
        let p = HtmlPolicy::strip_all();
        for (input, text) in [
            (
                "<b>Ada</b> <script>alert(1)</script>Lovelace",
                "Ada Lovelace",
            ),
            ("<b>Tom</b> & Jerry", "Tom & Jerry"),
            ("<b>Tom</b> &amp; Jerry", "Tom & Jerry"),
            ("Tom & Jerry", "Tom & Jerry"),
            ("Tom &amp; Jerry", "Tom & Jerry"),
            ("a < b", "a < b"),
            ("a > b", "a > b"),
            ("<i>a</i> > b", "a > b"),
            ("a <= b && c", "a <= b && c"),
            // References spell characters; decoded, they are text, not markup.
            ("&lt;b&gt;", "<b>"),
            ("&lt;script&gt;", "<script>"),
            ("&amp;amp;", "&amp;"),
            ("&amp;lt;", "&lt;"),
            ("&#60;i&#x3e;", "<i>"),
            ("&quot;quoted&quot; &apos;", "\"quoted\" '"),
            ("caf&eacute; &copy; &nbsp;x", "caf\u{e9} \u{a9} \u{a0}x"),
            ("&unknown; &", "&unknown; &"),
            // Attribute text never reaches the output; the rest is text as written.
            ("\" onmouseover=\"alert(1)", "\" onmouseover=\"alert(1)"),
            ("<a title=\"&amp;\">x</a>", "x"),
            ("a<!-- comment -->b", "ab"),
            ("<style>*{}</style>ok", "ok"),
            // Elements whose content is not markup go with their content.
            ("<xmp><b>x</b></xmp>y", "y"),
            ("<title><b>x</b></title>y", "y"),
            ("<textarea>&lt;b&gt;</textarea>y", "y"),
            ("<noscript><b>x</b></noscript>y", "y"),
            ("<svg><![CDATA[<img src=x onerror=alert(1)>]]></svg>y", "y"),
            ("<math><mtext><![CDATA[<b>]]></mtext></math>y", "y"),
            ("<plaintext><b>x</b>", ""),
            ("x\u{a0}<b>y</b>", "x\u{a0}y"),
        ] {
            assert_eq!(p.clean(input), text, "{input:?}");
        }
    }

    #[test]
    fn unescaping_is_one_pass_and_exact() {
        assert_eq!(
            unescape_text("&amp;lt; &amp;amp; &lt;&gt; &nbsp;"),
            "&lt; &amp; <> \u{a0}"
        );
        assert_eq!(unescape_text("no escapes"), "no escapes");
        assert_eq!(unescape_text("bare & and &amp"), "bare & and &amp");
        assert_eq!(unescape_text("&"), "&");
        assert_eq!(unescape_text("é&amp;é"), "é&é");
    }

    /// Pins what html5ever's serializer escapes in text: the four of
    /// [`TEXT_ESCAPES`] and nothing else. Should an update write another
    /// escape (`&quot;` in text, say), this fails, and `unescape_text` must
    /// learn it.
    #[test]
    fn the_serializer_escapes_exactly_four_characters_in_text() {
        let characters = (1u32..0x800)
            .chain([0x2028, 0x202e, 0xfeff, 0xfffd, 0x1f600])
            .filter_map(char::from_u32)
            // The parser turns CR into LF; it is not an escape.
            .filter(|c| *c != '\r');
        for c in characters {
            let serialized = STRIP_ALL.clean(&format!("<b>{c}</b>")).to_string();
            let expected = TEXT_ESCAPES
                .iter()
                .find(|(_, escaped)| *escaped == c)
                .map_or_else(|| c.to_string(), |(entity, _)| (*entity).to_owned());
            assert_eq!(serialized, expected, "U+{:04X}", u32::from(c));
            assert_eq!(unescape_text(&serialized), c.to_string());
        }
        // And in longer text, with references, quotes and every escape at once.
        let input = "<p>&quot;a&quot; &apos;b&apos; &lt;c&gt; &amp;d &nbsp;e &#38;f</p>";
        let serialized = STRIP_ALL.clean(input).to_string();
        assert_eq!(serialized, "\"a\" 'b' &lt;c&gt; &amp;d &nbsp;e &amp;f");
        assert_eq!(unescape_text(&serialized), "\"a\" 'b' <c> &d \u{a0}e &f");
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
