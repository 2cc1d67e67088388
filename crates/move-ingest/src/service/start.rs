//! The service's start: the watches and the first scan begun beside the state's start-up,
//! then unfinished recordings resumed, systemd told READY, and the first scan taken in.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::time::Instant;

use super::{Service, heal, places};
use crate::config::Config;
use crate::detect::pairing::Pairing;
use crate::detect::settle::Settler;
use crate::detect::watch::{Watch, WatchOptions};
use crate::ingest::workers::Workers;
use crate::ingest::{Fatal, Ingest};
use crate::service::systemd::Systemd;

/// The watches and the first scan, begun before the state is replayed so that the folder
/// walk (system calls) runs beside the replay (parsing).
pub struct Started {
    watch: Watch,
    /// The first scan's folders as they are read (a few ahead of the taking in).
    first_scan: tokio::sync::mpsc::Receiver<crate::detect::scan::Scan>,
    scanner: tokio::task::JoinHandle<()>,
}

impl Started {
    /// Watches first, scan second: a file written in between is seen by one or the other.
    pub fn begin(cfg: &Config) -> anyhow::Result<Started> {
        let mut options = WatchOptions::from_config(&cfg.service);
        options.follow_symlinks = cfg.watch.iter().any(|w| w.follow_symlinks);
        let mut watch = Watch::new(options)?;
        for w in &cfg.watch {
            if !watch.ensure(&w.path) && !w.path.is_dir() {
                tracing::warn!(path = %w.path.display(), "the watch path does not exist; it is watched as soon as it is created");
            }
        }
        let watches = cfg.watch.clone();
        let (first_scan, scanner) = super::intake::stream_scan(watches);
        Ok(Started {
            watch,
            first_scan,
            scanner,
        })
    }
}

impl Service {
    /// Resumes unfinished recordings, tells systemd it is ready, then takes in the first scan.
    pub(super) async fn start(
        cfg: Arc<Config>,
        ingest: Arc<Ingest>,
        started: Started,
    ) -> anyhow::Result<Service> {
        let now = Instant::now();
        let mut svc = Service {
            watch: started.watch,
            settler: Settler::new(Duration::from_secs(cfg.pairing.settle_secs))
                .trusting_close(cfg.pairing.trust_close),
            pairing: Pairing::new(cfg.pairing.settle_secs, &cfg.pairing),
            workers: Workers::new(ingest.clone()),
            systemd: Systemd::new(),
            rescan_at: cfg
                .watch
                .iter()
                .map(|w| now + Duration::from_secs(w.rescan_secs))
                .collect(),
            folder_scans: Vec::new(),
            notices: crate::detect::notices::Notices::default(),
            full_rescan: None,
            waits_published: None,
            waiting: heal::Waiting::new(crate::retry::Policy::from_config(&cfg.retry)),
            inbox: None,
            requests_at: now,
            failed: 0,
            jobs: None,
            rigs: None,
            places: places::Places::new(now),
            cfg,
            ingest,
        };
        // The key is checked beside the start-up: rejected stops the run (exit 3) at its first
        // turn; no answer starts the probing, as an outage would.
        svc.waiting.check_key(svc.ingest.api());
        svc.open_inbox();
        svc.count_failed();
        svc.resume().map_err(Fatal::into_error)?;
        if svc.ingest.any_jobs() {
            let ingest = svc.ingest.clone();
            svc.jobs = Some(tokio::spawn(async move { ingest.follow_jobs().await }));
        }
        if !svc.cfg.multicam.is_empty() {
            let ingest = svc.ingest.clone();
            svc.rigs = Some(tokio::spawn(async move { ingest.follow_rigs().await }));
        }
        svc.check_space();
        // READY waits for the database (opened, migrated, an old journal imported) and the
        // unfinished recordings queued again; the first scan is taken in after it.
        let status = svc.status_line();
        svc.systemd.ready(status);
        tracing::info!(
            resumed = svc.workers.queued() + svc.workers.running(),
            "READY: state open, unfinished recordings queued; the first scan follows"
        );
        let mut first_scan = started.first_scan;
        while let Some(folder) = first_scan.recv().await {
            svc.take_scan(folder).await.map_err(Fatal::into_error)?;
        }
        started
            .scanner
            .await
            .context("the first scan stopped unexpectedly")?;
        // The scan's and the look-ups' memory is free again: glibc gives it back to the
        // system, so that the service idles at its own size, not at the first scan's peak.
        crate::fsutil::trim_heap();
        // What `status` shows is this run's: links that are gone since the last run are not.
        svc.notices.save(&svc.cfg.state.dir);
        tracing::info!(
            watch_paths = svc.cfg.watch.len(),
            queued = svc.workers.queued() + svc.workers.running(),
            settling = svc.settler.pending(),
            "watching for recordings"
        );
        Ok(svc)
    }

    /// Queues the recordings an earlier run left unfinished.
    pub(super) fn resume(&mut self) -> Result<(), Fatal> {
        let unfinished = self.ingest.unfinished()?;
        if !unfinished.is_empty() {
            tracing::info!(
                recordings = unfinished.len(),
                "resuming unfinished recordings"
            );
        }
        for id in unfinished {
            self.workers.push(id);
        }
        Ok(())
    }
}
