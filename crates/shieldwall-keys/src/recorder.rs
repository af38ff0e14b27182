//! Last-use times, gathered in memory and written in batches.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

/// The pending last uses since the previous flush.
#[derive(Debug, Default)]
pub(crate) struct UseRecorder {
    pending: Mutex<HashMap<String, SystemTime>>,
}

impl UseRecorder {
    pub(crate) fn record(&self, id: &str, at: SystemTime) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        match pending.get_mut(id) {
            Some(last) => *last = (*last).max(at),
            None => {
                pending.insert(id.to_owned(), at);
            }
        }
    }

    pub(crate) fn take(&self) -> Vec<(String, SystemTime)> {
        match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => Vec::new(),
        }
    }
}
