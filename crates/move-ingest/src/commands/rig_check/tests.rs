//! The judging of the API's answers about the rigs, without an API.

use std::path::Path;

use serde_json::json;

use super::*;

const TEXT: &str = "[[watch]]
path = \"/srv/captures\"

[[multicam]]
name = \"stage-a\"
devices = [\"cam-1\", \"cam-2\"]
lens = { cam-1 = \"lens-a\", cam-2 = \"lens-b\" }
volume = \"volume-1\"
[multicam.job]
rig = \"move_mo\"
";

fn cfg() -> Config {
    Config::parse(Path::new("/etc/move-ingest/config.toml"), TEXT).unwrap()
}

fn volume(state: &str, cameras: &[(&str, &str)]) -> Volume {
    let sources: Vec<_> = cameras
        .iter()
        .map(|(label, lens)| {
            json!({"deviceLabel": label, "format": "MP4",
                   "cameraSettings": {"lens": lens}, "file": {"id": "file-1"}})
        })
        .collect();
    serde_json::from_value(json!({
        "id": "volume-1", "name": null, "created": "c", "metadata": null, "areaType": "NORMAL",
        "humanHeight": 1.8, "state": state,
        "progress": {"state": state, "percentageComplete": 40},
        "clipWindow": null, "sources": sources, "outputs": []
    }))
    .unwrap()
}

fn answers(lenses: &[&str], rigs: &[&str], volume: Result<Volume, ApiError>) -> Answers {
    let strings = |s: &[&str]| s.iter().map(|s| s.to_string()).collect();
    Answers {
        lenses: Some(Ok(strings(lenses))),
        rigs: Some(Ok(strings(rigs))),
        volumes: [("volume-1".to_string(), volume)].into_iter().collect(),
    }
}

fn down(op: &'static str) -> ApiError {
    ApiError::Transport {
        op,
        detail: "connection refused".into(),
        sent: false,
    }
}

#[test]
fn right_answers_confirm_the_rig() {
    let good = volume(
        "FINISHED",
        &[("cam-1", "lens-a"), ("cam-2", "lens-b"), ("cam-3", "x")],
    );
    let v = judge(
        &cfg(),
        &answers(&["lens-a", "lens-b"], &["move_mo"], Ok(good)),
    );
    assert!(v.wrong.is_empty() && v.unanswered.is_empty(), "{v:?}");
    assert_eq!(v.confirmed.len(), 1);
    assert!(v.confirmed[0].contains("stage-a") && v.confirmed[0].contains("move_mo"));
    assert!(v.error().is_none());
}

#[test]
fn every_wrong_answer_names_its_key_line_and_file_together() {
    let short = volume("FINISHED", &[("cam-1", "lens-a"), ("cam-2", "lens-z")]);
    let v = judge(&cfg(), &answers(&["lens-a"], &["move_one"], Ok(short)));
    assert!(v.confirmed.is_empty() && v.unanswered.is_empty(), "{v:?}");
    let all = v.error().unwrap().to_string();
    assert_eq!(v.wrong.len(), 3, "{all}");
    for says in [
        "`multicam.lens.cam-2` (line 7) in /etc/move-ingest/config.toml",
        "knows no lens `lens-b`; `move-ingest lenses` lists them",
        "`multicam.job.rig` (line 10) in /etc/move-ingest/config.toml",
        "knows no processing rig `move_mo` (it knows move_one)",
        "`multicam.volume` (line 8)",
        "cam-2 films with lens-z in the volume, with lens-b in the rig",
    ] {
        assert!(all.contains(says), "does not say {says:?}: {all}");
    }
    assert!(!all.contains("`multicam.lens.cam-1`"), "{all}");
}

#[test]
fn a_pinned_volume_must_exist_be_finished_and_hold_every_device() {
    let c = cfg();
    let judge_volume = |answer| {
        let v = judge(&c, &answers(&["lens-a", "lens-b"], &["move_mo"], answer));
        assert!(v.unanswered.is_empty(), "{v:?}");
        v.wrong.join("\n")
    };
    let gone = ApiError::GraphQl {
        op: "getVolume",
        errors: vec![crate::api::GqlError {
            error_type: Some("MoveNotFoundError".into()),
            message: "Resource not found".into(),
        }],
    };
    assert!(judge_volume(Err(gone)).contains("has no volume `volume-1`"));
    let running = judge_volume(Ok(volume("RUNNING", &[])));
    assert!(
        running.contains("is RUNNING (40%), not FINISHED"),
        "{running}"
    );
    let failed = judge_volume(Ok(volume("FAILED", &[])));
    assert!(failed.contains("is FAILED"), "{failed}");
    let one = judge_volume(Ok(volume("FINISHED", &[("cam-1", "lens-a")])));
    assert!(
        one.contains("has no camera cam-2 (its cameras: cam-1 (lens-a))"),
        "{one}"
    );
}

#[test]
fn questions_not_answered_are_not_wrong() {
    let mut a = answers(&["lens-a", "lens-b"], &[], Err(down("getVolume")));
    a.rigs = Some(Err(down("listRigs")));
    let v = judge(&cfg(), &a);
    assert!(v.wrong.is_empty() && v.confirmed.is_empty(), "{v:?}");
    assert_eq!(v.unanswered.len(), 2, "{v:?}");
    assert!(v.error().is_none());
}
