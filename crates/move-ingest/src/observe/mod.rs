//! What the running process tells the world: the Prometheus registry (`metrics`), in-flight
//! work and API health (`monitor`), whether the coordination database answers
//! (`coordination`), the webhook (`webhook`), progress bars and lines
//! (`progress`) and the log (`logging`).

pub(crate) mod coordination;
pub(crate) mod logging;
pub mod metrics;
pub(crate) mod monitor;
pub(crate) mod progress;
pub(crate) mod webhook;
