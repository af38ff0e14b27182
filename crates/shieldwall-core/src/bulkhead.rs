//! `Bulkhead`: a bound on expensive work in flight (password hashing).

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use http::header::RETRY_AFTER;
use shieldwall_errors::{ApiError, ErrorCode};
use tokio::sync::Semaphore;

/// Runs costly blocking work (a password hash: Argon2id takes tens of
/// milliseconds and megabytes of memory) with at most `capacity` jobs in
/// flight. A caller waits for a slot at most `wait`; past that it gets 503
/// `SERVICE_UNAVAILABLE` with `Retry-After`, so a flood spread over many
/// client addresses (which per-address rate limits do not see) costs a
/// bounded amount of memory and threads instead of one blocking thread and
/// one hash's memory per request.
///
/// Cheap to clone; clones share the slots.
///
/// ```
/// use std::num::NonZeroUsize;
/// use std::time::Duration;
/// use shieldwall_core::Bulkhead;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let hashing = Bulkhead::new(NonZeroUsize::MIN, Duration::from_millis(200));
/// let answer = hashing.run_blocking(|| 6 * 7).await?;
/// assert_eq!(answer, 42);
/// # Ok::<(), shieldwall_core::ApiError>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Bulkhead {
    slots: Arc<Semaphore>,
    capacity: NonZeroUsize,
    wait: Duration,
}

impl Bulkhead {
    /// At most `capacity` jobs at once; a caller waits at most `wait`.
    #[must_use]
    pub fn new(capacity: NonZeroUsize, wait: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(capacity.get())),
            capacity,
            wait,
        }
    }

    /// One slot per core this process may use, a wait of one second: for
    /// work that keeps a core busy, such as password hashing.
    #[must_use]
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN);
        Self::new(cores, Duration::from_secs(1))
    }

    /// How many jobs may run at once.
    #[must_use]
    pub fn capacity(&self) -> NonZeroUsize {
        self.capacity
    }

    /// Runs `job` on the blocking thread pool once a slot is free.
    ///
    /// Errors: 503 `SERVICE_UNAVAILABLE` with `Retry-After: 1` when no slot
    /// freed within the wait; 500 `INTERNAL_ERROR` when the job panicked.
    pub async fn run_blocking<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit =
            match tokio::time::timeout(self.wait, Arc::clone(&self.slots).acquire_owned()).await {
                Ok(Ok(permit)) => permit,
                // The semaphore is never closed; a closed one is busy for good.
                Ok(Err(_)) | Err(_) => return Err(busy()),
            };
        tokio::task::spawn_blocking(move || {
            let answer = job();
            drop(permit);
            answer
        })
        .await
        .map_err(ApiError::internal)
    }
}

fn busy() -> ApiError {
    ApiError::new(ErrorCode::ServiceUnavailable)
        .with_detail("the server is busy; try again shortly")
        .with_header(RETRY_AFTER, HeaderValue::from_static("1"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_capacity_run_and_the_rest_are_told_to_retry() {
        let bulkhead = Bulkhead::new(NonZeroUsize::new(2).unwrap(), Duration::from_millis(50));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..12).map(|_| {
            let (bulkhead, running, most) =
                (bulkhead.clone(), Arc::clone(&running), Arc::clone(&most));
            tokio::spawn(async move {
                bulkhead
                    .run_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(500));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            })
        });
        let mut done = 0;
        let mut refused = 0;
        for job in jobs.collect::<Vec<_>>() {
            match job.await.unwrap() {
                Ok(()) => done += 1,
                Err(err) => {
                    assert_eq!(err.code(), ErrorCode::ServiceUnavailable);
                    assert_eq!(err.status(), 503);
                    assert_eq!(err.headers()[RETRY_AFTER], "1");
                    refused += 1;
                }
            }
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(done, 2);
        assert_eq!(refused, 10);
        // Slots come back: the next job runs.
        assert_eq!(bulkhead.run_blocking(|| 1).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_internal_error_and_frees_its_slot() {
        let bulkhead = Bulkhead::new(NonZeroUsize::MIN, Duration::from_millis(500));
        let err = bulkhead
            .run_blocking(|| -> u8 { panic!("boom") })
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InternalError);
        assert_eq!(bulkhead.run_blocking(|| 2).await.unwrap(), 2);
    }
}
