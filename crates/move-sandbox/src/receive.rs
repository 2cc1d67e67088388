//! Streams an upload body to disk in big chunks, hashing it on a blocking thread, optionally paced.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Body;
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

/// Chunks in flight between the socket and the writer thread (each up to hyper's read buffer).
const CHUNKS_IN_FLIGHT: usize = 32;
/// The writer's buffer: smaller socket chunks are coalesced into writes of this size, bigger
/// ones (hyper hands out up to ~400 KiB) are written straight from the socket buffer, uncopied.
const WRITE_BUFFER: usize = 256 << 10;

/// Writes exactly `length` bytes of `body` to `target` (through a temp file and a rename) and
/// returns the size and the SHA-256 hex; fails, leaving `target` untouched, if the body
/// ends early, runs long or breaks.
pub(crate) async fn to_file(
    body: Body,
    target: &Path,
    length: u64,
    rate: Option<u64>,
) -> anyhow::Result<(u64, String)> {
    let tmp = temp_path(target);
    let (write_tx, write_rx) = mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
    let (hash_tx, hash_rx) = mpsc::channel::<Bytes>(CHUNKS_IN_FLIGHT);
    let writer_tmp = tmp.clone();
    // Writing and hashing each take a core's worth of work at loopback speed: one thread each.
    let writer = tokio::task::spawn_blocking(move || write_chunks(&writer_tmp, write_rx));
    let hasher = tokio::task::spawn_blocking(move || hash_chunks(hash_rx));
    let read = pump(body, [write_tx, hash_tx], length, rate).await;
    let written = writer.await.context("the upload writer thread failed");
    let hashed = hasher.await.context("the upload hasher thread failed");
    let outcome = match (read, written, hashed) {
        (Ok(count), Ok(Ok(())), Ok(sha)) if count == length => Ok((count, sha)),
        (Ok(count), Ok(Ok(())), Ok(_)) => Err(anyhow::anyhow!(
            "received {count} bytes, Content-Length said {length}"
        )),
        (Err(e), _, _) | (_, Err(e), _) | (_, Ok(Err(e)), _) | (_, _, Err(e)) => Err(e),
    };
    match outcome {
        Ok(done) => {
            tokio::fs::rename(&tmp, target).await.with_context(|| {
                format!("cannot rename {} to {}", tmp.display(), target.display())
            })?;
            Ok(done)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            Err(e)
        }
    }
}

/// A temp name next to `target`, unique so concurrent PUTs of one file do not collide.
fn temp_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    target.with_file_name(name)
}

/// Reads the body and hands its chunks to the writer; returns the bytes read.
async fn pump(
    body: Body,
    sinks: [mpsc::Sender<Bytes>; 2],
    length: u64,
    rate: Option<u64>,
) -> anyhow::Result<u64> {
    let started = Instant::now();
    let mut stream = body.into_data_stream();
    let mut count = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.context("the upload body broke off")?;
        count += chunk.len() as u64;
        if count > length {
            anyhow::bail!("the body runs past Content-Length {length}");
        }
        let [writer, hasher] = &sinks;
        if hasher.send(chunk.clone()).await.is_err() || writer.send(chunk).await.is_err() {
            // A worker stopped; its error explains why.
            break;
        }
        if let Some(rate) = rate {
            pace(started, count, rate).await;
        }
    }
    Ok(count)
}

/// Sleeps until `count` bytes at `rate` bytes per second would have taken since `started`.
async fn pace(started: Instant, count: u64, rate: u64) {
    let due = Duration::from_secs_f64(count as f64 / rate as f64);
    let elapsed = started.elapsed();
    if due > elapsed {
        tokio::time::sleep(due - elapsed).await;
    }
}

/// The blocking writer: every chunk to `tmp`, through a big buffer.
fn write_chunks(tmp: &Path, mut rx: mpsc::Receiver<Bytes>) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    while let Some(chunk) = rx.blocking_recv() {
        out.write_all(&chunk)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
    }
    out.flush()
        .with_context(|| format!("cannot write {}", tmp.display()))
}

/// The blocking hasher: the SHA-256 hex of every chunk, in order.
fn hash_chunks(mut rx: mpsc::Receiver<Bytes>) -> String {
    let mut hasher = Sha256::new();
    while let Some(chunk) = rx.blocking_recv() {
        hasher.update(&chunk);
    }
    hex::encode(hasher.finalize())
}

/// Reads and discards about `limit` bytes of a body at the throttled rate (the cut-upload fault).
pub(crate) async fn read_part(body: Body, limit: u64, rate: Option<u64>) {
    let started = Instant::now();
    let mut stream = body.into_data_stream();
    let mut count = 0u64;
    while count < limit {
        match stream.next().await {
            Some(Ok(chunk)) => count += chunk.len() as u64,
            _ => return,
        }
        if let Some(rate) = rate {
            pace(started, count, rate).await;
        }
    }
}
