//! Streams one file to a presigned URL with a single PUT: read in chunks on a blocking
//! thread, hashed (SHA-256) on the way, paced by an optional rate cap, with a stall watchdog.

mod error;
mod expiry;
mod hash;
mod pool;
mod put;
mod rate;
mod reader;

use std::sync::Arc;
use std::time::Duration;

pub use crate::config::schedule::{Limit, Schedule, WeekTime};
pub use error::UploadError;
pub use expiry::url_expired;
pub use hash::sha256_file;
pub use rate::{Clock, RateLimiter};

/// The most one PUT may carry (S3's single-PUT ceiling).
pub const MAX_PUT_BYTES: u64 = 5 << 30;
/// The size of one chunk read from disk and handed to the connection.
const CHUNK: usize = 1 << 20;
/// Chunks that may wait between the reader thread and the connection.
const CHUNKS_IN_FLIGHT: usize = 4;

/// What was sent and accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub sha256: String,
    pub bytes: u64,
}

/// Watches uploads as they go: progress bars, the service's progress lines, `status`.
pub trait Report: Send + Sync {
    /// A PUT of `size` bytes of `path` starts; the returned handle follows it and is
    /// dropped when it ends (accepted or not).
    fn start(&self, path: &std::path::Path, size: u64) -> Box<dyn Transfer>;
}

/// One PUT being sent.
pub trait Transfer: Send + Sync {
    /// `total` bytes of the body have been handed to the connection so far.
    fn sent(&self, total: u64);
    /// The storage accepted the whole file.
    fn accepted(&self);
}

/// Sends files to presigned URLs.
#[derive(Clone)]
pub struct Uploader {
    http: reqwest::Client,
    stall: Duration,
    limiter: Option<Arc<RateLimiter>>,
    watch: Option<Arc<dyn Report>>,
}

impl Uploader {
    /// An uploader on a shared HTTP client; `max_bytes_per_sec` 0 means no cap.
    pub fn new(http: reqwest::Client, stall: Duration, max_bytes_per_sec: u64) -> Uploader {
        Uploader::scheduled(http, stall, max_bytes_per_sec, None)
    }

    /// An uploader under a cap and a bandwidth timetable read at the local time.
    pub fn scheduled(
        http: reqwest::Client,
        stall: Duration,
        max_bytes_per_sec: u64,
        schedule: Option<Schedule>,
    ) -> Uploader {
        let limiter = (max_bytes_per_sec > 0 || schedule.is_some()).then(|| {
            Arc::new(RateLimiter::scheduled(
                max_bytes_per_sec,
                schedule,
                Arc::new(WeekTime::now_local),
            ))
        });
        Uploader {
            http,
            stall,
            limiter,
            watch: None,
        }
    }

    /// The same uploader, reporting every PUT to `watch`.
    pub fn watched(mut self, watch: Arc<dyn Report>) -> Uploader {
        self.watch = Some(watch);
        self
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_single_put_ceiling_is_the_one_the_storage_enforces() {
        assert_eq!(super::MAX_PUT_BYTES, move_sandbox::MAX_PUT_BYTES);
    }
}
