//! The watching service: the state opened, resumed work and a first scan, then one loop that
//! turns events, settle and pairing timers, periodic rescans and finished workers into takes,
//! until the shutdown future resolves.

mod heal;
pub(crate) mod http;
mod intake;
pub(crate) mod page;
mod places;
mod start;
pub(crate) mod systemd;

use std::future::Future;

use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, sleep_until};

use crate::config::Config;
use crate::detect::pairing::Pairing;
use crate::detect::settle::Settler;
use crate::detect::watch::Watch;
use crate::ingest::workers::Workers;
use crate::ingest::{Fatal, Ingest, Outcome};
use crate::model::id::RecordingId;
use crate::service::systemd::Systemd;

pub use crate::detect::place::{Place, locate};
pub use start::Started;

/// How long a settle or pairing timer waits for others due just after it (see `next_wakeup`).
const SETTLE_BATCH: Duration = Duration::from_millis(100);

/// Everything the loop owns.
pub struct Service {
    cfg: Arc<Config>,
    ingest: Arc<Ingest>,
    watch: Watch,
    settler: Settler,
    pairing: Pairing,
    workers: Workers,
    systemd: Systemd,
    /// When each watch path is rescanned next (the safety net).
    rescan_at: Vec<Instant>,
    /// New folders to scan once more, shortly after their watch was added: when, the
    /// folder, its device label and how deep below it to read.
    folder_scans: Vec<(
        Instant,
        std::path::PathBuf,
        String,
        crate::detect::scan::Walk,
    )>,
    /// Skipped symlinks and low free space, for the log (once each) and `status`.
    notices: crate::detect::notices::Notices,
    /// Events were lost: a full rescan runs once the waiting hints are handled.
    full_rescan: Option<String>,
    /// The pairing generation last written to `waiting.json` for `status`.
    waits_published: Option<u64>,
    /// Recordings waiting after a transient failure, and the API probe.
    waiting: heal::Waiting,
    /// Requests other processes leave in the state (`retry` while running), and when next to look.
    inbox: Option<crate::store::requests::Inbox>,
    requests_at: Instant,
    /// How many recordings have failed (for systemd's STATUS line).
    failed: u64,
    /// The job follower (`[job]`): asks `getJob` and downloads outputs beside the loop.
    jobs: Option<tokio::task::JoinHandle<Fatal>>,
    /// The rig follower (`[[multicam]]`): forms rig recordings, makes volumes and multicam
    /// takes, follows volumes, beside the loop.
    rigs: Option<tokio::task::JoinHandle<Fatal>>,
    /// Watch paths and device folders that vanish and return (`places.rs`).
    places: places::Places,
}

/// Runs the service until `shutdown` resolves, then gives in-flight uploads the grace period.
pub async fn run(
    cfg: Arc<Config>,
    ingest: Arc<Ingest>,
    started: Started,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let observers = observe(&cfg, &ingest).await?;
    let result = run_service(cfg, ingest.clone(), started, shutdown).await;
    for task in observers {
        task.abort();
    }
    if let Err(e) = &result {
        // The process stops here: the webhook hears why (the key never is in the message).
        ingest.monitor().stopped(&format!("{e:#}"));
        if let Some(n) = ingest.monitor().notifier() {
            n.send("paused", serde_json::json!({ "reason": format!("{e:#}") }));
            n.flush(Duration::from_secs(5)).await;
        }
    }
    result
}

/// Starts the HTTP server (`[metrics]`) and the health and summary watcher (`[metrics]` or
/// `[notify]`); a `metrics.listen` that cannot be bound stops the start.
async fn observe(
    cfg: &Arc<Config>,
    ingest: &Arc<Ingest>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut tasks = Vec::new();
    let view = ingest.state_view();
    if let Some(m) = &cfg.metrics {
        let token = crate::config::resolve_metrics_token(m, &cfg.path)?;
        let listener = http::bind(m).await?;
        let web = http::Web::new(
            cfg.clone(),
            ingest.monitor().clone(),
            view.clone(),
            ingest.api().clone(),
            ingest.hostname().to_string(),
        )
        .with_token(token);
        tasks.push(http::spawn(listener, Arc::new(web)));
    }
    if cfg.metrics.is_some() || cfg.notify.is_some() {
        tasks.push(tokio::spawn(crate::observe::webhook::supervise(
            ingest.monitor().clone(),
            view,
            cfg.clone(),
        )));
    }
    Ok(tasks)
}

async fn run_service(
    cfg: Arc<Config>,
    ingest: Arc<Ingest>,
    started: Started,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut svc = Service::start(cfg, ingest.clone(), started).await?;
    let heartbeat = tokio::spawn(while_paused(ingest.clone()));
    // The loop stops at its next turn; one held up by a paused state write cannot turn, so a
    // stop while paused ends it from here (its write is not needed: the next start rescans).
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let loop_stops = async move {
        let _ = stop_rx.wait_for(|stop| *stop).await;
    };
    tokio::pin!(loop_stops);
    let stop_while_paused = async {
        shutdown.await;
        let _ = stop_tx.send(true);
        while ingest.state_paused().is_none() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let served = tokio::select! {
        served = svc.serve(&mut loop_stops) => served,
        () = stop_while_paused => Ok(()),
    };
    heartbeat.abort();
    if let Err(fatal) = served {
        let err = fatal.into_error();
        // /healthz answers 503 with why (a rejected key, a damaged state) while the workers stop.
        ingest.monitor().stopped(&format!("{err:#}"));
        if let Some(jobs) = svc.jobs.take() {
            jobs.abort();
        }
        svc.workers.abort().await;
        return Err(err);
    }
    svc.stop().await
}

/// While a full or read-only state disk holds the writes (the loop may be waiting on one),
/// tells systemd so in STATUS= and keeps its watchdog fed: the loop is waiting, not stuck.
/// Ticks once a second only while paused; otherwise it sleeps until a pause begins (an idle
/// service wakes for nothing).
async fn while_paused(ingest: Arc<Ingest>) {
    let mut systemd = Systemd::new();
    let mut was_paused = false;
    let pause = ingest.state_pause();
    loop {
        let changed = pause.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if pause.now().is_some() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        } else if !was_paused {
            changed.await;
        }
        match pause.now() {
            Some(p) => {
                systemd.status(format!("paused: {}", p.describe()));
                systemd.ping(Instant::now());
                was_paused = true;
            }
            None if was_paused => {
                systemd.status("ingestion resumed: the state database takes writes again".into());
                was_paused = false;
            }
            None => {}
        }
    }
}

/// Resolves when the job follower stops with a fatal error; pending while there is none.
async fn follower_failed(jobs: &mut Option<tokio::task::JoinHandle<Fatal>>) -> Fatal {
    let Some(handle) = jobs else {
        return std::future::pending().await;
    };
    let joined = handle.await;
    *jobs = None;
    match joined {
        Ok(fatal) => fatal,
        Err(e) => {
            tracing::error!(
                "the job follower stopped unexpectedly ({e}); jobs are followed again after a restart"
            );
            std::future::pending().await
        }
    }
}

impl Service {
    /// The loop: one turn per event, timer or finished worker; it also pings the watchdog.
    async fn serve(
        &mut self,
        shutdown: &mut (impl Future<Output = ()> + Unpin),
    ) -> Result<(), Fatal> {
        loop {
            let now = Instant::now();
            self.systemd.ping(now);
            let status = match self.ingest.state_paused() {
                Some(p) => format!("paused: {}; {}", p.cause.reason(), self.status_line()),
                None => self.status_line(),
            };
            self.systemd.status(status);
            self.publish_waits(now);
            let wake = self.next_wakeup(now);
            tokio::select! {
                () = &mut *shutdown => return Ok(()),
                hint = self.watch.next() => {
                    self.on_hint(hint).await?;
                    while let Some(hint) = self.watch.try_next() {
                        self.on_hint(hint).await?;
                    }
                    if let Some(reason) = self.full_rescan.take() {
                        tracing::warn!("{reason}: events may be lost, rescanning every watch path");
                        self.rescan_all().await?;
                    }
                }
                (id, result) = self.workers.next() => self.finished(&id, result?),
                () = sleep_until(wake) => {
                    self.on_timers().await?;
                    // One instant for both: requests and places stay due together.
                    let now = Instant::now();
                    self.heal(now).await?;
                    self.look_at_places(now).await?;
                }
                answer = self.waiting.probed() => self.on_probe(answer)?,
                fatal = self.ingest.state_check_failed() => return Err(fatal),
                fatal = follower_failed(&mut self.jobs) => return Err(fatal),
                fatal = follower_failed(&mut self.rigs) => return Err(fatal),
            }
        }
    }

    /// Publishes the videos waiting for their `.move` when they changed: to `status` (another
    /// process) in `waiting.json`, and to this process's views (`/api/status`, `/metrics`, the
    /// page), so that all of them count them as waiting.
    fn publish_waits(&mut self, now: Instant) {
        let generation = self.pairing.generation();
        if self.waits_published != Some(generation) {
            let videos = self
                .pairing
                .waiting_videos(now, std::time::SystemTime::now());
            self.ingest.monitor().set_waiting(videos.clone());
            crate::report::sending::write_waiting(&self.cfg.state.dir, videos);
            self.waits_published = Some(generation);
        }
    }

    /// Stops taking work and gives the running uploads `shutdown_grace_secs`.
    async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(jobs) = self.jobs.take() {
            // A download cut short here starts again from its first byte at the next start.
            jobs.abort();
        }
        if let Some(p) = self.ingest.state_paused() {
            tracing::warn!(
                running = self.workers.running(),
                "stopping while paused ({}): the recordings in flight resume at the next start",
                p.cause.reason()
            );
            self.systemd.stopping("stopping while paused");
            self.workers.abort().await;
            return Ok(());
        }
        let grace = Duration::from_secs(self.cfg.service.shutdown_grace_secs);
        let running = self.workers.running();
        tracing::info!(
            running,
            queued = self.workers.queued(),
            grace_secs = grace.as_secs(),
            "stopping: no new work; running uploads may finish"
        );
        self.systemd
            .stopping(&format!("stopping: {running} recording(s) finishing"));
        if let Some(fatal) = self.workers.drain(grace).await {
            return Err(fatal.into_error());
        }
        tracing::info!("stopped; unfinished recordings resume at the next start");
        Ok(())
    }

    /// What a finished worker's outcome means for the loop.
    fn finished(&mut self, id: &RecordingId, outcome: Outcome) {
        match outcome {
            Outcome::Done { take_id } => tracing::debug!(rec = %id, take = %take_id, "done"),
            Outcome::Failed { .. } => self.count_failed(),
            Outcome::Retrying {
                reason,
                wait,
                api_down,
            } => self.retrying(id, &reason, wait, api_down),
            Outcome::Gone { reason } => tracing::info!(rec = %id, "left the queue: {reason}"),
            Outcome::Grouped { rig_recording } => {
                tracing::debug!(rec = %id, rig_recording = %rig_recording, "grouped")
            }
            Outcome::Deferred { reason } => {
                tracing::info!(rec = %id, "deferred: {reason}; it is taken up again once its files settle");
                let rec = match self.ingest.recording(id) {
                    Ok(Some(rec)) => rec,
                    Ok(None) => return,
                    Err(e) => {
                        tracing::error!(rec = %id, "cannot read the recording's state: {e}");
                        return;
                    }
                };
                let now = Instant::now();
                let mut vanished = false;
                for seen in [&rec.video, &rec.sidecar].into_iter().flatten() {
                    vanished |= !self
                        .settler
                        .touch(&rec.dir.join(&seen.facts.name), false, now);
                }
                // A file that vanished meanwhile: processing it again lets it leave the queue.
                if vanished {
                    self.queue(id.clone());
                }
            }
        }
    }

    /// The earliest timer: a file to re-stat, a pairing wait, a folder scan, a rescan, a ping.
    fn next_wakeup(&self, now: Instant) -> Instant {
        [
            // Files that settle close together are taken in together: one read of a
            // folder and one chunk of steps for a thousand files dropped in at once.
            self.settler.next_due().map(|t| t + SETTLE_BATCH),
            self.pairing.next_due().map(|t| t + SETTLE_BATCH),
            self.folder_scans.iter().map(|f| f.0).min(),
            self.rescan_at.iter().min().copied(),
            self.systemd.next_ping(),
            self.waiting.next_due(),
            self.inbox.as_ref().map(|_| self.requests_at),
            Some(self.places.next_due()),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + Duration::from_secs(3600))
    }

    /// STATUS= for systemd.
    fn status_line(&self) -> String {
        let mut line = format!(
            "{} settling, {} waiting for .move, {} queued, {} uploading, {} retrying, {} failed",
            self.settler.pending(),
            self.pairing.waiting(),
            self.workers.queued(),
            self.workers.running(),
            self.waiting.len(),
            self.failed
        );
        if self.waiting.api_down() {
            line.push_str("; the Move API does not answer, probing it");
        }
        if let Some(missing) = self.places_status() {
            line.push_str("; ");
            line.push_str(&missing);
        }
        line
    }

    /// Queues a recording, unless it waits after a transient failure (its retry or the API
    /// probe sends it again).
    fn queue(&mut self, id: RecordingId) {
        if !self.waiting.contains(&id) {
            self.workers.push(id);
        }
    }

    /// Queues a recording found complete; while the API does not answer, it joins the waiting
    /// ones instead (`retrying` in the state), and the probe's first answer sends it.
    async fn queue_found(&mut self, id: RecordingId) -> Result<(), Fatal> {
        if !self.waiting.api_down() || self.waiting.contains(&id) || self.workers.has(&id) {
            self.queue(id);
            return Ok(());
        }
        let latest = self.ingest.monitor().api_down().map(|d| d.error);
        let reason = format!(
            "not sent yet: the Move API does not answer (latest error: {})",
            latest.as_deref().unwrap_or("no answer")
        );
        if let Some(wait) = self.ingest.hold(&id, reason).await? {
            self.waiting.wait(id, wait, true, Instant::now());
        } else {
            self.queue(id);
        }
        Ok(())
    }
}
