//! `[after_take]`: once a recording's take is durable in the state, its files are kept, moved
//! below `move_to`, or deleted: only when every file is unchanged since its upload (size,
//! mtime, inode), the video and its `.move` together. The plan is recorded in the state
//! (`synchronous = FULL`, like the take request) before any file is touched, and the end after;
//! a restart finishes a recorded plan with the same destinations and never repeats the take. A failed or waiting recording has no take and is
//! never touched, and a `.move` that arrived after its take is not part of it.
//!
//! The step is two state events (`AfterTakePlanned`, `AfterTakeDone`), stored as the
//! recording's `after_take_plan` and `after_take_done` columns (schema version 2), and this file.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::Ingest;
use crate::config::AfterTakeAction;
use crate::ingest::Fatal;
use crate::model::facts::Facts;
use crate::model::recording::{Event, Planned, Recording, Role};

impl Ingest {
    /// Whether the recording still has an after-take step to run (or finish).
    pub(super) fn after_take_due(&self, rec: &Recording) -> bool {
        let action = self.cfg.after_take.action;
        let started = rec.after_take.as_ref();
        (rec.take_id.is_some() || self.calibrated(rec))
            && started.is_none_or(|a| a.done.is_none())
            && (action != AfterTakeAction::Keep || started.is_some_and(|a| !a.planned.is_empty()))
    }

    /// Whether this is a rig camera's calibration video whose volume is FINISHED: its files
    /// are as safe as a take's (the volume holds them).
    fn calibrated(&self, rec: &Recording) -> bool {
        let Some(key) = &rec.grouped else {
            return false;
        };
        self.store
            .rig_recording(key)
            .ok()
            .flatten()
            .is_some_and(|r| r.state() == crate::model::rig::RigState::Calibrated)
    }

    /// Runs (or finishes) the after-take step of a recording whose take is recorded. Errors
    /// on files are logged and leave the step to the next start; only the state is fatal.
    pub(super) async fn after_take(&self, id: &str) -> Result<(), Fatal> {
        let Some(rec) = self.recording(id)? else {
            return Ok(());
        };
        if !self.after_take_due(&rec) {
            return Ok(());
        }
        let planned = match rec.after_take.as_ref().map(|a| a.planned.clone()) {
            Some(p) if !p.is_empty() => p,
            _ => match self.plan(&rec) {
                Ok(files) => {
                    let ev = Event::AfterTakePlanned {
                        files: files.clone(),
                    };
                    self.store.record(&rec.id, ev).await?;
                    files
                }
                Err(kept) => {
                    tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, "after_take: files kept: {kept}");
                    let note = format!("kept: {kept}");
                    self.store
                        .record(&rec.id, Event::AfterTakeDone { note })
                        .await?;
                    return Ok(());
                }
            },
        };
        let mut done = Vec::new();
        for p in &planned {
            let uploaded = uploaded_facts(&rec, &p.name);
            match carry_out(&rec.dir, p, uploaded.as_ref()) {
                Ok(what) => done.push(what),
                Err(e) => {
                    tracing::warn!(rec = %rec.id, device = %rec.device, stem = %rec.stem, file = %p.name, "after_take: {e}; the next start tries again");
                    return Ok(());
                }
            }
        }
        let note = done.join("; ");
        tracing::info!(rec = %rec.id, device = %rec.device, stem = %rec.stem, "after_take: {note}");
        self.store
            .record(&rec.id, Event::AfterTakeDone { note })
            .await?;
        Ok(())
    }

    /// What becomes of each file, or why all of them stay (a file changed since its upload).
    fn plan(&self, rec: &Recording) -> Result<Vec<Planned>, String> {
        let mut names = Vec::new();
        for role in [Role::Video, Role::Sidecar] {
            let Some(up) = rec.upload(role) else {
                continue;
            };
            let path = rec.dir.join(&up.facts.name);
            match Facts::stat(&path) {
                Ok(now) if now.same_version(&up.facts) => names.push(up.facts.name.clone()),
                Ok(_) => return Err(format!("{} changed since its upload", path.display())),
                Err(e) => return Err(format!("{} cannot be read ({e})", path.display())),
            }
        }
        if names.is_empty() {
            return Err("no uploaded file".into());
        }
        let Some(root) = &self.cfg.after_take.move_to else {
            return Ok(names
                .into_iter()
                .map(|name| Planned { name, to: None })
                .collect());
        };
        let subdir = crate::detect::scan::subdir(&self.cfg.watch, &rec.dir);
        let dir = root.join(&rec.device).join(subdir);
        let to = free_names(&dir, &names);
        Ok(names
            .into_iter()
            .zip(to)
            .map(|(name, to)| Planned { name, to: Some(to) })
            .collect())
    }
}

/// The facts a file had when it was uploaded.
fn uploaded_facts(rec: &Recording, name: &str) -> Option<Facts> {
    [Role::Video, Role::Sidecar]
        .into_iter()
        .filter_map(|r| rec.upload(r))
        .find(|u| u.facts.name == name)
        .map(|u| u.facts.clone())
}

/// Destinations in `dir` for `names`, none of them taken: the names themselves, else all with
/// the same numeric suffix (`clip.1.mp4`, `clip.1.move`), so a video and its `.move` still pair.
fn free_names(dir: &Path, names: &[String]) -> Vec<PathBuf> {
    let with = |n: u32| -> Vec<PathBuf> {
        names
            .iter()
            .map(|name| match (n, name.rsplit_once('.')) {
                (0, _) => dir.join(name),
                (n, Some((stem, ext))) => dir.join(format!("{stem}.{n}.{ext}")),
                (n, None) => dir.join(format!("{name}.{n}")),
            })
            .collect()
    };
    (0..)
        .map(with)
        .find(|paths| paths.iter().all(|p| p.symlink_metadata().is_err()))
        .unwrap_or_default()
}

/// Deletes or moves one file of a recorded plan; a file already gone (a step finished before a
/// crash) is done. Returns what was done.
fn carry_out(dir: &Path, p: &Planned, uploaded: Option<&Facts>) -> std::io::Result<String> {
    let src = dir.join(&p.name);
    let Ok(now) = Facts::stat(&src) else {
        return Ok(format!("{} already gone", p.name));
    };
    if uploaded.is_none_or(|u| !now.same_version(u)) {
        return Ok(format!("{} kept: changed since its upload", p.name));
    }
    match &p.to {
        None => {
            std::fs::remove_file(&src).map_err(|e| at("delete", &src, e))?;
            Ok(format!("deleted {}", p.name))
        }
        Some(to) => {
            move_file(&src, to, now.size)?;
            Ok(format!("moved {} to {}", p.name, to.display()))
        }
    }
}

/// Renames `src` to `to`; across filesystems, copies to a temporary name beside `to`, fsyncs,
/// checks the size, renames it into place, then removes `src`.
fn move_file(src: &Path, to: &Path, size: u64) -> std::io::Result<()> {
    let parent = to.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(|e| at("create folder", parent, e))?;
    if to.exists() {
        // A copy finished before a crash, its original not yet removed.
        if std::fs::metadata(to).is_ok_and(|m| m.len() == size) {
            return std::fs::remove_file(src).map_err(|e| at("remove", src, e));
        }
        return Err(at(
            "move to",
            to,
            std::io::Error::other(
                "the destination exists with another size; nothing is overwritten",
            ),
        ));
    }
    match std::fs::rename(src, to) {
        Ok(()) => return sync_dir(parent),
        Err(e) if e.raw_os_error() != Some(libc::EXDEV) => return Err(at("move", src, e)),
        Err(_) => {}
    }
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{name}.move-ingest-part"));
    let copied = std::fs::copy(src, &tmp).map_err(|e| at("copy to", &tmp, e))?;
    File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| at("fsync", &tmp, e))?;
    if copied != size {
        let _ = std::fs::remove_file(&tmp);
        return Err(at(
            "copy",
            src,
            std::io::Error::other(format!("copied {copied} bytes of {size}")),
        ));
    }
    std::fs::rename(&tmp, to).map_err(|e| at("rename", &tmp, e))?;
    sync_dir(parent)?;
    std::fs::remove_file(src).map_err(|e| at("remove", src, e))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(|e| at("fsync folder", dir, e))
}

fn at(op: &str, path: &Path, e: std::io::Error) -> std::io::Error {
    let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
        " (the service needs write access: docs/service.md, \"Access to the capture folders\", and ReadWritePaths=)"
    } else {
        ""
    };
    std::io::Error::new(
        e.kind(),
        format!("cannot {op} {}: {e}{hint}", path.display()),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_gets_one_numeric_suffix_for_the_whole_pair() {
        let dir = tempfile::tempdir().unwrap();
        let names = ["clip.mp4".to_string(), "clip.move".to_string()];
        assert_eq!(
            free_names(dir.path(), &names)[0],
            dir.path().join("clip.mp4")
        );
        std::fs::write(dir.path().join("clip.move"), b"x").unwrap();
        std::fs::write(dir.path().join("clip.1.mp4"), b"x").unwrap();
        assert_eq!(
            free_names(dir.path(), &names),
            [
                dir.path().join("clip.2.mp4"),
                dir.path().join("clip.2.move")
            ]
        );
    }

    #[test]
    fn a_move_never_overwrites_and_a_finished_copy_only_removes_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let (src, to) = (dir.path().join("a.mp4"), dir.path().join("out/a.mp4"));
        std::fs::write(&src, b"abc").unwrap();
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, b"other bytes").unwrap();
        assert!(move_file(&src, &to, 3).is_err());
        assert_eq!(std::fs::read(&to).unwrap(), b"other bytes");
        std::fs::write(&to, b"abc").unwrap();
        move_file(&src, &to, 3).unwrap();
        assert!(!src.exists());
        assert_eq!(std::fs::read(&to).unwrap(), b"abc");
    }
}
