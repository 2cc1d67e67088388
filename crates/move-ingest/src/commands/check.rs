//! `move-ingest check`: validate the config, reach the API with the key, check the folders.

use std::path::Path;

use crate::api;
use crate::api::AuthError;
use crate::commands::exit::Exit;
use crate::config::UsageError;
use crate::config::{Config, resolve_key};

/// Runs the `check` command: prints what it found; exits 0, 2 (config, folders) or 3 (key).
pub async fn run(config: Option<&Path>) -> anyhow::Result<Exit> {
    let cfg = Config::load(config)?;
    crate::outln!("config: {} is valid", cfg.path.display())?;
    match &cfg.job {
        None => crate::outln!("jobs: off (no [job] table; Move bills every job)")?,
        Some(job) => crate::outln!(
            "jobs: [job] is valid (outputs: {}); `run` and `backfill` create one job per new take (billed by Move), `run` follows them",
            if job.outputs.is_empty() {
                "Move's default".to_string()
            } else {
                job.outputs.join(", ")
            }
        )?,
    }
    let key = resolve_key(&cfg.api)?;
    crate::outln!("api key: read from {}", key.source)?;
    let mut problems = Vec::new();
    observing_secrets(&cfg, &mut problems)?;
    let write = cfg.after_take.action != crate::config::AfterTakeAction::Keep;
    if let Some(to) = &cfg.after_take.move_to {
        match writable_existing(to) {
            Ok(()) => crate::outln!("after_take: move_to {} is writable", to.display())?,
            Err(e) => problems.push(format!(
                "[after_take] move_to {} must exist and be writable: {e}; create it and give the service user write access (ReadWritePaths= in the unit, docs/service.md)",
                to.display()
            )),
        }
    }
    for w in &cfg.watch {
        if let Some(missing) = crate::commands::common::missing_watch_path(&cfg, &w.path) {
            problems.push(missing);
            continue;
        }
        match std::fs::read_dir(&w.path) {
            Ok(_) => crate::outln!(
                "watch: {} is readable (device label: {})",
                w.path.display(),
                w.device_label
            )?,
            Err(e) => {
                problems.push(format!(
                    "watch path {} is not readable: {e}",
                    w.path.display()
                ));
                continue;
            }
        }
        let denied = crate::detect::access::audit(w, write);
        if !denied.is_empty() {
            problems.push(format!(
                "{} folder(s) or file(s) under {} are out of reach of user {}; give it access (docs/service.md, \"Access to the capture folders\"):\n  {}",
                denied.len(),
                w.path.display(),
                whoami(),
                denied
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
    }
    if problems.is_empty() {
        let watches = cfg.watch.clone();
        let scanned =
            tokio::task::spawn_blocking(move || crate::detect::scan::scan(&watches)).await?;
        problems.extend(scanned.errors);
    }
    match writable(&cfg.state.dir) {
        Ok(()) => crate::outln!("state: {} is writable", cfg.state.dir.display())?,
        Err(e) => problems.push(format!(
            "state.dir {} is not writable: {e}",
            cfg.state.dir.display()
        )),
    }
    coordination(&cfg, &mut problems).await?;
    let http = api::http_client(&cfg.api)?;
    let client = api::Client::new(http, &cfg.api, key);
    match client.account().await {
        Ok(acct) => {
            crate::outln!(
                "api: {} answers; the key belongs to {} ({})",
                client.endpoint(),
                acct.name,
                acct.id
            )?;
            // What only the API can say about the rigs, once it has taken the key.
            crate::commands::rig_check::for_check(&client, &cfg, &mut problems).await?;
        }
        Err(api::ApiError::Auth {
            status, key_source, ..
        }) => {
            return Err(AuthError {
                status,
                source_desc: key_source,
            }
            .into());
        }
        Err(e) => problems.push(format!(
            "cannot reach the API at {}: {e}",
            client.endpoint()
        )),
    }
    if problems.is_empty() {
        crate::outln!("all good")?;
        return Ok(Exit::Ok);
    }
    Err(UsageError::new(problems.join("\n")).into())
}

/// With `[coordination]`: the shared database answers (its schema made or checked) for this
/// machine's name; a password that cannot be read or a database that does not answer is a
/// problem.
async fn coordination(cfg: &Config, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let Some(c) = &cfg.coordination else {
        return Ok(());
    };
    let password = match crate::config::resolve_pg_password(c, &cfg.path) {
        Ok(p) => p,
        Err(e) => {
            problems.push(e.0);
            return Ok(());
        }
    };
    let coord = crate::coord::Coordinator::new(c, password.as_ref()).map_err(UsageError::new)?;
    match coord.list(0).await {
        Ok(open) => crate::outln!(
            "coordination: {} answers; this machine is {} ({} rig recording(s) not done across the machines)",
            coord.place(),
            c.node,
            open.len()
        )?,
        Err(e) => problems.push(format!(
            "{e}; the rig recordings of this machine would wait until it answers"
        )),
    }
    Ok(())
}

/// Says whether the webhook is signed and the status server guarded (never the secrets);
/// a secret that cannot be read is a problem.
fn observing_secrets(cfg: &Config, problems: &mut Vec<String>) -> anyhow::Result<()> {
    if let Some(n) = &cfg.notify {
        match crate::config::resolve_webhook_secret(n, &cfg.path) {
            Ok(Some(s)) => crate::outln!(
                "webhook: every POST is signed (Standard Webhooks) with the secret in {}",
                s.source
            )?,
            Ok(None) => crate::outln!(
                "webhook: POSTs are unsigned (no [notify] secret_file, no systemd credential {}); a receiver cannot tell them from anyone's",
                crate::config::WEBHOOK_SECRET_CREDENTIAL
            )?,
            Err(e) => problems.push(e.0),
        }
    }
    if let Some(m) = &cfg.metrics {
        match crate::config::resolve_metrics_token(m, &cfg.path) {
            Ok(Some(s)) => crate::outln!(
                "metrics: /, /api/status and /metrics on {} ask for the bearer token in {}; /healthz is open",
                m.listen,
                s.source
            )?,
            Ok(None) if !m.listen.ip().is_loopback() => crate::outln!(
                "metrics: warning: {} is reachable beyond this machine with no bearer token: anyone who reaches it reads recording names, paths and failures; set [metrics] bearer_token_file",
                m.listen
            )?,
            Ok(None) => crate::outln!("metrics: {} (loopback), no bearer token", m.listen)?,
            Err(e) => problems.push(e.0),
        }
    }
    Ok(())
}

/// The effective user's name (or uid), for messages.
fn whoami() -> String {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| {
            p.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.get(2) == Some(&uid.to_string().as_str())).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// Proves a file can be written in `dir`, which must exist.
fn writable_existing(dir: &Path) -> std::io::Result<()> {
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such folder",
        ));
    }
    writable(dir)
}

/// Creates the dir if needed and proves a file can be written in it.
fn writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".check-{}", std::process::id()));
    std::fs::write(&probe, b"ok")?;
    std::fs::remove_file(&probe)
}
