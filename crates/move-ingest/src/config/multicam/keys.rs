//! The keys of a rig that are read together: `lens` (one for all or one per device), `sync`
//! with `clap_window`, and `calibration` (with `human_height_m`, `area`) or `volume`.

use toml::Spanned;

use super::raw::RawLens;
use super::{
    AreaType, Asked, DEFAULT_CLOCK_TOLERANCE_SECS, Grouping, HUMAN_HEIGHT_M,
    MAX_CLOCK_TOLERANCE_SECS, SyncMethod, VolumeSource,
};
use crate::config::raw::At;

/// The lens of each device, in the order of `labels`, and each lens once for the API.
pub(super) fn lenses(
    rig: &str,
    labels: &[&str],
    lens: Option<Spanned<RawLens>>,
    at: &At<'_>,
) -> Result<(Vec<String>, Vec<Asked>), String> {
    let Some(lens) = lens else {
        return Err(format!(
            "{rig} has no `lens`: name the lens of its cameras (`move-ingest lenses` lists them), one for all, lens = \"goprohero10-fhd\", or one per device, lens = {{ {} = \"...\", ... }}",
            labels.first().copied().unwrap_or("cam-1")
        ));
    };
    let lens_at = at("multicam.lens", lens.span());
    let empty = |at: &str| {
        format!("{at} is empty; name a lens from `move-ingest lenses` (listCameraSettings)")
    };
    let mut asked: Vec<Asked> = Vec::new();
    let mut ask = |value: &str, at: String| {
        if !asked.iter().any(|a| a.value == value) {
            asked.push(Asked {
                value: value.to_string(),
                at,
            });
        }
    };
    match lens.into_inner() {
        RawLens::One(one) => {
            if one.trim().is_empty() {
                return Err(empty(&lens_at));
            }
            ask(&one, lens_at);
            Ok((labels.iter().map(|_| one.clone()).collect(), asked))
        }
        RawLens::PerDevice(table) => {
            for (device, name) in &table {
                if !labels.contains(&device.get_ref().as_str()) {
                    return Err(format!(
                        "{}: \"{}\" is not one of the rig's devices ({}); the lens table names exactly the rig's devices",
                        at(
                            &format!("multicam.lens.{}", device.get_ref()),
                            device.span()
                        ),
                        device.get_ref(),
                        labels.join(", ")
                    ));
                }
                let key = at(&format!("multicam.lens.{}", device.get_ref()), name.span());
                if name.get_ref().trim().is_empty() {
                    return Err(empty(&key));
                }
                ask(name.get_ref(), key);
            }
            let mut out = Vec::new();
            let mut missing = Vec::new();
            for label in labels {
                match table.iter().find(|(d, _)| d.get_ref() == label) {
                    Some((_, name)) => out.push(name.get_ref().clone()),
                    None => missing.push(*label),
                }
            }
            if !missing.is_empty() {
                return Err(format!(
                    "{lens_at} has no lens for {}; the lens table names exactly the rig's devices (or give one lens for all: lens = \"...\")",
                    missing.join(", ")
                ));
            }
            Ok((out, asked))
        }
    }
}

/// `sync` and `clap_window`.
pub(super) fn sync(
    rig: &str,
    sync: Option<Spanned<String>>,
    window: Option<Spanned<Vec<Spanned<f64>>>>,
    at: &At<'_>,
) -> Result<SyncMethod, String> {
    let word = sync.as_ref().map_or("timecode", |s| s.get_ref().as_str());
    let sync_at = sync.as_ref().map(|s| at("multicam.sync", s.span()));
    match (word, window) {
        ("clap", None) => Err(format!(
            "{} is \"clap\" but there is no `clap_window`: give the seconds into the videos between which the clap is, e.g. clap_window = [2.0, 4.0]",
            sync_at.unwrap_or_else(|| rig.to_string())
        )),
        ("clap", Some(w)) => {
            let w_at = at("multicam.clap_window", w.span());
            let [start, end] = w.get_ref().as_slice() else {
                return Err(format!(
                    "{w_at} must be two numbers, [start, end] in seconds into the videos, e.g. [2.0, 4.0]"
                ));
            };
            let (start, end) = (*start.get_ref(), *end.get_ref());
            if !start.is_finite() || !end.is_finite() || start < 0.0 || start >= end {
                return Err(format!(
                    "{w_at} must be [start, end] with 0 <= start < end (seconds into the videos), got [{start}, {end}]"
                ));
            }
            Ok(SyncMethod::Clap { start, end })
        }
        (_, Some(w)) => Err(format!(
            "{} is set but sync is \"{word}\": a clap window is used only with sync = \"clap\"; remove it or set sync = \"clap\"",
            at("multicam.clap_window", w.span())
        )),
        ("timecode", None) => Ok(SyncMethod::Timecode),
        ("none", None) => Ok(SyncMethod::None),
        (other, None) => Err(format!(
            "{} must be one of \"{}\", got \"{other}\"",
            sync_at.unwrap_or_else(|| rig.to_string()),
            SyncMethod::WORDS.join("\", \""),
        )),
    }
}

/// `calibration` with `human_height_m` and `area`, or `volume`: exactly one of the two;
/// `by_place`: the videos live under device folders, so `calibration` may hold a '/'.
pub(super) fn volume(
    rig: &str,
    calibration: Option<Spanned<String>>,
    height: Option<Spanned<f64>>,
    area: Option<Spanned<String>>,
    volume: Option<Spanned<String>>,
    by_place: bool,
    at: &At<'_>,
) -> Result<(VolumeSource, Option<Asked>), String> {
    match (calibration, volume) {
        (None, None) => Err(format!(
            "{rig} has neither `calibration` nor `volume`: a rig needs a volume, made from calibration recordings (calibration = \"calib*\", the stems of those recordings, with human_height_m) or made earlier (volume = \"<volume id>\", `move-ingest volumes list`)"
        )),
        (Some(c), Some(v)) => Err(format!(
            "{} and {} exclude each other: a pinned volume replaces calibration recordings; remove one",
            at("multicam.calibration", c.span()),
            at("multicam.volume", v.span())
        )),
        (None, Some(v)) => {
            let v_at = at("multicam.volume", v.span());
            let id = v.get_ref().trim();
            if id.is_empty() || id.contains(char::is_whitespace) {
                return Err(format!(
                    "{v_at} must be a volume id (`move-ingest volumes list`), got \"{}\"",
                    v.get_ref()
                ));
            }
            for (key, span) in [
                (
                    "multicam.human_height_m",
                    height.as_ref().map(Spanned::span),
                ),
                ("multicam.area", area.as_ref().map(Spanned::span)),
            ] {
                if let Some(span) = span {
                    return Err(format!(
                        "{} is used only to calibrate a volume; with the pinned {v_at} remove it",
                        at(key, span)
                    ));
                }
            }
            Ok((
                VolumeSource::Pinned(id.to_string()),
                Some(Asked {
                    value: id.to_string(),
                    at: v_at,
                }),
            ))
        }
        (Some(c), None) => {
            let c_at = at("multicam.calibration", c.span());
            let text = c.get_ref();
            if text.trim().is_empty() || (text.contains('/') && !by_place) {
                return Err(format!(
                    "{c_at} must be a glob of stems (file names without extension), such as \"calib*\", got \"{text}\" (a glob with '/', matched against the path below each device folder, works with group = \"stem\" or \"time\")"
                ));
            }
            if text.starts_with('/') {
                return Err(format!(
                    "{c_at}, a glob with a '/', is matched against the path below each device folder, so it never starts with '/': e.g. \"calib/*\", got \"{text}\""
                ));
            }
            let stems = glob::Pattern::new(text).map_err(|e| {
                format!("{c_at} is not a glob (such as \"calib*\"): {e}, got \"{text}\"")
            })?;
            let (lo, hi) = HUMAN_HEIGHT_M;
            let Some(height) = height else {
                return Err(format!(
                    "{rig} calibrates from recordings ({c_at}) but has no `human_height_m`: the height in metres of the person in the calibration recording, {lo} to {hi}, e.g. human_height_m = 1.80 (or pin a volume made earlier with `volume` instead)"
                ));
            };
            let h = *height.get_ref();
            if !(lo..=hi).contains(&h) {
                return Err(format!(
                    "{} must be the person's height in metres, {lo} to {hi}, got {h}",
                    at("multicam.human_height_m", height.span())
                ));
            }
            let area = match &area {
                None => AreaType::Normal,
                Some(a) => AreaType::parse(a.get_ref()).ok_or_else(|| {
                    format!(
                        "{} must be one of \"{}\", got \"{}\"",
                        at("multicam.area", a.span()),
                        AreaType::WORDS.join("\", \""),
                        a.get_ref()
                    )
                })?,
            };
            Ok((
                VolumeSource::Calibrate {
                    stems,
                    human_height_m: h,
                    area,
                },
                None,
            ))
        }
    }
}

/// `clock_tolerance_secs`: only with `group = "time"`, 0 to 600 seconds (default 5).
pub(super) fn tolerance(
    group: Grouping,
    secs: Option<Spanned<f64>>,
    at: &At<'_>,
) -> Result<Grouping, String> {
    let Some(secs) = secs else {
        return Ok(group);
    };
    let s_at = at("multicam.clock_tolerance_secs", secs.span());
    let Grouping::Time { .. } = group else {
        return Err(format!(
            "{s_at} is used only with group = \"time\" (how far apart the cameras' clocks may be); remove it or set group = \"time\""
        ));
    };
    let s = *secs.get_ref();
    if !s.is_finite() || s < 0.0 || s > MAX_CLOCK_TOLERANCE_SECS as f64 {
        return Err(format!(
            "{s_at} must be a number of seconds, 0 to {MAX_CLOCK_TOLERANCE_SECS} (default {DEFAULT_CLOCK_TOLERANCE_SECS}): how far apart the cameras' clocks may be, got {s}"
        ));
    }
    Ok(Grouping::Time {
        clock_tolerance_ms: (s * 1000.0).round() as i64,
    })
}
