//! `Recent`: the recordings the writer wrote last, so that their next step needs no read.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::model::recording::Recording;

/// How many recordings `Recent` keeps (besides those of the open group, which stay until it is
/// committed).
const RECENT: usize = 128;

/// The recordings the writer wrote last, each with its row id: the next step of one is applied
/// without reading its row back, and `Store::recording` answers from here. An entry is put
/// here once its step is written: committed, or (pinned) in the open group transaction, whose
/// entries are dropped if it rolls back, so that this never shows what the database will not
/// hold. Every change to a recording's row goes through `write_step`; a write that changes one
/// in any other way must remove it from here. Bounded: the least recently written committed
/// entries go first.
#[derive(Default)]
pub(super) struct Recent {
    map: HashMap<String, Entry>,
    stamp: u64,
}

struct Entry {
    stamp: u64,
    rid: i64,
    rec: Recording,
    /// Written in the open transaction, not yet committed.
    pinned: bool,
}

impl Recent {
    /// The row id and state of a recording written lately.
    pub(super) fn get(&self, id: &str) -> Option<(i64, &Recording)> {
        self.map.get(id).map(|e| (e.rid, &e.rec))
    }

    pub(super) fn put(&mut self, id: String, rid: i64, rec: Recording, pinned: bool) {
        self.stamp += 1;
        let stamp = self.stamp;
        self.map.insert(
            id,
            Entry {
                stamp,
                rid,
                rec,
                pinned,
            },
        );
        while self.map.len() > RECENT {
            let oldest = self
                .map
                .iter()
                .filter(|(_, e)| !e.pinned)
                .min_by_key(|(_, e)| e.stamp)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.map.remove(&k),
                None => break,
            };
        }
    }

    /// The open transaction committed: its entries are what the database holds.
    pub(super) fn unpin(&mut self) {
        self.map.values_mut().for_each(|e| e.pinned = false);
    }

    /// The open transaction rolled back: its entries are not what the database holds.
    pub(super) fn drop_pinned(&mut self) {
        self.map.retain(|_, e| !e.pinned);
    }
}

pub(super) fn lock_recent(recent: &Mutex<Recent>) -> MutexGuard<'_, Recent> {
    recent.lock().unwrap_or_else(|p| p.into_inner())
}
