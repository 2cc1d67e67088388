//! A take as `takes` prints it: JSON with the API's field names (metadata decoded), or
//! lines and table rows for people.

use serde_json::{Value, json};

use crate::api::TakeView;
use crate::api::multicam::{CameraSourceView, MultiCamTake};

/// The metadata decoded from its AWSJSON string (a string that is not JSON stays a string).
pub fn metadata(take: &TakeView) -> Value {
    match take.metadata.as_deref() {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())),
    }
}

/// TAKE: `id`, `name`, `created`, `metadata` (a JSON value), and when expanded
/// `sources: [{deviceLabel, fileId, format}]` and `client: {id, name}`.
pub fn take_json(take: &TakeView) -> Value {
    let mut out = json!({
        "id": take.id,
        "name": take.name,
        "created": take.created,
        "metadata": metadata(take),
    });
    if let Some(sources) = &take.sources {
        out["sources"] = sources
            .iter()
            .flatten()
            .map(|s| {
                json!({
                    "deviceLabel": s.device_label,
                    "fileId": s.file.as_ref().map(|f| f.id.as_str()),
                    "format": s.format,
                })
            })
            .collect();
    }
    if let Some(c) = &take.client {
        out["client"] = json!({"id": c.id, "name": c.name});
    }
    out
}

/// `MP4+MOVE`.
pub fn formats(take: &TakeView) -> String {
    let formats: Vec<&str> = take
        .sources
        .iter()
        .flatten()
        .flatten()
        .filter_map(|s| s.format.as_deref())
        .collect();
    formats.join("+")
}

/// `2026-12-03 08:01:26` from `2026-12-03T08:01:26.123456Z` (as given when it is not that shape).
pub fn created(take: &TakeView) -> String {
    let c = &take.created;
    match (c.get(..10), c.get(11..19)) {
        (Some(day), Some(time)) if c.as_bytes().get(10) == Some(&b'T') => format!("{day} {time}"),
        _ => c.clone(),
    }
}

/// The metadata on one line: nested objects and arrays shown as `{…}`/`[…]`, cut at `max` chars.
pub fn metadata_short(take: &TakeView, max: usize) -> String {
    let text = match metadata(take) {
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Object(o) if !o.is_empty() => "{…}".to_string(),
                        Value::Array(a) if !a.is_empty() => "[…]".to_string(),
                        other => other.to_string(),
                    };
                    format!("{k}={v}")
                })
                .collect();
            parts.join(" ")
        }
        Value::Null => String::new(),
        other => other.to_string(),
    };
    cut(&text, max)
}

/// `text` cut to `max` characters, ending in `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One take for people: a line per field, the metadata in full.
pub fn print_take(take: &TakeView) -> anyhow::Result<()> {
    crate::outln!("take:     {}", take.id)?;
    crate::outln!("name:     {}", take.name.as_deref().unwrap_or(""))?;
    crate::outln!("created:  {}", take.created)?;
    if let Some(sources) = &take.sources {
        for s in sources.iter().flatten() {
            crate::outln!(
                "source:   {} {} (device {})",
                s.format.as_deref().unwrap_or("?"),
                s.file.as_ref().map_or("-", |f| f.id.as_str()),
                s.device_label
            )?;
        }
    }
    if let Some(c) = &take.client {
        crate::outln!("client:   {} ({})", c.name, c.id)?;
    }
    let meta = serde_json::to_string_pretty(&metadata(take))?;
    crate::outln!("metadata: {}", meta.replace('\n', "\n          "))?;
    Ok(())
}

/// The sources of a volume or multicam take as the API names them:
/// `[{deviceLabel, fileId, format, cameraSettings: {lens}}]`.
pub fn camera_sources_json(sources: Option<&[Option<CameraSourceView>]>) -> Vec<Value> {
    sources
        .unwrap_or_default()
        .iter()
        .flatten()
        .map(|s| {
            json!({
                "deviceLabel": s.device_label,
                "fileId": s.file.as_ref().map(|f| f.id.as_str()),
                "format": s.format,
                "cameraSettings": s.camera_settings,
            })
        })
        .collect()
}

/// A multicam TAKE: `id`, `name`, `created`, `metadata` (a JSON value), `takeType`,
/// `volume: {id}`, `syncMethod`, and `sources: [{deviceLabel, fileId, format,
/// cameraSettings: {lens}}]`.
pub fn multi_cam_take_json(take: &MultiCamTake) -> Value {
    let sources = camera_sources_json(take.sources.as_deref());
    json!({
        "id": take.id,
        "name": take.name,
        "created": take.created,
        "metadata": take.metadata_value(),
        "takeType": take.take_type,
        "volume": take.volume,
        "syncMethod": take.sync_method,
        "sources": sources,
    })
}
