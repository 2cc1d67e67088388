//! The Move API key: found in the environment, a key file or a systemd credential, and
//! never shown.

use std::fmt;
use std::path::Path;

use super::ApiConfig;
use crate::config::UsageError;

/// The Move API key. Its `Debug` prints `***`; it has no `Display`, so it cannot end up in a message.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key itself, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The key and where it came from (for messages; never the key itself).
#[derive(Debug, Clone)]
pub struct ResolvedKey {
    pub key: ApiKey,
    pub source: String,
}

/// Finds the key: `$MOVE_API_KEY`, else `api.key_file`, else `$CREDENTIALS_DIRECTORY/move-api-key`.
pub fn resolve_key(api: &ApiConfig) -> Result<ResolvedKey, UsageError> {
    if let Some(v) = std::env::var_os("MOVE_API_KEY") {
        let key = v.to_string_lossy().trim().to_string();
        if key.is_empty() {
            return Err(UsageError::new(
                "$MOVE_API_KEY is set but empty; unset it or put the key in it",
            ));
        }
        return Ok(ResolvedKey {
            key: ApiKey(key),
            source: "$MOVE_API_KEY".into(),
        });
    }
    if let Some(file) = &api.key_file {
        return read_key_file(file, "api.key_file");
    }
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let file = Path::new(&dir).join("move-api-key");
        return read_key_file(&file, "$CREDENTIALS_DIRECTORY");
    }
    Err(UsageError::new(
        "no Move API key: set $MOVE_API_KEY, or api.key_file in the config, or run under systemd with LoadCredential=move-api-key:...",
    ))
}

fn read_key_file(file: &Path, via: &str) -> Result<ResolvedKey, UsageError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        UsageError::new(format!(
            "cannot read the API key file {} (from {via}): {e}",
            file.display()
        ))
    })?;
    let key = text.lines().next().unwrap_or_default().trim().to_string();
    if key.is_empty() {
        return Err(UsageError::new(format!(
            "the API key file {} (from {via}) is empty; its first line must hold the key",
            file.display()
        )));
    }
    Ok(ResolvedKey {
        key: ApiKey(key),
        source: format!("key file {}", file.display()),
    })
}
