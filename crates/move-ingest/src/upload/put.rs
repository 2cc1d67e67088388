//! The PUT itself: the reader thread started, the body streamed with a stall watchdog, the
//! storage's answer read, and the file stat'ed again so that a changed file is never used.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::{mpsc, oneshot};

use super::reader::{HashResult, read_chunks};
use super::{CHUNKS_IN_FLIGHT, Sent, Transfer, UploadError, Uploader, url_expired};
use crate::api::{error_chain, excerpt};
use crate::model::facts::Facts;

impl Uploader {
    /// PUTs the file at `path`, which must still match `facts`, to `url` exactly as given:
    /// Content-Length and the bytes, no Content-Type or Content-MD5 (they are part of a
    /// SigV2 signature). Afterwards the file is stat'ed again: if it changed, the upload is refused.
    pub async fn put(&self, url: &str, path: &Path, facts: &Facts) -> Result<Sent, UploadError> {
        self.put_with_progress(url, path, facts, Arc::default())
            .await
    }

    /// `put`, counting the bytes handed to the connection into `progress` as they go.
    pub async fn put_with_progress(
        &self,
        url: &str,
        path: &Path,
        facts: &Facts,
        progress: Arc<AtomicU64>,
    ) -> Result<Sent, UploadError> {
        if url_expired(url, SystemTime::now()) {
            return Err(UploadError::UrlExpired);
        }
        let read_error = |source| UploadError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(read_error)?;
        let (tx, mut rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let hashed = self.start_reader(file, facts.size, path, tx);
        let counted = progress.clone();
        let sending: Option<Arc<dyn Transfer>> = self
            .watch
            .as_ref()
            .map(|w| Arc::from(w.start(path, facts.size)));
        let watched = sending.clone();
        let stream = futures_util::stream::poll_fn(move |cx| {
            let item = rx.poll_recv(cx);
            if let std::task::Poll::Ready(Some(Ok(b))) = &item {
                let n = b.len() as u64;
                let total = counted.fetch_add(n, Ordering::Relaxed) + n;
                if let Some(s) = &watched {
                    s.sent(total);
                }
            }
            item
        });
        let request = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, facts.size)
            .body(reqwest::Body::wrap_stream(stream))
            .send();
        let response = match watch_stall(request, &progress, self.stall, self.limiter.as_deref())
            .await
        {
            // Cut off after the URL expired: the storage refuses that URL from now on.
            Err(_) if url_expired(url, SystemTime::now()) => return Err(UploadError::UrlExpired),
            response => response?,
        };
        accepted(response).await?;
        let read = hashed.await.map_err(|_| UploadError::Transient {
            detail: "the file reader stopped before the end".into(),
            retry_after: None,
        })?;
        let (sha256, bytes) = read.map_err(read_error)?;
        held_still(path, facts, bytes)?;
        if let Some(s) = &sending {
            s.accepted();
        }
        Ok(Sent { sha256, bytes })
    }

    /// Starts the reader on the runtime's blocking threads (kept for the next upload: a
    /// thousand small files do not start a thousand threads); the digest arrives on the
    /// returned channel.
    fn start_reader(
        &self,
        file: File,
        size: u64,
        path: &Path,
        tx: super::reader::Body,
    ) -> oneshot::Receiver<HashResult> {
        let (hash_tx, hash_rx) = oneshot::channel();
        let limiter = self.limiter.clone();
        let reader_path = path.to_path_buf();
        drop(tokio::task::spawn_blocking(move || {
            read_chunks(file, size, &reader_path, limiter.as_deref(), tx, hash_tx)
        }));
        hash_rx
    }
}

/// Waits for the response, failing if the body makes no progress for `stall`.
async fn watch_stall(
    request: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    progress: &AtomicU64,
    stall: Duration,
    limiter: Option<&super::RateLimiter>,
) -> Result<reqwest::Response, UploadError> {
    tokio::pin!(request);
    let tick = (stall / 4).max(Duration::from_millis(100));
    let mut last = (progress.load(Ordering::Relaxed), Instant::now());
    loop {
        tokio::select! {
            r = &mut request => {
                return r.map_err(|e| UploadError::Transient { detail: error_chain(&e), retry_after: None });
            }
            () = tokio::time::sleep(tick) => {
                let now = progress.load(Ordering::Relaxed);
                // Bytes moved, or the timetable holds them back: not a stall.
                if now != last.0 || limiter.is_some_and(|l| l.paused()) {
                    last = (now, Instant::now());
                } else if last.1.elapsed() >= stall {
                    return Err(UploadError::Stalled(stall));
                }
            }
        }
    }
}

/// The storage accepted the PUT, or the error its answer means.
async fn accepted(response: reqwest::Response) -> Result<(), UploadError> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::api::error::parse_retry_after);
    let body = response
        .bytes()
        .await
        .map(|b| excerpt(&b))
        .unwrap_or_default();
    Err(UploadError::from_status(status.as_u16(), body, retry_after))
}

/// The file is still the version that was sent, and all of it was read.
fn held_still(path: &Path, facts: &Facts, read: u64) -> Result<(), UploadError> {
    let after = match Facts::stat(path) {
        Ok(after) => after,
        // Deleted while it was sent: the recording leaves the queue, as for a file deleted before.
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(UploadError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
        Err(e) => {
            return Err(UploadError::Changed {
                path: path.to_path_buf(),
                detail: e.to_string(),
            });
        }
    };
    if !after.same_version(facts) || read != facts.size {
        return Err(UploadError::Changed {
            path: path.to_path_buf(),
            detail: format!(
                "{} bytes before, {read} read, {} now",
                facts.size, after.size
            ),
        });
    }
    Ok(())
}
