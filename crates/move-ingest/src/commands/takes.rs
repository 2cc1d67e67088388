//! `move-ingest takes`: list, show and update takes on the API, from a shell.

use std::path::Path;

use crate::api::{self, ApiError, Take};
use crate::cli::TakesCommand;
use crate::config::{Config, resolve_key};
use crate::error::{AuthError, Exit, UsageError};

/// Runs a `takes` subcommand.
pub async fn run(config: Option<&Path>, cmd: TakesCommand) -> anyhow::Result<Exit> {
    let cfg = Config::load(config)?;
    let key = resolve_key(&cfg.api)?;
    let client = api::Client::new(api::http_client(&cfg.api)?, &cfg.api, key);
    match cmd {
        TakesCommand::List { first, json } => {
            let page = client
                .list_takes(first.clamp(1, 100), None, true)
                .await
                .map_err(fatal)?;
            let takes: Vec<Take> = page.items.into_iter().flatten().collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&takes)?);
            } else {
                println!("{:<42} {:<26} {:<10} NAME", "TAKE", "CREATED", "SOURCES");
                for t in &takes {
                    println!(
                        "{:<42} {:<26} {:<10} {}",
                        t.id,
                        t.created,
                        sources(t),
                        t.name.as_deref().unwrap_or("")
                    );
                }
            }
        }
        TakesCommand::Show { take_id } => {
            let take = client.get_take(&take_id).await.map_err(fatal)?;
            let mut out = serde_json::to_value(&take)?;
            out["metadata"] = take.metadata_value();
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        TakesCommand::Update {
            take_id,
            name,
            metadata,
        } => {
            if name.is_none() && metadata.is_none() {
                return Err(
                    UsageError::new("nothing to update: give --name and/or --metadata").into(),
                );
            }
            let metadata = match metadata {
                Some(m) => Some(
                    serde_json::from_str::<serde_json::Value>(&m)
                        .map_err(|e| UsageError::new(format!("--metadata is not JSON: {e}")))?,
                ),
                None => None,
            };
            let take = client
                .update_take(&take_id, name.as_deref(), metadata.as_ref())
                .await
                .map_err(fatal)?;
            println!("updated {}", take.id);
        }
    }
    Ok(Exit::Ok)
}

fn sources(t: &Take) -> String {
    let formats: Vec<String> = t
        .sources
        .iter()
        .flatten()
        .flatten()
        .filter_map(|s| s.format.clone())
        .collect();
    formats.join("+")
}

fn fatal(e: ApiError) -> anyhow::Error {
    match e {
        ApiError::Auth {
            status, key_source, ..
        } => AuthError {
            status,
            source_desc: key_source,
        }
        .into(),
        other => other.into(),
    }
}
