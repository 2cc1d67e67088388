//! File facts: what kind of file a name is, what a file looked like when seen (size, mtime,
//! inode, hash), and the files of one folder that share a stem.

use std::ffi::OsStr;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// What kind of file a name is, by its extension (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Mp4,
    Mov,
    Avi,
    Move,
}

impl Kind {
    /// The `createFile` type.
    pub fn api_type(self) -> &'static str {
        match self {
            Kind::Mp4 => "mp4",
            Kind::Mov => "mov",
            Kind::Avi => "avi",
            Kind::Move => "move",
        }
    }

    /// The `SourceFormat` enum value.
    pub fn source_format(self) -> &'static str {
        match self {
            Kind::Mp4 => "MP4",
            Kind::Mov => "MOV",
            Kind::Avi => "AVI",
            Kind::Move => "MOVE",
        }
    }

    /// Videos make takes; the `.move` sidecar joins one.
    pub fn is_video(self) -> bool {
        self != Kind::Move
    }
}

/// Splits a file name into stem and kind, or `None` for files that are never uploaded
/// (hidden, partial downloads, editor backups, other extensions).
pub fn classify(name: &str) -> Option<(&str, Kind)> {
    const PARTIAL: [&str; 3] = [".part", ".tmp", ".crdownload"];
    let lower = name.to_ascii_lowercase();
    if name.starts_with('.') || name.ends_with('~') || PARTIAL.iter().any(|p| lower.ends_with(p)) {
        return None;
    }
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() {
        return None;
    }
    let kind = match ext.to_ascii_lowercase().as_str() {
        "mp4" => Kind::Mp4,
        "mov" => Kind::Mov,
        "avi" => Kind::Avi,
        "move" => Kind::Move,
        _ => return None,
    };
    Some((stem, kind))
}

/// What identifies one version of a file on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub name: String,
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    pub inode: u64,
    pub dev: u64,
}

impl Facts {
    /// Reads the facts from metadata.
    pub fn from_metadata(name: &str, md: &Metadata) -> Facts {
        Facts {
            name: name.to_string(),
            size: md.len(),
            mtime_ns: md
                .mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(md.mtime_nsec()),
            inode: md.ino(),
            dev: md.dev(),
        }
    }

    /// Stats `path` afresh.
    pub fn stat(path: &Path) -> std::io::Result<Facts> {
        let md = std::fs::metadata(path)?;
        let name = path.file_name().and_then(OsStr::to_str).unwrap_or_default();
        Ok(Facts::from_metadata(name, &md))
    }

    /// How long ago the file was last modified (zero if in the future).
    pub fn age(&self, now: SystemTime) -> Duration {
        let now_ns = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        Duration::from_nanos(now_ns.saturating_sub(self.mtime_ns).max(0) as u64)
    }

    /// Whether the file is dated after `now` (a clock that is ahead).
    pub fn is_future(&self, now: SystemTime) -> bool {
        let now_ns = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        self.mtime_ns > now_ns
    }

    /// Same file, same size, same mtime: the bytes are taken to be unchanged.
    pub fn same_version(&self, other: &Facts) -> bool {
        self.size == other.size
            && self.mtime_ns == other.mtime_ns
            && self.inode == other.inode
            && self.dev == other.dev
    }
}

/// One file of a recording found on disk: its kind and facts (as recorded, too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SeenWire", into = "SeenWire")]
pub struct Seen {
    pub kind: Kind,
    pub facts: Facts,
}

/// `Seen` as recorded: kind and facts in one flat object (serde's `flatten` is slow to read).
#[derive(Clone, Serialize, Deserialize)]
struct SeenWire {
    kind: Kind,
    name: String,
    size: u64,
    mtime_ns: i64,
    inode: u64,
    dev: u64,
}

impl From<SeenWire> for Seen {
    fn from(w: SeenWire) -> Seen {
        let facts = Facts {
            name: w.name,
            size: w.size,
            mtime_ns: w.mtime_ns,
            inode: w.inode,
            dev: w.dev,
        };
        Seen {
            kind: w.kind,
            facts,
        }
    }
}

impl From<Seen> for SeenWire {
    fn from(s: Seen) -> SeenWire {
        let f = s.facts;
        SeenWire {
            kind: s.kind,
            name: f.name,
            size: f.size,
            mtime_ns: f.mtime_ns,
            inode: f.inode,
            dev: f.dev,
        }
    }
}

/// The files in one folder that share a stem.
#[derive(Debug, Clone)]
pub struct Found {
    pub dir: PathBuf,
    pub device: String,
    pub stem: String,
    pub video: Option<Seen>,
    pub sidecar: Option<Seen>,
}

impl Found {
    /// The path of a file of this recording.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// Which files of a find are complete (held still long enough).
#[derive(Debug, Clone, Copy)]
pub struct Completeness {
    pub video: bool,
    pub sidecar: bool,
}

impl Completeness {
    /// The find is a recording ready to upload: a complete video, and its `.move` complete if any.
    pub fn ready(self, found: &Found) -> bool {
        found.video.is_some() && self.video && (found.sidecar.is_none() || self.sidecar)
    }
}
