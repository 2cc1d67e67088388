//! The sandbox's state: files, takes and volumes kept in memory and persisted as JSON under the data dir.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A file created with `createFile`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FileRecord {
    pub id: String,
    /// The extension without the dot, lower case: mp4, mov, avi or move.
    #[serde(rename = "type")]
    pub file_type: String,
    pub name: Option<String>,
    /// Compact JSON text (the AWSJSON value), if any.
    pub metadata: Option<String>,
    pub created: String,
    pub seq: u64,
    /// Set once a PUT delivered every byte.
    pub upload: Option<Upload>,
}

/// What a completed upload stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Upload {
    pub size: u64,
    pub sha256: String,
    pub completed: String,
}

/// A take created with `createSingleCamTake` or `createMultiCamTake`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct TakeRecord {
    pub id: String,
    pub name: Option<String>,
    pub metadata: Option<String>,
    pub created: String,
    pub seq: u64,
    pub sources: Vec<SourceRecord>,
    /// The volume of a multi-cam take; `None` for a single-cam take.
    #[serde(default)]
    pub volume_id: Option<String>,
    /// The sync method a multi-cam take was given, if any.
    #[serde(default)]
    pub sync: Option<SyncRecord>,
}

impl TakeRecord {
    /// Whether it was made with `createMultiCamTake`.
    pub(crate) fn is_multi_cam(&self) -> bool {
        self.volume_id.is_some()
    }
}

/// How the sources of a volume or multi-cam take were synced (`SyncMethodInput`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) enum SyncRecord {
    /// `clapWindow { startTime endTime }`, in seconds.
    Clap { start: f64, end: f64 },
    /// `timecodeSync { useTimecode }`.
    Timecode { use_timecode: bool },
}

/// A volume created with `createVolumeWithHuman`, with the timing and fate drawn at creation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct VolumeRecord {
    pub id: String,
    pub name: Option<String>,
    pub metadata: Option<String>,
    pub created: String,
    /// Creation time in milliseconds since the epoch: the clock the state moves by.
    pub created_ms: u64,
    pub seq: u64,
    /// One video per camera, each with its lens.
    pub sources: Vec<SourceRecord>,
    pub human_height: f64,
    /// The `AreaType`: NORMAL or LARGE.
    pub area_type: String,
    pub sync: Option<SyncRecord>,
    /// `(startTime, endTime)` of the clip window, if given.
    pub clip_window: Option<(f64, f64)>,
    /// How long it stays NOT_STARTED, then RUNNING.
    pub queue_ms: u64,
    pub run_ms: u64,
    /// Set when the volume was drawn to fail: the reason it gives.
    pub failure: Option<String>,
}

/// One source of a take.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SourceRecord {
    pub device_label: String,
    pub file_id: String,
    /// The `SourceFormat` enum value: MP4, MOV, AVI or MOVE.
    pub format: String,
    pub lens: Option<String>,
}

/// Per data dir facts that outlive a restart.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Identity {
    /// Signs presigned URLs.
    pub secret: String,
    /// When the sandbox client was created.
    pub created: String,
}

#[derive(Default)]
struct Inner {
    files: HashMap<String, FileRecord>,
    takes: HashMap<String, TakeRecord>,
    volumes: HashMap<String, VolumeRecord>,
    seq: u64,
}

/// Files, takes and volumes, loaded from and written through to the data dir.
pub(crate) struct Store {
    dir: PathBuf,
    /// Holds the data dir's lock for as long as the store lives.
    _lock: std::fs::File,
    identity: Identity,
    inner: Mutex<Inner>,
}

/// Now as RFC 3339 with microseconds and `Z`, like the API's timestamps.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_micros(SystemTime::now()).to_string()
}

impl Store {
    /// Opens (creating if needed) the data dir and loads what an earlier run left there.
    pub(crate) fn open(dir: &Path) -> anyhow::Result<Store> {
        for sub in ["files", "takes", "volumes", "blobs"] {
            let path = dir.join(sub);
            std::fs::create_dir_all(&path)
                .with_context(|| format!("cannot create the sandbox folder {}", path.display()))?;
        }
        let lock = lock_data_dir(dir)?;
        remove_partial_uploads(&dir.join("blobs"))?;
        let identity = load_identity(dir)?;
        let mut inner = Inner::default();
        for file in load_all::<FileRecord>(&dir.join("files"))? {
            inner.seq = inner.seq.max(file.seq);
            inner.files.insert(file.id.clone(), file);
        }
        for take in load_all::<TakeRecord>(&dir.join("takes"))? {
            inner.seq = inner.seq.max(take.seq);
            inner.takes.insert(take.id.clone(), take);
        }
        for volume in load_all::<VolumeRecord>(&dir.join("volumes"))? {
            inner.seq = inner.seq.max(volume.seq);
            inner.volumes.insert(volume.id.clone(), volume);
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            _lock: lock,
            identity,
            inner: Mutex::new(inner),
        })
    }

    /// The per data dir secret and client creation time.
    pub(crate) fn identity(&self) -> &Identity {
        &self.identity
    }

    /// Where the bytes of a file live once uploaded.
    pub(crate) fn blob_path(&self, id: &str) -> PathBuf {
        self.dir.join("blobs").join(id)
    }

    /// The next creation counter, which breaks ties between equal timestamps.
    pub(crate) fn next_seq(&self) -> u64 {
        let mut inner = self.lock();
        inner.seq += 1;
        inner.seq
    }

    pub(crate) fn file(&self, id: &str) -> Option<FileRecord> {
        self.lock().files.get(id).cloned()
    }

    pub(crate) fn take(&self, id: &str) -> Option<TakeRecord> {
        self.lock().takes.get(id).cloned()
    }

    pub(crate) fn volume(&self, id: &str) -> Option<VolumeRecord> {
        self.lock().volumes.get(id).cloned()
    }

    /// Writes a volume record to disk, then keeps it.
    pub(crate) fn put_volume(&self, volume: VolumeRecord) -> anyhow::Result<()> {
        let mut inner = self.lock();
        write_json(
            &self.dir.join("volumes").join(format!("{}.json", volume.id)),
            &volume,
        )?;
        inner.volumes.insert(volume.id.clone(), volume);
        Ok(())
    }

    /// Every volume, sorted by creation (newest first when `descending`).
    pub(crate) fn volumes_sorted(&self, descending: bool) -> Vec<VolumeRecord> {
        let mut volumes: Vec<_> = self.lock().volumes.values().cloned().collect();
        volumes.sort_by_key(|v| (v.created_ms, v.seq));
        if descending {
            volumes.reverse();
        }
        volumes
    }

    /// Writes a file record to disk, then keeps it.
    pub(crate) fn put_file(&self, file: FileRecord) -> anyhow::Result<()> {
        let mut inner = self.lock();
        write_json(
            &self.dir.join("files").join(format!("{}.json", file.id)),
            &file,
        )?;
        inner.files.insert(file.id.clone(), file);
        Ok(())
    }

    /// Writes a take record to disk, then keeps it.
    pub(crate) fn put_take(&self, take: TakeRecord) -> anyhow::Result<()> {
        let mut inner = self.lock();
        write_json(
            &self.dir.join("takes").join(format!("{}.json", take.id)),
            &take,
        )?;
        inner.takes.insert(take.id.clone(), take);
        Ok(())
    }

    /// Records a completed upload on a file.
    pub(crate) fn mark_uploaded(&self, id: &str, upload: Upload) -> anyhow::Result<()> {
        let mut inner = self.lock();
        let Some(file) = inner.files.get(id) else {
            anyhow::bail!("file {id} is not in the sandbox store");
        };
        let mut file = file.clone();
        file.upload = Some(upload);
        write_json(&self.dir.join("files").join(format!("{id}.json")), &file)?;
        inner.files.insert(file.id.clone(), file);
        Ok(())
    }

    /// Every take, sorted by creation (newest first when `descending`).
    pub(crate) fn takes_sorted(&self, descending: bool) -> Vec<TakeRecord> {
        let mut takes: Vec<_> = self.lock().takes.values().cloned().collect();
        takes.sort_by(|a, b| (&a.created, a.seq).cmp(&(&b.created, b.seq)));
        if descending {
            takes.reverse();
        }
        takes
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Records are replaced whole, so a panic elsewhere cannot leave one half-written.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Writes `value` as JSON to `path` through a temp file and a rename.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_vec_pretty(value).context("cannot encode a sandbox record")?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), path.display()))
}

pub(crate) fn load_all<T: DeserializeOwned>(dir: &Path) -> anyhow::Result<Vec<T>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "json") {
            out.push(read_json(&path)?);
        }
    }
    Ok(out)
}

fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a valid record", path.display()))
}

/// Another sandbox serves this data dir (exit 2 in `move-sandbox`).
#[derive(Debug, thiserror::Error)]
#[error(
    "the data dir {} is in use by another move-sandbox{}; stop it, or pass another --data DIR",
    dir.display(),
    holder.as_deref().map(|pid| format!(" (pid {pid})")).unwrap_or_default()
)]
pub struct DataDirInUse {
    /// The data dir.
    pub dir: PathBuf,
    /// The pid written in the lock file by the sandbox that holds it, if readable.
    pub holder: Option<String>,
}

/// Takes the data dir's lock (`sandbox.lock`, an flock released when the process ends) and
/// writes our pid in it, so that two sandboxes never write one data dir.
fn lock_data_dir(dir: &Path) -> anyhow::Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = dir.join("sandbox.lock");
    let mut file = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            return Err(DataDirInUse {
                dir: dir.to_path_buf(),
                holder: (!pid.is_empty()).then(|| pid.to_string()),
            }
            .into());
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(file)
}

fn load_identity(dir: &Path) -> anyhow::Result<Identity> {
    let path = dir.join("sandbox.json");
    match std::fs::metadata(&path) {
        Ok(_) => read_json(&path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut rng = fastrand::Rng::new();
            let bytes: Vec<u8> = (0..32).map(|_| rng.u8(..)).collect();
            let identity = Identity {
                secret: hex::encode(bytes),
                created: now_rfc3339(),
            };
            write_json(&path, &identity)?;
            Ok(identity)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Deletes the `.tmp` leftovers of uploads a crash or a restart interrupted.
fn remove_partial_uploads(blobs: &Path) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(blobs).with_context(|| format!("cannot list {}", blobs.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", blobs.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "tmp") {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}
