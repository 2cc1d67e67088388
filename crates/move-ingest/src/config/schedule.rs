//! `[upload] schedule`: a bandwidth timetable in rclone's `--bwlimit` syntax
//! (`"08:00,10M 19:00,off"`, `"Mon-08:00,512K Sat-00:00,off"`, or one value for all week),
//! read at a local time the caller passes, so tests control the clock.

use std::fmt;

/// What the timetable allows at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// No cap (`off`).
    Off,
    /// No upload at all (`0`).
    Pause,
    /// At most this many bytes per second.
    Rate(u64),
}

/// A moment of the week in local time: `weekday` 0 is Monday, `minute` of the day 0..1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WeekTime {
    pub weekday: u8,
    pub minute: u16,
}

const DAY: u32 = 24 * 60;
const DAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

impl WeekTime {
    fn of_week(self) -> u32 {
        u32::from(self.weekday) * DAY + u32::from(self.minute)
    }

    /// The local time now (the system's time zone, as `localtime_r` reads it).
    pub fn now_local() -> WeekTime {
        // SAFETY: `time(NULL)` only reads the clock; `localtime_r` fills the `tm` we own and
        // is thread-safe; a zeroed `tm` is a valid value of the plain C struct.
        let tm = unsafe {
            let t = libc::time(std::ptr::null_mut());
            let mut tm: libc::tm = std::mem::zeroed();
            libc::localtime_r(&t, &mut tm);
            tm
        };
        WeekTime {
            // tm_wday: 0 is Sunday.
            weekday: ((tm.tm_wday + 6) % 7).clamp(0, 6) as u8,
            minute: (tm.tm_hour * 60 + tm.tm_min).clamp(0, DAY as i32 - 1) as u16,
        }
    }
}

/// A parsed timetable: limits from minutes of the week on, sorted; the last one of the week
/// holds until the first one.
#[derive(Clone, PartialEq, Eq)]
pub struct Schedule {
    text: String,
    slots: Vec<(u32, Limit)>,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

impl Schedule {
    /// Parses rclone's `--bwlimit` syntax: one bandwidth for all week, or space-separated
    /// `[Day-]HH:MM,BANDWIDTH` entries. A bandwidth is a number of KiB/s or one with a `B`,
    /// `K`, `M`, `G` suffix (binary units), `off` for no cap or `0` to pause; in rclone's
    /// `UP:DOWN` form only `UP` counts (move-ingest only uploads).
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let entries: Vec<&str> = text.split_whitespace().collect();
        let mut slots = Vec::new();
        match entries.as_slice() {
            [] => return Err("is empty; write e.g. \"08:00,10M 19:00,off\"".into()),
            [one] if !one.contains(',') => slots.push((0, bandwidth(one)?)),
            _ => {
                for entry in entries {
                    let (when, bw) = entry.split_once(',').ok_or_else(|| {
                        format!("`{entry}` is not `HH:MM,BANDWIDTH` (or `Mon-HH:MM,BANDWIDTH`)")
                    })?;
                    let limit = bandwidth(bw)?;
                    let (days, minute) = when_of(when)?;
                    slots.extend(days.map(|d| (d * DAY + minute, limit)));
                }
            }
        }
        slots.sort_by_key(|s| s.0);
        if let Some(w) = slots.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(format!(
                "two entries for the same time ({}); keep one",
                show(w[0].0)
            ));
        }
        Ok(Schedule {
            text: text.to_string(),
            slots,
        })
    }

    /// The limit in force at `t`.
    pub fn limit_at(&self, t: WeekTime) -> Limit {
        let now = t.of_week();
        self.slots
            .iter()
            .rev()
            .find(|s| s.0 <= now)
            .or(self.slots.last())
            .map_or(Limit::Off, |s| s.1)
    }
}

fn show(of_week: u32) -> String {
    let day = DAYS[(of_week / DAY) as usize % 7];
    let m = of_week % DAY;
    format!("{}-{:02}:{:02}", &day[..3], m / 60, m % 60)
}

/// `HH:MM` (every day) or `Day-HH:MM`: the days and the minute of the day.
fn when_of(when: &str) -> Result<(std::ops::Range<u32>, u32), String> {
    let (days, time) = match when.split_once('-') {
        Some((day, time)) => {
            let lower = day.to_ascii_lowercase();
            let d = DAYS
                .iter()
                .position(|full| lower.len() >= 3 && full.starts_with(&lower))
                .ok_or_else(|| format!("`{day}` is not a weekday (Mon, Tue, ... Sun)"))?
                as u32;
            (d..d + 1, time)
        }
        None => (0..7, when),
    };
    let bad = || format!("`{when}` is not a time of day HH:MM");
    let (h, m) = time.split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok((days, h * 60 + m))
}

/// One bandwidth: `off`, `0`, `512` (KiB/s), `512K`, `10M`, `1.5G`, `100B`; `UP:DOWN` takes UP.
fn bandwidth(s: &str) -> Result<Limit, String> {
    let up = s.split_once(':').map_or(s, |(up, _)| up);
    if up.eq_ignore_ascii_case("off") {
        return Ok(Limit::Off);
    }
    let bad = || {
        format!(
            "`{s}` is not a bandwidth: write a number with B, K, M or G (KiB/s without one), `off` or `0`"
        )
    };
    let (num, unit) = match up.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&up[..i], c.to_ascii_uppercase()),
        _ => (up, 'K'),
    };
    let scale: f64 = match unit {
        'B' => 1.0,
        'K' => 1024.0,
        'M' => 1024.0 * 1024.0,
        'G' => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let n: f64 = num.parse().map_err(|_| bad())?;
    if !n.is_finite() || n < 0.0 {
        return Err(bad());
    }
    let bytes = (n * scale).round() as u64;
    Ok(if bytes == 0 {
        Limit::Pause
    } else {
        Limit::Rate(bytes)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(weekday: u8, h: u16, m: u16) -> WeekTime {
        WeekTime {
            weekday,
            minute: h * 60 + m,
        }
    }

    #[test]
    fn a_daily_timetable_switches_at_its_times_and_wraps_past_midnight() {
        let s = Schedule::parse("08:00,10M 12:30,512 19:00,off 23:00,0").unwrap();
        assert_eq!(
            s.limit_at(at(2, 7, 59)),
            Limit::Pause,
            "before 08:00: 23:00's"
        );
        assert_eq!(s.limit_at(at(2, 8, 0)), Limit::Rate(10 << 20));
        assert_eq!(s.limit_at(at(2, 12, 29)), Limit::Rate(10 << 20));
        assert_eq!(s.limit_at(at(2, 12, 30)), Limit::Rate(512 << 10));
        assert_eq!(s.limit_at(at(2, 19, 0)), Limit::Off);
        assert_eq!(s.limit_at(at(2, 23, 0)), Limit::Pause);
        assert_eq!(
            s.limit_at(at(0, 0, 0)),
            Limit::Pause,
            "wraps around the week"
        );
    }

    #[test]
    fn weekday_entries_one_value_and_units() {
        let s = Schedule::parse("Mon-08:00,1M Sat-10:00,off").unwrap();
        assert_eq!(s.limit_at(at(0, 7, 0)), Limit::Off, "Sunday's limit holds");
        assert_eq!(s.limit_at(at(4, 23, 0)), Limit::Rate(1 << 20));
        assert_eq!(s.limit_at(at(5, 10, 0)), Limit::Off);
        assert_eq!(
            Schedule::parse("2.5M").unwrap().limit_at(at(3, 3, 3)),
            Limit::Rate(5 << 19)
        );
        assert_eq!(
            Schedule::parse("100B:1M").unwrap().limit_at(at(3, 3, 3)),
            Limit::Rate(100)
        );
        assert_eq!(
            Schedule::parse("off").unwrap().limit_at(at(1, 1, 1)),
            Limit::Off
        );
    }

    #[test]
    fn bad_timetables_say_what_is_wrong() {
        for (text, says) in [
            ("", "empty"),
            ("08:00,10X", "bandwidth"),
            ("25:00,1M", "time of day"),
            ("Xyz-08:00,1M", "weekday"),
            ("08:00,1M 08:00,2M", "same time"),
            ("08:00 10M", "HH:MM,BANDWIDTH"),
        ] {
            let err = Schedule::parse(text).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }
}
