//! The one retry policy: exponential backoff with full jitter, honouring Retry-After.

use std::time::Duration;

use crate::config::Retry as RetryConfig;

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

    /// True while another attempt is allowed after `attempt` failed ones.
    pub fn allows(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }
}

/// An error the policy can judge.
pub trait Transient {
    /// Worth another attempt.
    fn is_transient(&self) -> bool;
    /// How long the server asked us to wait.
    fn retry_after(&self) -> Option<Duration>;
}

impl Transient for crate::api::ApiError {
    fn is_transient(&self) -> bool {
        crate::api::ApiError::is_transient(self)
    }
    fn retry_after(&self) -> Option<Duration> {
        crate::api::ApiError::retry_after(self)
    }
}

/// Runs `op` until it succeeds, fails permanently, or runs out of attempts.
pub async fn retry<T, E, F, Fut>(policy: &Policy, what: &str, mut op: F) -> Result<T, E>
where
    E: Transient + std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_transient() && policy.allows(attempt) => {
                let wait = policy.delay(attempt, e.retry_after());
                tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %e, "{what}: will retry");
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(e),
        }
    }
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
    fn retry_after_is_honoured() {
        let p = policy();
        assert!(p.delay(1, Some(Duration::from_secs(3))) >= Duration::from_secs(3));
    }

    #[derive(Debug)]
    struct Flaky(bool);
    impl std::fmt::Display for Flaky {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "flaky")
        }
    }
    impl Transient for Flaky {
        fn is_transient(&self) -> bool {
            self.0
        }
        fn retry_after(&self) -> Option<Duration> {
            None
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_up_to_the_limit() {
        let p = policy();
        let mut calls = 0;
        let r: Result<(), Flaky> = retry(&p, "test", || {
            calls += 1;
            async { Err(Flaky(true)) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 5);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_errors_are_not_retried() {
        let p = policy();
        let mut calls = 0;
        let r: Result<(), Flaky> = retry(&p, "test", || {
            calls += 1;
            async { Err(Flaky(false)) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn success_after_failures() {
        let p = policy();
        let mut calls = 0;
        let r: Result<u32, Flaky> = retry(&p, "test", || {
            calls += 1;
            let c = calls;
            async move { if c < 3 { Err(Flaky(true)) } else { Ok(c) } }
        })
        .await;
        assert_eq!(r.ok(), Some(3));
    }
}
