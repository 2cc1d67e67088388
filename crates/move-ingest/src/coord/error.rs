//! What went wrong with the coordination database: the step, and the database's own words
//! (which never hold the password).

use std::fmt;

/// A failed exchange with the coordination database.
#[derive(Debug, Clone)]
pub struct CoordError {
    what: String,
    detail: String,
}

impl CoordError {
    /// A failed statement, for `map_err`.
    pub(super) fn sql(what: &str) -> impl Fn(tokio_postgres::Error) -> CoordError + '_ {
        move |e| CoordError {
            what: what.to_string(),
            detail: detail(&e),
        }
    }

    /// A failed connection.
    pub(super) fn connect(place: &str) -> impl Fn(tokio_postgres::Error) -> CoordError + '_ {
        move |e| CoordError {
            what: format!("connect to {place}"),
            detail: format!(
                "{}; check the server, `[coordination] postgres` and the password (password_file or the credential pg-password)",
                detail(&e)
            ),
        }
    }

    /// The connection went away between opening and use.
    pub(super) fn closed() -> CoordError {
        CoordError {
            what: "use the connection".into(),
            detail: "it closed".into(),
        }
    }

    /// The shared schema is newer than this build.
    pub(super) fn newer(version: i32) -> CoordError {
        CoordError {
            what: "check the shared schema".into(),
            detail: format!(
                "it is version {version}, made by a newer move-ingest than this one (version {}); upgrade move-ingest on this machine",
                super::schema::VERSION
            ),
        }
    }
}

/// The database's message and its cause (tokio-postgres keeps the server's words in the source).
fn detail(e: &tokio_postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    }
}

impl fmt::Display for CoordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "coordination database: cannot {}: {}",
            self.what, self.detail
        )
    }
}

impl std::error::Error for CoordError {}
