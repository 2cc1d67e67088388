//! `[[multicam]]` as written (every checked value with its position), and the checks that turn
//! it into [`MulticamConfig`]s: each rig on its own, then the rigs together and against the
//! `[[watch]]` entries. Every error names the rig, the key and its line, with a hint.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use toml::Spanned;

use super::{
    ApiQuestions, Asked, DEFAULT_WAIT_SECS, Grouping, MAX_ACTORS, MulticamConfig,
    MulticamJobConfig, RigDevice,
};
use crate::config::job::RawJob;
use crate::config::raw::At;
use crate::config::{DeviceLabel, WatchConfig};

/// One `[[multicam]]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(in crate::config) struct RawRig {
    name: Spanned<String>,
    devices: Option<Spanned<Vec<Spanned<String>>>>,
    lens: Option<Spanned<RawLens>>,
    group: Option<Spanned<String>>,
    clock_tolerance_secs: Option<Spanned<f64>>,
    sync: Option<Spanned<String>>,
    clap_window: Option<Spanned<Vec<Spanned<f64>>>>,
    wait_secs: Option<Spanned<i64>>,
    calibration: Option<Spanned<String>>,
    human_height_m: Option<Spanned<f64>>,
    area: Option<Spanned<String>>,
    volume: Option<Spanned<String>>,
    job: Option<RawRigJob>,
}

/// Reads the `[[multicam]]` rigs; a single `[multicam]` table is refused with the fix.
pub(in crate::config) fn deserialize_rigs<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<RawRig>, D::Error> {
    struct RigsVisitor;
    impl<'de> Visitor<'de> for RigsVisitor {
        type Value = Vec<RawRig>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("[[multicam]] tables, one per rig")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<RawRig>, A::Error> {
            let mut rigs = Vec::new();
            while let Some(rig) = seq.next_element()? {
                rigs.push(rig);
            }
            Ok(rigs)
        }
        fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<Vec<RawRig>, A::Error> {
            Err(de::Error::custom(
                "write [[multicam]], with two brackets: one such table per rig",
            ))
        }
    }
    d.deserialize_any(RigsVisitor)
}

/// `[multicam.job]` as written: `[job]`'s keys (without the poll times) plus `actors`, `rig`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRigJob {
    #[serde(default)]
    outputs: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    options: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    name: Option<Spanned<String>>,
    #[serde(default)]
    metadata: toml::Table,
    #[serde(default)]
    download_to: Option<Spanned<PathBuf>>,
    actors: Option<Spanned<i64>>,
    rig: Option<Spanned<String>>,
}

/// `lens`: one name for every device, or a table of one name per device.
#[derive(Debug, Clone)]
pub(super) enum RawLens {
    One(String),
    PerDevice(Vec<(Spanned<String>, Spanned<String>)>),
}

impl<'de> Deserialize<'de> for RawLens {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LensVisitor;
        impl<'de> Visitor<'de> for LensVisitor {
            type Value = RawLens;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a lens name, or a table of one lens name per device")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawLens, E> {
                Ok(RawLens::One(s.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawLens, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<Spanned<String>, Spanned<String>>()? {
                    entries.push(entry);
                }
                Ok(RawLens::PerDevice(entries))
            }
        }
        d.deserialize_any(LensVisitor)
    }
}

/// The job's name when `[multicam.job] name` is not given.
const DEFAULT_JOB_NAME: &str = "{rig} {stem}";

/// A rig checked on its own, with the positions the checks across rigs name.
struct Checked {
    rig: MulticamConfig,
    name_span: Range<usize>,
    device_spans: Vec<Range<usize>>,
}

/// Checks every rig, then the rigs together (names, devices) and their devices against the
/// `[[watch]]` entries.
pub(in crate::config) fn validate_all(
    raw: Vec<RawRig>,
    watch: &[WatchConfig],
    at: &At<'_>,
) -> Result<Vec<MulticamConfig>, String> {
    let checked = raw
        .into_iter()
        .map(|r| r.validate(at))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, c) in checked.iter().enumerate() {
        let earlier = &checked[..i];
        if let Some(first) = earlier.iter().find(|e| e.rig.name == c.rig.name) {
            return Err(format!(
                "{}: two [[multicam]] rigs are named \"{}\" (the other at {}); give each rig its own name",
                at("multicam.name", c.name_span.clone()),
                c.rig.name,
                at("multicam.name", first.name_span.clone()),
            ));
        }
        for (device, span) in c.rig.devices.iter().zip(&c.device_spans) {
            if let Some(other) = earlier.iter().find(|e| e.rig.has_device(&device.label)) {
                return Err(format!(
                    "{}: device \"{}\" is in two rigs, \"{}\" and \"{}\"; a camera belongs to one rig, remove it from one",
                    at("multicam.devices", span.clone()),
                    device.label,
                    other.rig.name,
                    c.rig.name,
                ));
            }
            if c.rig.group.by_device_folder() {
                possible_folder(&device.label, watch)
                    .map_err(|e| format!("{}: {e}", at("multicam.devices", span.clone())))?;
            }
        }
    }
    Ok(checked.into_iter().map(|c| c.rig).collect())
}

/// With `group = "stem"` a device is a device folder (a watch path with `from-dir`) or a
/// watch path's fixed label.
fn possible_folder(device: &str, watch: &[WatchConfig]) -> Result<(), String> {
    let from_dir = watch.iter().any(|w| w.device_label == DeviceLabel::FromDir);
    if from_dir || watch.iter().any(|w| w.fixed_label() == Some(device)) {
        return Ok(());
    }
    let fixed: Vec<String> = watch
        .iter()
        .map(|w| format!("{} = \"{}\"", w.path.display(), w.device_label))
        .collect();
    Err(format!(
        "\"{device}\" is not a device label any recording can have: every [[watch]] has a fixed device_label ({}), so no device folders exist; set device_label = \"from-dir\" on the [[watch]] whose path holds the folders {device}/, ... (or use a fixed label as the device)",
        fixed.join(", ")
    ))
}

/// Why a device label cannot name a camera's folder or video, if it cannot.
fn bad_label(label: &str) -> Option<&'static str> {
    if label.trim().is_empty() {
        Some("is empty")
    } else if label.trim() != label {
        Some("starts or ends with a space")
    } else if label.contains('/') {
        Some("holds a '/' (a device label is one folder or file name)")
    } else if label.starts_with('.') {
        Some("starts with '.' (such folders and files are never read)")
    } else if label.chars().any(char::is_control) {
        Some("holds a control character")
    } else {
        None
    }
}

impl RawRig {
    fn validate(self, at: &At<'_>) -> Result<Checked, String> {
        let name = self.name.get_ref().clone();
        let name_at = at("multicam.name", self.name.span());
        if name.trim().is_empty() || name.trim() != name || name.chars().any(char::is_control) {
            return Err(format!(
                "{name_at} must be a name such as \"stage-a\", without surrounding spaces, got \"{name}\""
            ));
        }
        // Where a key that is missing is reported: the rig's name.
        let rig = format!("[[multicam]] \"{name}\" at {name_at}");
        let Some(devices) = self.devices else {
            return Err(format!(
                "{rig} has no `devices`: list the device labels of its cameras, at least two, e.g. devices = [\"cam-1\", \"cam-2\"]"
            ));
        };
        let devices_at = at("multicam.devices", devices.span());
        let devices = devices.into_inner();
        if devices.len() < 2 {
            return Err(format!(
                "{devices_at} lists {} device(s); a rig has at least two cameras (a single camera needs no [[multicam]]: its recordings become single-camera takes)",
                devices.len()
            ));
        }
        for (i, d) in devices.iter().enumerate() {
            let d_at = at("multicam.devices", d.span());
            if let Some(why) = bad_label(d.get_ref()) {
                return Err(format!(
                    "{d_at}: device \"{}\" {why}; use the device label, e.g. \"cam-1\"",
                    d.get_ref()
                ));
            }
            if devices[..i].iter().any(|e| e.get_ref() == d.get_ref()) {
                return Err(format!(
                    "{d_at}: device \"{}\" is listed twice; list each camera once",
                    d.get_ref()
                ));
            }
        }
        let labels: Vec<&str> = devices.iter().map(|d| d.get_ref().as_str()).collect();
        let (lenses, lens_asked) = super::keys::lenses(&rig, &labels, self.lens, at)?;
        let group = match &self.group {
            None => Grouping::Stem,
            Some(g) => Grouping::parse(g.get_ref()).ok_or_else(|| {
                format!(
                    "{} must be one of \"{}\", got \"{}\"",
                    at("multicam.group", g.span()),
                    Grouping::WORDS.join("\", \""),
                    g.get_ref()
                )
            })?,
        };
        let group = super::keys::tolerance(group, self.clock_tolerance_secs, at)?;
        let sync = super::keys::sync(&rig, self.sync, self.clap_window, at)?;
        let wait = match &self.wait_secs {
            None => Duration::from_secs(DEFAULT_WAIT_SECS),
            Some(w) => u64::try_from(*w.get_ref())
                .ok()
                .filter(|s| *s >= 1)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    format!(
                        "{} must be a number of seconds, at least 1 (default {DEFAULT_WAIT_SECS}), got {}",
                        at("multicam.wait_secs", w.span()),
                        w.get_ref()
                    )
                })?,
        };
        let (volume, volume_asked) = super::keys::volume(
            &rig,
            self.calibration,
            self.human_height_m,
            self.area,
            self.volume,
            group.by_device_folder(),
            at,
        )?;
        let job = self.job.map(|j| j.validate(&rig, at)).transpose()?;
        let ask = ApiQuestions {
            lenses: lens_asked,
            processing_rig: job.as_ref().map(|(_, asked)| asked.clone()),
            volume: volume_asked,
        };
        Ok(Checked {
            name_span: self.name.span(),
            device_spans: devices.iter().map(Spanned::span).collect(),
            rig: MulticamConfig {
                name,
                devices: labels
                    .iter()
                    .zip(lenses)
                    .map(|(label, lens)| RigDevice {
                        label: label.to_string(),
                        lens,
                    })
                    .collect(),
                group,
                sync,
                wait,
                volume,
                job: job.map(|(j, _)| j),
                ask,
            },
        })
    }
}

impl RawRigJob {
    /// Checks `[multicam.job]`: `[job]`'s keys as `[job]` does, then `actors` and `rig`.
    fn validate(self, rig: &str, at: &At<'_>) -> Result<(MulticamJobConfig, Asked), String> {
        let actors = match &self.actors {
            None => 1,
            Some(a) => u8::try_from(*a.get_ref())
                .ok()
                .filter(|n| (1..=MAX_ACTORS).contains(n))
                .ok_or_else(|| {
                    format!(
                        "{} must be the number of people to track, 1 to {MAX_ACTORS} (default 1), got {}",
                        at("multicam.job.actors", a.span()),
                        a.get_ref()
                    )
                })?,
        };
        let processing_rig = match &self.rig {
            None => {
                return Err(format!(
                    "{rig}: [multicam.job] has no `rig`: name the processing rig, one of `move-ingest rigs` (listRigs), e.g. rig = \"move_mo\""
                ));
            }
            Some(r) if r.get_ref().trim().is_empty() => {
                return Err(format!(
                    "{} is empty; name a processing rig from `move-ingest rigs` (listRigs), e.g. \"move_mo\"",
                    at("multicam.job.rig", r.span())
                ));
            }
            Some(r) => Asked {
                value: r.get_ref().trim().to_string(),
                at: at("multicam.job.rig", r.span()),
            },
        };
        let job = RawJob {
            outputs: self.outputs,
            options: self.options,
            name: self.name,
            metadata: self.metadata,
            download_to: self.download_to,
            poll_secs: None,
            poll_cap_secs: None,
        }
        .validate_in("multicam.job", DEFAULT_JOB_NAME, at)?;
        Ok((
            MulticamJobConfig {
                job,
                actors,
                rig: processing_rig.value.clone(),
            },
            processing_rig,
        ))
    }
}
