//! `RevealOnce`: the text of a key just made, shown to its owner once, on purpose.

use std::fmt;

use zeroize::Zeroizing;

/// The text of a key [`ApiKeys::create`](crate::ApiKeys::create) or
/// [`ApiKeys::rotate`](crate::ApiKeys::rotate) just made: the only time the
/// key exists outside its owner's hands (the store keeps a digest).
///
/// [`RevealOnce::reveal`] takes it by value, so the text is handed out once
/// and on purpose: it is not `Clone`, its `Debug` prints
/// `RevealOnce([REDACTED])` (a `CreatedKey` logged with `{:?}` shows no
/// key), it has no `Display` and no `Serialize`, and when dropped unrevealed
/// its bytes are overwritten.
///
/// ```
/// use shieldwall_keys::{ApiKeys, KeyFormat, MemoryKeyStore, NewKey};
///
/// # futures_util::FutureExt::now_or_never(async {
/// let keys = ApiKeys::builder(MemoryKeyStore::new(), KeyFormat::new("sk_live")?).build();
/// let created = keys.create(NewKey::new("user-7", "ci deploys", ["users:read"])).await?;
/// assert!(!format!("{created:?}").contains("sk_live_"));
/// // Into the one response that shows it to its owner:
/// let text: String = created.key.reveal();
/// assert!(text.starts_with("sk_live_"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap().unwrap();
/// ```
///
/// A second look does not compile:
///
/// ```compile_fail,E0382
/// fn show_twice(created: shieldwall_keys::CreatedKey) -> (String, String) {
///     (created.key.reveal(), created.key.reveal())
/// }
/// ```
pub struct RevealOnce(Zeroizing<String>);

impl RevealOnce {
    pub(crate) fn new(key: Zeroizing<String>) -> Self {
        Self(key)
    }

    /// The key as text, for its owner's eyes; consumes the value. The
    /// returned `String` is yours to keep out of logs and to drop soon.
    #[must_use = "the key can be revealed only once"]
    pub fn reveal(mut self) -> String {
        std::mem::take(&mut *self.0)
    }
}

impl fmt::Debug for RevealOnce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RevealOnce([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key_and_reveal_hands_it_over() {
        let key = RevealOnce::new(Zeroizing::new("sk_hunter2".to_owned()));
        let shown = format!("{key:?} {key:#?}");
        assert!(!shown.contains("hunter2"));
        assert_eq!(shown, "RevealOnce([REDACTED]) RevealOnce([REDACTED])");
        assert_eq!(key.reveal(), "sk_hunter2");
    }
}
