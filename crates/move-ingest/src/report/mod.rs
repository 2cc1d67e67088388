//! What `status`, `/api/status` and the status page show, built from the state and plain
//! arguments: the recordings by state (`counts`, the one count every view and `/metrics` use),
//! the snapshot of counts and recordings (`snapshot`), the rows and notes of the views (`view`),
//! and what the running process is sending (`sending`).

pub mod counts;
pub mod hint;
pub mod sending;
pub mod snapshot;
pub mod status;
pub mod view;
