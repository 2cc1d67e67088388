//! `move-ingest files upload`: one file by hand, with the daemon's own upload: `createFile`,
//! then the streaming PUT, retried with backoff, with a fresh URL when one expires or is refused.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use super::common;
use crate::api;
use crate::cli::{FilesCommand, FilesUploadArgs};
use crate::commands::exit::Exit;
use crate::config::UsageError;
use crate::config::resolve_key;
use crate::ingest::classify::{self, Next, Tries};
use crate::model::facts::Facts;
use crate::observe::progress::Tracker;
use crate::retry::Policy;
use crate::upload::{MAX_PUT_BYTES, Sent, Uploader};

/// Runs a `files` subcommand.
pub async fn run(config: Option<&Path>, cmd: FilesCommand) -> anyhow::Result<Exit> {
    match cmd {
        FilesCommand::Upload(args) => upload(config, args).await,
    }
}

async fn upload(config: Option<&Path>, args: FilesUploadArgs) -> anyhow::Result<Exit> {
    let path = args.path.as_path();
    let file_type = file_type(path)?;
    let facts = Facts::stat(path)
        .map_err(|e| UsageError::new(format!("cannot read {}: {e}", path.display())))?;
    if facts.size == 0 {
        return Err(UsageError::new(format!("{} is empty (0 bytes)", path.display())).into());
    }
    if facts.size > MAX_PUT_BYTES {
        return Err(UsageError::new(format!(
            "{} is {} bytes, over the 5 GiB that one upload can carry",
            path.display(),
            facts.size
        ))
        .into());
    }
    let name = args.name.clone().unwrap_or_else(|| facts.name.clone());
    let cfg = common::load_config(config)?;
    let key = resolve_key(&cfg.api)?;
    let http = api::http_client(&cfg.api)?;
    let client = api::Client::new(http.clone(), &cfg.api, key);
    let bars = crate::observe::progress::bars_wanted(args.no_progress);
    let tracker = Tracker::new(bars, (!bars).then_some(crate::observe::progress::LOG_EVERY));
    let uploader = Uploader::new(
        http,
        Duration::from_secs(cfg.api.stall_timeout_secs),
        cfg.upload.max_bytes_per_sec,
    )
    .watched(std::sync::Arc::new(tracker.clone()));
    let policy = Policy::from_config(&cfg.retry);
    let (file_id, sent) = send(&client, &uploader, &policy, path, &facts, file_type, &name).await?;
    tracing::info!(file = %path.display(), file_id = %file_id, "uploaded: {}", tracker.summary());
    if args.json {
        let out = json!({"id": file_id, "type": file_type, "name": name,
            "size": sent.bytes, "sha256": sent.sha256});
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        crate::outln!("{file_id}")?;
    }
    Ok(Exit::Ok)
}

/// The `createFile` type from the extension.
fn file_type(path: &Path) -> Result<&'static str, UsageError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("mp4") => Ok("mp4"),
        Some("mov") => Ok("mov"),
        Some("avi") => Ok("avi"),
        Some("move") => Ok("move"),
        _ => Err(UsageError::new(format!(
            "{}: the file type comes from the extension, which must be .mp4, .mov, .avi or .move",
            path.display()
        ))),
    }
}

/// `createFile` then the PUT, with the daemon's classifier: a fresh URL when one is spent,
/// retries with backoff for transient faults, until it is accepted or the budget runs out.
async fn send(
    client: &api::Client,
    uploader: &Uploader,
    policy: &Policy,
    path: &Path,
    facts: &Facts,
    file_type: &str,
    name: &str,
) -> anyhow::Result<(String, Sent)> {
    let no_metadata = json!({});
    let mut tries = Tries::default();
    loop {
        let file = classify::retry(policy, "createFile", || {
            client.create_file(file_type, name, &no_metadata)
        })
        .await
        .context("cannot create the file on the API")?;
        let url = file
            .presigned_url
            .context("createFile answered without a presignedUrl")
            .map_err(|e| api::ApiError::Decode {
                op: "createFile",
                detail: e.to_string(),
            })?;
        loop {
            let err = match uploader.put(&url, path, facts).await {
                Ok(sent) => return Ok((file.id, sent)),
                Err(e) => e,
            };
            match tries.next(&err, policy) {
                Next::NewUrl => {
                    tracing::warn!(file = %path.display(), "{err}; asking for a new upload URL");
                    break;
                }
                Next::Retry { wait } => {
                    tracing::warn!(file = %path.display(), attempt = tries.retries(), wait_ms = wait.as_millis() as u64, "{err}; will retry");
                    tokio::time::sleep(wait).await;
                }
                Next::Defer { reason } | Next::Gone { reason } => {
                    return Err(UsageError::new(reason).into());
                }
                Next::Later { .. } | Next::Fail { .. } => {
                    return Err(anyhow::Error::new(err).context(format!(
                        "cannot upload {} (after {} retries)",
                        path.display(),
                        tries.retries()
                    )));
                }
            }
        }
    }
}
