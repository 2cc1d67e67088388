//! What the running process tells the world: the Prometheus registry (`metrics`), in-flight
//! work and API health (`monitor`), the webhook (`webhook`), progress bars and lines
//! (`progress`) and the log (`logging`).

pub mod logging;
pub mod metrics;
pub mod monitor;
pub mod progress;
pub mod webhook;
