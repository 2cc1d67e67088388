//! `takes create` and `takes update`: the arguments are checked before any request, and an
//! update keeps the `move_ingest` record that exactly-once and adoption rely on.

use std::path::Path;

use serde_json::{Map, Value};

use super::{about_take, api_error, client, view};
use crate::api::multicam::MultiCamTakeRequest;
use crate::api::{Expand, SourceInput};
use crate::cli::{TakesCreateArgs, TakesUpdateArgs};
use crate::commands::common::create_error;
use crate::commands::exit::Exit;
use crate::commands::multicam::{parse_camera_sources, parse_sync};
use crate::config::UsageError;

/// The key of move-ingest's own record in a take's metadata.
pub const INGEST_RECORD: &str = "move_ingest";

/// Runs `takes create`.
pub async fn create(config: Option<&Path>, args: TakesCreateArgs) -> anyhow::Result<Exit> {
    if let Some(volume) = &args.volume {
        return create_multi_cam(config, volume, &args).await;
    }
    let sources = args
        .sources
        .iter()
        .map(|s| parse_source(s))
        .collect::<Result<Vec<_>, _>>()?;
    check_one_video(&sources)?;
    let metadata = match &args.metadata {
        Some(text) => parse_object("--metadata", text)?,
        None => Map::new(),
    };
    let client = client(config)?;
    let take = client
        .create_take_view(&sources, args.name.as_deref(), &Value::Object(metadata))
        .await
        .map_err(api_error)?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&view::take_json(&take))?)?;
    } else {
        crate::outln!("{}", take.id)?;
    }
    Ok(Exit::Ok)
}

/// Runs `takes create --volume`: `createMultiCamTake`, every argument checked first.
async fn create_multi_cam(
    config: Option<&Path>,
    volume: &str,
    args: &TakesCreateArgs,
) -> anyhow::Result<Exit> {
    let sources = parse_camera_sources(&args.sources)?;
    let Some(sync) = &args.sync else {
        return Err(UsageError::new(
            "--volume needs --sync timecode|clap:START-END|none (how the cameras' videos are synced)",
        )
        .into());
    };
    let sync = parse_sync(sync)?;
    let metadata = match &args.metadata {
        Some(text) => parse_object("--metadata", text)?,
        None => Map::new(),
    };
    let request = MultiCamTakeRequest {
        volume_id: volume.to_string(),
        sources,
        sync,
        name: args.name.clone(),
        metadata: Some(Value::Object(metadata)),
    };
    let client = client(config)?;
    let take = client
        .create_multi_cam_take(&request)
        .await
        .map_err(|e| create_error(e, "take", "move-ingest takes list"))?;
    if args.json {
        crate::outln!(
            "{}",
            serde_json::to_string_pretty(&view::multi_cam_take_json(&take))?
        )?;
    } else {
        crate::outln!("{}", take.id)?;
    }
    Ok(Exit::Ok)
}

/// Runs `takes update`.
pub async fn update(config: Option<&Path>, args: TakesUpdateArgs) -> anyhow::Result<Exit> {
    if args.name.is_none() && args.metadata.is_none() && args.set.is_empty() {
        return Err(UsageError::new(
            "nothing to update: give --name, --metadata and/or --set KEY=VALUE",
        )
        .into());
    }
    let replace = match &args.metadata {
        Some(text) => Some(parse_object("--metadata", text)?),
        None => None,
    };
    let sets = args
        .set
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>, _>>()?;
    let client = client(config)?;
    let id = args.take_id.as_str();
    let metadata = if replace.is_some() || !sets.is_empty() {
        let keep_record = !(replace.is_some() && args.drop_ingest_record);
        let current = if sets.is_empty() && !keep_record {
            Map::new()
        } else {
            let take = client
                .take_view(id, Expand::default())
                .await
                .map_err(|e| about_take(e, id))?;
            match view::metadata(&take) {
                Value::Object(m) => m,
                _ => Map::new(),
            }
        };
        Some(Value::Object(merge(current, replace, keep_record, sets)))
    } else {
        None
    };
    let take = client
        .update_take_view(
            id,
            args.name.as_deref(),
            metadata.as_ref(),
            Expand::default(),
        )
        .await
        .map_err(|e| about_take(e, id))?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&view::take_json(&take))?)?;
    } else {
        crate::outln!("updated {}", take.id)?;
    }
    Ok(Exit::Ok)
}

/// The new metadata: `replace` (else the current metadata) with the current `move_ingest`
/// record kept when `keep_record`, then each `--set` applied.
pub fn merge(
    current: Map<String, Value>,
    replace: Option<Map<String, Value>>,
    keep_record: bool,
    sets: Vec<(String, Value)>,
) -> Map<String, Value> {
    let mut out = match replace {
        Some(mut new) => {
            new.remove(INGEST_RECORD);
            if keep_record && let Some(record) = current.get(INGEST_RECORD) {
                new.insert(INGEST_RECORD.into(), record.clone());
            }
            new
        }
        None => current,
    };
    for (k, v) in sets {
        out.insert(k, v);
    }
    out
}

/// `LABEL:FILE_ID:FORMAT`; the label may itself hold `:`.
pub fn parse_source(arg: &str) -> Result<SourceInput, UsageError> {
    let bad = |what: &str| {
        UsageError::new(format!(
            "--source `{arg}`: {what}; expected LABEL:FILE_ID:FORMAT, e.g. cam-a:file-457e23c2-6afc-4913-91f6-36522245d57d:mp4"
        ))
    };
    let mut parts = arg.rsplitn(3, ':');
    let (Some(format), Some(file_id), Some(label)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("not three parts separated by ':'"));
    };

    if label.is_empty() {
        return Err(bad("the device label is empty"));
    }
    if file_id.is_empty() {
        return Err(bad("the file id is empty"));
    }
    let format = match format.to_ascii_lowercase().as_str() {
        "mp4" => "MP4",
        "mov" => "MOV",
        "avi" => "AVI",
        "move" => "MOVE",
        _ if ["mp4", "mov", "avi"].contains(&file_id.to_ascii_lowercase().as_str()) => {
            return Err(bad(&format!(
                "`{format}` looks like a lens, as in a multicam source; a multicam take needs --volume VOLUME_ID and --sync"
            )));
        }
        _ => {
            return Err(bad(&format!(
                "the format `{format}` is not one of mp4, mov, avi, move"
            )));
        }
    };
    Ok(SourceInput {
        device_label: label.to_string(),
        file_id: file_id.to_string(),
        format,
    })
}

/// A single-camera take needs exactly one video among its sources.
pub fn check_one_video(sources: &[SourceInput]) -> Result<(), UsageError> {
    match sources.iter().filter(|s| s.format != "MOVE").count() {
        1 => Ok(()),
        0 => Err(UsageError::new(
            "--source: no video among the sources; a take needs exactly one mp4, mov or avi source",
        )),
        n => Err(UsageError::new(format!(
            "--source: {n} videos among the sources; a single-camera take has exactly one mp4, mov or avi source"
        ))),
    }
}

/// A JSON object given on the command line.
pub fn parse_object(flag: &str, text: &str) -> Result<Map<String, Value>, UsageError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| UsageError::new(format!("{flag} is not valid JSON: {e}")))?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(UsageError::new(format!(
            "{flag} must be a JSON object such as '{{\"foo\":\"bar\"}}', got {}",
            kind(&other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `KEY=VALUE`: VALUE parsed as JSON, else taken as a string.
pub fn parse_set(arg: &str) -> Result<(String, Value), UsageError> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(UsageError::new(format!(
            "--set `{arg}`: expected KEY=VALUE, e.g. --set site=studio-a"
        )));
    };
    if key.is_empty() {
        return Err(UsageError::new(format!("--set `{arg}`: the key is empty")));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((key.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn sources_parse_with_any_case_and_colons_in_the_label() {
        let s = parse_source("rig:cam-a:file-1:Mp4").expect("valid");
        assert_eq!(
            (s.device_label.as_str(), s.file_id.as_str(), s.format),
            ("rig:cam-a", "file-1", "MP4")
        );
        for bad in [
            "cam-a:file-1",
            "cam-a:file-1:mkv",
            ":file-1:mp4",
            "cam-a::mp4",
        ] {
            assert!(parse_source(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_replacement_keeps_the_ingest_record_unless_dropped_and_sets_merge() {
        let current = map(json!({"a": 1, "move_ingest": {"recording_id": "r"}}));
        let new = map(json!({"b": 2}));
        let kept = merge(current.clone(), Some(new.clone()), true, vec![]);
        assert_eq!(
            Value::Object(kept),
            json!({"b": 2, "move_ingest": {"recording_id": "r"}})
        );
        let dropped = merge(current.clone(), Some(new), false, vec![]);
        assert_eq!(Value::Object(dropped), json!({"b": 2}));
        let set = merge(
            current,
            None,
            true,
            vec![
                parse_set("c=[1]").expect("set"),
                parse_set("d=x y").expect("set"),
            ],
        );
        assert_eq!(
            Value::Object(set),
            json!({"a": 1, "c": [1], "d": "x y", "move_ingest": {"recording_id": "r"}})
        );
    }

    #[test]
    fn metadata_must_be_an_object() {
        assert!(parse_object("--metadata", "{\"a\":1}").is_ok());
        for bad in ["[1]", "\"s\"", "null", "{a:1}"] {
            assert!(parse_object("--metadata", bad).is_err(), "{bad}");
        }
    }
}
