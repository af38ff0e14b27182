//! Lua scripts run by SHA, loaded again when Redis has forgotten them.

/// A Lua script, known by its SHA1.
///
/// [`Redis::run_script`](crate::Redis::run_script) sends `EVALSHA` (one round
/// trip); only when Redis answers `NOSCRIPT` (after a restart, a failover or
/// `SCRIPT FLUSH`) does it send `SCRIPT LOAD` and `EVALSHA` again.
#[derive(Clone, Debug)]
pub struct Script {
    source: String,
    sha: String,
}

impl Script {
    /// A script from its source.
    #[must_use]
    pub fn new(source: &str) -> Self {
        let sha = redis::Script::new(source).get_hash().to_owned();
        Self {
            source: source.to_owned(),
            sha,
        }
    }

    /// The SHA1 of the source, in hex.
    #[must_use]
    pub fn sha(&self) -> &str {
        &self.sha
    }

    /// The source.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }
}
