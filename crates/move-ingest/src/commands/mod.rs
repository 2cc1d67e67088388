//! One module per subcommand, each with an async `run`.

pub mod backfill;
pub mod backfill_dry;
pub mod check;
pub mod common;
pub mod completions;
pub mod exit;
pub mod files;
pub mod history;
pub mod jobs;
pub mod multicam;
pub mod output;
pub mod reconcile;
pub mod retry;
pub mod run;
pub mod state;
pub mod status;
pub mod takes;
pub mod volumes;
