//! The full GraphQL values (serde_json, with `__typename`) of the client, files and takes.

use serde_json::{Value, json};

use super::App;
use super::presign;
use super::store::{FileRecord, SourceRecord, TakeRecord};

/// The sandbox's one client account.
pub(crate) const CLIENT_ID: &str = "client-sandbox";

/// Which presigned URL a file view carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlKind {
    /// Right after `createFile`: where to PUT the bytes.
    Upload,
    /// Anywhere else: where to GET them (null until uploaded).
    Download,
}

/// The `Client`. The real API fills `metadata` (`"{}"` until `updateClient`) and `portal`;
/// Move's SDK requires both.
pub(crate) fn client(app: &App) -> Value {
    json!({
        "__typename": "Client",
        "id": CLIENT_ID,
        "name": "sandbox",
        "created": app.store.identity().created,
        "metadata": EMPTY_METADATA,
        "portal": format!("{}/portal", app.base),
    })
}

/// What the real API answers as the `metadata` of a file or take created without any.
const EMPTY_METADATA: &str = "{}";

fn metadata(stored: &Option<String>) -> &str {
    stored.as_deref().unwrap_or(EMPTY_METADATA)
}

/// A `File`.
pub(crate) fn file(app: &App, record: &FileRecord, kind: UrlKind) -> Value {
    let secret = &app.store.identity().secret;
    let url = match kind {
        UrlKind::Upload => Some(presign::url(
            &app.base,
            secret,
            "PUT",
            &record.id,
            app.url_ttl,
        )),
        UrlKind::Download => record
            .upload
            .as_ref()
            .map(|_| presign::url(&app.base, secret, "GET", &record.id, app.url_ttl)),
    };
    json!({
        "__typename": "File",
        "id": record.id,
        "type": record.file_type,
        "name": record.name,
        "metadata": metadata(&record.metadata),
        "created": record.created,
        "presignedUrl": url,
        "thumbnailUrl": super::thumbnail::url(app, record),
        "client": client(app),
    })
}

/// A `Take` with its sources, video file and additional files; a multi-cam take has no single
/// video file but its volume and sync method.
pub(crate) fn take(app: &App, record: &TakeRecord) -> Value {
    let sources: Vec<Value> = record.sources.iter().map(|s| source(app, s)).collect();
    if record.is_multi_cam() {
        let volume = record
            .volume_id
            .as_deref()
            .and_then(|id| app.store.volume(id))
            .map_or(Value::Null, |v| {
                super::volumes::view(app, &v, super::jobs::now_ms())
            });
        return json!({
            "__typename": "Take",
            "id": record.id,
            "name": record.name,
            "metadata": metadata(&record.metadata),
            "created": record.created,
            "takeType": "MULTI_CAM",
            "client": client(app),
            "sources": sources,
            "videoFile": null,
            "additionalFiles": [],
            "syncMethod": super::multicam::sync_view(record.sync),
            "volume": volume,
        });
    }
    let video = record
        .sources
        .iter()
        .find(|s| s.format != "MOVE")
        .map_or(Value::Null, |s| source_file(app, s));
    let additional: Vec<Value> = record
        .sources
        .iter()
        .filter(|s| s.format == "MOVE")
        .map(|s| {
            json!({
                "__typename": "AdditionalFile",
                "key": s.format,
                "format": s.format,
                "file": source_file(app, s),
            })
        })
        .collect();
    json!({
        "__typename": "Take",
        "id": record.id,
        "name": record.name,
        "metadata": metadata(&record.metadata),
        "created": record.created,
        "takeType": "SINGLE_CAM",
        "client": client(app),
        "sources": sources,
        "videoFile": video,
        "additionalFiles": additional,
        "syncMethod": null,
        "volume": null,
    })
}

pub(crate) fn source(app: &App, record: &SourceRecord) -> Value {
    let camera = record.lens.as_ref().map_or(
        Value::Null,
        |lens| json!({ "__typename": "CameraSettings", "lens": lens }),
    );
    json!({
        "__typename": "Source",
        "deviceLabel": record.device_label,
        "format": record.format,
        "cameraSettings": camera,
        "file": source_file(app, record),
    })
}

fn source_file(app: &App, record: &SourceRecord) -> Value {
    app.store
        .file(&record.file_id)
        .map_or(Value::Null, |f| file(app, &f, UrlKind::Download))
}
