//! `[coordination]` (issue 26): the PostgreSQL database that the machines sharing a rig decide
//! in, this machine's name there, and how long its claim on a rig recording holds. The
//! password comes from `password_file` or the systemd credential `pg-password`, never from the
//! URL, and is never shown.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

use super::UsageError;
use super::secret::{Secret, find, first_line};

/// The systemd credential that holds the database password (`LoadCredential=pg-password:...`).
pub const PG_PASSWORD_CREDENTIAL: &str = "pg-password";
/// The shortest and longest lease accepted, in seconds.
const LEASE_RANGE: std::ops::RangeInclusive<u64> = 2..=3600;

/// `[coordination]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCoordination {
    postgres: String,
    #[serde(default)]
    password_file: Option<PathBuf>,
    #[serde(default)]
    node: Option<String>,
    #[serde(default = "default_lease")]
    lease_secs: u64,
}

fn default_lease() -> u64 {
    30
}

/// `[coordination]`: the shared database of a rig over several machines.
#[derive(Debug, Clone)]
pub struct CoordinationConfig {
    /// `postgresql://USER@HOST:PORT/DATABASE[?sslmode=require]`, without a password.
    pub postgres: String,
    pub password_file: Option<PathBuf>,
    /// This machine's name in the shared rows (unique per machine; default: the hostname).
    pub node: String,
    /// How long a claim on a rig recording holds without renewal.
    pub lease_secs: u64,
}

impl RawCoordination {
    pub(super) fn validate(self) -> Result<CoordinationConfig, String> {
        let parsed = tokio_postgres::Config::from_str(&self.postgres).map_err(|_| {
            "`postgres` is not a PostgreSQL URL; write postgresql://USER@HOST:5432/DATABASE"
                .to_string()
        })?;
        if parsed.get_password().is_some() {
            return Err("`postgres` holds a password: take it out of the URL and put it in `password_file` (or the systemd credential pg-password), so that it is never shown".into());
        }
        if parsed.get_user().is_none() || parsed.get_hosts().is_empty() {
            return Err(
                "`postgres` must name a user and a host: postgresql://USER@HOST:5432/DATABASE"
                    .into(),
            );
        }
        if !LEASE_RANGE.contains(&self.lease_secs) {
            return Err(format!(
                "`lease_secs` must be between {} and {}, got {}",
                LEASE_RANGE.start(),
                LEASE_RANGE.end(),
                self.lease_secs
            ));
        }
        let node = match self.node {
            Some(n) if n.trim().is_empty() => return Err("`node` is empty: name this machine (unique among the machines of the rig), or leave it out for the hostname".into()),
            Some(n) => n,
            None => gethostname::gethostname().to_string_lossy().into_owned(),
        };
        Ok(CoordinationConfig {
            postgres: self.postgres,
            password_file: self.password_file,
            node,
            lease_secs: self.lease_secs,
        })
    }
}

/// The database password: `password_file`, else `$CREDENTIALS_DIRECTORY/pg-password` when
/// that file exists; `None` (the server trusts the connection, or asks nothing) otherwise.
pub fn resolve_pg_password(
    c: &CoordinationConfig,
    config: &Path,
) -> Result<Option<Secret>, UsageError> {
    let Some((file, via)) = find(
        c.password_file.as_deref(),
        "[coordination] password_file",
        PG_PASSWORD_CREDENTIAL,
    ) else {
        return Ok(None);
    };
    let line = first_line(&file, &via, "database password", config)?;
    Ok(Some(Secret::new(line.into_bytes())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn raw(url: &str, lease: u64) -> RawCoordination {
        RawCoordination {
            postgres: url.into(),
            password_file: None,
            node: Some("capture-03".into()),
            lease_secs: lease,
        }
    }

    #[test]
    fn a_url_with_a_password_or_a_bad_lease_is_refused_without_showing_it() {
        let e = raw("postgresql://mi:hunter2@db:5432/mi", 30)
            .validate()
            .unwrap_err();
        assert!(e.contains("password_file") && !e.contains("hunter2"), "{e}");
        let e = raw("postgresql://mi@db/mi", 1).validate().unwrap_err();
        assert!(e.contains("lease_secs"), "{e}");
        let c = raw("postgresql://mi@db:5432/mi", 30).validate().unwrap();
        assert_eq!((c.node.as_str(), c.lease_secs), ("capture-03", 30));
    }

    #[test]
    fn the_password_is_read_from_its_file_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pg");
        std::fs::write(&file, "s3cret-pw\n").unwrap();
        let mut c = raw("postgresql://mi@db/mi", 30).validate().unwrap();
        c.password_file = Some(file);
        let pw = resolve_pg_password(&c, Path::new("/c.toml"))
            .unwrap()
            .unwrap();
        assert_eq!(pw.expose(), b"s3cret-pw");
        assert!(!format!("{pw:?}").contains("s3cret"));
    }
}
