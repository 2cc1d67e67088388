//! What only the Move API can say about the `[[multicam]]` rigs (issue 22, "Config"): is each
//! lens one of `listCameraSettings`, each `[multicam.job] rig` one of `listRigs`, and each
//! pinned `volume` one `getVolume` finds FINISHED with a camera of the same lens for every
//! device. One question of each kind (one `getVolume` per pinned volume), asked together;
//! every wrong answer is an error naming the key, its line and the config file, all of them
//! reported together (exit 2). `check` runs it after the key; `backfill` and `run` at start.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::api::multicam::Volume;
use crate::api::{self, ApiError, AuthError, Client};
use crate::config::{Asked, Config, MulticamConfig, UsageError};
use crate::model::volume::VolumeState;

/// What the API said about the rigs.
#[derive(Debug, Default)]
pub struct Verdict {
    /// One line per rig whose every question was answered right (for `check`).
    pub confirmed: Vec<String>,
    /// Each wrong answer: the key and line, the file, what is wrong and what to do.
    pub wrong: Vec<String>,
    /// The questions the API did not answer (down, or an answer that says nothing), with why.
    pub unanswered: Vec<String>,
}

impl Verdict {
    /// The wrong answers as one config error (exit 2), `None` if there is none.
    pub fn error(&self) -> Option<UsageError> {
        (!self.wrong.is_empty()).then(|| UsageError::new(self.wrong.join("\n")))
    }
}

/// The API's answers, each `Err` when it did not answer.
struct Answers {
    lenses: Option<Result<Vec<String>, ApiError>>,
    rigs: Option<Result<Vec<String>, ApiError>>,
    volumes: BTreeMap<String, Result<Volume, ApiError>>,
}

/// Asks the API about every rig of `cfg` and judges the answers. A rejected key is the only
/// error (exit 3); no rig asks nothing.
pub async fn ask(api: &Client, cfg: &Config) -> Result<Verdict, AuthError> {
    let rigs = &cfg.multicam;
    let want_lenses = rigs.iter().any(|r| !r.ask.lenses.is_empty());
    let want_rigs = rigs.iter().any(|r| r.ask.processing_rig.is_some());
    let mut ids: Vec<&str> = rigs
        .iter()
        .filter_map(|r| r.ask.volume.as_ref().map(|v| v.value.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let lenses = async {
        if !want_lenses {
            return None;
        }
        Some(
            api.list_camera_settings()
                .await
                .map(|l| l.into_iter().map(|c| c.lens).collect()),
        )
    };
    let processing = async {
        if !want_rigs {
            return None;
        }
        Some(
            api.list_rigs()
                .await
                .map(|r| r.into_iter().map(|r| r.name).collect()),
        )
    };
    let volumes = futures_util::future::join_all(
        ids.iter()
            .map(|id| async move { (id.to_string(), api.get_volume(id).await) }),
    );
    let (lenses, processing, volumes) = tokio::join!(lenses, processing, volumes);
    let answers = Answers {
        lenses,
        rigs: processing,
        volumes: volumes.into_iter().collect(),
    };
    for e in answers
        .lenses
        .iter()
        .chain(answers.rigs.iter())
        .filter_map(|a| a.as_ref().err())
        .chain(answers.volumes.values().filter_map(|a| a.as_ref().err()))
    {
        if let ApiError::Auth {
            status, key_source, ..
        } = e
        {
            return Err(AuthError {
                status: *status,
                source_desc: key_source.clone(),
            });
        }
    }
    Ok(judge(cfg, &answers))
}

/// Turns the answers into the verdict, rig by rig, in the order of the config.
fn judge(cfg: &Config, answers: &Answers) -> Verdict {
    let mut v = Verdict::default();
    let file = cfg.path.display().to_string();
    let wrong = |asked: &Asked, what: String| format!("{} in {file}: {what}", asked.at);
    let mut said: Vec<String> = Vec::new();
    let mut unanswered = |what: String, v: &mut Verdict| {
        if !said.contains(&what) {
            said.push(what.clone());
            v.unanswered.push(what);
        }
    };
    for rig in &cfg.multicam {
        let before = (v.wrong.len(), v.unanswered.len());
        let mut fine = Vec::new();
        match (&answers.lenses, rig.ask.lenses.is_empty()) {
            (_, true) | (None, _) => {}
            (Some(Err(e)), false) => {
                unanswered(format!("the lenses (listCameraSettings): {e}"), &mut v);
            }
            (Some(Ok(known)), false) => {
                for lens in &rig.ask.lenses {
                    if !known.contains(&lens.value) {
                        v.wrong.push(wrong(
                            lens,
                            format!(
                                "rig \"{}\": the Move API knows no lens `{}`; `move-ingest lenses` lists them",
                                rig.name, lens.value
                            ),
                        ));
                    }
                }
                let names: Vec<&str> = rig.ask.lenses.iter().map(|l| l.value.as_str()).collect();
                fine.push(format!("lens {}", names.join(", ")));
            }
        }
        if let (Some(asked), Some(answer)) = (&rig.ask.processing_rig, &answers.rigs) {
            match answer {
                Err(e) => unanswered(format!("the processing rigs (listRigs): {e}"), &mut v),
                Ok(known) if known.contains(&asked.value) => {
                    fine.push(format!("processing rig {}", asked.value));
                }
                Ok(known) => v.wrong.push(wrong(
                    asked,
                    format!(
                        "rig \"{}\": the Move API knows no processing rig `{}` (it knows {}); `move-ingest rigs` lists them",
                        rig.name,
                        asked.value,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                )),
            }
        }
        if let Some(asked) = &rig.ask.volume
            && let Some(answer) = answers.volumes.get(&asked.value)
        {
            match answer {
                Err(e) if e.error_types().contains(&"MoveNotFoundError") => v.wrong.push(wrong(
                    asked,
                    format!(
                        "rig \"{}\": the Move API has no volume `{}` (getVolume: not found); `move-ingest volumes list` lists the volumes this key can see: pin one of them, or remove `volume` and set `calibration` to make one",
                        rig.name, asked.value
                    ),
                )),
                Err(e) => unanswered(format!("volume {} (getVolume): {e}", asked.value), &mut v),
                Ok(volume) => match volume_problem(rig, volume) {
                    Ok(()) => fine.push(format!(
                        "volume {} FINISHED with every device",
                        asked.value
                    )),
                    Err(Problem::Wrong(what)) => v.wrong.push(wrong(
                        asked,
                        format!("rig \"{}\": volume `{}` {what}", rig.name, asked.value),
                    )),
                    Err(Problem::Unsaid(what)) => unanswered(
                        format!("volume {} (getVolume): {what}", asked.value),
                        &mut v,
                    ),
                },
            }
        }
        if (v.wrong.len(), v.unanswered.len()) == before {
            v.confirmed.push(format!(
                "rig \"{}\": the Move API knows {}",
                rig.name,
                fine.join("; ")
            ));
        }
    }
    v
}

/// What is wrong with a pinned volume for a rig.
enum Problem {
    /// A definite wrong answer (exit 2).
    Wrong(String),
    /// The answer does not say (no state, no cameras): nothing to judge.
    Unsaid(String),
}

/// A pinned volume is FINISHED and has a camera of the same label and lens for each device.
fn volume_problem(rig: &MulticamConfig, volume: &Volume) -> Result<(), Problem> {
    let show = format!("`move-ingest volumes show {}`", volume.id);
    match volume.state() {
        None => return Err(Problem::Unsaid("the answer has no state".into())),
        Some(VolumeState::Finished) => {}
        Some(VolumeState::Failed) => {
            return Err(Problem::Wrong(format!(
                "is FAILED: it can never be used for a take; pin another FINISHED volume ({show} says why), or remove `volume` and set `calibration` to record a new calibration"
            )));
        }
        Some(state) => {
            let percent = volume
                .percent()
                .map(|p| format!(" ({p}%)"))
                .unwrap_or_default();
            return Err(Problem::Wrong(format!(
                "is {state}{percent}, not FINISHED: a multicam take needs a FINISHED volume; wait until {show} says FINISHED and start again, or pin a FINISHED one"
            )));
        }
    }
    let Some(sources) = &volume.sources else {
        return Err(Problem::Unsaid("the answer lists no cameras".into()));
    };
    let cameras: Vec<(&str, Option<&str>)> = sources
        .iter()
        .flatten()
        .map(|s| {
            (
                s.device_label.as_str(),
                s.camera_settings.as_ref().map(|c| c.lens.as_str()),
            )
        })
        .collect();
    let mut missing = Vec::new();
    let mut other_lens = Vec::new();
    for d in &rig.devices {
        match cameras.iter().find(|(label, _)| *label == d.label) {
            None => missing.push(d.label.as_str()),
            Some((_, lens)) if *lens != Some(d.lens.as_str()) => other_lens.push(format!(
                "{} films with {} in the volume, with {} in the rig",
                d.label,
                lens.unwrap_or("no lens"),
                d.lens
            )),
            Some(_) => {}
        }
    }
    if missing.is_empty() && other_lens.is_empty() {
        return Ok(());
    }
    let has: Vec<String> = cameras
        .iter()
        .map(|(label, lens)| format!("{label} ({})", lens.unwrap_or("no lens")))
        .collect();
    let mut what = Vec::new();
    if !missing.is_empty() {
        what.push(format!("has no camera {}", missing.join(", ")));
    }
    if !other_lens.is_empty() {
        what.push(other_lens.join(", "));
    }
    Err(Problem::Wrong(format!(
        "does not cover the rig's devices: it {} (its cameras: {}); a multicam take's cameras must be the volume's, with the same lenses: pin a volume calibrated with every device of the rig, or fix `devices`/`lens`",
        what.join("; "),
        if has.is_empty() {
            "none".to_string()
        } else {
            has.join(", ")
        }
    )))
}

/// `backfill` at start: a wrong answer stops it (exit 2) before anything is uploaded; an API
/// that does not answer is logged and the backfill goes on (as the key check does).
pub async fn before_backfill(api: &Client, cfg: &Config) -> anyhow::Result<()> {
    if cfg.multicam.is_empty() {
        return Ok(());
    }
    let verdict = ask(api, cfg).await?;
    if let Some(e) = verdict.error() {
        return Err(with_unanswered(e, &verdict).into());
    }
    if !verdict.unanswered.is_empty() {
        tracing::warn!(
            "cannot check the rigs with the Move API at start, going on: {}",
            verdict.unanswered.join("; ")
        );
    }
    Ok(())
}

/// A wrong answer with the questions that were not answered, so that a fix is not followed by
/// a surprise.
fn with_unanswered(e: UsageError, verdict: &Verdict) -> UsageError {
    if verdict.unanswered.is_empty() {
        return e;
    }
    UsageError::new(format!(
        "{}\n(not answered, so not checked yet: {})",
        e.0,
        verdict.unanswered.join("; ")
    ))
}

/// How long `run` waits for the first answer before it starts anyway.
pub const FIRST_ANSWER: Duration = Duration::from_secs(5);

/// `run`'s rig checks, beside the service: asked until the API answers every question (backing
/// off as `[retry]` says). Resolves to the error that must stop the run (wrong answers: exit 2;
/// the key rejected: exit 3), or `None` once every rig is confirmed. The receiver hears when a
/// first round went unanswered (the start need not wait any longer).
pub fn beside_run(
    api: Client,
    cfg: Arc<Config>,
) -> (
    tokio::task::JoinHandle<Option<anyhow::Error>>,
    tokio::sync::oneshot::Receiver<()>,
) {
    let (missed_tx, missed_rx) = tokio::sync::oneshot::channel();
    let mut missed_tx = Some(missed_tx);
    let task = tokio::spawn(async move {
        let policy = crate::retry::Policy::from_config(&cfg.retry);
        let mut misses: u32 = 0;
        loop {
            let verdict = match ask(&api, &cfg).await {
                Ok(v) => v,
                Err(e) => return Some(e.into()),
            };
            if let Some(e) = verdict.error() {
                tracing::error!("the rig checks found a config error, stopping: {e}");
                return Some(with_unanswered(e, &verdict).into());
            }
            if verdict.unanswered.is_empty() {
                if misses > 0 {
                    tracing::info!("the Move API answered the rig checks: every rig is right");
                }
                for line in &verdict.confirmed {
                    tracing::debug!("{line}");
                }
                return None;
            }
            misses = misses.saturating_add(1);
            let wait = policy.round_delay(misses, None);
            if misses == 1 {
                tracing::warn!(
                    next_ask_ms = wait.as_millis() as u64,
                    "the rig checks wait for the Move API ({}); going on meanwhile, they are asked again until it answers",
                    verdict.unanswered.join("; ")
                );
            } else {
                tracing::info!(
                    next_ask_ms = wait.as_millis() as u64,
                    "the rig checks still wait for the Move API: {}",
                    verdict.unanswered.join("; ")
                );
            }
            if let Some(tx) = missed_tx.take() {
                let _ = tx.send(());
            }
            tokio::time::sleep(wait).await;
        }
    });
    (task, missed_rx)
}

/// `check`'s part: prints a line per confirmed rig; wrong answers and unanswered questions are
/// problems. A rejected key is an error (exit 3).
pub async fn for_check(
    client: &api::Client,
    cfg: &Config,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    if cfg.multicam.is_empty() {
        return Ok(());
    }
    let verdict = ask(client, cfg).await?;
    for line in &verdict.confirmed {
        crate::outln!("multicam: {line}")?;
    }
    problems.extend(verdict.wrong);
    problems.extend(verdict.unanswered.into_iter().map(|u| {
        format!("cannot check the rigs with the Move API: {u}; run `move-ingest check` again when it answers")
    }));
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
