//! `takes list`: a page of takes as a table or JSON, or every page with `--all`, printed as it
//! arrives (never every take in memory).

use std::path::Path;

use super::{api_error, client, expand, view};
use crate::api::{Expand, TakeView};
use crate::cli::{ExpandArg, SortArg, TakesListArgs};
use crate::commands::exit::Exit;
use crate::config::UsageError;

const NAME_WIDTH: usize = 28;
const METADATA_WIDTH: usize = 48;

/// Runs `takes list`.
pub async fn run(config: Option<&Path>, args: TakesListArgs) -> anyhow::Result<Exit> {
    if let Some(token) = &args.next_token
        && serde_json::from_str::<serde_json::Value>(token).is_err()
    {
        return Err(UsageError::new(format!(
            "--next-token `{token}` is not a token a page printed (it is JSON, e.g. '{{\"offset\":10}}')"
        ))
        .into());
    }
    let client = client(config)?;
    let expanded = expand(&args.expand);
    let newest_first = args.sort == SortArg::Desc;
    let mut printer = Printer::new(&args, expanded);
    let mut after = args.next_token.clone();
    loop {
        let page = client
            .take_views(args.limit, after.as_deref(), newest_first, expanded)
            .await
            .map_err(api_error)?;
        for take in page.items.iter().flatten() {
            printer.take(take)?;
        }
        after = page.after;
        if !args.all || after.is_none() {
            break;
        }
    }
    printer.end(after.as_deref(), &args, config)?;
    Ok(Exit::Ok)
}

/// Prints takes one by one, as a table or as one JSON object.
struct Printer {
    json: bool,
    expand: Expand,
    count: usize,
}

impl Printer {
    fn new(args: &TakesListArgs, expand: Expand) -> Printer {
        Printer {
            json: args.json,
            expand,
            count: 0,
        }
    }

    fn take(&mut self, take: &TakeView) -> anyhow::Result<()> {
        if self.json {
            let sep = if self.count == 0 {
                "{\"takes\": [\n"
            } else {
                ",\n"
            };
            let text = serde_json::to_string(&view::take_json(take))?;
            crate::commands::output::text(&format!("{sep}  {text}"))?;
        } else {
            if self.count == 0 {
                crate::outln!("{}", self.header())?;
            }
            crate::outln!("{}", self.row(take))?;
        }
        self.count += 1;
        Ok(())
    }

    fn header(&self) -> String {
        let mut h = format!("{:<41}  {:<19}  ", "TAKE", "CREATED");
        if self.expand.sources {
            h.push_str(&format!("{:<9}  ", "SOURCES"));
        }
        if self.expand.client {
            h.push_str(&format!("{:<16}  ", "CLIENT"));
        }
        h.push_str(&format!("{:<NAME_WIDTH$}  METADATA", "NAME"));
        h
    }

    fn row(&self, take: &TakeView) -> String {
        let mut r = format!("{:<41}  {:<19}  ", take.id, view::created(take));
        if self.expand.sources {
            r.push_str(&format!("{:<9}  ", view::formats(take)));
        }
        if self.expand.client {
            let name = take.client.as_ref().map_or("", |c| c.name.as_str());
            r.push_str(&format!("{:<16}  ", view::cut(name, 16)));
        }
        let name = view::cut(take.name.as_deref().unwrap_or(""), NAME_WIDTH);
        r.push_str(&format!(
            "{name:<NAME_WIDTH$}  {}",
            view::metadata_short(take, METADATA_WIDTH)
        ));
        r.trim_end().to_string()
    }

    /// Closes the JSON, or ends the table with the next page's token and command.
    fn end(
        &self,
        next: Option<&str>,
        args: &TakesListArgs,
        config: Option<&Path>,
    ) -> anyhow::Result<()> {
        if self.json {
            let open = if self.count == 0 {
                "{\"takes\": ["
            } else {
                "\n"
            };
            let next = serde_json::to_string(&next)?;
            crate::commands::output::text(&format!("{open}],\n \"next_token\": {next}}}\n"))?;
            return Ok(());
        }
        if self.count == 0 {
            crate::outln!("no takes")?;
        }
        if let Some(token) = next {
            crate::outln!()?;
            crate::outln!("next token: {token}")?;
            crate::outln!("next page:  {}", next_command(token, args, config))?;
        }
        Ok(())
    }
}

/// The exact command that shows the next page.
fn next_command(token: &str, args: &TakesListArgs, config: Option<&Path>) -> String {
    let mut cmd = String::from("move-ingest");
    if let Some(path) = config {
        cmd.push_str(&format!(" --config {}", quote(&path.to_string_lossy())));
    }
    cmd.push_str(&format!(" takes list --limit {}", args.limit));
    if args.sort == SortArg::Asc {
        cmd.push_str(" --sort asc");
    }
    if !args.expand.is_empty() {
        let names: Vec<&str> = args
            .expand
            .iter()
            .map(|e| match e {
                ExpandArg::Sources => "sources",
                ExpandArg::Client => "client",
            })
            .collect();
        cmd.push_str(&format!(" --expand {}", names.join(",")));
    }
    cmd.push_str(&format!(" --next-token {}", quote(token)));
    cmd
}

/// `s` quoted for a POSIX shell when it needs it.
fn quote(s: &str) -> String {
    let plain = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@".contains(c));
    if plain && !s.is_empty() {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
