//! The two optional secrets of the observing side, read like the API key (a file named in the
//! config, else a systemd credential) and never shown: the webhook's signing secret
//! (`[notify] secret_file`, credential `webhook-secret`) and the status server's bearer token
//! (`[metrics] bearer_token_file`, credential `metrics-token`).

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;

use super::{MetricsConfig, NotifyConfig, UsageError};

/// The systemd credential that holds the webhook secret (`LoadCredential=webhook-secret:...`).
pub const WEBHOOK_SECRET_CREDENTIAL: &str = "webhook-secret";
/// The systemd credential that holds the status server's token (`LoadCredential=metrics-token:...`).
pub const METRICS_TOKEN_CREDENTIAL: &str = "metrics-token";

/// The Standard Webhooks prefix of a signing secret: `whsec_` then the key in base64.
const WHSEC: &str = "whsec_";
/// The shortest signing key accepted, in bytes (the specification asks for 24 to 64).
const MIN_KEY_BYTES: usize = 24;
/// The shortest bearer token accepted, in characters.
const MIN_TOKEN_CHARS: usize = 16;

/// Secret bytes: the webhook's HMAC key or the bearer token. Its `Debug` prints `***`; it has
/// no `Display`, so it cannot end up in a message, a log line or a state file.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub(super) fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    /// The bytes themselves, for the HMAC or the comparison only.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A secret and where it came from (for messages; never the secret itself).
#[derive(Debug, Clone)]
pub struct ResolvedSecret {
    pub secret: Secret,
    pub source: String,
}

/// The webhook's signing key: `notify.secret_file`, else `$CREDENTIALS_DIRECTORY/webhook-secret`
/// when that file exists; `None` (unsigned POSTs) when neither is there. The file's first line is
/// `whsec_` and the key in base64 (the Standard Webhooks form; the prefix may be left out).
pub fn resolve_webhook_secret(
    notify: &NotifyConfig,
    config: &Path,
) -> Result<Option<ResolvedSecret>, UsageError> {
    let Some((file, via)) = find(
        notify.secret_file.as_deref(),
        "[notify] secret_file",
        WEBHOOK_SECRET_CREDENTIAL,
    ) else {
        return Ok(None);
    };
    let line = first_line(&file, &via, "webhook secret", config)?;
    // Padded or not, as the reference libraries take it.
    let base64 = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let key = base64
        .decode(line.strip_prefix(WHSEC).unwrap_or(&line))
        // The decoder's error names the offending byte: a piece of the secret. Not shown.
        .map_err(|_| {
            UsageError::new(format!(
                "the webhook secret in {} (from {via}) is not `whsec_` followed by base64; make one with: echo \"whsec_$(openssl rand -base64 32)\" > {}",
                file.display(),
                file.display()
            ))
        })?;
    if key.len() < MIN_KEY_BYTES {
        return Err(UsageError::new(format!(
            "the webhook secret in {} (from {via}) is {} bytes long, under the {MIN_KEY_BYTES} the Standard Webhooks specification asks for; make one with: echo \"whsec_$(openssl rand -base64 32)\" > {}",
            file.display(),
            key.len(),
            file.display()
        )));
    }
    Ok(Some(ResolvedSecret {
        secret: Secret(key),
        source: format!("{} (from {via})", file.display()),
    }))
}

/// The status server's bearer token: `metrics.bearer_token_file`, else
/// `$CREDENTIALS_DIRECTORY/metrics-token` when that file exists; `None` (no authentication)
/// when neither is there. The file's first line is the token.
pub fn resolve_metrics_token(
    metrics: &MetricsConfig,
    config: &Path,
) -> Result<Option<ResolvedSecret>, UsageError> {
    let Some((file, via)) = find(
        metrics.bearer_token_file.as_deref(),
        "[metrics] bearer_token_file",
        METRICS_TOKEN_CREDENTIAL,
    ) else {
        return Ok(None);
    };
    let token = first_line(&file, &via, "bearer token", config)?;
    let make = format!("make one with: openssl rand -hex 32 > {}", file.display());
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(UsageError::new(format!(
            "the bearer token in {} (from {via}) holds a space or a character that cannot travel in an HTTP header; {make}",
            file.display()
        )));
    }
    if token.len() < MIN_TOKEN_CHARS {
        return Err(UsageError::new(format!(
            "the bearer token in {} (from {via}) is {} characters long, under {MIN_TOKEN_CHARS}: too easy to guess; {make}",
            file.display(),
            token.len()
        )));
    }
    Ok(Some(ResolvedSecret {
        secret: Secret(token.into_bytes()),
        source: format!("{} (from {via})", file.display()),
    }))
}

/// The file named in the config, else the systemd credential if the service has it.
pub(super) fn find(
    configured: Option<&Path>,
    key: &str,
    credential: &str,
) -> Option<(PathBuf, String)> {
    if let Some(file) = configured {
        return Some((file.to_path_buf(), key.to_string()));
    }
    let dir = std::env::var_os("CREDENTIALS_DIRECTORY")?;
    let file = Path::new(&dir).join(credential);
    file.exists().then(|| {
        (
            file,
            format!("the systemd credential {credential}, $CREDENTIALS_DIRECTORY"),
        )
    })
}

/// The first line of `file`, trimmed; an unreadable or empty file is a usage error.
pub(super) fn first_line(
    file: &Path,
    via: &str,
    what: &str,
    config: &Path,
) -> Result<String, UsageError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        UsageError::new(format!(
            "cannot read the {what} file {} (from {via}): {e}; fix the path in {} or give the service user read access",
            file.display(),
            config.display()
        ))
    })?;
    let line = text.lines().next().unwrap_or_default().trim().to_string();
    if line.is_empty() {
        return Err(UsageError::new(format!(
            "the {what} file {} (from {via}) is empty; its first line must hold the {what}",
            file.display()
        )));
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notify(file: &Path) -> NotifyConfig {
        NotifyConfig {
            webhook: "http://127.0.0.1:1/hook".into(),
            summary_every_secs: 60,
            secret_file: Some(file.to_path_buf()),
        }
    }

    fn metrics(file: &Path) -> MetricsConfig {
        MetricsConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            unhealthy_after_secs: 600,
            bearer_token_file: Some(file.to_path_buf()),
        }
    }

    #[test]
    fn a_whsec_secret_is_decoded_after_its_prefix_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD\n").unwrap();
        let got = resolve_webhook_secret(&notify(&file), Path::new("/c.toml"))
            .unwrap()
            .unwrap();
        assert_eq!(got.secret.expose().len(), 24);
        let shown = format!("{got:?}");
        assert!(
            shown.contains("***") && !shown.contains("C2FVsBQ"),
            "{shown}"
        );
        assert!(
            got.source.contains("[notify] secret_file"),
            "{}",
            got.source
        );
        // Without its padding, and without the prefix, it is the same key.
        std::fs::write(&file, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
        let unpadded = resolve_webhook_secret(&notify(&file), Path::new("/c.toml"))
            .unwrap()
            .unwrap();
        assert_eq!(unpadded.secret.expose(), (0..32).collect::<Vec<u8>>());
        std::fs::write(&file, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        let bare = resolve_webhook_secret(&notify(&file), Path::new("/c.toml"))
            .unwrap()
            .unwrap();
        assert_eq!(bare.secret.expose(), unpadded.secret.expose());
    }

    #[test]
    fn a_bad_or_short_secret_is_refused_without_showing_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        for (text, says) in [
            (
                "whsec_not*base64*at*all!",
                "not `whsec_` followed by base64",
            ),
            ("whsec_c2hvcnQ=", "under the 24"),
            ("\n", "is empty"),
        ] {
            std::fs::write(&file, text).unwrap();
            let e = resolve_webhook_secret(&notify(&file), Path::new("/c.toml")).unwrap_err();
            assert!(e.0.contains(says), "{e}");
            assert!(e.0.contains(&file.display().to_string()), "{e}");
            assert!(
                !e.0.contains("base64*at") && !e.0.contains("c2hvcnQ"),
                "{e}"
            );
        }
        let e = resolve_webhook_secret(&notify(&dir.path().join("nope")), Path::new("/c.toml"))
            .unwrap_err();
        assert!(e.0.contains("cannot read the webhook secret file"), "{e}");
        assert!(e.0.contains("/c.toml"), "{e}");
    }

    #[test]
    fn a_token_must_be_long_and_header_safe() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "0123456789abcdef0123\n").unwrap();
        let got = resolve_metrics_token(&metrics(&file), Path::new("/c.toml"))
            .unwrap()
            .unwrap();
        assert_eq!(got.secret.expose(), b"0123456789abcdef0123");
        assert!(!format!("{got:?}").contains("0123456789"));
        for (text, says) in [("short", "under 16"), ("has a space in it!!", "space")] {
            std::fs::write(&file, text).unwrap();
            let e = resolve_metrics_token(&metrics(&file), Path::new("/c.toml")).unwrap_err();
            assert!(e.0.contains(says), "{e}");
            assert!(!e.0.contains(text), "{e}");
        }
    }
}
