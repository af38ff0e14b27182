//! Shared by the integration tests: temporary files, summaries, test sinks
//! and a tracing capture.
#![allow(dead_code, unreachable_pub, reason = "each test file uses a part")]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use shieldwall_audit::testing::Summary;
use shieldwall_audit::{AuditEvent, AuditSink, Batch, SinkError};
use tokio::sync::Notify;

/// A path in the temporary directory no other test uses, removed on drop.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Self(std::env::temp_dir().join(format!(
            "shieldwall-audit-{name}-{}-{nanos}-{}.jsonl",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        )))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.0)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A request as an adapter would report it.
pub fn summary<'a>(request_id: &'a str, status: u16) -> Summary<'a> {
    let mut summary = Summary::new(request_id, "GET", status);
    summary.latency = Duration::from_micros(250);
    summary.route = Some("/api/v1/users/{id}");
    summary.client_ip = Some("203.0.113.7".parse().unwrap());
    summary.user_agent = Some(b"curl/8.5.0");
    summary
}

/// A sink that stops in its first write until released, telling when it
/// started: the writer is then stuck, as on a dead disk.
#[derive(Clone, Default)]
pub struct StalledSink {
    pub started: Arc<Notify>,
    pub release: Arc<Notify>,
    pub written: Arc<AtomicUsize>,
}

impl AuditSink for StalledSink {
    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        self.started.notify_one();
        self.release.notified().await;
        self.written.fetch_add(batch.len(), Ordering::Relaxed);
        Ok(())
    }
}

/// A sink that fails while `failing` is set, counting attempts, and keeps
/// what it wrote.
#[derive(Clone, Default)]
pub struct FlakySink {
    pub failing: Arc<AtomicBool>,
    pub attempts: Arc<AtomicUsize>,
    pub events: Arc<Mutex<Vec<AuditEvent>>>,
}

impl AuditSink for FlakySink {
    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        if self.failing.load(Ordering::Relaxed) {
            return Err(SinkError::Io(std::io::Error::other("disk full")));
        }
        self.events
            .lock()
            .unwrap()
            .extend(batch.events().iter().cloned());
        Ok(())
    }
}

/// What a tracing subscriber printed.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Installs a `fmt` subscriber writing here, for this thread.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_max_level(tracing::Level::INFO)
            // Plain text whatever features the workspace build turns on
            // (with `ansi`, field names come wrapped in escape codes).
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
