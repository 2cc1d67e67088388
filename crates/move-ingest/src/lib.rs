//! move-ingest: turns every complete recording in a capture folder into exactly one Move take.
//!
//! The layers, bottom to top; a module imports only from the layers below it (and from its
//! own children), and `tests/it/layers.rs` fails on a cycle between top-level modules:
//!
//! | layer | modules | what |
//! |---|---|---|
//! | 0 | [`model`], [`fsutil`] | ids, file facts, the recording state machine, job and volume states; file-system helpers |
//! | 1 | [`config`] | every config type, parsed raw then validated |
//! | 2 | [`retry`], [`store`], [`coord`], [`api`], [`upload`] | the backoff policy; the SQLite state; the shared PostgreSQL of a rig over several machines; the GraphQL client; the streaming PUT |
//! | 3 | [`detect`], [`report`] | scan, watch, settle, pairing; what `status`, `/api/status` and the page show |
//! | 4 | [`observe`] | metrics, the monitor, the webhook, progress, logging |
//! | 5 | [`ingest`] | one recording's steps, shared by `run` and `backfill` |
//! | 6 | [`service`] | the `run` loop, http and the page, systemd |
//! | 7 | [`commands`], [`cli`] | parse, call the library, print; exit codes |
#![warn(clippy::unwrap_used)]
// Commands print with `outln!`, which ends quietly when the reader goes away (`| head`).
#![warn(clippy::print_stdout)]

pub mod api;
pub mod cli;
pub mod commands;
pub mod config;
pub mod coord;
pub mod detect;
mod fsutil;
mod ingest;
pub mod model;
pub mod observe;
pub mod report;
mod retry;
mod service;
pub mod store;
pub mod upload;
