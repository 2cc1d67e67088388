//! Whether the coordination database of a rig over several machines answers (issue 26): since
//! when it does not, for `/healthz` (after `unhealthy_after_secs`) and the page's banner.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::monitor::ApiDown;

/// The shared database has not answered since then; the latest error.
#[derive(Default)]
pub struct CoordinationHealth(Mutex<Option<ApiDown>>);

impl CoordinationHealth {
    /// Notes an exchange: answered, or not (`down`: its error; `since` is kept from the first).
    pub fn note(&self, up: bool, down: Option<String>) {
        let mut slot = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match (up, &mut *slot) {
            (true, s) => *s = None,
            (false, Some(d)) => d.error = down.unwrap_or_default(),
            (false, s) => {
                *s = Some(ApiDown {
                    since: SystemTime::now(),
                    error: down.unwrap_or_default(),
                })
            }
        }
    }

    /// Since when it has not answered, if it does not.
    pub fn down(&self) -> Option<ApiDown> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Why `/healthz` fails: the database has not answered for `after` or longer.
    pub fn unhealthy(&self, now: SystemTime, after: Duration) -> Option<String> {
        let d = self.down()?;
        (now.duration_since(d.since).unwrap_or_default() >= after).then(|| {
            format!(
                "the coordination database has been unreachable for {}: the rig recordings wait (retrying), single cameras go on; latest error: {}",
                crate::report::snapshot::ago(now, d.since),
                d.error
            )
        })
    }
}
