//! `Pagination`: the query every list route takes, and the headers every
//! page answers with.

use http::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use shieldwall_sanitize::Sanitize;
use validator::Validate;

/// The order of a listing by creation time.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Oldest first.
    Asc,
    /// Newest first (the default).
    #[default]
    Desc,
}

/// `page` (from 1, default 1), `limit` (1 to 100, default 20) and `sort`
/// (`asc` or `desc`, default `desc`), read from a query string with
/// `ValidQuery<Pagination>` or [`crate::parse_query`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, Validate)]
#[serde(default)]
pub struct Pagination {
    /// The page, from 1.
    #[validate(range(min = 1))]
    pub page: u32,
    /// Items per page, 1 to 100.
    #[validate(range(min = 1, max = 100))]
    pub limit: u32,
    /// The order.
    pub sort: SortOrder,
}

impl Default for Pagination {
    fn default() -> Self {
        Self {
            page: 1,
            limit: 20,
            sort: SortOrder::Desc,
        }
    }
}

/// Numbers only: nothing to clean.
impl Sanitize for Pagination {}

impl Pagination {
    /// How many items come before this page (saturating).
    #[must_use]
    pub fn offset(&self) -> usize {
        usize::try_from(self.page.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .saturating_mul(self.limit as usize)
    }

    /// The page's items out of all of them, in order.
    pub fn page_of<I: IntoIterator>(&self, items: I) -> impl Iterator<Item = I::Item> {
        items
            .into_iter()
            .skip(self.offset())
            .take(self.limit as usize)
    }
}

/// `X-Total-Count` and `X-Page-Count`.
pub type PageHeaders = [(HeaderName, HeaderValue); 2];

/// The headers of a page: `X-Total-Count` (all items) and `X-Page-Count`
/// (pages of `limit` items; 0 when there are no items).
///
/// ```
/// let [(total, t), (pages, p)] = shieldwall_validate::page_headers(45, 20);
/// assert_eq!((total.as_str(), t.to_str().unwrap()), ("x-total-count", "45"));
/// assert_eq!((pages.as_str(), p.to_str().unwrap()), ("x-page-count", "3"));
/// ```
#[must_use]
pub fn page_headers(total: usize, limit: u32) -> PageHeaders {
    let pages = total.div_ceil(limit.max(1) as usize);
    [
        (
            HeaderName::from_static("x-total-count"),
            HeaderValue::from(total),
        ),
        (
            HeaderName::from_static("x-page-count"),
            HeaderValue::from(pages),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_query;

    fn fields(query: &str) -> Vec<(String, String)> {
        parse_query::<Pagination>(Some(query))
            .unwrap_err()
            .problem()
            .errors
            .iter()
            .map(|e| (e.field.to_string(), e.code.to_string()))
            .collect()
    }

    #[test]
    fn defaults_coercion_and_refusals() {
        assert_eq!(
            parse_query::<Pagination>(None).unwrap(),
            Pagination::default()
        );
        assert_eq!(
            parse_query::<Pagination>(Some("other=1&page=3"))
                .unwrap()
                .page,
            3
        );
        let p = parse_query::<Pagination>(Some("page=2&limit=100&sort=asc")).unwrap();
        assert_eq!(
            (p.page, p.limit, p.sort, p.offset()),
            (2, 100, SortOrder::Asc, 100)
        );
        assert_eq!(fields("page=0"), [("page".into(), "range".into())]);
        assert_eq!(fields("limit=101"), [("limit".into(), "range".into())]);
        assert_eq!(fields("limit=0"), [("limit".into(), "range".into())]);
        for bad in [
            "page=x",
            "page=",
            "page=-1",
            "page=1.5",
            "page=99999999999",
            "limit=1e2",
        ] {
            let name = bad.split('=').next().unwrap();
            assert_eq!(
                fields(bad),
                [(name.to_owned(), "invalid_value".into())],
                "{bad}"
            );
        }
        assert_eq!(
            fields("sort=sideways"),
            [("sort".into(), "invalid_value".into())]
        );
        assert_eq!(
            fields("page=1&page=2"),
            [("page".into(), "duplicate".into())]
        );
        let err = parse_query::<Pagination>(Some("page=hunter2")).unwrap_err();
        let rendered = String::from_utf8_lossy(err.to_response(None).body()).into_owned();
        assert!(!rendered.contains("hunter2"), "{rendered}");
    }

    #[test]
    fn pages_and_headers() {
        let p = Pagination {
            page: 2,
            limit: 2,
            sort: SortOrder::Asc,
        };
        assert_eq!(p.page_of(1..=5).collect::<Vec<_>>(), [3, 4]);
        let [(_, total), (_, pages)] = page_headers(0, 20);
        assert_eq!(
            (total.to_str().unwrap(), pages.to_str().unwrap()),
            ("0", "0")
        );
    }
}
