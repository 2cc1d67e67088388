//! The reader's chunk buffers, handed back once hyper has sent (and dropped) a chunk:
//! no allocation, zeroing or page faults per chunk, and memory bounded by the chunks in
//! flight whatever the file size.

use std::sync::Arc;

use super::CHUNKS_IN_FLIGHT;

/// Buffers kept for reuse: the channel's chunks, the one being read, and the ones hyper holds.
const POOLED: usize = CHUNKS_IN_FLIGHT + 4;

/// Free buffers of one length.
pub(super) struct Pool {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
    len: usize,
}

impl Pool {
    pub(super) fn new(len: usize) -> Arc<Pool> {
        Arc::new(Pool {
            free: std::sync::Mutex::new(Vec::with_capacity(POOLED)),
            len,
        })
    }

    /// A free buffer, or a new one.
    pub(super) fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut free| free.pop());
        reused.unwrap_or_else(|| vec![0; self.len])
    }

    /// Hands a buffer back for reuse (dropped when enough are kept).
    pub(super) fn give(&self, buf: Vec<u8>) {
        if let Ok(mut free) = self.free.lock()
            && free.len() < POOLED
        {
            free.push(buf);
        }
    }
}

/// A filled buffer on its way to the socket; goes back to its pool when dropped.
pub(super) struct Chunk {
    pub(super) buf: Vec<u8>,
    pub(super) len: usize,
    pub(super) pool: Arc<Pool>,
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
