//! The status page at `/`: plain HTML and inline CSS made for a wall screen, refreshing itself
//! every few seconds with no script and nothing loaded from anywhere else (capture machines are
//! often offline), rendered by maud templates that escape every value spliced into them.

use std::time::SystemTime;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::observe::monitor::{Active, ApiDown, Health};
use crate::report::snapshot::{Row, Snapshot};

mod recordings;
mod rigs;
mod space;
mod style;
mod takes;
mod top;

/// Seconds between the page's own reloads.
pub const REFRESH_SECS: u32 = 5;

/// Everything the page shows.
pub struct Page<'a> {
    pub host: &'a str,
    pub health: &'a Health,
    pub api_down: Option<&'a ApiDown>,
    /// `[coordination]`: since when the shared database has not answered (rigs wait).
    pub coordination_down: Option<&'a ApiDown>,
    pub snap: &'a Snapshot,
    /// In-flight recordings with their rows (when known).
    pub active: &'a [(Active, Option<Row>)],
    /// Takes whose thumbnail the server holds (served at `/thumbnail/{take_id}`).
    pub thumbs: &'a [String],
}

/// The whole page.
pub fn render(p: &Page<'_>) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="refresh" content=(REFRESH_SECS);
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { "move-ingest · " (p.host) }
                // A constant of this module, not a value from outside: no escaping.
                style { (PreEscaped(style::CSS)) }
            }
            body {
                (top::header(p))
                (top::banner(p))
                (top::tiles(p))
                main {
                    div {
                        (recordings::uploading(p))
                        (recordings::retrying(p))
                        (recordings::failed(p.snap))
                        (rigs::rigs(p.snap))
                        (space::free_space(p.snap))
                    }
                    div {
                        (takes::latest(p))
                        (recordings::queued(p))
                    }
                }
                footer {
                    "move-ingest " (env!("CARGO_PKG_VERSION"))
                    " · this page reloads every " (REFRESH_SECS) " s · "
                    code { "/metrics" } " " code { "/api/status" } " " code { "/healthz" }
                }
            }
        }
    }
    .into_string()
}

/// A section: its heading with a count, then its items.
fn section(name: &str, count: usize, items: Markup) -> Markup {
    html! {
        section {
            h2 { (name) span.c { (count) } }
            (items)
        }
    }
}

/// A recording's device and name, or `fallback` when its row is not known.
fn title(row: Option<&Row>, fallback: &str) -> Markup {
    html! {
        @if let Some(r) = row {
            span.dev { (r.device) }
            span.name { (r.stem) }
        } @else {
            span.name { (fallback) }
        }
    }
}

/// The start of a long message (errors may carry a whole response body).
fn short(s: &str) -> String {
    const MAX: usize = 140;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

pub use crate::report::history::size;

/// The time of day (UTC) as `hh:mm:ss`.
fn clock(t: SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string();
    s.get(11..19).unwrap_or(&s).to_string()
}

/// The time of a row's latest step (`None`: it cannot be read).
fn updated(r: &Row) -> Option<SystemTime> {
    humantime::parse_rfc3339_weak(r.updated.trim_end_matches('Z')).ok()
}

/// Queued recordings that no worker has taken up yet: (how many, the first rows).
fn waiting_for_worker<'a>(p: &'a Page<'_>) -> (usize, Vec<&'a Row>) {
    not_in_a_worker(p, "queued", &p.snap.queued)
}

/// Retrying recordings (in the state) that no worker is on now: (how many, the first rows).
fn waiting_idle<'a>(p: &'a Page<'_>) -> (usize, Vec<&'a Row>) {
    not_in_a_worker(p, "retrying", &p.snap.retrying)
}

/// Recordings in `state` (the state's `count`, and its first `rows`) that no worker is on now.
fn not_in_a_worker<'a>(p: &Page<'_>, state: &str, rows: &'a [Row]) -> (usize, Vec<&'a Row>) {
    let busy = |id: &str| {
        p.active
            .iter()
            .any(|(_, r)| r.as_ref().is_some_and(|r| r.id == id))
    };
    let taken = p
        .active
        .iter()
        .filter(|(_, r)| r.as_ref().is_some_and(|r| r.state == state))
        .count();
    let rows = rows.iter().filter(|r| !busy(&r.id)).collect();
    (p.snap.count(state).saturating_sub(taken), rows)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;
    use std::time::Duration;

    use super::*;
    use crate::model::recording::FailureKind;
    use crate::observe::monitor::{Doing, Retrying};
    use crate::report::snapshot::WatchSpace;

    fn row(id: &str, device: &str, stem: &str, state: &'static str) -> Row {
        Row {
            id: id.to_string(),
            device: device.to_string(),
            stem: stem.to_string(),
            state,
            take_id: None,
            files: vec![format!("{stem}.mp4")],
            bytes: 1_500_000,
            updated: "2026-12-07T18:00:00Z".to_string(),
            failure: None,
            what_to_do: None,
            retry: None,
            job: None,
        }
    }

    fn active(step: Doing, file: Option<&str>, sent: u64, total: u64) -> Active {
        Active {
            step,
            file: file.map(str::to_string),
            sent: Arc::new(AtomicU64::new(sent)),
            total,
            retry: None,
            since: SystemTime::UNIX_EPOCH,
        }
    }

    /// A snapshot at 18:01:00 with something in every section; `name` is the device and name
    /// of every recording, the watch path, and every error.
    fn snapshot(name: &str) -> Snapshot {
        let taken = humantime::parse_rfc3339("2026-12-07T18:01:00Z").expect("a time");
        let mut failed = row("f1", name, name, "failed");
        failed.failure = Some(("checking".to_string(), format!("{name} is empty (0 bytes)")));
        failed.what_to_do = Some(crate::report::hint::hint(FailureKind::Empty));
        let mut retrying = row("r1", name, name, "retrying");
        retrying.retry = Some((
            "creating take".to_string(),
            format!("503 from the API: {name}"),
            taken + Duration::from_secs(7),
        ));
        let mut take = row("d1", name, name, "done");
        take.take_id = Some(name.to_string());
        take.job = Some(format!("job {name}"));
        Snapshot {
            taken,
            counts: vec![
                ("queued", 1),
                ("uploading", 2),
                ("retrying", 2),
                ("failed", 1),
                ("done", 1),
            ],
            queued: vec![row("q1", name, name, "queued")],
            failed: vec![failed],
            retrying: vec![retrying],
            latest_takes: vec![take],
            oldest_pending: Some(taken - Duration::from_secs(90)),
            last_take: None,
            rigs: Default::default(),
            watches: vec![
                WatchSpace {
                    path: PathBuf::from(format!("/srv/{name}")),
                    free_bytes: Some(5_000_000_000),
                    total_bytes: Some(100_000_000_000),
                },
                WatchSpace {
                    path: PathBuf::from("/gone"),
                    free_bytes: None,
                    total_bytes: None,
                },
            ],
        }
    }

    /// The page for `snapshot(name)` with one upload at half its file and one retry in a worker.
    fn page_of(name: &str, health: Health) -> String {
        let snap = snapshot(name);
        let mut quick = active(Doing::CreatingTake, None, 0, 0);
        quick.retry = Some(Retrying {
            attempt: 3,
            error: format!("timed out: {name}"),
            next_at: snap.taken + Duration::from_secs(4),
        });
        let act = [
            (
                active(
                    Doing::Uploading,
                    Some(&format!("{name}.mp4")),
                    10_000_000,
                    20_000_000,
                ),
                Some(row("u1", name, name, "uploading")),
            ),
            (quick, Some(row("u2", name, name, "retrying"))),
        ];
        let down = ApiDown {
            since: snap.taken - Duration::from_secs(30),
            error: format!("connection refused: {name}"),
        };
        render(&Page {
            host: name,
            health: &health,
            api_down: Some(&down),
            coordination_down: Some(&down),
            snap: &snap,
            active: &act,
            thumbs: &[name.to_string()],
        })
    }

    #[test]
    fn markup_in_names_is_escaped() {
        let evil = r#"<b onclick="x">&'"#;
        let html = page_of(evil, Health::Paused(format!("stuck on {evil}")));
        assert!(!html.contains("<b onclick"), "{html}");
        let escaped = "&lt;b onclick=&quot;x&quot;&gt;&amp;'";
        // Host (title, header), banner, device and name of 7 rows, file names, errors, path,
        // thumbnail URL, job: every one of them escaped.
        let n = html.matches(escaped).count();
        assert!(n >= 20, "{n} escaped: {html}");
        assert!(html.contains(&format!("<img src=\"/thumbnail/{escaped}\" alt=\"\">")));
        assert!(html.contains(&format!("/srv/{escaped}")));
    }

    #[test]
    fn the_page_has_every_section_reloads_itself_and_has_no_script() {
        let html = page_of("cam-a", Health::Ingesting);
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"en\"><head>"));
        assert!(html.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">"
        )));
        assert!(!html.to_ascii_lowercase().contains("<script"));
        // The stylesheet goes in as it is (its quotes are not escaped).
        assert!(html.contains(r#"font:17px/1.45 "DejaVu Sans""#));
        for piece in [
            "<title>move-ingest · cam-a</title>",
            "<span class=\"pill ok\">● Ingesting</span>",
            "<span class=\"when\">updated 18:01:00</span>",
            "<div class=\"banner warn\"><b>The Move API is not answering</b> (for 30 s)",
            "<div class=\"tile \"><div class=\"n\">1</div><div class=\"l\">queued</div></div>",
            "<div class=\"tile warn\"><div class=\"n\">2</div><div class=\"l\">retrying</div></div>",
            "<div class=\"tile bad\"><div class=\"n\">1</div><div class=\"l\">failed</div></div>",
            "<h2>Uploading<span class=\"c\">1</span></h2>",
            "<div class=\"bar\"><i style=\"width:50.0%\"></i></div>",
            "<div class=\"sub\">cam-a.mp4 · 50% · 10 MB of 20 MB</div>",
            "<h2>Retrying after a transient error<span class=\"c\">2</span></h2>",
            "<div class=\"sub\">creating take · next try in 7 s</div>",
            "<div class=\"sub\">creating take · attempt 3 · next try in 4 s</div>",
            "<h2>Failed: needs a person<span class=\"c\">1</span></h2>",
            "<div class=\"todo\"><b>What to do:</b> ",
            "<h2>Free space<span class=\"c\">2</span></h2>",
            "<div class=\"bar disk low\"><i style=\"width:5.0%\"></i></div>",
            "<div class=\"sub\">5.0 GB free of 100 GB (5%)</div>",
            "cannot be read (does it exist?)",
            "<h2>Latest takes<span class=\"c\">1</span></h2>",
            "<div class=\"sub\">cam-a · 1 min ago · job cam-a</div>",
            "<h2>Queued<span class=\"c\">1</span></h2>",
            "<div class=\"sub\">cam-a.mp4 · 1.5 MB · waiting 1 min</div>",
            "<code>/metrics</code> <code>/api/status</code> <code>/healthz</code></footer></body></html>",
        ] {
            assert!(html.contains(piece), "no {piece:?} in {html}");
        }
        // The sections in their columns, in their order.
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("no {s}"));
        assert!(at("<main><div>") < at(">Uploading<"));
        assert!(at(">Uploading<") < at(">Retrying after"));
        assert!(at(">Retrying after") < at(">Failed: needs"));
        assert!(at(">Failed: needs") < at(">Free space<"));
        assert!(at(">Free space<") < at("</div><div><section><h2>Latest takes"));
        assert!(at(">Latest takes<") < at(">Queued<"));
    }

    #[test]
    fn a_paused_daemon_says_why_and_empty_sections_say_so() {
        let snap = Snapshot {
            taken: SystemTime::UNIX_EPOCH,
            counts: Vec::new(),
            queued: Vec::new(),
            failed: Vec::new(),
            retrying: Vec::new(),
            latest_takes: Vec::new(),
            oldest_pending: None,
            last_take: None,
            watches: Vec::new(),
            rigs: Default::default(),
        };
        let health = Health::Paused("the API key was rejected".to_string());
        let html = render(&Page {
            host: "h",
            health: &health,
            api_down: None,
            coordination_down: None,
            snap: &snap,
            active: &[],
            thumbs: &[],
        });
        for piece in [
            "<span class=\"pill bad\">● Paused</span>",
            "<div class=\"banner\"><b>Paused.</b> the API key was rejected</div>",
            "<div class=\"empty\">Nothing in flight.</div>",
            "<div class=\"empty\">No take yet.</div>",
            "<div class=\"empty\">The queue is empty.</div>",
            "<div class=\"tile \"><div class=\"n\">–</div><div class=\"l\">oldest pending</div></div>",
        ] {
            assert!(html.contains(piece), "no {piece:?} in {html}");
        }
        assert!(!html.contains("Retrying after") && !html.contains("Failed: needs"));
    }
}
