//! `move-ingest takes`: the takes guide from a shell: list, show, create and update takes.

mod edit;
mod list;
mod view;

use std::path::Path;

use crate::api::{self, ApiError, Expand};
use crate::cli::{ExpandArg, TakesCommand, TakesShowArgs};
use crate::config::{Config, resolve_key};
use crate::error::{AuthError, Exit};

/// Runs a `takes` subcommand. Every argument is checked before the first request.
pub async fn run(config: Option<&Path>, cmd: TakesCommand) -> anyhow::Result<Exit> {
    match cmd {
        TakesCommand::List(args) => list::run(config, args).await,
        TakesCommand::Show(args) => show(config, args).await,
        TakesCommand::Create(args) => edit::create(config, args).await,
        TakesCommand::Update(args) => edit::update(config, args).await,
    }
}

/// The API client from the config and the key.
fn client(config: Option<&Path>) -> anyhow::Result<api::Client> {
    let cfg = Config::load(config)?;
    crate::logging::init(&cfg.log);
    let key = resolve_key(&cfg.api)?;
    Ok(api::Client::new(api::http_client(&cfg.api)?, &cfg.api, key))
}

/// What `--expand` asks for.
fn expand(args: &[ExpandArg]) -> Expand {
    Expand {
        sources: args.contains(&ExpandArg::Sources),
        client: args.contains(&ExpandArg::Client),
    }
}

async fn show(config: Option<&Path>, args: TakesShowArgs) -> anyhow::Result<Exit> {
    let client = client(config)?;
    let take = client
        .take_view(&args.take_id, expand(&args.expand))
        .await
        .map_err(|e| about_take(e, &args.take_id))?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&view::take_json(&take))?)?;
    } else {
        view::print_take(&take)?;
    }
    Ok(Exit::Ok)
}

/// An API error about one take: a rejected key exits 3; "not found" names the id; the rest
/// exits 4 (an API error that is not a recording's failure).
fn about_take(e: ApiError, take_id: &str) -> anyhow::Error {
    if e.error_types().contains(&"MoveNotFoundError") {
        return anyhow::Error::new(e).context(format!(
            "take {take_id} not found (`move-ingest takes list` shows the takes this key can see)"
        ));
    }
    api_error(e)
}

/// An API error: a rejected key exits 3, anything else 4.
fn api_error(e: ApiError) -> anyhow::Error {
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
