//! `[metrics]` and `[notify]`: the status server and the webhook.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// `[metrics]`: where `run` serves `/metrics`, `/`, `/api/status` and `/healthz`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// `ADDR:PORT`, e.g. `127.0.0.1:9464`; a LAN address lets a central Prometheus scrape.
    pub listen: SocketAddr,
    /// `/healthz` answers 503 once the API has been unreachable this long.
    #[serde(default = "default_unhealthy_after")]
    pub unhealthy_after_secs: u64,
    /// A file whose first line is the bearer token that `/`, `/api/status`, `/metrics` and
    /// `/thumbnail/...` ask for (`/healthz` stays open); unset, the systemd credential
    /// `metrics-token` if the service has it, else no authentication.
    #[serde(default)]
    pub bearer_token_file: Option<PathBuf>,
}

fn default_unhealthy_after() -> u64 {
    600
}

impl MetricsConfig {
    /// Checks the values serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.unhealthy_after_secs == 0 {
            return Err("`unhealthy_after_secs` must be at least 1".into());
        }
        Ok(())
    }
}

/// `[notify]`: where the webhook posts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// `http://` or `https://` URL that receives the JSON POSTs.
    pub webhook: String,
    /// How often the summary is sent (default once a day).
    #[serde(default = "default_summary")]
    pub summary_every_secs: u64,
    /// A file whose first line is the signing secret (`whsec_...`, Standard Webhooks); unset,
    /// the systemd credential `webhook-secret` if the service has it, else unsigned POSTs.
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
}

fn default_summary() -> u64 {
    NotifyConfig::DEFAULT_SUMMARY_SECS
}

impl NotifyConfig {
    /// How often the summary is sent when `summary_every_secs` is not set: once a day.
    pub const DEFAULT_SUMMARY_SECS: u64 = 86_400;

    /// Checks the URL and the interval.
    pub fn validate(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.webhook)
            .map_err(|e| format!("`webhook` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("`webhook` must be an http:// or https:// URL".into());
        }
        if self.summary_every_secs == 0 {
            return Err("`summary_every_secs` must be at least 1".into());
        }
        Ok(())
    }
}
