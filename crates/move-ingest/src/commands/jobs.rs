//! `move-ingest jobs`: list, show and create processing jobs on the API, from a shell.

use std::path::Path;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::api::jobs::{Job, JobRequest, MultiCamJobRequest, TakeKind};
use crate::api::{self, ApiError};
use crate::commands::common::api_error;
use crate::commands::exit::Exit;
use crate::config::UsageError;
use crate::config::job_input::{JobOptions, output_type};
use crate::config::{Config, resolve_key};

const CREATE_EXAMPLES: &str = "\
Examples:
  # a single-camera take
  move-ingest jobs create TAKE_ID --output MAIN_FBX --output RENDER_VIDEO --option trackFingers=true
  # a multicam take (move-ingest rigs lists the rigs)
  move-ingest jobs create TAKE_ID --actors 2 --rig move_mo --output MAIN_FBX
  # follow it
  move-ingest jobs show JOB_ID";

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List processing jobs, newest first, a page at a time.
    ///
    /// The table ends, when there is a next page, with its token and the command that shows it.
    List(ListArgs),
    /// Show one job: its state, percentage complete, options and, once FINISHED, its outputs
    /// with their download URLs.
    Show(ShowArgs),
    /// Create a processing job for a take, single-camera or multicam. Move bills every job.
    ///
    /// Asks the API for the take first: a multicam take (made with `takes create --volume`)
    /// gets `createMultiCamJob` with --actors and --rig, a single-camera take
    /// `createSingleCamJob` (--actors and --rig are refused for it, exit 2). Example: `jobs
    /// create TAKE_ID --output MAIN_FBX --output RENDER_VIDEO --option trackFingers=true
    /// --option mocapModel=S2`. Prints the job id; follow it with `jobs show JOB_ID`.
    #[command(after_help = CREATE_EXAMPLES)]
    Create(CreateArgs),
    /// Ask again for the job of a take whose job FAILED (or could not be created): the daemon
    /// never does by itself, since Move bills every job.
    ///
    /// Uses `[job]` (outputs, options, name, metadata) and this machine's state: the new job is
    /// recorded there, so the next `run` follows it and downloads its outputs. The state dir
    /// must be free: stop the service first (`systemctl stop move-ingest`), then start it again.
    /// A job still being followed is not replaced.
    Retry(RetryArgs),
}

#[derive(Debug, Args)]
pub struct RetryArgs {
    /// The take whose job to ask for again (as `status` lists it).
    pub take_id: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the jobs of this take. Defaults to every job.
    #[arg(long = "take", value_name = "TAKE_ID")]
    pub take_id: Option<String>,
    /// How many jobs per page (1 to 100).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: u32,
    /// Start at this page: the token the previous page printed (its `next_token`). Defaults to the first page.
    #[arg(long, value_name = "TOKEN")]
    pub next_token: Option<String>,
    /// Print `{"jobs": [JOB, ...], "next_token": "..." | null}` instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The job id, e.g. job-59ff6b90-e03c-41cf-8d20-58926e0e4f3f.
    pub job_id: String,
    /// Print the job as JSON with the API's field names (`metadata` decoded).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The take to process.
    pub take_id: String,
    /// An output to produce, an OutputType such as MAIN_FBX or RENDER_VIDEO (any case).
    /// Repeatable. Defaults to none named, which leaves the choice to Move.
    #[arg(long = "output", value_name = "NAME")]
    pub outputs: Vec<String>,
    /// A processing option as KEY=VALUE, KEY an OptionsInput field: trackFingers, floorPlane,
    /// trackBall, trackJerseyNumbers (true or false) or mocapModel (M1, M2, S1, S2).
    /// Repeatable. Defaults to none, which leaves Move's defaults.
    #[arg(long = "option", value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// For a multicam take: how many people to track (numberOfActors). Defaults to the API's
    /// (one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub actors: Option<u32>,
    /// For a multicam take: the rig to use, a name from `move-ingest rigs`, e.g. move_mo.
    /// Defaults to the API's default rig.
    #[arg(long, value_name = "NAME")]
    pub rig: Option<String>,
    /// Print the job as JSON instead of its id.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `jobs` subcommand. Every argument is checked before the first request.
pub async fn run(config: Option<&Path>, cmd: JobsCommand) -> anyhow::Result<Exit> {
    match cmd {
        JobsCommand::List(args) => list(config, args).await,
        JobsCommand::Show(args) => show(config, args).await,
        JobsCommand::Create(args) => create(config, args).await,
        JobsCommand::Retry(args) => retry(config, args).await,
    }
}

async fn retry(config: Option<&Path>, args: RetryArgs) -> anyhow::Result<Exit> {
    let cfg = crate::commands::common::load_config(config)?;
    if cfg.job.is_none() {
        return Err(UsageError::new(format!(
            "there is no [job] table in {}: add one (see config.example.toml) to say which outputs and options the job gets",
            cfg.path.display()
        ))
        .into());
    }
    let take = &args.take_id;
    let (store, _) = crate::store::Store::open(&cfg.state.dir).map_err(|e| match e {
        crate::store::StoreError::Locked { .. } => UsageError::new(format!(
            "{e}. `jobs retry` records the new job in the state: stop the service, run `move-ingest jobs retry {take}`, then start the service again"
        )),
        other => UsageError::new(other.to_string()),
    })?;
    let usage = |e: crate::store::StoreError| UsageError::new(e.to_string());
    let Some(rec) = store.by_take(take).map_err(usage)? else {
        return Err(UsageError::new(format!(
            "this machine's state has no recording whose take is {take}; `move-ingest jobs create {take}` makes a job by hand"
        ))
        .into());
    };
    if let Some(job) = rec.job.as_ref().filter(|j| j.is_active()) {
        return Err(UsageError::new(format!(
            "the job of take {take} ({}) is {}: it has not ended, so it is not replaced",
            job.id.as_deref().unwrap_or("not created yet"),
            crate::report::view::job_state(job)
        ))
        .into());
    }
    let key = resolve_key(&cfg.api)?;
    let ingest = crate::ingest::Ingest::new(cfg.clone(), key, std::sync::Arc::new(store))?;
    match ingest
        .retry_job(&rec.id)
        .await
        .map_err(crate::ingest::Fatal::into_error)?
    {
        Ok(job_id) => {
            crate::outln!("{job_id}")?;
            crate::outln!(
                "asked again for the job of take {take}; the next `run` follows it (`move-ingest status` shows it)"
            )?;
            Ok(Exit::Ok)
        }
        Err(reason) => Err(anyhow::anyhow!(
            "the job of take {take} was not created: {reason}"
        )),
    }
}

/// The API client from the config and the key.
fn client(config: Option<&Path>) -> anyhow::Result<api::Client> {
    let cfg = Config::load(config)?;
    crate::observe::logging::init(&cfg.log);
    let key = resolve_key(&cfg.api)?;
    Ok(api::Client::new(api::http_client(&cfg.api)?, &cfg.api, key))
}

async fn list(config: Option<&Path>, args: ListArgs) -> anyhow::Result<Exit> {
    if let Some(token) = &args.next_token
        && serde_json::from_str::<Value>(token).is_err()
    {
        return Err(UsageError::new(format!(
            "--next-token `{token}` is not a token a page printed (it is JSON, e.g. '{{\"offset\":10}}')"
        ))
        .into());
    }
    let client = client(config)?;
    let page = client
        .list_jobs(
            args.limit,
            args.next_token.as_deref(),
            args.take_id.as_deref(),
        )
        .await
        .map_err(api_error)?;
    let jobs: Vec<&Job> = page.items.iter().flatten().collect();
    if args.json {
        let jobs: Vec<Value> = jobs.iter().map(|j| job_json(j)).collect();
        let out = json!({"jobs": jobs, "next_token": page.after});
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(Exit::Ok);
    }
    if jobs.is_empty() {
        crate::outln!("no jobs")?;
    } else {
        crate::outln!(
            "{:<40}  {:<19}  {:<11}  {:>4}  {:<41}  NAME",
            "JOB",
            "CREATED",
            "STATE",
            "%",
            "TAKE"
        )?;
    }
    for job in &jobs {
        let row = format!(
            "{:<40}  {:<19}  {:<11}  {:>4}  {:<41}  {}",
            job.id,
            created(job),
            job.state(),
            job.percent().map_or(String::new(), |p| p.to_string()),
            job.take.as_ref().map_or("", |t| t.id.as_str()),
            job.name.as_deref().unwrap_or("")
        );
        crate::outln!("{}", row.trim_end())?;
    }
    if let Some(token) = &page.after {
        crate::outln!()?;
        crate::outln!("next token: {token}")?;
        crate::outln!("next page:  {}", next_command(token, &args, config))?;
    }
    Ok(Exit::Ok)
}

async fn show(config: Option<&Path>, args: ShowArgs) -> anyhow::Result<Exit> {
    let client = client(config)?;
    let job = client
        .get_job(&args.job_id)
        .await
        .map_err(|e| not_found(e, "job", &args.job_id, "move-ingest jobs list"))?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&job_json(&job))?)?;
    } else {
        print_job(&job)?;
    }
    Ok(Exit::Ok)
}

async fn create(config: Option<&Path>, args: CreateArgs) -> anyhow::Result<Exit> {
    let request = request(&args).map_err(UsageError::new)?;
    if args.rig.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(UsageError::new(
            "--rig is empty: give a rig name from `move-ingest rigs`, e.g. move_mo, or leave --rig out for the default",
        )
        .into());
    }
    let client = client(config)?;
    let kind = client
        .take_kind(&args.take_id)
        .await
        .map_err(|e| not_found(e, "take", &args.take_id, "move-ingest takes list"))?;
    let job = match kind {
        TakeKind::MultiCam => {
            let request = MultiCamJobRequest {
                job: request,
                actors: args.actors,
                rig: args.rig.clone(),
            };
            client.create_multi_cam_job(&request).await
        }
        TakeKind::SingleCam => {
            if args.actors.is_some() || args.rig.is_some() {
                return Err(UsageError::new(format!(
                    "take {} is a single-camera take: --actors and --rig are for a multicam take (made with `takes create --volume`); leave them out",
                    args.take_id
                ))
                .into());
            }
            client.create_single_cam_job(&request).await
        }
    }
    .map_err(|e| create_error(e, &args.take_id))?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&job_json(&job))?)?;
    } else {
        crate::outln!("{}", job.id)?;
    }
    Ok(Exit::Ok)
}

/// The `createSingleCamJob` request the flags describe, or what is wrong with them.
fn request(args: &CreateArgs) -> Result<JobRequest, String> {
    let mut outputs = Vec::new();
    for name in &args.outputs {
        let output = output_type(name).map_err(|e| format!("--output {e}"))?;
        if !outputs.contains(&output) {
            outputs.push(output);
        }
    }
    let mut options = JobOptions::default();
    for option in &args.options {
        let (key, value) = option.split_once('=').ok_or_else(|| {
            format!("--option `{option}` is not KEY=VALUE, e.g. trackFingers=true")
        })?;
        let value = serde_json::from_str(value.trim())
            .unwrap_or_else(|_| Value::String(value.trim().to_string()));
        options
            .set(key.trim(), &value)
            .map_err(|e| format!("--option {e}"))?;
    }
    Ok(JobRequest {
        take_id: args.take_id.clone(),
        outputs,
        options,
        name: None,
        metadata: None,
    })
}

/// JOB: the API's fields (`id`, `name`, `created`, `metadata` decoded, `progress`, `inputs`,
/// `outputs`, `take`).
pub fn job_json(job: &Job) -> Value {
    let mut out = serde_json::to_value(job).unwrap_or(Value::Null);
    out["metadata"] = match job.metadata.as_deref() {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into())),
    };
    out
}

/// `2026-12-03 08:01:26` from `2026-12-03T08:01:26.123456Z` (as given otherwise).
fn created(job: &Job) -> String {
    let c = job.created.as_deref().unwrap_or("");
    match (c.get(..10), c.get(11..19)) {
        (Some(day), Some(time)) if c.as_bytes().get(10) == Some(&b'T') => format!("{day} {time}"),
        _ => c.to_string(),
    }
}

/// One job for people: a line per field, then its outputs.
fn print_job(job: &Job) -> anyhow::Result<()> {
    crate::outln!("job:      {}", job.id)?;
    crate::outln!("name:     {}", job.name.as_deref().unwrap_or(""))?;
    crate::outln!("created:  {}", job.created.as_deref().unwrap_or(""))?;
    crate::outln!(
        "take:     {}",
        job.take.as_ref().map_or("", |t| t.id.as_str())
    )?;
    let percent = job.percent().map_or(String::new(), |p| format!(" {p}%"));
    crate::outln!("state:    {}{percent}", job.state())?;
    // A multicam job (it has a rig) also says how many actors it tracks.
    if let Some(rig) = &job.rig {
        crate::outln!("rig:      {}", rig.name)?;
        let actors = job
            .inputs
            .as_ref()
            .and_then(|i| i.get("numberOfActors"))
            .and_then(Value::as_i64);
        if let Some(actors) = actors {
            crate::outln!("actors:   {actors}")?;
        }
    }
    let options = job
        .inputs
        .as_ref()
        .and_then(|i| i.get("options"))
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{k}={}", v.as_str().map_or(v.to_string(), str::to_string)))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    crate::outln!("options:  {options}")?;
    let meta = serde_json::to_string_pretty(&job_json(job)["metadata"])?;
    crate::outln!("metadata: {}", meta.replace('\n', "\n          "))?;
    for output in job.outputs.iter().flatten().flatten() {
        let file = output.file.as_ref();
        crate::outln!(
            "output:   {} ({}) {}",
            output.key.as_deref().unwrap_or("?"),
            output.format.as_deref().unwrap_or("?"),
            file.map_or("-", |f| f.id.as_str())
        )?;
        if let Some(url) = file.and_then(|f| f.presigned_url.as_deref()) {
            crate::outln!("          {url}")?;
        }
    }
    Ok(())
}

/// The exact command that shows the next page.
fn next_command(token: &str, args: &ListArgs, config: Option<&Path>) -> String {
    let mut cmd = String::from("move-ingest");
    if let Some(path) = config {
        cmd.push_str(&format!(" --config {}", quote(&path.to_string_lossy())));
    }
    cmd.push_str(" jobs list");
    if let Some(take) = &args.take_id {
        cmd.push_str(&format!(" --take {}", quote(take)));
    }
    cmd.push_str(&format!(
        " --limit {} --next-token {}",
        args.limit,
        quote(token)
    ));
    cmd
}

/// `s` quoted for a POSIX shell when it needs it.
fn quote(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@".contains(c));
    if plain && !s.is_empty() {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// An API error about one object: "not found" names it and where to look; see [`api_error`].
fn not_found(e: ApiError, what: &str, id: &str, hint: &str) -> anyhow::Error {
    if e.error_types().contains(&"MoveNotFoundError") {
        return anyhow::Error::new(e).context(format!(
            "{what} {id} not found (`{hint}` shows the {what}s this key can see)"
        ));
    }
    api_error(e)
}

/// A failed `createSingleCamJob` or `createMultiCamJob`; when the job may have been created anyway (the answer was
/// lost), says how to look before asking again, since every job is billed.
fn create_error(e: ApiError, take_id: &str) -> anyhow::Error {
    if e.is_ambiguous() {
        return anyhow::Error::new(e).context(format!(
            "the job for take {take_id} may have been created even though no answer came; \
             `move-ingest jobs list --take {take_id}` shows it before you create another (each job is billed)"
        ));
    }
    not_found(e, "take", take_id, "move-ingest takes list")
}
