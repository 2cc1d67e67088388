//! "Done and unchanged?" for a whole folder at once: a scan that finds many recordings in one
//! folder asks one query (the folder's newest recordings, by the `(dir, stem, seq)` index)
//! instead of one per find. What it holds lives as long as that folder's finds are decided.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::LazyLock;

use rusqlite::{Connection, Row};

use super::json_paths::UPLOAD_FACTS;
use super::{Store, StoreError};
use crate::model::facts::{Facts, Found};

/// A file version as the state compares it: size, mtime (ns), inode, device.
type Version = [i64; 4];

/// The done recordings of one folder, by stem: the file versions each one's take holds.
#[derive(Debug, Default)]
pub struct DoneInFolder {
    done: HashMap<String, [Option<Version>; 2]>,
}

impl DoneInFolder {
    /// Whether the newest recording of `found`'s stem is done with exactly its files (the
    /// same answer as `Store::done_unchanged`).
    pub fn unchanged(&self, found: &Found) -> bool {
        let version = |f: &Facts| [f.size as i64, f.mtime_ns, f.inode as i64, f.dev as i64];
        let now = [
            found.video.as_ref().map(|s| version(&s.facts)),
            found.sidecar.as_ref().map(|s| version(&s.facts)),
        ];
        self.done.get(found.stem.as_str()) == Some(&now)
    }

    /// How many done recordings the folder holds.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether the folder holds no done recording.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

/// The newest recording of every stem in a folder (SQLite takes the bare columns from the
/// row with the greatest `seq`), its take, and its uploads' file versions.
static NEWEST_IN_FOLDER: LazyLock<String> = LazyLock::new(|| {
    let facts: Vec<String> = UPLOAD_FACTS
        .iter()
        .map(|path| format!("json_extract(data, '{path}')"))
        .collect();
    format!(
        "SELECT stem, MAX(seq), take_id IS NOT NULL, {} FROM recordings WHERE dir = ?1 GROUP BY stem",
        facts.join(", ")
    )
});

impl Store {
    /// The done recordings of the folder `dir` with their file versions (one query).
    pub fn done_in_folder(&self, dir: &Path) -> Result<DoneInFolder, StoreError> {
        done_in_folder(&self.reader().conn, dir).map_err(StoreError::sql("read", &self.path))
    }
}

fn done_in_folder(conn: &Connection, dir: &Path) -> rusqlite::Result<DoneInFolder> {
    let mut stmt = conn.prepare_cached(&NEWEST_IN_FOLDER)?;
    let mut rows = stmt.query([dir.as_os_str().as_bytes()])?;
    let mut done = HashMap::new();
    while let Some(row) = rows.next()? {
        if !row.get::<_, bool>(2)? {
            continue;
        }
        // A value that is not an integer (never written so) counts as "not done": the find is
        // then decided the slow way, which says what it is.
        let (Some(video), Some(sidecar)) = (version(row, 3), version(row, 7)) else {
            continue;
        };
        done.insert(row.get::<_, String>(0)?, [video, sidecar]);
    }
    Ok(DoneInFolder { done })
}

/// The version at columns `at..at + 4`: `Some(None)` for no upload, `None` if unreadable.
fn version(row: &Row<'_>, at: usize) -> Option<Option<Version>> {
    let mut v = [0i64; 4];
    for (i, slot) in v.iter_mut().enumerate() {
        match row.get::<_, Option<i64>>(at + i).ok()? {
            Some(n) => *slot = n,
            None if i == 0 => return Some(None),
            None => return None,
        }
    }
    Some(Some(v))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::facts::{Kind, Seen};
    use crate::model::recording::{Event, Recording, Role};

    fn seen(name: &str, kind: Kind, inode: u64) -> Seen {
        let facts = Facts {
            name: name.into(),
            size: 10,
            mtime_ns: 1_000,
            inode,
            dev: 1,
        };
        Seen { kind, facts }
    }

    fn found(stem: &str, sidecar: bool) -> Found {
        Found {
            dir: "/captures/cam-a".into(),
            device: "cam-a".into(),
            stem: stem.into(),
            video: Some(seen(&format!("{stem}.mp4"), Kind::Mp4, 1)),
            sidecar: sidecar.then(|| seen(&format!("{stem}.move"), Kind::Move, 2)),
        }
    }

    /// A recording of `f`, done (its files uploaded, its take made) when `done`.
    fn recording(id: &str, f: &Found, done: bool) -> (Recording, Vec<Event>) {
        let mut events = vec![Event::discovered(f)];
        if done {
            for (role, s) in [(Role::Video, &f.video), (Role::Sidecar, &f.sidecar)] {
                if let Some(s) = s {
                    events.push(Event::Uploaded {
                        role,
                        file_id: format!("file-{id}-{role:?}"),
                        facts: s.facts.clone(),
                        sha256: "ab".into(),
                    });
                }
            }
            events.push(Event::TakeCreated {
                take_id: format!("take-{id}"),
                adopted: false,
            });
        }
        let mut rec = Recording::discovered(id, 0, "t", events[0].clone()).unwrap();
        for (i, e) in events.iter().enumerate().skip(1) {
            rec.apply(i as u64, "t", e.clone());
        }
        (rec, events)
    }

    #[test]
    fn a_folder_answers_as_one_lookup_per_find_would() {
        let dir = tempfile::tempdir().unwrap();
        let recordings = [
            recording("rec-1", &found("a", true), true),
            recording("rec-2", &found("b", false), true),
            recording("rec-3", &found("c", true), false),
        ];
        super::super::write_bulk(dir.path(), recordings).unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let folder = store.done_in_folder(Path::new("/captures/cam-a")).unwrap();
        assert_eq!(folder.len(), 2, "a and b are done, c is not");
        let mut touched = found("a", true);
        if let Some(v) = touched.video.as_mut() {
            v.facts.mtime_ns += 1;
        }
        for (f, why) in [
            (found("a", true), "done, the same files"),
            (found("a", false), "its .move is gone"),
            (touched, "its video changed"),
            (found("b", false), "done without a .move"),
            (found("b", true), "a .move it did not have"),
            (found("c", true), "not done"),
            (found("d", true), "unknown"),
        ] {
            let one = store
                .done_unchanged(
                    &f.dir,
                    &f.stem,
                    f.video.as_ref().map(|s| &s.facts),
                    f.sidecar.as_ref().map(|s| &s.facts),
                )
                .unwrap();
            assert_eq!(folder.unchanged(&f), one, "{}: {why}", f.stem);
        }
        assert!(folder.unchanged(&found("a", true)));
    }
}
