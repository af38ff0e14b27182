//! The seeded users, their passwords hashed with Argon2id at start.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::{Argon2, Block, Params};
use shieldwall_core::Secret;

use crate::DemoUser;

/// A user of the demo.
#[derive(Clone, Debug)]
pub struct User {
    /// Stable id (`usr_1`, in the order of `SHIELDWALL_DEMO_USERS`), the token's `sub`.
    pub id: String,
    /// Email (lowercase), the login.
    pub email: String,
    /// Display name, from the email's local part.
    pub name: String,
    salt: [u8; 16],
    hash: Secret,
}

/// The users, by email and by id, and a dummy to hash against for unknown
/// emails, so that both failures take the same time.
#[derive(Debug)]
pub struct Users {
    by_email: HashMap<String, User>,
    by_id: HashMap<String, String>,
    dummy: User,
    memory: HashMemory,
}

/// Argon2's working memory (19 MiB a hash), allocated once per hash in
/// flight and reused: the number of hashes in flight is bounded by the
/// caller (`Auth`'s bulkhead), so the memory is too, whatever the allocator
/// keeps after a free.
struct HashMemory {
    free: Mutex<Vec<Vec<Block>>>,
}

impl std::fmt::Debug for HashMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashMemory").finish_non_exhaustive()
    }
}

impl HashMemory {
    const fn new() -> Self {
        Self {
            free: Mutex::new(Vec::new()),
        }
    }

    /// Hashes with a buffer of the pool (a new one when all are in use).
    fn argon2id(&self, password: &[u8], salt: &[u8; 16]) -> Option<Secret> {
        let taken = self.free.lock().ok().and_then(|mut free| free.pop());
        let mut blocks =
            taken.unwrap_or_else(|| vec![Block::new(); Params::default().block_count()]);
        let hash = argon2id(password, salt, &mut blocks);
        if let Ok(mut free) = self.free.lock() {
            free.push(blocks);
        }
        hash
    }
}

fn argon2id(password: &[u8], salt: &[u8; 16], blocks: &mut [Block]) -> Option<Secret> {
    // Argon2id v19 with the default (OWASP) parameters: m = 19 MiB, t = 2, p = 1.
    let mut out = vec![0_u8; 32];
    Argon2::default()
        .hash_password_into_with_memory(password, salt, &mut out, blocks)
        .ok()?;
    Some(Secret::new(out))
}

fn display_name(email: &str) -> String {
    let local = email.split('@').next().unwrap_or_default();
    let mut chars = local.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The id of the user at `index` of `SHIELDWALL_DEMO_USERS` (`usr_1` first):
/// what tokens carry as `sub` and API keys as their owner.
pub(crate) fn user_id(index: usize) -> String {
    format!("usr_{}", index + 1)
}

impl Users {
    /// Hashes every password (slow on purpose).
    pub fn hash(users: &[DemoUser]) -> Option<Self> {
        let memory = HashMemory::new();
        let mut by_email = HashMap::new();
        let mut by_id = HashMap::new();
        for (index, user) in users.iter().enumerate() {
            let salt: [u8; 16] = rand::random();
            let entry = User {
                id: user_id(index),
                email: user.email.clone(),
                name: display_name(&user.email),
                salt,
                hash: memory.argon2id(user.password.expose(), &salt)?,
            };
            by_id.insert(entry.id.clone(), entry.email.clone());
            by_email.insert(entry.email.clone(), entry);
        }
        let salt: [u8; 16] = rand::random();
        let dummy = User {
            id: String::new(),
            email: String::new(),
            name: String::new(),
            salt,
            hash: memory.argon2id(&rand::random::<[u8; 32]>(), &salt)?,
        };
        Some(Self {
            by_email,
            by_id,
            dummy,
            memory,
        })
    }

    /// The user with this email and password, or `None` for a wrong email or
    /// a wrong password, after the same amount of work either way.
    pub fn authenticate(&self, email: &str, password: &[u8]) -> Option<&User> {
        let email = email.trim().to_ascii_lowercase();
        let (user, known) = match self.by_email.get(&email) {
            Some(user) => (user, true),
            None => (&self.dummy, false),
        };
        let matches = self
            .memory
            .argon2id(password, &user.salt)
            .is_some_and(|hash| hash == user.hash);
        (known && matches).then_some(user)
    }

    /// The user with this email (no password check), for seeding.
    pub fn authenticate_email(&self, email: &str) -> Option<&User> {
        self.by_email.get(&email.to_ascii_lowercase())
    }

    /// The user with this id.
    pub fn by_id(&self, id: &str) -> Option<&User> {
        self.by_id
            .get(id)
            .and_then(|email| self.by_email.get(email))
    }

    /// The emails, in no order.
    pub fn emails(&self) -> impl Iterator<Item = &str> {
        self.by_email.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_password_of_a_known_email_passes() {
        let users = Users::hash(&[DemoUser {
            email: "alice@example.com".into(),
            password: Secret::from("alice-password-1"),
        }])
        .unwrap();
        let alice = users
            .authenticate("Alice@Example.com", b"alice-password-1")
            .unwrap();
        assert_eq!((alice.id.as_str(), alice.name.as_str()), ("usr_1", "Alice"));
        assert!(
            users
                .authenticate("alice@example.com", b"alice-password-2")
                .is_none()
        );
        assert!(
            users
                .authenticate("mallory@example.com", b"alice-password-1")
                .is_none()
        );
        assert!(users.authenticate("", b"").is_none());
        assert_eq!(users.by_id("usr_1").unwrap().email, "alice@example.com");
        assert!(users.by_id("usr_9").is_none());
        assert!(!format!("{alice:?}").contains("alice-password"));
    }
}
