//! What the running process tells the world: the Prometheus registry (`metrics`), in-flight
//! work and API health (`monitor`), the webhook (`webhook`), progress bars and lines
//! (`progress`) and the log (`logging`).

pub(crate) mod logging;
pub mod metrics;
pub(crate) mod monitor;
pub(crate) mod progress;
pub(crate) mod webhook;
