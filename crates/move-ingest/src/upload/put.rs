//! The PUT itself: the reader thread started, the body streamed with a stall watchdog, the
//! storage's answer read, and the file stat'ed again so that a changed file is never used.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};
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
        let mut file = File::open(path).map_err(read_error)?;
        let sending: Option<Arc<dyn Transfer>> = self
            .watch
            .as_ref()
            .map(|w| Arc::from(w.start(path, facts.size)));
        let (body, hashed) = if facts.size <= INLINE_MAX && self.limiter.is_none() {
            // A small file (a sidecar, a short clip) is read and hashed here, in one piece: no
            // reader thread to wake and no chunk stream for a body that fits in one write.
            let (bytes, sha256) = read_small(&mut file, facts.size, path).map_err(read_error)?;
            progress.fetch_add(facts.size, Ordering::Relaxed);
            if let Some(s) = &sending {
                s.sent(facts.size);
            }
            (reqwest::Body::from(bytes), Hashed::Read(sha256))
        } else {
            let (tx, mut rx) = mpsc::channel(CHUNKS_IN_FLIGHT);
            let hashed = self.start_reader(file, facts.size, path, tx);
            let counted = progress.clone();
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
            (reqwest::Body::wrap_stream(stream), Hashed::Reader(hashed))
        };
        let request = self
            .http
            .put(url)
            .header(reqwest::header::CONTENT_LENGTH, facts.size)
            .body(body)
            .send();
        let response = match watch_stall(request, &progress, self.stall, self.limiter.as_deref())
            .await
        {
            // Cut off after the URL expired: the storage refuses that URL from now on.
            Err(_) if url_expired(url, SystemTime::now()) => return Err(UploadError::UrlExpired),
            response => response?,
        };
        accepted(response).await?;
        let (sha256, bytes) = match hashed {
            Hashed::Read(sha256) => (sha256, facts.size),
            Hashed::Reader(reader) => {
                let read = reader.await.map_err(|_| UploadError::Transient {
                    detail: "the file reader stopped before the end".into(),
                    retry_after: None,
                })?;
                read.map_err(read_error)?
            }
        };
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

/// Files up to this size are read and hashed on the calling task and sent as one body (about
/// 40 µs of work at most); bigger ones, and every file under a rate cap, stream from the reader.
const INLINE_MAX: u64 = 64 << 10;

/// Where the digest of the body comes from.
enum Hashed {
    /// Read and hashed before the request (a small file).
    Read(String),
    /// The reader thread's digest, once it read the whole file.
    Reader(oneshot::Receiver<HashResult>),
}

/// The whole of a small file of `size` bytes and its SHA-256; a file that ends early is an
/// error, as in the reader thread (one that grew is caught by the stat after the upload).
fn read_small(file: &mut File, size: u64, path: &Path) -> std::io::Result<(bytes::Bytes, String)> {
    let mut buf = Vec::with_capacity(size as usize);
    file.take(size).read_to_end(&mut buf)?;
    if (buf.len() as u64) < size {
        return Err(super::reader::shrank(path, buf.len() as u64));
    }
    let sha256 = hex::encode(Sha256::digest(&buf));
    Ok((bytes::Bytes::from(buf), sha256))
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::HeaderMap;
    use sha2::{Digest, Sha256};

    use super::{INLINE_MAX, Uploader};
    use crate::model::facts::Facts;
    use crate::upload::UploadError;

    /// What the storage received: the Content-Length header and the body.
    type Received = Arc<Mutex<Vec<(Option<String>, Vec<u8>)>>>;

    /// A storage on loopback that keeps every PUT body; returns the URL to PUT to.
    async fn storage() -> (String, Received) {
        let received = Received::default();
        let app = axum::Router::new()
            .route(
                "/put",
                axum::routing::put(
                    |State(r): State<Received>, headers: HeaderMap, body: Bytes| async move {
                        let length = headers
                            .get("content-length")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        r.lock().unwrap().push((length, body.to_vec()));
                    },
                ),
            )
            .with_state(received.clone())
            .layer(axum::extract::DefaultBodyLimit::max(16 << 20));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/put"), received)
    }

    fn uploader() -> Uploader {
        Uploader::new(
            reqwest::Client::new(),
            std::time::Duration::from_secs(10),
            0,
        )
    }

    async fn sends_whole(size: usize) {
        let (url, received) = storage().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let facts = Facts::stat(&path).unwrap();
        let progress = Arc::default();
        let sent = uploader()
            .put_with_progress(&url, &path, &facts, Arc::clone(&progress))
            .await
            .unwrap();
        assert_eq!(sent.bytes, size as u64);
        assert_eq!(sent.sha256, hex::encode(Sha256::digest(&bytes)));
        assert_eq!(
            progress.load(std::sync::atomic::Ordering::Relaxed),
            size as u64
        );
        let got = received.lock().unwrap();
        assert_eq!(got.len(), 1, "one PUT");
        assert_eq!(got[0].0.as_deref(), Some(size.to_string().as_str()));
        assert!(got[0].1 == bytes, "the storage got the file's bytes");
    }

    #[tokio::test]
    async fn a_small_file_is_sent_whole_with_its_length_and_digest() {
        sends_whole(10_000).await;
        sends_whole(INLINE_MAX as usize).await;
    }

    #[tokio::test]
    async fn a_file_over_the_inline_size_streams_with_the_same_result() {
        sends_whole(INLINE_MAX as usize + 1).await;
        sends_whole(3 << 20).await;
    }

    #[tokio::test]
    async fn a_small_file_that_shrank_before_it_was_read_is_not_sent() {
        let (url, received) = storage().await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("take.move");
        std::fs::write(&path, vec![1u8; 20_000]).unwrap();
        let facts = Facts::stat(&path).unwrap();
        std::fs::write(&path, vec![1u8; 5_000]).unwrap();
        let err = uploader().put(&url, &path, &facts).await.unwrap_err();
        assert!(
            matches!(&err, UploadError::Read { source, .. } if source.to_string().contains("shrank to 5000 bytes")),
            "{err}"
        );
        assert!(received.lock().unwrap().is_empty(), "nothing was sent");
    }
}
