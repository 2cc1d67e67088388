//! The types every layer shares: recording ids, file facts, the recording state machine, the
//! job sub-machine and volume states. Imports nothing else of the crate.

pub mod event;
pub mod facts;
pub mod failure;
pub mod id;
pub mod interval;
pub(crate) mod job;
pub mod recording;
pub mod rig;
pub mod volume;
