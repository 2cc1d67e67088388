//! `write_step`: one step applied to its recording, and both written, inside the open
//! transaction; what a request carries besides its step (`RigStep`) and whom it answers (`Reply`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::WriteError;
use crate::model::recording::{Event, Recording};
use crate::model::rig::{RigEvent, RigRecording};
use crate::store::recent::{Recent, lock_recent};
use crate::store::rows;

/// Applies one step to its recording and writes both; `false` if the step was for an unknown
/// recording (ignored, as replaying a damaged state did). The recording is taken from
/// `written` (this transaction's), else `recent`, else read; it ends in `written`.
pub(super) fn write_step(
    conn: &Connection,
    recent: &Mutex<Recent>,
    written: &mut HashMap<String, (i64, Recording)>,
    seq: u64,
    t: &str,
    rec: &str,
    event: &Event,
) -> rusqlite::Result<bool> {
    let known = match written.remove(rec) {
        Some(w) => Some(w),
        None => {
            let cached = lock_recent(recent)
                .get(rec)
                .map(|(rid, r)| (rid, r.clone()));
            match cached {
                Some(c) => Some(c),
                None => rows::by_id_with_rid(conn, rec)?,
            }
        }
    };
    let (rid, recording) = match known {
        Some((rid, mut r)) => {
            let before = rows::upload_rows(&r)
                .map(|u| u.map(|(n, s, h, f)| (n.to_string(), s, h.to_string(), f.to_string())));
            r.apply(seq, t, event.clone());
            let after = rows::upload_rows(&r);
            let changed = [0, 1].map(|i| match (&before[i], &after[i]) {
                (None, None) => false,
                (Some((n, s, h, f)), Some((n2, s2, h2, f2))) => {
                    n != n2 || s != s2 || h != h2 || f != f2
                }
                _ => true,
            });
            let saved = rows::save_row(conn, &r, Some(rid), changed)?;
            debug_assert_eq!(saved, rid);
            (saved, r)
        }
        None => match Recording::discovered(rec, seq, t, event.clone()) {
            Some(r) => (rows::save(conn, &r)?, r),
            None => {
                tracing::warn!(rec, "a step for an unknown recording; ignored");
                return Ok(false);
            }
        },
    };
    rows::insert_step(conn, seq, rid, t, event)?;
    written.insert(rec.to_string(), (rid, recording));
    Ok(true)
}

/// Whom a request's answer goes to: an async caller, or a thread that blocks on it.
pub(in crate::store) enum Reply {
    Async(oneshot::Sender<Result<(), WriteError>>),
    Blocking(mpsc::Sender<Result<(), WriteError>>),
}

impl Reply {
    pub(super) fn send(self, result: Result<(), WriteError>) {
        match self {
            Reply::Async(tx) => {
                let _ = tx.send(result);
            }
            Reply::Blocking(tx) => {
                let _ = tx.send(result);
            }
        }
    }
}

/// A step of a rig recording (`new`: the recording to start from when the state has none by
/// its key), and the recording as the step left it, set when written (read once committed).
pub(in crate::store) struct RigStep {
    pub(in crate::store) new: RigRecording,
    pub(in crate::store) event: RigEvent,
    pub(in crate::store) out: Arc<Mutex<Option<RigRecording>>>,
}
