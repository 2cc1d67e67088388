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
