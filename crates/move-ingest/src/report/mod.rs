//! What `status`, `/api/status` and the status page show, built from the state and plain
//! arguments: the recordings by state (`counts`, the one count every view and `/metrics` use),
//! the snapshot of counts and recordings (`snapshot`), the rows and notes of the views (`view`),
//! what the running process is sending (`sending`), a recording's steps in words (`history`), and a rig over several machines as the shared
//! database holds it (`coordination`).

pub(crate) mod coordination;
pub(crate) mod counts;
pub(crate) mod hint;
pub(crate) mod history;
pub(crate) mod rigs;
pub(crate) mod sending;
pub mod snapshot;
pub(crate) mod status;
pub(crate) mod view;
