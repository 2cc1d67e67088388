//! What `history` prints: a recording's steps for a person, one line per step (its time, the
//! step, and what happened in words), built from the typed [`Event`].

use crate::model::recording::{Event, Role};
use crate::store::query::Step;

/// The width of the step column.
const STEP_WIDTH: usize = 18;

/// One step as a line: `2026-12-07 18:02:11  uploaded           cam-a/take01.mp4, 1.2 GB, sha256 3f2a…`.
/// `device` names the recording's files. A step this release cannot read is shown as stored.
pub fn line(step: &Step, device: &str) -> String {
    let (what, detail) = match serde_json::from_value::<Event>(step.event.clone()) {
        Ok(event) => describe(&event, device),
        Err(_) => ("unknown step".to_string(), step.event.to_string()),
    };
    let line = format!("{}  {what:<STEP_WIDTH$} {detail}", time(&step.t));
    line.trim_end().to_string()
}

/// The step in a few words, and what happened.
pub fn describe(event: &Event, device: &str) -> (String, String) {
    let file = |name: &str| format!("{device}/{name}");
    let (what, detail) = match event {
        Event::Discovered {
            video,
            sidecar,
            look_for_take,
            ..
        } => {
            let files: Vec<String> = [video, sidecar]
                .into_iter()
                .flatten()
                .map(|s| format!("{}, {}", file(&s.facts.name), size(s.facts.size)))
                .collect();
            let mut detail = match files.is_empty() {
                true => "no file".to_string(),
                false => files.join(" and "),
            };
            if video.is_some() && sidecar.is_none() {
                detail.push_str(" (no .move)");
            } else if video.is_none() {
                detail.push_str(" (waiting for its video)");
            }
            if *look_for_take {
                detail.push_str("; new to the state: its take is looked for on the API first");
            }
            ("discovered", detail)
        }
        Event::FileCreated { role, file_id } => (
            "file created",
            format!("{}, file {file_id}", role_name(*role)),
        ),
        Event::Uploaded { facts, sha256, .. } => (
            "uploaded",
            format!(
                "{}, {}, sha256 {}",
                file(&facts.name),
                size(facts.size),
                short(sha256)
            ),
        ),
        Event::UploadDiscarded { role, reason } => (
            "upload discarded",
            format!("{}: {reason}; it is sent again", role_name(*role)),
        ),
        Event::TakeRequested { .. } => ("take requested", "the take was asked for".to_string()),
        Event::TakeCreated {
            take_id,
            adopted: false,
        } => ("take created", take_id.clone()),
        Event::TakeCreated {
            take_id,
            adopted: true,
        } => (
            "take adopted",
            format!("{take_id} (it was already on the API)"),
        ),
        Event::Touched { facts, .. } => (
            "touched",
            format!(
                "{}: its size or time changed, its bytes did not",
                file(&facts.name)
            ),
        ),
        Event::LateSidecar { facts } => (
            "late .move",
            format!(
                "{} came after the take was created; not added",
                file(&facts.name)
            ),
        ),
        Event::Failed { step, reason, .. } => ("failed", format!("at {step}: {reason}")),
        Event::Retrying {
            step,
            reason,
            next_ms,
        } => (
            "retrying",
            format!("at {step}: {reason}; next attempt {}", at(*next_ms)),
        ),
        Event::Vanished { reason } => ("gone", reason.clone()),
        Event::Requeued => ("requeued", "put back in the queue by `retry`".to_string()),
        Event::AfterTakePlanned { files } => {
            let plans: Vec<String> = files
                .iter()
                .map(|p| match &p.to {
                    Some(to) => format!("{} to {}", file(&p.name), to.display()),
                    None => format!("{} stays", file(&p.name)),
                })
                .collect();
            ("after take planned", plans.join(", "))
        }
        Event::AfterTakeDone { note } => ("after take done", note.clone()),
        Event::JobWanted => (
            "job wanted",
            "a processing job is asked for once the take exists".to_string(),
        ),
        Event::JobRequested { .. } => ("job requested", "the job was asked for".to_string()),
        Event::JobCreated {
            job_id,
            adopted: false,
        } => ("job created", job_id.clone()),
        Event::JobCreated {
            job_id,
            adopted: true,
        } => (
            "job found",
            format!("{job_id} (an unanswered request had made it)"),
        ),
        Event::JobPolled {
            state,
            percent,
            failure_reason,
            ..
        } => {
            let mut detail = state.as_str().to_string();
            if let Some(p) = percent {
                detail.push_str(&format!(" {p}%"));
            }
            if let Some(reason) = failure_reason {
                detail.push_str(&format!(": {reason}"));
            }
            ("job polled", detail)
        }
        Event::JobOutputDownloaded { key, path, size: n } => (
            "job output saved",
            format!("{key} to {}, {}", path.display(), size(*n)),
        ),
        Event::JobDone { note } => ("job done", note.to_string()),
        Event::JobRetried => (
            "job retried",
            "the ended job is kept; a new one is wanted".to_string(),
        ),
        Event::Snapshot { recording } => (
            "imported",
            format!(
                "from an earlier release's journal: {}{}",
                recording.phase().as_str(),
                recording
                    .take_id
                    .as_ref()
                    .map_or(String::new(), |t| format!(", take {t}"))
            ),
        ),
    };
    (what.to_string(), detail)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Video => "video",
        Role::Sidecar => ".move",
    }
}

/// `2026-12-07T18:02:11.123Z` as `2026-12-07 18:02:11` (UTC).
fn time(t: &str) -> String {
    match t.get(..19) {
        Some(s) => s.replacen('T', " ", 1),
        None => t.to_string(),
    }
}

/// A time in ms since the epoch, to the second (UTC).
fn at(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    time(&humantime::format_rfc3339_seconds(t).to_string())
}

/// The first 8 hex digits of a hash.
fn short(sha256: &str) -> String {
    match sha256.get(..8) {
        Some(s) if sha256.len() > 8 => format!("{s}…"),
        _ => sha256.to_string(),
    }
}

/// Bytes for people: 1.2 GB, 730 MB.
pub fn size(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    match u {
        0 => format!("{b} B"),
        _ if v < 10.0 => format!("{v:.1} {}", UNITS[u]),
        _ => format!("{v:.0} {}", UNITS[u]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::facts::{Facts, Kind};
    use crate::model::recording::{Planned, Seen, Step as At};
    use crate::store::JournalState as State;

    fn facts(name: &str, size: u64) -> Facts {
        Facts {
            name: name.into(),
            size,
            mtime_ns: 0,
            inode: 1,
            dev: 1,
        }
    }

    fn seen(kind: Kind, name: &str, size: u64) -> Seen {
        Seen {
            kind,
            facts: facts(name, size),
        }
    }

    fn discovered(video: bool, sidecar: bool, look_for_take: bool) -> Event {
        Event::Discovered {
            dir: "/srv/captures/cam-a".into(),
            device: "cam-a".into(),
            stem: "take01".into(),
            video: video.then(|| seen(Kind::Mp4, "take01.mp4", 1_200_000_000)),
            sidecar: sidecar.then(|| seen(Kind::Move, "take01.move", 4_000)),
            look_for_take,
        }
    }

    /// The words of one step.
    fn words(event: Event) -> (String, String) {
        describe(&event, "cam-a")
    }

    #[test]
    fn a_line_holds_the_time_the_step_and_what_happened() {
        let step = Step {
            seq: 7,
            t: "2026-12-07T18:02:11.123Z".into(),
            event: serde_json::to_value(Event::Uploaded {
                role: Role::Video,
                file_id: "file-1".into(),
                facts: facts("take01.mp4", 1_200_000_000),
                sha256: "3f2a9b0c11d2e3f4".into(),
            })
            .unwrap(),
        };
        assert_eq!(
            line(&step, "cam-a"),
            "2026-12-07 18:02:11  uploaded           cam-a/take01.mp4, 1.2 GB, sha256 3f2a9b0c…"
        );
        let requeued = Step {
            event: serde_json::to_value(Event::Requeued).unwrap(),
            ..step
        };
        assert_eq!(
            line(&requeued, "cam-a"),
            "2026-12-07 18:02:11  requeued           put back in the queue by `retry`"
        );
    }

    #[test]
    fn a_step_this_release_cannot_read_is_shown_as_stored() {
        let step = Step {
            seq: 1,
            t: "2026-12-07T18:02:11.000Z".into(),
            event: serde_json::json!({"from_the_future": {"x": 1}}),
        };
        let l = line(&step, "cam-a");
        assert!(l.starts_with("2026-12-07 18:02:11  unknown step"), "{l}");
        assert!(l.contains(r#"{"from_the_future":{"x":1}}"#), "{l}");
    }

    #[test]
    fn discovered_names_its_files_and_sizes() {
        assert_eq!(
            words(discovered(true, true, false)),
            (
                "discovered".into(),
                "cam-a/take01.mp4, 1.2 GB and cam-a/take01.move, 4.0 kB".into()
            )
        );
        assert_eq!(
            words(discovered(true, false, true)).1,
            "cam-a/take01.mp4, 1.2 GB (no .move); new to the state: its take is looked for on the API first"
        );
        assert_eq!(
            words(discovered(false, true, false)).1,
            "cam-a/take01.move, 4.0 kB (waiting for its video)"
        );
    }

    #[test]
    fn file_created() {
        assert_eq!(
            words(Event::FileCreated {
                role: Role::Sidecar,
                file_id: "file-9".into()
            }),
            ("file created".into(), ".move, file file-9".into())
        );
    }

    #[test]
    fn uploaded() {
        let (what, detail) = words(Event::Uploaded {
            role: Role::Sidecar,
            file_id: "file-2".into(),
            facts: facts("take01.move", 730_000_000),
            sha256: "abcdef0123456789".into(),
        });
        assert_eq!(what, "uploaded");
        assert_eq!(detail, "cam-a/take01.move, 730 MB, sha256 abcdef01…");
    }

    #[test]
    fn upload_discarded() {
        assert_eq!(
            words(Event::UploadDiscarded {
                role: Role::Video,
                reason: "the file changed while it was sent".into()
            }),
            (
                "upload discarded".into(),
                "video: the file changed while it was sent; it is sent again".into()
            )
        );
    }

    #[test]
    fn take_requested() {
        assert_eq!(
            words(Event::TakeRequested { at_ms: 1 }),
            ("take requested".into(), "the take was asked for".into())
        );
    }

    #[test]
    fn take_created_and_adopted() {
        assert_eq!(
            words(Event::TakeCreated {
                take_id: "take-42".into(),
                adopted: false
            }),
            ("take created".into(), "take-42".into())
        );
        assert_eq!(
            words(Event::TakeCreated {
                take_id: "take-42".into(),
                adopted: true
            }),
            (
                "take adopted".into(),
                "take-42 (it was already on the API)".into()
            )
        );
    }

    #[test]
    fn touched() {
        assert_eq!(
            words(Event::Touched {
                role: Role::Video,
                facts: facts("take01.mp4", 10)
            }),
            (
                "touched".into(),
                "cam-a/take01.mp4: its size or time changed, its bytes did not".into()
            )
        );
    }

    #[test]
    fn late_sidecar() {
        assert_eq!(
            words(Event::LateSidecar {
                facts: facts("take01.move", 10)
            }),
            (
                "late .move".into(),
                "cam-a/take01.move came after the take was created; not added".into()
            )
        );
    }

    #[test]
    fn failed() {
        assert_eq!(
            words(Event::Failed {
                step: At::Upload,
                reason: "take01.mp4 is empty".into(),
                kind: crate::model::recording::FailureKind::Empty,
            }),
            ("failed".into(), "at upload: take01.mp4 is empty".into())
        );
    }

    #[test]
    fn retrying() {
        assert_eq!(
            words(Event::Retrying {
                step: At::CreateTake,
                reason: "HTTP 503".into(),
                next_ms: 1_796_666_531_000,
            }),
            (
                "retrying".into(),
                "at create take: HTTP 503; next attempt 2026-12-07 18:02:11".into()
            )
        );
    }

    #[test]
    fn vanished() {
        assert_eq!(
            words(Event::Vanished {
                reason: "take01.mp4 was removed before its upload".into()
            }),
            (
                "gone".into(),
                "take01.mp4 was removed before its upload".into()
            )
        );
    }

    #[test]
    fn requeued() {
        assert_eq!(words(Event::Requeued).0, "requeued");
    }

    #[test]
    fn after_take_planned_and_done() {
        assert_eq!(
            words(Event::AfterTakePlanned {
                files: vec![
                    Planned {
                        name: "take01.mp4".into(),
                        to: Some("/srv/done/take01.mp4".into()),
                    },
                    Planned {
                        name: "take01.move".into(),
                        to: None,
                    },
                ]
            }),
            (
                "after take planned".into(),
                "cam-a/take01.mp4 to /srv/done/take01.mp4, cam-a/take01.move stays".into()
            )
        );
        assert_eq!(
            words(Event::AfterTakeDone {
                note: "moved 2 files".into()
            }),
            ("after take done".into(), "moved 2 files".into())
        );
    }

    #[test]
    fn job_wanted_requested_and_retried() {
        assert_eq!(words(Event::JobWanted).0, "job wanted");
        assert_eq!(
            words(Event::JobRequested { at_ms: 5 }),
            ("job requested".into(), "the job was asked for".into())
        );
        assert_eq!(words(Event::JobRetried).0, "job retried");
    }

    #[test]
    fn job_created_and_found() {
        assert_eq!(
            words(Event::JobCreated {
                job_id: "job-1".into(),
                adopted: false
            }),
            ("job created".into(), "job-1".into())
        );
        assert_eq!(
            words(Event::JobCreated {
                job_id: "job-1".into(),
                adopted: true
            })
            .0,
            "job found"
        );
    }

    #[test]
    fn job_polled() {
        assert_eq!(
            words(Event::JobPolled {
                state: "RUNNING".into(),
                percent: Some(40),
                at_ms: 0,
                next_poll_ms: Some(1),
                failure_reason: None,
                outputs: vec![],
            }),
            ("job polled".into(), "RUNNING 40%".into())
        );
        assert_eq!(
            words(Event::JobPolled {
                state: "FAILED".into(),
                percent: None,
                at_ms: 0,
                next_poll_ms: None,
                failure_reason: Some("no person in view".into()),
                outputs: vec![],
            })
            .1,
            "FAILED: no person in view"
        );
    }

    #[test]
    fn job_output_downloaded_and_done() {
        assert_eq!(
            words(Event::JobOutputDownloaded {
                key: "fbx".into(),
                path: "/srv/out/take01.fbx".into(),
                size: 2_500_000,
            }),
            (
                "job output saved".into(),
                "fbx to /srv/out/take01.fbx, 2.5 MB".into()
            )
        );
        assert_eq!(
            words(Event::JobDone {
                note: "finished".into()
            }),
            ("job done".into(), "finished".into())
        );
    }

    #[test]
    fn snapshot() {
        let mut state = State::default();
        state.apply(
            1,
            "2026-12-07T18:00:00.000Z",
            "rec-1",
            discovered(true, false, false),
        );
        state.apply(
            2,
            "2026-12-07T18:01:00.000Z",
            "rec-1",
            Event::TakeCreated {
                take_id: "take-7".into(),
                adopted: false,
            },
        );
        let recording = state.recordings().next().unwrap().clone();
        assert_eq!(
            words(Event::Snapshot {
                recording: Box::new(recording)
            }),
            (
                "imported".into(),
                "from an earlier release's journal: done, take take-7".into()
            )
        );
    }

    #[test]
    fn sizes_read_like_a_person_writes_them() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_200_000_000), "1.2 GB");
        assert_eq!(size(27_000_000_000), "27 GB");
    }
}
