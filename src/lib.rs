//! move-ingest: turns every complete recording in a capture folder into exactly one Move take.
#![warn(clippy::unwrap_used)]

pub mod cli;
pub mod commands;
pub mod error;
pub mod sandbox;
