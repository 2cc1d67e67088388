//! The status page at `/`: plain HTML and inline CSS made for a wall screen, refreshing itself
//! every few seconds, with nothing loaded from anywhere else (capture machines are often offline).

use std::fmt::Write;
use std::time::SystemTime;

use crate::observe::monitor::{Active, ApiDown, Health, sent};
use crate::report::snapshot::{Row, Snapshot, ago};

/// Seconds between the page's own reloads.
pub const REFRESH_SECS: u32 = 5;

/// Everything the page shows.
pub struct Page<'a> {
    pub host: &'a str,
    pub health: &'a Health,
    pub api_down: Option<&'a ApiDown>,
    pub snap: &'a Snapshot,
    /// In-flight recordings with their rows (when known).
    pub active: &'a [(Active, Option<Row>)],
    /// Takes whose thumbnail the server holds (served at `/thumbnail/{take_id}`).
    pub thumbs: &'a [String],
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The start of a long message (errors may carry a whole response body).
fn short(s: &str) -> String {
    const MAX: usize = 140;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Bytes for people: 1.5 GB, 730 MB.
pub fn size(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else if v < 10.0 {
        format!("{v:.1} {}", UNITS[u])
    } else {
        format!("{v:.0} {}", UNITS[u])
    }
}

fn clock(t: SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string();
    s.get(11..19).unwrap_or(&s).to_string()
}

const CSS: &str = r#"
:root{--bg:#0f1419;--panel:#182029;--line:#26313d;--text:#e6edf3;--dim:#8b98a5;--ok:#3fb950;
--warn:#d29922;--bad:#f85149;--accent:#58a6ff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:17px/1.45 "DejaVu Sans",system-ui,sans-serif}
header{display:flex;align-items:center;gap:24px;padding:18px 32px;border-bottom:1px solid var(--line)}
header h1{font-size:24px;margin:0;font-weight:600}
header .host{color:var(--dim);font-size:20px}
header .when{margin-left:auto;color:var(--dim)}
.pill{padding:6px 16px;border-radius:999px;font-weight:600;font-size:16px}
.pill.ok{background:rgba(63,185,80,.15);color:var(--ok)}
.pill.bad{background:rgba(248,81,73,.15);color:var(--bad)}
.banner{margin:16px 32px 0;padding:14px 18px;border-radius:10px;background:rgba(248,81,73,.12);
border:1px solid rgba(248,81,73,.4)}
.banner.warn{background:rgba(210,153,34,.12);border-color:rgba(210,153,34,.4)}
.tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:16px;padding:20px 32px}
.tile{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:14px 18px}
.tile .n{font-size:40px;font-weight:700;line-height:1.1}
.tile .l{color:var(--dim);text-transform:uppercase;letter-spacing:.06em;font-size:13px}
.tile.bad .n{color:var(--bad)}.tile.warn .n{color:var(--warn)}.tile.ok .n{color:var(--ok)}
.tile.up .n{color:var(--accent)}
main{display:grid;grid-template-columns:3fr 2fr;gap:24px;padding:0 32px 24px}
section{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:16px 20px;margin-bottom:24px}
h2{margin:0 0 12px;font-size:15px;text-transform:uppercase;letter-spacing:.08em;color:var(--dim);font-weight:600}
h2 .c{color:var(--text);margin-left:8px}
.item{padding:10px 0;border-top:1px solid var(--line)}
.item:first-of-type{border-top:0}
.name{font-weight:600}.dev{color:var(--accent);margin-right:8px}
.sub{color:var(--dim);font-size:15px;word-break:break-all}
.bar{height:10px;background:#0b0f14;border-radius:6px;overflow:hidden;margin:8px 0 4px}
.bar i{display:block;height:100%;background:var(--accent);border-radius:6px}
.bar.low i{background:var(--bad)}.bar.disk i{background:var(--ok)}
.fail .name{color:var(--bad)}
.todo{margin-top:6px;padding:8px 12px;background:#0b0f14;border-left:3px solid var(--warn);border-radius:4px;font-size:15px}
.retry .name{color:var(--warn)}
.empty{color:var(--dim);font-style:italic}
.takes{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}
.take{background:#0b0f14;border-radius:10px;overflow:hidden}
.thumb{aspect-ratio:16/9;display:flex;align-items:center;justify-content:center;
background:#1f3a5f;font-size:22px;font-weight:700;color:rgba(255,255,255,.75);letter-spacing:.04em}
.thumb img{width:100%;height:100%;object-fit:cover}
.take .meta{padding:8px 10px;font-size:14px}
.take .meta .name{font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
code{background:#0b0f14;padding:1px 6px;border-radius:4px;font-size:15px}
footer{color:var(--dim);padding:0 32px 20px;font-size:14px}
"#;

/// The whole page.
pub fn render(p: &Page<'_>) -> String {
    let s = p.snap;
    let now = s.taken;
    let mut h = String::with_capacity(16 * 1024);
    let _ = write!(
        h,
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta http-equiv=refresh content={REFRESH_SECS}>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>move-ingest · {host}</title><style>{CSS}</style></head><body>",
        host = esc(p.host)
    );
    let (pill, state) = match p.health {
        Health::Ingesting => ("ok", "● Ingesting".to_string()),
        Health::Paused(_) => ("bad", "● Paused".to_string()),
    };
    let _ = write!(
        h,
        "<header><h1>move-ingest</h1><span class=host>{}</span><span class=\"pill {pill}\">{state}</span>\
         <span class=when>updated {}</span></header>",
        esc(p.host),
        clock(now)
    );
    if let Health::Paused(reason) = p.health {
        let _ = write!(h, "<div class=banner><b>Paused.</b> {}</div>", esc(reason));
    } else if let Some(d) = p.api_down {
        let _ = write!(
            h,
            "<div class=\"banner warn\"><b>The Move API is not answering</b> (for {}); uploads are retried by themselves. Latest error: {}</div>",
            ago(now, d.since),
            esc(&short(&d.error))
        );
    }
    tiles(&mut h, p);
    h.push_str("<main><div>");
    uploading(&mut h, p);
    retrying(&mut h, p);
    failed(&mut h, s);
    disks(&mut h, s);
    h.push_str("</div><div>");
    takes(&mut h, p, now);
    queued(&mut h, p, now);
    h.push_str("</div></main>");
    let _ = write!(
        h,
        "<footer>move-ingest {} · this page reloads every {REFRESH_SECS} s · <code>/metrics</code> <code>/api/status</code> <code>/healthz</code></footer></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// Queued recordings that no worker has taken up yet: (how many, the first rows).
fn waiting_for_worker<'a>(p: &'a Page<'_>) -> (usize, Vec<&'a Row>) {
    not_in_a_worker(p, "queued", &p.snap.queued)
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

fn tiles(h: &mut String, p: &Page<'_>) {
    let s = p.snap;
    let quick = p.active.iter().filter(|a| a.0.retry.is_some()).count();
    let uploading = p.active.len() - quick;
    let retrying = quick + waiting_idle(p).0;
    let failed = s.count("failed");
    let oldest = s
        .oldest_pending
        .map_or_else(|| "–".to_string(), |t| ago(s.taken, t));
    let tiles = [
        ("", waiting_for_worker(p).0.to_string(), "queued"),
        ("up", uploading.to_string(), "uploading"),
        (
            if retrying > 0 { "warn" } else { "" },
            retrying.to_string(),
            "retrying",
        ),
        (
            if failed > 0 { "bad" } else { "" },
            failed.to_string(),
            "failed",
        ),
        ("ok", s.count("done").to_string(), "done"),
        ("", oldest, "oldest pending"),
    ];
    h.push_str("<div class=tiles>");
    for (class, n, label) in tiles {
        let _ = write!(
            h,
            "<div class=\"tile {class}\"><div class=n>{}</div><div class=l>{label}</div></div>",
            esc(&n)
        );
    }
    h.push_str("</div>");
}

fn title(row: Option<&Row>, fallback: &str) -> String {
    match row {
        Some(r) => format!(
            "<span class=dev>{}</span><span class=name>{}</span>",
            esc(&r.device),
            esc(&r.stem)
        ),
        None => format!("<span class=name>{}</span>", esc(fallback)),
    }
}

fn section_head(h: &mut String, name: &str, count: usize) {
    let _ = write!(h, "<section><h2>{name}<span class=c>{count}</span></h2>");
}

fn uploading(h: &mut String, p: &Page<'_>) {
    let list: Vec<_> = p.active.iter().filter(|a| a.0.retry.is_none()).collect();
    section_head(h, "Uploading", list.len());
    if list.is_empty() {
        h.push_str("<div class=empty>Nothing in flight.</div>");
    }
    for (a, row) in list {
        let _ = write!(h, "<div class=item>{}", title(row.as_ref(), "recording"));
        match &a.file {
            Some(file) if a.total > 0 => {
                let done = sent(a);
                let pct = done as f64 * 100.0 / a.total as f64;
                let _ = write!(
                    h,
                    "<div class=bar><i style=\"width:{pct:.1}%\"></i></div>\
                     <div class=sub>{} · {pct:.0}% · {} of {}</div>",
                    esc(file),
                    size(done),
                    size(a.total)
                );
            }
            _ => {
                let _ = write!(h, "<div class=sub>{}</div>", esc(a.step.as_str()));
            }
        }
        h.push_str("</div>");
    }
    h.push_str("</section>");
}

/// Retrying recordings (in the state) that no worker is on now: (how many, the first rows).
fn waiting_idle<'a>(p: &'a Page<'_>) -> (usize, Vec<&'a Row>) {
    not_in_a_worker(p, "retrying", &p.snap.retrying)
}

fn retrying(h: &mut String, p: &Page<'_>) {
    let list: Vec<_> = p.active.iter().filter(|a| a.0.retry.is_some()).collect();
    let (idle, rows) = waiting_idle(p);
    if list.is_empty() && idle == 0 {
        return;
    }
    section_head(h, "Retrying after a transient error", list.len() + idle);
    for r in rows {
        let Some((step, error, next)) = &r.retry else {
            continue;
        };
        let when = match next.duration_since(p.snap.taken) {
            Ok(wait) => format!("next try in {} s", wait.as_secs()),
            Err(_) if p.api_down.is_some() => "waiting for the API to answer".to_string(),
            Err(_) => "next try now".to_string(),
        };
        let _ = write!(
            h,
            "<div class=\"item retry\">{}<div class=sub>{} · {when}</div>\
             <div class=sub>{}</div></div>",
            title(Some(r), "recording"),
            esc(step),
            esc(&short(error))
        );
    }
    for (a, row) in list {
        let Some(r) = &a.retry else { continue };
        let wait = r
            .next_at
            .duration_since(p.snap.taken)
            .unwrap_or_default()
            .as_secs();
        let _ = write!(
            h,
            "<div class=\"item retry\">{}<div class=sub>{} · attempt {} · next try in {wait} s</div>\
             <div class=sub>{}</div></div>",
            title(row.as_ref(), "recording"),
            esc(a.step.as_str()),
            r.attempt,
            esc(&short(&r.error))
        );
    }
    h.push_str("</section>");
}

fn failed(h: &mut String, s: &Snapshot) {
    let n = s.count("failed");
    if n == 0 {
        return;
    }
    section_head(h, "Failed: needs a person", n);
    for r in &s.failed {
        let (step, reason) = r
            .failure
            .as_ref()
            .map_or(("", ""), |f| (f.0.as_str(), f.1.as_str()));
        let _ = write!(
            h,
            "<div class=\"item fail\">{}<div class=sub>failed at {}: {}</div>\
             <div class=todo><b>What to do:</b> {}</div></div>",
            title(Some(r), ""),
            esc(step),
            esc(reason),
            esc(r.what_to_do.unwrap_or(""))
        );
    }
    h.push_str("</section>");
}

fn queued(h: &mut String, p: &Page<'_>, now: SystemTime) {
    let (n, rows) = waiting_for_worker(p);
    section_head(h, "Queued", n);
    if n == 0 {
        h.push_str("<div class=empty>The queue is empty.</div>");
    }
    for r in &rows {
        let when = humantime::parse_rfc3339_weak(r.updated.trim_end_matches('Z'))
            .map(|t| format!(" · waiting {}", ago(now, t)))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<div class=item>{}<div class=sub>{} · {}{when}</div></div>",
            title(Some(r), ""),
            esc(&r.files.join(" + ")),
            size(r.bytes)
        );
    }
    if n > rows.len() {
        let _ = write!(
            h,
            "<div class=\"item empty\">and {} more</div>",
            n - rows.len()
        );
    }
    h.push_str("</section>");
}

fn takes(h: &mut String, p: &Page<'_>, now: SystemTime) {
    let s = p.snap;
    section_head(h, "Latest takes", s.count("done"));
    if s.latest_takes.is_empty() {
        h.push_str("<div class=empty>No take yet.</div>");
    } else {
        h.push_str("<div class=takes>");
    }
    for r in s.latest_takes.iter().take(9) {
        let take = r.take_id.as_deref().unwrap_or_default();
        // One colour per device, from a palette that keeps neighbours apart.
        const HUES: [u32; 8] = [210, 150, 280, 20, 330, 185, 45, 100];
        let sum: usize = r.device.bytes().map(usize::from).sum();
        let hue = HUES[sum % HUES.len()];
        let when = humantime::parse_rfc3339_weak(r.updated.trim_end_matches('Z'))
            .map(|t| format!("{} ago", ago(now, t)))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<div class=take><div class=thumb style=\"background:linear-gradient(135deg,hsl({hue} 45% 28%),hsl({h2} 45% 20%))\">{i}</div>\
             <div class=meta><div class=name>{n}</div><div class=sub>{d} · {when}{job}</div></div></div>",
            i = if p.thumbs.iter().any(|t| t == take) {
                format!("<img src=\"/thumbnail/{}\" alt=\"\">", esc(take))
            } else {
                esc(&r.device)
            },
            h2 = (hue + 40) % 360,
            job = r
                .job
                .as_deref()
                .map_or(String::new(), |j| format!(" · {}", esc(j))),
            d = esc(&r.device),
            n = esc(&r.stem),
        );
    }
    if !s.latest_takes.is_empty() {
        h.push_str("</div>");
    }
    h.push_str("</section>");
}

fn disks(h: &mut String, s: &Snapshot) {
    section_head(h, "Free space", s.watches.len());
    for w in &s.watches {
        let path = esc(&w.path.display().to_string());
        match (w.free_bytes, w.total_bytes) {
            (Some(free), Some(total)) if total > 0 => {
                let pct = free as f64 * 100.0 / total as f64;
                let low = if pct < 10.0 { " low" } else { "" };
                let _ = write!(
                    h,
                    "<div class=item><span class=name>{path}</span>\
                     <div class=\"bar disk{low}\"><i style=\"width:{pct:.1}%\"></i></div>\
                     <div class=sub>{} free of {} ({pct:.0}%)</div></div>",
                    size(free),
                    size(total)
                );
            }
            _ => {
                let _ = write!(
                    h,
                    "<div class=item><span class=name>{path}</span><div class=sub>cannot be read (does it exist?)</div></div>"
                );
            }
        }
    }
    h.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_person_writes_them() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_500_000), "1.5 MB");
        assert_eq!(size(27_000_000_000), "27 GB");
    }

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(esc("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
    }
}
