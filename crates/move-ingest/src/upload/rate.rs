//! A cap on the total upload rate, shared by every upload's reader thread: `max_bytes_per_sec`
//! and, on top of it, the `schedule` timetable at the time a clock (a parameter) says.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::schedule::{Limit, Schedule, WeekTime};

/// Where the limiter reads the local time of the week (tests pass their own).
pub type Clock = Arc<dyn Fn() -> WeekTime + Send + Sync>;

/// While the timetable pauses uploads, the reader looks at the clock again this often.
const PAUSE_RECHECK: Duration = Duration::from_secs(1);

/// A shared cap on the total upload rate.
pub struct RateLimiter {
    max_bytes_per_sec: u64,
    schedule: Option<Schedule>,
    clock: Clock,
    next_free: std::sync::Mutex<Instant>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("max_bytes_per_sec", &self.max_bytes_per_sec)
            .field("schedule", &self.schedule)
            .finish()
    }
}

impl RateLimiter {
    /// A cap of `bytes_per_sec` across every upload that shares it.
    pub fn new(bytes_per_sec: u64) -> RateLimiter {
        RateLimiter::scheduled(bytes_per_sec, None, Arc::new(WeekTime::now_local))
    }

    /// A cap of `max_bytes_per_sec` (0: none) and the timetable's limit at `clock()`, whichever
    /// is lower.
    pub fn scheduled(
        max_bytes_per_sec: u64,
        schedule: Option<Schedule>,
        clock: Clock,
    ) -> RateLimiter {
        RateLimiter {
            max_bytes_per_sec,
            schedule,
            clock,
            next_free: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// The limit in force now: the lower of the cap and the timetable.
    pub fn limit(&self) -> Limit {
        let scheduled = self
            .schedule
            .as_ref()
            .map_or(Limit::Off, |s| s.limit_at((self.clock)()));
        match (scheduled, self.max_bytes_per_sec) {
            (Limit::Pause, _) => Limit::Pause,
            (Limit::Off, 0) => Limit::Off,
            (Limit::Off, cap) => Limit::Rate(cap),
            (Limit::Rate(r), 0) => Limit::Rate(r),
            (Limit::Rate(r), cap) => Limit::Rate(r.min(cap)),
        }
    }

    /// Whether the timetable pauses uploads now (the stall watchdog then waits too).
    pub fn paused(&self) -> bool {
        self.limit() == Limit::Pause
    }

    /// Blocks the calling (reader) thread until `n` more bytes may go.
    pub(super) fn take(&self, n: usize) {
        let rate = loop {
            match self.limit() {
                Limit::Off => return,
                Limit::Pause => std::thread::sleep(PAUSE_RECHECK),
                Limit::Rate(r) => break r,
            }
        };
        let now = Instant::now();
        let start = {
            let mut next = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(now);
            *next = start + Duration::from_secs_f64(n as f64 / rate as f64);
            start
        };
        if start > now {
            std::thread::sleep(start - now);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU16, Ordering};

    #[test]
    fn the_timetable_switches_the_rate_at_its_times_under_the_cap() {
        let minute = Arc::new(AtomicU16::new(7 * 60 + 59));
        let m = minute.clone();
        let clock: Clock = Arc::new(move || WeekTime {
            weekday: 2,
            minute: m.load(Ordering::Relaxed),
        });
        let schedule = Schedule::parse("08:00,10M 12:00,1M 19:00,off 22:00,0").unwrap();
        let limiter = RateLimiter::scheduled(4 << 20, Some(schedule), clock);
        let at = |h: u16, min: u16| {
            minute.store(h * 60 + min, Ordering::Relaxed);
            limiter.limit()
        };
        assert_eq!(at(7, 59), Limit::Pause, "22:00's pause holds until 08:00");
        assert!(limiter.paused());
        assert_eq!(
            at(8, 0),
            Limit::Rate(4 << 20),
            "10M is above the 4 MiB/s cap"
        );
        assert_eq!(at(12, 0), Limit::Rate(1 << 20));
        assert_eq!(at(19, 0), Limit::Rate(4 << 20), "off leaves the cap");
        assert_eq!(at(22, 0), Limit::Pause);
        let uncapped = RateLimiter::scheduled(
            0,
            Some(Schedule::parse("08:00,10M 19:00,off").unwrap()),
            Arc::new(|| WeekTime {
                weekday: 0,
                minute: 20 * 60,
            }),
        );
        assert_eq!(uncapped.limit(), Limit::Off);
    }

    #[test]
    fn a_paused_reader_goes_on_when_the_clock_reaches_the_next_slot() {
        let minute = Arc::new(AtomicU16::new(22 * 60));
        let m = minute.clone();
        let clock: Clock = Arc::new(move || WeekTime {
            weekday: 0,
            minute: m.load(Ordering::Relaxed),
        });
        let schedule = Schedule::parse("08:00,off 22:00,0").unwrap();
        let limiter = Arc::new(RateLimiter::scheduled(0, Some(schedule), clock));
        let (tx, rx) = std::sync::mpsc::channel();
        let l = limiter.clone();
        let reader = std::thread::spawn(move || {
            l.take(1024);
            tx.send(()).unwrap();
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "paused at 22:00"
        );
        minute.store(8 * 60, Ordering::Relaxed);
        rx.recv_timeout(Duration::from_secs(30))
            .expect("goes on at 08:00");
        reader.join().unwrap();
    }
}
