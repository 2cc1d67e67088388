//! `move-ingest volumes`: list, show and create calibrated volumes (Move's multicam quickstart,
//! steps 1 and 2), from a shell.

use std::path::Path;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::api::ApiError;
use crate::api::multicam::{AreaType, Volume, VolumeRequest};
use crate::cli::SortArg;
use crate::commands::common::{api_client, api_error, create_error};
use crate::commands::exit::Exit;
use crate::commands::multicam::{SOURCE_SHAPE, parse_camera_sources, parse_sync};
use crate::commands::takes::parse_object;
use crate::config::UsageError;
use crate::model::volume::VolumeState;

const CREATE_EXAMPLES: &str = "\
Examples:
  # upload the calibration video of each camera (a person of known height walks the area)
  move-ingest files upload calib/cam-1.mp4    # prints FILE_ID_1
  move-ingest files upload calib/cam-2.mp4    # prints FILE_ID_2
  move-ingest lenses                          # the lens names the API knows
  move-ingest volumes create \\
      --source cam-1:FILE_ID_1:mp4:goprohero10-fhd \\
      --source cam-2:FILE_ID_2:mp4:goprohero10-fhd \\
      --human-height 1.80 --area normal --sync timecode --name stage-a
  # prints the volume id; wait until it is FINISHED:
  move-ingest volumes show VOLUME_ID";

const SHOW_EXAMPLES: &str = "\
Examples:
  move-ingest volumes show volume-2be2463e-ffa3-419b-beb4-ea0f99c79512
  move-ingest volumes show VOLUME_ID --json | jq -r .state
  # wait for it in a script:
  until move-ingest volumes show VOLUME_ID --json | jq -e '.state == \"FINISHED\"'; do sleep 10; done";

const LIST_EXAMPLES: &str = "\
Examples:
  move-ingest volumes list
  move-ingest volumes list --all --json | jq -r '.volumes[] | select(.state == \"FINISHED\") | .id'";

#[derive(Debug, Subcommand)]
pub enum VolumesCommand {
    /// List volumes, newest first, a page at a time.
    ///
    /// The table ends, when there is a next page, with its token and the command that shows it.
    #[command(after_help = LIST_EXAMPLES)]
    List(ListArgs),
    /// Show one volume: its state (NOT_STARTED, RUNNING, FINISHED or FAILED), percentage
    /// complete, cameras and lenses, human height and area.
    ///
    /// A multicam take needs a FINISHED volume: run this until it says so. Exits 0 whatever the
    /// state; 4 if the API does not know the volume.
    #[command(after_help = SHOW_EXAMPLES)]
    Show(ShowArgs),
    /// Create a volume from a calibration video of every camera (`createVolumeWithHuman`).
    ///
    /// Upload each camera's calibration video first with `move-ingest files upload PATH`,
    /// which prints its file id; `move-ingest lenses` lists the lens names. Every argument is
    /// checked before the first request. Prints the volume id; Move then processes the volume
    /// (`volumes show VOLUME_ID` until FINISHED), after which `takes create --volume VOLUME_ID`
    /// makes multicam takes with the same cameras and lenses.
    #[command(after_help = CREATE_EXAMPLES)]
    Create(CreateArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// How many volumes per page (1 to 100).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: u32,
    /// Start at this page: the token the previous page printed (its `next_token`). Defaults to the first page.
    #[arg(long, value_name = "TOKEN")]
    pub next_token: Option<String>,
    /// Order by creation time.
    #[arg(long, value_enum, default_value_t = SortArg::Desc)]
    pub sort: SortArg,
    /// Page through every volume.
    #[arg(long)]
    pub all: bool,
    /// Print `{"volumes": [VOLUME, ...], "next_token": "..." | null}` instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The volume id, as `volumes create` printed it.
    pub volume_id: String,
    /// Print the volume as JSON with the API's field names (`metadata` decoded).
    #[arg(long)]
    pub json: bool,
}

/// `--area`: the size of the capture area.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum AreaArg {
    /// A normal capture area (AreaType NORMAL).
    #[default]
    Normal,
    /// A large capture area (AreaType LARGE).
    Large,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// A camera's calibration video as LABEL:FILE_ID:FORMAT:LENS: the device label, the file id
    /// `files upload` printed, mp4, mov or avi, and a lens name from `move-ingest lenses`.
    /// Repeat it, once per camera: at least two, each with its own label.
    #[arg(long = "source", value_name = SOURCE_SHAPE, required = true)]
    pub sources: Vec<String>,
    /// The height of the person in the calibration videos, in metres, e.g. 1.80.
    #[arg(long, value_name = "METRES")]
    pub human_height: f64,
    /// The size of the capture area.
    #[arg(long, value_enum, default_value_t = AreaArg::Normal)]
    pub area: AreaArg,
    /// How the cameras' videos are synced: timecode (shared timecode), clap:START-END (a clap
    /// between these seconds, e.g. clap:2.5-4) or none (already synced).
    #[arg(long, value_name = "timecode|clap:START-END|none")]
    pub sync: String,
    /// The volume's name. Defaults to none.
    #[arg(long)]
    pub name: Option<String>,
    /// Custom metadata, a JSON object, e.g. '{"stage":"a"}'. Defaults to {}.
    #[arg(long, value_name = "JSON")]
    pub metadata: Option<String>,
    /// Print the volume as JSON instead of its id.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `volumes` subcommand. Every argument is checked before the first request.
pub async fn run(config: Option<&Path>, cmd: VolumesCommand) -> anyhow::Result<Exit> {
    match cmd {
        VolumesCommand::List(args) => list(config, args).await,
        VolumesCommand::Show(args) => show(config, args).await,
        VolumesCommand::Create(args) => create(config, args).await,
    }
}

/// The tallest and shortest people a height in metres is believed for.
const HEIGHTS_M: std::ops::RangeInclusive<f64> = 0.3..=3.0;

async fn create(config: Option<&Path>, args: CreateArgs) -> anyhow::Result<Exit> {
    let sources = parse_camera_sources(&args.sources)?;
    let height = args.human_height;
    if !height.is_finite() || !HEIGHTS_M.contains(&height) {
        let hint = if height > 100.0 {
            format!(" (centimetres? give metres: {:.2})", height / 100.0)
        } else {
            String::new()
        };
        return Err(UsageError::new(format!(
            "--human-height {height}: the height in metres of the person in the calibration videos, e.g. 1.80{hint}"
        ))
        .into());
    }
    let sync = parse_sync(&args.sync)?;
    let metadata = match &args.metadata {
        Some(text) => parse_object("--metadata", text)?,
        None => serde_json::Map::new(),
    };
    let request = VolumeRequest {
        sources,
        human_height_m: height,
        area: match args.area {
            AreaArg::Normal => AreaType::Normal,
            AreaArg::Large => AreaType::Large,
        },
        sync,
        clip_window: None,
        name: args.name.clone(),
        metadata: Some(Value::Object(metadata)),
    };
    let client = api_client(config)?;
    let volume = client
        .create_volume_with_human(&request)
        .await
        .map_err(|e| create_error(e, "volume", "move-ingest volumes list"))?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&volume_json(&volume))?)?;
    } else {
        crate::outln!("{}", volume.id)?;
    }
    Ok(Exit::Ok)
}

async fn show(config: Option<&Path>, args: ShowArgs) -> anyhow::Result<Exit> {
    let client = api_client(config)?;
    let volume = client
        .get_volume(&args.volume_id)
        .await
        .map_err(|e| about_volume(e, &args.volume_id))?;
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&volume_json(&volume))?)?;
    } else {
        print_volume(&volume)?;
    }
    Ok(Exit::Ok)
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
    let client = api_client(config)?;
    let newest_first = args.sort == SortArg::Desc;
    let mut volumes = Vec::new();
    let mut after = args.next_token.clone();
    loop {
        let page = client
            .list_volumes(args.limit, after.as_deref(), newest_first)
            .await
            .map_err(api_error)?;
        volumes.extend(page.items.into_iter().flatten());
        let repeated = page.after.is_some() && page.after == after;
        after = page.after;
        if !args.all || after.is_none() || repeated {
            break;
        }
    }
    if args.json {
        let list: Vec<Value> = volumes.iter().map(volume_json).collect();
        let out = json!({"volumes": list, "next_token": after});
        crate::outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(Exit::Ok);
    }
    if volumes.is_empty() {
        crate::outln!("no volumes")?;
    } else {
        crate::outln!(
            "{:<43}  {:<19}  {:<11}  {:>4}  {:<7}  NAME",
            "VOLUME",
            "CREATED",
            "STATE",
            "%",
            "CAMERAS"
        )?;
    }
    for v in &volumes {
        let row = format!(
            "{:<43}  {:<19}  {:<11}  {:>4}  {:<7}  {}",
            v.id,
            created(v),
            v.state().map_or_else(String::new, |s| s.to_string()),
            v.percent().map_or(String::new(), |p| p.to_string()),
            cameras(v).len(),
            v.name.as_deref().unwrap_or("")
        );
        crate::outln!("{}", row.trim_end())?;
    }
    if let Some(token) = &after {
        crate::outln!()?;
        crate::outln!("next token: {token}")?;
        crate::outln!("next page:  {}", next_command(token, &args, config))?;
    }
    Ok(Exit::Ok)
}

/// VOLUME: the API's fields (`id`, `name`, `created`, `metadata` decoded, `areaType`,
/// `humanHeight`, `state`, `progress`, `clipWindow`, `sources` as
/// `[{deviceLabel, fileId, format, cameraSettings: {lens}}]`, `outputs`).
pub fn volume_json(v: &Volume) -> Value {
    let sources = crate::commands::takes::camera_sources_json(v.sources.as_deref());
    json!({
        "id": v.id,
        "name": v.name,
        "created": v.created,
        "metadata": v.metadata_value(),
        "areaType": v.area_type,
        "humanHeight": v.human_height,
        "state": v.state(),
        "progress": v.progress,
        "clipWindow": v.clip_window,
        "sources": sources,
        "outputs": v.outputs,
    })
}

/// `cam-1=goprohero10-fhd` for each camera.
fn cameras(v: &Volume) -> Vec<String> {
    v.sources
        .iter()
        .flatten()
        .flatten()
        .map(|s| {
            let lens = s.camera_settings.as_ref().map_or("?", |c| c.lens.as_str());
            format!("{}={lens}", s.device_label)
        })
        .collect()
}

/// One volume for people: a line per field, then what to do next.
fn print_volume(v: &Volume) -> anyhow::Result<()> {
    let state = v.state();
    crate::outln!("volume:   {}", v.id)?;
    crate::outln!("name:     {}", v.name.as_deref().unwrap_or(""))?;
    crate::outln!("created:  {}", v.created.as_deref().unwrap_or(""))?;
    let percent = v.percent().map_or(String::new(), |p| format!(" {p}%"));
    let shown = state
        .as_ref()
        .map_or_else(|| "UNKNOWN".to_string(), |s| s.to_string());
    crate::outln!("state:    {shown}{percent}")?;
    crate::outln!("area:     {}", v.area_type.as_deref().unwrap_or(""))?;
    crate::outln!(
        "human:    {}",
        v.human_height.map_or(String::new(), |h| format!("{h} m"))
    )?;
    if let Some(w) = &v.clip_window {
        crate::outln!("clip:     {} s to {} s", w.start_time, w.end_time)?;
    }
    for s in v.sources.iter().flatten().flatten() {
        crate::outln!(
            "camera:   {} {} {} (lens {})",
            s.device_label,
            s.format.as_deref().unwrap_or("?"),
            s.file.as_ref().map_or("-", |f| f.id.as_str()),
            s.camera_settings.as_ref().map_or("?", |c| c.lens.as_str())
        )?;
    }
    let meta = serde_json::to_string_pretty(&v.metadata_value())?;
    crate::outln!("metadata: {}", meta.replace('\n', "\n          "))?;
    match state {
        Some(VolumeState::Finished) => crate::outln!(
            "next:     move-ingest takes create --volume {} --source LABEL:FILE_ID:FORMAT:LENS ... --sync ...",
            v.id
        )?,
        Some(VolumeState::Failed) => crate::outln!(
            "next:     this volume cannot be used; record the calibration again and `move-ingest volumes create` a new one"
        )?,
        _ => crate::outln!("next:     not ready for takes yet; show it again in a while")?,
    }
    Ok(())
}

/// `2026-12-03 08:01:26` from `2026-12-03T08:01:26.123456Z` (as given otherwise).
fn created(v: &Volume) -> String {
    let c = v.created.as_deref().unwrap_or("");
    match (c.get(..10), c.get(11..19)) {
        (Some(day), Some(time)) if c.as_bytes().get(10) == Some(&b'T') => format!("{day} {time}"),
        _ => c.to_string(),
    }
}

/// The exact command that shows the next page.
fn next_command(token: &str, args: &ListArgs, config: Option<&Path>) -> String {
    let mut cmd = String::from("move-ingest");
    if let Some(path) = config {
        cmd.push_str(&format!(" --config {}", quote(&path.to_string_lossy())));
    }
    cmd.push_str(&format!(" volumes list --limit {}", args.limit));
    if args.sort == SortArg::Asc {
        cmd.push_str(" --sort asc");
    }
    cmd.push_str(&format!(" --next-token {}", quote(token)));
    cmd
}

/// `s` quoted for a POSIX shell when it needs it.
fn quote(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,".contains(c));
    if plain && !s.is_empty() {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// An API error about one volume: "not found" names it and where to look; see [`api_error`].
fn about_volume(e: ApiError, id: &str) -> anyhow::Error {
    if e.error_types().contains(&"MoveNotFoundError") {
        return anyhow::Error::new(e).context(format!(
            "volume {id} not found (`move-ingest volumes list` shows the volumes this key can see)"
        ));
    }
    api_error(e)
}
