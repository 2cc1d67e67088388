//! move-ingest: turns every complete recording in a capture folder into exactly one Move take.
#![warn(clippy::unwrap_used)]
// Commands print with `outln!`, which ends quietly when the reader goes away (`| head`).
#![warn(clippy::print_stdout)]

pub mod access;
pub mod api;
pub mod cli;
pub mod commands;
pub mod config;
pub mod disk;
pub mod error;
pub mod id;
pub mod ingest;
pub mod logging;
pub mod metrics;
pub mod monitor;
pub mod notices;
pub mod notify;
pub mod output;
pub mod progress;
pub mod retry;
pub mod scan;
pub mod sending;
pub mod service;
pub mod snapshot;
pub mod state;
pub mod status_view;
pub mod store;
pub mod template;
pub mod upload;
