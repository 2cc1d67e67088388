//! Coordination (issue 26): the machines that share a rig decide in one PostgreSQL database.
//! Each records its cameras' files there (`rows`), the node that claims a complete recording
//! in a transaction (`FOR UPDATE SKIP LOCKED`) records its intent before each request and its
//! result after, and a claim whose lease lapsed passes to another node. This module only
//! talks to the database; `ingest/rig/shared.rs` decides what to do with it.

/// Runs `$body` with `$c: &mut Client`, connecting first when needed; an error drops the
/// connection and marks the database down.
macro_rules! on_client {
    ($me:expr, |$c:ident| $body:expr) => {{
        match $me.open().await {
            Ok(mut slot) => {
                let r = match slot.as_mut() {
                    Some($c) => $body.await,
                    None => Err(CoordError::closed()),
                };
                $me.settle(&mut slot, r)
            }
            Err(e) => Err(e),
        }
    }};
}

mod claims;
mod error;
mod rows;
mod schema;
mod time;
mod types;

use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use tokio_postgres::Client;

use tokio_postgres_rustls::MakeRustlsConnect;

pub use error::CoordError;
pub use types::{Claim, Intent, Outcomes, SharedCamera, SharedClaim, SharedRecording};

use crate::config::{CoordinationConfig, Secret};

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The shared database of a rig over several machines: one connection, opened when first
/// needed and again after any error (a restarted or emptied database is met afresh).
pub struct Coordinator {
    cfg: CoordinationConfig,
    pg: tokio_postgres::Config,
    client: tokio::sync::Mutex<Option<Client>>,
    up: AtomicBool,
    /// Counts the connections made: a new one means the database may have lost rows.
    generation: AtomicU64,
    /// When the database's schema was made (ms since the epoch).
    created_ms: AtomicI64,
    /// The latest error, while the database is unreachable.
    down: Mutex<Option<String>>,
}

impl Coordinator {
    /// A coordinator for `cfg` (nothing is connected yet); `password` from
    /// `resolve_pg_password`.
    pub fn new(cfg: &CoordinationConfig, password: Option<&Secret>) -> Result<Coordinator, String> {
        let mut pg = tokio_postgres::Config::from_str(&cfg.postgres)
            .map_err(|e| format!("[coordination] postgres: {e}"))?;
        if let Some(p) = password {
            pg.password(p.expose());
        }
        pg.connect_timeout(CONNECT_TIMEOUT);
        pg.application_name(format!("move-ingest {}", cfg.node));
        Ok(Coordinator {
            cfg: cfg.clone(),
            pg,
            client: tokio::sync::Mutex::new(None),
            up: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            created_ms: AtomicI64::new(0),
            down: Mutex::new(None),
        })
    }

    /// This machine's name in the shared rows.
    pub fn node(&self) -> &str {
        &self.cfg.node
    }

    /// How long a claim holds without renewal.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.cfg.lease_secs)
    }

    /// Where the database is, for messages (host, port, database; never a password).
    pub fn place(&self) -> String {
        let hosts: Vec<String> = self
            .pg
            .get_hosts()
            .iter()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(h) => h.clone(),
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            })
            .collect();
        let port = self.pg.get_ports().first().copied().unwrap_or(5432);
        let db = self.pg.get_dbname().unwrap_or("");
        format!("{}:{port}/{db}", hosts.join(","))
    }

    /// Whether the latest exchange with the database worked.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// The latest error while the database is unreachable.
    pub fn down_reason(&self) -> Option<String> {
        self.down.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The number of connections made so far (a new one: push everything known again).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// When the database's schema was made (ms since the epoch; 0 before the first connection).
    pub fn created_ms(&self) -> i64 {
        self.created_ms.load(Ordering::Relaxed)
    }

    /// The connection, opened (and the schema migrated) when there is none.
    async fn open(&self) -> Result<tokio::sync::MutexGuard<'_, Option<Client>>, CoordError> {
        let mut slot = self.client.lock().await;
        if slot.as_ref().is_none_or(Client::is_closed) {
            *slot = None;
            match self.connect().await {
                Ok(c) => *slot = Some(c),
                Err(e) => {
                    self.mark(Some(&e));
                    return Err(e);
                }
            }
        }
        Ok(slot)
    }

    /// Notes how an exchange went; an error drops the connection (the next one starts afresh).
    fn settle<T>(
        &self,
        slot: &mut Option<Client>,
        r: Result<T, CoordError>,
    ) -> Result<T, CoordError> {
        if r.is_err() {
            *slot = None;
        }
        self.mark(r.as_ref().err());
        r
    }

    fn mark(&self, error: Option<&CoordError>) {
        self.up.store(error.is_none(), Ordering::Relaxed);
        *self.down.lock().unwrap_or_else(|p| p.into_inner()) = error.map(ToString::to_string);
    }

    /// Notes when the database's schema was made; another time than the one known means it
    /// was emptied and made again: counted as a new connection.
    fn note_created(&self, created_ms: i64) {
        if self.created_ms.swap(created_ms, Ordering::Relaxed) != created_ms {
            tracing::warn!(database = %self.place(), "the coordination database was emptied or replaced; every machine records what it knows again");
            self.generation.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Connects and migrates.
    async fn connect(&self) -> Result<Client, CoordError> {
        let tls = MakeRustlsConnect::with_webpki_roots();
        let (mut client, connection) = self
            .pg
            .connect(tls)
            .await
            .map_err(CoordError::connect(&self.place()))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("coordination database connection ended: {e}");
            }
        });
        let created = schema::migrate(&mut client).await?;
        self.created_ms.store(created, Ordering::Relaxed);
        self.generation.fetch_add(1, Ordering::Relaxed);
        tracing::info!(database = %self.place(), node = %self.cfg.node, "connected to the coordination database");
        Ok(client)
    }
}
