//! The latest takes, as cards with the take's thumbnail or a colour of its device.

use maud::{Markup, html};

use super::{Page, section, updated};
use crate::report::snapshot::{Row, ago};

/// The nine newest takes (the count is of every take done).
pub(super) fn latest(p: &Page<'_>) -> Markup {
    let s = p.snap;
    let items = html! {
        @if s.latest_takes.is_empty() {
            div.empty { "No take yet." }
        } @else {
            div.takes {
                @for r in s.latest_takes.iter().take(9) {
                    (card(p, r))
                }
            }
        }
    };
    section("Latest takes", s.count("done"), items)
}

/// One take: its thumbnail when the server holds one (else its device's name on its device's
/// colour), its name, device, age and processing job.
fn card(p: &Page<'_>, r: &Row) -> Markup {
    let take = r.take_id.as_deref().unwrap_or_default();
    // One colour per device, from a palette that keeps neighbours apart.
    const HUES: [u32; 8] = [210, 150, 280, 20, 330, 185, 45, 100];
    let sum: usize = r.device.bytes().map(usize::from).sum();
    let hue = HUES[sum % HUES.len()];
    html! {
        div.take {
            div.thumb style={
                "background:linear-gradient(135deg,hsl(" (hue) " 45% 28%),hsl("
                ((hue + 40) % 360) " 45% 20%))"
            } {
                @if p.thumbs.iter().any(|t| t == take) {
                    img src={ "/thumbnail/" (take) } alt="";
                } @else {
                    (r.device)
                }
            }
            div.meta {
                div.name { (r.stem) }
                div.sub {
                    (r.device) " · "
                    @if let Some(t) = updated(r) {
                        (ago(p.snap.taken, t)) " ago"
                    }
                    @if let Some(job) = &r.job {
                        " · " (job)
                    }
                }
            }
        }
    }
}
