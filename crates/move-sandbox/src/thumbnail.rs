//! Thumbnails of uploaded videos, as the real API offers them in `File.thumbnailUrl`: here a
//! small SVG drawn from the file's name (no image decoding), served at `/thumbnails/{id}.svg`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::App;
use super::store::FileRecord;

/// The thumbnail URL of a file: videos that are uploaded have one, anything else none.
pub(crate) fn url(app: &App, record: &FileRecord) -> Option<String> {
    let video = matches!(record.file_type.as_str(), "mp4" | "mov" | "avi");
    (video && record.upload.is_some()).then(|| format!("{}/thumbnails/{}.svg", app.base, record.id))
}

/// `GET /thumbnails/{id}.svg`.
pub(crate) async fn handle(State(app): State<Arc<App>>, Path(name): Path<String>) -> Response {
    let id = name.strip_suffix(".svg").unwrap_or(&name);
    let Some(record) = app.store.file(id).filter(|r| url(&app, r).is_some()) else {
        return (StatusCode::NOT_FOUND, "no thumbnail\n").into_response();
    };
    let label = record.name.as_deref().unwrap_or(id);
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg(id, label)).into_response()
}

/// A figure on a coloured ground (the hue from the id), with the file name below.
fn svg(id: &str, label: &str) -> String {
    let hue = id.bytes().map(u32::from).sum::<u32>() * 47 % 360;
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(40)
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="180" viewBox="0 0 320 180">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="hsl({hue},55%,32%)"/><stop offset="1" stop-color="hsl({h2},55%,14%)"/></linearGradient></defs>
<rect width="320" height="180" fill="url(#g)"/>
<g stroke="rgba(255,255,255,.85)" stroke-width="7" stroke-linecap="round" fill="none">
<circle cx="160" cy="44" r="14" fill="rgba(255,255,255,.85)" stroke="none"/>
<path d="M160 62 L160 110 M160 74 L130 96 M160 74 L194 58 M160 110 L138 148 M160 110 L184 146"/></g>
<text x="12" y="170" font-family="sans-serif" font-size="13" fill="rgba(255,255,255,.7)">{label}</text>
</svg>"##,
        h2 = (hue + 50) % 360
    )
}
