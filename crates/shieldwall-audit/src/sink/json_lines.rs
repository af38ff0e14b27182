//! [`JsonLinesSink`]: one JSON object per line, appended to a file (or
//! written to standard output).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{AuditConfigError, AuditSink, Batch, ChainLink, SinkError};

/// How much of the end of an existing file is read to find its last line.
const TAIL: u64 = 64 * 1024;

/// Appends each batch to a file as JSON lines, in one write per batch.
///
/// - The file is opened when the sink is made (created `0600` on Unix if it
///   does not exist), so a bad path stops start-up rather than losing events.
/// - Writes run on Tokio's blocking pool, never on the runtime's threads.
///   Each batch goes to the OS in one `write`; nothing is `fsync`ed.
/// - A write that fails part way is cut back (the file's length before the
///   batch is restored), so a retry writes every line once; if even that
///   fails, the next write starts on a new line.
/// - When the file ends in a line that the chain sealed, the chain continues
///   from it after a restart.
/// - Rotate with copy-and-truncate (`copytruncate`), or restart the service:
///   the file stays open, so a renamed file keeps receiving events.
#[derive(Debug)]
pub struct JsonLinesSink {
    target: Target,
    resume: Option<ChainLink>,
}

#[derive(Debug)]
enum Target {
    File {
        path: PathBuf,
        /// `None` only while a write is running on the blocking pool, or
        /// after one panicked (then the file is opened again).
        state: Option<FileState>,
    },
    Stdout,
}

#[derive(Debug)]
struct FileState {
    file: File,
    /// The file does not end with a newline: start the next write with one.
    broken_tail: bool,
}

impl JsonLinesSink {
    /// Appends to the file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, AuditConfigError> {
        let path = path.as_ref().to_path_buf();
        let failed = |source| AuditConfigError::File {
            path: path.clone(),
            source,
        };
        let mut file = open_append(&path).map_err(failed)?;
        let (resume, broken_tail) = read_tail(&mut file).map_err(failed)?;
        Ok(Self {
            target: Target::File {
                path,
                state: Some(FileState { file, broken_tail }),
            },
            resume,
        })
    }

    /// Writes to standard output (a container's log collector, the demo's
    /// `SHIELDWALL_AUDIT=stdout`).
    #[must_use]
    pub fn stdout() -> Self {
        Self {
            target: Target::Stdout,
            resume: None,
        }
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// The link of the file's last line, and whether the file ends mid-line.
fn read_tail(file: &mut File) -> io::Result<(Option<ChainLink>, bool)> {
    #[derive(Deserialize)]
    struct Sealed {
        seq: Option<u64>,
        hash: Option<String>,
    }
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok((None, false));
    }
    let start = len.saturating_sub(TAIL);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.take(TAIL).read_to_end(&mut tail)?;
    let broken_tail = tail.last() != Some(&b'\n');
    let complete = match tail.iter().rposition(|&b| b == b'\n') {
        Some(end) => tail.get(..end).unwrap_or_default(),
        None => return Ok((None, broken_tail)),
    };
    let last_line = complete
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(complete, |nl| complete.get(nl + 1..).unwrap_or_default());
    let link = serde_json::from_slice::<Sealed>(last_line)
        .ok()
        .and_then(|sealed| ChainLink::parse(sealed.seq?, &sealed.hash?));
    Ok((link, broken_tail))
}

/// Appends `bytes`; on failure puts the file back to its length before.
fn append(state: &mut FileState, bytes: &[u8]) -> io::Result<()> {
    let before = state.file.metadata()?.len();
    let written = if state.broken_tail {
        state
            .file
            .write_all(b"\n")
            .and_then(|()| state.file.write_all(bytes))
    } else {
        state.file.write_all(bytes)
    };
    match written {
        Ok(()) => {
            state.broken_tail = false;
            Ok(())
        }
        Err(error) => {
            if state.file.set_len(before).is_err() {
                state.broken_tail = true;
            }
            Err(error)
        }
    }
}

fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// Runs `job` on the blocking pool when there is a Tokio runtime, else here.
async fn blocking<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime.spawn_blocking(job).await.map_err(io::Error::other),
        Err(_) => Ok(job()),
    }
}

impl AuditSink for JsonLinesSink {
    async fn write(&mut self, batch: &Batch) -> Result<(), SinkError> {
        let Some(bytes) = batch.shared_lines() else {
            return Err(SinkError::other("the batch has no JSON lines"));
        };
        if bytes.is_empty() {
            return Ok(());
        }
        match &mut self.target {
            Target::Stdout => Ok(blocking(move || write_stdout(&bytes)).await??),
            Target::File { path, state } => {
                let mut current = match state.take() {
                    Some(current) => current,
                    None => FileState {
                        file: open_append(path)?,
                        broken_tail: true,
                    },
                };
                let (current, result) = blocking(move || {
                    let result = append(&mut current, &bytes);
                    (current, result)
                })
                .await?;
                *state = Some(current);
                Ok(result?)
            }
        }
    }

    async fn last_link(&mut self) -> Result<Option<ChainLink>, SinkError> {
        Ok(self.resume.take())
    }

    fn wants_events(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "shieldwall-audit-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ))
    }

    #[test]
    fn the_last_sealed_line_is_found_and_a_torn_tail_noticed() {
        let path = temp_path("tail");
        let hash = "ab".repeat(32);
        std::fs::write(
            &path,
            format!(
                "{{\"seq\":0,\"hash\":\"{}\"}}\n{{\"seq\":1,\"hash\":\"{hash}\"}}\n",
                "cd".repeat(32)
            ),
        )
        .unwrap();
        let mut file = open_append(&path).unwrap();
        let (link, torn) = read_tail(&mut file).unwrap();
        assert_eq!(link, ChainLink::parse(1, &hash));
        assert!(!torn);

        std::fs::write(
            &path,
            format!("{{\"seq\":4,\"hash\":\"{hash}\"}}\n{{\"seq\":5,"),
        )
        .unwrap();
        let mut file = open_append(&path).unwrap();
        let (link, torn) = read_tail(&mut file).unwrap();
        assert_eq!(link, ChainLink::parse(4, &hash));
        assert!(torn);

        std::fs::write(&path, "").unwrap();
        let mut file = open_append(&path).unwrap();
        assert_eq!(read_tail(&mut file).unwrap(), (None, false));
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_torn_tail_gets_a_newline_before_the_next_lines() {
        let path = temp_path("torn");
        std::fs::write(&path, "{\"seq\":5,").unwrap();
        let mut file = open_append(&path).unwrap();
        let (_, broken_tail) = read_tail(&mut file).unwrap();
        let mut state = FileState { file, broken_tail };
        append(&mut state, b"{}\n").unwrap();
        append(&mut state, b"{}\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"seq\":5,\n{}\n{}\n"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_path_that_cannot_be_opened_is_a_config_error() {
        let error = JsonLinesSink::open("/nonexistent-dir/audit.jsonl").unwrap_err();
        assert!(matches!(error, AuditConfigError::File { .. }));
        assert!(error.to_string().contains("/nonexistent-dir/audit.jsonl"));
    }
}
