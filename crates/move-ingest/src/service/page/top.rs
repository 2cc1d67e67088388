//! The top of the page: the header with the host and its state, the banner that says why
//! ingestion is held up, and the tiles with the counts.

use maud::{Markup, html};

use super::{Page, clock, short, waiting_for_worker, waiting_idle};
use crate::observe::monitor::Health;
use crate::report::snapshot::ago;

/// The title, the host, whether it ingests, and when the page was made.
pub(super) fn header(p: &Page<'_>) -> Markup {
    let (pill, state) = match p.health {
        Health::Ingesting => ("ok", "● Ingesting"),
        Health::Paused(_) => ("bad", "● Paused"),
    };
    html! {
        header {
            h1 { "move-ingest" }
            span.host { (p.host) }
            span class={ "pill " (pill) } { (state) }
            span.when { "updated " (clock(p.snap.taken)) }
        }
    }
}

/// Why ingestion is paused, else whether the API stopped answering, and whether the
/// coordination database did; nothing when all is well.
pub(super) fn banner(p: &Page<'_>) -> Markup {
    html! {
        @if let Health::Paused(reason) = p.health {
            div.banner { b { "Paused." } " " (reason) }
        } @else if let Some(d) = p.api_down {
            div class="banner warn" {
                b { "The Move API is not answering" }
                " (for " (ago(p.snap.taken, d.since)) "); uploads are retried by themselves. Latest error: "
                (short(&d.error))
            }
        }
        @if let Some(d) = p.coordination_down {
            div class="banner warn" {
                b { "The coordination database is not answering" }
                " (for " (ago(p.snap.taken, d.since)) "): the rig recordings wait (retrying); single cameras go on. Latest error: "
                (short(&d.error))
            }
        }
    }
}

/// One tile per count: queued, uploading, retrying, failed, done, and the oldest pending age.
pub(super) fn tiles(p: &Page<'_>) -> Markup {
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
    html! {
        div.tiles {
            @for (class, n, label) in &tiles {
                div class={ "tile " (class) } {
                    div.n { (n) }
                    div.l { (label) }
                }
            }
        }
    }
}
