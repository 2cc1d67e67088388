//! Move's multicam path on the API: the lenses and rigs it knows, volumes (a calibration
//! recording of every camera, `createVolumeWithHuman`), and multicam takes made on a FINISHED
//! volume; the documents, what they answer, and the client calls. Multicam jobs are in
//! [`super::jobs`].

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiError, Client};
use crate::model::volume::VolumeState;

/// `listCameraSettings`: the lens names a source may give.
pub const LIST_CAMERA_SETTINGS: &str = "query ListCameraSettings {
  listCameraSettings { after items { lens } }
}";

/// `listRigs`: the rigs a multicam job may use.
pub const LIST_RIGS: &str = "query ListRigs {
  listRigs { after items { name } }
}";

/// The volume fields every volume document asks for.
pub const VOLUME_FIELDS: &str = "fragment VolumeFields on HumanVolume {
  id
  name
  created
  metadata
  areaType
  humanHeight
  state
  progress { state percentageComplete }
  clipWindow { startTime endTime }
  sources { deviceLabel format cameraSettings { lens } file { id } }
  outputs { key format file { id } }
}";

/// Makes a volume from a calibration recording of every camera (a human of known height
/// walking the capture area).
pub const CREATE_VOLUME_WITH_HUMAN: &str = "mutation CreateVolumeWithHuman($sources: [SourceInput!], $humanHeight: Float!, $areaType: AreaType!, $syncMethod: SyncMethodInput, $clipWindow: ClipWindowInput, $name: String, $metadata: AWSJSON) {
  createVolumeWithHuman(sources: $sources, humanHeight: $humanHeight, areaType: $areaType, syncMethod: $syncMethod, clipWindow: $clipWindow, name: $name, metadata: $metadata) { ...VolumeFields }
}";

/// Reads one volume: its state and progress.
pub const GET_VOLUME: &str = "query GetVolume($id: ID!) {
  getVolume(id: $id) { __typename ...VolumeFields }
}";

/// Reads one page of volumes.
pub const LIST_VOLUMES: &str =
    "query ListVolumes($first: Int, $after: AWSJSON, $sortDirection: SortDirection) {
  listVolumes(first: $first, after: $after, sortDirection: $sortDirection) {
    after
    items { __typename ...VolumeFields }
  }
}";

/// The fields of a multicam take.
pub const MULTI_CAM_TAKE_FIELDS: &str = "fragment MultiCamTakeFields on Take {
  id
  name
  created
  metadata
  takeType
  volume { ... on HumanVolume { id } }
  syncMethod { clapWindow { startTime endTime } timecodeSync { useTimecode } }
  sources { deviceLabel format cameraSettings { lens } file { id } }
}";

/// Makes one multicam take: a video of every camera of a FINISHED volume.
pub const CREATE_MULTI_CAM_TAKE: &str = "mutation CreateMultiCamTake($volumeId: String!, $sources: [SourceInput!], $syncMethod: SyncMethodInput, $name: String, $metadata: AWSJSON) {
  createMultiCamTake(volumeId: $volumeId, sources: $sources, syncMethod: $syncMethod, name: $name, metadata: $metadata) { ...MultiCamTakeFields }
}";

/// The multicam documents as sent (fragments appended), for the validation tests.
pub fn documents() -> Vec<(&'static str, String)> {
    [
        ("ListCameraSettings", LIST_CAMERA_SETTINGS),
        ("ListRigs", LIST_RIGS),
        ("CreateVolumeWithHuman", CREATE_VOLUME_WITH_HUMAN),
        ("GetVolume", GET_VOLUME),
        ("ListVolumes", LIST_VOLUMES),
        ("CreateMultiCamTake", CREATE_MULTI_CAM_TAKE),
    ]
    .into_iter()
    .map(|(name, doc)| (name, super::documents::with_fragments(doc)))
    .collect()
}

/// One lens, as `listCameraSettings` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CameraSettings {
    pub lens: String,
}

/// One rig, as `listRigs` lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rig {
    pub name: String,
}

/// A page of a list that takes no arguments (`listCameraSettings`, `listRigs`).
#[derive(Debug, Clone, Deserialize)]
struct Page<T> {
    after: Option<Value>,
    #[serde(default = "Vec::new")]
    items: Vec<Option<T>>,
}

/// The config's area and sync method are the API's (one definition, in `config::multicam`).
pub use crate::config::{AreaType, SyncMethod};

impl SyncMethod {
    /// The `syncMethod` variable; `None` for [`SyncMethod::None`] (not sent at all).
    pub fn input(&self) -> Option<Value> {
        match self {
            SyncMethod::Timecode => Some(json!({"timecodeSync": {"useTimecode": true}})),
            SyncMethod::Clap { start, end } => {
                Some(json!({"clapWindow": {"startTime": start, "endTime": end}}))
            }
            SyncMethod::None => None,
        }
    }
}

/// `SourceInput` with its `cameraSettings { lens }`, as a volume or multicam take needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraSource {
    pub device_label: String,
    pub file_id: String,
    /// `SourceFormat`: MP4, MOV or AVI (a multicam source is a video).
    pub format: &'static str,
    pub camera_settings: CameraSettings,
}

/// What to ask `createVolumeWithHuman` for.
#[derive(Debug, Clone)]
pub struct VolumeRequest {
    /// A video of every camera (at least two), each with its lens.
    pub sources: Vec<CameraSource>,
    /// The height of the human in the calibration recording, in metres.
    pub human_height_m: f64,
    pub area: AreaType,
    pub sync: SyncMethod,
    /// The seconds of the recordings to use, `(start, end)`; `None`: all of them.
    pub clip_window: Option<(f64, f64)>,
    pub name: Option<String>,
    /// Stored as the volume's AWSJSON metadata (move-ingest keeps its record there).
    pub metadata: Option<Value>,
}

/// What to ask `createMultiCamTake` for.
#[derive(Debug, Clone)]
pub struct MultiCamTakeRequest {
    pub volume_id: String,
    /// A video of each camera, with the lens the volume was made with.
    pub sources: Vec<CameraSource>,
    pub sync: SyncMethod,
    pub name: Option<String>,
    /// Stored as the take's AWSJSON metadata (move-ingest keeps its record there).
    pub metadata: Option<Value>,
}

/// A volume (`HumanVolume`) with the API's field names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub id: String,
    pub name: Option<String>,
    pub created: Option<String>,
    /// AWSJSON: a JSON string holding JSON.
    pub metadata: Option<String>,
    pub area_type: Option<String>,
    pub human_height: Option<f64>,
    pub state: Option<VolumeState>,
    pub progress: Option<VolumeProgress>,
    pub clip_window: Option<Window>,
    #[serde(default)]
    pub sources: Option<Vec<Option<CameraSourceView>>>,
    #[serde(default)]
    pub outputs: Option<Vec<Option<Value>>>,
}

/// Where a volume's processing is, and how far.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeProgress {
    pub state: Option<VolumeState>,
    pub percentage_complete: Option<i64>,
}

/// A `startTime`/`endTime` pair, in seconds.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub start_time: f64,
    pub end_time: f64,
}

/// One source of a volume or multicam take, as read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CameraSourceView {
    pub device_label: String,
    pub format: Option<String>,
    pub camera_settings: Option<CameraSettings>,
    pub file: Option<FileId>,
}

/// A file by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileId {
    pub id: String,
}

/// One page of `listVolumes`.
#[derive(Debug, Clone, Deserialize)]
pub struct VolumesPage {
    /// AWSJSON cursor for the next page; `None` on the last page.
    pub after: Option<String>,
    #[serde(default)]
    pub items: Vec<Option<Volume>>,
}

impl Volume {
    /// The state (`progress.state` when `state` is missing), `None` if the API gave neither.
    pub fn state(&self) -> Option<VolumeState> {
        self.state
            .clone()
            .or_else(|| self.progress.as_ref().and_then(|p| p.state.clone()))
    }

    /// The percentage complete, if the API gave one.
    pub fn percent(&self) -> Option<i64> {
        self.progress.as_ref().and_then(|p| p.percentage_complete)
    }

    /// The metadata parsed from its AWSJSON string (a string that is not JSON stays a string).
    pub fn metadata_value(&self) -> Value {
        decode_json(self.metadata.as_deref())
    }
}

/// A multicam take as `createMultiCamTake` answers, with the API's field names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MultiCamTake {
    pub id: String,
    pub name: Option<String>,
    pub created: Option<String>,
    /// AWSJSON: a JSON string holding JSON.
    pub metadata: Option<String>,
    pub take_type: Option<String>,
    pub volume: Option<VolumeRef>,
    pub sync_method: Option<Value>,
    #[serde(default)]
    pub sources: Option<Vec<Option<CameraSourceView>>>,
}

impl MultiCamTake {
    /// The metadata parsed from its AWSJSON string (a string that is not JSON stays a string).
    pub fn metadata_value(&self) -> Value {
        decode_json(self.metadata.as_deref())
    }
}

/// A volume by id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VolumeRef {
    pub id: Option<String>,
}

fn decode_json(text: Option<&str>) -> Value {
    match text {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())),
    }
}

/// The most pages [`Client::all_volumes`] reads: a cursor that never ends is a broken API.
const MAX_PAGES: usize = 10_000;

impl Client {
    /// `listCameraSettings`: every lens name the API knows.
    pub async fn list_camera_settings(&self) -> Result<Vec<CameraSettings>, ApiError> {
        let page: Page<CameraSettings> = self
            .call(
                "listCameraSettings",
                LIST_CAMERA_SETTINGS,
                json!({}),
                "listCameraSettings",
            )
            .await?;
        warn_unread_page("listCameraSettings", page.after.as_ref());
        Ok(page.items.into_iter().flatten().collect())
    }

    /// `listRigs`: every rig a multicam job may use.
    pub async fn list_rigs(&self) -> Result<Vec<Rig>, ApiError> {
        let page: Page<Rig> = self
            .call("listRigs", LIST_RIGS, json!({}), "listRigs")
            .await?;
        warn_unread_page("listRigs", page.after.as_ref());
        Ok(page.items.into_iter().flatten().collect())
    }

    /// `createVolumeWithHuman`: one new volume, processed by Move.
    pub async fn create_volume_with_human(&self, req: &VolumeRequest) -> Result<Volume, ApiError> {
        let mut vars = json!({
            "sources": req.sources,
            "humanHeight": req.human_height_m,
            "areaType": req.area.api_name(),
        });
        if let Some(sync) = req.sync.input() {
            vars["syncMethod"] = sync;
        }
        if let Some((start, end)) = req.clip_window {
            vars["clipWindow"] = json!({"startTime": start, "endTime": end});
        }
        if let Some(name) = &req.name {
            vars["name"] = json!(name);
        }
        if let Some(metadata) = &req.metadata {
            vars["metadata"] = json!(metadata.to_string());
        }
        self.call(
            "createVolumeWithHuman",
            CREATE_VOLUME_WITH_HUMAN,
            vars,
            "createVolumeWithHuman",
        )
        .await
    }

    /// `getVolume(id)`.
    pub async fn get_volume(&self, id: &str) -> Result<Volume, ApiError> {
        self.call("getVolume", GET_VOLUME, json!({"id": id}), "getVolume")
            .await
    }

    /// One page of `listVolumes(first, after, sortDirection)`; `after` is the AWSJSON cursor
    /// of the previous page.
    pub async fn list_volumes(
        &self,
        first: u32,
        after: Option<&str>,
        newest_first: bool,
    ) -> Result<VolumesPage, ApiError> {
        let dir = if newest_first { "DESC" } else { "ASC" };
        let vars = json!({"first": first, "after": after, "sortDirection": dir});
        self.call("listVolumes", LIST_VOLUMES, vars, "listVolumes")
            .await
    }

    /// Every volume, newest first, `first` a page (the daemon looks for its own volumes by
    /// their metadata).
    pub async fn all_volumes(&self, first: u32) -> Result<Vec<Volume>, ApiError> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_volumes(first, after.as_deref(), true).await?;
            out.extend(page.items.into_iter().flatten());
            match page.after {
                Some(next) if after.as_deref() != Some(next.as_str()) => after = Some(next),
                _ => return Ok(out),
            }
        }
        Err(ApiError::Decode {
            op: "listVolumes",
            detail: format!("more than {MAX_PAGES} pages: the page cursor never ends"),
        })
    }

    /// `createMultiCamTake`: one new take of every camera of a FINISHED volume.
    pub async fn create_multi_cam_take(
        &self,
        req: &MultiCamTakeRequest,
    ) -> Result<MultiCamTake, ApiError> {
        let mut vars = json!({"volumeId": req.volume_id, "sources": req.sources});
        if let Some(sync) = req.sync.input() {
            vars["syncMethod"] = sync;
        }
        if let Some(name) = &req.name {
            vars["name"] = json!(name);
        }
        if let Some(metadata) = &req.metadata {
            vars["metadata"] = json!(metadata.to_string());
        }
        self.call(
            "createMultiCamTake",
            CREATE_MULTI_CAM_TAKE,
            vars,
            "createMultiCamTake",
        )
        .await
    }
}

/// These lists take no page arguments; a next page the API offers anyway cannot be read.
fn warn_unread_page(op: &str, after: Option<&Value>) {
    if after.is_some_and(|a| !a.is_null()) {
        tracing::warn!(
            op,
            "the API offered a next page, which this list cannot ask for; only the first page is shown"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_method_is_sent_as_the_schemas_input_or_not_at_all() {
        assert_eq!(
            SyncMethod::Timecode.input(),
            Some(json!({"timecodeSync": {"useTimecode": true}}))
        );
        assert_eq!(
            SyncMethod::Clap {
                start: 1.5,
                end: 3.0
            }
            .input(),
            Some(json!({"clapWindow": {"startTime": 1.5, "endTime": 3.0}}))
        );
        assert_eq!(SyncMethod::None.input(), None);
    }

    #[test]
    fn a_camera_source_is_a_source_input_with_its_lens() {
        let s = CameraSource {
            device_label: "cam-1".into(),
            file_id: "file-1".into(),
            format: "MP4",
            camera_settings: CameraSettings {
                lens: "goprohero10-fhd".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"deviceLabel": "cam-1", "fileId": "file-1", "format": "MP4",
                   "cameraSettings": {"lens": "goprohero10-fhd"}})
        );
        assert_eq!(AreaType::Large.api_name(), "LARGE");
    }

    #[test]
    fn a_volume_reads_its_state_from_progress_when_state_is_missing() {
        let v: Volume = serde_json::from_value(json!({
            "__typename": "HumanVolume", "id": "volume-1", "name": null, "created": "c",
            "metadata": "{\"a\":1}", "areaType": "NORMAL", "humanHeight": 1.8, "state": null,
            "progress": {"state": "RUNNING", "percentageComplete": 40}, "clipWindow": null,
            "sources": [], "outputs": []
        }))
        .unwrap();
        assert_eq!(v.state(), Some(VolumeState::Running));
        assert_eq!(v.percent(), Some(40));
        assert_eq!(v.metadata_value(), json!({"a": 1}));
    }
}
