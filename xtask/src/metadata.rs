//! What `cargo metadata` says about the workspace and its lock file.

use std::cmp::Ordering;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::json::{self, Value};
use crate::{Result, cargo};

/// A `rust-version`: `1.89` or `1.88.0`, compared number by number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct RustVersion(Vec<u64>);

impl RustVersion {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let parts: Option<Vec<u64>> = text.split('.').map(|p| p.parse().ok()).collect();
        let mut parts = parts.filter(|p| !p.is_empty() && p.len() <= 3)?;
        // `1.89` is `1.89.0`.
        parts.resize(3, 0);
        Some(Self(parts))
    }

    /// Whether a toolchain of this version can build what needs `other`.
    pub(crate) fn covers(&self, other: &Self) -> bool {
        self.cmp(other) != Ordering::Less
    }
}

impl fmt::Display for RustVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        f.write_str(&parts.join("."))
    }
}

/// A package of the workspace.
#[derive(Debug)]
pub(crate) struct Member {
    pub(crate) name: String,
    /// `publish = false` makes this false.
    pub(crate) publishable: bool,
    /// Its `default` feature turns something on.
    pub(crate) has_default_features: bool,
    /// Every feature but `default`, sorted by name.
    pub(crate) features: Vec<String>,
    pub(crate) edition: String,
    pub(crate) rust_version: Option<RustVersion>,
    /// Its directory is `crates/<name>` of the workspace.
    pub(crate) in_crates_dir: bool,
}

impl Member {
    /// A published crate: under `crates/` and not `publish = false`.
    pub(crate) fn is_published_crate(&self) -> bool {
        self.publishable && self.in_crates_dir
    }
}

/// A package of `Cargo.lock` from outside the workspace.
#[derive(Debug)]
pub(crate) struct Dependency {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) rust_version: Option<RustVersion>,
}

#[derive(Debug)]
pub(crate) struct Metadata {
    pub(crate) members: Vec<Member>,
    pub(crate) dependencies: Vec<Dependency>,
}

/// `cargo metadata --format-version 1 --all-features`: every package of the
/// lock file (all features, all platforms), workspace members apart.
pub(crate) fn load() -> Result<Metadata> {
    let output = cargo()
        .args(["metadata", "--format-version", "1", "--all-features"])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| "cargo metadata wrote invalid UTF-8".to_owned())?;
    let value = json::parse(&text)?;
    let members: Vec<&str> = value
        .get("workspace_members")
        .map(Value::items)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let crates_dir = PathBuf::from(
        value
            .get("workspace_root")
            .and_then(Value::as_str)
            .ok_or("cargo metadata: no workspace_root")?,
    )
    .join("crates");
    let mut metadata = Metadata {
        members: Vec::new(),
        dependencies: Vec::new(),
    };
    for package in value.get("packages").map(Value::items).unwrap_or_default() {
        let text = |key: &str| {
            package
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let rust_version = package
            .get("rust_version")
            .and_then(Value::as_str)
            .and_then(RustVersion::parse);
        if !members.contains(&text("id").as_str()) {
            metadata.dependencies.push(Dependency {
                name: text("name"),
                version: text("version"),
                rust_version,
            });
            continue;
        }
        let features = package
            .get("features")
            .map(Value::members)
            .unwrap_or_default();
        let manifest = PathBuf::from(text("manifest_path"));
        let dir = manifest.parent().unwrap_or(Path::new(""));
        metadata.members.push(Member {
            name: text("name"),
            in_crates_dir: dir.parent() == Some(crates_dir.as_path()),
            // `null`: anywhere; `[]`: `publish = false`.
            publishable: !matches!(package.get("publish"), Some(Value::Array(r)) if r.is_empty()),
            has_default_features: features
                .iter()
                .any(|(name, enables)| name == "default" && !enables.items().is_empty()),
            features: features
                .iter()
                .map(|(name, _)| name.clone())
                .filter(|name| name != "default")
                .collect(),
            edition: text("edition"),
            rust_version,
        });
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_versions_compare_by_number() {
        let v = |s: &str| RustVersion::parse(s).unwrap();
        assert!(v("1.89").covers(&v("1.88.0")));
        assert!(v("1.89").covers(&v("1.89.0")));
        assert!(!v("1.89").covers(&v("1.89.1")));
        assert!(!v("1.9").covers(&v("1.10")));
        assert_eq!(v("1.89").to_string(), "1.89.0");
        assert!(RustVersion::parse("1.x").is_none());
        assert!(RustVersion::parse("").is_none());
    }
}
