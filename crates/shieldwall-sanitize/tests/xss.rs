//! The OWASP XSS filter evasion classics through both HTML policies: no
//! script, event handler, `javascript:`/`data:`/`vbscript:` URL, SVG, MathML,
//! style or CSS expression survives, whatever the encoding tricks.
//! `basic_formatting` gives sanitized HTML; `strip_all` gives plain text,
//! checked against the text each payload holds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests"
)]

use shieldwall_sanitize::HtmlPolicy;

const PAYLOADS: &[&str] = &[
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    "<img src=x onerror=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041\">",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;\">x</a>",
    "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29\">x</a>",
    "<a href=\"jav\tascript:alert('XSS');\">x</a>",
    "<a href=\"jav&#x09;ascript:alert('XSS');\">x</a>",
    "<a href=\"jav&#x0A;ascript:alert('XSS');\">x</a>",
    "<a href=\" &#14;  javascript:alert('XSS');\">x</a>",
    "<a href=\"vbscript:msgbox('XSS')\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4=\">x</a>",
    "<SCRIPT/XSS SRC=\"http://xss.example/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<SCRIPT SRC=http://xss.example/xss.js?< B >",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"20\" y=\"20\">XSS</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<math href=\"javascript:alert(1)\">CLICKME</math>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">x</DIV>",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">x</DIV>",
    "<STYLE>@import'http://xss.example/xss.css';</STYLE>",
    "<STYLE>BODY{-moz-binding:url(\"http://xss.example/xssmoz.xml#xss\")}</STYLE>",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.example/scriptlet.html\"></OBJECT>",
    "<EMBED SRC=\"data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==\" type=\"image/svg+xml\" AllowScriptAccess=\"always\"></EMBED>",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    "<XSS STYLE=\"behavior: url(xss.htc);\">",
    "<p onclick=alert(1)>click</p>",
    "<a href=\"https://ok.example\" onfocus=alert(1) autofocus>ok</a>",
    "<details open ontoggle=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<form><button formaction=javascript:alert(1)>X</button></form>",
    "<a href=\"java&NewLine;script:alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<img src=\"x:x\" onerror=\"alert(1)\">",
    "\"><script>alert(1)</script>",
    "'';!--\"<XSS>=&{()}",
];

/// What `strip_all` gives for each of [`PAYLOADS`], in order: the text a
/// browser would show, without the content of scripts, styles, SVG, MathML
/// and raw-text elements. A `<` or `"` in it was text in the payload.
const STRIP_ALL_TEXT: &[&str] = &[
    "",
    "",
    "",
    "",
    "",
    "",
    "xxs link",
    "\"\\>",
    "",
    "",
    "",
    "x",
    "x",
    "x",
    "x",
    "x",
    "x",
    "x",
    "x",
    "",
    "",
    "<",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "x",
    "x",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "click",
    "ok",
    "",
    "\">",
    "X",
    "x",
    "x",
    "",
    "\">",
    "'';!--\"=&{()}",
];

/// What must not be found, case-insensitively, in anything the policies write.
const NEVER: &[&str] = &[
    "<script",
    "</script",
    "javascript:",
    "vbscript:",
    "data:",
    "<svg",
    "<math",
    "<img",
    "<iframe",
    "<frame",
    "<object",
    "<embed",
    "<style",
    "<link",
    "<meta",
    "<base",
    "<body",
    "<input",
    "<form",
    "<button",
    "<details",
    "<table",
    "style=",
    "onerror",
    "onload",
    "onclick",
    "onmouseover",
    "onfocus",
    "ontoggle",
    "expression(",
    "xlink:href",
    "formaction",
    "background=",
];

#[test]
fn no_evasion_classic_survives_either_policy() {
    for policy in [HtmlPolicy::strip_all(), HtmlPolicy::basic_formatting()] {
        for payload in PAYLOADS {
            let cleaned = policy.clean(payload).to_ascii_lowercase();
            for needle in NEVER {
                assert!(
                    !cleaned.contains(needle),
                    "{policy:?}: {payload:?} -> {cleaned:?} contains {needle}"
                );
            }
        }
    }
}

/// Whether `text` holds something a browser would read as the start of a
/// tag, a closing tag, a comment or a declaration.
fn starts_markup(text: &str) -> bool {
    text.as_bytes().windows(2).any(|pair| {
        pair[0] == b'<' && (pair[1].is_ascii_alphabetic() || matches!(pair[1], b'/' | b'!' | b'?'))
    })
}

#[test]
fn strip_all_gives_the_plain_text_of_each_classic_and_no_tag() {
    assert_eq!(PAYLOADS.len(), STRIP_ALL_TEXT.len());
    for (payload, text) in PAYLOADS.iter().zip(STRIP_ALL_TEXT) {
        let cleaned = HtmlPolicy::strip_all().clean(payload);
        assert_eq!(cleaned, *text, "{payload:?}");
        // No payload spells `<` as a reference: any tag in the output would
        // have been formed by markup in the input.
        assert!(!starts_markup(&cleaned), "{payload:?} -> {cleaned:?}");
        // Plain text: nothing entity-encoded.
        for escaped in ["&amp;", "&lt;", "&gt;", "&quot;", "&#"] {
            assert!(!cleaned.contains(escaped), "{payload:?} -> {cleaned:?}");
        }
    }
}

#[test]
fn strip_all_decodes_what_the_input_spelled_with_references() {
    // The input spelled these characters out: they are its text, not markup.
    // Shown unescaped they would be markup, which is why plain text is
    // escaped by whoever renders it.
    let p = HtmlPolicy::strip_all();
    assert_eq!(
        p.clean("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "<script>alert(1)</script>"
    );
    assert_eq!(p.clean("<b>&lt;i&gt;</b>"), "<i>");
    assert_eq!(p.clean("&#x3C;img src=x&#x3E;"), "<img src=x>");
}

/// Text escaped for HTML content, as a template engine would.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[test]
fn cleaning_is_idempotent() {
    // Sanitized HTML cleaned again is the same HTML.
    let policy = HtmlPolicy::basic_formatting();
    for payload in PAYLOADS {
        let once = policy.clean(payload).into_owned();
        assert_eq!(policy.clean(&once), once, "{payload:?}");
    }
    // Plain text is not HTML, so it is not cleaned again as HTML (a decoded
    // `&lt;b&gt;` would then be read as a tag); rendered escaped and sent
    // back, it is the same text.
    let policy = HtmlPolicy::strip_all();
    let texts = STRIP_ALL_TEXT
        .iter()
        .copied()
        .chain(["<b> & </b>", "a < b", "&amp;", "\u{a0}"]);
    for text in texts {
        assert_eq!(policy.clean(&escape(text)), text, "{text:?}");
    }
}
