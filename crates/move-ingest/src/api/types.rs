//! The API's objects as move-ingest reads them.

use serde::{Deserialize, Serialize};

/// A file record, as `createFile` answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct File {
    pub id: String,
    #[serde(rename = "type")]
    pub file_type: String,
    pub name: Option<String>,
    pub presigned_url: Option<String>,
}

/// A take with its sources.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Take {
    pub id: String,
    pub created: String,
    pub name: Option<String>,
    /// AWSJSON: a JSON string holding JSON.
    pub metadata: Option<String>,
    pub take_type: Option<String>,
    #[serde(default)]
    pub sources: Option<Vec<Option<Source>>>,
}

impl Take {
    /// The metadata parsed from its AWSJSON string (`Null` when absent or not JSON).
    pub fn metadata_value(&self) -> serde_json::Value {
        self.metadata
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    /// The recording id move-ingest stored in the take's metadata, if any.
    pub fn recording_id(&self) -> Option<String> {
        self.metadata_value()
            .get("move_ingest")?
            .get("recording_id")?
            .as_str()
            .map(str::to_string)
    }
}

/// One source of a take.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    pub device_label: String,
    pub format: Option<String>,
    pub file: Option<SourceFile>,
}

/// The file behind a source.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceFile {
    pub id: String,
    #[serde(rename = "type")]
    pub file_type: String,
    pub name: Option<String>,
}

/// One page of `listTakes`.
#[derive(Debug, Clone, Deserialize)]
pub struct TakesPage {
    /// AWSJSON cursor for the next page; `None` on the last page.
    pub after: Option<String>,
    #[serde(default)]
    pub items: Vec<Option<Take>>,
}

/// The account the key belongs to.
#[derive(Debug, Clone, Deserialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub created: Option<String>,
}

/// What a take is made of: `SourceInput`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInput {
    pub device_label: String,
    pub file_id: String,
    /// `SourceFormat`: MP4, MOV, AVI or MOVE.
    pub format: &'static str,
}

/// Which related objects a take is read with (the guide's `expand`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expand {
    pub sources: bool,
    pub client: bool,
}

/// A take as `takes` reads it: `sources` and `client` only when expanded.
#[derive(Debug, Clone, Deserialize)]
pub struct TakeView {
    pub id: String,
    pub name: Option<String>,
    pub created: String,
    /// AWSJSON: a JSON string holding JSON.
    pub metadata: Option<String>,
    #[serde(default)]
    pub sources: Option<Vec<Option<SourceView>>>,
    #[serde(default)]
    pub client: Option<ClientRef>,
}

/// One source of a take as `takes` reads it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceView {
    pub device_label: String,
    pub format: Option<String>,
    pub file: Option<FileRef>,
}

/// A file by id.
#[derive(Debug, Clone, Deserialize)]
pub struct FileRef {
    pub id: String,
}

/// The client a take belongs to, as `expand=["client"]` shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientRef {
    pub id: String,
    pub name: String,
}

/// One page of `listTakes` as `takes list` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct TakeViewPage {
    /// AWSJSON cursor for the next page; `None` on the last page.
    pub after: Option<String>,
    #[serde(default)]
    pub items: Vec<Option<TakeView>>,
}
