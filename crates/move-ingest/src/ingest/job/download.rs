//! Downloading a finished job's outputs: each streamed to a temporary name, size-checked,
//! fsynced and renamed into place, then recorded so that it is never fetched again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::api::jobs::Job;
use crate::ingest::{Fatal, Ingest};
use crate::model::job::JobTrack;
use crate::model::recording::{Event, Recording};

impl Ingest {
    /// Downloads each output not downloaded yet; the outer error is the state's, the inner
    /// one the first download that did not work. Returns how many outputs the job has.
    pub(super) async fn download_outputs(
        &self,
        rec: &Recording,
        track: &JobTrack,
        job: &Job,
        root: &Path,
        (device, stem): (&str, &str),
    ) -> Result<Result<usize, String>, Fatal> {
        let outputs: Vec<_> = job.outputs.iter().flatten().flatten().collect();
        for output in &outputs {
            let key = output.key.as_deref().unwrap_or("OUTPUT");
            if track.has_downloaded(key) {
                continue;
            }
            let file = output.file.as_ref();
            let Some(url) = file.and_then(|f| f.presigned_url.as_deref()) else {
                return Ok(Err(format!(
                    "output {key} of job {} has no download URL yet",
                    job.id
                )));
            };
            let ext = file
                .and_then(|f| f.file_type.as_deref())
                .or(output.format.as_deref())
                .unwrap_or("bin");
            let dest = output_path(root, device, stem, key, ext);
            self.monitor
                .step(&rec.id, crate::observe::monitor::Doing::DownloadingOutput);
            match self.download(url, &dest).await {
                Ok(size) => {
                    tracing::info!(rec = %rec.id, job = %job.id, output = key, path = %dest.display(), size, "job output downloaded");
                    let ev = Event::JobOutputDownloaded {
                        key: key.to_string(),
                        path: dest,
                        size,
                    };
                    self.store.record(&rec.id, ev).await?;
                }
                Err(e) => {
                    return Ok(Err(format!(
                        "cannot download output {key} of job {}: {e}",
                        job.id
                    )));
                }
            }
        }
        Ok(Ok(outputs.len()))
    }

    /// Streams `url` to a temporary name beside `dest`, checks its size against Content-Length,
    /// fsyncs it, renames it into place and fsyncs the folder. Returns the size.
    async fn download(&self, url: &str, dest: &Path) -> Result<u64, String> {
        let parent = dest.parent().unwrap_or(Path::new("/"));
        tokio::fs::create_dir_all(parent).await.map_err(|e| {
            format!(
                "cannot create {}: {e} (check that the service may write to [job] download_to)",
                parent.display()
            )
        })?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = parent.join(format!(".{name}.move-ingest-part"));
        let result = self.fetch_to(url, &tmp).await;
        let size = match result {
            Ok(size) => size,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        tokio::fs::rename(&tmp, dest)
            .await
            .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), dest.display()))?;
        std::fs::File::open(parent)
            .and_then(|d| d.sync_all())
            .map_err(|e| format!("cannot fsync {}: {e}", parent.display()))?;
        Ok(size)
    }

    async fn fetch_to(&self, url: &str, tmp: &Path) -> Result<u64, String> {
        let stall = Duration::from_secs(self.cfg.api.stall_timeout_secs.max(1));
        let resp = tokio::time::timeout(stall, self.http.get(url).send())
            .await
            .map_err(|_| format!("no answer within {}s", stall.as_secs()))?
            .map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("the storage answered HTTP {status}"));
        }
        let expected = resp.content_length();
        let mut file = tokio::fs::File::create(tmp)
            .await
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        let mut body = resp.bytes_stream();
        let mut got: u64 = 0;
        loop {
            let chunk = match tokio::time::timeout(stall, body.next()).await {
                Err(_) => return Err(format!("the download stalled for {}s", stall.as_secs())),
                Ok(None) => break,
                Ok(Some(chunk)) => chunk.map_err(|e| format!("the download broke off: {e}"))?,
            };
            file.write_all(&chunk)
                .await
                .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
            got += chunk.len() as u64;
        }
        if let Some(expected) = expected
            && expected != got
        {
            return Err(format!("got {got} bytes of {expected}"));
        }
        file.sync_all()
            .await
            .map_err(|e| format!("cannot fsync {}: {e}", tmp.display()))?;
        Ok(got)
    }
}

/// `<root>/<device label>/<stem>/<output key>.<ext>`, each part kept to a plain file name.
pub fn output_path(root: &Path, device: &str, stem: &str, key: &str, ext: &str) -> PathBuf {
    let ext: String = ext
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let ext = if ext.is_empty() { "bin".into() } else { ext };
    root.join(plain(device))
        .join(plain(stem))
        .join(format!("{}.{ext}", plain(key)))
}

/// A path component that cannot climb out of its folder.
fn plain(part: &str) -> String {
    let s: String = part
        .chars()
        .map(|c| if c == '/' || c == '\0' { '_' } else { c })
        .collect();
    match s.as_str() {
        "" | "." | ".." => format!("_{s}"),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_stay_below_the_root() {
        let root = Path::new("/srv/out");
        assert_eq!(
            output_path(root, "cam-a", "clip 1", "MAIN_FBX", "fbx"),
            Path::new("/srv/out/cam-a/clip 1/MAIN_FBX.fbx")
        );
        assert_eq!(
            output_path(root, "..", "a/b", "K", "../x"),
            Path::new("/srv/out/_../a_b/K.x")
        );
    }
}
