//! `/api/v1/users`: the framework-free parts (a user directory in memory).

use std::sync::RwLock;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use shieldwall_core::rfc3339;
use shieldwall_errors::{ApiError, ErrorCode, FieldError};

/// `POST /api/v1/users` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// At most 255 characters, an email address.
    pub email: String,
    /// 1 to 100 characters.
    pub name: String,
    /// 0 to 150.
    pub age: Option<u8>,
    /// At most 10 000 characters.
    pub bio: Option<String>,
}

/// A stored user.
#[derive(Clone, Debug, Serialize)]
pub struct DirectoryUser {
    /// Id.
    pub id: String,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Age.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age: Option<u8>,
    /// Bio.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    #[serde(skip)]
    created: SystemTime,
}

/// A page of users.
#[derive(Debug, Serialize)]
pub struct UserPage {
    /// The users of this page.
    pub data: Vec<DirectoryUser>,
    /// Page number, from 1.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// All users.
    pub total: usize,
}

impl UserPage {
    /// The `X-Page-Count` value.
    #[must_use]
    pub fn page_count(&self) -> usize {
        self.total.div_ceil(self.limit.max(1) as usize)
    }
}

/// Query `page`, `limit`, `sort`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pagination {
    page: u32,
    limit: u32,
    newest_first: bool,
}

impl Pagination {
    /// Reads `page` (>= 1, default 1), `limit` (1..=100, default 20) and
    /// `sort` (`asc` or `desc`, default `desc`) from a raw query string.
    pub fn from_query(query: Option<&str>) -> Result<Self, ApiError> {
        let mut pagination = Self {
            page: 1,
            limit: 20,
            newest_first: true,
        };
        let mut errors = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for pair in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !matches!(name, "page" | "limit" | "sort") {
                continue;
            }
            if seen.contains(&name) {
                errors.push(FieldError::new(
                    name.to_owned(),
                    "duplicate",
                    "appears more than once",
                ));
                continue;
            }
            seen.push(name);
            match name {
                "page" => match value.parse::<u32>() {
                    Ok(page) if page >= 1 => pagination.page = page,
                    _ => errors.push(FieldError::new(
                        "page",
                        "range",
                        "must be a whole number from 1",
                    )),
                },
                "limit" => match value.parse::<u32>() {
                    Ok(limit) if (1..=100).contains(&limit) => pagination.limit = limit,
                    _ => errors.push(FieldError::new(
                        "limit",
                        "range",
                        "must be a whole number from 1 to 100",
                    )),
                },
                _ => match value {
                    "asc" => pagination.newest_first = false,
                    "desc" => pagination.newest_first = true,
                    _ => errors.push(FieldError::new("sort", "one_of", "must be asc or desc")),
                },
            }
        }
        if errors.is_empty() {
            Ok(pagination)
        } else {
            Err(ApiError::new(ErrorCode::ValidationFailed)
                .with_detail("the query has invalid parameters")
                .with_field_errors(errors))
        }
    }
}

/// The users, in memory.
#[derive(Debug)]
pub struct Directory {
    users: RwLock<Vec<DirectoryUser>>,
}

fn valid_email(email: &str) -> bool {
    email.len() <= 255
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl Directory {
    /// A directory holding the demo users.
    pub fn seeded(users: &[(String, String, String)], now: SystemTime) -> Self {
        let users = users
            .iter()
            .enumerate()
            .map(|(i, (id, email, name))| {
                let created = now + Duration::from_millis(u64::try_from(i).unwrap_or(0));
                DirectoryUser {
                    id: id.clone(),
                    email: email.clone(),
                    name: name.clone(),
                    age: None,
                    bio: None,
                    created_at: rfc3339(created),
                    created,
                }
            })
            .collect();
        Self {
            users: RwLock::new(users),
        }
    }

    /// One page.
    pub fn list(&self, pagination: Pagination) -> Result<UserPage, ApiError> {
        let users = self
            .users
            .read()
            .map_err(|_| ApiError::internal("directory lock poisoned"))?;
        let mut sorted: Vec<&DirectoryUser> = users.iter().collect();
        sorted.sort_by_key(|u| u.created);
        if pagination.newest_first {
            sorted.reverse();
        }
        let start = usize::try_from(pagination.page.saturating_sub(1))
            .unwrap_or(usize::MAX)
            .saturating_mul(pagination.limit as usize);
        Ok(UserPage {
            data: sorted
                .into_iter()
                .skip(start)
                .take(pagination.limit as usize)
                .cloned()
                .collect(),
            page: pagination.page,
            limit: pagination.limit,
            total: users.len(),
        })
    }

    /// Stores a user.
    pub fn create(&self, request: CreateUserRequest) -> Result<DirectoryUser, ApiError> {
        let mut errors = Vec::new();
        if !valid_email(&request.email) {
            errors.push(FieldError::new(
                "email",
                "email",
                "must be an email address of at most 255 characters",
            ));
        }
        let name_len = request.name.chars().count();
        if request.name.trim().is_empty() || name_len > 100 {
            errors.push(FieldError::new(
                "name",
                "length",
                "must be 1 to 100 characters",
            ));
        }
        if request.age.is_some_and(|age| age > 150) {
            errors.push(FieldError::new("age", "range", "must be 0 to 150"));
        }
        if request
            .bio
            .as_ref()
            .is_some_and(|bio| bio.chars().count() > 10_000)
        {
            errors.push(FieldError::new(
                "bio",
                "length",
                "must be at most 10000 characters",
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::new(ErrorCode::ValidationFailed)
                .with_detail("the request body has invalid fields")
                .with_field_errors(errors));
        }
        let mut users = self
            .users
            .write()
            .map_err(|_| ApiError::internal("directory lock poisoned"))?;
        let created = SystemTime::now();
        let user = DirectoryUser {
            id: format!("usr_{}", users.len() + 1),
            email: request.email,
            name: request.name,
            age: request.age,
            bio: request.bio,
            created_at: rfc3339(created),
            created,
        };
        users.push(user.clone());
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_defaults_and_rules() {
        let p = Pagination::from_query(None).unwrap();
        assert_eq!((p.page, p.limit, p.newest_first), (1, 20, true));
        let p = Pagination::from_query(Some("page=2&limit=100&sort=asc&other=x")).unwrap();
        assert_eq!((p.page, p.limit, p.newest_first), (2, 100, false));
        for bad in [
            "page=0",
            "page=-1",
            "page=x",
            "limit=0",
            "limit=101",
            "sort=up",
            "page=1&page=2",
            "limit=1e2",
            "page=99999999999",
        ] {
            assert_eq!(
                Pagination::from_query(Some(bad)).unwrap_err().code(),
                ErrorCode::ValidationFailed,
                "{bad}"
            );
        }
    }

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@example.com"] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@b.co",
            "a@b",
            "a b@c.de",
            "a@b.co.",
            "a@@b.co",
            &format!("{}@b.co", "a".repeat(255)),
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
