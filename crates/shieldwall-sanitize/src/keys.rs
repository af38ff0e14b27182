//! Keys that reach a database query or a prototype chain: NoSQL operators
//! (`$gt`, `$where`), dotted paths, `__proto__`, `constructor`, `prototype`.

use serde_json::Value;

/// Whether a key, as decoded (JSON escapes resolved: `"\u0024gt"` is
/// `$gt`), is one a request must not carry: it starts with `$` (a MongoDB
/// operator), contains `.` (a path into a nested document), or is
/// `__proto__`, `constructor` or `prototype` (prototype pollution once the
/// body reaches JavaScript).
///
/// ```
/// use shieldwall_sanitize::is_forbidden_key;
///
/// assert!(is_forbidden_key("$where"));
/// assert!(is_forbidden_key("profile.role"));
/// assert!(is_forbidden_key("__proto__"));
/// assert!(!is_forbidden_key("price$"));
/// ```
#[must_use]
pub fn is_forbidden_key(key: &str) -> bool {
    key.starts_with('$')
        || key.contains('.')
        || matches!(key, "__proto__" | "constructor" | "prototype")
}

/// What happens to a body holding a forbidden key.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyPolicy {
    /// 400 `VALIDATION_FAILED` naming where the key was (never the key; the
    /// names on the way there are the client's too, so shieldwall-core shows
    /// each only when it is a plain identifier). The default.
    #[default]
    Reject,
    /// The key and its value are removed, at any depth.
    Strip,
    /// Nothing: for bodies whose keys are data (a JSON Schema's `$ref`, say).
    Allow,
}

/// Removes every forbidden key, at any depth; how many were removed.
///
/// ```
/// use shieldwall_sanitize::strip_forbidden_keys;
///
/// let mut body = serde_json::json!({"name": "a", "filter": {"$gt": ""}, "list": [{"__proto__": 1}]});
/// assert_eq!(strip_forbidden_keys(&mut body), 2);
/// assert_eq!(body, serde_json::json!({"name": "a", "filter": {}, "list": [{}]}));
/// ```
pub fn strip_forbidden_keys(value: &mut Value) -> usize {
    match value {
        Value::Object(map) => {
            let before = map.len();
            map.retain(|key, _| !is_forbidden_key(key));
            let removed = before - map.len();
            removed + map.values_mut().map(strip_forbidden_keys).sum::<usize>()
        }
        Value::Array(items) => items.iter_mut().map(strip_forbidden_keys).sum(),
        _ => 0,
    }
}
