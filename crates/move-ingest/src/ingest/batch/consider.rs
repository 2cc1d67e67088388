//! Finds considered in chunks: up to `CONSIDER_AT_ONCE` at a time, so that their first steps
//! share a commit, never two of one folder and stem in one chunk.

use std::collections::HashSet;
use std::path::Path;

use crate::ingest::{Fatal, Ingest};
use crate::model::facts::{Completeness, Found};
use crate::model::id::RecordingId;

/// How many finds are considered at once.
pub const CONSIDER_AT_ONCE: usize = 64;

/// A chunk of finds to consider together. Two finds of one folder and stem (overlapping
/// watches) are never in one chunk, so the second sees what the first recorded.
pub struct Chunk<'a> {
    ingest: &'a Ingest,
    /// Each find and its completeness.
    finds: Vec<(&'a Found, Completeness)>,
    keys: HashSet<(&'a Path, &'a str)>,
}

impl<'a> Chunk<'a> {
    /// An empty chunk for `ingest`.
    pub fn new(ingest: &'a Ingest) -> Chunk<'a> {
        Chunk {
            ingest,
            finds: Vec::with_capacity(CONSIDER_AT_ONCE),
            keys: HashSet::new(),
        }
    }

    /// Whether the chunk must be considered before `found` may join it: it is full, or it
    /// holds a find of the same folder and stem.
    pub fn full_for(&self, found: &Found) -> bool {
        self.finds.len() == CONSIDER_AT_ONCE
            || self
                .keys
                .contains(&(found.dir.as_path(), found.stem.as_str()))
    }

    /// Adds a find (call `full_for` first).
    pub fn push(&mut self, found: &'a Found, done: Completeness) {
        self.keys.insert((found.dir.as_path(), found.stem.as_str()));
        self.finds.push((found, done));
    }

    /// Considers every find of the chunk together (`Ingest::consider`, which looks up each
    /// find's newest recording as it starts) and empties it; returns each find with the
    /// recording to process, if any, in the chunk's order.
    pub async fn consider(&mut self) -> Result<Vec<(&'a Found, Option<RecordingId>)>, Fatal> {
        self.keys.clear();
        let ingest = self.ingest;
        let considered = self.finds.drain(..).map(|(found, done)| async move {
            Ok::<_, Fatal>((found, ingest.consider(found, done).await?))
        });
        futures_util::future::try_join_all(considered).await
    }
}

/// Considers every find with its completeness, `CONSIDER_AT_ONCE` at a time; returns the
/// recordings to process, in the finds' order.
pub async fn consider_all<'a>(
    ingest: &'a Ingest,
    finds: impl IntoIterator<Item = (&'a Found, Completeness)>,
) -> Result<Vec<RecordingId>, Fatal> {
    let mut queue = Vec::new();
    let mut chunk = Chunk::new(ingest);
    for (found, done) in finds {
        if chunk.full_for(found) {
            queue.extend(chunk.consider().await?.into_iter().filter_map(|(_, id)| id));
        }
        chunk.push(found, done);
    }
    queue.extend(chunk.consider().await?.into_iter().filter_map(|(_, id)| id));
    Ok(queue)
}
