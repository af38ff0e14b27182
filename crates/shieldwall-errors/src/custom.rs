//! An application's own problem codes, rendered like shieldwall's.

use http::StatusCode;

use crate::ErrorCode;

/// An application's own error: an error status, a stable code and a title,
/// rendered by the same problem+json machinery as shieldwall's codes
/// (request id included, internals never).
///
/// Codes are part of an API's contract, known when it is compiled: make one
/// with [`custom_code!`](crate::custom_code), which checks it while the
/// program is built (a bad code fails the build, never a request), or with
/// [`CustomCode::new`] where a `Result` suits better.
///
/// ```
/// use shieldwall_errors::{ApiError, CustomCode, custom_code};
///
/// const ORDER_CONFLICT: CustomCode = custom_code!(409, "ORDER_CONFLICT", "Order conflict");
///
/// let response = ApiError::custom(ORDER_CONFLICT)
///     .with_detail("the order was changed by another request")
///     .to_response(Some("req-7"));
/// assert_eq!(response.status(), 409);
/// let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
/// assert_eq!(body["code"], "ORDER_CONFLICT");
/// assert_eq!(body["title"], "Order conflict");
/// assert_eq!(body["request_id"], "req-7");
///
/// // Checked: not an error status, not SCREAMING_SNAKE_CASE, or one of shieldwall's own codes.
/// assert!(CustomCode::new(200, "OK_THEN", "Fine").is_err());
/// assert!(CustomCode::new(409, "order-conflict", "Order conflict").is_err());
/// assert!(CustomCode::new(429, "RATE_LIMITED", "Slow down").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CustomCode {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
}

/// Why a [`CustomCode`] was refused.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomCodeError {
    /// The status is not a client or server error (400 to 599).
    NotAnErrorStatus(u16),
    /// The code is not 1 to 64 characters of `A`-`Z`, `0`-`9` and `_`,
    /// starting with a letter.
    MalformedCode,
    /// The code is one of shieldwall's own ([`ErrorCode::ALL`]): a client
    /// could no longer tell the two apart.
    BuiltInCode,
    /// The title is empty, longer than 128 bytes, or holds a control
    /// character.
    MalformedTitle,
}

impl CustomCodeError {
    /// What went wrong, in a sentence.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            Self::NotAnErrorStatus(_) => "a custom problem needs a 4xx or 5xx status",
            Self::MalformedCode => {
                "a custom problem code is 1 to 64 of A-Z, 0-9 and _, starting with a letter"
            }
            Self::BuiltInCode => "a custom problem code may not repeat one of shieldwall's codes",
            Self::MalformedTitle => {
                "a custom problem title is 1 to 128 bytes without control characters"
            }
        }
    }
}

impl std::fmt::Display for CustomCodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAnErrorStatus(status) => write!(f, "{} (got {status})", self.message()),
            _ => f.write_str(self.message()),
        }
    }
}

impl std::error::Error for CustomCodeError {}

/// The longest code, in bytes.
const MAX_CODE: usize = 64;
/// The longest title, in bytes.
const MAX_TITLE: usize = 128;

const fn same(a: &str, b: &str) -> bool {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while let ([x, a_rest @ ..], [y, b_rest @ ..]) = (a, b) {
        if *x != *y {
            return false;
        }
        a = a_rest;
        b = b_rest;
    }
    a.is_empty() && b.is_empty()
}

const fn well_formed_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    if bytes.len() > MAX_CODE {
        return false;
    }
    let [first, rest @ ..] = bytes else {
        return false;
    };
    if !first.is_ascii_uppercase() {
        return false;
    }
    let mut rest: &[u8] = rest;
    while let [b, tail @ ..] = rest {
        if !(b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_') {
            return false;
        }
        rest = tail;
    }
    true
}

const fn built_in(code: &str) -> bool {
    let mut codes: &[ErrorCode] = &ErrorCode::ALL;
    while let [known, rest @ ..] = codes {
        if same(known.as_str(), code) {
            return true;
        }
        codes = rest;
    }
    false
}

const fn well_formed_title(title: &str) -> bool {
    let mut bytes = title.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_TITLE {
        return false;
    }
    while let [b, rest @ ..] = bytes {
        if *b < 0x20 || *b == 0x7f {
            return false;
        }
        bytes = rest;
    }
    true
}

impl CustomCode {
    /// A code of this application's: `status` (400 to 599), `code` in
    /// `SCREAMING_SNAKE_CASE` (1 to 64 characters, not one of shieldwall's)
    /// and a short, fixed `title` (what every answer with this code says;
    /// put what differs in the detail).
    pub const fn new(
        status: u16,
        code: &'static str,
        title: &'static str,
    ) -> Result<Self, CustomCodeError> {
        if status < 400 || status > 599 {
            return Err(CustomCodeError::NotAnErrorStatus(status));
        }
        let Ok(status) = StatusCode::from_u16(status) else {
            return Err(CustomCodeError::NotAnErrorStatus(status));
        };
        if !well_formed_code(code) {
            return Err(CustomCodeError::MalformedCode);
        }
        if built_in(code) {
            return Err(CustomCodeError::BuiltInCode);
        }
        if !well_formed_title(title) {
            return Err(CustomCodeError::MalformedTitle);
        }
        Ok(Self {
            status,
            code,
            title,
        })
    }

    /// The status every answer with this code has.
    #[must_use]
    pub const fn status(self) -> StatusCode {
        self.status
    }

    /// The code, as sent in the `code` member.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        self.code
    }

    /// The title.
    #[must_use]
    pub const fn title(self) -> &'static str {
        self.title
    }
}

impl From<CustomCode> for ErrorCode {
    fn from(code: CustomCode) -> Self {
        Self::Custom(code)
    }
}

/// A [`CustomCode`] checked while the program is built: an invalid status,
/// code or title is a compile error, so it can never fail a request.
///
/// ```
/// use shieldwall_errors::{CustomCode, custom_code};
///
/// const QUOTA_EXCEEDED: CustomCode = custom_code!(403, "QUOTA_EXCEEDED", "Monthly quota exceeded");
/// assert_eq!(QUOTA_EXCEEDED.status(), 403);
/// ```
///
/// ```compile_fail
/// // 302 is not an error status: this does not compile.
/// const MOVED: shieldwall_errors::CustomCode = shieldwall_errors::custom_code!(302, "MOVED", "Moved");
/// ```
#[macro_export]
macro_rules! custom_code {
    ($status:expr, $code:expr, $title:expr $(,)?) => {
        const {
            match $crate::CustomCode::new($status, $code, $title) {
                ::core::result::Result::Ok(code) => code,
                ::core::result::Result::Err(error) => ::core::panic!("{}", error.message()),
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_status_code_and_title() {
        assert!(CustomCode::new(409, "ORDER_CONFLICT", "Order conflict").is_ok());
        assert!(CustomCode::new(599, "X1", "x").is_ok());
        assert_eq!(
            CustomCode::new(399, "A", "a"),
            Err(CustomCodeError::NotAnErrorStatus(399))
        );
        assert_eq!(
            CustomCode::new(600, "A", "a"),
            Err(CustomCodeError::NotAnErrorStatus(600))
        );
        for bad in ["", "_A", "1A", "order", "A-B", "A B", "É", &"A".repeat(65)] {
            let bad: &'static str = Box::leak(bad.to_owned().into_boxed_str());
            assert_eq!(
                CustomCode::new(409, bad, "t"),
                Err(CustomCodeError::MalformedCode),
                "{bad:?}"
            );
        }
        assert!(CustomCode::new(409, &*"A".repeat(64).leak(), "t").is_ok());
        for code in ErrorCode::ALL {
            assert_eq!(
                CustomCode::new(409, code.as_str(), "t"),
                Err(CustomCodeError::BuiltInCode)
            );
        }
        for bad in ["", "a\r\nb", "tab\there", "del\u{7f}", &"t".repeat(129)] {
            let bad: &'static str = Box::leak(bad.to_owned().into_boxed_str());
            assert_eq!(
                CustomCode::new(409, "A", bad),
                Err(CustomCodeError::MalformedTitle),
                "{bad:?}"
            );
        }
        assert!(CustomCode::new(409, "A", "Conflit de commande é").is_ok());
    }

    #[test]
    fn a_custom_code_is_an_error_code() {
        const CONFLICT: CustomCode = crate::custom_code!(409, "ORDER_CONFLICT", "Order conflict");
        let code = ErrorCode::from(CONFLICT);
        assert_eq!(code.status(), 409);
        assert_eq!(code.as_str(), "ORDER_CONFLICT");
        assert_eq!(code.title(), "Order conflict");
        assert_eq!(ErrorCode::from_str_opt("ORDER_CONFLICT"), None);
    }
}
