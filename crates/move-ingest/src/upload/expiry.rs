//! Whether a presigned URL has expired, read from its own query (SigV2 and SigV4).

use std::time::SystemTime;

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
    use std::time::Duration;

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
}
