//! `move-ingest backfill --dry-run`: what a backfill would upload and which takes it would
//! create, from the folders and the state (read-only, without locking); nothing is sent or written.

use std::time::{Duration, SystemTime};

use crate::commands::exit::Exit;
use crate::config::Config;
use crate::config::UsageError;
use crate::config::template::Vars;
use crate::detect::scan::{self, Found};
use crate::detect::settle::Walked;
use crate::store::query::Reader;

/// Lists the work; exits 0, or 1 when a folder could not be read.
pub async fn run(cfg: &Config) -> anyhow::Result<Exit> {
    let watches = cfg.watch.clone();
    let scanned = tokio::task::spawn_blocking(move || scan::scan(&watches)).await?;
    let usage = |e: crate::store::StoreError| UsageError::new(e.to_string());
    let reader = Reader::open(&cfg.state.dir).map_err(usage)?;
    let settle = Duration::from_secs(cfg.pairing.settle_secs);
    let hostname = gethostname::gethostname().to_string_lossy().into_owned();
    // Files dated in the future: a real backfill watches them for the settle time and takes
    // those that hold still; a dry run does not wait and counts them in.
    let walked = Walked::trusting_future(&scanned.found, SystemTime::now(), settle);
    let (mut would, mut bytes, mut have, mut too_new, mut waiting, mut failed) =
        (0, 0u64, 0, 0, 0, 0);
    // Of those it would upload, how many the state knows nothing of (their take may exist).
    let mut unknown = 0;
    for found in &scanned.found {
        let done = walked.completeness(found);
        let Some(video) = &found.video else {
            waiting += 1;
            continue;
        };
        let facts = |s: &Option<scan::Seen>| s.as_ref().map(|s| s.facts.clone());
        let (v, m) = (facts(&found.video), facts(&found.sidecar));
        let latest = match &reader {
            Some(reader) => reader.latest_for(&found.dir, &found.stem).map_err(usage)?,
            None => None,
        };
        if latest
            .as_ref()
            .is_some_and(|r| r.done_and_unchanged(v.as_ref(), m.as_ref()))
        {
            have += 1;
            continue;
        }
        let known = latest.is_some();
        if latest.is_some_and(|r| r.phase() == crate::model::recording::Phase::Failed) {
            failed += 1;
            continue;
        }
        if !done.video || (found.sidecar.is_some() && !done.sidecar) {
            too_new += 1;
            continue;
        }
        would += 1;
        unknown += usize::from(!known);
        bytes += video.facts.size + found.sidecar.as_ref().map_or(0, |s| s.facts.size);
        crate::outln!("{}", describe(cfg, found, &hostname))?;
    }
    for e in &scanned.errors {
        crate::outln!("not read: {e}")?;
    }
    crate::outln!(
        "dry run: {would} recording(s) would be uploaded ({bytes} bytes) and get a take; {have} already have their take; {failed} failed before (`move-ingest retry` puts them back); {too_new} not yet complete (modified within the last {}s); {waiting} .move file(s) waiting for a video. Nothing was sent.",
        settle.as_secs()
    )?;
    if unknown > 0 {
        crate::outln!(
            "{unknown} of them the state knows nothing of: a backfill first looks for their take on the API and adopts it instead of uploading (a lost or new state dir); `move-ingest reconcile --dry-run` says which"
        )?;
    }
    Ok(if scanned.errors.is_empty() {
        Exit::Ok
    } else {
        Exit::SomeFailed
    })
}

/// `would upload cam-a/take01.mp4 (1234 bytes) + take01.move (12 bytes), take "cam-a take01"`.
fn describe(cfg: &Config, found: &Found, hostname: &str) -> String {
    let rig = crate::detect::rig::member(
        &cfg.watch,
        &cfg.multicam,
        &found.device,
        &found.dir,
        &found.stem,
    );
    if let (Some(m), Some(video)) = (rig, &found.video) {
        let what = if m.calibration() {
            "its calibration's volume"
        } else {
            "its multicam take"
        };
        return format!(
            "would upload {}: {} ({} bytes), camera {} of rig recording {}/{} ({what}; a .move beside it is not sent)",
            found.dir.display(),
            video.facts.name,
            video.facts.size,
            m.camera,
            m.rig.name,
            if m.by_time() {
                "<found by the time it was recorded>"
            } else {
                &m.group
            }
        );
    }
    let mut files = Vec::new();
    for seen in [&found.video, &found.sidecar].into_iter().flatten() {
        files.push(format!("{} ({} bytes)", seen.facts.name, seen.facts.size));
    }
    let video_name = found.video.as_ref().map_or("", |v| v.facts.name.as_str());
    let subdir = scan::subdir(&cfg.watch, &found.dir);
    let vars = Vars {
        device_label: &found.device,
        stem: &found.stem,
        hostname,
        file_name: video_name,
        subdir: &subdir,
        // A single-camera take: no rig.
        rig: "",
    };
    format!(
        "would upload {}: {}, then create the take \"{}\"",
        found.dir.display(),
        files.join(" + "),
        cfg.take.name.render(&vars)
    )
}
