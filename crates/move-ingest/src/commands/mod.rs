//! One module per subcommand, each with an async `run`.

pub(crate) mod backfill;
pub(crate) mod backfill_dry;
pub(crate) mod check;
pub(crate) mod common;
pub mod completions;
pub(crate) mod exit;
pub(crate) mod files;
pub(crate) mod history;
pub(crate) mod jobs;
pub(crate) mod multicam;
pub(crate) mod output;
pub(crate) mod reconcile;
pub(crate) mod retry;
pub(crate) mod run;
pub(crate) mod state;
pub(crate) mod status;
pub(crate) mod takes;
pub(crate) mod volumes;
