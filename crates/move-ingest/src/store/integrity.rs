//! `PRAGMA quick_check` at every start, on its own read-only connection beside the start-up:
//! a small database is checked before `Store::open` returns; a big one (a million
//! recordings is over a gigabyte) finishes after READY, and no step is written before it passes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::{StoreError, schema};

/// The check's verdict once it is known: `Err` holds what it found.
type Verdict = Option<Result<(), String>>;

/// The running (or finished) check of one database.
pub struct Check {
    path: PathBuf,
    verdict: Mutex<Verdict>,
    done: Condvar,
    notify: tokio::sync::Notify,
}

impl Check {
    /// Starts checking `path` on a thread of its own.
    pub fn start(path: &Path) -> Result<Arc<Check>, StoreError> {
        let check = Arc::new(Check {
            path: path.to_path_buf(),
            verdict: Mutex::new(None),
            done: Condvar::new(),
            notify: tokio::sync::Notify::new(),
        });
        let running = check.clone();
        std::thread::Builder::new()
            .name("state-check".into())
            .spawn(move || {
                let t0 = Instant::now();
                let verdict = run(&running.path);
                let ms = t0.elapsed().as_millis() as u64;
                tracing::info!(
                    ms,
                    ok = verdict.is_ok(),
                    "state database checked (PRAGMA quick_check)"
                );
                running.set(verdict);
            })
            .map_err(StoreError::io("start the check of", path))?;
        Ok(check)
    }

    fn set(&self, verdict: Result<(), String>) {
        *self.lock() = Some(verdict);
        self.done.notify_all();
        self.notify.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Verdict> {
        self.verdict.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Blocks until the verdict is known, or `within` has passed (`None`: not known yet).
    pub fn wait(&self, within: Option<Duration>) -> Option<Result<(), StoreError>> {
        let deadline = within.map(|d| Instant::now() + d);
        let mut verdict = self.lock();
        while verdict.is_none() {
            verdict = match deadline {
                None => self.done.wait(verdict).unwrap_or_else(|p| p.into_inner()),
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    self.done
                        .wait_timeout(verdict, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
        verdict
            .clone()
            .map(|v| v.map_err(|detail| self.damaged(detail)))
    }

    /// Resolves only if the check fails (never if it passes): the service selects on it.
    pub async fn failed(&self) -> StoreError {
        loop {
            let woken = self.notify.notified();
            // The verdict is copied out first: the lock must not be held across an await.
            let verdict = self.lock().clone();
            match verdict {
                Some(Err(detail)) => return self.damaged(detail),
                Some(Ok(())) => std::future::pending::<()>().await,
                None => {}
            }
            woken.await;
        }
    }

    fn damaged(&self, detail: String) -> StoreError {
        StoreError::damaged(&self.path, detail)
    }
}

fn run(path: &Path) -> Result<(), String> {
    let (conn, _) = schema::open_reader(path).map_err(|e| e.to_string())?;
    let mut stmt = conn
        .prepare("PRAGMA quick_check(5)")
        .map_err(|e| e.to_string())?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| e.to_string())?;
    if lines.len() == 1 && lines[0] == "ok" {
        return Ok(());
    }
    Err(format!("PRAGMA quick_check found: {}", lines.join("; ")))
}
