//! The Rigs section: each rig recording that is not done, with its state, volume and missing
//! cameras, and how many are done (nothing when there are no rigs).

use maud::{Markup, html};

use super::{section, short};
use crate::model::rig::RigState;
use crate::report::snapshot::Snapshot;

/// One item per rig recording still in progress or failed; done ones are counted.
pub(super) fn rigs(s: &Snapshot) -> Markup {
    if s.rigs.by_state.is_empty() {
        return html! {};
    }
    let open: Vec<_> = s
        .rigs
        .listed
        .iter()
        .filter(|r| !matches!(r.state(), RigState::Done | RigState::Calibrated))
        .collect();
    let finished = [RigState::Done.as_str(), RigState::Calibrated.as_str()];
    let done: u64 = s
        .rigs
        .by_state
        .iter()
        .filter(|(_, st, _)| finished.contains(&st.as_str()))
        .map(|(_, _, n)| n)
        .sum();
    let items = html! {
        @for r in &open {
            div.item {
                span.dev { (r.rig) }
                span.name { (r.stem) }
                div.sub { (r.state().as_str().replace('_', " ")) }
                @if let Some(v) = &r.volume {
                    div.sub { "volume " (v.id.as_deref().unwrap_or("requested")) " " (v.state.as_ref().map_or("", |s| s.as_str())) }
                }
                @if let Some(m) = r.missing.as_ref().filter(|m| !m.is_empty()) {
                    div.sub { "missing " (m.join(", ")) }
                }
                @if let Some(f) = &r.failure {
                    div.sub { (short(&f.reason)) }
                }
            }
        }
        div.sub { (done) " rig recording(s) done or calibrated" }
    };
    section("Rigs", open.len(), items)
}
