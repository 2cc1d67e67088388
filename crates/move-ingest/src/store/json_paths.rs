//! The JSON paths into a recording's `data` column that SQL reads by name, tested against a serialized `Recording`.
//!
//! `data` is a `Recording` serialized with serde: renaming one of these fields in
//! `model::recording` (or `model::facts`) would make the SQL read NULL silently. So the
//! queries name them through the constants here, and the tests serialize a real recording and
//! read each path with SQLite's own `json_extract`, the paths of the shipped migrations too
//! (those never change: they read databases written by earlier releases, so a field they read
//! is renamed only with a serde alias for the old name, and the test then names both).

/// The facts of the video upload, then of the sidecar upload, each as size, mtime_ns, inode and
/// dev: what `rows::done_unchanged` compares, in the order of its parameters `?3` to `?10`.
pub(super) const UPLOAD_FACTS: [&str; 8] = [
    "$.video_upload.facts.size",
    "$.video_upload.facts.mtime_ns",
    "$.video_upload.facts.inode",
    "$.video_upload.facts.dev",
    "$.sidecar_upload.facts.size",
    "$.sidecar_upload.facts.mtime_ns",
    "$.sidecar_upload.facts.inode",
    "$.sidecar_upload.facts.dev",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{Facts, Kind};
    use crate::model::recording::{AfterTake, Event, Planned, Recording, Seen, Upload};
    use rusqlite::types::Value;

    fn facts(name: &str, base: u64) -> Facts {
        Facts {
            name: name.into(),
            size: base + 1,
            mtime_ns: base as i64 + 2,
            inode: base + 3,
            dev: base + 4,
        }
    }

    /// A recording with both uploads and an `[after_take]` plan and note, as the store saves it.
    fn recording() -> Recording {
        let (video, sidecar) = (facts("take1.mp4", 100), facts("take1.move", 200));
        let discovered = Event::Discovered {
            dir: "/srv/captures/cam-a".into(),
            device: "cam-a".into(),
            stem: "take1".into(),
            video: Some(Seen {
                kind: Kind::Mp4,
                facts: video.clone(),
            }),
            sidecar: None,
            look_for_take: false,
        };
        let mut r = Recording::discovered("rec-1", 1, "2026-12-07T08:00:00.000Z", discovered)
            .expect("a discovered recording");
        r.video_upload = Some(Upload {
            file_id: "file-v".into(),
            facts: video,
            sha256: "aa".into(),
        });
        r.sidecar_upload = Some(Upload {
            file_id: "file-s".into(),
            facts: sidecar,
            sha256: "bb".into(),
        });
        r.take_id = Some("take-1".into());
        r.after_take = Some(AfterTake {
            planned: vec![Planned {
                name: "take1.mp4".into(),
                to: Some("/srv/done/take1.mp4".into()),
            }],
            done: Some("moved 1 file".into()),
        });
        r
    }

    fn extract(conn: &rusqlite::Connection, data: &str, path: &str) -> Value {
        conn.query_row("SELECT json_extract(?1, ?2)", [data, path], |row| {
            row.get(0)
        })
        .expect("json_extract answers")
    }

    /// Renaming a serde field that `done_unchanged` reads fails here, not silently in a query.
    #[test]
    fn the_upload_facts_paths_resolve_in_a_serialized_recording() {
        let r = recording();
        let data = serde_json::to_string(&r).expect("a recording serializes");
        let conn = rusqlite::Connection::open_in_memory().expect("an in-memory database");
        let f = |f: &Facts| [f.size as i64, f.mtime_ns, f.inode as i64, f.dev as i64];
        let uploads =
            [&r.video_upload, &r.sidecar_upload].map(|u| f(&u.as_ref().expect("uploaded").facts));
        let expected = uploads.concat();
        for (path, want) in UPLOAD_FACTS.iter().zip(expected) {
            assert_eq!(extract(&conn, &data, path), Value::Integer(want), "{path}");
        }
    }

    /// Every path the shipped migrations read resolves, to what it is expected to be.
    #[test]
    fn the_migrations_read_paths_that_resolve() {
        let r = recording();
        let data = serde_json::to_string(&r).expect("a recording serializes");
        let conn = rusqlite::Connection::open_in_memory().expect("an in-memory database");
        let after = r.after_take.as_ref().expect("an after-take step");
        let plan = serde_json::to_string(&after.planned).expect("the plan serializes");
        let expected = [
            ("$.after_take.planned", Some(Value::Text(plan))),
            (
                "$.after_take.done",
                Some(Value::Text("moved 1 file".into())),
            ),
            // Only tested for being there.
            ("$.after_take", None),
        ];
        let mut read = Vec::new();
        for sql in crate::store::schema::MIGRATIONS {
            let mut rest = *sql;
            while let Some(at) = rest.find("json_extract(data, '") {
                rest = &rest[at + "json_extract(data, '".len()..];
                let end = rest.find('\'').expect("a quoted path");
                read.push(&rest[..end]);
                rest = &rest[end..];
            }
        }
        read.sort_unstable();
        read.dedup();
        let mut known: Vec<&str> = expected.iter().map(|e| e.0).collect();
        known.sort_unstable();
        assert_eq!(
            read, known,
            "a migration reads a path this test does not check"
        );
        for (path, want) in expected {
            let got = extract(&conn, &data, path);
            match want {
                Some(want) => assert_eq!(got, want, "{path}"),
                None => assert_ne!(got, Value::Null, "{path}"),
            }
        }
    }
}
