//! `/api/v1/users`: the framework-free parts (a user directory in memory).

use std::sync::RwLock;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use shieldwall_core::rfc3339;
use shieldwall_errors::ApiError;
use shieldwall_sanitize::{HtmlPolicy, clean_identifier_in_place};
use shieldwall_validate::{Pagination, Sanitize, SortOrder, Validate, rules};

/// `POST /api/v1/users` body: read by `Valid<Json<CreateUserRequest>>`.
#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// An email address of at most 255 characters, nothing invisible in it.
    #[validate(email, length(max = 255), custom(function = "rules::visible"))]
    pub email: String,
    /// 1 to 100 characters of plain text, after markup and invisible
    /// characters are removed and character references decoded
    /// (`<b>Tom</b> & Jerry` is `Tom & Jerry`): escape it where it is rendered.
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// 0 to 150.
    #[validate(range(max = 150))]
    pub age: Option<u8>,
    /// At most 10 000 characters of HTML, cleaned to basic formatting.
    #[validate(length(max = 10000))]
    pub bio: Option<String>,
}

impl Sanitize for CreateUserRequest {
    fn sanitize(&mut self) -> bool {
        let markup = HtmlPolicy::strip_all().clean_in_place(&mut self.name);
        let invisible = clean_identifier_in_place(&mut self.name);
        let trimmed = trim_in_place(&mut self.name);
        let bio = self
            .bio
            .as_mut()
            .is_some_and(|bio| HtmlPolicy::basic_formatting().clean_in_place(bio));
        markup | invisible | trimmed | bio
    }
}

fn trim_in_place(field: &mut String) -> bool {
    let trimmed = field.trim();
    if trimmed.len() == field.len() {
        return false;
    }
    *field = trimmed.to_owned();
    true
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

/// The users, in memory.
#[derive(Debug)]
pub struct Directory {
    users: RwLock<Vec<DirectoryUser>>,
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
        if pagination.sort == SortOrder::Desc {
            sorted.reverse();
        }
        Ok(UserPage {
            data: pagination.page_of(sorted).cloned().collect(),
            page: pagination.page,
            limit: pagination.limit,
            total: users.len(),
        })
    }

    /// Stores a user (validated and cleaned by the extractor).
    pub fn create(&self, request: CreateUserRequest) -> Result<DirectoryUser, ApiError> {
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
    use shieldwall_core::BodyPolicy;
    use shieldwall_validate::parse_body;

    #[test]
    fn create_user_bodies_are_validated_and_cleaned() {
        let policy = BodyPolicy::default();
        let user: CreateUserRequest = parse_body(
            &policy,
            br#"{"email":"ada@example.com","name":" <b>Ada</b> ","bio":"<p onclick=x>hi</p>"}"#,
        )
        .unwrap();
        assert_eq!(
            (user.name.as_str(), user.bio.as_deref()),
            ("Ada", Some("<p>hi</p>"))
        );
        // `name` is plain text: the same text with or without markup, never entity-encoded.
        for (name, stored) in [
            ("<b>Tom</b> & Jerry", "Tom & Jerry"),
            ("Tom &amp; Jerry", "Tom & Jerry"),
            ("Tom & Jerry", "Tom & Jerry"),
            ("a < b", "a < b"),
            ("&lt;b&gt;", "<b>"),
            ("\" onmouseover=\"alert(1)", "\" onmouseover=\"alert(1)"),
        ] {
            let body = serde_json::json!({"email": "ada@example.com", "name": name}).to_string();
            let user: CreateUserRequest = parse_body(&policy, body.as_bytes()).unwrap();
            assert_eq!(user.name, stored, "{name:?}");
        }
        for bad in [
            r#"{"email":"ada@example.com","name":"<i></i>"}"#,
            r#"{"email":"ad\u200ba@example.com","name":"Ada"}"#,
            r#"{"email":"not-an-email","name":"Ada"}"#,
            r#"{"email":"ada@example.com","name":"Ada","age":151}"#,
        ] {
            assert!(
                parse_body::<CreateUserRequest>(&policy, bad.as_bytes()).is_err(),
                "{bad}"
            );
        }
    }
}
