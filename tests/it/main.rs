//! The integration tests: one binary, one module per area, shared fixtures in `util` and `capture`.

mod backfill;
mod capture;
mod documents;
mod example_config;
mod faults;
mod journal;
mod run;
mod sandbox;
mod schema;
mod util;
