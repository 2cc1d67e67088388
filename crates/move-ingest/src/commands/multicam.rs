//! What the multicam commands share: `lenses` and `rigs`, and the parsing of `--source
//! LABEL:FILE_ID:FORMAT:LENS` and `--sync` (checked before any request).

use std::collections::HashSet;
use std::path::Path;

use clap::Args;
use serde_json::json;

use crate::api::multicam::{CameraSettings, CameraSource, SyncMethod};
use crate::commands::common::{api_client, api_error};
use crate::commands::exit::Exit;
use crate::config::UsageError;

/// The shape of a multicam `--source`, for help and errors.
pub const SOURCE_SHAPE: &str = "LABEL:FILE_ID:FORMAT:LENS";

const SOURCE_EXAMPLE: &str = "cam-1:file-457e23c2-6afc-4913-91f6-36522245d57d:mp4:goprohero10-fhd";

#[derive(Debug, Args)]
pub struct ListingArgs {
    /// Print the API's items as JSON instead of one name a line.
    #[arg(long)]
    pub json: bool,
}

/// Runs `lenses`: the lens names of `listCameraSettings`, one a line.
pub async fn lenses(config: Option<&Path>, args: ListingArgs) -> anyhow::Result<Exit> {
    let client = api_client(config)?;
    let lenses = client.list_camera_settings().await.map_err(api_error)?;
    if args.json {
        let out = json!({ "lenses": lenses });
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        for CameraSettings { lens } in &lenses {
            crate::outln!("{lens}")?;
        }
    }
    Ok(Exit::Ok)
}

/// Runs `rigs`: the rig names of `listRigs`, one a line.
pub async fn rigs(config: Option<&Path>, args: ListingArgs) -> anyhow::Result<Exit> {
    let client = api_client(config)?;
    let rigs = client.list_rigs().await.map_err(api_error)?;
    if args.json {
        let out = json!({ "rigs": rigs });
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        for rig in &rigs {
            crate::outln!("{}", rig.name)?;
        }
    }
    Ok(Exit::Ok)
}

/// `LABEL:FILE_ID:FORMAT:LENS`; the label may itself hold `:`. FORMAT is a video format.
pub fn parse_camera_source(arg: &str) -> Result<CameraSource, UsageError> {
    let bad = |what: &str| {
        UsageError::new(format!(
            "--source `{arg}`: {what}; expected {SOURCE_SHAPE}, e.g. {SOURCE_EXAMPLE} (`move-ingest lenses` lists the lens names)"
        ))
    };
    let mut parts = arg.rsplitn(4, ':');
    let (Some(lens), Some(format), Some(file_id), Some(label)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not four parts separated by ':'"));
    };
    if label.is_empty() {
        return Err(bad("the device label is empty"));
    }
    if file_id.is_empty() {
        return Err(bad("the file id is empty"));
    }
    if lens.is_empty() {
        return Err(bad("the lens is empty"));
    }
    let format = match format.to_ascii_lowercase().as_str() {
        "mp4" => "MP4",
        "mov" => "MOV",
        "avi" => "AVI",
        "move" => {
            return Err(bad(
                "a multicam source is a video (mp4, mov or avi), not a .move sidecar",
            ));
        }
        _ => {
            return Err(bad(&format!(
                "the format `{format}` is not one of mp4, mov, avi"
            )));
        }
    };
    Ok(CameraSource {
        device_label: label.to_string(),
        file_id: file_id.to_string(),
        format,
        camera_settings: CameraSettings {
            lens: lens.to_string(),
        },
    })
}

/// The sources of a volume or multicam take: at least two cameras, one source each.
pub fn parse_camera_sources(args: &[String]) -> Result<Vec<CameraSource>, UsageError> {
    let sources = args
        .iter()
        .map(|s| parse_camera_source(s))
        .collect::<Result<Vec<_>, _>>()?;
    if sources.len() < 2 {
        return Err(UsageError::new(format!(
            "--source: {} camera given; multicam needs a video from at least two cameras, one --source {SOURCE_SHAPE} each",
            sources.len()
        )));
    }
    let mut labels = HashSet::new();
    for s in &sources {
        if !labels.insert(s.device_label.as_str()) {
            return Err(UsageError::new(format!(
                "--source: the device label `{}` is given twice; each camera gives one video, under its own label",
                s.device_label
            )));
        }
    }
    Ok(sources)
}

/// `--sync`: `timecode`, `clap:START-END` (seconds, START before END) or `none`.
pub fn parse_sync(arg: &str) -> Result<SyncMethod, UsageError> {
    let bad = |what: &str| {
        UsageError::new(format!(
            "--sync `{arg}`: {what}; expected timecode, clap:START-END (the seconds around the clap, e.g. clap:2.5-4) or none (already synced)"
        ))
    };
    match arg.to_ascii_lowercase().as_str() {
        "timecode" => return Ok(SyncMethod::Timecode),
        "none" => return Ok(SyncMethod::None),
        _ => {}
    }
    let Some(window) = arg
        .strip_prefix("clap:")
        .or_else(|| arg.strip_prefix("CLAP:"))
    else {
        return Err(bad("not a sync method"));
    };
    let Some((start, end)) = window.split_once('-') else {
        return Err(bad("the clap window is not START-END"));
    };
    let seconds = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let (Some(start), Some(end)) = (seconds(start), seconds(end)) else {
        return Err(bad("START and END must be seconds, 0 or more"));
    };
    if start >= end {
        return Err(bad("START must be before END"));
    }
    Ok(SyncMethod::Clap { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camera_sources_parse_with_any_case_and_colons_in_the_label() {
        let s = parse_camera_source("rig:cam-1:file-1:Mp4:goprohero10-fhd").expect("valid");
        assert_eq!(
            (
                s.device_label.as_str(),
                s.file_id.as_str(),
                s.format,
                s.camera_settings.lens.as_str()
            ),
            ("rig:cam-1", "file-1", "MP4", "goprohero10-fhd")
        );
        for bad in [
            "cam-1:file-1:mp4",
            "cam-1:file-1:mkv:lens",
            "cam-1:file-1:move:lens",
            ":file-1:mp4:lens",
            "cam-1::mp4:lens",
            "cam-1:file-1:mp4:",
        ] {
            assert!(parse_camera_source(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn multicam_needs_two_cameras_with_their_own_labels() {
        let one = vec!["a:f1:mp4:l".to_string()];
        assert!(parse_camera_sources(&one).is_err());
        let twice = vec!["a:f1:mp4:l".to_string(), "a:f2:mp4:l".to_string()];
        assert!(
            parse_camera_sources(&twice)
                .err()
                .is_some_and(|e| e.to_string().contains("`a` is given twice"))
        );
        let two = vec!["a:f1:mp4:l".to_string(), "b:f2:mov:l".to_string()];
        assert_eq!(parse_camera_sources(&two).map(|s| s.len()).ok(), Some(2));
    }

    #[test]
    fn sync_methods() {
        assert_eq!(parse_sync("timecode").ok(), Some(SyncMethod::Timecode));
        assert_eq!(parse_sync("None").ok(), Some(SyncMethod::None));
        assert_eq!(
            parse_sync("clap:2.5-4").ok(),
            Some(SyncMethod::Clap {
                start: 2.5,
                end: 4.0
            })
        );
        for bad in [
            "clap",
            "clap:",
            "clap:4-2",
            "clap:3-3",
            "clap:a-b",
            "clap:-1-2",
            "gps",
            "",
        ] {
            assert!(parse_sync(bad).is_err(), "{bad}");
        }
    }
}
