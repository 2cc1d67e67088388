//! The integration tests: one binary, one module per area, shared fixtures in `util` and `capture`.

mod access;
mod adopt;
mod after_take;
mod backfill;
mod capture;
mod capture_tree;
mod documents;
mod example_config;
mod faults;
mod heal;
mod jobs;
mod jobs_cli;
mod monitoring;
mod new_user;
mod packaging;
mod regression;
mod run;
mod state_disk;
mod store;
mod takes;
// The sandbox fixture is shared with move-sandbox's own tests; not every helper is used here.
#[path = "../../../move-sandbox/tests/it/util.rs"]
#[allow(dead_code)]
mod util;
