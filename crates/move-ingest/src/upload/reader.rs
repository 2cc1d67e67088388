//! The reader thread of one upload: the file in chunks to the request body, SHA-256 on the
//! way, paced by the rate cap, and the digest at the end.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, oneshot};

use super::pool::{Chunk, Pool};
use super::{CHUNK, RateLimiter};

/// The digest and the number of bytes read, or why reading stopped.
pub(super) type HashResult = Result<(String, u64), std::io::Error>;

/// The body's chunks as the request reads them.
pub(super) type Body = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Reads `size` bytes of `file` into `tx`, then sends the digest to `done`.
pub(super) fn read_chunks(
    mut file: File,
    size: u64,
    path: &Path,
    limiter: Option<&RateLimiter>,
    tx: Body,
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
            Ok(0) => break Err(shrank(path, total)),
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
    let _ = match result {
        Ok(()) => done.send(Ok((hex::encode(hasher.finalize()), total))),
        Err(e) => {
            let _ = tx.blocking_send(Err(std::io::Error::new(e.kind(), e.to_string())));
            done.send(Err(e))
        }
    };
}

pub(super) fn shrank(path: &Path, total: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        format!(
            "{} shrank to {total} bytes while it was read",
            path.display()
        ),
    )
}
