//! A cap on the total upload rate, shared by every upload's reader thread.

use std::time::{Duration, Instant};

/// A shared cap on the total upload rate.
#[derive(Debug)]
pub struct RateLimiter {
    bytes_per_sec: f64,
    next_free: std::sync::Mutex<Instant>,
}

impl RateLimiter {
    /// A cap of `bytes_per_sec` across every upload that shares it.
    pub fn new(bytes_per_sec: u64) -> RateLimiter {
        RateLimiter {
            bytes_per_sec: bytes_per_sec as f64,
            next_free: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Blocks the calling (reader) thread until `n` more bytes may go.
    pub(super) fn take(&self, n: usize) {
        let now = Instant::now();
        let start = {
            let mut next = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(now);
            *next = start + Duration::from_secs_f64(n as f64 / self.bytes_per_sec);
            start
        };
        if start > now {
            std::thread::sleep(start - now);
        }
    }
}
