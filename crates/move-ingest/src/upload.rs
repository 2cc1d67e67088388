//! Streams one file to a presigned URL with a single PUT: read in chunks on a blocking
//! thread, hashed (SHA-256) on the way, paced by an optional rate cap, with a stall watchdog.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use crate::api::{error_chain, excerpt};
use crate::retry::Transient;
use crate::scan::Facts;

/// The most one PUT may carry (S3's single-PUT ceiling).
pub const MAX_PUT_BYTES: u64 = 5 << 30;
const CHUNK: usize = 1 << 20;
const CHUNKS_IN_FLIGHT: usize = 4;

/// A failed upload, classified for the retry policy.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The URL expired or was refused (403): get a new one with a new `createFile`.
    #[error("the storage refused the upload URL (HTTP {status}): {body}")]
    UrlRejected { status: u16, body: String },
    /// The URL's own expiry time has passed; it was not tried.
    #[error("the upload URL expired before the upload started")]
    UrlExpired,
    /// A 4xx other than 403: this file cannot be uploaded as it is.
    #[error("the storage refused the file (HTTP {status}): {body}")]
    Refused { status: u16, body: String },
    /// 5xx, 429, connection trouble: try the same URL again.
    #[error("the upload did not complete: {detail}")]
    Transient {
        detail: String,
        retry_after: Option<Duration>,
    },
    /// No byte was taken by the connection for the stall timeout.
    #[error("the upload made no progress for {0:?}")]
    Stalled(Duration),
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file changed while it was sent: what was sent must not be used.
    #[error(
        "{path} changed while it was uploaded ({detail}); it will be sent again once it holds still"
    )]
    Changed { path: PathBuf, detail: String },
}

impl Transient for UploadError {
    fn is_transient(&self) -> bool {
        matches!(
            self,
            UploadError::Transient { .. } | UploadError::Stalled(_)
        )
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            UploadError::Transient { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// What was sent and accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub sha256: String,
    pub bytes: u64,
}

/// A shared cap on the total upload rate.
#[derive(Debug)]
pub struct RateLimiter {
    bytes_per_sec: f64,
    next_free: std::sync::Mutex<Instant>,
}

impl RateLimiter {
    /// A cap of `bytes_per_sec` across every upload that shares it.
    pub fn new(bytes_per_sec: u64) -> RateLimiter {
        RateLimiter {
            bytes_per_sec: bytes_per_sec as f64,
            next_free: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Blocks the calling (reader) thread until `n` more bytes may go.
    fn take(&self, n: usize) {
        let now = Instant::now();
        let start = {
            let mut next = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(now);
            *next = start + Duration::from_secs_f64(n as f64 / self.bytes_per_sec);
            start
        };
        if start > now {
            std::thread::sleep(start - now);
        }
    }
}

/// Sends files to presigned URLs.
#[derive(Clone)]
pub struct Uploader {
    http: reqwest::Client,
    stall: Duration,
    limiter: Option<Arc<RateLimiter>>,
}

impl Uploader {
    /// An uploader on a shared HTTP client; `max_bytes_per_sec` 0 means no cap.
    pub fn new(http: reqwest::Client, stall: Duration, max_bytes_per_sec: u64) -> Uploader {
        let limiter =
            (max_bytes_per_sec > 0).then(|| Arc::new(RateLimiter::new(max_bytes_per_sec)));
        Uploader {
            http,
            stall,
            limiter,
        }
    }

    /// PUTs the file at `path`, which must still match `facts`, to `url` exactly as given:
    /// Content-Length and the bytes, no Content-Type or Content-MD5 (they are part of a
    /// SigV2 signature). Afterwards the file is stat'ed again: if it changed, the upload is refused.
    pub async fn put(&self, url: &str, path: &Path, facts: &Facts) -> Result<Sent, UploadError> {
        if url_expired(url, SystemTime::now()) {
            return Err(UploadError::UrlExpired);
        }
        let file = File::open(path).map_err(|source| UploadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
        let (hash_tx, hash_rx) = oneshot::channel();
        let size = facts.size;
        let limiter = self.limiter.clone();
        let reader_path = path.to_path_buf();
        std::thread::Builder::new()
            .name("upload-reader".into())
            .spawn(move || read_chunks(file, size, &reader_path, limiter.as_deref(), tx, hash_tx))
            .map_err(|source| UploadError::Read {
                path: path.to_path_buf(),
                source,
            })?;

        let progress = Arc::new(AtomicU64::new(0));
        let counted = progress.clone();
        let stream = futures_util::stream::poll_fn(move |cx| {
            let item = rx.poll_recv(cx);
            if let std::task::Poll::Ready(Some(Ok(b))) = &item {
                counted.fetch_add(b.len() as u64, Ordering::Relaxed);
            }
            item
        });
        let request = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, size)
            .body(reqwest::Body::wrap_stream(stream))
            .send();
        let response = watch_stall(request, &progress, self.stall).await?;
        let status = response.status();
        if !status.is_success() {
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
            return Err(classify_status(status.as_u16(), body, retry_after));
        }
        let read = hash_rx.await.map_err(|_| UploadError::Transient {
            detail: "the file reader stopped before the end".into(),
            retry_after: None,
        })?;
        let (sha256, bytes) = read.map_err(|source| UploadError::Read {
            path: path.to_path_buf(),
            source,
        })?;
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
        if !after.same_version(facts) || bytes != size {
            return Err(UploadError::Changed {
                path: path.to_path_buf(),
                detail: format!("{} bytes before, {} read, {} now", size, bytes, after.size),
            });
        }
        Ok(Sent { sha256, bytes })
    }
}

/// Waits for the response, failing if the body makes no progress for `stall`.
async fn watch_stall(
    request: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    progress: &AtomicU64,
    stall: Duration,
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
                if now != last.0 {
                    last = (now, Instant::now());
                } else if last.1.elapsed() >= stall {
                    return Err(UploadError::Stalled(stall));
                }
            }
        }
    }
}

fn classify_status(status: u16, body: String, retry_after: Option<Duration>) -> UploadError {
    match status {
        403 => UploadError::UrlRejected { status, body },
        408 | 429 | 500..=599 => UploadError::Transient {
            detail: format!("HTTP {status}: {body}"),
            retry_after,
        },
        _ => UploadError::Refused { status, body },
    }
}

type HashResult = Result<(String, u64), std::io::Error>;

/// The reader thread: chunks to the channel, SHA-256 on the way, the digest at the end.
fn read_chunks(
    mut file: File,
    size: u64,
    path: &Path,
    limiter: Option<&RateLimiter>,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    done: oneshot::Sender<HashResult>,
) {
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let pool = Pool::new(size.min(CHUNK as u64) as usize);
    let result = loop {
        let want = (size - total.min(size)).min(CHUNK as u64) as usize;
        if want == 0 {
            break Ok(());
        }
        let mut buf = pool.take();
        match file.read(&mut buf[..want]) {
            Ok(0) => {
                break Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "{} shrank to {total} bytes while it was read",
                        path.display()
                    ),
                ));
            }
            Ok(n) => {
                hasher.update(&buf[..n]);
                total += n as u64;
                if let Some(l) = limiter {
                    l.take(n);
                }
                let chunk = Bytes::from_owner(Chunk {
                    buf,
                    len: n,
                    pool: pool.clone(),
                });
                if tx.blocking_send(Ok(chunk)).is_err() {
                    return; // the request was dropped
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => pool.give(buf),
            Err(e) => break Err(e),
        }
    };
    match result {
        Ok(()) => {
            let _ = done.send(Ok((hex::encode(hasher.finalize()), total)));
        }
        Err(e) => {
            let _ = tx.blocking_send(Err(std::io::Error::new(e.kind(), e.to_string())));
            let _ = done.send(Err(e));
        }
    }
}

/// The reader's chunk buffers, handed back once hyper has sent (and dropped) a chunk:
/// no allocation, zeroing or page faults per chunk, and memory bounded by the chunks in
/// flight whatever the file size.
struct Pool {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
    len: usize,
}

/// Buffers kept for reuse: the channel's chunks, the one being read, and the ones hyper holds.
const POOLED: usize = CHUNKS_IN_FLIGHT + 4;

impl Pool {
    fn new(len: usize) -> Arc<Pool> {
        Arc::new(Pool {
            free: std::sync::Mutex::new(Vec::with_capacity(POOLED)),
            len,
        })
    }

    fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        reused.unwrap_or_else(|| vec![0; self.len])
    }

    fn give(&self, buf: Vec<u8>) {
        if let Ok(mut free) = self.free.lock()
            && free.len() < POOLED
        {
            free.push(buf);
        }
    }
}

/// A filled buffer on its way to the socket; goes back to its pool when dropped.
struct Chunk {
    buf: Vec<u8>,
    len: usize,
    pool: Arc<Pool>,
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.buf));
    }
}

/// Computes a file's SHA-256 (to tell a touched file from new bytes).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// True if a presigned URL says it has expired: SigV2 `Expires` (Unix time) or SigV4
/// `X-Amz-Date` + `X-Amz-Expires`. URLs without either are taken to be valid.
pub fn url_expired(url: &str, now: SystemTime) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    let now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut date = None;
    let mut expires_in = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "Expires" => {
                if let Ok(at) = v.parse::<u64>() {
                    return at <= now;
                }
            }
            "X-Amz-Date" => date = parse_amz_date(&v),
            "X-Amz-Expires" => expires_in = v.parse::<u64>().ok(),
            _ => {}
        }
    }
    matches!((date, expires_in), (Some(d), Some(e)) if d + e <= now)
}

/// `20260101T120000Z` to Unix seconds.
fn parse_amz_date(s: &str) -> Option<u64> {
    if s.len() != 16 {
        return None;
    }
    let iso = format!(
        "{}-{}-{}T{}:{}:{}Z",
        &s[0..4],
        &s[4..6],
        &s[6..8],
        &s[9..11],
        &s[11..13],
        &s[13..15]
    );
    humantime::parse_rfc3339(&iso)
        .ok()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn sigv2_expiry() {
        let url = "https://b.s3.amazonaws.com/k?AWSAccessKeyId=A&Signature=s%2B&Expires=1000";
        assert!(!url_expired(url, at(999)));
        assert!(url_expired(url, at(1000)));
    }

    #[test]
    fn sigv4_expiry() {
        let url = "https://b.s3.amazonaws.com/k?X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-Signature=x";
        let start = 1_767_225_600; // 2026-01-01T00:00:00Z
        assert!(!url_expired(url, at(start + 59)));
        assert!(url_expired(url, at(start + 60)));
    }

    #[test]
    fn urls_without_expiry_are_valid() {
        assert!(!url_expired(
            "http://127.0.0.1:1/upload/x",
            at(u64::MAX / 2)
        ));
    }

    #[test]
    fn statuses_are_classified() {
        assert!(matches!(
            classify_status(403, String::new(), None),
            UploadError::UrlRejected { .. }
        ));
        assert!(classify_status(503, String::new(), None).is_transient());
        assert!(matches!(
            classify_status(400, String::new(), None),
            UploadError::Refused { .. }
        ));
    }
}
