//! `move-ingest takes`: the takes guide from a shell: list, show, create and update takes.

mod edit;
mod list;
mod view;
pub(crate) use view::camera_sources_json;

pub use edit::parse_object;

use std::path::Path;

use crate::api::{self, ApiError, Expand};
use crate::cli::{ExpandArg, TakesCommand, TakesShowArgs};
pub(super) use crate::commands::common::api_error;
use crate::commands::exit::Exit;
use crate::config::{Config, resolve_key};

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
    crate::observe::logging::init(&cfg.log);
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
    let job = local_job(config, &args.take_id);
    if args.json {
        let mut out = view::take_json(&take);
        if let Some(obj) = out.as_object_mut() {
            obj.insert("local_job".into(), job.unwrap_or(serde_json::Value::Null));
        }
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        view::print_take(&take)?;
        if let Some(job) = job {
            let percent = job["percent"]
                .as_i64()
                .map_or(String::new(), |p| format!(" {p}%"));
            let reason = job["failure_reason"]
                .as_str()
                .map_or(String::new(), |r| format!(": {r}"));
            crate::outln!(
                "job:      {} {}{percent}{reason} (this machine's state)",
                job["job_id"].as_str().unwrap_or("-"),
                job["state"].as_str().unwrap_or("")
            )?;
        }
    }
    Ok(Exit::Ok)
}

/// The processing job this machine's state holds for the take (see `status_view::job_json`);
/// `None` when the state has none or cannot be read (the take is shown all the same).
fn local_job(config: Option<&Path>, take_id: &str) -> Option<serde_json::Value> {
    let cfg = Config::load(config).ok()?;
    let reader = crate::store::query::Reader::open(&cfg.state.dir).ok()??;
    let rec = reader.by_take(take_id).ok()??;
    crate::report::view::job_json(&rec)
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
