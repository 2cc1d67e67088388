//! The root fields the sandbox serves, each resolved to its full JSON value or an AppSync error.

use serde_json::{Map, Value, json};

use super::App;
use super::admin::Stats;
use super::catalog;
use super::jobs;
use super::multicam;
use super::store::{FileRecord, TakeRecord, now_rfc3339};
use super::takes;
use super::views::{self, UrlKind};
use super::volumes;

/// A field error as AppSync reports it: `errorType` and `message`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldError {
    pub error_type: &'static str,
    pub message: String,
}

impl FieldError {
    pub(crate) fn not_found() -> Self {
        FieldError {
            error_type: "MoveNotFoundError",
            message: "Resource not found in move-ugc-api.".into(),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        FieldError {
            error_type: "BadRequestError",
            message: message.into(),
        }
    }

    pub(crate) fn internal(err: &anyhow::Error) -> Self {
        tracing::error!("sandbox: {err:#}");
        FieldError {
            error_type: "InternalFailure",
            message: format!("sandbox internal error: {err:#}"),
        }
    }
}

/// Field arguments, as given (absent ones are missing, explicit nulls are `Null`).
pub(crate) type Args = Map<String, Value>;

/// Resolves one root field of the Query or Mutation type.
pub(crate) fn resolve(app: &App, field: &str, args: &Args) -> Result<Value, FieldError> {
    match field {
        "client" => Ok(views::client(app)),
        "getFile" => get_file(app, args),
        "getTake" => get_take(app, args),
        "getJob" => jobs::get(app, args),
        "listJobs" => jobs::list(app, args),
        "createSingleCamJob" => jobs::create_single_cam(app, args),
        "createMultiCamJob" => jobs::create_multi_cam(app, args),
        "getVolume" => volumes::get(app, args),
        "listVolumes" => volumes::list(app, args),
        "createVolumeWithHuman" => volumes::create(app, args),
        "createMultiCamTake" => multicam::create_take(app, args),
        "listCameraSettings" => Ok(catalog::list_camera_settings()),
        "listRigs" => Ok(catalog::list_rigs()),
        "listTakes" => takes::list(app, args),
        "createFile" => create_file(app, args),
        "createSingleCamTake" => takes::create_single_cam(app, args),
        "updateTake" => update_take(app, args),
        other => Err(FieldError::bad_request(format!(
            "the sandbox does not serve the field {other}"
        ))),
    }
}

/// A string argument, if given and not null.
pub(crate) fn str_arg<'a>(args: &'a Args, name: &str) -> Option<&'a str> {
    args.get(name).and_then(Value::as_str)
}

/// An AWSJSON argument re-encoded compactly; `None` if absent or null.
pub(crate) fn json_arg(args: &Args, name: &str) -> Result<Option<String>, FieldError> {
    let Some(text) = str_arg(args, name) else {
        return Ok(None);
    };
    let value: Value = serde_json::from_str(text)
        .map_err(|e| FieldError::bad_request(format!("{name} is not valid JSON: {e}")))?;
    Ok(Some(value.to_string()))
}

fn get_file(app: &App, args: &Args) -> Result<Value, FieldError> {
    let id = str_arg(args, "fileId").unwrap_or_default();
    let file = app.store.file(id).ok_or_else(FieldError::not_found)?;
    Ok(views::file(app, &file, UrlKind::Download))
}

fn get_take(app: &App, args: &Args) -> Result<Value, FieldError> {
    let id = str_arg(args, "takeId").unwrap_or_default();
    let take = app.store.take(id).ok_or_else(FieldError::not_found)?;
    Ok(views::take(app, &take))
}

/// The file types `createFile` accepts.
const FILE_TYPES: [&str; 4] = ["mp4", "mov", "avi", "move"];

fn create_file(app: &App, args: &Args) -> Result<Value, FieldError> {
    let given = str_arg(args, "type").unwrap_or_default();
    let file_type = given.trim_start_matches('.').to_ascii_lowercase();
    if !FILE_TYPES.contains(&file_type.as_str()) {
        return Err(FieldError::bad_request(format!(
            "Unsupported file type '{given}': use one of mp4, mov, avi, move"
        )));
    }
    let record = FileRecord {
        id: format!("file-{}", uuid::Uuid::new_v4()),
        file_type,
        name: str_arg(args, "name").map(str::to_string),
        metadata: json_arg(args, "metadata")?,
        created: now_rfc3339(),
        seq: app.store.next_seq(),
        upload: None,
    };
    app.store
        .put_file(record.clone())
        .map_err(|e| FieldError::internal(&e))?;
    Stats::bump(&app.stats.files_created);
    Ok(views::file(app, &record, UrlKind::Upload))
}

fn update_take(app: &App, args: &Args) -> Result<Value, FieldError> {
    let id = str_arg(args, "id").unwrap_or_default();
    let mut take: TakeRecord = app.store.take(id).ok_or_else(FieldError::not_found)?;
    if args.contains_key("name") {
        take.name = str_arg(args, "name").map(str::to_string);
    }
    if args.contains_key("metadata") {
        take.metadata = json_arg(args, "metadata")?;
    }
    app.store
        .put_take(take.clone())
        .map_err(|e| FieldError::internal(&e))?;
    Ok(views::take(app, &take))
}

/// The JSON text of a page cursor.
fn cursor(offset: usize) -> String {
    json!({ "offset": offset }).to_string()
}

/// `listTakes`, `listJobs` and `listVolumes` page size when `first` is not given, and the most they serve.
const DEFAULT_FIRST: i64 = 50;
const MAX_FIRST: i64 = 100;

/// One page of a list operation (`listTakes`, `listJobs`): `first` and the `after` cursor
/// read once, the same way for every list.
pub(crate) struct Page {
    first: usize,
    offset: usize,
}

impl Page {
    /// Reads `first` (at least 1, at most 100, 50 if absent) and `after` (a cursor this
    /// `operation` returned); anything else is a bad request naming it.
    pub(crate) fn read(args: &Args, operation: &str) -> Result<Page, FieldError> {
        let first = args
            .get("first")
            .and_then(Value::as_i64)
            .unwrap_or(DEFAULT_FIRST);
        if first < 1 {
            return Err(FieldError::bad_request(format!(
                "first must be at least 1, got {first}"
            )));
        }
        let offset = match str_arg(args, "after") {
            None => 0,
            Some(text) => serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("offset").and_then(Value::as_u64))
                .ok_or_else(|| {
                    FieldError::bad_request(format!(
                        "after {text} is not a cursor {operation} returned"
                    ))
                })? as usize,
        };
        Ok(Page {
            first: first.min(MAX_FIRST) as usize,
            offset,
        })
    }

    /// The page of `all` as the API answers it: `items`, `first`, and `after` (null on the
    /// last page).
    pub(crate) fn of<T>(&self, all: &[T], typename: &str, view: impl Fn(&T) -> Value) -> Value {
        let items: Vec<Value> = all
            .iter()
            .skip(self.offset)
            .take(self.first)
            .map(view)
            .collect();
        let next = self.offset + self.first;
        let after = (next < all.len()).then(|| cursor(next));
        json!({ "__typename": typename, "items": items, "first": self.first, "after": after })
    }
}
