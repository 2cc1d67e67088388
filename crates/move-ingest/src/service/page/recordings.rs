//! The sections about recordings that are not done: uploading, retrying, failed and queued.

use maud::{Markup, html};

use super::{Page, section, short, size, title, updated, waiting_for_worker, waiting_idle};
use crate::observe::monitor::{Active, sent};
use crate::report::snapshot::{Snapshot, ago};

/// The recordings a worker is uploading now, with a progress bar for the file being sent.
pub(super) fn uploading(p: &Page<'_>) -> Markup {
    let list: Vec<_> = p.active.iter().filter(|a| a.0.retry.is_none()).collect();
    let items = html! {
        @if list.is_empty() {
            div.empty { "Nothing in flight." }
        }
        @for (a, row) in &list {
            div.item {
                (title(row.as_ref(), "recording"))
                (progress(a))
            }
        }
    };
    section("Uploading", list.len(), items)
}

/// The file being sent with its share sent, else the step the worker is at.
fn progress(a: &Active) -> Markup {
    match &a.file {
        Some(file) if a.total > 0 => {
            let done = sent(a);
            let pct = done as f64 * 100.0 / a.total as f64;
            html! {
                div.bar { i style={ "width:" (format_args!("{pct:.1}")) "%" } {} }
                div.sub {
                    (file) " · " (format_args!("{pct:.0}")) "% · " (size(done)) " of " (size(a.total))
                }
            }
        }
        _ => html! { div.sub { (a.step.as_str()) } },
    }
}

/// Recordings waiting to be tried again after a transient error, in a worker or not; nothing
/// when there are none.
pub(super) fn retrying(p: &Page<'_>) -> Markup {
    let list: Vec<_> = p.active.iter().filter(|a| a.0.retry.is_some()).collect();
    let (idle, rows) = waiting_idle(p);
    if list.is_empty() && idle == 0 {
        return html! {};
    }
    let now = p.snap.taken;
    let items = html! {
        @for r in rows {
            @if let Some((step, error, next)) = &r.retry {
                @let when = match next.duration_since(now) {
                    Ok(wait) => format!("next try in {} s", wait.as_secs()),
                    Err(_) if p.api_down.is_some() => "waiting for the API to answer".to_string(),
                    Err(_) => "next try now".to_string(),
                };
                div class="item retry" {
                    (title(Some(r), "recording"))
                    div.sub { (step) " · " (when) }
                    div.sub { (short(error)) }
                }
            }
        }
        @for (a, row) in &list {
            @if let Some(r) = &a.retry {
                @let wait = r.next_at.duration_since(now).unwrap_or_default().as_secs();
                div class="item retry" {
                    (title(row.as_ref(), "recording"))
                    div.sub { (a.step.as_str()) " · attempt " (r.attempt) " · next try in " (wait) " s" }
                    div.sub { (short(&r.error)) }
                }
            }
        }
    };
    section("Retrying after a transient error", list.len() + idle, items)
}

/// Recordings that failed for good, each with what a person should do; nothing when none did.
pub(super) fn failed(s: &Snapshot) -> Markup {
    let n = s.count("failed");
    if n == 0 {
        return html! {};
    }
    let items = html! {
        @for r in &s.failed {
            @let (step, reason) = r
                .failure
                .as_ref()
                .map_or(("", ""), |f| (f.0.as_str(), f.1.as_str()));
            div class="item fail" {
                (title(Some(r), ""))
                div.sub { "failed at " (step) ": " (reason) }
                div.todo { b { "What to do:" } " " (r.what_to_do.unwrap_or("")) }
            }
        }
    };
    section("Failed: needs a person", n, items)
}

/// Recordings waiting for a worker, the oldest first, with their files and sizes.
pub(super) fn queued(p: &Page<'_>) -> Markup {
    let now = p.snap.taken;
    let (n, rows) = waiting_for_worker(p);
    let items = html! {
        @if n == 0 {
            div.empty { "The queue is empty." }
        }
        @for r in &rows {
            div.item {
                (title(Some(r), ""))
                div.sub {
                    (r.files.join(" + ")) " · " (size(r.bytes))
                    @if let Some(t) = updated(r) {
                        " · waiting " (ago(now, t))
                    }
                }
            }
        }
        @if n > rows.len() {
            div class="item empty" { "and " (n - rows.len()) " more" }
        }
    };
    section("Queued", n, items)
}
