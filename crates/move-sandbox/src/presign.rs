//! Presigned storage URLs shaped like Move's SigV2 S3 URLs, signed with the data dir's secret.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// The access key id every sandbox URL carries.
pub(crate) const ACCESS_KEY_ID: &str = "SANDBOXKEYID";

/// Why a presigned URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Missing or wrong `AWSAccessKeyId`, `Expires` or `Signature`.
    BadSignature,
    /// The signature holds but `Expires` is past.
    Expired,
}

/// Seconds since the epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The signature of one verb on one file until `expires`.
fn signature(secret: &str, method: &str, file_id: &str, expires: u64) -> String {
    let mut hasher = Sha256::new();
    for part in [secret, method, file_id, &expires.to_string()] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// A URL under `base` that lets `method` (PUT or GET) reach `file_id` for `ttl`.
pub(crate) fn url(base: &str, secret: &str, method: &str, file_id: &str, ttl: Duration) -> String {
    let expires = unix_now().saturating_add(ttl.as_secs());
    let sig = signature(secret, method, file_id, expires);
    format!(
        "{base}/storage/{file_id}?AWSAccessKeyId={ACCESS_KEY_ID}&Expires={expires}&Signature={sig}"
    )
}

/// Checks a request's query string against its verb and file; the signature first, then expiry.
pub(crate) fn verify(
    secret: &str,
    method: &str,
    file_id: &str,
    query: &HashMap<String, String>,
) -> Result<(), Refusal> {
    let param = |name: &str| query.get(name).map(String::as_str);
    if param("AWSAccessKeyId") != Some(ACCESS_KEY_ID) {
        return Err(Refusal::BadSignature);
    }
    let expires: u64 = param("Expires")
        .and_then(|e| e.parse().ok())
        .ok_or(Refusal::BadSignature)?;
    let expected = signature(secret, method, file_id, expires);
    if param("Signature") != Some(expected.as_str()) {
        return Err(Refusal::BadSignature);
    }
    if unix_now() > expires {
        return Err(Refusal::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query_of(url: &str) -> HashMap<String, String> {
        let query = url.split_once('?').map_or("", |(_, q)| q);
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn signed_url_verifies_for_its_verb_and_file_only() {
        let u = url(
            "http://x",
            "s3cret",
            "PUT",
            "file-1",
            Duration::from_secs(60),
        );
        let q = query_of(&u);
        assert_eq!(verify("s3cret", "PUT", "file-1", &q), Ok(()));
        assert_eq!(
            verify("s3cret", "GET", "file-1", &q),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify("s3cret", "PUT", "file-2", &q),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            verify("other", "PUT", "file-1", &q),
            Err(Refusal::BadSignature)
        );
    }

    #[test]
    fn past_expiry_is_expired() {
        let expires = unix_now() - 10;
        let sig = signature("k", "PUT", "f", expires);
        let q = query_of(&format!(
            "?AWSAccessKeyId={ACCESS_KEY_ID}&Expires={expires}&Signature={sig}"
        ));
        assert_eq!(verify("k", "PUT", "f", &q), Err(Refusal::Expired));
    }
}
