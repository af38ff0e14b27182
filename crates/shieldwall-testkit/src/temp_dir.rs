//! A throwaway directory for a test's files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A new directory under the system's temp dir, removed (with what it holds)
/// when dropped.
///
/// ```
/// use shieldwall_testkit::TempDir;
///
/// let dir = TempDir::new("doc");
/// let file = dir.file("a.txt", "hello");
/// assert_eq!(std::fs::read_to_string(&file).unwrap(), "hello");
/// assert_eq!(file, dir.path("a.txt"));
/// let kept = dir.dir().to_path_buf();
/// drop(dir);
/// assert!(!kept.exists());
/// ```
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Makes `shieldwall-<name>-<process id>-<n>`, unique within the process
    /// and among processes.
    pub fn new(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shieldwall-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Self(dir)
    }

    /// The directory itself.
    pub fn dir(&self) -> &Path {
        &self.0
    }

    /// The path of `name` inside the directory (nothing is created).
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Writes `content` to `name` inside the directory; its path.
    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // A process the test started (a browser's helper) may still be
        // closing files: try twice.
        if std::fs::remove_dir_all(&self.0).is_err() {
            std::thread::sleep(Duration::from_millis(200));
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
