//! Talking to systemd under `Type=notify`: READY=1, STATUS= with the queue counts, and
//! WATCHDOG=1 sent from the pipeline's own loop, so a stuck loop stops the pings.
//!
//! Outside systemd (no `$NOTIFY_SOCKET`) every call does nothing.

use std::time::Duration;

use sd_notify::NotifyState;
use tokio::time::Instant;

/// The notifications of one service run.
#[derive(Debug)]
pub struct Systemd {
    /// Half the `WatchdogSec=` interval, when the watchdog is on.
    ping_every: Option<Duration>,
    next_ping: Instant,
    status: String,
}

impl Systemd {
    /// Reads the watchdog interval systemd set for this process, if any.
    pub fn new() -> Systemd {
        let mut usec = 0;
        let ping_every = sd_notify::watchdog_enabled(false, &mut usec)
            .then(|| Duration::from_micros(usec / 2).max(Duration::from_millis(100)));
        if let Some(every) = ping_every {
            tracing::debug!(every_ms = every.as_millis() as u64, "systemd watchdog on");
        }
        Systemd {
            ping_every,
            next_ping: Instant::now(),
            status: String::new(),
        }
    }

    /// Start-up is over: the state database is open and the unfinished recordings are queued
    /// again (the first scan is taken in after this).
    pub fn ready(&mut self, status: String) {
        send(&[NotifyState::Ready, NotifyState::Status(&status)]);
        self.status = status;
    }

    /// Updates STATUS= when it changed.
    pub fn status(&mut self, status: String) {
        if status != self.status {
            send(&[NotifyState::Status(&status)]);
            self.status = status;
        }
    }

    /// Pings the watchdog when due; called on every turn of the pipeline's loop.
    pub fn ping(&mut self, now: Instant) {
        if let Some(every) = self.ping_every
            && now >= self.next_ping
        {
            send(&[NotifyState::Watchdog]);
            self.next_ping = now + every;
        }
    }

    /// When the loop must wake up to ping the watchdog.
    pub fn next_ping(&self) -> Option<Instant> {
        self.ping_every.map(|_| self.next_ping)
    }

    /// The service is stopping.
    pub fn stopping(&mut self, status: &str) {
        send(&[NotifyState::Stopping, NotifyState::Status(status)]);
    }
}

impl Default for Systemd {
    fn default() -> Self {
        Systemd::new()
    }
}

fn send(states: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::debug!("cannot notify systemd: {e}");
    }
}
