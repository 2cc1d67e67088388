//! What the loop does with a hint or a timer: re-read the folder (the truth), settle and pair
//! its files, and hand complete recordings to the state and the workers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::{Place, Service, locate};
use crate::detect::pairing::Decision;
use crate::detect::scan::{self, Found, Walk};
use crate::detect::watch::Hint;
use crate::ingest::batch::consider::Chunk;
use crate::ingest::{Fatal, Ingest};
use crate::model::facts::Completeness;
use crate::model::id::RecordingId;
use crate::store::DoneInFolder;

/// A new folder is scanned again this long after its watch was added (notify adds the watch
/// just after reporting the folder, so a file written in between is found by this scan).
const FOLDER_RESCAN: Duration = Duration::from_secs(1);

/// A folder with more finds than this is asked "done and unchanged?" in one query.
const FOLDER_QUERY_AT: usize = 32;

impl Service {
    /// One event.
    pub(super) async fn on_hint(&mut self, hint: Hint) -> Result<(), Fatal> {
        let (path, closed) = match hint {
            Hint::Rescan { reason } => {
                self.full_rescan.get_or_insert(reason);
                return Ok(());
            }
            Hint::Touched { path, closed } => (path, closed),
        };
        self.place_hint(&path);
        match locate(&self.cfg.watch, &path) {
            None => Ok(()),
            Some(Place::Root(index)) => self.root_changed(index).await,
            Some(Place::Folder {
                dir, device, walk, ..
            }) => {
                let link = dir
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink());
                if link && !walk.follow_symlinks {
                    if dir.is_dir() && self.notices.skipped(std::slice::from_ref(&dir)) {
                        self.notices.save(&self.cfg.state.dir);
                    }
                    Ok(())
                } else if dir.is_dir() {
                    tracing::debug!(path = %dir.display(), "folder created or changed; scanning it");
                    self.folder_scans.push((
                        Instant::now() + FOLDER_RESCAN,
                        dir.clone(),
                        device.clone(),
                        walk,
                    ));
                    self.scan_folder(&dir, &device, walk).await
                } else {
                    self.settler.forget_under(&path);
                    self.pairing.forget_under(&path);
                    Ok(())
                }
            }
            Some(Place::File { dir, device, stem }) => {
                if self.settler.touch(&path, closed, Instant::now()) {
                    return Ok(());
                }
                tracing::debug!(path = %path.display(), "removed or renamed away");
                self.check(&dir, &device, &stem).await?;
                // A queued recording whose file vanished is processed now, to leave the queue.
                if let Some(id) = self.ingest.uploading(&dir, &stem)? {
                    self.workers.push(id);
                }
                Ok(())
            }
        }
    }

    /// A watch path appeared or vanished.
    async fn root_changed(&mut self, index: usize) -> Result<(), Fatal> {
        let root = self.cfg.watch[index].path.clone();
        if root.is_dir() {
            if self.watch.ensure(&root) {
                tracing::info!(path = %root.display(), "watch path (re)created: watching and scanning it");
                self.scan_watch(index).await?;
            }
        } else if self.watch.is_watched(&root) {
            tracing::warn!(path = %root.display(), "the watch path was removed; it is watched again as soon as it is re-created");
            self.watch.forget(&root);
            self.settler.forget_under(&root);
            self.pairing.forget_under(&root);
        }
        Ok(())
    }

    /// Due timers: settled files, ended pairing waits, folder scans, periodic rescans.
    pub(super) async fn on_timers(&mut self) -> Result<(), Fatal> {
        let now = Instant::now();
        let mut due = BTreeMap::<(PathBuf, String), BTreeSet<String>>::new();
        for path in self.settler.due(now) {
            if let Some(Place::File { dir, device, stem }) = locate(&self.cfg.watch, &path) {
                due.entry((dir, device)).or_default().insert(stem);
            }
        }
        for ((dir, stem), device) in self.pairing.due(now) {
            due.entry((dir, device)).or_default().insert(stem);
        }
        self.check_many(due).await?;
        let (due, later) = std::mem::take(&mut self.folder_scans)
            .into_iter()
            .partition(|f| f.0 <= now);
        self.folder_scans = later;
        for (_, dir, device, walk) in due {
            self.scan_folder(&dir, &device, walk).await?;
        }
        for index in 0..self.rescan_at.len() {
            if self.rescan_at[index] <= now {
                let every = Duration::from_secs(self.cfg.watch[index].rescan_secs);
                self.rescan_at[index] = now + every;
                let path = self.cfg.watch[index].path.clone();
                tracing::info!(path = %path.display(), every_secs = every.as_secs(), "periodic rescan");
                self.check_space();
                self.watch.ensure(&path);
                self.scan_watch(index).await?;
            }
        }
        Ok(())
    }

    /// Rescans every watch path (events were lost).
    pub(super) async fn rescan_all(&mut self) -> Result<(), Fatal> {
        for index in 0..self.cfg.watch.len() {
            let path = self.cfg.watch[index].path.clone();
            self.watch.ensure(&path);
            self.scan_watch(index).await?;
        }
        Ok(())
    }

    /// Scans one watch path and decides about everything on it.
    pub(super) async fn scan_watch(&mut self, index: usize) -> Result<(), Fatal> {
        let watch = self.cfg.watch[index].clone();
        let path = watch.path.clone();
        let (mut folders, scanner) = stream_scan(vec![watch]);
        let mut recordings = 0;
        while let Some(folder) = folders.recv().await {
            recordings += folder.found.len();
            self.take_scan(folder).await?;
        }
        if let Err(e) = scanner.await {
            tracing::error!(path = %path.display(), "the scan stopped unexpectedly: {e}; the next rescan tries again");
        }
        tracing::debug!(path = %path.display(), recordings, "scanned");
        crate::fsutil::trim_heap();
        Ok(())
    }

    /// Decides about everything a scan found; the finds that go to the state are considered
    /// in chunks, so that their first steps share a commit (as in `backfill`).
    pub(super) async fn take_scan(&mut self, scanned: scan::Scan) -> Result<(), Fatal> {
        self.report(&scanned);
        self.take_finds(&scanned.found).await
    }

    /// Decides about finds fresh from disk, considering those that go to the state in chunks.
    /// "Done and unchanged?" is asked once per folder for a folder with many finds.
    async fn take_finds(&mut self, finds: &[Found]) -> Result<(), Fatal> {
        let ingest = self.ingest.clone();
        let mut chunk = Chunk::new(&ingest);
        let mut folder: (Option<&Path>, Option<DoneInFolder>) = (None, None);
        for (i, found) in finds.iter().enumerate() {
            // The first scan runs after READY, so the watchdog must hear from it.
            self.systemd.ping(Instant::now());
            if chunk.full_for(found) {
                self.consider_chunk(&mut chunk).await?;
            }
            if folder.0 != Some(found.dir.as_path()) {
                let mut same = finds[i..].iter().take_while(|f| f.dir == found.dir);
                let many = same.nth(FOLDER_QUERY_AT).is_some();
                let done = many
                    .then(|| ingest.done_in_folder(&found.dir))
                    .transpose()?;
                folder = (Some(found.dir.as_path()), done);
            }
            let done = match &folder.1 {
                Some(known) => known.unchanged(found),
                None => ingest.done_unchanged(found)?,
            };
            // Looked up again when considered: a worker may have moved it on meanwhile.
            if let Some(done) = self.settle_and_pair(found, done)? {
                chunk.push(found, done);
            }
        }
        self.consider_chunk(&mut chunk).await
    }

    /// Considers a chunk of finds and takes in the result; the watchdog is fed meanwhile (a
    /// chunk may hash many touched files).
    async fn consider_chunk(&mut self, chunk: &mut Chunk<'_>) -> Result<(), Fatal> {
        let considering = chunk.consider();
        tokio::pin!(considering);
        let ids = loop {
            let wake = self
                .systemd
                .next_ping()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                ids = &mut considering => break ids?,
                () = tokio::time::sleep_until(wake) => self.systemd.ping(Instant::now()),
            }
        };
        self.considered(ids).await
    }

    /// Scans one folder (a device folder or one below it) and its sub folders, `walk` deep.
    async fn scan_folder(&mut self, dir: &Path, device: &str, walk: Walk) -> Result<(), Fatal> {
        let mut scanned = scan::Scan::default();
        scan::scan_tree(dir, device, walk, &mut scanned);
        tracing::debug!(path = %dir.display(), recordings = scanned.found.len(), "scanned folder");
        self.take_scan(scanned).await
    }

    /// Logs a scan's errors; takes in the links it skipped (logged once, kept for `status`).
    fn report(&mut self, scanned: &scan::Scan) {
        for e in &scanned.errors {
            tracing::warn!("{e}");
        }
        if self.notices.skipped(&scanned.symlinks) {
            self.notices.save(&self.cfg.state.dir);
        }
    }

    /// Warns (log, `status`) about watch paths whose filesystem is low on free space.
    pub(super) fn check_space(&mut self) {
        if self.notices.check_space(&self.cfg.watch) {
            self.notices.save(&self.cfg.state.dir);
        }
    }

    /// Reads the files of the recordings `due` (by folder and device label, their stems) and
    /// decides about them: each folder is read once, the finds considered in chunks (files
    /// dropped in by the thousand settle together).
    async fn check_many(
        &mut self,
        due: BTreeMap<(PathBuf, String), BTreeSet<String>>,
    ) -> Result<(), Fatal> {
        let mut finds = Vec::new();
        for ((dir, device), mut stems) in due {
            let mut scanned = scan::Scan::default();
            scan::scan_dir(&dir, &device, self.follows(&dir), &mut scanned);
            self.report(&scanned);
            finds.extend(scanned.found.into_iter().filter(|f| stems.remove(&f.stem)));
            // Stems with no file left: they leave the settler and the pairing waits.
            finds.extend(stems.into_iter().map(|stem| Found {
                dir: dir.clone(),
                device: device.clone(),
                stem,
                video: None,
                sidecar: None,
            }));
        }
        self.take_finds(&finds).await
    }

    /// Whether symbolic links are followed below `dir` (its watch path's `follow_symlinks`).
    fn follows(&self, dir: &Path) -> bool {
        self.cfg
            .watch
            .iter()
            .find(|w| dir.starts_with(&w.path))
            .is_some_and(|w| w.follow_symlinks)
    }

    /// Reads one recording's files from its folder and decides about them (`check_many` with
    /// one stem).
    pub(super) async fn check(
        &mut self,
        dir: &Path,
        device: &str,
        stem: &str,
    ) -> Result<(), Fatal> {
        let key = (dir.to_path_buf(), device.to_string());
        self.check_many(BTreeMap::from([(key, BTreeSet::from([stem.to_string()]))]))
            .await
    }

    /// Settles and pairs a recording's files (`done_unchanged`: the state holds its take with
    /// exactly these files); returns their completeness when they go to the state.
    fn settle_and_pair(
        &mut self,
        found: &Found,
        done_unchanged: bool,
    ) -> Result<Option<Completeness>, Fatal> {
        if done_unchanged {
            // Already taken with exactly these files: nothing to settle, pair or write.
            self.pairing.forget(&found.dir, &found.stem);
            for seen in [&found.video, &found.sidecar].into_iter().flatten() {
                self.settler.forget(&found.path(&seen.facts.name));
            }
            return Ok(None);
        }
        let latest = self.ingest.latest(found)?;
        // A rig camera's video waits for no `.move`: a multicam take has none.
        let rig_video = crate::detect::rig::member(
            &self.cfg.watch,
            &self.cfg.multicam,
            &found.device,
            &found.dir,
            &found.stem,
        )
        .is_some();
        let recorded = Ingest::recorded(latest.as_ref(), found) || rig_video;
        let decision = self.pairing.decide(
            found,
            &mut self.settler,
            recorded,
            SystemTime::now(),
            Instant::now(),
        );
        match decision {
            Decision::Consider(done) => Ok(Some(done)),
            Decision::Wait | Decision::Nothing => Ok(None),
        }
    }

    /// Takes in what the state made of considered finds: their files leave the settler, and
    /// the recordings to process are queued.
    async fn considered(&mut self, ids: Vec<(&Found, Option<RecordingId>)>) -> Result<(), Fatal> {
        for (found, id) in ids {
            for seen in [&found.video, &found.sidecar].into_iter().flatten() {
                self.settler.forget(&found.path(&seen.facts.name));
            }
            if let Some(id) = id {
                tracing::debug!(rec = %id, device = %found.device, stem = %found.stem, "queued");
                self.queue_found(id).await?;
            }
        }
        Ok(())
    }
}

/// Folders a scan may read ahead of the one being taken in.
const FOLDERS_AHEAD: usize = 4;

/// Walks `watches` on a blocking thread, one folder's finds at a time to the returned channel
/// (at most `FOLDERS_AHEAD` ahead): a scan holds a few folders, never the whole tree.
pub(super) fn stream_scan(
    watches: Vec<crate::config::WatchConfig>,
) -> (
    tokio::sync::mpsc::Receiver<scan::Scan>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(FOLDERS_AHEAD);
    let scanner = tokio::task::spawn_blocking(move || {
        scan::scan_folders(&watches, &mut |one| tx.blocking_send(one).is_ok());
    });
    (rx, scanner)
}
