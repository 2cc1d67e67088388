//! How many recordings are in each state: the one count behind `status` (text and `--json`),
//! `/api/status`, the status page and `/metrics`, so that they all give the same answer.

use crate::detect::pairing::WaitingVideo;
use crate::model::recording::Phase;

/// The recordings by state, every state included (zeros too), and their total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Every phase with its count, in [`Phase::ALL`] order.
    pub by_phase: [(Phase, usize); Phase::ALL.len()],
    /// The sum of `by_phase`.
    pub total: usize,
}

impl Counts {
    /// The count of one phase.
    pub fn get(&self, phase: Phase) -> usize {
        self.by_phase
            .iter()
            .find(|(p, _)| *p == phase)
            .map_or(0, |(_, n)| *n)
    }
}

/// Counts the recordings by state: `stored`, the store's counts by phase, and `waiting`, the
/// videos a running service holds back while they wait for their `.move`. Those are not in the
/// store yet, but they are recordings all the same: each counts as `waiting`, and in the total.
pub fn by_state(stored: &[(Phase, u64)], waiting: &[WaitingVideo]) -> Counts {
    let by_phase = Phase::ALL.map(|phase| {
        let in_store: usize = stored
            .iter()
            .filter(|(p, _)| *p == phase)
            .map(|(_, n)| usize::try_from(*n).unwrap_or(usize::MAX))
            .sum();
        let held = if phase == Phase::Waiting {
            waiting.len()
        } else {
            0
        };
        (phase, in_store.saturating_add(held))
    });
    Counts {
        total: by_phase.iter().map(|(_, n)| n).sum(),
        by_phase,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn video(stem: &str) -> WaitingVideo {
        WaitingVideo {
            dir: "/srv/captures/cam-a".into(),
            stem: stem.into(),
            device: "cam-a".into(),
            until: None,
        }
    }

    #[test]
    fn a_video_waiting_for_its_move_counts_as_waiting_and_in_the_total() {
        let stored = [(Phase::Waiting, 2), (Phase::Done, 5), (Phase::Failed, 1)];
        let c = by_state(&stored, &[video("a")]);
        assert_eq!(c.get(Phase::Waiting), 3);
        assert_eq!(c.get(Phase::Done), 5);
        assert_eq!(c.get(Phase::Failed), 1);
        assert_eq!(c.get(Phase::Queued), 0);
        assert_eq!(c.total, 9);
    }

    #[test]
    fn every_phase_is_there_in_order_even_with_nothing_stored() {
        let c = by_state(&[], &[]);
        let phases: Vec<Phase> = c.by_phase.iter().map(|(p, _)| *p).collect();
        assert_eq!(phases, Phase::ALL);
        assert_eq!(c.total, 0);
        let c = by_state(&[], &[video("a"), video("b")]);
        assert_eq!((c.get(Phase::Waiting), c.total), (2, 2));
    }
}
