//! What the stacks built from the demo share: the demo itself (its
//! environment, so memory or Redis as `REDIS_URL` says), and the credential
//! the load sends.

use std::sync::Arc;

use example_demo::{Demo, LoginRequest};
use shieldwall_core::Principal;

use crate::Stack;

/// The demo of a stack that uses its guards or handlers, and the one header
/// line each request of the load carries.
#[allow(clippy::exhaustive_structs, reason = "a benchmark's own type")]
#[derive(Debug)]
pub struct Fixture {
    /// The demo, prepared from the environment.
    pub demo: Arc<Demo>,
    /// `Name: value`, for `wrk -H`, when the stack needs a credential.
    pub header: Option<String>,
    /// The demo's first user (alice with the default users), as the
    /// bearer guard would attach her.
    pub user: Principal,
}

impl Fixture {
    /// The fixture of `stack`, or `None` for a stack that needs no demo.
    /// Call it inside the server's runtime (the demo spawns its tasks there).
    pub async fn prepare(stack: Stack) -> Result<Option<Self>, String> {
        if !matches!(
            stack,
            Stack::IpLimit | Stack::ApiKey | Stack::Bearer | Stack::Handlers
        ) {
            return Ok(None);
        }
        let demo = example_demo::prepare()
            .await
            .map_err(|code| format!("the demo's environment was refused ({code:?})"))?;
        let first = demo.config.users.first().ok_or("the demo has no user")?;
        let email = first.email.clone();
        let password = String::from_utf8(first.password.expose().to_vec())
            .map_err(|_| "the first user's password is not UTF-8")?;
        let user_id = demo
            .auth
            .users()
            .authenticate_email(&email)
            .map(|u| u.id.clone())
            .ok_or("the first user is unknown")?;
        let header = match stack {
            Stack::ApiKey | Stack::Handlers => {
                let created = demo
                    .keys
                    .create(&user_id, None)
                    .await
                    .map_err(|e| format!("cannot create a key: {e:?}"))?;
                Some(format!("X-API-Key: {}", created.key))
            }
            Stack::Bearer => {
                let token = demo
                    .auth
                    .login(LoginRequest { email, password })
                    .await
                    .map_err(|e| format!("cannot log in: {e:?}"))?;
                Some(format!("Authorization: Bearer {}", token.access_token))
            }
            _ => None,
        };
        Ok(Some(Self {
            demo: Arc::new(demo),
            header,
            user: Principal::user(user_id),
        }))
    }

    /// The fixture, or an error naming a stack that was built without one.
    pub fn of(fixture: Option<&Self>, stack: Stack) -> Result<&Self, String> {
        fixture.ok_or_else(|| format!("{stack:?} needs Fixture::prepare"))
    }
}
