//! The one retry policy (exponential backoff with full jitter, honouring Retry-After), and
//! the words a failure is described in for the classifier (`ingest::classify`).

use std::time::Duration;

use crate::config::RetryConfig;

/// When and how often a transient failure is tried again.
#[derive(Debug, Clone)]
pub struct Policy {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Policy {
    /// The policy from `[retry]`.
    pub fn from_config(cfg: &RetryConfig) -> Policy {
        Policy {
            base: Duration::from_millis(cfg.base_ms),
            cap: Duration::from_secs(cfg.cap_secs),
            max_attempts: cfg.max_attempts,
        }
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1): a random time up to
    /// `min(cap, base * 2^(attempt-1))`, but never less than what the server asked for.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.base.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let ceiling = exp.min(self.cap);
        let jittered = ceiling.mul_f64(fastrand::f64());
        match retry_after {
            Some(asked) => jittered.max(asked),
            None => jittered,
        }
    }

    /// The wait before the next round of a recording whose quick retries ran out `rounds`
    /// times in a row: the backoff goes on from where the quick retries left it, capped at
    /// `cap`, with half of it jittered (so that recordings of one outage spread out).
    pub fn round_delay(&self, rounds: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.base.saturating_mul(
            1u32.checked_shl(self.max_attempts.saturating_add(rounds).saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let ceiling = exp.min(self.cap).max(self.base);
        let wait = ceiling / 2 + (ceiling / 2).mul_f64(fastrand::f64());
        match retry_after {
            Some(asked) => wait.max(asked),
            None => wait,
        }
    }

    /// True while another attempt is allowed after `attempt` failed ones.
    pub fn allows(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }
}

/// What a failure is, as far as what to do next is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The upload URL is spent (expired, or refused with 403): a fresh one may work.
    UrlSpent,
    /// The file changed while it was sent: what was sent must not be used.
    Changed,
    /// The file is gone.
    Vanished,
    /// Worth another attempt of the same request, after at least `retry_after` if given.
    Transient { retry_after: Option<Duration> },
    /// Another attempt would fail the same way.
    Permanent,
}

/// An error the classifier can judge.
pub trait Failure: std::fmt::Display {
    /// What the error is.
    fn cause(&self) -> Cause;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            max_attempts: 5,
        }
    }

    #[test]
    fn delays_grow_exponentially_within_the_cap() {
        let p = policy();
        for attempt in 1..=12 {
            let ceiling =
                Duration::from_millis(500 * (1u64 << (attempt - 1))).min(Duration::from_secs(60));
            for _ in 0..50 {
                assert!(p.delay(attempt, None) <= ceiling, "attempt {attempt}");
            }
        }
    }

    #[test]
    fn rounds_wait_longer_up_to_the_cap_and_never_nothing() {
        let p = Policy {
            base: Duration::from_millis(50),
            cap: Duration::from_secs(1),
            max_attempts: 2,
        };
        for _ in 0..50 {
            let first = p.round_delay(1, None);
            assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(200));
            let late = p.round_delay(30, None);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
    }

    #[test]
    fn retry_after_is_honoured() {
        let p = policy();
        assert!(p.delay(1, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
    }
}
