//! move-ingest: turns every complete recording in a capture folder into exactly one Move take.
#![warn(clippy::unwrap_used)]

pub mod api;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod id;
pub mod ingest;
pub mod journal;
pub mod logging;
pub mod retry;
pub mod scan;
pub mod service;
pub mod state;
pub mod template;
pub mod upload;
