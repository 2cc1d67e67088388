//! `[[multicam]]`: rigs of cameras whose recordings become multicam takes on a calibrated volume
//! (issue 22). Parsed raw with the line of each value (`raw`), checked rig by rig and across
//! rigs and `[[watch]]` entries, into the [`MulticamConfig`]s of [`Config::multicam`].
//!
//! What only the API can answer (is a lens in `listCameraSettings`, a processing rig in
//! `listRigs`, is a pinned volume FINISHED and does it cover the devices) is not checked here:
//! each rig lists those questions, with the key and line to name, in [`MulticamConfig::ask`].

mod keys;
mod raw;

pub(super) use raw::{RawRig, deserialize_rigs, validate_all};

use std::time::Duration;

use super::{Config, JobConfig};

/// One `[[multicam]]` rig, validated.
#[derive(Debug, Clone)]
pub struct MulticamConfig {
    /// Unique among the rigs; in take metadata, status, the page and metrics (`{rig}`).
    pub name: String,
    /// Its cameras in the order written, at least two, each with its lens.
    pub devices: Vec<RigDevice>,
    /// How the videos of one recording are found together.
    pub group: Grouping,
    /// How Move lines the videos up (`syncMethod` of the volume and of each take).
    pub sync: SyncMethod,
    /// After the first camera's video is complete, how long to wait for the others (`wait_secs`).
    pub wait: Duration,
    /// Where the volume comes from: calibration recordings, or one made earlier.
    pub volume: VolumeSource,
    /// `[multicam.job]`: one processing job per multicam take (billed); `None` = no jobs.
    pub job: Option<MulticamJobConfig>,
    /// What must be asked of the API before the rig can be trusted (for `check` and `run`).
    pub ask: ApiQuestions,
}

/// A camera of a rig: its device label and the lens it films with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RigDevice {
    /// The device label (a folder under a watch path with `device_label = "from-dir"`, a
    /// fixed label of a watch path, or with `group = "folder"` the stem of its video).
    pub label: String,
    /// A lens name from `listCameraSettings` (`cameraSettings: {lens}` of its sources).
    pub lens: String,
}

/// `group`: how the videos of one recording are found together under a rig.
///
/// The raw parse refuses keys that belong to a grouping not chosen (`clock_tolerance_secs`
/// without `group = "time"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// `"stem"` (default): the same sub-folders and stem under each device folder
    /// (`cam-1/day1/act-01.mp4` + `cam-2/day1/act-01.mp4`).
    Stem,
    /// `"folder"`: one folder per recording holding one video per device, named by its label
    /// (`day1/act-01/cam-1.mp4` + `day1/act-01/cam-2.mp4`).
    Folder,
    /// `"time"` (issue 25): videos under the device folders, named as each camera names
    /// them, are one recording when the intervals their files say they were recorded in
    /// (`moov/mvhd`, or a timecode track with `sync = "timecode"`) overlap by at least half of
    /// the shorter one, camera clocks allowed to differ by `clock_tolerance_secs`.
    Time {
        /// `clock_tolerance_secs` in ms (default 5 s).
        clock_tolerance_ms: i64,
    },
}

/// `clock_tolerance_secs` when not given.
pub const DEFAULT_CLOCK_TOLERANCE_SECS: u64 = 5;
/// The largest `clock_tolerance_secs` accepted.
pub const MAX_CLOCK_TOLERANCE_SECS: u64 = 600;

impl Grouping {
    /// The config's words, in the order the error lists them.
    pub const WORDS: [&str; 3] = ["stem", "folder", "time"];

    pub(super) fn parse(word: &str) -> Option<Grouping> {
        match word {
            "stem" => Some(Grouping::Stem),
            "folder" => Some(Grouping::Folder),
            "time" => Some(Grouping::Time {
                clock_tolerance_ms: DEFAULT_CLOCK_TOLERANCE_SECS as i64 * 1000,
            }),
            _ => None,
        }
    }

    /// Whether the cameras' videos live under their device folders (`stem` and `time`).
    pub fn by_device_folder(self) -> bool {
        !matches!(self, Grouping::Folder)
    }
}

/// `sync`: the API's `SyncMethodInput`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SyncMethod {
    /// `"timecode"` (default): `timecodeSync: {useTimecode: true}`.
    Timecode,
    /// `"clap"`: `clapWindow: {startTime, endTime}`, seconds into the videos (`clap_window`).
    Clap { start: f64, end: f64 },
    /// `"none"`: the videos are already synced; no `syncMethod` is sent.
    None,
}

impl SyncMethod {
    /// The config's words.
    pub const WORDS: [&str; 3] = ["timecode", "clap", "none"];
}

/// `area`: the API's `AreaType` of the volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaType {
    /// `"normal"` (default): `NORMAL`.
    Normal,
    /// `"large"`: `LARGE`.
    Large,
}

impl AreaType {
    /// The config's words.
    pub const WORDS: [&str; 2] = ["normal", "large"];

    /// The `AreaType` enum value of the schema.
    pub fn api_name(self) -> &'static str {
        match self {
            AreaType::Normal => "NORMAL",
            AreaType::Large => "LARGE",
        }
    }

    pub(super) fn parse(word: &str) -> Option<AreaType> {
        match word {
            "normal" => Some(AreaType::Normal),
            "large" => Some(AreaType::Large),
            _ => None,
        }
    }
}

/// The lowest and highest `human_height_m` accepted (metres; the API's range).
pub const HUMAN_HEIGHT_M: (f64, f64) = (0.5, 2.5);
/// `wait_secs` when not given.
pub const DEFAULT_WAIT_SECS: u64 = 120;

/// Where a rig's volume comes from.
#[derive(Debug, Clone)]
pub enum VolumeSource {
    /// `calibration`: each recording whose stem (or place) matches becomes a volume
    /// (`createVolumeWithHuman`), and the rig's later recordings are taken on the newest.
    Calibrate {
        /// The names of calibration recordings (`calibration`, a glob; with a '/', the path
        /// below the device folder; see [`MulticamConfig::is_calibration`]).
        stems: glob::Pattern,
        /// `human_height_m`: the person in the calibration recording, 0.5 to 2.5 m.
        human_height_m: f64,
        /// `area`.
        area: AreaType,
    },
    /// `volume`: the id of a volume made earlier; no calibration recordings.
    Pinned(String),
}

/// `[multicam.job]`: the `createMultiCamJob` of each take.
#[derive(Debug, Clone)]
pub struct MulticamJobConfig {
    /// `outputs`, `options`, `name` (default `"{rig} {stem}"`), `metadata`, `download_to`,
    /// checked as in `[job]`; `poll`/`poll_cap` keep `[job]`'s defaults.
    pub job: JobConfig,
    /// `actors`: `numberOfActors`, 1 to 10 (default 1).
    pub actors: u8,
    /// `rig`: the processing rig, a name from `listRigs` (e.g. `move_mo`).
    pub rig: String,
}

/// The highest `actors` accepted.
pub const MAX_ACTORS: u8 = 10;

/// A value only the API can judge, with where it is written (`` `multicam.lens` (line 7) ``),
/// for the error that refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub value: String,
    /// The key and its line, as config errors name them.
    pub at: String,
}

/// What the API must confirm about one rig; checked by `check` (and `run` at start), not by
/// the config, which cannot reach the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiQuestions {
    /// Each lens once: must be a name of `listCameraSettings`.
    pub lenses: Vec<Asked>,
    /// `[multicam.job] rig`: must be a name of `listRigs`.
    pub processing_rig: Option<Asked>,
    /// A pinned `volume`: `getVolume` must find it FINISHED, with a source for every device.
    pub volume: Option<Asked>,
}

impl MulticamConfig {
    /// Whether the recording named `stem` is a calibration recording of the rig (always false
    /// with a pinned volume). The name is the stem the videos share (`group = "stem"`), the
    /// recording folder's name (`group = "folder"`, whose videos are named by device) or the
    /// video's own stem (`group = "time"`). A `calibration` with a '/' is matched instead
    /// against `place`, the video's sub folders and stem below its device folder
    /// (`calib/GX010001`).
    pub fn is_calibration_at(&self, stem: &str, place: &str) -> bool {
        match &self.volume {
            VolumeSource::Calibrate { stems, .. } if stems.as_str().contains('/') => {
                stems.matches_with(place, MATCH)
            }
            VolumeSource::Calibrate { stems, .. } => stems.matches_with(stem, MATCH),
            VolumeSource::Pinned(_) => false,
        }
    }

    /// Whether the recording named `stem` is a calibration recording of the rig, its place
    /// being its name (a video right in its device folder).
    pub fn is_calibration(&self, stem: &str) -> bool {
        self.is_calibration_at(stem, stem)
    }

    /// The lens of one of the rig's devices.
    pub fn lens_of(&self, device: &str) -> Option<&str> {
        self.devices
            .iter()
            .find(|d| d.label == device)
            .map(|d| d.lens.as_str())
    }

    /// Whether `device` is one of the rig's cameras.
    pub fn has_device(&self, device: &str) -> bool {
        self.devices.iter().any(|d| d.label == device)
    }

    /// The device labels, in the order written.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.devices.iter().map(|d| d.label.as_str())
    }
}

/// How `calibration` matches a stem or a place: case-sensitive, `*` never crossing a '/', a
/// leading '.' matched by `*`.
const MATCH: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl Config {
    /// The rig whose camera `device` is; `None` for a single-camera device.
    pub fn rig_of(&self, device: &str) -> Option<&MulticamConfig> {
        self.multicam.iter().find(|r| r.has_device(device))
    }
}

#[cfg(test)]
mod tests;
