//! The free space of every watch path's file system, with a bar that turns red below 10 %.

use maud::{Markup, html};

use super::{section, size};
use crate::report::snapshot::{Snapshot, WatchSpace};

/// One item per watch path.
pub(super) fn free_space(s: &Snapshot) -> Markup {
    let items = html! {
        @for w in &s.watches {
            div.item {
                span.name { (w.path.display()) }
                (space(w))
            }
        }
    };
    section("Free space", s.watches.len(), items)
}

/// The bar and the numbers, or why there are none.
fn space(w: &WatchSpace) -> Markup {
    match (w.free_bytes, w.total_bytes) {
        (Some(free), Some(total)) if total > 0 => {
            let pct = free as f64 * 100.0 / total as f64;
            let low = if pct < 10.0 { " low" } else { "" };
            html! {
                div class={ "bar disk" (low) } {
                    i style={ "width:" (format_args!("{pct:.1}")) "%" } {}
                }
                div.sub {
                    (size(free)) " free of " (size(total)) " (" (format_args!("{pct:.0}")) "%)"
                }
            }
        }
        _ => html! { div.sub { "cannot be read (does it exist?)" } },
    }
}
