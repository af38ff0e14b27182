//! Header fields read whole: every field line, combined with `", "` as
//! RFC 9110 section 5.3 allows, under a size limit checked before anything
//! is copied or parsed.

use std::borrow::Cow;

use shieldwall_core::RequestView;

use crate::Reason;

/// The size of header `name` with its lines combined, or `None` when absent.
/// Stops counting past `limit` (and answers `limit + 1`), so that a flood of
/// lines costs no more than the limit.
pub(crate) fn combined_len<R: RequestView + ?Sized>(
    request: &R,
    name: &str,
    limit: usize,
) -> Option<usize> {
    let mut total: Option<usize> = None;
    for line in request.header_values(name) {
        let sum = match total {
            None => line.len(),
            Some(t) => t.saturating_add(2).saturating_add(line.len()),
        };
        if sum > limit {
            return Some(limit.saturating_add(1));
        }
        total = Some(sum);
    }
    total
}

/// Header `name`, its lines combined with `", "`; `Ok(None)` when absent,
/// [`Reason::HeaderTooLarge`] when longer than `limit`. One line (the usual
/// case) is borrowed, not copied; the header is looked up once.
pub(crate) fn combined<'a, R: RequestView + ?Sized>(
    request: &'a R,
    name: &str,
    limit: usize,
) -> Result<Option<Cow<'a, [u8]>>, Reason> {
    let mut value: Option<Cow<'a, [u8]>> = None;
    for line in request.header_values(name) {
        value = Some(match value {
            None => {
                if line.len() > limit {
                    return Err(Reason::HeaderTooLarge);
                }
                Cow::Borrowed(line)
            }
            Some(joined) => {
                if joined.len().saturating_add(2).saturating_add(line.len()) > limit {
                    return Err(Reason::HeaderTooLarge);
                }
                let mut joined = joined.into_owned();
                joined.extend_from_slice(b", ");
                joined.extend_from_slice(line);
                Cow::Owned(joined)
            }
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(lines: &[&str]) -> http::Request<()> {
        let mut builder = http::Request::builder();
        for line in lines {
            builder = builder.header("signature", *line);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn lines_are_combined_and_sized() {
        assert_eq!(combined(&request(&[]), "signature", 10), Ok(None));
        assert_eq!(
            combined(&request(&["a=1"]), "signature", 10)
                .unwrap()
                .as_deref(),
            Some(&b"a=1"[..])
        );
        assert_eq!(
            combined(&request(&["a=1", "b=2"]), "signature", 10)
                .unwrap()
                .as_deref(),
            Some(&b"a=1, b=2"[..])
        );
        assert_eq!(
            combined(&request(&["a=1", "b=22"]), "signature", 8),
            Err(Reason::HeaderTooLarge)
        );
        assert_eq!(
            combined_len(&request(&["a=1", "b=2"]), "signature", 8),
            Some(8)
        );
    }
}
