//! What can go wrong talking to the Move API, and which of it is worth retrying.

use std::time::Duration;

/// One error entry of an AppSync answer.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GqlError {
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub message: String,
}

/// A failed API call. Never holds the key.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// HTTP 401/403: the key was rejected.
    #[error("{op}: the Move API rejected the API key (HTTP {status}) read from {key_source}")]
    Auth {
        op: &'static str,
        status: u16,
        key_source: String,
    },
    /// The request could not be sent, or its answer was lost (connect error, timeout, reset).
    #[error("{op}: no answer from the Move API: {detail}")]
    Transport {
        op: &'static str,
        detail: String,
        sent: bool,
    },
    /// An HTTP error status (5xx, 429, other 4xx).
    #[error("{op}: the Move API answered HTTP {status}: {body}")]
    Status {
        op: &'static str,
        status: u16,
        retry_after: Option<Duration>,
        body: String,
    },
    /// The API answered with GraphQL errors.
    #[error("{op}: the Move API refused: {}", describe(errors))]
    GraphQl {
        op: &'static str,
        errors: Vec<GqlError>,
    },
    /// The answer was not what the schema promises.
    #[error("{op}: unexpected answer from the Move API: {detail}")]
    Decode { op: &'static str, detail: String },
}

fn describe(errors: &[GqlError]) -> String {
    errors
        .iter()
        .map(|e| match &e.error_type {
            Some(t) => format!("{t}: {}", e.message),
            None => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// Worth retrying with backoff: connection trouble, 5xx, 429 and AppSync throttling.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Transport { .. } => true,
            ApiError::Status { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            ApiError::GraphQl { errors, .. } => errors.iter().any(|e| {
                let t = e.error_type.as_deref().unwrap_or_default();
                t.contains("Throttl")
                    || t.contains("TooManyRequests")
                    || t.contains("LimitExceeded")
                    || t == "InternalFailure"
            }),
            ApiError::Auth { .. } | ApiError::Decode { .. } => false,
        }
    }

    /// The request may have been performed even though no answer arrived.
    pub fn is_ambiguous(&self) -> bool {
        match self {
            ApiError::Transport { sent, .. } => *sent,
            ApiError::Status { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// How long the server asked us to wait (Retry-After).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The AppSync error types, e.g. `MoveNotFoundError`.
    pub fn error_types(&self) -> Vec<&str> {
        match self {
            ApiError::GraphQl { errors, .. } => errors
                .iter()
                .filter_map(|e| e.error_type.as_deref())
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Parses a Retry-After header: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// What the retry policy makes of an API error: transient ones (with the server's
/// `Retry-After`) are tried again, the rest are not.
impl crate::retry::Failure for ApiError {
    fn cause(&self) -> crate::retry::Cause {
        if self.is_transient() {
            crate::retry::Cause::Transient {
                retry_after: self.retry_after(),
            }
        } else {
            crate::retry::Cause::Permanent
        }
    }
}

/// The API answered that the key is not valid (HTTP 401/403 on the GraphQL endpoint).
///
/// Carries where the key was read from, never the key.
#[derive(Debug, thiserror::Error)]
#[error(
    "the Move API rejected the API key (HTTP {status}) read from {source_desc}; check the key, or where it is read from: $MOVE_API_KEY, api.key_file, $CREDENTIALS_DIRECTORY/move-api-key"
)]
pub struct AuthError {
    /// The HTTP status the API answered.
    pub status: u16,
    /// Where the key came from, e.g. "$MOVE_API_KEY" or "key file /etc/move-ingest/api-key".
    pub source_desc: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn classification() {
        let s = |status| ApiError::Status {
            op: "x",
            status,
            retry_after: None,
            body: String::new(),
        };
        assert!(s(503).is_transient());
        assert!(s(429).is_transient());
        assert!(!s(400).is_transient());
        let gql = |t: &str| ApiError::GraphQl {
            op: "x",
            errors: vec![GqlError {
                error_type: Some(t.into()),
                message: String::new(),
            }],
        };
        assert!(!gql("MoveNotFoundError").is_transient());
        assert!(gql("ThrottlingException").is_transient());
    }
}
