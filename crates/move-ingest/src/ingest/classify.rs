//! One function decides what a failure means for the step it stopped: ask for a new upload
//! URL, defer until the file settles, let the recording go (its file is gone), retry after a
//! delay, wait for a later round (a transient failure that outlasted the quick retries), or
//! fail with a reason. The retry budget (`retry.max_attempts`) counts retries only.

use std::time::Duration;

use crate::model::recording::FailureKind;
use crate::retry::{Cause, Failure, Policy};

/// Fresh upload URLs that may be spent one after the other, with no other failure between
/// them, before the step fails: a storage that refuses every URL, or a clock so far ahead
/// that every URL looks expired, must not loop forever.
pub const NEW_URLS_IN_A_ROW: u32 = 3;

/// What to do after a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The upload URL is spent: ask `createFile` for a new one and send again.
    NewUrl,
    /// The file changed: leave it until it holds still, then send it again.
    Defer { reason: String },
    /// The file vanished: the recording leaves the queue (not a failure).
    Gone { reason: String },
    /// The same request again after `wait`.
    Retry { wait: Duration },
    /// The quick retries of a transient failure are used up: the recording waits and is
    /// tried again later (`Event::Retrying`), never failed for it.
    Later { reason: String },
    /// Nothing more to try: the recording fails with this reason.
    Fail { kind: FailureKind, reason: String },
}

/// Waits out a retry of the current recording's step: the status page shows it (attempt,
/// error, when) meanwhile.
pub async fn wait_for_retry(tries: &Tries, err: &impl std::fmt::Display, wait: Duration) {
    crate::observe::monitor::Monitor::retrying_here(tries.retries(), &err.to_string(), wait);
    tokio::time::sleep(wait).await;
}

/// What one step has used so far: its retries (the budget) and the URLs spent in a row.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tries {
    retries: u32,
    urls_in_a_row: u32,
}

impl Tries {
    /// Decides what `err` means and counts what it allows: a retry, or a new URL.
    pub fn next(&mut self, err: &impl Failure, policy: &Policy) -> Next {
        match err.cause() {
            Cause::UrlSpent => {
                self.urls_in_a_row += 1;
                if self.urls_in_a_row <= NEW_URLS_IN_A_ROW {
                    return Next::NewUrl;
                }
                Next::Fail {
                    kind: FailureKind::GaveUp,
                    reason: format!(
                        "{err} ({} fresh upload URLs in a row were expired or refused; check the machine's clock and any proxy in between)",
                        self.urls_in_a_row
                    ),
                }
            }
            Cause::Changed => Next::Defer {
                reason: err.to_string(),
            },
            Cause::Vanished => Next::Gone {
                reason: err.to_string(),
            },
            Cause::Transient { retry_after } => {
                self.urls_in_a_row = 0;
                self.retries += 1;
                if !policy.allows(self.retries) {
                    return Next::Later {
                        reason: format!("{err} (still failing after {} attempts)", self.retries),
                    };
                }
                Next::Retry {
                    wait: policy.delay(self.retries, retry_after),
                }
            }
            Cause::Permanent => Next::Fail {
                kind: FailureKind::Refused,
                reason: err.to_string(),
            },
        }
    }

    /// How many times the request was retried.
    pub fn retries(&self) -> u32 {
        self.retries
    }
}

/// Runs `op` until it succeeds or the classifier says anything but "retry".
pub async fn retry<T, E, F, Fut>(policy: &Policy, what: &str, mut op: F) -> Result<T, E>
where
    E: Failure,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut tries = Tries::default();
    loop {
        let err = match op().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let Next::Retry { wait } = tries.next(&err, policy) else {
            return Err(err);
        };
        let attempt = tries.retries();
        crate::observe::monitor::Monitor::retrying_here(attempt, &err.to_string(), wait);
        tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %err, "{what}: will retry");
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_attempts: u32) -> Policy {
        Policy {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(60),
            max_attempts,
        }
    }

    /// A failure of a given cause.
    #[derive(Debug, Clone, Copy)]
    struct Fault(Cause);
    impl std::fmt::Display for Fault {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "fault {:?}", self.0)
        }
    }
    impl Failure for Fault {
        fn cause(&self) -> Cause {
            self.0
        }
    }

    const TRANSIENT: Fault = Fault(Cause::Transient { retry_after: None });
    const CHANGED: Fault = Fault(Cause::Changed);
    const VANISHED: Fault = Fault(Cause::Vanished);
    const URL_SPENT: Fault = Fault(Cause::UrlSpent);

    /// What the classifier says to each failure in turn, in one word each.
    fn walk(max_attempts: u32, faults: &[Fault]) -> Vec<&'static str> {
        let p = policy(max_attempts);
        let mut tries = Tries::default();
        faults
            .iter()
            .map(|f| match tries.next(f, &p) {
                Next::NewUrl => "new url",
                Next::Defer { .. } => "defer",
                Next::Gone { .. } => "gone",
                Next::Retry { .. } => "retry",
                Next::Later { .. } => "later",
                Next::Fail { .. } => "fail",
            })
            .collect()
    }

    #[test]
    fn with_no_retries_allowed_a_changed_vanished_or_spent_url_is_still_not_a_failure() {
        assert_eq!(
            walk(1, &[CHANGED, VANISHED, URL_SPENT, TRANSIENT]),
            ["defer", "gone", "new url", "later"]
        );
    }

    #[test]
    fn only_retries_count_against_the_budget() {
        let faults = [
            URL_SPENT, CHANGED, VANISHED, URL_SPENT, TRANSIENT, TRANSIENT,
        ];
        assert_eq!(
            walk(2, &faults),
            ["new url", "defer", "gone", "new url", "retry", "later"]
        );
        let mut tries = Tries::default();
        let last = [TRANSIENT, TRANSIENT].map(|f| tries.next(&f, &policy(2)));
        let Next::Later { reason } = &last[1] else {
            panic!("the second failed attempt of two ends the quick retries: {last:?}");
        };
        assert!(
            reason.contains("still failing after 2 attempts"),
            "{reason}"
        );
    }

    #[test]
    fn urls_spent_one_after_the_other_end_in_a_failure_naming_the_clock() {
        let in_a_row = [URL_SPENT; NEW_URLS_IN_A_ROW as usize + 1];
        assert_eq!(
            walk(100, &in_a_row),
            ["new url", "new url", "new url", "fail"]
        );
        let mut tries = Tries::default();
        let last = in_a_row.map(|f| tries.next(&f, &policy(100)));
        assert!(
            matches!(&last[NEW_URLS_IN_A_ROW as usize], Next::Fail { kind: FailureKind::GaveUp, reason } if reason.contains("clock")),
            "{last:?}"
        );
        // A retry between them starts the count again.
        let between = [URL_SPENT, TRANSIENT].repeat(2 * NEW_URLS_IN_A_ROW as usize);
        assert!(!walk(100, &between).contains(&"fail"));
    }

    #[test]
    fn permanent_errors_fail_at_once_with_their_own_words() {
        let mut tries = Tries::default();
        assert_eq!(
            tries.next(&Fault(Cause::Permanent), &policy(10)),
            Next::Fail {
                kind: FailureKind::Refused,
                reason: "fault Permanent".into()
            }
        );
    }

    /// How many calls `retry` makes to an operation that fails with `fault` `failures` times.
    async fn calls(fault: Fault, failures: u32) -> (u32, bool) {
        let mut calls = 0;
        let r: Result<(), Fault> = retry(&policy(5), "test", || {
            calls += 1;
            let c = calls;
            async move { if c <= failures { Err(fault) } else { Ok(()) } }
        })
        .await;
        (calls, r.is_ok())
    }

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_up_to_the_limit() {
        assert_eq!(calls(TRANSIENT, u32::MAX).await, (5, false));
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_errors_are_not_retried() {
        assert_eq!(calls(Fault(Cause::Permanent), u32::MAX).await, (1, false));
    }

    #[tokio::test(start_paused = true)]
    async fn success_after_failures() {
        assert_eq!(calls(TRANSIENT, 2).await, (3, true));
    }
}
